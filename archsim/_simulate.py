"""``archsim.simulate``: run a trace on a design, then price it with ``archsim.cost`` (the one run-and-price path)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from archsim.core.errors import ConfigError
from archsim.core.result import Result
from archsim.workloads.op import Op
from archsim.workloads.trace import Trace, as_trace


def simulate(design: Any, trace: Trace | Op | Iterable[Op], *, exact: bool = False) -> Result:
    """Return the Result of running ``trace`` on ``design`` with energy and area filled in.

    ``design`` is any archsim design (:class:`archsim.core.design.Design`): it runs the trace and lists its
    parts (``components()``) at its technology node (``node_nm``); :mod:`archsim.cost` adds per-op energy
    columns (``energy_*_pj``) and the summary's ``energy_j``, ``power_w``, ``area_mm2``, ``unpriced_actions``
    and ``energy_not_modelled``.  The design's own summary keys are kept (``seconds`` is the design's);
    the schedule is carried over.  A design without ``run``, ``components`` or ``node_nm`` is a ConfigError
    (never a silently unpriced result).
    """
    from archsim.core.fields import strict_bool

    exact = strict_bool("exact", exact)
    trace = as_trace(trace)
    missing = [a for a in ("run", "components", "node_nm") if not hasattr(design, a)]
    if missing:
        raise ConfigError(f"design must be an archsim design with run(), components() and node_nm; "
                          f"{type(design).__name__} lacks {', '.join(missing)}")
    _warn_precision(design, trace)
    result = design.run(trace, exact=exact)
    from archsim.cost import price

    tokens = trace.meta.get("tokens")
    ops, cost_summary = price(result.ops, design.components(), node_nm=design.node_nm, seconds=result.seconds,
                              tokens=int(tokens) if tokens else None)
    summary = dict(result.summary)
    for key, value in cost_summary.items():
        if key != "seconds":
            summary[key] = value
    return Result(ops=ops, summary=summary, schedule=result.schedule)


class PrecisionMismatchWarning(UserWarning):
    """A trace's matrix operands are in a different number format than the design's PEs."""


def _warn_precision(design: Any, trace: Trace) -> None:
    """Warn (once per call) when the trace's matrix ops use operand formats other than the design's PEs:
    the run then prices and times those formats on hardware built for another one (e.g. bf16 MACs on an
    int8 array), which is rarely what a comparison means."""
    a_pe, b_pe = getattr(design, "a_precision", None), getattr(design, "b_precision", None)
    if not isinstance(a_pe, str) or not isinstance(b_pe, str):
        return
    df = trace.df
    matrix = df[df["kind"].isin(("gemm", "gemv", "bmm", "conv"))]
    supported = set(getattr(design, "mac_rate", None) or ()) | {a_pe, b_pe}  # NPUs list every format they run

    def same_class(fmt: str, pe: str) -> bool:  # bf16 on fp16 PEs (and back): same width, same MAC class
        return fmt in supported or {fmt, pe} <= {"bf16", "fp16"}

    pairs = {(a, b) for a, b in zip(matrix["a_precision"], matrix["b_precision"], strict=True)
             if not (same_class(a, a_pe) and same_class(b, b_pe))}
    if pairs:
        import warnings

        got = ", ".join(sorted(f"{a}x{b}" for a, b in pairs))
        warnings.warn(
            f"design {getattr(design, 'name', type(design).__name__)!r} has {a_pe}x{b_pe} PEs but the trace's matrix "
            f"ops are {got}: they run as given (build the trace with the design's precision, e.g. "
            f"build_trace(..., precision='w8a8') for int8 PEs, to compare designs at their native precision)",
            PrecisionMismatchWarning, stacklevel=3)
