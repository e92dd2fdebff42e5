"""Plots of sweeps and runs (matplotlib, no pyplot: no global state, no display needed).

Every function returns a :class:`matplotlib.figure.Figure` and, given ``path``, also writes it
(PNG or SVG, from the suffix).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from archsim.core.errors import ConfigError
from archsim.study._analysis import op_group, op_table, pareto_front

_FORMATS = (".png", ".svg", ".pdf")
_KIND_COLORS = {"gemm": "C0", "gemv": "C1", "bmm": "C2", "eltwise": "C3", "softmax": "C4", "norm": "C5",
                "act": "C6"}


def save_figure(fig: Figure, path: str | Path, dpi: int = 130) -> Path:
    """Write ``fig`` to ``path`` (``.png``, ``.svg`` or ``.pdf``; parent directories created); return the path."""
    path = Path(path)
    if path.suffix.lower() not in _FORMATS:
        raise ConfigError(f"plot path must end in {', '.join(_FORMATS)}, not {str(path)!r}")
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=dpi, bbox_inches="tight")
    return path


def _finish(fig: Figure, path: str | Path | None) -> Figure:
    if path is not None:
        save_figure(fig, path)
    return fig


def _has_layer_repeats(trace: Any) -> bool:
    from archsim.study._analysis import op_group

    names = trace.df["name"].map(op_group)
    return bool(names.duplicated().any())


#: Axis labels of the metric columns sweeps produce (other columns: name with spaces, unit from its suffix).
AXIS_LABELS = {
    "seconds": "latency (s)", "energy_j": "energy (J)", "area_mm2": "area (mm²)", "power_w": "power (W)",
    "total_cycles": "cycles", "utilization": "utilization (MACs / (PEs x cycles))",
    "pj_per_token": "energy per token (pJ)", "throughput_tops": "throughput (TOPS)", "tops_per_w": "TOPS / W",
    "tops_per_mm2": "TOPS / mm²",
}
_SUFFIX_UNITS = (("_mm2", "mm²"), ("_pj", "pJ"), ("_j", "J"), ("_w", "W"), ("_s", "s"), ("_ns", "ns"),
                 ("_bytes", "bytes"), ("_gbps", "GB/s"), ("_mhz", "MHz"), ("_cycles", "cycles"))


def axis_label(column: str) -> str:
    """Return a readable axis label of a result column (``energy_j`` -> ``energy (J)``)."""
    if column in AXIS_LABELS:
        return AXIS_LABELS[column]
    for suffix, unit in _SUFFIX_UNITS:
        if column.endswith(suffix) and len(column) > len(suffix):
            return f"{column[: -len(suffix)].replace('_', ' ')} ({unit})"
    return column.replace("_", " ")


def _short_number(value: float, _pos: Any = None) -> str:
    return f"{value:.3g}".replace("e-0", "e-").replace("e+0", "e")


def _log_axis(axis: Any, values: Any) -> None:
    """Log axis labelled in short numbers at 10^k (data over more than two decades) or 1, 2 and 5 x 10^k,
    minor ticks unlabelled (the default labels minor ticks in long scientific notation, which overlap when
    the data span about a decade, and labels every 1-2-5 tick, which overlap over several decades)."""
    from matplotlib.ticker import FuncFormatter, LogLocator, NullFormatter

    v = np.asarray(values, dtype=float)
    v = v[np.isfinite(v) & (v > 0)]
    decades = float(np.log10(v.max() / v.min())) if len(v) > 1 else 0.0
    subs = (1.0,) if decades > 2 else (1.0, 2.0, 5.0)
    axis.set_major_locator(LogLocator(base=10, subs=subs, numticks=12))
    axis.set_major_formatter(FuncFormatter(_short_number))
    axis.set_minor_formatter(NullFormatter())


def plot_pareto(
    df: pd.DataFrame,
    x: str,
    y: str,
    *,
    color: str | None = None,
    label: str | None = None,
    maximize: Sequence[str] = (),
    logx: bool = True,
    logy: bool = True,
    title: str | None = None,
    path: str | Path | None = None,
) -> Figure:
    """Return a scatter of every point (``x`` vs ``y``) with the Pareto front (both minimized, unless
    named in ``maximize``) drawn as a staircase; ``color``: a column to colour points by;
    ``label``: a column whose value annotates each front point."""
    fig = Figure(figsize=(6.4, 4.6))
    ax = fig.add_subplot()
    ok = df[[x, y]].notna().all(axis=1)
    data = df[ok]
    if color is not None and color in data:
        for i, (value, g) in enumerate(data.groupby(color, sort=False)):
            ax.scatter(g[x], g[y], s=18, alpha=0.55, color=f"C{i % 10}", label=f"{color}={value}")
    else:
        ax.scatter(data[x], data[y], s=18, alpha=0.5, color="0.55", label="design points")
    minimize = [m for m in (x, y) if m not in maximize]
    front = pareto_front(data, minimize=minimize, maximize=[m for m in (x, y) if m in maximize])
    front = front.sort_values(x)
    ax.step(front[x], front[y], where="post", color="k", lw=1.2, zorder=3)
    ax.scatter(front[x], front[y], s=46, facecolors="none", edgecolors="k", lw=1.3, zorder=4, label="Pareto front")
    if label is not None and len(front) <= 15:
        for _, r in front.iterrows():
            ax.annotate(str(r[label]), (r[x], r[y]), textcoords="offset points", xytext=(4, 4), fontsize=7)
    if logx:
        ax.set_xscale("log")
        _log_axis(ax.xaxis, data[x])
    if logy:
        ax.set_yscale("log")
        _log_axis(ax.yaxis, data[y])
    ax.set_xlabel(axis_label(x))
    ax.set_ylabel(axis_label(y))
    ax.grid(True, which="both", alpha=0.25)
    ax.legend(fontsize=8, loc="best")
    ax.set_title(title or f"Pareto front: {axis_label(x)} vs {axis_label(y)}")
    return _finish(fig, path)


def plot_roofline(
    trace: Any,
    *,
    peak_flops_per_s: float,
    peak_bandwidth_bytes_per_s: float,
    result: Any = None,
    group: bool | None = None,
    title: str | None = None,
    path: str | Path | None = None,
) -> Figure:
    """Return a roofline (attainable FLOP/s vs arithmetic intensity in FLOP/byte) with each op placed.

    With ``result`` (the run of ``trace``) each op sits at its simulated throughput (FLOPs / op
    seconds); without, on the roof.  Marker area is proportional to the op's share of the run
    time (or of the FLOPs).  ``group``: merge ops that differ only by layer (default: when some do)."""
    if group is None:
        group = _has_layer_repeats(trace)
    table = op_table(trace, result, group=group)
    table = table[(table["flops"] > 0) & (table["total_bytes"] > 0)]
    fig = Figure(figsize=(7.2, 4.8))
    ax = fig.add_subplot()
    ridge = peak_flops_per_s / peak_bandwidth_bytes_per_s
    xs = table["intensity_flop_per_byte"].to_numpy(dtype=float)
    lo = min(xs.min() / 2 if len(xs) else 0.1, ridge / 100)
    hi = max(xs.max() * 2 if len(xs) else 10, ridge * 100)
    grid = np.logspace(np.log10(lo), np.log10(hi), 200)
    ax.plot(grid, np.minimum(peak_flops_per_s, grid * peak_bandwidth_bytes_per_s), color="k", lw=1.5)
    ax.axvline(ridge, color="0.6", ls=":", lw=1)
    ax.text(ridge * 1.1, peak_flops_per_s * 0.8, f"ridge {ridge:.3g} FLOP/B", fontsize=7, color="0.3")
    if result is not None:
        ys = table["attained_flop_per_s"].to_numpy(dtype=float)
        share = table["seconds"].to_numpy(dtype=float)
    else:
        ys = np.minimum(peak_flops_per_s, xs * peak_bandwidth_bytes_per_s)
        share = table["flops"].to_numpy(dtype=float)
    share = share / share.sum() if share.sum() > 0 else np.full(len(share), 1.0 / max(len(share), 1))
    sizes = 20 + 600 * share
    kinds_seen: set[str] = set()
    for (_, r), yv, sz in zip(table.iterrows(), ys, sizes, strict=True):
        kind = r["kind"]
        ax.scatter(r["intensity_flop_per_byte"], yv, s=sz, alpha=0.7, color=_KIND_COLORS.get(kind, "C7"),
                   edgecolors="k", lw=0.4, label=None if kind in kinds_seen else kind, zorder=3)
        kinds_seen.add(kind)
    if len(table) <= 40:
        _label_clusters(ax, xs, ys, [op_group(n) for n in table["name"]])
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("arithmetic intensity (FLOP / byte of compulsory traffic)")
    ax.set_ylabel("FLOP/s" + (" (simulated)" if result is not None else " (roof bound)"))
    ax.set_title(title or f"Roofline: peak {peak_flops_per_s / 1e12:.3g} TFLOP/s, "
                          f"{peak_bandwidth_bytes_per_s / 1e9:.3g} GB/s")
    ax.grid(True, which="both", alpha=0.25)
    ax.legend(fontsize=8, loc="lower right", markerscale=0.5)
    return _finish(fig, path)


def _label_clusters(ax: Any, xs: np.ndarray, ys: np.ndarray, names: list[str]) -> None:
    """Annotate points; points within ~6 % of each other on both log axes share one label."""
    clusters: list[tuple[float, float, list[str]]] = []
    for x, y, name in zip(xs, ys, names, strict=True):
        if not (x > 0 and y > 0):
            continue
        for cx, cy, members in clusters:
            if abs(np.log10(x / cx)) < 0.025 and abs(np.log10(y / cy)) < 0.025:
                members.append(name)
                break
        else:
            clusters.append((float(x), float(y), [name]))
    for i, (cx, cy, members) in enumerate(clusters):
        text = ", ".join(dict.fromkeys(members))
        ax.annotate(text, (cx, cy), textcoords="offset points", xytext=(6, -9 if i % 2 else 3), fontsize=6.5)


def plot_utilization(
    trace: Any, result: Any, *, group: bool | None = None, title: str | None = None, path: str | Path | None = None
) -> Figure:
    """Return horizontal bars of each op's utilization (MACs / (PEs x cycles)), with its share of the
    run's cycles written beside the bar (cycle-weighted when ops are grouped by name; default: group
    when some ops differ only by layer)."""
    if group is None:
        group = _has_layer_repeats(trace)
    table = op_table(trace, result, group=group)
    fig = Figure(figsize=(7.2, 0.8 + 0.28 * len(table)))
    ax = fig.add_subplot()
    ypos = np.arange(len(table))[::-1]
    colors = [_KIND_COLORS.get(k, "C7") for k in table["kind"]]
    ax.barh(ypos, table["utilization"], color=colors, edgecolor="k", lw=0.3)
    share = table["cycles"] / max(float(table["cycles"].sum()), 1.0)
    for yv, u, s in zip(ypos, table["utilization"], share, strict=True):
        ax.text(min(u, 1.0) + 0.01, yv, f"{u:.1%}  ({s:.1%} of cycles)", va="center", fontsize=7)
    ax.set_yticks(ypos, table["name"], fontsize=7)
    ax.set_xlim(0, 1.35)
    ax.set_xlabel("PE utilization (MACs / (PEs x cycles))")
    ax.set_title(title or "Utilization per op")
    ax.grid(True, axis="x", alpha=0.25)
    return _finish(fig, path)


def plot_energy_breakdown(
    df: pd.DataFrame,
    *,
    label: str | Sequence[str] | None = None,
    unit: str = "uJ",
    title: str | None = None,
    path: str | Path | None = None,
    ax: Any = None,
) -> Figure:
    """Return stacked bars, one per row of ``df`` (sweep rows or per-op rows), of its
    ``energy_<component>_pj`` columns (the total ``energy_pj`` column is not stacked).

    ``label``: column(s) naming each bar; ``unit``: ``pJ``, ``nJ``, ``uJ``, ``mJ`` or ``J``;
    ``ax``: draw into these matplotlib axes (of your figure) instead of a new figure."""
    scale = {"pJ": 1.0, "nJ": 1e-3, "uJ": 1e-6, "mJ": 1e-9, "J": 1e-12}
    if unit not in scale:
        raise ConfigError(f"unit must be one of {', '.join(scale)}, not {unit!r}")
    comps = [c for c in df.columns if c.startswith("energy_") and c.endswith("_pj") and c != "energy_pj"]
    if not comps:
        raise ConfigError("the table has no energy_<component>_pj columns to stack")
    if label is None:
        names = [str(i) for i in df.index]
    else:
        cols = [label] if isinstance(label, str) else list(label)
        names = [" ".join(str(v) for v in vals) for vals in df[cols].itertuples(index=False)]
    if ax is None:
        fig = Figure(figsize=(max(5.0, 0.5 * len(df) + 2.5), 4.6))
        ax = fig.add_subplot()
    else:
        fig = ax.figure
    bottom = np.zeros(len(df))
    xpos = np.arange(len(df))
    for i, c in enumerate(comps):
        vals = df[c].fillna(0).to_numpy(dtype=float) * scale[unit]
        ax.bar(xpos, vals, bottom=bottom, color=f"C{i % 10}", edgecolor="k", lw=0.3,
               label=c.removeprefix("energy_").removesuffix("_pj"))
        bottom += vals
    ax.set_xticks(xpos, names, rotation=45 if len(df) > 4 else 0, ha="right" if len(df) > 4 else "center",
                  fontsize=7)
    ax.set_ylabel(f"energy ({unit})")
    ax.set_title(title or "Energy breakdown")
    ax.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.0, 1.0))
    ax.grid(True, axis="y", alpha=0.25)
    return _finish(fig, path)


def plot_timeline(
    trace: Any,
    result: Any,
    *,
    lanes: str = "kind",
    unroll: bool = True,
    max_bars: int = 5000,
    window_cycles: tuple[float, float] | None = None,
    title: str | None = None,
    path: str | Path | None = None,
) -> Figure:
    """Return a Gantt chart of a run: each op a bar from its start to its end (ops run back to back in
    trace order), one lane per ``kind`` (``lanes="kind"``) or per op name without layer tag (``"name"``).

    ``unroll``: consecutive rows with the same ``count`` > 1 are one loop body repeated ``count``
    times (how ``build_trace`` collapses identical layers): draw it as ``count`` successive
    iterations, each op taking ``cycles / count``.  Otherwise each row is one block.
    ``window_cycles``: show only this (start, end) range of cycles."""
    if lanes not in ("kind", "name"):
        raise ConfigError(f"lanes must be one of kind, name, not {lanes!r}")
    table = op_table(trace, result)
    table["count"] = trace.df["count"].to_numpy()
    table["lane"] = table["name"].map(op_group) if lanes == "name" else table["kind"]
    bars = _timeline_bars(table, unroll)
    if window_cycles is not None:
        lo, hi = window_cycles
        bars = [b for b in bars if b[1] < hi and b[1] + b[2] > lo]
    bars = bars[:max_bars]
    lane_names = list(dict.fromkeys(table["lane"]))
    fig = Figure(figsize=(9.0, 1.0 + 0.4 * len(lane_names)))
    ax = fig.add_subplot()
    total = float(result.summary["total_cycles"])
    per_cycle = float(result.summary["seconds"]) / total if total else 0.0
    lo, hi = window_cycles if window_cycles is not None else (0.0, total)
    unit, scale = ("ms", 1e3) if (hi - lo) * per_cycle > 10e-3 else ("us", 1e6)
    to_unit = per_cycle * scale
    kind_of = dict(zip(table["lane"], table["kind"], strict=True))
    for i, lane in enumerate(lane_names):
        spans = [(s * to_unit, c * to_unit) for ln, s, c in bars if ln == lane]
        ax.broken_barh(spans, (len(lane_names) - 1 - i - 0.4, 0.8), facecolors=_KIND_COLORS.get(kind_of[lane], "C7"),
                       edgecolors="k", linewidth=0.1)
    ax.set_yticks(np.arange(len(lane_names))[::-1], lane_names, fontsize=7)
    ax.set_xlabel(f"time ({unit})")
    ax.set_xlim(lo * to_unit, hi * to_unit)
    ax.set_title(title or f"Timeline: {int(total):,} cycles, {total * to_unit:,.4g} {unit}")
    ax.grid(True, axis="x", alpha=0.25)
    return _finish(fig, path)


def _timeline_bars(table: pd.DataFrame, unroll: bool) -> list[tuple[str, float, float]]:
    """Return (lane, start cycle, duration cycles) bars in time order."""
    rows = list(zip(table["lane"], table["cycles"].astype(float), table["count"], strict=True))
    bars: list[tuple[str, float, float]] = []
    t = 0.0
    i = 0
    while i < len(rows):
        count = rows[i][2] if unroll else 1
        j = i + 1
        if count > 1:
            while j < len(rows) and rows[j][2] == count:
                j += 1
        for _ in range(count):
            for lane, cycles, _c in rows[i:j]:
                bars.append((lane, t, cycles / count))
                t += cycles / count
        i = j
    return bars
