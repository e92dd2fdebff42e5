"""Second H100 batch (run after run_all.py): L2-resident bandwidth, bandwidth vs number of active SMs (Triton
stream kernel, one program per SM-sized chunk), elementwise/norm kernels (vector.csv) and misaligned GEMMs.
Same method as run_all.py (graph replay, median).  Usage: ``python3 validation/gpu/run_extra.py``.
"""

from __future__ import annotations

import os
import sys
import time

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import run_all as ra  # noqa: E402


def section_l2(rows: list) -> None:
    """One buffer read / copied over and over (fits the 50 MB L2): L2 bandwidth."""
    for mib in (2, 4, 8, 16, 24):
        nb = mib * 2**20
        src = torch.randn(nb // 2, device="cuda", dtype=torch.bfloat16)
        dst = torch.empty_like(src)
        for op, fn, moved in (("l2_read", lambda s=src: s.sum(dtype=torch.float32), nb),
                              ("l2_copy", lambda s=src, d=dst: d.copy_(s), 2 * nb)):
            med, mn = ra.time_graph([fn], target_ms=3)
            rows.append({"kind": op, "bytes": nb, "us_median": med, "us_min": mn, "gbps": moved / med / 1e3})


def section_sm_bw(rows: list) -> None:
    """Bandwidth with n programs each streaming its own 16 MiB chunk (DRAM; chunks rotate past L2)."""
    import triton
    import triton.language as tl

    @triton.jit
    def stream(x_ptr, out_ptr, n_per: tl.constexpr, BLOCK: tl.constexpr):
        pid = tl.program_id(0)
        base = pid.to(tl.int64) * n_per  # int64: 264 programs x 8 Mi elements pass 2^31
        acc = tl.zeros([BLOCK], dtype=tl.float32)
        for i in range(0, n_per, BLOCK):
            acc += tl.load(x_ptr + base + i + tl.arange(0, BLOCK)).to(tl.float32)
        tl.store(out_ptr + pid, tl.sum(acc))

    n_per = 8 * 2**20  # bf16 elements = 16 MiB per program
    for n in (1, 2, 4, 8, 16, 33, 66, 132, 264):
        total = n * n_per
        sets = max(1, min(4, (3 * 50 * 2**20) // (2 * total) + 1))
        xs = [torch.randn(total, device="cuda", dtype=torch.bfloat16) for _ in range(sets)]
        out = torch.empty(n, device="cuda", dtype=torch.float32)
        fns = [lambda x=x, n=n, o=out: stream[(n,)](x, o, n_per, 4096, num_warps=8) for x in xs]
        med, mn = ra.time_graph(fns, target_ms=5, replays=9)
        rows.append({"kind": "programs_stream", "programs": n, "bytes": 2 * total, "us_median": med, "us_min": mn,
                     "gbps": 2 * total / med / 1e3, "gbps_per_program": 2 * total / med / 1e3 / n})
        del xs
        torch.cuda.empty_cache()


def section_odd(rows: list) -> None:
    for prec in ("bf16", "fp16"):
        for m, k, n in ((100, 300, 70), (777, 1234, 555), (3000, 5000, 1000), (768, 1232, 560),
                        (4095, 4095, 4095), (4096, 4096, 4096), (1000, 4096, 4096), (1024, 4100, 4100)):
            try:
                rows.append(ra.bench_gemm(prec, m, k, n))
            except Exception as ex:  # noqa: BLE001
                rows.append({"kind": "gemm", "dtype": prec, "M": m, "K": k, "N": n, "error": repr(ex)[:200]})


def main() -> int:
    os.makedirs(ra.OUT, exist_ok=True)
    ra.BUDGET = 300.0
    torch.manual_seed(1)
    for name, fn in (("extra_bandwidth.csv", lambda r: (section_l2(r), section_sm_bw(r))),
                     ("gemm_misaligned.csv", section_odd), ("vector.csv", ra.section_vector)):
        rows: list = []
        try:
            fn(rows)
        except Exception as ex:  # noqa: BLE001
            print(f"{name} failed: {ex!r}", flush=True)
        ra.write_csv(name, rows)
    print(f"total {time.time() - ra.T0:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
