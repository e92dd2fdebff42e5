"""Fast systolic timing whose time and memory do not grow with the number of identical folds.

A fold plan is four nested loops (batch, then the dataflow's three tile loops).  Every loop's
iterations are identical except its last one (a partial tile or a shorter stream chunk), so the
plan restricted to the first ``x`` iterations of a loop plus its last one is the same controller
problem with fewer repetitions.  Once the double-buffered controller and the memory are in a steady
state, every total the fast model reports (cycles, stall cycles, traffic bytes, memory actions) is
a multilinear function of the kept counts ``x_j`` of the long loops.  :func:`extrapolated_totals`

1. runs :func:`archsim.arch._timing.fast_timing` on the restricted plans at ``x_j in {k, k+1}``
   (``2^D`` plans of about ``(k+2)^4`` folds, D = number of long loops),
2. predicts every total at the plan's real counts by multilinear extrapolation (exact integer
   arithmetic), and
3. checks the model on ``2D + 1`` further restricted plans (each long loop at ``k+2`` and at ``3k``,
   and all of them at ``k+2``); any mismatch (no steady state yet, a period of several folds) falls back
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
#: (a long loop has more than ``3k + 1`` iterations: the checks use up to ``3k`` of them plus the last)

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
    """Indices kept of a loop of ``n`` iterations: all (``x`` None) or the first ``x`` plus the last."""
    if x is None:
        return np.arange(n, dtype=np.int64)
    return np.array([*range(x), n - 1], dtype=np.int64)


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
    if not plan.uniform:  # compute cycles with ideal memory: the recurrence over the (sub-)plan's folds
        from archsim.dataflow._timing import ideal_starts

        S = ideal_starts(plan)
        out["compute"] = int(S[-1]) + plan.fold_tail(mac_depth, int(plan.fold_arrays["L"][-1]))
    return out


def _predict(corners: dict[tuple[int, ...], Totals], k: int, target: tuple[int, ...]) -> Totals | None:
    """Multilinear extrapolation from the corners ``{k, k+1}^D`` to ``target`` (exact integers)."""
    keys = set.intersection(*(set(v) for v in corners.values()))
    if any(set(v) != keys for v in corners.values()):
        return None  # a memory action appeared in some plans only: not one steady state
    out: Totals = {}
    for key in keys:
        total = 0
        for corner, vals in corners.items():
            w = 1
            for c, x in zip(corner, target, strict=True):
                w *= (k + 1 - x) if c == k else (x - k)
            total += w * vals[key]
        out[key] = total
    return out


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
    for k in KEEP if keep is None else keep:
        long = [j for j, n in enumerate(counts) if n > 3 * k + 1]
        if not long:
            continue
        shorts = int(np.prod([counts[j] for j in range(4) if j not in long]))
        D = len(long)
        biggest = shorts * max((3 * k + 1) * (k + 1) ** (D - 1), (k + 3) ** D)  # folds of the largest fitted plan
        if biggest > SUB_FOLDS_LIMIT:
            continue  # the short loops alone are too long to fit: no reduction helps

        def sub(xs: dict[int, int], k: int = k) -> SubPlan:
            keep = tuple(_keep(n, xs.get(j)) for j, n in enumerate(counts))
            return SubPlan(plan, keep)  # type: ignore[arg-type]

        corners = {}
        for corner in itertools.product((k, k + 1), repeat=len(long)):
            corners[corner] = measure(sub(dict(zip(long, corner, strict=True))), port, mac_depth, traffic_of)
        checks = [tuple(x if i == j else k for i in range(len(long))) for j in range(len(long)) for x in (k + 2, 3 * k)]
        checks.append(tuple(k + 2 for _ in long))
        ok = True
        for point in checks:
            want = _predict(corners, k, point)
            got = measure(sub(dict(zip(long, point, strict=True))), port, mac_depth, traffic_of)
            if want is None or want != got:
                ok = False
                break
        if ok:
            target = tuple(counts[j] - 1 for j in long)
            result = _predict(corners, k, target)
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


def deep_port(port: Any) -> Any:
    """Return a private copy of ``port`` for trial runs."""
    trial = copy.deepcopy(port)
    trial.reset()
    return trial
