"""Analysis of sweeps and runs: Pareto fronts, roofline peaks, per-op tables."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from archsim.core.errors import ConfigError

#: A leading layer tag in an op name (``L3.``, ``L0-31.``, ``layers.3.``, ``blk3_``), dropped by op_group.
_LAYER_PREFIX = re.compile(r"^(?:L|l|layer|layers\.|blk|block|h\.)\d+(?:-\d+)?[._]")


def pareto_front(
    df: pd.DataFrame, minimize: Sequence[str], maximize: Sequence[str] = (), *, by: str | Sequence[str] | None = None
) -> pd.DataFrame:
    """Return the rows of ``df`` that no other row dominates, in their original order.

    Row ``a`` dominates ``b`` when it is no worse in every metric (lower for ``minimize``, higher
    for ``maximize``) and strictly better in at least one.  Rows with a missing metric or an
    ``error`` are never on the front.  ``by``: compute one front per group (e.g. ``"workload"``).
    """
    metrics = list(minimize) + list(maximize)
    if not metrics:
        raise ConfigError("pareto_front needs at least one metric in minimize or maximize")
    missing = [m for m in metrics if m not in df.columns]
    if missing:
        raise ConfigError(f"pareto_front metric(s) {', '.join(map(repr, missing))} not in the table "
                          f"(columns: {', '.join(map(str, df.columns))})")
    if by is not None:
        keys = [by] if isinstance(by, str) else list(by)
        parts = [pareto_front(g, minimize, maximize) for _, g in df.groupby(keys, sort=False)]
        return df.loc[sorted(i for p in parts for i in p.index)] if parts else df.iloc[0:0]
    ok = df[metrics].notna().all(axis=1)
    if "error" in df.columns:
        ok &= df["error"].isna()
    sub = df[ok]
    values = sub[metrics].to_numpy(dtype=float, copy=True)
    values[:, len(minimize) :] *= -1.0  # maximize -> minimize
    keep = np.ones(len(sub), dtype=bool)
    for start in range(0, len(sub), 256):  # chunked all-pairs test, O(n^2 k) memory-bounded
        block = values[start : start + 256, None, :]
        no_worse = (values[None, :, :] <= block).all(axis=2)  # [i, j]: j no worse than i
        better = (values[None, :, :] < block).any(axis=2)
        keep[start : start + 256] = ~(no_worse & better).any(axis=1)
    return sub[keep]


def roofline_peaks(design: Any, precision: str | None = None) -> tuple[float, float]:
    """Return the design's (peak compute in FLOP/s, peak memory bandwidth in bytes/s) for a roofline.

    Every archsim design answers ``peaks()`` (the Design contract): compute at ``precision`` (default: the
    design's highest peak) and ``dram_bytes_per_s``.  Other objects: ``peak_flops_per_s`` /
    ``peak_bandwidth_bytes_per_s`` when they have them; otherwise 2 x MACs of their ``mac_array``
    components x their clock (``freq_mhz``), and the ``interface_bytes_per_s`` of their ``dram`` components.
    """
    if callable(getattr(design, "peaks", None)):
        from archsim.core.design import check_peaks

        p = check_peaks(design.peaks())
        table = p["flops_per_s"]
        if precision is not None and precision not in table:
            raise ConfigError(f"precision must be one of {', '.join(table)} for this design, not {precision!r}")
        return float(table[precision] if precision else max(table.values())), float(p["dram_bytes_per_s"])
    flops = getattr(design, "peak_flops_per_s", None)
    bw = getattr(design, "peak_bandwidth_bytes_per_s", None)
    parts = design.components() if hasattr(design, "components") else []
    if flops is None:
        freq = getattr(design, "freq_mhz", None)
        macs = sum(int(p.get("count", 0)) for p in parts if p.get("kind") == "mac_array")
        if freq and macs:
            flops = 2.0 * macs * float(freq) * 1e6
    if bw is None:
        rates = [float(p["interface_bytes_per_s"]) for p in parts if p.get("kind") == "dram" and
                 p.get("interface_bytes_per_s")]
        if rates:
            bw = sum(rates)
    if flops is None or bw is None:
        raise ConfigError(f"cannot find the peak compute and bandwidth of {type(design).__name__}: give "
                          "peak_flops_per_s and peak_bandwidth_bytes_per_s explicitly")
    return float(flops), float(bw)


def op_group(name: str) -> str:
    """Return an op name without its leading layer tag (``"L3.attn.qkv"`` -> ``"attn.qkv"``)."""
    return _LAYER_PREFIX.sub("", str(name), count=1)


def op_table(trace: Any, result: Any = None, *, group: bool = False) -> pd.DataFrame:
    """Return one row per op (or per op group with ``group=True``): ``name``, ``kind``, ``flops``,
    ``total_bytes``, ``intensity_flop_per_byte`` and, with a ``result`` of that trace, ``cycles``,
    ``seconds``, ``start_cycle``, ``end_cycle``, ``macs``, ``utilization`` (cycle-weighted) and
    ``attained_flop_per_s``.

    Ops run back to back in trace order (start = sum of the cycles of the ops before).
    """
    from archsim.workloads import summarize

    table = summarize(trace)[["name", "kind", "flops", "total_bytes"]].copy()
    if result is not None:
        ops = result.ops
        if len(ops) != len(table):
            raise ConfigError(f"result has {len(ops)} op rows but the trace has {len(table)}")
        cycles = ops["cycles"].to_numpy(dtype=np.int64)
        per_cycle = float(result.summary["seconds"]) / float(result.summary["total_cycles"] or 1)
        table["cycles"] = cycles
        table["end_cycle"] = np.cumsum(cycles)
        table["start_cycle"] = table["end_cycle"] - cycles
        table["seconds"] = cycles * per_cycle
        table["macs"] = ops["macs"].to_numpy(dtype=float) if "macs" in ops else 0.0
        util = ops["utilization"].to_numpy(dtype=float) if "utilization" in ops else np.zeros(len(ops))
        table["_util_cycles"] = util * cycles
        for col in ops.columns:
            if col.startswith("energy_") and col.endswith("_pj"):
                table[col] = ops[col].to_numpy(dtype=float)
    if group:
        table["name"] = table["name"].map(op_group)
        agg: dict[str, str] = {c: "sum" for c in table.columns if c not in ("name", "kind")}
        agg["kind"] = "first"
        if "start_cycle" in table:
            agg["start_cycle"], agg["end_cycle"] = "min", "max"
        table = table.groupby("name", sort=False).agg(agg).reset_index()
    table["intensity_flop_per_byte"] = np.divide(
        table["flops"], table["total_bytes"], out=np.zeros(len(table)), where=table["total_bytes"] > 0
    )
    if "cycles" in table:
        c = table["cycles"].to_numpy(dtype=float)
        table["utilization"] = np.divide(table.pop("_util_cycles"), c, out=np.zeros(len(table)), where=c > 0)
        s = table["seconds"].to_numpy(dtype=float)
        table["attained_flop_per_s"] = np.divide(table["flops"], s, out=np.zeros(len(table)), where=s > 0)
    return table
