"""SCALE-Sim v3 vs archsim on the same GEMMs (32x32 and 128x128 arrays, OS/WS/IS).

Prints one table: both cycle counts, their ratio, both wall times, both peak memory (RSS of a
child process running only that simulation).  SCALE-Sim runs in its own virtualenv
(``scalesim-venv/`` in the repository root, or ``$SCALESIM_PYTHON``: ``python -m venv scalesim-venv &&
scalesim-venv/bin/pip install scalesim "numpy<2.4"``); the script
skips cleanly when it is not available.

SCALE-Sim runs in ``CALC`` bandwidth mode (it reports compute cycles with ideal memory), so the
archsim column is ``compute_cycles`` (ideal memory, docs/microarch.md section 5); see
docs/systolic.md "Comparison with SCALE-Sim" for why the two differ.

    python benchmarks/bench_scalesim.py            # full table (SCALE-Sim needs minutes)
    python benchmarks/bench_scalesim.py --quick    # small GEMMs only
    python benchmarks/bench_scalesim.py --targets  # the two >= 1000x speed targets
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

from archsim.dataflow import scalesim_compute_cycles

SCALESIM_PYTHON = os.environ.get("SCALESIM_PYTHON",
                                 str(Path(__file__).resolve().parents[1] / "scalesim-venv" / "bin" / "python"))

CONFIG = """[general]
run_name = bench

[architecture_presets]
ArrayHeight:    {rows}
ArrayWidth:     {cols}
IfmapSramSzkB:    6144
FilterSramSzkB:   6144
OfmapSramSzkB:    2048
IfmapOffset:    0
FilterOffset:   10000000
OfmapOffset:    20000000
Dataflow : {dataflow}
Bandwidth : 10
ReadRequestBuffer: 32
WriteRequestBuffer: 32

[layout]
IfmapCustomLayout: False
IfmapSRAMBankBandwidth: 10
IfmapSRAMBankNum: 10
IfmapSRAMBankPort: 2
FilterCustomLayout: False
FilterSRAMBankBandwidth: 10
FilterSRAMBankNum: 10
FilterSRAMBankPort: 2

[sparsity]
SparsitySupport : false
SparseRep : ellpack_block
OptimizedMapping : false
BlockSize : 8
RandomNumberGeneratorSeed : 40

[run_presets]
InterfaceBandwidth: CALC
UseRamulatorTrace: False
"""

SCALESIM_RUNNER = r"""
import json, sys, time, io, contextlib
t0 = time.perf_counter()
from scalesim.scale_sim import scalesim
t1 = time.perf_counter()
cfg, topo, layout, out = sys.argv[1:5]
with contextlib.redirect_stdout(io.StringIO()):
    s = scalesim(save_disk_space=True, verbose=False, config=cfg, topology=topo, layout=layout, input_type_gemm=True)
    s.run_scale(top_path=out)
    # scalesim 3.0.0's get_total_cycles() indexes a method; read the per-layer report directly
    items = [layer.get_compute_report_items() for layer in s.runner.single_layer_sim_object_list]
    # items: [overall (DRAM trace span, includes the SRAM fill), total compute cycles, stall cycles, ...];
    # SCALE-Sim's COMPUTE_REPORT "Total Cycles" is items[1] (stalls are 0 in CALC mode)
    cycles = sum(int(it[1]) + int(it[2]) for it in items)
print(json.dumps({"cycles": cycles, "wall_s": time.perf_counter() - t1, "total_s": time.perf_counter() - t0}))
"""

ARCHSIM_RUNNER = r"""
import json, sys, time
t0 = time.perf_counter()
from archsim.arch import SystolicArray
from archsim.workloads import Op
rows, cols, df, M, K, N = sys.argv[1], sys.argv[2], sys.argv[3], *sys.argv[4:7]
d = SystolicArray(rows=int(rows), cols=int(cols), dataflow=df, ifmap_sram_bytes=1 << 30, filter_sram_bytes=1 << 30,
                  ofmap_sram_bytes=1 << 30)
op = Op("g", "gemm" if int(M) > 1 else "gemv", int(M), int(K), int(N), a_precision="int8", b_precision="int8")
t1 = time.perf_counter()
r = d.run([op])
t2 = time.perf_counter()
row = r.ops.iloc[0]
print(json.dumps({"cycles": int(row["compute_cycles"]), "with_memory_cycles": int(row["cycles"]),
                  "run_s": t2 - t1, "wall_s": t2 - t0}))
