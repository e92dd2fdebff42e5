"""The default archsim study: three systolic-array presets x Llama-2-7B prefill and decode.

    python examples/main_study.py            # ~1 minute on 2 cores; plots in examples/out/

Runs the sweep (archsim.study.sweep, 2 worker processes), prints a comparison table and writes:
  main_comparison.png   energy per component, every design x phase, with latency and tokens/s
  main_roofline_{prefill,decode}.png   each op of Llama-2-7B on sa128-bf16 on its roofline
  main_utilization.png  per-op utilization of sa128-bf16, prefill vs decode
  main_timeline.png     Gantt chart of one sa128-bf16 prefill
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import OUT, need_systolic_array, simulate, table  # noqa: E402

PRESETS = ["tpu-v1", "gemmini", "sa128-bf16"]
SEQ = 512  # prompt tokens
CONTEXT = 512  # KV-cache length of the decode step
WORKLOADS = {
    "prefill": {"model": "llama2-7b", "phase": "prefill", "batch": 1, "seq": SEQ},
    "decode": {"model": "llama2-7b", "phase": "decode", "batch": 1, "context": CONTEXT},
}
TOKENS = {"prefill": SEQ, "decode": 1}  # tokens produced/consumed per run (batch 1)


def preset_design(preset: str, **overrides):
    """Return the design preset ``preset`` with ``overrides`` (the sweep's design factory)."""
    import archsim

    return archsim.load_design(preset, **overrides)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description="default study: presets x Llama-2-7B prefill/decode")
    ap.add_argument("--out", type=Path, default=OUT, help="directory for the plots (default examples/out)")
    ap.add_argument("--workers", type=int, default=2)
    args = ap.parse_args(argv)
    need_systolic_array()
    import archsim
    from archsim.study import (
        op_table,
        plot_energy_breakdown,
        plot_roofline,
        plot_timeline,
        roofline_peaks,
        save_figure,
        sweep,
    )

    t0 = time.perf_counter()
    # every preset runs its native precision: int8 arrays on int8 (w8a8) traces, bf16 ones on bf16 traces
    import pandas as pd

    from archsim.workloads import PRECISION_PRESETS, PrecisionPlan

    native = {p: _native_plan(archsim.load_design(p)) for p in PRESETS}
    parts = []
    for plan in dict.fromkeys(native.values()):
        group = [p for p in PRESETS if native[p] == plan]
        wl = {name: {**spec, "precision": plan if plan in PRECISION_PRESETS else PrecisionPlan(plan, plan, plan, plan)}
              for name, spec in WORKLOADS.items()}
        parts.append(sweep(preset_design, {"preset": group}, wl, workers=args.workers))
    df = pd.concat(parts, ignore_index=True)
    df["preset"] = pd.Categorical(df["preset"], PRESETS, ordered=True)
    df = df.sort_values(["preset", "workload"], key=lambda c: c.map({w: i for i, w in enumerate(WORKLOADS)})
                        if c.name == "workload" else c).reset_index(drop=True)
    df["preset"] = df["preset"].astype(str)
    if df["error"].notna().any():
        print(df.loc[df["error"].notna(), ["preset", "workload", "error"]].to_string(index=False))
        return 1

    df["tokens_per_s"] = [TOKENS[w] / s for w, s in zip(df["workload"], df["seconds"], strict=True)]
    df["ms"] = df["seconds"] * 1e3
    df["mj_per_token"] = df["energy_j"] * 1e3 / df["workload"].map(TOKENS)
    cols = ["preset", "workload", "total_cycles", "ms", "tokens_per_s", "utilization", "energy_j",
            "mj_per_token", "power_w", "area_mm2", "tops_per_w"]
    print(f"Llama-2-7B (seq {SEQ} prefill, context {CONTEXT} decode, batch 1) on systolic-array presets\n")
    print(table(_design_table(PRESETS, native)))
    print()
    print(table(df[cols]))

    out = args.out
    from matplotlib.figure import Figure

    fig = Figure(figsize=(11.0, 4.4))
    per_token = _per_token(df)
    for ax, phase in zip(fig.subplots(1, 2), WORKLOADS, strict=True):
        sub = per_token[per_token["workload"] == phase].reset_index(drop=True)
        plot_energy_breakdown(sub, label="preset", unit="mJ", ax=ax,
                              title=f"{phase}: energy per token by component")
        for i, r in sub.iterrows():
            ax.annotate(f"{r['ms']:.3g} ms, {r['tokens_per_s']:.3g} tok/s", (i, r["mj_per_token"]),
                        xytext=(0, 3), textcoords="offset points", ha="center", fontsize=7)
        ax.set_ylabel("energy per token (mJ)")
        if phase != "decode":
            ax.get_legend().remove()
    specs = "; ".join(f"{p}: {native[p]}, {archsim.load_design(p).node_nm:g} nm, "
                      f"{archsim.load_design(p).freq_mhz:g} MHz, {archsim.load_design(p).dram_standard} "
                      f"{archsim.load_design(p).memory_bandwidth_gbps:g} GB/s" for p in PRESETS)
    fig.suptitle(f"Llama-2-7B, batch 1 (prefill {SEQ} tokens; decode at context {CONTEXT}), each design at its "
                 f"native precision\n{specs}", fontsize=8)
    save_figure(fig, out / "main_comparison.png")

    design = archsim.load_design("sa128-bf16")
    flops, bw = roofline_peaks(design)
    runs = {}
    for phase, spec in WORKLOADS.items():
        trace = archsim.build_trace(spec["model"], **{k: v for k, v in spec.items() if k != "model"})
        result = simulate(design, trace)
        runs[phase] = (trace, result)
        plot_roofline(trace, peak_flops_per_s=flops, peak_bandwidth_bytes_per_s=bw, result=result,
                      title=f"sa128-bf16, Llama-2-7B {phase}: ops on the roofline",
                      path=out / f"main_roofline_{phase}.png")
    save_figure(_utilization_pair(runs, op_table), out / "main_utilization.png")
    trace, result = runs["prefill"]
    layer = result.ops.loc[trace.df["count"] == 32, "cycles"].sum() / 32  # cycles of one of the 32 layers
    plot_timeline(trace, result, lanes="name", window_cycles=(0, 2 * layer),
                  title="sa128-bf16, Llama-2-7B prefill (seq 512): the first 2 of 32 layers",
                  path=out / "main_timeline.png")
    print(f"\nplots in {out}/ (main_comparison, main_roofline_prefill/decode, main_utilization, main_timeline)")
    print(f"total {time.perf_counter() - t0:.1f} s")
    return 0


