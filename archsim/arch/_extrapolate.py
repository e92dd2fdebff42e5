"""Fast systolic timing whose time and memory do not grow with the number of identical folds.

A fold plan is four nested loops (batch, then the dataflow's three tile loops).  Every loop's
iterations are identical except its last one (a partial tile or a shorter stream chunk), so the
plan restricted to the first ``x`` iterations of a loop plus its last one is the same controller
problem with fewer repetitions.  Once the double-buffered controller and the memory are in a steady
state, every total the fast model reports (cycles, stall cycles, traffic bytes, memory actions) is
a multilinear function of the kept counts ``x_j`` of the long loops.  :func:`extrapolated_totals`

1. runs :func:`archsim.arch._timing.fast_timing` on the restricted plans at ``x_j in {a_j, a_j + p}``
   (``2^D`` small plans, D = number of long loops; ``a_j >= k`` warm-up iterations with
   ``x_j - a_j`` a multiple of the period ``p``, see :data:`PERIODS`),
2. predicts every total at the plan's real counts by multilinear extrapolation (exact integer
   arithmetic), and
3. checks the model on ``2D + 1`` further restricted plans (each long loop at ``a_j + 2p`` and about
   ``2k`` beyond the fitted ones, and all of them at ``a_j + 2p``); any mismatch (no steady state yet,
   a period of several folds) falls back
   to the full event loop, or, above :data:`FULL_FOLDS_LIMIT` folds, refuses the op up front with the
   estimate.

Only memories whose timing depends on nothing but the request sizes and times are extrapolated
(:class:`archsim.memory.interface.BandwidthMemory`): the cycle-level DRAM's row hits depend on addresses
and its refresh on absolute time, and a test found a 3-cycle error that the checks above did not catch,
so DRAM-backed ops always run the full event loop (up to the limit).

Tests hold the extrapolated totals equal to the full event loop on random shapes, dataflows, loop
orders and memories (``tests/arch/test_fold_extrapolation.py``); the fast == exact property tests
are unchanged (their shapes stay below :data:`EXTRAPOLATE_ABOVE`).
"""

from __future__ import annotations

import copy
import itertools
from collections.abc import Callable
from typing import Any

import numpy as np

from archsim.arch._timing import fast_timing
from archsim.core.errors import ConfigError
from archsim.dataflow.systolic import FoldPlan

#: Plans with more folds than this are extrapolated (smaller ones run the full event loop).
EXTRAPOLATE_ABOVE = 20_000
#: Largest plan the full event loop may run when extrapolation does not verify: about 6 us and
#: ~600 bytes per fold (per-fold arrays and the controller's lists), i.e. ~6 s and ~0.6 GB.
FULL_FOLDS_LIMIT = 1_000_000
#: Most folds one fitted (restricted) plan may have.
SUB_FOLDS_LIMIT = 20_000
#: Interior iterations kept per long loop in the fitted plans (the controller is double-buffered:
#: its state depends on the last two folds, so a few iterations reach the steady state).
KEEP = (4, 8)
#: Periods (in iterations of a loop) tried.  Loops whose folds alternate between two stall patterns exist
#: (gemmini, 100000^3: period 2), but fitting period 2 gave a 2-cycle error that the checks missed
#: (tests/arch/test_fold_extrapolation.py found it: IS 1x5 array, M=6 K=21 N=4, chunk 3, 0.5 GB/s), so only
#: period 1 is used: such ops run the full event loop, or are refused above FULL_FOLDS_LIMIT.
PERIODS = (1,)

Totals = dict[str, int]


