"""Duplex-style heterogeneous decode: xPU-only vs Logic-PIM placement (issue: heterogeneous placement).

Prints, per model x batch x context: decode-step throughput (tokens/s) of the ``duplex-h100`` preset with
every op on the xPU and with the ``opb``, ``greedy`` and ``exhaustive`` placements, the speed-up over xPU-only
and where the experts and attention went.  Duplex (Yun et al., MICRO 2024, arXiv:2409.01141, abstract)
reports up to 2.67x higher throughput than GPU systems on Mixtral, GLaM, Grok-1 and Llama-3 under continuous
batching.

    python benchmarks/bench_duplex.py            # Mixtral-8x7B and Llama-3-70B, batch 16-256, context 1k-4k
    python benchmarks/bench_duplex.py --quick    # one context
"""

from __future__ import annotations

import argparse
import time

import archsim
from archsim.arch.hetero import placement_table


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="context 2048 only")
    args = ap.parse_args()
    d = archsim.load_design("duplex-h100")
    contexts = (2048,) if args.quick else (1024, 4096)
    print(f"design {d.name}: xPU {d.xpu.name}, {d.pim_devices} x {d.pim.name}, threshold "
          f"{d.threshold:.1f} FLOP/B, co-run rates {d.corun_rates()}")
    print(f"{'model':14s} {'batch':>5s} {'ctx':>5s} {'xpu tok/s':>10s} {'opb':>8s} {'greedy':>8s} {'exh.':>8s} "
          f"{'best x':>6s}  experts on PIM  attention  wall s")
    t_all = time.time()
    for model in ("mixtral-8x7b", "llama3-70b"):
        for ctx in contexts:
            for batch in (16, 64, 256):
                t0 = time.time()
                tr = archsim.build_trace(model, phase="decode", batch=batch, context=ctx)
                tps = {p: d.replace(placement=p).run(tr).summary["tokens_per_s"]
                       for p in ("xpu", "opb", "greedy", "exhaustive")}
                tab = placement_table(d, tr).set_index("class")
                ex = f"{int(tab.loc['expert', 'on_pim'])}/{int(tab.loc['expert', 'units'])}" \
                    if "expert" in tab.index else "-"
                at = tab.loc["attention", "device"] if "attention" in tab.index else "-"
                best = max(tps["opb"], tps["greedy"], tps["exhaustive"]) / tps["xpu"]
                print(f"{model:14s} {batch:5d} {ctx:5d} {tps['xpu']:10.1f} {tps['opb']:8.1f} {tps['greedy']:8.1f} "
                      f"{tps['exhaustive']:8.1f} {best:6.2f}  {ex:>14s}  {at:9s} {time.time() - t0:6.1f}")
    print(f"total wall {time.time() - t_all:.1f} s")
    tr = archsim.build_trace("mixtral-8x7b", phase="decode", batch=64, context=2048)
    print("\nplacement per op class, mixtral-8x7b decode batch 64 context 2048 (opb policy):")
    print(placement_table(d, tr).to_string(index=False, float_format=lambda v: f"{v:.4g}"))


if __name__ == "__main__":
    main()