def _native_plan(design) -> str:
    """The trace precision plan matching the design's PEs: every tensor in the PE format (an int8 array
    runs weights, activations and the KV cache as int8; a bf16 array everything in bf16)."""
    return design.a_precision


def _design_table(presets, native):
    """Precision, node, clock and memory of every design (what the comparison depends on)."""
    import pandas as pd

    import archsim

    rows = []
    for p in presets:
        d = archsim.load_design(p)
        rows.append({"preset": p, "PEs": f"{d.rows}x{d.cols} {d.a_precision}", "trace precision": native[p],
                     "dataflow": d.dataflow, "node_nm": d.node_nm, "clock_mhz": d.freq_mhz,
                     "memory": f"{d.dram_standard} {d.memory_bandwidth_gbps:g} GB/s",
                     "sram_mib": (d.ifmap_sram_bytes + d.filter_sram_bytes + d.ofmap_sram_bytes) / 2**20})
    return pd.DataFrame(rows)


def _per_token(df):
    per = df.copy()
    for c in per.columns:
        if c.startswith("energy_") and c.endswith("_pj"):
            per[c] = per[c] / per["workload"].map(TOKENS)
    return per


def _utilization_pair(runs, op_table):
    import numpy as np
    from matplotlib.figure import Figure

    tables = {phase: op_table(trace, result, group=True) for phase, (trace, result) in runs.items()}
    names = list(tables["prefill"]["name"])
    fig = Figure(figsize=(8.0, 5.0))
    ax = fig.add_subplot()
    y = np.arange(len(names))[::-1]
    for i, (phase, t) in enumerate(tables.items()):
        u = t.set_index("name").reindex(names)["utilization"].fillna(0).to_numpy()
        ax.barh(y + (0.2 if i == 0 else -0.2), u, height=0.38, label=phase, color=f"C{i}", edgecolor="k", lw=0.3)
    ax.set_yticks(y, names, fontsize=7)
    ax.set_xscale("log")
    ax.set_xlim(1e-4, 1.5)
    ax.set_xlabel("PE utilization (MACs / (PEs x cycles)), log scale")
    ax.set_title("sa128-bf16 on Llama-2-7B: per-op utilization, prefill vs decode (vector ops: 0)")
    ax.legend()
    ax.grid(True, axis="x", alpha=0.3)
    return fig


if __name__ == "__main__":
    raise SystemExit(main())
