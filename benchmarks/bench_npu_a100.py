"""A100 GEMM validation: predicted (archsim NPU preset ``a100-sxm4-80gb``) vs measured latency.

Measured data: LLMCompass (Zhang et al., "LLMCompass: Enabling Efficient Hardware Design for Large
Language Model Inference", ISCA 2024), ae/figure5/ab/real_hardware/matmul_A100.csv: fp16 GEMMs on an
NVIDIA A100 80GB (copied in benchmarks/data/llmcompass/, see its README).  One fixed set of physical
parameters (the preset, every value cited in archsim/arch/npu/_presets.py); nothing is fitted per shape.

Run: ``python benchmarks/bench_npu_a100.py [--design NAME] [--set field=value ...]``
"""

from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path

from archsim.arch.npu import get_npu_design
from archsim.workloads import Op

DATA = Path(__file__).resolve().parent / "data" / "llmcompass" / "matmul_A100.csv"


def read_measurements(path: Path = DATA) -> list[tuple[int, int, int, float]]:
    """Return ``(M, K, N, measured seconds)`` rows of the LLMCompass CSV (no header; ``0.19ms`` units)."""
    rows = []
    for line in path.read_text().splitlines():
        if not line.strip():
            continue
        m, k, n, lat, _ = (x.strip() for x in line.split(","))
        if not lat.endswith("ms"):
            raise ValueError(f"latency must be in ms, not {lat!r}")
        rows.append((int(m), int(k), int(n), float(lat[:-2]) * 1e-3))
    return rows


def validate(design) -> list[dict]:
    """Return one dict per measured shape: shape, measured and predicted seconds, relative error, mapping."""
    out = []
    for m, k, n, meas in read_measurements():
        r = design.run(Op(f"gemm_{m}x{k}x{n}", "gemm", m, k, n, 1, "fp16", "fp16", "fp16"))
        row = r.ops.iloc[0]
        out.append({"M": m, "K": k, "N": n, "measured_s": meas, "predicted_s": r.seconds,
                    "error": (r.seconds - meas) / meas, "tile": f"{row.tile_m}x{row.tile_n}",
                    "split_k": int(row.split_k), "waves": int(row.waves)})
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--design", default="a100-sxm4-80gb")
    ap.add_argument("--set", action="append", default=[], metavar="FIELD=VALUE")
    args = ap.parse_args()
    d = get_npu_design(args.design).replace(execution="eager")  # LLMCompass timed PyTorch eager
    if args.set:
        import yaml

        d = d.replace(**{k: yaml.safe_load(v) for k, v in (s.split("=", 1) for s in args.set)})
    t0 = time.perf_counter()
    rows = validate(d)
    wall = time.perf_counter() - t0
    print(f"{'M':>6} {'K':>6} {'N':>6} {'measured ms':>12} {'predicted ms':>13} {'error':>8}  tile     splitK waves")
    for r in rows:
        print(f"{r['M']:>6} {r['K']:>6} {r['N']:>6} {r['measured_s'] * 1e3:>12.4f} {r['predicted_s'] * 1e3:>13.4f} "
              f"{r['error']:>+8.1%}  {r['tile']:<8} {r['split_k']:>6} {r['waves']:>5}")
    errs = [abs(r["error"]) for r in rows]
    print(f"\n{len(rows)} shapes: median |error| {statistics.median(errs):.1%}, mean {statistics.mean(errs):.1%}, "
          f"max {max(errs):.1%}  (design {d.name}; simulated in {wall:.1f} s)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
