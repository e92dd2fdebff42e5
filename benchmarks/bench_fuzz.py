"""Fuzz suite figures: inputs tried, refused with a one-line ConfigError, results checked, uncaught
exceptions, hangs and accepted-but-impossible results, per test of ``tests/fuzz/test_fuzz.py``.

Usage::

    python benchmarks/bench_fuzz.py [--scale N]     # N scales every test's max_examples (CI runs N = 1)

It runs ``python -m pytest -q tests/fuzz`` in a subprocess with ``ARCHSIM_FUZZ_EXAMPLES=N`` (hypothesis
examples per test x N, derandomized: the same inputs on every run of the same code) and
``ARCHSIM_FUZZ_REPORT`` (the suite's conftest writes its tally there), then prints one row per test, the
totals, the wall time and pytest's exit status.  Columns: ``inputs`` = hypothesis examples (or files) tried;
``refused``/``accepted`` = calls into archsim that raised a one-line ConfigError / returned (an example may
make two calls: build a design, then run it); ``checked`` = results held to hardware limits (finite,
non-negative, utilization <= 1, FLOP/s <= the design's peak, valid JSON); ``uncaught``, ``hang`` (> 20 s),
``impossible`` = failures (any of them also fails the suite).  Figures: docs/hardening.md.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
COLUMNS = ("inputs", "refused", "accepted", "checked", "uncaught", "hang", "impossible")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--scale", type=float, default=1.0, help="multiply every test's max_examples (default 1)")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        report = Path(tmp) / "fuzz.json"
        env = {**os.environ, "ARCHSIM_FUZZ_EXAMPLES": str(args.scale), "ARCHSIM_FUZZ_REPORT": str(report),
               "PYTHONPATH": str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", "")}
        t0 = time.perf_counter()
        proc = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests/fuzz"],
                              cwd=ROOT, env=env, capture_output=True, text=True)
        wall = time.perf_counter() - t0
        if not report.exists():
            sys.stdout.write(proc.stdout[-3000:] + proc.stderr[-3000:])
            print("no fuzz report written (the suite did not run)")
            return 1
        data = json.loads(report.read_text())
    print(f"fuzz suite, scale {args.scale:g}: {wall:.1f} s wall, pytest exit status {proc.returncode}\n")
    print("| test | " + " | ".join(COLUMNS) + " |")
    print("|---|" + "---|" * len(COLUMNS))
    for name, row in data["tests"].items():
        print(f"| {name} | " + " | ".join(str(row[k]) for k in COLUMNS) + " |")
    print("| **total** | " + " | ".join(f"**{data['total'][k]}**" for k in COLUMNS) + " |")
    if proc.returncode:
        tail = [line for line in proc.stdout.splitlines() if line.startswith(("FAILED", "ERROR"))]
        print("\n" + "\n".join(tail))
    return proc.returncode


if __name__ == "__main__":
    raise SystemExit(main())