class SubPlan:
    """``plan`` restricted to a subset of each fold loop's indices (in loop order: batch, l1, l2, l3).

    Quacks like :class:`FoldPlan` for the controller and the traffic model: same per-fold fields
    (computed by the dataflow from the real loop indices), fewer folds.
    """

    def __init__(self, plan: FoldPlan, keep: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]) -> None:
        self._plan = plan
        self._keep = keep
        self.folds = int(np.prod([len(k) for k in keep]))

    def __getattr__(self, name: str) -> Any:  # everything but the per-fold arrays is the full plan's
        return getattr(self._plan, name)

    @property
    def fold_arrays(self) -> dict[str, np.ndarray]:
        cached = self.__dict__.get("_fa")
        if cached is not None:
            return cached
        plan = self._plan
        grid = (x.ravel().astype(np.int64) for x in np.meshgrid(*self._keep, indexing="ij"))  # iteration order
        if plan.order == "swapped":  # iteration order batch, l2, l1, l3
            b, i2, i1, i3 = grid
        else:
            b, i1, i2, i3 = grid
        out = {"b": b}
        out.update(plan.flow.fold_fields(plan, b, i1, i2, i3))
        for key in ("out_first", "out_last", "L", "a_elems", "b_elems", "out_elems"):
            out[key] = np.asarray(out[key]).astype(np.int64)
        self.__dict__["_fa"] = out
        return out

    def scope_elems(self) -> tuple[np.ndarray, np.ndarray]:
        fa = self.fold_arrays
        if self._plan.order == "swapped":
            return self._plan.flow.swapped_scope_elems(self, fa)
        return self._plan.flow.scope_elems(self, fa)


def loop_counts(plan: FoldPlan) -> tuple[int, int, int, int]:
    """Trip counts of the four fold loops in iteration order (batch first)."""
    l1, l2, l3 = plan.loops
    return (plan.batch, l2, l1, l3) if plan.order == "swapped" else (plan.batch, l1, l2, l3)


def _keep(n: int, x: int | None) -> np.ndarray:
    """Indices kept of a loop of ``n`` iterations: all (``x`` None), or ``x + 1`` of them: the first ``x - 1``
    and the real last two (so the ending - the second-to-last iteration followed by the last one, where
    stores and partial tiles meet - is the full plan's; only one junction in the steady state is artificial)."""
    if x is None or x >= n - 1:
        return np.arange(n, dtype=np.int64)
    return np.array([*range(x - 1), n - 2, n - 1], dtype=np.int64)


def measure(plan: Any, port: Any, mac_depth: int, traffic_of: Callable[[Any], dict]) -> Totals:
    """Return the totals of one (sub-)plan run by the fast event loop on ``port`` (reset first)."""
    tr = traffic_of(plan)
    port.reset()
    t = fast_timing(plan, tr, port, mac_depth)
    out: Totals = {"cycles": int(t.cycles), "last_output": int(t.last_output), "folds": int(plan.folds),
                   "L_total": int(plan.fold_arrays["L"].sum())}
    for k, v in t.raw_stalls.items():
        out[f"raw_{k}"] = int(v)
    for k, v in tr.items():
        out[f"tr_{k}"] = int(v.sum())
    for k, v in port.actions().items():
        out[f"act_{k}"] = int(v)
    if not plan.uniform:  # compute cycles with ideal memory: the recurrence over the (sub-)plan's own folds
        out["compute"] = int(FoldPlan.compute_cycles(plan, mac_depth))
    return out


def _predict(corners: dict[tuple[int, ...], Totals], lo: tuple[int, ...], step: int,
             target: tuple[int, ...]) -> Totals | None:
    """Multilinear extrapolation from the corners ``prod_j {lo_j, lo_j + step}`` to ``target`` (exact:
    ``target_j - lo_j`` is a multiple of ``step``, so every weight is an integer)."""
    keys = set.intersection(*(set(v) for v in corners.values()))
    if any(set(v) != keys for v in corners.values()):
        return None  # a memory action appeared in some plans only: not one steady state
    weights = {}
    for corner in corners:
        w = 1
        for c, a, x in zip(corner, lo, target, strict=True):
            w *= (a + step - x) // step if c == a else (x - a) // step
        weights[corner] = w
    return {key: sum(w * corners[c][key] for c, w in weights.items()) for key in keys}


def extrapolated_totals(plan: FoldPlan, port: Any, mac_depth: int, traffic_of: Callable[[Any], dict],
                        op_name: str = "op") -> Totals:
    """Return the totals of ``plan`` (see :func:`measure`) without materializing its folds when it has
    more than :data:`EXTRAPOLATE_ABOVE`; ``port`` is used as scratch (reset between runs)."""
    from archsim.memory.interface import BandwidthMemory

    if plan.folds <= EXTRAPOLATE_ABOVE:
        return measure(plan, port, mac_depth, traffic_of)
    if not isinstance(port, BandwidthMemory):
        return _extrapolate(plan, port, mac_depth, traffic_of, op_name, keep=())
    return _extrapolate(plan, port, mac_depth, traffic_of, op_name)


