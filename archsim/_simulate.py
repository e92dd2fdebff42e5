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
    trace = as_trace(trace)
    missing = [a for a in ("run", "components", "node_nm") if not hasattr(design, a)]
    if missing:
        raise ConfigError(f"design must be an archsim design with run(), components() and node_nm; "
                          f"{type(design).__name__} lacks {', '.join(missing)}")
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
