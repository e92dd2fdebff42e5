"""Plots a serving paper shows: latency CDFs, throughput-latency curves over arrival rate, KV usage over time.
matplotlib is imported lazily (only these functions need it)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd


def _plt():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def plot_latency_cdf(results: Mapping[str, Any], metric: str = "ttft_s", ax: Any = None) -> Any:
    """Plot the CDF of a per-request metric (``ttft_s``, ``tpot_s``, ``e2e_s``) of each labelled ServeResult;
    return the axes."""
    plt = _plt()
    ax = ax or plt.subplots(figsize=(5, 3.5))[1]
    for label, res in results.items():
        x = np.sort(res.requests[metric].dropna().to_numpy())
        ax.plot(x, np.arange(1, len(x) + 1) / max(1, len(x)), label=label)
    ax.set_xlabel(metric.replace("_s", " (s)"))
    ax.set_ylabel("fraction of requests")
    ax.grid(alpha=0.3)
    ax.legend()
    return ax


def plot_throughput_latency(table: pd.DataFrame, latency: str = "tpot_p99_s", by: str = "scheduler",
                            ax: Any = None) -> Any:
    """Plot ``latency`` against ``throughput_tokens_per_s`` (one line per value of ``by``, points in rate order)
    from a table of summaries (e.g. :func:`archsim.serving.run_scenario` or a serving sweep); return the axes."""
    plt = _plt()
    ax = ax or plt.subplots(figsize=(5, 3.5))[1]
    groups = table.groupby(by) if by in table.columns else [("", table)]
    for label, g in groups:
        g = g.sort_values("arrival_rate") if "arrival_rate" in g.columns else g
        ax.plot(g["throughput_tokens_per_s"], g[latency], marker="o", label=str(label))
    ax.set_xlabel("throughput (tokens/s)")
    ax.set_ylabel(latency.replace("_s", " (s)"))
    ax.grid(alpha=0.3)
    ax.legend()
    return ax


def plot_kv_usage(result: Any, ax: Any = None) -> Any:
    """Plot the KV-cache blocks in use (fraction of the cache) and the batch size over time; return the axes."""
    plt = _plt()
    ax = ax or plt.subplots(figsize=(6, 3.5))[1]
    it = result.iterations
    for name, g in it.groupby("instance"):
        ax.step(g["start_s"], g["kv_blocks_used"] / g["kv_blocks"], where="post", label=f"{name} KV used")
    ax.set_xlabel("time (s)")
    ax.set_ylabel("KV cache used (fraction)")
    ax2 = ax.twinx()
    ax2.plot(it["start_s"], it["requests"], color="gray", alpha=0.4, lw=0.8, label="batch size")
    ax2.set_ylabel("requests in the iteration")
    ax.grid(alpha=0.3)
    ax.legend(loc="upper left")
    return ax
