"""Serving Llama-2-7B on the H100 preset: vLLM-style vs Sarathi-Serve chunked prefill vs static batching.

    python examples/serving_schedulers.py     # ~1 minute on 2 cores; writes examples/out/serving_*.png and
                                              # examples/out/serving_timeline.json (ui.perfetto.dev) when the
                                              # shared timeline exporter (archsim.core.timeline) is present

Requests: Poisson arrivals, lengths drawn from the Azure LLM inference trace 2023 (conversation), every
iteration's cost from the H100 design itself (each request's own context in attention).  Prints a table of
TTFT/TPOT percentiles, throughput and goodput at two rates, and plots latency CDFs, a throughput-latency
curve over the arrival rate and the KV-cache use over time.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import OUT  # noqa: E402

from archsim.core.errors import ConfigError  # noqa: E402
from archsim.serving import Workload, serve  # noqa: E402
from archsim.serving.plots import plot_kv_usage, plot_latency_cdf, plot_throughput_latency  # noqa: E402

DESIGN, MODEL = "h100-sxm5-80gb", "llama2-7b"
SCHEDULERS = {"static": ("static", {"batch": 32}), "vllm": ("vllm", {}), "sarathi-512": ("sarathi", {"chunk": 512})}
SLO = {"slo_ttft_s": 1.0, "slo_tpot_s": 0.05}


def main() -> None:
    OUT.mkdir(exist_ok=True)
    rows, at = [], {}
    for rate in (2.0, 4.0, 6.0):
        wl = Workload(requests=300, rate=rate, lengths="azure-conv", seed=0)
        for label, (name, opts) in SCHEDULERS.items():
            res = serve(DESIGN, MODEL, wl, name, **SLO, **opts)
            s = res.summary
            rows.append({"scheduler": label, **{k: s[k] for k in ("arrival_rate", "throughput_tokens_per_s",
                                                                   "ttft_p50_s", "ttft_p99_s", "tpot_p50_s",
                                                                   "tpot_p99_s", "goodput_rps")}})
            if rate == 4.0:
                at[label] = res
    import pandas as pd

    table = pd.DataFrame(rows)
    print(table.to_string(index=False, float_format=lambda v: f"{v:.4g}"))
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 3, figsize=(15, 4))
    plot_latency_cdf(at, "ttft_s", axes[0])
    plot_latency_cdf(at, "tpot_s", axes[1])
    plot_throughput_latency(table, "tpot_p99_s", "scheduler", axes[2])
    fig.tight_layout()
    fig.savefig(OUT / "serving_latency.png", dpi=120)
    fig, ax = plt.subplots(figsize=(7, 3.5))
    plot_kv_usage(at["vllm"], ax)
    fig.tight_layout()
    fig.savefig(OUT / "serving_kv.png", dpi=120)
    try:
        at["sarathi-512"].write_perfetto(OUT / "serving_timeline.json")
    except ConfigError as exc:
        print(f"(no timeline: {exc})")
    print(f"wrote {OUT / 'serving_latency.png'} and {OUT / 'serving_kv.png'}")


if __name__ == "__main__":
    main()
