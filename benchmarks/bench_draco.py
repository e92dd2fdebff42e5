"""DRACO reproduction: MobileNetV1 on a 64x64 array, row stationary vs OS/WS/IS vs DRACO grouping.

Paper (Jha et al., arXiv:2006.15103, abstract): DRACO vs row stationary on MobileNetV1, 64x64
systolic array: +41.8 % average PE utilization, -42.6 % inference latency.

Rows: each mapping on the original network and on the DRACO-regrouped network
(:func:`archsim.dataflow.draco.draco_grouping`).  Columns:
  * ``cycles``: ideal memory (RS: :mod:`archsim.dataflow.row_stationary` closed form, == its
    exact stepping; OS/WS/IS: the systolic array's ``compute_cycles`` through im2col), so every
    mapping is compared on compute alone, as DRACO does;
  * ``cycles_mem``: OS/WS/IS with the systolic model's default memory port (100 GB/s, 100 ns);
  * ``util``: MACs / (4096 PEs x cycles) over the network; ``avg_layer_util``: mean over layers of
    the per-layer utilization (the paper's "average PE utilization");
  * ``MMACs``: multiply-adds (DRACO's regrouping adds MACs to the depthwise layers).

    python benchmarks/bench_draco.py [--rows 64] [--precision int8]
"""

from __future__ import annotations

import argparse

import pandas as pd

from archsim.arch.systolic import SystolicArray
from archsim.dataflow.draco import draco_grouping
from archsim.dataflow.row_stationary import op_conv_shape, plan_rs
from archsim.workloads.cnn import cnn_trace
from archsim.workloads.trace import Trace


def rs_rows(ops, R, C):
    out = []
    for op in ops:
        p = plan_rs(op_conv_shape(op), R, C)
        sh = p.shape
        # partial sums the model accumulates across input channels at the global buffer, for free: one per
        # (image, output channel, input channel of the group, output element) = MACs / (r s)
        psums = sh.n * sh.k * (sh.c // sh.groups) * sh.p * sh.q
        out.append({"name": op.name, "macs": op.macs, "cycles": p.cycles(), "cycles_mem": None,
                    "glb_psums": psums, "pointwise": sh.r == sh.s == 1})
    return pd.DataFrame(out)


def sa_rows(ops, R, C, df, precision):
    d = SystolicArray(rows=R, cols=C, dataflow=df, a_precision=precision, b_precision=precision)
    res = d.run(Trace.from_ops(ops))
    return pd.DataFrame({"name": res.ops["name"], "macs": res.ops["macs"], "cycles": res.ops["compute_cycles"],
                         "cycles_mem": res.ops["cycles"]})


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=64)
    ap.add_argument("--precision", default="int8")
    args = ap.parse_args()
    R = C = args.rows
    pes = R * C
    base = list(cnn_trace("mobilenet-v1", precision=args.precision))
    nets = {"original": base, "draco": draco_grouping(base, R)}
    rows = []
    for net, ops in nets.items():
        for mapping in ("rs", "os", "ws", "is"):
            t = rs_rows(ops, R, C) if mapping == "rs" else sa_rows(ops, R, C, mapping, args.precision)
            cyc = int(t["cycles"].sum())
            rows.append({
                "network": net, "mapping": mapping, "MMACs": round(t["macs"].sum() / 1e6, 1), "cycles": cyc,
                "cycles_mem": None if t["cycles_mem"].isna().any() else int(t["cycles_mem"].sum()),
                "util": t["macs"].sum() / (pes * cyc),
                "avg_layer_util": float((t["macs"] / (pes * t["cycles"])).mean()),
            })
    tab = pd.DataFrame(rows)
    tab["cycles_mem"] = tab["cycles_mem"].astype("Int64")
    pd.set_option("display.width", 200)
    print(f"MobileNetV1 (Howard et al. 2017, Table 1), {R}x{C} array, {args.precision}, batch 1\n")
    print(tab.to_string(index=False, float_format=lambda x: f"{x:.4f}"))
    rs = tab[(tab.network == "original") & (tab.mapping == "rs")].iloc[0]
    for net, ops in nets.items():
        t = rs_rows(ops, R, C)
        pw = t[t["pointwise"]]
        print(f"\nRS, {net}: partial sums accumulated across input channels at the global buffer (free in the "
              f"model): {t['glb_psums'].sum() / t['cycles'].sum():.0f} per cycle on average; 1x1 (pointwise/FC) "
              f"layers take {pw['cycles'].sum() / t['cycles'].sum():.0%} of the cycles at "
              f"{pw['glb_psums'].sum() / pw['cycles'].sum():.0f} per cycle (r = s = 1: every MAC is its own psum)")
    print("\nDRACO network vs row stationary on the original network (paper: +41.8 % avg utilization, "
          "-42.6 % latency):")
    for m in ("rs", "os", "ws", "is"):
        d = tab[(tab.network == "draco") & (tab.mapping == m)].iloc[0]
        print(f"  DRACO on {m}: avg utilization {100 * (d.avg_layer_util / rs.avg_layer_util - 1):+.1f} %, "
              f"latency {100 * (d.cycles / rs.cycles - 1):+.1f} %")
    for m in ("os", "ws", "is"):
        o = tab[(tab.network == "original") & (tab.mapping == m)].iloc[0]
        d = tab[(tab.network == "draco") & (tab.mapping == m)].iloc[0]
        du = 100 * (d.avg_layer_util / o.avg_layer_util - 1)
        print(f"  {m} (im2col): DRACO vs original: avg utilization {du:+.1f} %, "
              f"latency {100 * (d.cycles / o.cycles - 1):+.1f} %")


if __name__ == "__main__":
    main()
