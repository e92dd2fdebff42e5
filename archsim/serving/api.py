"""``archsim.serving.serve``: request-level simulation of LLM serving on any archsim design."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from archsim.core.errors import ConfigError
from archsim.serving.engine import Engine, Instance
from archsim.serving.iteration import IterationCost, peak_macs_per_s
from archsim.serving.kv import PagedKV, kv_bytes_per_token
from archsim.serving.metrics import ITER_COLUMNS, request_frame, summarize
from archsim.serving.requests import Requests, Workload, read_trace
from archsim.serving.schedulers import get_scheduler
from archsim.workloads.batch import BatchSpec

#: host link for KV swaps: PCIe 5.0 x16, 32 GT/s x 16 lanes / 8 bits ~ 64 GB/s per direction (PCI-SIG PCIe 5.0)
HOST_BYTES_PER_S = 64e9


@dataclass
class ServeResult:
    """Outcome of a serving run.

    Attributes:
        requests: one row per request (lengths, timestamps, ``ttft_s``, ``tpot_s``, ``e2e_s``, ``status``).
        iterations: one row per iteration (instance, ``start_s``, ``dur_s``, batch make-up, KV blocks, MACs, energy).
        summary: the metrics (see :func:`archsim.serving.metrics.summarize`) plus the configuration.
        transfers: KV transfers of disaggregated serving (``lane``, ``start_s``, ``dur_s``, request, bytes).
    """

    requests: pd.DataFrame
    iterations: pd.DataFrame
    summary: dict[str, Any]
    transfers: pd.DataFrame = field(default_factory=pd.DataFrame)

    @property
    def schedule(self) -> pd.DataFrame:
        """Return the timeline in the shared shape: ``lane``, ``name``, ``start_s``, ``dur_s``, ``cat``."""
        it = self.iterations
        rows = pd.DataFrame({"lane": it["instance"], "name": it["kind"] + " b=" + it["requests"].astype(str) + " t="
                             + it["tokens"].astype(str), "start_s": it["start_s"], "dur_s": it["dur_s"],
                             "cat": it["kind"]})
        if len(self.transfers):
            tr = self.transfers
            rows = pd.concat([rows, pd.DataFrame({"lane": tr["lane"], "name": "kv r" + tr["request"].astype(str),
                                                  "start_s": tr["start_s"], "dur_s": tr["dur_s"], "cat": "kv"})],
                             ignore_index=True)
        return rows.reset_index(drop=True)

    def write_perfetto(self, path: str | Path) -> None:
        """Write the iteration timeline as Chrome trace-event JSON (Perfetto) with the shared exporter."""
        try:
            from archsim.core.timeline import write_perfetto
        except ImportError:
            raise ConfigError("Perfetto export needs archsim.core.timeline (the design-contract part), not in "
                              "this build") from None
        write_perfetto(self.schedule, str(path))

    def to_json(self) -> str:
        """Return the summary as one JSON object (no NaN)."""
        from archsim.core.fields import finite_json

        return finite_json({k: _plain(v) for k, v in self.summary.items()}, sort_keys=True)


def _plain(v: Any) -> Any:
    if isinstance(v, (np.integer,)):
        return int(v)
    if isinstance(v, (np.floating, float)):
        return float(v) if math.isfinite(v) else None
    if isinstance(v, dict):
        return {str(k): _plain(x) for k, x in v.items()}
    if isinstance(v, (list, tuple)):
        return [_plain(x) for x in v]
    return v


def _requests(workload: Any, max_total: int) -> tuple[Requests, float | None]:
    if isinstance(workload, Requests):
        return workload, None
    if isinstance(workload, (str, Path)):
        return read_trace(workload, max_total=max_total), None
    if isinstance(workload, Mapping):
        try:
            workload = Workload(**workload)
        except TypeError as exc:
            raise ConfigError(f"workload: {exc}") from None
    if not isinstance(workload, Workload):
        raise ConfigError(f"workload must be a Workload, Requests, a dict or a trace CSV path, not "
                          f"{type(workload).__name__}")
    return workload.generate(max_total=max_total), (None if workload.clients else workload.rate)


def _slo(name: str, v: float | None) -> float | None:
    if v is None:
        return None
    if isinstance(v, bool) or not isinstance(v, (int, float)) or not v > 0 or not math.isfinite(v):
        raise ConfigError(f"{name} must be a positive number of seconds, not {v!r}")
    return float(v)


def serve(
    design: Any,
    model: Any,
    workload: Workload | Requests | Mapping | str | Path,
    scheduler: str = "vllm",
    *,
    slo_ttft_s: float | None = None,
    slo_tpot_s: float | None = None,
    tp: int = 1,
    precision: str = "bf16",
    kv_precision: str | None = None,
    block_tokens: int = 16,
    memory_bytes: float | None = None,
    memory_fraction: float = 0.9,
    replicas: int = 1,
    decompose: str = "auto",
    bucket: int = 0,
    attention_kernel: str = "ragged",
    energy: bool = True,
    cache_dir: str | None = None,
    fast_forward: bool = True,
    **scheduler_options: Any,
) -> ServeResult:
    """Return the :class:`ServeResult` of serving ``workload`` with ``model`` on ``design`` under ``scheduler``.

    Args:
        design: a design object, preset name, design file or dict (:func:`archsim.load_design`).
        model: a model preset name or config (a decoder).
        workload: a :class:`Workload` (or its fields as a dict), a :class:`Requests` table or a trace CSV path.
        scheduler: ``static`` | ``vllm`` | ``sarathi`` | ``disagg`` | ``neupims`` (options as keywords, e.g.
            ``chunk=512``, ``max_num_seqs=128``, ``preempt="swap"``).
        slo_ttft_s, slo_tpot_s: SLO limits for goodput, s.
        tp: tensor-parallel degree (one instance = ``tp`` devices; the trace is one device's).
        precision, kv_precision: element formats (see :func:`archsim.build_trace`).
        block_tokens: tokens per KV block.
        memory_bytes: memory of one device, bytes (default: the design's ``memory_capacity_bytes()``).
        memory_fraction: share of the memory serving may use (vLLM ``gpu_memory_utilization``, default 0.9).
        replicas: identical instances (colocated scale-out; requests go to the least-loaded one).
        decompose, bucket, attention_kernel, energy, cache_dir: iteration-cost options (:class:`IterationCost`).
        fast_forward: run runs of identical decode iterations as one event (same result as stepping them; see
            :meth:`archsim.serving.engine.Engine._window`).
    """
    from archsim.arch.registry import load_design

    design = load_design(design)
    spec = BatchSpec.of(model, tp=tp, precision=precision, kv_precision=kv_precision)
    slo_ttft_s, slo_tpot_s = _slo("slo_ttft_s", slo_ttft_s), _slo("slo_tpot_s", slo_tpot_s)
    if isinstance(replicas, bool) or not isinstance(replicas, int) or replicas < 1:
        raise ConfigError(f"replicas must be a positive integer, not {replicas!r}")
    reqs, rate = _requests(workload, spec.model.max_positions)
    sched = get_scheduler(scheduler, **scheduler_options)
    sched.setup(design, spec)
    instances: list[Instance] = []
    kv_info: dict[str, Any] = {}
    costs: dict[int, IterationCost] = {}
    for role, count, d in sched.pools(design, replicas):
        cost = costs.get(id(d))
        if cost is None:
            cost = costs[id(d)] = IterationCost(d, spec, decompose=decompose, bucket=bucket,
                                                attention_kernel=attention_kernel, energy=energy,
                                                cache_dir=cache_dir)
        for i in range(count):
            kv, info = PagedKV.for_design(d, spec, block_tokens=block_tokens, memory_bytes=memory_bytes,
                                          memory_fraction=memory_fraction)
            kv_info.setdefault(role, info)
            name = f"{role}{i}" if (count > 1 or role != "both") else "device0"
            instances.append(Instance(name, role, cost, kv, sched.policy(role), kv_bytes_per_token=kv_bytes_per_token(
                spec), host_bytes_per_s=HOST_BYTES_PER_S))
    eng = Engine(reqs, instances, link_gbps=getattr(sched, "link_gbps", 0.0),
                 link_latency_s=getattr(sched, "link_latency_s", 0.0), fast_forward=bool(fast_forward))
    eng.run()
    for c in costs.values():
        c.save()
    req = request_frame(eng)
    it = pd.DataFrame(eng.iters, columns=ITER_COLUMNS)
    tr = pd.DataFrame(eng.transfers, columns=["lane", "start_s", "dur_s", "request", "bytes"])
    peak = peak_macs_per_s(design, spec.plan.gemm_act)
    if peak and len(it):  # MACs of the iteration over what the (first) design could do in that time
        it["compute_utilization"] = it["macs"] / (peak * it["dur_s"])
    if len(it):
        it["kv_utilization"] = it["kv_blocks_used"] / it["kv_blocks"]
    summary = summarize(eng, req, it, rate=rate, slo_ttft_s=slo_ttft_s, slo_tpot_s=slo_tpot_s, peak_macs_per_s=peak)
    summary["energy_not_modelled"] = _energy_gaps(costs.values()) if energy else []
    summary.update({
        "design": getattr(design, "name", type(design).__name__), "model": spec.model.name, "scheduler": sched.name,
        "scheduler_options": {k: (v if isinstance(v, (int, float, str, type(None))) else str(v))
                              for k, v in sched.options().items()},
        "devices": len(instances) * tp, "tp": tp, "slo_ttft_s": slo_ttft_s, "slo_tpot_s": slo_tpot_s,
        "kv": kv_info, "cost_mode": {c.design.name if hasattr(c.design, "name") else "?": c.mode
                                     for c in costs.values()},
        "design_runs": sum(c.runs for c in costs.values()), "bucket": bucket, "attention_kernel": attention_kernel,
        "uniform_context": any(c.uniform_context for c in costs.values()),
        "lengths_dropped_fraction": reqs.meta.get("dropped_fraction", 0.0),
    })
    return ServeResult(req, it, summary, tr)


def _energy_gaps(costs) -> list[str]:
    """Why some of the pools' energy is not priced (e.g. a DRAM standard without a public energy figure): the
    notes ``archsim.cost`` gives for each pool's design, so a J/token figure is never compared silently
    without its DRAM part."""
    from archsim.cost import build_models

    notes: set[str] = set()
    for c in costs:
        d = c.design
        if hasattr(d, "components") and hasattr(d, "node_nm"):
            notes.update(m.not_modelled for m in build_models(d.components(), d.node_nm)
                         if getattr(m, "not_modelled", None))
    return sorted(notes)
