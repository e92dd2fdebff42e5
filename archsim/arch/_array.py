"""The standalone systolic array of ``docs/microarch.md``: edge schedule and cycle-stepped model.

:func:`systolic_schedule` turns operands into the per-cycle edge inputs the
controller presents to the array; :func:`simulate_array` steps the array one
cycle at a time (vectorized over the PE grid with numpy), moving the real
operand values, and returns the per-cycle bottom-edge outputs.  The RTL test
bench drives the Amaranth array with the same schedule and compares outputs.

The simulation checks the timing rules as the hardware would experience them:
a weight register read while it is half-preloaded, a partial sum meeting an
invalid one, or an output register overwritten while it drains raises
:class:`~archsim.core.errors.SimulationError` (so an illegal schedule cannot
silently give a wrong count).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from archsim.core.errors import ConfigError, SimulationError, require_positive_int
from archsim.dataflow import fold_starts, get_dataflow, plan_folds


@dataclass
class EdgeSchedule:
    """Per-cycle edge inputs of the array (numpy arrays, first axis = cycle).

    Attributes:
        rows, cols, mac_depth, acc_bits: array parameters.
        dataflow: a registered dataflow name (``variant`` is its hardware: ``os`` or ``stationary``).
        n_cycles: cycles of the schedule (last expected valid output + 1).
        l_valid, l_data, l_first, l_last, l_sel: ``n_cycles x rows`` left-edge inputs.
        t_valid, t_data, t_sel: ``n_cycles x cols`` top-edge inputs.
        expect_valid: ``n_cycles x cols`` where an output is expected.
        out_b, out_m, out_n: ``n_cycles x cols`` indices of ``Cmat`` each output belongs to (-1: none).
        starts, preloads: per-fold start cycle ``S_f`` and preload cycle ``P_f`` (WS/IS; -1 for OS).
    """

    rows: int
    cols: int
    dataflow: str
    mac_depth: int
    acc_bits: int
    n_cycles: int
    l_valid: np.ndarray
    l_data: np.ndarray
    l_first: np.ndarray
    l_last: np.ndarray
    l_sel: np.ndarray
    t_valid: np.ndarray
    t_data: np.ndarray
    t_sel: np.ndarray
    expect_valid: np.ndarray
    out_b: np.ndarray
    out_m: np.ndarray
    out_n: np.ndarray
    starts: np.ndarray
    preloads: np.ndarray
    shape: tuple[int, int, int, int]  # batch, M, K, N

    @property
    def variant(self) -> str:
        """``os`` or ``stationary`` (WS and IS share the stationary hardware)."""
        return get_dataflow(self.dataflow).hardware

    def result(self, out: ArrayOutput) -> np.ndarray:
        """Return ``Cmat`` (``batch x M x N``) assembled from the array outputs (partial sums added)."""
        if not np.array_equal(out.o_valid, self.expect_valid):
            bad = np.argwhere(out.o_valid != self.expect_valid)[0]
            raise SimulationError(f"output valid at cycle {bad[0]} column {bad[1]} differs from the schedule")
        batch, M, _, N = self.shape
        acc = np.zeros((batch, M, N), dtype=out.o_data.dtype)
        sel = self.expect_valid & (self.out_m >= 0) & (self.out_m < M) & (self.out_n < N)
        np.add.at(acc, (self.out_b[sel], self.out_m[sel], self.out_n[sel]), out.o_data[sel])
        if np.issubdtype(acc.dtype, np.integer):
            acc = _wrap(acc, self.acc_bits)
        return acc


@dataclass
class ArrayOutput:
    """Per-cycle bottom-edge outputs: ``o_valid``, ``o_data`` (``n_cycles x cols``), plus activity counts.

    ``pe_ops``: PE-cycles with a valid operand (multiplies, padding zeros included);
    ``w_writes``: weight-register writes of the preload chains.
    """

    o_valid: np.ndarray
    o_data: np.ndarray
    pe_ops: int = 0
    w_writes: int = 0

    @property
    def last_valid_cycle(self) -> int:
        """Last cycle with any valid output (-1 if none)."""
        rows = np.flatnonzero(self.o_valid.any(axis=1))
        return int(rows[-1]) if rows.size else -1


def _wrap(x: np.ndarray, bits: int) -> np.ndarray:
    half = 1 << (bits - 1)
    return ((x + half) % (1 << bits)) - half


def _claim(valid: np.ndarray, t: np.ndarray, idx: np.ndarray, edge: str, f: int) -> None:
    if np.any(t < 0) or valid[t, idx].any():
        raise SimulationError(f"fold {f}: {edge}-edge input collides with another fold's input")
    valid[t, idx] = True


def systolic_schedule(
    A: np.ndarray,
    B: np.ndarray,
    rows: int,
    cols: int,
    dataflow: str,
    mac_depth: int = 1,
    acc_bits: int = 32,
    starts: np.ndarray | None = None,
    preloads: np.ndarray | None = None,
    max_chunk: int = 0,
    order: str = "default",
) -> EdgeSchedule:
    """Return the per-cycle :class:`EdgeSchedule` computing ``A @ B`` on a rows x cols array.

    Args:
        A: ``M x K`` or ``batch x M x K`` operand (integers for bit-exact results).
        B: ``K x N`` or ``batch x K x N``.
        rows, cols: array size; dataflow: ``os`` | ``ws`` | ``is``; mac_depth: MAC pipeline depth (cycles).
        acc_bits: accumulator width (bits; integer results wrap modulo ``2**acc_bits``).
        starts, preloads: optional per-fold ``S_f`` / ``P_f`` (e.g. delayed by memory); default:
            the earliest legal cycles (ideal memory).
        max_chunk: longest stream per fold (0 = whole stream), as chosen by the buffer mapping.
        order: fold loop order (``default`` | ``swapped``, see :class:`archsim.dataflow.FoldPlan`).
    """
    require_positive_int("mac_depth", mac_depth)
    A3 = np.asarray(A)
    B3 = np.asarray(B)
    if A3.ndim == 2:
        A3 = A3[None]
    if B3.ndim == 2:
        B3 = B3[None]
    if A3.ndim != 3 or B3.ndim != 3 or A3.shape[0] != B3.shape[0] or A3.shape[2] != B3.shape[1]:
        raise ConfigError(f"operand shapes {np.shape(A)} and {np.shape(B)} do not multiply")
    batch, M, K = A3.shape
    N = B3.shape[2]
    plan = plan_folds(dataflow, rows, cols, M, K, N, batch, max_chunk, order)
    R, Cc, d = rows, cols, mac_depth
    fa = plan.fold_arrays
    if starts is None:
        starts, preloads = fold_starts(fa["L"], R, plan.preload)
    starts = np.asarray(starts, dtype=np.int64)
    preloads = np.asarray(preloads if preloads is not None else np.full(plan.folds, -1), dtype=np.int64)
    T = int(starts[-1]) + plan.fold_tail(d, int(fa["L"][-1]))

    # zero-padded operands so every fold is a full R x C tile
    flow = plan.flow
    Mp, Kp, Np = flow.padded_shape(R, Cc, M, K, N, plan.loops)
    os_hw = flow.hardware == "os"
    dt = np.result_type(A3.dtype, B3.dtype)
    Ap = np.zeros((batch, Mp, Kp), dtype=dt)
    Ap[:, :M, :K] = A3
    Bp = np.zeros((batch, Kp, Np), dtype=dt)
    Bp[:, :K, :N] = B3

    l_valid = np.zeros((T, R), dtype=bool)
    l_data = np.zeros((T, R), dtype=dt)
    l_first = np.zeros((T, R), dtype=bool)
    l_last = np.zeros((T, R), dtype=bool)
    l_sel = np.zeros((T, R), dtype=np.uint8)
    t_valid = np.zeros((T, Cc), dtype=bool)
    t_data = np.zeros((T, Cc), dtype=dt)
    t_sel = np.zeros((T, Cc), dtype=np.uint8)
    expect = np.zeros((T, Cc), dtype=bool)
    out_b = np.full((T, Cc), -1, dtype=np.int64)
    out_m = np.full((T, Cc), -1, dtype=np.int64)
    out_n = np.full((T, Cc), -1, dtype=np.int64)

    ii = np.arange(R)[:, None]
    jj = np.arange(Cc)[:, None]
    ss = np.arange(R)[None, :]
    for f in range(plan.folds):
        b, m0, k0, n0, L = (int(fa[key][f]) for key in ("b", "m0", "k0", "n0", "L"))
        ll = np.arange(L)[None, :]
        S = int(starts[f])
        if os_hw:
            t = S + ii + ll  # R x L
            _claim(l_valid, t, ii, "left", f)
            l_data[t, ii] = Ap[b, m0 : m0 + R, k0 : k0 + L]
            l_first[t, ii] = ll == 0
            l_last[t, ii] = ll == L - 1
            t = S + jj + ll  # C x L
            _claim(t_valid, t, jj, "top", f)
            t_data[t, jj] = Bp[b, k0 : k0 + L, n0 : n0 + Cc].T
            E = S + L + d - 2
            t = E + R + jj + ss  # C x R (drain step s)
            expect[t, jj] = True
            out_b[t, jj] = b
            out_m[t, jj] = m0 + R - 1 - ss
            out_n[t, jj] = n0 + jj
            continue
        P = int(preloads[f])
        sel = f % 2
        stat, stream = flow.stationary_tile(Ap, Bp, b, m0, k0, n0, R, Cc, L)
        t = P + jj + ss  # C x R preload steps
        _claim(t_valid, t, jj, "top", f)
        t_sel[t, jj] = sel
        t_data[t, jj] = stat[R - 1 - ss, jj]
        t = S + ii + ll  # R x L
        _claim(l_valid, t, ii, "left", f)
        l_sel[t, ii] = sel
        l_data[t, ii] = stream
        t = S + ll + jj + R - 1 + d  # C x L
        expect[t, jj] = True
        out_b[t, jj] = b
        out_m[t, jj], out_n[t, jj] = flow.output_index(m0, n0, ll, jj)
    return EdgeSchedule(
        R, Cc, dataflow, d, acc_bits, T, l_valid, l_data, l_first, l_last, l_sel, t_valid, t_data, t_sel,
        expect, out_b, out_m, out_n, starts, preloads, (batch, M, K, N),
    )


def simulate_array(sched: EdgeSchedule) -> ArrayOutput:
    """Step the array of ``docs/microarch.md`` through ``sched`` one cycle at a time; return its outputs.

    Vectorized over the PE grid (operand registers, product pipeline, accumulators, weight
    registers are numpy arrays); integer data wrap modulo ``2**acc_bits``.  Cycles in which the
    whole array is idle and no edge input arrives are skipped (nothing can change in them).
    Raises :class:`SimulationError` when the schedule breaks a timing rule.
    """
    R, Cc, d, T = sched.rows, sched.cols, sched.mac_depth, sched.n_cycles
    integer = np.issubdtype(sched.l_data.dtype, np.integer)
    adt = np.int64 if integer else np.float64
    half = 1 << (sched.acc_bits - 1)
    mod = 1 << sched.acc_bits

    def wrap(x):
        return ((x + half) % mod) - half if integer else x

    o_valid = np.zeros((T, Cc), dtype=bool)
    o_data = np.zeros((T, Cc), dtype=adt)
    os_mode = sched.variant == "os"
    # left operand registers, packed: [valid, data, first, last, sel] x R x C (what each PE saw)
    LE = np.stack([sched.l_valid, sched.l_data, sched.l_first, sched.l_last, sched.l_sel], axis=1).astype(adt)
    X = np.zeros((5, R, Cc), dtype=adt)
    if os_mode:  # top operand registers: [valid, data]
        TE = np.stack([sched.t_valid, sched.t_data], axis=1).astype(adt)
        Y = np.zeros((2, R, Cc), dtype=adt)
    # product pipeline [value, valid, first, last]; PIPE[0] is stage 0 of the current cycle,
    # PIPE[k] the register p_k (k = 1 .. d-1)
    PIPE = np.zeros((d, 4, R, Cc), dtype=adt)
    acc = np.zeros((R, Cc), dtype=adt)
    out_reg = np.zeros((R, Cc), dtype=adt)
    drain = np.full(Cc, -1, dtype=np.int64)  # OS drain step per column (-1 idle)
    W = np.zeros((2, R, Cc), dtype=adt)
    loading = np.zeros((2, R, Cc), dtype=bool)  # weight register partially preloaded
    pl_step = np.zeros(Cc, dtype=np.int64)
    psum = np.zeros((R, Cc), dtype=adt)
    psum_v = np.zeros((R, Cc), dtype=bool)
    rows_idx = np.arange(R)[:, None]
    pe_ops = 0
    w_writes = 0

    edge_active = sched.l_valid.any(axis=1) | sched.t_valid.any(axis=1)
    next_active = np.full(T + 1, T, dtype=np.int64)  # next cycle >= t with an edge input
    idx = np.flatnonzero(edge_active)
    if idx.size:
        pos = np.searchsorted(idx, np.arange(T + 1))
        ok = pos < idx.size
        next_active[ok] = idx[pos[ok]]
    t = -1
    while True:
        t += 1
        if t >= T or not edge_active[t]:
            quiet = not X[0].any() and not PIPE[1:, 1].any()
            if os_mode:
                quiet = quiet and not Y[0].any() and not (drain >= 0).any()
            else:
                quiet = quiet and not psum_v.any()
            if quiet:
                t = int(next_active[min(t, T)])
        if t >= T:
            break
        # ---- stage 0: what each PE sees this cycle ----
        X[:, :, 1:] = X[:, :, :-1]
        X[:, :, 0] = LE[t]
        v = X[0]
        vb = v.astype(bool)
        nv = int(np.count_nonzero(vb))
        pe_ops += nv
        st0 = PIPE[0]
        if os_mode:
            Y[:, 1:, :] = Y[:, :-1, :]
            Y[:, 0, :] = TE[t]
            if nv and (vb & ~Y[0].astype(bool)).any():
                raise SimulationError(f"cycle {t}: OS PE got a valid left operand without a valid top operand")
            np.multiply(X[1], Y[1], out=st0[0])
        else:
            if nv:
                sel1 = X[4].astype(bool)
                if (vb & np.where(sel1, loading[1], loading[0])).any():
                    raise SimulationError(f"cycle {t}: a weight register is read while it is being preloaded")
                np.multiply(X[1], np.where(sel1, W[1], W[0]), out=st0[0])
            else:
                st0[0] = 0
        st0[0] *= v
        st0[1] = v
        st0[2] = X[2]
        st0[3] = X[3]
        last = PIPE[d - 1]

        # ---- outputs of this cycle (registered values) ----
        if os_mode:
            draining = drain >= 0
            if draining.any():
                o_valid[t] = draining
                o_data[t] = np.where(draining, out_reg[R - 1], 0)
        else:
            bottom = psum_v[R - 1]
            if bottom.any():
                o_valid[t] = bottom
                o_data[t] = np.where(bottom, psum[R - 1], 0)

        # ---- end of cycle: register updates ----
        if os_mode:
            pv = last[1].astype(bool)
            any_pv = pv.any()
            if any_pv or draining.any():
                new = wrap(np.where(last[2].astype(bool), 0, acc) + last[0])
                write = pv & last[3].astype(bool)
                if any_pv:
                    acc = np.where(pv, new, acc)
                shift = draining[None, :] & (rows_idx > drain[None, :])  # rows i > s take from i-1
                if (shift & write).any():
                    raise SimulationError(f"cycle {t}: an output register is overwritten while it drains")
                if shift.any():
                    shifted = np.empty_like(out_reg)
                    shifted[0] = 0
                    shifted[1:] = out_reg[:-1]
                    out_reg = np.where(shift, shifted, out_reg)
                if write.any():
                    out_reg = np.where(write, new, out_reg)
                nxt = np.where(draining, drain + 1, -1)
                nxt[nxt >= R] = -1
                trig = write[R - 1]
                if (trig & (nxt >= 0)).any():
                    raise SimulationError(f"cycle {t}: a column drain starts before the previous one ended")
                drain = np.where(trig, 0, nxt)
        else:
            pv = last[1].astype(bool)
            if pv.any() or psum_v.any():
                if R > 1 and (pv[1:] & ~psum_v[:-1]).any():
                    raise SimulationError(f"cycle {t}: a partial sum meets an invalid partial sum from above")
                above = np.empty_like(psum)
                above[0] = 0
                above[1:] = psum[:-1]
                psum = np.where(pv, wrap(above + last[0]), 0)
                psum_v = pv
            # preload shift chain with wavefront gating (row i shifts at steps s >= i)
            tv = sched.t_valid[t]
            if tv.any():
                ts = sched.t_sel[t].astype(np.int64)
                en = tv[None, :] & (rows_idx <= pl_step[None, :])
                done_col = tv & (pl_step == R - 1)
                for bank in (0, 1):
                    m = en & (ts[None, :] == bank)
                    if not m.any():
                        continue
                    w_writes += int(np.count_nonzero(m))
                    src = np.empty_like(W[bank])
                    src[0] = sched.t_data[t]
                    src[1:] = W[bank][:-1]
                    W[bank] = np.where(m, src, W[bank])
                    loading[bank] |= m
                    loading[bank][:, done_col & (ts == bank)] = False
                pl_step = np.where(tv, (pl_step + 1) % R, pl_step)
        if d > 1:
            PIPE[1:] = PIPE[:-1].copy()
    return ArrayOutput(o_valid, o_data, pe_ops, w_writes)
