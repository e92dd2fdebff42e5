"""Huge GEMMs on the fast systolic model: wall time and peak RSS of the ``archsim run`` command.

Usage::

    python benchmarks/bench_big_gemm.py

Each row runs ``archsim run --design sa128-bf16 --gemm M,K,N[,BATCH] --json`` in a fresh process and
reports its wall time and CPU time (user + sys; process start to exit, Python start-up and imports
included) and the child's own peak RSS (``ru_maxrss``); ``folds`` is the chosen schedule's fold count.
Target (issue 15): 100,000^3 and a GEMM of 10^9 folds each under 1 s and 200 MB.  The fast model
extrapolates repeated identical folds (archsim/arch/_extrapolate.py).

Measured 2026-12-07 on the shared 2-core build machine under load average ~10 (other sessions' tests),
so wall time is mostly waiting for a core; CPU time is what the command costs:

| case | folds | wall s | CPU s | peak RSS MB |
|---|---|---|---|---|
| 100000^3 | 7,949,812 | 1.95 | 0.64 | 120 |
| batch 126 of 100000^3 | 1,001,676,312 | 3.07 | 0.86 | 121 |
| 100000 x 4e6 x 4e6 | 12,695,312,500 | 2.12 | 0.63 | 120 |
| 8192^3 (full event loop, 3 schedules) | 4,096 | 3.10 | 0.87 | 186 |

Before (commit 28dda48) 100000^3 took minutes and ~8 GB (issue 15); a 10^63 GEMM died in a MemoryError.
Python start-up and imports (pandas) are ~0.5 s of each CPU figure.
"""

from __future__ import annotations

import json
import resource
import subprocess
import sys
import time

CASES = [
    ("100000^3", "100000,100000,100000"),
    ("batch 126 of 100000^3 (1.0e9 folds)", "100000,100000,100000,126"),
    ("100000 x 4e6 x 4e6 (1.3e10 folds)", "100000,4000000,4000000"),
    ("8192^3", "8192,8192,8192"),
]


def run(gemm: str) -> tuple[float, float, float, dict]:
    """Return (wall s, CPU s = user + sys, peak RSS MB, --json output) of one ``archsim run`` process."""
    r0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    cmd = [sys.executable, "-c", "import resource, sys; from archsim.cli import main; rc = main(sys.argv[1:]); "
           "sys.stderr.write('RSS_KB=%d\\n' % resource.getrusage(resource.RUSAGE_SELF).ru_maxrss); sys.exit(rc)",
           "run", "--design", "sa128-bf16", "--gemm", gemm, "--json"]
    out = subprocess.run(cmd, capture_output=True, text=True, check=True)
    wall = time.perf_counter() - start
    r1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (r1.ru_utime - r0.ru_utime) + (r1.ru_stime - r0.ru_stime)
    rss_kb = int(out.stderr.rsplit("RSS_KB=", 1)[1].split()[0])
    return wall, cpu, rss_kb / 1024, json.loads(out.stdout)


def main() -> None:
    import archsim

    d = archsim.load_design("sa128-bf16")
    print(f"{'case':44} {'folds':>14} {'total_cycles':>20} {'wall s':>7} {'CPU s':>6} {'peak RSS MB':>11}")
    for label, gemm in CASES:
        dims = [int(x) for x in gemm.split(",")]
        folds = int(d.run(archsim.Op("g", "gemm", *dims[:3], batch=dims[3] if len(dims) > 3 else 1)).ops["folds"][0])
        wall, cpu, rss, info = run(gemm)
        print(f"{label:44} {folds:>14,} {info['total_cycles']:>20,} {wall:>7.2f} {cpu:>6.2f} {rss:>11.0f}")


if __name__ == "__main__":
    main()
