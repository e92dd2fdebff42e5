"""``archsim.simulate``: run a trace on a design, then price it with ``archsim.cost``."""

from __future__ import annotations

from typing import Any

from archsim.core.errors import ConfigError
from archsim.core.result import Result
from archsim.workloads.op import Op
from archsim.workloads.trace import Trace


def simulate(design: Any, trace: Trace | Op | list[Op], *, exact: bool = False) -> Result:
    """Return the Result of running ``trace`` on ``design`` with energy and area filled in.

    ``design`` is any archsim design (it has ``run(trace, exact=...)``); when it
    describes its parts (``components()``), :mod:`archsim.cost` adds per-op
    energy columns (``energy_*_pj``) and the summary's ``energy_j``,
    ``power_w`` and ``area_mm2``.
    """
    from archsim.core.fields import strict_bool

    exact = strict_bool("exact", exact)
    if isinstance(trace, Op):
        trace = Trace.from_ops([trace])
    elif isinstance(trace, (list, tuple)) and all(isinstance(op, Op) for op in trace):
        trace = Trace.from_ops(trace)
    if not isinstance(trace, Trace) or len(trace) == 0:
        raise ConfigError(f"trace must be a non-empty archsim Trace, Op or list of Ops, not {type(trace).__name__}")
    if not hasattr(design, "run"):
        raise ConfigError(f"design must be an archsim design with run(), not {type(design).__name__}")
    result = design.run(trace, exact=exact)
    if not hasattr(design, "components"):
        return result
    components = design.components()
    from archsim.cost import price

    tokens = trace.meta.get("tokens")
    ops, cost_summary = price(
        result.ops,
        components,
        node_nm=getattr(design, "node_nm", 28.0),
        seconds=result.seconds,
        tokens=int(tokens) if tokens else None,
    )
    summary = dict(result.summary)
    for key, value in cost_summary.items():
        if key not in ("seconds",):
            summary[key] = value
    return Result(ops=ops, summary=summary)