def _extrapolate(plan: FoldPlan, port: Any, mac_depth: int, traffic_of: Callable[[Any], dict],
                 op_name: str = "op", full_limit: int | None = None, keep: tuple[int, ...] | None = None) -> Totals:
    full_limit = FULL_FOLDS_LIMIT if full_limit is None else full_limit
    counts = loop_counts(plan)
    why = ("DRAM timing depends on addresses and refresh" if keep == () else
           "no steady state found over repeated folds")
    for step in (() if keep == () else PERIODS):
        for k in KEEP if keep is None else keep:
            result = _try(plan, port, mac_depth, traffic_of, counts, k, step)
            if result is not None:
                return result
    if plan.folds <= full_limit:
        return measure(plan, port, mac_depth, traffic_of)
    raise ConfigError(
        f"op {op_name!r} has {plan.folds:,} folds and its timing cannot be extrapolated ({why}), so the fast "
        f"model would step every fold: about "
        f"{plan.folds * 6e-6:.3g} s and {plan.folds * 600 / 2**30:.3g} GiB (limit {full_limit:,} folds); "
        f"use the bandwidth memory model (memory: null) or split the op"
    )


def _try(plan: FoldPlan, port: Any, mac_depth: int, traffic_of: Callable[[Any], dict],
         counts: tuple[int, ...], k: int, step: int) -> Totals | None:
    """One fit with ``k`` warm-up iterations and period ``step`` (folds of a loop may alternate, e.g. two
    different stall patterns); None when it does not verify or would need too many folds."""
    far = step * -(-2 * k // step)  # the far check: about 2k iterations beyond the fitted ones
    lo_all = [k + (n - 1 - k) % step for n in counts]
    long = [j for j, n in enumerate(counts) if n - 1 > lo_all[j] + step + far]
    if not long:
        return None
    lo = tuple(lo_all[j] for j in long)
    shorts = int(np.prod([counts[j] for j in range(4) if j not in long]))
    sizes = [a + step + far + 1 for a in lo]
    biggest = shorts * max(max(sizes) * int(np.prod([a + step + 1 for a in lo])) // (max(lo) + step + 1),
                           int(np.prod([a + 2 * step + 1 for a in lo])))
    if biggest > SUB_FOLDS_LIMIT:
        return None

    def sub(xs: tuple[int, ...]) -> SubPlan:
        chosen = dict(zip(long, xs, strict=True))
        return SubPlan(plan, tuple(_keep(n, chosen.get(j)) for j, n in enumerate(counts)))  # type: ignore[arg-type]

    corners = {c: measure(sub(c), port, mac_depth, traffic_of)
               for c in itertools.product(*[(a, a + step) for a in lo])}
    # every total is cumulative: one more iteration never lowers it.  A total that shrinks per iteration is a
    # slack being used up (e.g. the final store's wait) and will hit its floor somewhere beyond the fitted
    # plans - a breakpoint no check can be sure to see - so such plans are not extrapolated.
    for c, vals in corners.items():
        for j, a in enumerate(lo):
            if c[j] == a:
                nxt = corners[tuple(a + step if i == j else x for i, x in enumerate(c))]
                if any(nxt.get(key, 0) < v for key, v in vals.items()):
                    return None
    checks = [tuple(a + x if i == j else a for i, a in enumerate(lo)) for j in range(len(lo))
              for x in (2 * step, step + far)]
    checks.append(tuple(a + 2 * step for a in lo))
    for point in checks:
        want = _predict(corners, lo, step, point)
        if want is None or want != measure(sub(point), port, mac_depth, traffic_of):
            return None
    return _predict(corners, lo, step, tuple(counts[j] - 1 for j in long))


def deep_port(port: Any) -> Any:
    """Return a private copy of ``port`` for trial runs."""
    trial = copy.deepcopy(port)
    trial.reset()
    return trial
