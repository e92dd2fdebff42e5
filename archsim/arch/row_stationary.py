"""Cycle-stepped (exact) model of the row-stationary array of :mod:`archsim.dataflow.row_stationary`.

:func:`rs_exact_conv` runs a convolution pass by pass, one cycle at a time, vectorized over every
PE of every set with numpy: each PE multiplies its stationary filter row with its input row (one
MAC per cycle), finished psums wait in the PE's psum scratchpad, and the column's psum chain moves
them up one PE per cycle, each PE adding its own.  Outputs leave the top PE row; the pass ends
when its last output has left.  The result is checked against a direct convolution; property
tests hold the stepped cycle count equal to the closed form (:meth:`RsPlan.cycles`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from archsim.core.errors import ConfigError, SimulationError
from archsim.dataflow.row_stationary import RsPlan, plan_rs
from archsim.workloads.op import ConvShape

#: Largest exact run accepted: passes x pass cycles x PEs (numpy work per cycle is ~PEs).
EXACT_MAX_WORK = 2_000_000_000


@dataclass
class RsExact:
    """Outcome of an exact RS run: ``cycles``, the ``output`` (n x k x p x q int64), MACs performed."""

    cycles: int
    output: np.ndarray
    macs: int


def reference_conv(x: np.ndarray, wt: np.ndarray, shape: ConvShape) -> np.ndarray:
    """Direct convolution (numpy over channels and pixels): ``x`` n x c x h x w, ``wt`` k x c/g x r x s."""
    g, P, Q = shape.groups, shape.p, shape.q
    pad = shape.padding
    xp = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    cg, kg = shape.c // g, shape.k // g
    out = np.zeros((shape.n, shape.k, P, Q), dtype=np.int64)
    hs = np.arange(P) * shape.stride
    ws = np.arange(Q) * shape.stride
    for gi in range(g):
        for r in range(shape.r):
            for s in range(shape.s):
                patch = xp[:, gi * cg:(gi + 1) * cg][:, :, hs + r * shape.dilation][:, :, :, ws + s * shape.dilation]
                out[:, gi * kg:(gi + 1) * kg] += np.einsum("nchw,kc->nkhw", patch, wt[gi * kg:(gi + 1) * kg, :, r, s])
    return out


def _run_pass(W: np.ndarray, X: np.ndarray, shape: ConvShape) -> tuple[np.ndarray, int]:
    """Step one pass.  ``W``: sets x r x s filter rows; ``X``: sets x r x e x padded-width input rows.

    Returns (sets x e x q outputs, cycles of the pass).
    """
    U, R, E = X.shape[:3]
    S, Q, st, dil = shape.s, shape.q, shape.stride, shape.dilation
    acc = np.zeros((U, R, E), dtype=np.int64)
    own = np.zeros((U, R, E, Q), dtype=np.int64)  # psum scratchpads
    done = 0  # outputs finished by every PE (the PEs run in lockstep)
    reg_v = np.zeros((U, R, E), dtype=np.int64)  # psum-chain registers
    reg_q = np.full(R, -1, dtype=np.int64)  # which output each row's register holds (-1: empty)
    head = np.zeros(R, dtype=np.int64)  # next own psum each row adds to the chain
    out = np.zeros((U, E, Q), dtype=np.int64)
    emitted = 0
    t = 0
    while emitted < Q:
        if t < Q * S:  # MAC: output q, tap s of every PE
            q, s = divmod(t, S)
            acc += W[:, :, s][:, :, None] * X[:, :, :, q * st + s * dil]
            if s == S - 1:
                own[..., q] = acc
                acc[...] = 0
                done = q + 1
        new_v = np.zeros_like(reg_v)
        new_q = np.full(R, -1, dtype=np.int64)
        for i in range(R - 1, -1, -1):  # end-of-cycle register updates (old values on the right)
            if i == R - 1:
                if head[i] < done:
                    new_v[:, i] = own[:, i, :, head[i]]
                    new_q[i] = head[i]
                    head[i] += 1
            elif reg_q[i + 1] >= 0:
                q = reg_q[i + 1]
                if q != head[i] or q >= done:
                    raise SimulationError(f"cycle {t}: psum of output {q} reaches PE row {i} out of order")
                new_v[:, i] = reg_v[:, i + 1] + own[:, i, :, q]
                new_q[i] = q
                head[i] += 1
        reg_v, reg_q = new_v, new_q
        if reg_q[0] >= 0:  # the top row latched a finished output this cycle
            out[:, :, reg_q[0]] = reg_v[:, 0]
            emitted += 1
        t += 1
    return out, t


def rs_exact_conv(shape: ConvShape, rows: int, cols: int, x: np.ndarray | None = None,
                  wt: np.ndarray | None = None, seed: int = 0) -> RsExact:
    """Run ``shape`` on the RS array one cycle at a time; return cycles, output and MACs.

    ``x`` (n x c x h x w) and ``wt`` (k x c/groups x r x s) integer operands; random int8 if omitted.
    Raises :class:`SimulationError` if the output differs from :func:`reference_conv`; the cycles are
    what the stepping took (tests compare them with the closed form, :meth:`RsPlan.cycles`).
    """
    plan: RsPlan = plan_rs(shape, rows, cols)
    work = plan.passes * plan.pass_cycles * rows * cols
    if work > EXACT_MAX_WORK:
        raise ConfigError(f"exact row-stationary run too large ({work:.3g} PE-cycles > {EXACT_MAX_WORK:.0e}); "
                          "use the fast model (rs_cycles), which gives the same cycles")
    rng = np.random.default_rng(seed)
    sh = shape
    cg, kg = sh.c // sh.groups, sh.k // sh.groups
    if x is None:
        x = rng.integers(-128, 128, (sh.n, sh.c, sh.h, sh.w))
    if wt is None:
        wt = rng.integers(-128, 128, (sh.k, cg, sh.r, sh.s))
    x = np.asarray(x, dtype=np.int64)
    wt = np.asarray(wt, dtype=np.int64)
    pad = sh.padding
    e, R = plan.e, sh.r
    # padded input, with extra zero rows so idle PEs of the last strip read zeros
    need_h = (plan.strips * e - 1) * sh.stride + (R - 1) * sh.dilation + 1
    xp = np.zeros((sh.n, sh.c, max(need_h, sh.h + 2 * pad), sh.w + 2 * pad), dtype=np.int64)
    xp[:, :, pad:pad + sh.h, pad:pad + sh.w] = x
    units = plan.unit_index()  # image, out channel, in channel within group, strip
    out = np.zeros((sh.n, sh.k, plan.strips * e, sh.q), dtype=np.int64)
    ee = np.arange(e)
    rr = np.arange(R)
    cycles = 0
    macs = 0
    for p0 in range(0, len(units), plan.sets):
        u = units[p0:p0 + plan.sets]
        img, ko, ci, strip = u.T
        cin = (ko // kg) * cg + ci
        W = wt[ko, ci]  # sets x r x s
        rows_idx = ((strip[:, None, None] * e + ee[None, None, :]) * sh.stride
                    + rr[None, :, None] * sh.dilation)  # sets x r x e
        X = xp[img[:, None, None], cin[:, None, None], rows_idx]  # sets x r x e x width
        res, t = _run_pass(W, X, sh)
        cycles += t
        valid = (strip[:, None] * e + ee[None, :]) < sh.p
        macs += int(valid.sum()) * R * sh.s * sh.q
        np.add.at(out, (img[:, None], ko[:, None], strip[:, None] * e + ee[None, :]), res)
    out = out[:, :, :sh.p]
    want = reference_conv(x, wt, sh)
    if not np.array_equal(out, want):
        raise SimulationError("row-stationary output differs from the direct convolution")
    return RsExact(cycles, out, macs)