"""


def _rss_child(cmd: list[str], timeout: float) -> tuple[dict, float]:
    """Run ``cmd`` with ``/usr/bin/time``-free RSS measurement through ``os.wait4``."""
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    start = time.monotonic()
    while True:
        pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
        if pid:
            break
        if time.monotonic() - start > timeout:
            proc.kill()
            raise TimeoutError(f"{cmd[:2]} took more than {timeout} s")
        time.sleep(0.05)
    out = proc.stdout.read()
    err = proc.stderr.read()
    if os.waitstatus_to_exitcode(status) != 0:
        raise RuntimeError(f"{' '.join(cmd[:2])} failed: {err.strip()[-800:]}")
    lines = [ln for ln in out.splitlines() if ln.startswith("{")]
    return json.loads(lines[-1]), usage.ru_maxrss / 1024


def scalesim_available() -> str | None:
    """Return None if SCALE-Sim can run, else the reason."""
    if not Path(SCALESIM_PYTHON).exists():
        return f"no SCALE-Sim interpreter at {SCALESIM_PYTHON} (set SCALESIM_PYTHON)"
    r = subprocess.run([SCALESIM_PYTHON, "-c", "import scalesim.scale_sim"], capture_output=True, text=True)
    if r.returncode != 0:
        return f"scalesim not importable: {r.stderr.strip().splitlines()[-1] if r.stderr.strip() else '?'}"
    return None


def run_scalesim(rows: int, cols: int, df: str, M: int, K: int, N: int, tmp: Path, timeout: float):
    cfg = tmp / f"c_{rows}_{df}.cfg"
    cfg.write_text(CONFIG.format(rows=rows, cols=cols, dataflow=df))  # SRAM sizes of SCALE-Sim's google.cfg
    topo = tmp / f"gemm_{M}_{K}_{N}.csv"
    topo.write_text(f"Layer Name, M, N, K,\ngemm, {M}, {N}, {K},\n")  # SCALE-Sim GEMM CSV: M, N, K order
    layout = tmp / f"layout_{M}_{K}_{N}.csv"
    layout.write_text("Layer Name, a, b, c, d, e, f,\ngemm, 1, 1, 1, 1, 1, 1,\n")  # required, unused
    out = tmp / "out"
    out.mkdir(exist_ok=True)
    return _rss_child([SCALESIM_PYTHON, "-c", SCALESIM_RUNNER, str(cfg), str(topo), str(layout), str(out)], timeout)


def run_archsim(rows: int, cols: int, df: str, M: int, K: int, N: int, timeout: float):
    return _rss_child([sys.executable, "-c", ARCHSIM_RUNNER, str(rows), str(cols), df, str(M), str(K), str(N)],
                      timeout)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="small GEMMs only")
    ap.add_argument("--targets", action="store_true", help="only the two speed targets (32x32 OS 512x768x768, "
                    "128x128 WS GEMV 1x4096x4096)")
    ap.add_argument("--timeout", type=float, default=900.0, help="seconds per SCALE-Sim run")
    args = ap.parse_args(argv)
    reason = scalesim_available()
    if reason:
        print(f"SKIP: SCALE-Sim not available: {reason}")
        return 0
    if args.targets:
        cases = [(32, 32, "os", 512, 768, 768), (128, 128, "ws", 1, 4096, 4096)]
    elif args.quick:
        cases = [(32, 32, df, 64, 96, 80) for df in ("os", "ws", "is")]
        cases += [(128, 128, df, 256, 256, 256) for df in ("os", "ws", "is")]
    else:
        cases = [(32, 32, df, 512, 768, 768) for df in ("os", "ws", "is")]
        cases += [(128, 128, df, 1, 4096, 4096) for df in ("os", "ws", "is")]
        cases += [(128, 128, df, 512, 768, 768) for df in ("os", "ws", "is")]
    hdr = (f"{'array':>8} {'df':>3} {'M,K,N':>15} | {'scalesim_cyc':>12} {'archsim_cyc':>11} {'ratio':>6} "
           f"{'ss_conv':>7} | {'scalesim_s':>10} {'archsim_s':>9} {'speedup':>8} | "
           f"{'scalesim_MiB':>12} {'archsim_MiB':>11}")
    print(hdr)
    print("-" * len(hdr))
    with tempfile.TemporaryDirectory() as td:
        tmp = Path(td)
        for rows, cols, df, M, K, N in cases:
            try:
                s, s_rss = run_scalesim(rows, cols, df, M, K, N, tmp, args.timeout)
            except (TimeoutError, RuntimeError) as exc:
                print(f"{rows}x{cols:<5} {df:>3} {M},{K},{N}: SCALE-Sim failed: {exc}")
                continue
            a, a_rss = run_archsim(rows, cols, df, M, K, N, args.timeout)
            ratio = a["cycles"] / s["cycles"]
            speedup = s["wall_s"] / a["run_s"]
            shape = f"{M},{K},{N}"
            conv = scalesim_compute_cycles(rows, cols, M, K, N, df)
            conv_ok = "==" if conv == s["cycles"] else f"{conv - s['cycles']:+d}"
            print(f"{rows}x{cols:<5} {df:>3} {shape:>15} | {s['cycles']:>12} {a['cycles']:>11} {ratio:>6.3f} "
                  f"{conv_ok:>7} | {s['wall_s']:>10.2f} {a['run_s']:>9.5f} {speedup:>7.0f}x | "
                  f"{s_rss:>12.0f} {a_rss:>11.0f}",
                  flush=True)
    print("\nss_conv: archsim.dataflow.scalesim_compute_cycles (SCALE-Sim's non-overlapped convention) vs "
          "SCALE-Sim ('==' exact).")
    print("archsim_cyc = compute_cycles (ideal memory); archsim_s = design.run() time of the fast model "
          "and SCALE-Sim's simulation time, imports excluded for both; MiB = peak RSS of the child process.")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
