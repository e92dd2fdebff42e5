"""Collective model on the dgx-h100 preset vs published NCCL figures; Llama-2-70B TP scaling; DeepSeek-R1 on
CloudMatrix384.  Prints three tables (python benchmarks/bench_collectives.py).

Published NCCL reference (H100 NVLink 4, NVLink SHARP off): "450GB/s is the line rate. With the protocol
overhead (~20%) NCCL can get an effective NVLink bandwidth of 370GB/s, which you can observe as BusBw when
running non-allreduce operations, or when running with NCCL_ALGO=RING" - S. Jeaugey (NCCL maintainer),
NVIDIA/nccl-tests issue #212, 2024-05-06.  That is a large-message plateau, for any GPU count (it is the
per-GPU NVLink rate).  NOTE: the preset's link efficiency (0.822 = 370/450) is taken from the same
statement, so the large-size agreement is a consistency check, not an independent validation; the
small-size fall-off rests on assumed latencies until validation/gpu/collectives.py is run on a multi-GPU
node (issue 22).
"""

from __future__ import annotations

import time

import archsim
from archsim.network import collective
from archsim.workloads import build_trace

PUBLISHED_BUSBW_GBPS = 370.0  # NVIDIA/nccl-tests#212 (see the module docstring)
MiB, GiB = 1 << 20, 1 << 30


def collectives_table() -> None:
    topo = archsim.load_design("dgx-h100").topology
    print("== predicted busbw on dgx-h100 (GB/s) vs published NCCL plateau 370 GB/s (nccl-tests#212) ==")
    print(f"{'op':>14} {'gpus':>4} " + " ".join(f"{s // MiB:>7}M" for s in (1 * MiB, 16 * MiB, 256 * MiB))
          + " " + " ".join(f"{s // GiB:>7}G" for s in (1 * GiB, 8 * GiB)) + "   algo@1M/8G  err@8G")
    for op in ("all_reduce", "all_gather", "all_to_all"):
        for p in (2, 4, 8):
            rs = [collective(topo, op, s, p) for s in (MiB, 16 * MiB, 256 * MiB, GiB, 8 * GiB)]
            err = (rs[-1].busbw_gbps - PUBLISHED_BUSBW_GBPS) / PUBLISHED_BUSBW_GBPS
            print(f"{op:>14} {p:>4} " + " ".join(f"{r.busbw_gbps:8.1f}" for r in rs)
                  + f"   {rs[0].algorithm}/{rs[-1].algorithm}  {err:+.1%}")


def scale_out_table() -> None:
    from archsim.network import choose

    topo = archsim.load_design("dgx-h100x2").topology
    print("\n== dgx-h100x2 (16 GPUs, NVLink 4 + rail-optimized NDR): all-reduce algorithm choice ==")
    for size in (MiB, 16 * MiB, 256 * MiB, GiB, 8 * GiB):
        table = choose(topo, "all_reduce", size, 16)
        print(f"{size / MiB:>8.0f} MiB  " + "  ".join(f"{c['algorithm']} {c['busbw_gbps']:6.1f}" for c in table))


def measured_table() -> None:
    """Predicted vs measured busbw for every multi-GPU row of validation/data/collectives*.csv (issue 22)."""
    import glob
    from pathlib import Path

    import numpy as np
    import pandas as pd

    root = Path(__file__).resolve().parent.parent / "validation" / "data"
    frames = [pd.read_csv(f) for f in sorted(glob.glob(str(root / "collectives*.csv")))]
    df = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()
    df = df[df["gpus"] > 1] if len(df) else df
    print("\n== predicted vs measured busbw (validation/data/collectives*.csv, written by "
          "validation/gpu/collectives.py) ==")
    if not len(df):
        print("   no multi-GPU measurement committed yet (issue 22: multi-GPU machines withheld)")
        return
    topo = archsim.load_design("dgx-h100").topology
    pred = [collective(topo, r.collective, int(r.size_bytes), int(r.gpus)).busbw_gbps for r in df.itertuples()]
    df = df.assign(predicted_gbps=pred, error=np.array(pred) / df["busbw_gbps"] - 1)
    print(df[["collective", "gpus", "size_bytes", "algorithm", "busbw_gbps", "predicted_gbps", "error"]]
          .to_string(index=False, float_format=lambda x: f"{x:.3f}"))
    big = df[df["size_bytes"] >= 64 * MiB]["error"].abs()
    print(f"   |error|: median {df['error'].abs().median():.1%}, max {df['error'].abs().max():.1%}; "
          f">= 64 MiB: median {big.median():.1%} (goal <= 10 %)")


