"""H100 validation: archsim's ``h100-sxm5-80gb`` preset vs measurements on a real H100, per row.

Data: validation/data/h100 (measured for this project with validation/gpu/run_all.py: GEMMs in bf16, fp16,
fp8, tf32, fp32 and whole Llama decoder layers, CUDA-graph replay; see validation/data/h100/README.md) and
the independent subset ../shared/data/h100/gemm_calibration.csv when present.  Fitted on the fit half of the
GEMMs (validation/h100.py): ``kernel_floor_ns`` (one value) and ``mac_efficiency`` (one per tensor-core
precision); every other row is held out.  DRAM latency and efficiency come from bandwidth.csv.

Run: ``python benchmarks/bench_h100.py [--all] [--fit]`` (``--all``: print the fit half too; ``--fit``: redo the
full coordinate-descent fit, a few minutes, and print it beside the preset)
"""

from __future__ import annotations

import argparse
import csv
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from validation import h100  # noqa: E402

#: the independent subset beside the checkout (../shared; a worktree sits one level deeper)
SHARED = next((p / "shared" / "data" / "h100" / "gemm_calibration.csv" for p in (ROOT.parent, ROOT.parents[1])
               if (p / "shared" / "data" / "h100" / "gemm_calibration.csv").is_file()), Path("/nonexistent"))


def _table(title: str, rows: list[dict]) -> None:
    print(f"\n{title}")
    print(f"{'dtype':>5} {'M':>6} {'K':>6} {'N':>6} {'measured us':>12} {'predicted us':>13} {'error':>8}")
    for r in rows:
        print(f"{r['dtype']:>5} {r['M']:>6} {r['K']:>6} {r['N']:>6} {r['us']:>12.2f} {r['pred_us']:>13.2f} "
              f"{r['error']:>+8.1%}")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--all", action="store_true")
    ap.add_argument("--fit", action="store_true")
    args = ap.parse_args()
    t0 = time.perf_counter()
    fit, held = h100.split_halves(h100.load_gemms())
    d = h100.design()
    if args.fit:
        p = h100.fit_parameters(fit)
        print(f"fit half, coordinate descent: kernel_floor_ns {p['kernel_floor_ns']:.0f}, mac_efficiency "
              f"{p['mac_efficiency']}")
    floor = h100.fit_kernel_floor(fit)
    print(f"kernel_floor_ns fitted on the fit half: {floor:.0f} (preset: {d.kernel_floor_ns:.0f})")
    print(f"mac_efficiency (preset, fitted on the fit half): {d.mac_efficiency}")
    fixed, gbps = h100.copy_stream_fit()
    tiny = h100.load_launch()["tiny_add"]
    print(f"copies 16..256 MiB: t = {fixed:.3f} us + bytes / {gbps:.0f} GB/s; DRAM latency = {fixed:.3f} - "
          f"{tiny:.3f} (tiny add) = {(fixed - tiny) * 1e3:.0f} ns (preset: {d.memory_latency_ns:.0f})")
    eh = h100.errors(d, held)
    if args.all:
        _table("GEMMs, fit half", h100.errors(d, fit))
    _table("GEMMs, held-out half", eh)
    print("\nheld-out |error| per precision:")
    for dt, s in h100.summary(eh).items():
        print(f"  {dt:>5}: n={s['n']:>3}  median {s['median']:.1%}  max {s['max']:.1%}")
    if SHARED.is_file():
        names = {"bfloat16": "bf16", "float16": "fp16", "float32": "fp32"}
        rows = [{"dtype": names[r["dtype"]], "M": int(r["M"]), "K": int(r["K"]), "N": int(r["N"]),
                 "us": float(r["us_median"])} for r in csv.DictReader(open(SHARED)) if r["dtype"] in names]
        es = h100.errors(d, rows)
        _table(f"GEMMs, independent subset ({SHARED.name}; never fitted)", es)
        for dt, s in h100.summary(es).items():
            print(f"  {dt:>5}: n={s['n']:>3}  median {s['median']:.1%}  max {s['max']:.1%}")
    print("\nDecoder layers (one layer, measured as a whole in one CUDA graph; never fitted)")
    print(f"{'model':>10} {'phase':>8} {'batch':>5} {'seq':>5} {'ctx':>5} {'measured us':>12} {'predicted us':>13} "
          f"{'error':>8}")
    by_phase: dict[str, list[float]] = {}
    for r in h100.load_layers():
        p = h100.predict_layer_us(d, r)
        e = (p - r["us"]) / r["us"]
        by_phase.setdefault(r["phase"], []).append(abs(e))
        print(f"{r['model']:>10} {r['phase']:>8} {r['batch']:>5} {r['seq']:>5} {r['context']:>5} {r['us']:>12.1f} "
              f"{p:>13.1f} {e:>+8.1%}")
    for ph, es in by_phase.items():
        print(f"  {ph}: median |error| {statistics.median(es):.1%}, max {max(es):.1%}")
    print("\nSDPA attention (torch 2.11 scaled_dot_product_attention; never fitted)")
    print(f"{'kind':>8} {'batch':>5} {'kv_h':>4} {'q':>6} {'kv':>6} {'causal':>6} {'measured us':>12} "
          f"{'predicted us':>13} {'error':>8}  partition")
    by_kind: dict[str, list[float]] = {}
    for r in h100.load_attention():
        p, part = h100.predict_attention_us(d, r)
        e = (p - r["us"]) / r["us"]
        by_kind.setdefault(r["kind"], []).append(abs(e))
        print(f"{r['kind']:>8} {r['batch']:>5} {r['kv_heads']:>4} {r['q_len']:>6} {r['kv_len']:>6} "
              f"{str(r['causal']):>6} {r['us']:>12.1f} {p:>13.1f} {e:>+8.1%}  {part}")
    for k, es in by_kind.items():
        print(f"  {k}: median |error| {statistics.median(es):.1%}, max {max(es):.1%}")
    small_models_table(d)
    print(f"\n(simulated in {time.perf_counter() - t0:.1f} s)")
    return 0


def small_models_table(d) -> None:
    """Whole GPT-2/OPT decode steps (batch 1), graph and eager: measured vs modelled (never fitted)."""
    from validation import small_models

    print("\nWhole-model decode steps, batch 1 (validation/data/h100/small_models.csv; never fitted)")
    print(f"{'model':>12} {'ctx':>5} {'execution':>9} {'measured us':>12} {'predicted us':>13} {'error':>8}")
    by_mode: dict[str, list[float]] = {}
    for r in small_models.table(d):
        by_mode.setdefault(r["execution"], []).append(abs(r["error"]))
        print(f"{r['model']:>12} {r['context']:>5} {r['execution']:>9} {r['measured_us']:>12.1f} "
              f"{r['predicted_us']:>13.1f} {r['error']:>+8.1%}")
    for m, es in by_mode.items():
        print(f"  {m}: median |error| {statistics.median(es):.1%}, max {max(es):.1%}")


if __name__ == "__main__":
    raise SystemExit(main())
