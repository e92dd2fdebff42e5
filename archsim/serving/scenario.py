"""YAML scenario files: one serving run (or a sweep over rates / designs / schedulers) with the same field names
as :func:`archsim.serving.serve`::

    design: h100-sxm5-80gb          # preset, design file or mapping
    model: llama2-7b
    scheduler: sarathi
    scheduler_options: {chunk: 512}
    workload: {requests: 2000, rate: 4, lengths: azure-conv, seed: 0}
    slo: {ttft_s: 1.0, tpot_s: 0.1}
    sweep: {rate: [1, 2, 4, 8], scheduler: [vllm, sarathi]}   # optional: cartesian product
"""

from __future__ import annotations

import itertools
from pathlib import Path
from typing import Any

import pandas as pd

from archsim.core.errors import ConfigError

_KEYS = {"design", "model", "scheduler", "scheduler_options", "workload", "slo", "options", "sweep"}
_SWEEP = {"rate", "design", "scheduler", "chunk", "requests"}


def load_scenario(path: str | Path) -> dict[str, Any]:
    """Return the scenario of a YAML file, checked (unknown keys are ConfigErrors)."""
    path = Path(path)
    if not path.exists():
        raise ConfigError(f"scenario file {str(path)!r} does not exist")
    from archsim.core.fields import load_yaml_text

    data = load_yaml_text(path.read_text(), f"scenario file {str(path)!r}")
    if not isinstance(data, dict):
        raise ConfigError(f"scenario file {str(path)!r} must be a mapping")
    bad = sorted(set(data) - _KEYS)
    if bad:
        raise ConfigError(f"scenario key must be one of {', '.join(sorted(_KEYS))}, not {bad[0]!r}")
    for k in ("design", "model", "workload"):
        if k not in data:
            raise ConfigError(f"scenario file {str(path)!r} needs {k!r}")
    sw = data.get("sweep") or {}
    bad = sorted(set(sw) - _SWEEP)
    if bad:
        raise ConfigError(f"sweep key must be one of {', '.join(sorted(_SWEEP))}, not {bad[0]!r}")
    return data


def _one(sc: dict[str, Any], point: dict[str, Any]):
    from archsim.serving.api import serve

    wl = dict(sc["workload"])
    opts = dict(sc.get("scheduler_options") or {})
    for k in ("rate", "requests"):
        if k in point:
            wl[k] = point[k]
    if "chunk" in point:
        opts["chunk"] = point["chunk"]
    slo = sc.get("slo") or {}
    scheduler = point.get("scheduler", sc.get("scheduler", "vllm"))
    return serve(point.get("design", sc["design"]), sc["model"], wl, scheduler, slo_ttft_s=slo.get("ttft_s"),
                 slo_tpot_s=slo.get("tpot_s"), **(sc.get("options") or {}), **opts)


def run_scenario(scenario: dict[str, Any] | str | Path) -> pd.DataFrame:
    """Return one row per sweep point (one row without ``sweep``): the point and its summary metrics."""
    sc = load_scenario(scenario) if not isinstance(scenario, dict) else scenario
    sw = sc.get("sweep") or {}
    keys = list(sw)
    rows = []
    for values in itertools.product(*(sw[k] if isinstance(sw[k], list) else [sw[k]] for k in keys)):
        point = dict(zip(keys, values))
        s = _one(sc, point).summary
        rows.append({**point, **{k: v for k, v in s.items() if not isinstance(v, dict)}})
    return pd.DataFrame(rows)
