"""Serving sweeps: rate x design x scheduler through :func:`archsim.study.sweep` (resumable store, process or
Dask backend), and capacity sweeps (the highest rate meeting the SLOs, per design point)."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from archsim.core.errors import ConfigError
from archsim.core.result import Result


@dataclass(frozen=True)
class ServingPoint:
    """One serving workload of a sweep: model, scheduler (+ options), request stream, SLOs, ``serve`` options,
    and ``capacity``: search the highest rate meeting the SLOs instead of serving at ``workload['rate']``."""

    model: str
    scheduler: str = "vllm"
    workload: Mapping[str, Any] = field(default_factory=dict)
    slo_ttft_s: float | None = None
    slo_tpot_s: float | None = None
    options: Mapping[str, Any] = field(default_factory=dict)
    capacity: bool = False

    @property
    def df(self) -> pd.DataFrame:
        """The point as a one-row table (what the sweep hashes to identify the workload)."""
        return pd.DataFrame([{"serving": json.dumps({"model": self.model, "scheduler": self.scheduler,
                                                     "workload": dict(self.workload), "slo_ttft_s": self.slo_ttft_s,
                                                     "slo_tpot_s": self.slo_tpot_s, "options": dict(self.options),
                                                     "capacity": self.capacity}, sort_keys=True, default=str)}])


def evaluate_serving(design: Any, point: ServingPoint, exact: bool = False) -> Result:
    """Return a Result whose summary is the serving summary of ``design`` on ``point`` (or its capacity)."""
    from archsim.serving import capacity_search, serve

    if not isinstance(point, ServingPoint):
        raise ConfigError(f"serving sweeps take ServingPoint workloads, not {type(point).__name__}")
    if point.capacity:
        wl = {k: v for k, v in point.workload.items() if k != "rate"}
        out = capacity_search(design, point.model, wl, point.scheduler, slo_ttft_s=point.slo_ttft_s,
                              slo_tpot_s=point.slo_tpot_s, **point.options)
        summary = {"capacity_rps": out["capacity_rps"], "rates_tried": len(out["points"]), "total_cycles": 0,
                   "seconds": 0.0}
        return Result(pd.DataFrame(out["points"]), summary)
    res = serve(design, point.model, dict(point.workload), point.scheduler, slo_ttft_s=point.slo_ttft_s,
                slo_tpot_s=point.slo_tpot_s, **point.options)
    summary = {k: v for k, v in res.summary.items() if not isinstance(v, (dict, list))}
    summary.setdefault("total_cycles", 0)
    summary["seconds"] = summary.get("duration_s", 0.0)
    return Result(res.iterations, summary)


def serving_sweep(design_factory: Callable[..., Any], space: Mapping[str, Any] | Sequence[Mapping[str, Any]],
                  model: str, workload: Mapping[str, Any], *, rates: Sequence[float] = (),
                  schedulers: Sequence[str] | Mapping[str, Mapping[str, Any]] = ("vllm",),
                  slo_ttft_s: float | None = None, slo_tpot_s: float | None = None, capacity: bool = False,
                  options: Mapping[str, Any] | None = None, **sweep_options: Any) -> pd.DataFrame:
    """Return one row per (design point, scheduler, rate): the serving summary metrics (or ``capacity_rps`` with
    ``capacity=True``), via :func:`archsim.study.sweep` (``store=``, ``backend=``, ``workers=`` ... pass through).

    ``schedulers``: names, or ``{label: {"scheduler": name, **options}}``; ``rates``: arrival rates to serve at
    (ignored with ``capacity``).  The workload column names each point ``<scheduler label>@<rate>``.
    """
    from archsim.study._sweep import sweep

    if isinstance(schedulers, Mapping):
        scheds = {k: dict(v) for k, v in schedulers.items()}
    else:
        scheds = {s: {"scheduler": s} for s in schedulers}
    rate_list = [None] if capacity else (list(rates) or [workload.get("rate")])
    if not capacity and any(r is None for r in rate_list):
        raise ConfigError("serving_sweep needs rates (or workload['rate']), or capacity=True")
    named = {}
    for label, s in scheds.items():
        s = dict(s)
        name = s.pop("scheduler", label)
        for r in rate_list:
            wl = dict(workload) if r is None else {**workload, "rate": float(r)}
            key = label if r is None else f"{label}@{r:g}"
            named[key] = ServingPoint(model, name, wl, slo_ttft_s, slo_tpot_s, {**(options or {}), **s}, capacity)
    return sweep(design_factory, space, named, evaluate=evaluate_serving, **sweep_options)