def llama_table() -> None:
    print("\n== Llama-2-70B on dgx-h100, bf16: time split and TP scaling efficiency ==")
    print("   efficiency = t(tp=1) / (tp x t(tp)); tp=1 ignores that 70B bf16 does not fit one 80 GB GPU "
          "(capacity_check=report)")
    for mode in ("eager", "graph"):
        dgx = archsim.load_design("dgx-h100")
        dgx = dgx.replace(chip=dgx.chip.replace(execution=mode, capacity_check="report"))
        gap = dgx.chip.launch_overhead_ns / 1e3 if mode == "eager" else 0.0
        print(f"-- {mode} (host launch gap {gap:g} us per kernel; device kernel floor in both)")
        print(f"{'phase':>8} {'tp':>3} {'step_ms':>9} {'compute_ms':>11} {'comm_ms':>9} {'comm%':>6} {'eff':>6}")
        for phase, kw in (("decode", dict(batch=8, context=2048)), ("prefill", dict(batch=1, seq=2048))):
            base = None
            for tp in (1, 2, 4, 8):
                s = dgx.run(build_trace("llama2-70b", phase=phase, tp=tp, **kw)).summary
                t = s["seconds"]
                base = base or t
                comm = s.get("exposed_communication_seconds", 0.0)
                print(f"{phase:>8} {tp:>3} {t * 1e3:9.2f} {s.get('compute_seconds', t) * 1e3:11.2f} {comm * 1e3:9.2f}"
                      f" {comm / t:6.1%} {base / (tp * t):6.1%}")


def deepseek_table() -> None:
    print("\n== DeepSeek-R1 decode on cloudmatrix384, EP320, INT8 (w8a8, int8 KV), DP attention ==")
    print("   published: 1,943 tokens/s per NPU at TPOT < 50 ms (Zuo et al., arXiv 2506.12708, 2025)")
    print("   'ideal chip': the same die without the 5 us/op launch cost and with a crossbar instead of the")
    print("   mesh NoC (per-core DRAM share no longer capped) - the chip-model part of the gap")
    cm = archsim.load_design("cloudmatrix384").replace(ep=320, dispatch_precision="int8")
    ideal = cm.replace(chip=cm.chip.replace(launch_overhead_ns=0.0, noc="crossbar", noc_link_gbps=400.0))
    print(f"{'chip':>10} {'batch/NPU':>9} {'ctx':>5} {'overlap':>7} {'TPOT_ms':>8} {'compute_ms':>10} {'comm_ms':>8}"
          f" {'tok/s/NPU':>10}")
    for label, base, overlap in (("preset", cm, 0.0), ("preset", cm, 0.9), ("ideal", ideal, 0.9)):
        for batch in (32, 64, 96):
            d = base.replace(overlap=overlap)
            tr = build_trace("deepseek-r1", phase="decode", batch=batch, context=4096, precision="w8a8",
                             kv_precision="int8")
            s = d.run(tr).summary
            print(f"{label:>10} {batch:>9} {4096:>5} {overlap:>7} {s['seconds'] * 1e3:8.2f}"
                  f" {s['compute_seconds'] * 1e3:10.2f} {s['communication_seconds'] * 1e3:8.2f}"
                  f" {s['tokens_per_s_per_device']:10.0f}")


if __name__ == "__main__":
    t0 = time.perf_counter()
    collectives_table()
    scale_out_table()
    measured_table()
    llama_table()
    deepseek_table()
    print(f"\n(wall {time.perf_counter() - t0:.1f} s)")
