"""Amaranth systolic arrays implementing ``docs/microarch.md`` exactly (OS array and stationary WS/IS array).

Section numbers below refer to ``docs/microarch.md``.  The arrays have no
back-pressure: the controller (the Python feeder, :func:`archsim.arch.systolic_schedule`)
presents the edge inputs at the cycles the document fixes, and the bottom edge
produces outputs on fixed cycles.

Edge ports (§1), one bit / lane per row ``i`` or column ``j`` (lane 0 in the low bits):

========== ============================== =====================================================
port       shape                          meaning
========== ============================== =====================================================
l_valid    In(R)                          left operand of row ``i`` valid
l_data     In(R x signed(data_bits))      left operand (A for OS/WS, B for IS)
l_first    In(R)        (OS only)         first ``k`` of an output
l_last     In(R)        (OS only)         last ``k`` of an output
l_sel      In(R)        (stationary)      weight register to multiply with
t_valid    In(C)                          top value of column ``j`` valid
t_data     In(C x signed(data_bits))      OS: B operand; stationary: preload value
t_sel      In(C)        (stationary)      weight register the preload writes
o_valid    Out(C)                         ``o_data[j]`` valid
o_data     Out(C x signed(acc_bits))      OS: finished output; stationary: partial sum (0 when invalid)
========== ============================== =====================================================
"""

from __future__ import annotations

from amaranth.hdl import Module, Mux, Signal, signed
from amaranth.lib import data, wiring
from amaranth.lib.wiring import In, Out

from archsim.core.errors import ConfigError

__all__ = ["OsArray", "OsPE", "StationaryArray", "StationaryPE", "systolic_array"]

#: Hardware variants of docs/microarch.md (a dataflow name maps to its variant through the dataflow registry).
VARIANTS = ("os", "stationary")


