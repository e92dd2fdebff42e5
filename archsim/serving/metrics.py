"""Serving metrics from per-request timestamps (never from averages of averages).

* TTFT = first token time - arrival; TPOT = (finish - first token) / (output tokens - 1) per request (requests
  of one token have none); end-to-end = finish - arrival; inter-token latency (ITL) = every gap between two
  consecutive tokens of a request.  Percentiles are over requests (ITL: over gaps), numpy's linear method.
* Throughput over the run: tokens generated / (last finish - first arrival).
* Goodput: requests/s that met every SLO given (TTFT and TPOT limits).
* Mean in system: the time average of the number of requests that have arrived and not finished, integrated
  exactly over the step function of arrival and finish times (Little's law: = arrival rate x mean e2e).
* KV and compute utilization per iteration; energy per token = energy of all iterations / tokens generated
  (idle time between iterations is not priced).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd

ITER_COLUMNS = ["instance", "start_s", "dur_s", "requests", "prefills", "decodes", "tokens", "kv_blocks_used",
                "kv_blocks", "kv_tokens", "macs", "energy_j", "extra_s", "kind", "emitted"]


def percentile(x: np.ndarray, p: float) -> float | None:
    """Return the ``p``-th percentile of the finite values of ``x`` (None if there are none)."""
    x = x[np.isfinite(x)]
    return float(np.percentile(x, p)) if len(x) else None


def mean_in_system(arrival: np.ndarray, finish: np.ndarray) -> tuple[float, float, float]:
    """Return ``(time-average requests in system, window start, window end)`` over [first arrival, last finish]."""
    t = np.concatenate([arrival, finish])
    d = np.concatenate([np.ones(len(arrival)), -np.ones(len(finish))])
    order = np.lexsort((-d, t))  # arrivals before finishes at the same instant
    t, d = t[order], d[order]
    n = np.cumsum(d)
    t0, t1 = float(t[0]), float(t[-1])
    area = float(np.sum(n[:-1] * np.diff(t)))
    return (area / (t1 - t0) if t1 > t0 else 0.0), t0, t1


def request_frame(eng) -> pd.DataFrame:
    """Return one row per request: lengths, timestamps, TTFT/TPOT/e2e, status (``done`` or the rejection)."""
    ttft = eng.first_s - eng.arrival
    e2e = eng.finish_s - eng.arrival
    with np.errstate(invalid="ignore", divide="ignore"):
        tpot = np.where(eng.output > 1, (eng.finish_s - eng.first_s) / (eng.output - 1), np.nan)
    status = np.where(eng.status == 2, "done", "rejected")
    df = pd.DataFrame({"arrival_s": eng.arrival, "prompt_tokens": eng.prompt, "output_tokens": eng.output,
                       "generated_tokens": eng.gen, "first_token_s": eng.first_s, "finish_s": eng.finish_s,
                       "ttft_s": ttft, "tpot_s": tpot, "e2e_s": e2e, "preemptions": eng.preempted,
                       "instance": eng.inst, "status": status})
    for r, why in eng.reason.items():
        df.at[r, "status"] = "rejected: " + why
    return df


def summarize(eng, req: pd.DataFrame, it: pd.DataFrame, *, rate: float | None, slo_ttft_s: float | None,
              slo_tpot_s: float | None, peak_macs_per_s: float | None) -> dict[str, Any]:
    """Return the summary dict of a run (keys of ``archsim serve --json``)."""
    ok = req["status"].to_numpy() == "done"
    arr, fin = eng.arrival[ok], eng.finish_s[ok]
    tokens = int(eng.gen[ok].sum())
    if ok.any():
        t0, t1 = float(np.nanmin(eng.arrival)), float(fin.max())
    else:
        t0 = t1 = 0.0
    dur = t1 - t0
    ttft, tpot, e2e = (req[c].to_numpy()[ok] for c in ("ttft_s", "tpot_s", "e2e_s"))
    met = np.ones(ok.sum(), dtype=bool)
    if slo_ttft_s is not None:
        met &= ttft <= slo_ttft_s
    if slo_tpot_s is not None:
        met &= ~(tpot > slo_tpot_s)  # NaN (one-token requests) meets the TPOT SLO
    gaps = np.concatenate(eng.gaps) if eng.gaps else np.zeros(0)
    L, _, _ = mean_in_system(arr, fin) if ok.any() else (0.0, 0, 0)
    energy = float(it["energy_j"].sum()) if len(it) and it["energy_j"].notna().all() else None
    busy = it.groupby("instance")["dur_s"].sum() if len(it) else pd.Series(dtype=float)
    kv_frac = (it["kv_blocks_used"] / it["kv_blocks"]).to_numpy() if len(it) else np.zeros(0)
    w = it["dur_s"].to_numpy() if len(it) else np.zeros(0)
    out = {
        "requests": int(len(req)),
        "completed": int(ok.sum()),
        "rejected": int((~ok).sum()),
        "arrival_rate": float(rate) if rate is not None else (float(len(arr) / (arr.max() - arr.min()))
                                                                if len(arr) > 1 and arr.max() > arr.min() else None),
        "duration_s": dur,
        "throughput_tokens_per_s": tokens / dur if dur > 0 else 0.0,
        "throughput_rps": float(ok.sum()) / dur if dur > 0 else 0.0,
        "generated_tokens": tokens,
        "ttft_p50_s": percentile(ttft, 50), "ttft_p90_s": percentile(ttft, 90), "ttft_p99_s": percentile(ttft, 99),
        "tpot_p50_s": percentile(tpot, 50), "tpot_p90_s": percentile(tpot, 90), "tpot_p99_s": percentile(tpot, 99),
        "itl_p50_s": percentile(gaps, 50), "itl_p99_s": percentile(gaps, 99),
        "e2e_p50_s": percentile(e2e, 50), "e2e_p90_s": percentile(e2e, 90), "e2e_p99_s": percentile(e2e, 99),
        "e2e_mean_s": float(e2e.mean()) if len(e2e) else None,
        "slo_attainment": float(met.mean()) if len(met) else None,
        "goodput_rps": float(met.sum()) / dur if dur > 0 else 0.0,
        "mean_in_system": L,
        "energy_j": energy,
        "energy_j_per_token": energy / tokens if energy is not None and tokens else None,
        "iterations": int(len(it)),
        "preemptions": int(eng.preemptions),
        "kv_utilization_mean": float(np.average(kv_frac, weights=w)) if w.sum() > 0 else None,
        "kv_utilization_max": float(kv_frac.max()) if len(kv_frac) else None,
        "busy_fraction": float(busy.sum() / (dur * max(1, len(eng.instances)))) if dur > 0 else None,
    }
    if len(it):
        held = it["kv_blocks_used"].to_numpy() * 1.0
        toks = it["kv_tokens"].to_numpy() * 1.0
        bt = eng.instances[0].kv.block_tokens
        with np.errstate(invalid="ignore", divide="ignore"):
            frag = np.where(held > 0, 1.0 - toks / (held * bt), np.nan)
        out["kv_fragmentation_mean"] = float(np.nanmean(frag)) if np.isfinite(frag).any() else None
        if peak_macs_per_s:
            util = it["macs"].to_numpy() / (peak_macs_per_s * it["dur_s"].to_numpy())
            out["compute_utilization_mean"] = float(np.average(util, weights=w))
    return {k: (None if isinstance(v, float) and not math.isfinite(v) else v) for k, v in out.items()}
