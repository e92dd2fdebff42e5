"""Capacity search: the highest arrival rate at which a serving setup still meets its SLOs."""

from __future__ import annotations

from typing import Any

from archsim.core.errors import ConfigError


def capacity_search(design: Any, model: Any, workload: dict, scheduler: str = "vllm", *, slo_ttft_s: float | None,
                    slo_tpot_s: float | None, attainment: float = 0.9, low: float = 0.1, high: float = 64.0,
                    rel_tol: float = 0.05, **options: Any) -> dict[str, Any]:
    """Return ``{"capacity_rps", "points"}``: the highest rate (requests/s, within ``rel_tol``) at which at least
    ``attainment`` of the requests meet every SLO (the definition of Sarathi-Serve and DistServe), found by
    doubling from ``low`` then bisecting; ``points`` lists every rate tried with its summary.

    ``workload`` holds the :class:`~archsim.serving.Workload` fields except ``rate``.
    """
    from archsim.serving.api import serve

    if slo_ttft_s is None and slo_tpot_s is None:
        raise ConfigError("capacity search needs an SLO (slo_ttft_s and/or slo_tpot_s)")
    if not 0 < attainment <= 1:
        raise ConfigError(f"attainment must be in (0, 1], not {attainment!r}")
    if not 0 < low < high:
        raise ConfigError(f"need 0 < low < high rates, not low={low!r}, high={high!r}")
    points: list[dict] = []

    def ok(rate: float) -> bool:
        s = serve(design, model, {**workload, "rate": rate}, scheduler, slo_ttft_s=slo_ttft_s, slo_tpot_s=slo_tpot_s,
                  **options).summary
        points.append({"rate": rate, **{k: s[k] for k in ("slo_attainment", "goodput_rps", "ttft_p99_s",
                                                          "tpot_p99_s", "throughput_tokens_per_s")}})
        return (s["slo_attainment"] or 0.0) >= attainment and s["rejected"] == 0

    if not ok(low):
        return {"capacity_rps": 0.0, "points": points}
    lo, hi = low, low * 2
    while hi <= high and ok(hi):
        lo, hi = hi, hi * 2
    if hi > high:
        return {"capacity_rps": lo, "points": points}
    while (hi - lo) / lo > rel_tol:
        mid = (lo + hi) / 2
        if ok(mid):
            lo = mid
        else:
            hi = mid
    return {"capacity_rps": lo, "points": points}