def _check(field: str, value: object, lo: int, hi: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not lo <= value <= hi:
        raise ConfigError(f"{field} must be an integer in {lo}..{hi}, not {value!r}")
    return value


def _step_shape(rows: int) -> range:
    return range(max(rows, 2))  # a 1-row array still gets a 1-bit step counter (no zero-width ports)


def _mac_pipeline(m: Module, prod, tags: list, depth: int, name: str):
    """Return (product, tags) after ``depth - 1`` product registers p_1 .. p_{d-1} (§2)."""
    for stage in range(1, depth):
        p_r = Signal.like(prod, name=f"{name}_p{stage}")
        t_r = [Signal.like(t, name=f"{t.name}_p{stage}") for t in tags]
        m.d.sync += [p_r.eq(prod), *[r.eq(t) for r, t in zip(t_r, tags, strict=True)]]
        prod, tags = p_r, t_r
    return prod, tags


class OsPE(wiring.Component):
    """Output-stationary PE ``(row, j)`` (§2 "OS PE").

    Forwards the left operand (``a_*``) right and the top operand (``b_*``)
    down through registers; multiplies at stage 0; after ``mac_depth - 1``
    product registers accumulates ``acc <= (first ? 0 : acc) + p``, and on
    ``last`` writes ``out_reg`` instead.  ``out_reg`` shifts down during a
    column drain (``drain_active`` and ``row > drain_step``); a write wins over
    a shift.  ``write`` flags the out_reg write of this cycle (the bottom row's
    starts the column drain).
    """

    def __init__(self, row: int, rows: int, data_bits: int = 8, acc_bits: int = 32, mac_depth: int = 1) -> None:
        self.row, self.rows, self.data_bits, self.acc_bits, self.mac_depth = row, rows, data_bits, acc_bits, mac_depth
        super().__init__({
            "a_valid": In(1), "a_data": In(signed(data_bits)), "a_first": In(1), "a_last": In(1),
            "b_valid": In(1), "b_data": In(signed(data_bits)),
            "a_valid_o": Out(1), "a_data_o": Out(signed(data_bits)), "a_first_o": Out(1), "a_last_o": Out(1),
            "b_valid_o": Out(1), "b_data_o": Out(signed(data_bits)),
            "drain_active": In(1), "drain_step": In(_step_shape(rows)),
            "out_above": In(signed(acc_bits)), "out_reg": Out(signed(acc_bits)), "write": Out(1),
        })

    def elaborate(self, platform) -> Module:
        m = Module()
        m.d.sync += [  # operand forwarding registers (what the neighbour sees next cycle)
            self.a_valid_o.eq(self.a_valid), self.a_data_o.eq(self.a_data),
            self.a_first_o.eq(self.a_first), self.a_last_o.eq(self.a_last),
            self.b_valid_o.eq(self.b_valid), self.b_data_o.eq(self.b_data),
        ]
        prod = Signal(signed(2 * self.data_bits), name="prod")
        m.d.comb += prod.eq(self.a_data * self.b_data)
        valid, first, last = Signal(name="v"), Signal(name="f"), Signal(name="l")
        m.d.comb += [valid.eq(self.a_valid), first.eq(self.a_first), last.eq(self.a_last)]
        p, (pv, pf, pl) = _mac_pipeline(m, prod, [valid, first, last], self.mac_depth, "prod")
        acc = Signal(signed(self.acc_bits), name="acc")
        new = Signal(signed(self.acc_bits), name="acc_next")
        m.d.comb += [new.eq(Mux(pf, 0, acc) + p), self.write.eq(pv & pl)]
        with m.If(pv):
            m.d.sync += acc.eq(new)
        shift = self.drain_active & (self.drain_step < self.row)
        with m.If(pv & pl):
            m.d.sync += self.out_reg.eq(new)
        with m.Elif(shift):
            m.d.sync += self.out_reg.eq(self.out_above)
        return m


class StationaryPE(wiring.Component):
    """Stationary (WS/IS) PE ``(row, j)`` (§2 "Stationary PE").

    Two weight registers ``w0``/``w1`` (double buffered); the preload chain
    shifts ``w[pl_sel]`` down the column when ``pl_valid`` and
    ``row <= pl_step`` (row 0 takes the top-edge value, §3 "Preload").
    ``w_fwd`` is ``w[pl_sel]`` for the PE below.  Stage 0 multiplies the left
    operand by ``w[a_sel]``; the last MAC stage writes
    ``psum <= valid ? psum_in + p : 0`` and ``psum_valid <= valid``.
    """

    def __init__(self, row: int, rows: int, data_bits: int = 8, acc_bits: int = 32, mac_depth: int = 1) -> None:
        self.row, self.rows, self.data_bits, self.acc_bits, self.mac_depth = row, rows, data_bits, acc_bits, mac_depth
        super().__init__({
            "a_valid": In(1), "a_data": In(signed(data_bits)), "a_sel": In(1),
            "a_valid_o": Out(1), "a_data_o": Out(signed(data_bits)), "a_sel_o": Out(1),
            "pl_valid": In(1), "pl_sel": In(1), "pl_step": In(_step_shape(rows)),
            "w_in": In(signed(data_bits)), "w_fwd": Out(signed(data_bits)),
            "psum_in": In(signed(acc_bits)), "psum": Out(signed(acc_bits)), "psum_valid": Out(1),
        })

    def elaborate(self, platform) -> Module:
        m = Module()
        m.d.sync += [self.a_valid_o.eq(self.a_valid), self.a_data_o.eq(self.a_data), self.a_sel_o.eq(self.a_sel)]
        w0 = Signal(signed(self.data_bits), name="w0")
        w1 = Signal(signed(self.data_bits), name="w1")
        m.d.comb += self.w_fwd.eq(Mux(self.pl_sel, w1, w0))
        with m.If(self.pl_valid & (self.pl_step >= self.row)):
            with m.If(self.pl_sel):
                m.d.sync += w1.eq(self.w_in)
            with m.Else():
                m.d.sync += w0.eq(self.w_in)
        prod = Signal(signed(2 * self.data_bits), name="prod")
        m.d.comb += prod.eq(self.a_data * Mux(self.a_sel, w1, w0))
        valid = Signal(name="v")
        m.d.comb += valid.eq(self.a_valid)
        p, (pv,) = _mac_pipeline(m, prod, [valid], self.mac_depth, "prod")
        m.d.sync += [self.psum.eq(Mux(pv, self.psum_in + p, 0)), self.psum_valid.eq(pv)]
        return m


class _ArrayBase(wiring.Component):
    variant = ""

    def __init__(self, rows: int, cols: int, mac_depth: int = 1, data_bits: int = 8, acc_bits: int = 32) -> None:
        self._MustUse__silence = True  # no "created but never used" warning if validation raises
        _check("rows", rows, 1, 256)
        _check("cols", cols, 1, 256)
        _check("mac_depth", mac_depth, 1, 16)
        _check("data_bits", data_bits, 2, 32)
        _check("acc_bits", acc_bits, 2 * data_bits, 64)
        self.rows, self.cols, self.mac_depth, self.data_bits, self.acc_bits = rows, cols, mac_depth, data_bits, acc_bits
        R, C = rows, cols
        ports = {
            "l_valid": In(R), "l_data": In(data.ArrayLayout(signed(data_bits), R)),
            "t_valid": In(C), "t_data": In(data.ArrayLayout(signed(data_bits), C)),
            "o_valid": Out(C), "o_data": Out(data.ArrayLayout(signed(acc_bits), C)),
        }
        if self.variant == "os":
            ports.update({"l_first": In(R), "l_last": In(R)})
        else:
            ports.update({"l_sel": In(R), "t_sel": In(C)})
        super().__init__(ports)
        self._MustUse__silence = False

    def params(self) -> dict[str, int | str]:
        """Return the constructor parameters and the variant."""
        return {"variant": self.variant, "rows": self.rows, "cols": self.cols, "mac_depth": self.mac_depth,
                "data_bits": self.data_bits, "acc_bits": self.acc_bits}

    def edge_ports(self) -> list[str]:
        """Return the names of the edge input ports the test bench drives."""
        extra = ["l_first", "l_last"] if self.variant == "os" else ["l_sel", "t_sel"]
        return ["l_valid", "l_data", "t_valid", "t_data", *extra]


class OsArray(_ArrayBase):
    """Output-stationary ``rows x cols`` array (§2 OS PE, §3 OS fold, drain with per-column step counters)."""

    variant = "os"

    def elaborate(self, platform) -> Module:
        m = Module()
        R, C = self.rows, self.cols
        pes = [[OsPE(i, R, self.data_bits, self.acc_bits, self.mac_depth) for j in range(C)] for i in range(R)]
        for i in range(R):
            for j in range(C):
                m.submodules[f"pe_{i}_{j}"] = pes[i][j]
        active = [Signal(name=f"drain_active_{j}") for j in range(C)]
        step = [Signal(_step_shape(R), name=f"drain_step_{j}") for j in range(C)]
        for i in range(R):
            for j in range(C):
                pe = pes[i][j]
                if j == 0:
                    m.d.comb += [pe.a_valid.eq(self.l_valid[i]), pe.a_data.eq(self.l_data[i]),
                                 pe.a_first.eq(self.l_first[i]), pe.a_last.eq(self.l_last[i])]
                else:
                    left = pes[i][j - 1]
                    m.d.comb += [pe.a_valid.eq(left.a_valid_o), pe.a_data.eq(left.a_data_o),
                                 pe.a_first.eq(left.a_first_o), pe.a_last.eq(left.a_last_o)]
                if i == 0:
                    m.d.comb += [pe.b_valid.eq(self.t_valid[j]), pe.b_data.eq(self.t_data[j]), pe.out_above.eq(0)]
                else:
                    up = pes[i - 1][j]
                    m.d.comb += [pe.b_valid.eq(up.b_valid_o), pe.b_data.eq(up.b_data_o),
                                 pe.out_above.eq(up.out_reg)]
                m.d.comb += [pe.drain_active.eq(active[j]), pe.drain_step.eq(step[j])]
        for j in range(C):
            bottom = pes[R - 1][j]
            m.d.comb += [self.o_valid[j].eq(active[j]), self.o_data[j].eq(Mux(active[j], bottom.out_reg, 0))]
            with m.If(bottom.write):  # the bottom PE finished a tile: drain column j for R cycles
                m.d.sync += [active[j].eq(1), step[j].eq(0)]
            with m.Elif(active[j]):
                with m.If(step[j] == R - 1):
                    m.d.sync += [active[j].eq(0), step[j].eq(0)]
                with m.Else():
                    m.d.sync += step[j].eq(step[j] + 1)
        return m


class StationaryArray(_ArrayBase):
    """Weight-/input-stationary ``rows x cols`` array (§2 stationary PE, §3 WS/IS preload and stream)."""

    variant = "stationary"

    def elaborate(self, platform) -> Module:
        m = Module()
        R, C = self.rows, self.cols
        pes = [[StationaryPE(i, R, self.data_bits, self.acc_bits, self.mac_depth) for j in range(C)]
               for i in range(R)]
        for i in range(R):
            for j in range(C):
                m.submodules[f"pe_{i}_{j}"] = pes[i][j]
        step = [Signal(_step_shape(R), name=f"preload_step_{j}") for j in range(C)]
        for i in range(R):
            for j in range(C):
                pe = pes[i][j]
                if j == 0:
                    m.d.comb += [pe.a_valid.eq(self.l_valid[i]), pe.a_data.eq(self.l_data[i]),
                                 pe.a_sel.eq(self.l_sel[i])]
                else:
                    left = pes[i][j - 1]
                    m.d.comb += [pe.a_valid.eq(left.a_valid_o), pe.a_data.eq(left.a_data_o),
                                 pe.a_sel.eq(left.a_sel_o)]
                if i == 0:
                    m.d.comb += [pe.w_in.eq(self.t_data[j]), pe.psum_in.eq(0)]
                else:
                    up = pes[i - 1][j]
                    m.d.comb += [pe.w_in.eq(up.w_fwd), pe.psum_in.eq(up.psum)]
                m.d.comb += [pe.pl_valid.eq(self.t_valid[j]), pe.pl_sel.eq(self.t_sel[j]), pe.pl_step.eq(step[j])]
        for j in range(C):
            bottom = pes[R - 1][j]
            m.d.comb += [self.o_valid[j].eq(bottom.psum_valid), self.o_data[j].eq(bottom.psum)]
            with m.If(self.t_valid[j]):  # preload step counter: counts t_valid cycles, wraps at R
                m.d.sync += step[j].eq(Mux(step[j] == R - 1, 0, step[j] + 1))
        return m


def systolic_array(rows: int, cols: int, dataflow: str, mac_depth: int = 1, data_bits: int = 8,
                   acc_bits: int = 32) -> OsArray | StationaryArray:
    """Return the array for ``dataflow`` (a registered dataflow name, or a variant ``os`` | ``stationary``):
    hardware ``os`` -> :class:`OsArray`, ``stationary`` (WS, IS) -> :class:`StationaryArray`."""
    from archsim.dataflow import get_dataflow

    variant = dataflow if dataflow in VARIANTS else get_dataflow(dataflow).hardware
    cls = OsArray if variant == "os" else StationaryArray
    return cls(rows, cols, mac_depth=mac_depth, data_bits=data_bits, acc_bits=acc_bits)
