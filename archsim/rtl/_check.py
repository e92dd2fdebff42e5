"""RTL-vs-model cross-checks: the top two rungs of the exactness ladder compared cycle by cycle.

:func:`run_array_gemms` drives one built array with many GEMMs in a single
simulation (the edge schedule of :func:`archsim.arch.systolic_schedule`);
:func:`check_array` compares each run with

* numpy (``A @ B``, assembled from the RTL outputs by ``EdgeSchedule.result``),
* the exact model (:func:`archsim.arch.simulate_array`): every output valid bit
  and value on every cycle,
* the cycle count ``T`` (``docs/microarch.md`` §5: last cycle with a valid
  output + 1, cycle 0 = first valid input) of the RTL, the exact model (cycle
  stepping, the same code ``SystolicArray.run(exact=True)`` checks itself with),
  the fast closed form :func:`archsim.arch.systolic_compute_cycles`, the
  schedule's length and the ``compute_cycles`` column of
  ``archsim.arch.SystolicArray.run``.

:func:`check_pe` does the same for the standalone PE variants against their
behavioural models in :mod:`archsim.pe`.  Both return a list of mismatch
descriptions (empty = all equal); nothing is tolerated or adjusted.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from archsim.arch import ArrayOutput, simulate_array, systolic_compute_cycles, systolic_schedule
from archsim.dataflow import dataflow_names, get_dataflow
from archsim.dataflow.systolic import plan_folds
from archsim.rtl._array import systolic_array
from archsim.rtl._build import simulate
from archsim.rtl._pe import StreamPE

__all__ = ["ArrayCase", "CaseResult", "SuiteDesign", "check_array", "check_pe", "random_pe_tasks", "random_suite",
           "run_array_gemms",
           "run_suite"]


@dataclass(frozen=True)
class ArrayCase:
    """One GEMM on one array: ``A`` (M x K) and ``B`` (K x N) integer operands, ``dataflow`` os|ws|is.

    ``max_chunk`` > 0 splits each fold's stream into chunks of at most that many elements (the
    buffer-limited mapping, variable-length folds); ``stall_seed`` delays every fold after the first
    by a random 0..``max_stall`` cycles on top of its earliest legal start (and preload), as memory
    stalls do.  With stalls the ideal-memory closed form does not apply: only RTL == exact ==
    schedule is checked for the cycle count.
    """

    A: np.ndarray
    B: np.ndarray
    dataflow: str
    max_chunk: int = 0
    stall_seed: int | None = None
    max_stall: int = 4

    @property
    def shape(self) -> tuple[int, int, int]:
        """Return (M, K, N)."""
        return self.A.shape[0], self.A.shape[1], self.B.shape[1]


@dataclass
class CaseResult:
    """Outcome of one cross-checked GEMM: cycle counts from each rung and the mismatches found."""

    rows: int
    cols: int
    mac_depth: int
    dataflow: str
    M: int
    K: int
    N: int
    rtl_cycles: int
    exact_cycles: int
    fast_cycles: int | None
    schedule_cycles: int
    design_cycles: int | None
    errors: list[str] = field(default_factory=list)
    schedule: str = "ideal"

    def describe(self) -> str:
        """Return a one-line description: shape, the four cycle counts and the first error."""
        head = (f"R={self.rows} C={self.cols} d={self.mac_depth} {self.dataflow} M={self.M} K={self.K} N={self.N} "
                f"({self.schedule}): "
                f"rtl={self.rtl_cycles} exact={self.exact_cycles} fast={self.fast_cycles} "
                f"schedule={self.schedule_cycles} design={self.design_cycles}")
        return head + (f" -- {self.errors[0]}" if self.errors else " ok")


def _pack_lanes(arr: np.ndarray, bits: int) -> list[int]:
    """Return one unsigned int per row of ``arr`` (T x lanes), lane ``i`` in bits ``i*bits ..``."""
    vals = (np.asarray(arr).astype(np.int64) & ((1 << bits) - 1)).astype(object)
    out = np.zeros(vals.shape[0], dtype=object)
    for i in range(vals.shape[1]):
        out = out + (vals[:, i] << (i * bits))
    return [int(x) for x in out]


def _unpack_lanes(words: Sequence[int], lanes: int, bits: int) -> np.ndarray:
    mask, half = (1 << bits) - 1, 1 << (bits - 1)
    out = np.zeros((len(words), lanes), dtype=np.int64)
    for t, w in enumerate(words):
        for i in range(lanes):
            v = (w >> (i * bits)) & mask
            out[t, i] = v - (1 << bits) if v & half else v
    return out


def stalled_fold_times(L: Sequence[int], rows: int, preload: bool, rng: np.random.Generator,
                       max_stall: int) -> tuple[np.ndarray, np.ndarray]:
    """Return ``(S, P)``: each fold's earliest legal start / preload (``docs/microarch.md`` §3 rules, as in
    ``archsim.dataflow``'s ``fold_starts``) plus a random delay of 0..``max_stall`` cycles (fold 0 undelayed).

    Every rule is a lower bound, so delayed times stay legal (``simulate_array`` raises otherwise).
    """
    R = rows
    S = [0] * len(L)
    P = [-1] * len(L)
    for f in range(len(L)):
        ds, dp = (0, 0) if f == 0 else (int(x) for x in rng.integers(0, max_stall + 1, 2))
        if preload:
            p = 0 if f == 0 else P[f - 1] + R
            if f >= 2:
                p = max(p, S[f - 2] + L[f - 2] - 1)
            P[f] = p + dp
            S[f] = (P[f] + R if f == 0 else max(S[f - 1] + L[f - 1], P[f] + R)) + ds
        elif f:
            S[f] = S[f - 1] + max(L[f - 1], L[f - 1] - L[f] + R) + ds
    return np.asarray(S, dtype=np.int64), np.asarray(P, dtype=np.int64)


def _schedule(case: ArrayCase, rows: int, cols: int, mac_depth: int, acc_bits: int):
    A, B = case.A.astype(np.int64), case.B.astype(np.int64)
    starts = preloads = None
    if case.stall_seed is not None:
        M, K, N = case.shape
        plan = plan_folds(case.dataflow, rows, cols, M, K, N, 1, case.max_chunk)
        L = [int(x) for x in plan.fold_arrays["L"]]
        starts, preloads = stalled_fold_times(L, rows, plan.preload, np.random.default_rng(case.stall_seed),
                                              case.max_stall)
    return systolic_schedule(A, B, rows, cols, case.dataflow, mac_depth=mac_depth, acc_bits=acc_bits,
                             starts=starts, preloads=preloads, max_chunk=case.max_chunk)


def run_array_gemms(rows: int, cols: int, variant: str, cases: Sequence[ArrayCase], *, mac_depth: int = 1,
                    data_bits: int = 8, acc_bits: int = 32, simulator: str | None = None,
                    waves: bool = False) -> tuple[list[tuple[Any, np.ndarray, np.ndarray]], dict[str, Any]]:
    """Return per case ``(schedule, rtl_o_valid, rtl_o_data)`` (numpy, cycles x cols) and the simulation info.

    All ``cases`` run back to back in one simulation of one build of the
    ``variant`` (``os`` | ``stationary``) array; each is driven for its
    schedule's ``n_cycles`` plus ``rows + cols + mac_depth + 8`` idle cycles so
    a late output would be seen.
    """
    array = systolic_array(rows, cols, "os" if variant == "os" else "ws", mac_depth, data_bits, acc_bits)
    ports = array.edge_ports()
    bits = {"l_data": data_bits, "t_data": data_bits}
    margin = rows + cols + mac_depth + 8
    scheds, gemms = [], []
    for case in cases:
        if get_dataflow(case.dataflow).hardware != array.variant:
            raise ValueError(f"case dataflow {case.dataflow} does not run on the {array.variant} array")
        s = _schedule(case, rows, cols, mac_depth, acc_bits)
        cols_packed = [_pack_lanes(getattr(s, p), bits.get(p, 1)) for p in ports]
        gemms.append({"cycles": s.n_cycles + margin, "inputs": [list(r) for r in zip(*cols_packed, strict=True)]})
        scheds.append(s)
    res = simulate(array, "archsim_tb_array", {"ports": ports, "gemms": gemms},
                   name=f"{array.variant}_array_{rows}x{cols}_d{mac_depth}", simulator=simulator, waves=waves)
    runs = []
    for s, g in zip(scheds, res["gemms"], strict=True):
        valid = np.array([[(w >> j) & 1 for j in range(cols)] for w in g["o_valid"]], dtype=bool)
        runs.append((s, valid, _unpack_lanes(g["o_data"], cols, acc_bits)))
    info = {k: v for k, v in res.items() if k != "gemms"}
    return runs, info


def _wrap(x: np.ndarray, bits: int) -> np.ndarray:
    half = 1 << (bits - 1)
    return ((x + half) % (1 << bits)) - half


def _design_compute_cycles(rows: int, cols: int, case: ArrayCase, mac_depth: int) -> int:
    """Return ``compute_cycles`` of the GEMM on ``archsim.arch.SystolicArray`` (its default fast run)."""
    from archsim.arch.systolic import SystolicArray
    from archsim.workloads import Op

    M, K, N = case.shape
    design = SystolicArray(rows=rows, cols=cols, dataflow=case.dataflow, mac_depth=mac_depth)
    op = Op(name="gemm", kind="gemm", M=M, K=K, N=N, a_precision="int8", b_precision="int8", out_precision="int32")
    return int(design.run(op).ops["compute_cycles"].iloc[0])


def _compare(case: ArrayCase, sched, rtl_valid: np.ndarray, rtl_data: np.ndarray, mac_depth: int,
             acc_bits: int) -> CaseResult:
    R, C = sched.rows, sched.cols
    M, K, N = case.shape
    exact = simulate_array(sched)
    rows_valid = np.flatnonzero(rtl_valid.any(axis=1))
    rtl_T = int(rows_valid[-1]) + 1 if rows_valid.size else 0
    stalled = case.stall_seed is not None
    if stalled:
        fast = design = None
    elif case.max_chunk:
        fast = plan_folds(case.dataflow, R, C, M, K, N, 1, case.max_chunk).compute_cycles(mac_depth)
        design = None
    else:
        fast = systolic_compute_cycles(R, C, M, K, N, case.dataflow, mac_depth=mac_depth)
        design = _design_compute_cycles(R, C, case, mac_depth)
    kind = "ideal" if not (stalled or case.max_chunk) else \
        ", ".join(x for x in (f"chunk {case.max_chunk}" if case.max_chunk else "",
                              f"stalls <= {case.max_stall}" if stalled else "") if x)
    res = CaseResult(R, C, mac_depth, case.dataflow, M, K, N, rtl_cycles=rtl_T,
                     exact_cycles=exact.last_valid_cycle + 1, fast_cycles=fast,
                     schedule_cycles=sched.n_cycles, design_cycles=design, schedule=kind)
    T = sched.n_cycles
    counts = {"exact": res.exact_cycles, "fast": res.fast_cycles, "schedule": res.schedule_cycles,
              "design": res.design_cycles}
    for name, value in counts.items():
        if value is not None and value != rtl_T:
            res.errors.append(f"cycle count: rtl {rtl_T} != {name} {value}")
    tail_valid = np.argwhere(rtl_valid[T:])
    if tail_valid.size:
        t, j = tail_valid[0]
        res.errors.append(f"rtl output valid after the schedule ends: cycle {T + t} column {j}")
    dv = np.argwhere(rtl_valid[:T] != exact.o_valid)
    if dv.size:
        t, j = dv[0]
        res.errors.append(f"o_valid differs at cycle {t} column {j}: rtl {int(rtl_valid[t, j])} "
                          f"exact {int(exact.o_valid[t, j])}")
    dd = np.argwhere(rtl_data[:T] != exact.o_data)
    if dd.size:
        t, j = dd[0]
        res.errors.append(f"o_data differs at cycle {t} column {j}: rtl {rtl_data[t, j]} exact {exact.o_data[t, j]}")
    if not dv.size:
        got = sched.result(ArrayOutput(rtl_valid[:T], rtl_data[:T]))[0]
        want = _wrap(case.A.astype(np.int64) @ case.B.astype(np.int64), acc_bits)
        if not np.array_equal(got, want):
            m, n = np.argwhere(got != want)[0]
            res.errors.append(f"result differs from numpy at [{m}, {n}]: rtl {got[m, n]} numpy {want[m, n]}")
    return res


def check_array(rows: int, cols: int, variant: str, cases: Sequence[ArrayCase], *, mac_depth: int = 1,
                data_bits: int = 8, acc_bits: int = 32, simulator: str | None = None,
                waves: bool = False) -> list[CaseResult]:
    """Return one :class:`CaseResult` per case after running all ``cases`` on one RTL array build."""
    runs, _ = run_array_gemms(rows, cols, variant, cases, mac_depth=mac_depth, data_bits=data_bits,
                              acc_bits=acc_bits, simulator=simulator, waves=waves)
    return [_compare(c, s, v, d, mac_depth, acc_bits) for c, (s, v, d) in zip(cases, runs, strict=True)]


def check_pe(pe: StreamPE, model: Any, tasks: Sequence[tuple[Sequence[int], Sequence[int]]], *,
             simulator: str | None = None) -> list[str]:
    """Return mismatches between the RTL ``pe`` and its behavioural ``model`` on dot-product ``tasks``.

    ``model`` provides ``cycles(k)``, ``issue_cycles(k)`` and ``dot(a, b)`` (e.g.
    :class:`archsim.pe.bitserial.BitSerialMac`).  Each task is run alone and checked against numpy,
    ``model.dot`` and ``model.cycles``; then all tasks run back to back and result ``i`` must be
    valid at cycle ``sum(issue_cycles(k_j), j < i) + cycles(k_i)`` (throughput).
    """
    job = {"lanes": pe.lanes, "a_bits": pe.a_bits, "b_bits": pe.b_bits, "stream": True,
           "tasks": [[list(a), list(b)] for a, b in tasks]}
    res = simulate(pe, "archsim_tb_pe", job, name=f"{pe.variant}_pe", simulator=simulator)
    errors = []
    for (a, b), got in zip(tasks, res["tasks"], strict=True):
        want = int(_wrap(np.dot(np.asarray(a, np.int64), np.asarray(b, np.int64)), pe.acc_bits))
        m_out, m_cycles = model.dot(a, b), model.cycles(len(a))
        if not got["out"] == want == m_out:
            errors.append(f"{pe.variant} k={len(a)}: out rtl {got['out']} numpy {want} model {m_out}")
        if got["cycles"] != m_cycles:
            errors.append(f"{pe.variant} k={len(a)}: cycles rtl {got['cycles']} model {m_cycles}")
    # back to back: result i is valid issue(0..i-1) + cycles(k_i) after the first beat
    start = 0
    if len(res["stream"]) != len(tasks):
        errors.append(f"{pe.variant} stream: {len(res['stream'])} results for {len(tasks)} tasks")
    for i, ((a, b), got) in enumerate(zip(tasks, res["stream"], strict=False)):
        want_cycle = start + model.cycles(len(a))
        if got["cycle"] != want_cycle or got["out"] != model.dot(a, b):
            errors.append(f"{pe.variant} stream task {i} (k={len(a)}): rtl {got['out']} at cycle {got['cycle']}, "
                          f"model {model.dot(a, b)} at cycle {want_cycle}")
        start += model.issue_cycles(len(a))
    return errors


#: operand patterns of the random suite: uniform random and the extremes of int8/int4
PATTERNS = ("random", "min", "max", "min_max", "extremes")


def _operands(rng: np.random.Generator, shape: tuple[int, int], pattern: str, bits: int) -> np.ndarray:
    lo, hi = -(1 << (bits - 1)), (1 << (bits - 1)) - 1
    if pattern == "min":
        return np.full(shape, lo, dtype=np.int64)
    if pattern == "max":
        return np.full(shape, hi, dtype=np.int64)
    if pattern == "extremes":
        return rng.choice(np.array([lo, hi, 0, -1, 1]), size=shape).astype(np.int64)
    return rng.integers(lo, hi + 1, size=shape, dtype=np.int64)


@dataclass(frozen=True)
class SuiteDesign:
    """One array build of the random suite and the GEMMs run through it."""

    rows: int
    cols: int
    mac_depth: int
    variant: str
    data_bits: int
    acc_bits: int
    cases: tuple[ArrayCase, ...]


def random_suite(seed: int = 0, designs_per_variant: int = 6, cases_per_design: int = 10,
                 max_dim: int = 24, max_array: int = 8, irregular: bool = True) -> list[SuiteDesign]:
    """Return the random cross-check suite: per variant (os, stationary) ``designs_per_variant`` arrays.

    Arrays: the corners ``1 x 1`` (depth 1) and ``max_array x max_array`` (depth 3) first, then
    random ``R, C in 1..max_array``, ``mac_depth in 1..3``; the last design of each variant is int4
    (4-bit operands, 16-bit accumulators), the others int8 / int32.  Each array runs
    ``cases_per_design`` GEMMs on the ideal-memory schedule with ``M, K, N in 1..max_dim``
    (stationary arrays alternate WS and IS) and operands drawn from :data:`PATTERNS` (random, all
    -128, all 127, A=-128 x B=127, mixed extremes).  ``irregular`` adds two GEMMs per array: one with
    the stream split into random chunks (variable-length folds) and one with random fold stalls.
    """
    rng = np.random.default_rng(seed)
    suite = []
    for variant in ("os", "stationary"):
        dataflows = tuple(n for n in dataflow_names() if get_dataflow(n).hardware == variant)
        for n in range(designs_per_variant):
            if n == 0:
                R, C, d = 1, 1, 1
            elif n == 1:
                R, C, d = max_array, max_array, 3
            else:
                R, C, d = (int(x) for x in (*rng.integers(1, max_array + 1, 2), rng.integers(1, 4)))
            int4 = n == designs_per_variant - 1 and designs_per_variant > 2
            bits, acc = (4, 16) if int4 else (8, 32)
            cases = []
            for c in range(cases_per_design + (2 if irregular else 0)):
                M, K, N = (int(x) for x in rng.integers(1, max_dim + 1, 3))
                pattern = PATTERNS[c % len(PATTERNS)] if c < len(PATTERNS) else "random"
                if pattern == "min_max":
                    A = _operands(rng, (M, K), "min", bits)
                    B = _operands(rng, (K, N), "max", bits)
                else:
                    A = _operands(rng, (M, K), pattern, bits)
                    B = _operands(rng, (K, N), pattern, bits)
                df = dataflows[c % len(dataflows)]
                chunk, stall = 0, None
                if c >= cases_per_design:  # the irregular schedules
                    stream = get_dataflow(df).stream(M, K, N)
                    chunk = int(rng.integers(1, stream)) if stream > 1 else 0
                    if c == cases_per_design + 1:
                        stall = int(rng.integers(1 << 30))
                        chunk = chunk if rng.integers(2) else 0
                cases.append(ArrayCase(A, B, df, max_chunk=chunk, stall_seed=stall))
            suite.append(SuiteDesign(R, C, d, variant, bits, acc, tuple(cases)))
    return suite


def run_suite(suite: Sequence[SuiteDesign], *, simulator: str | None = None,
              progress: Any = None) -> list[CaseResult]:
    """Return the :class:`CaseResult` of every GEMM of ``suite`` (one simulation per design).

    ``progress``, if given, is called with each design's results as they finish.
    """
    results: list[CaseResult] = []
    for design in suite:
        res = check_array(design.rows, design.cols, design.variant, design.cases, mac_depth=design.mac_depth,
                          data_bits=design.data_bits, acc_bits=design.acc_bits, simulator=simulator)
        results.extend(res)
        if progress is not None:
            progress(design, res)
    return results


def random_pe_tasks(bits: int, n: int = 12, seed: int = 0, max_k: int = 24) -> list[tuple[list[int], list[int]]]:
    """Return ``n`` dot-product tasks (lengths 1..max_k) over :data:`PATTERNS` for ``bits``-bit operands."""
    rng = np.random.default_rng(seed)
    tasks = []
    for t in range(n):
        k = int(rng.integers(1, max_k + 1))
        pattern = PATTERNS[t % len(PATTERNS)]
        if pattern == "min_max":
            a, b = _operands(rng, (k,), "min", bits), _operands(rng, (k,), "max", bits)
        else:
            a, b = _operands(rng, (k,), pattern, bits), _operands(rng, (k,), pattern, bits)
        tasks.append(([int(x) for x in a], [int(x) for x in b]))
    return tasks
