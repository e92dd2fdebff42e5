"""archsim against DRAMsim3 at equal timings (benchmark, not in CI).

Builds DRAMsim3 from a local clone of its public repository (umd-memsys/DRAMsim3; cmake + make, ~30 s)
plus our trace driver (``benchmarks/dramsim3/driver.cc``: DRAMsim3's TraceBasedCPU front end, run until
the trace is consumed and every read returned).  For each of its ``HBM2_8Gb_x128``, ``DDR4_8Gb_x8_3200``
and ``GDDR6_8Gb_x16`` configs it runs our own traces (100k requests each, one offered per cycle from
cycle 0, DRAMsim3 trace format ``0xADDR READ|WRITE cycle``):

  seq     consecutive requests (request = DRAMsim3's bus_width/8 x BL bytes)
  stride  one request every 4 KiB
  random  uniform random requests over the capacity (reads)
  mixed   uniform random requests, 1/3 writes

through DRAMsim3 and through ``archsim dram`` (a fresh process each: wall time and peak RSS include
start-up) with the equal-timing specs of ``benchmarks/dramsim3/*.yaml`` and ``controller.yaml``.
Metrics, identical for both: bandwidth = requests x bytes / end cycle, end = max(last read return,
last acceptance) (DRAMsim3 completes a write when it is accepted); read latency = return - acceptance
cycle (DRAMsim3's ``read_latency``); p99 = nearest rank.

    python benchmarks/bench_dramsim3.py [--dramsim3 /work/peers/DRAMsim3] [--n 100000] [--specs hbm2,ddr4,gddr6]
                                        [--traces seq,stride,random,mixed] [--check]
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

import numpy as np

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
PAIRS = {  # short name -> (DRAMsim3 ini, archsim YAML, DRAMsim3 address_mapping from the ini)
    "hbm2": ("HBM2_8Gb_x128.ini", "HBM2_8Gb_x128.yaml", "rorabgbachco"),
    "ddr4": ("DDR4_8Gb_x8_3200.ini", "DDR4_8Gb_x8_3200.yaml", "rochrababgco"),
    "gddr6": ("GDDR6_8Gb_x16.ini", "GDDR6_8Gb_x16.yaml", "rochrababgco"),
}
TRACES = ("seq", "stride", "random", "mixed")


def build(d3: Path) -> Path:
    """Build DRAMsim3 (if needed) and the driver; return the driver's path."""
    lib = d3 / "libdramsim3.so"
    if not lib.exists():
        (d3 / "build").mkdir(exist_ok=True)
        subprocess.run(["cmake", "..", "-DCMAKE_BUILD_TYPE=Release"], cwd=d3 / "build", check=True,
                       stdout=subprocess.DEVNULL)
        subprocess.run(["make", "-j2"], cwd=d3 / "build", check=True, stdout=subprocess.DEVNULL)
    drv = d3 / "build" / "archsim_driver"
    src = HERE / "dramsim3" / "driver.cc"
    if not drv.exists() or drv.stat().st_mtime < src.stat().st_mtime:
        subprocess.run(["g++", "-O3", "-std=c++11", f"-I{d3 / 'src'}", f"-I{d3 / 'ext' / 'headers'}", "-o", str(drv),
                        str(src), f"-L{d3}", "-ldramsim3", f"-Wl,-rpath,{d3}"], check=True)
    return drv


def make_trace(kind: str, n: int, req_bytes: int, capacity: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Return (addresses, is_write) of one benchmark trace."""
    rng = np.random.default_rng(seed)
    if kind == "seq":
        a = np.arange(n, dtype=np.int64) * req_bytes
    elif kind == "stride":
        a = (np.arange(n, dtype=np.int64) * 4096) % capacity
    else:  # distinct random requests (no read/write to the same address: DRAMsim3 would forward/merge them)
        a = rng.choice(capacity // req_bytes, size=n, replace=False).astype(np.int64) * req_bytes
    w = (rng.random(n) < 1 / 3) if kind == "mixed" else np.zeros(n, dtype=bool)
    return a, w


def run_child(cmd: list[str], env=None) -> tuple[str, str, float, float]:
    """Run ``cmd`` via fork/exec with wait4 to read its own peak RSS; return (stdout, stderr, wall s, RSS MB)."""
    with tempfile.TemporaryFile() as fo, tempfile.TemporaryFile() as fe:
        t0 = time.perf_counter()
        pid = os.fork()
        if pid == 0:  # child
            os.dup2(fo.fileno(), 1)
            os.dup2(fe.fileno(), 2)
            try:
                os.execvpe(cmd[0], cmd, env or os.environ)
            finally:
                os._exit(127)
        _, status, ru = os.wait4(pid, 0)
        wall = time.perf_counter() - t0
        fo.seek(0)
        fe.seek(0)
        out, err = fo.read().decode(), fe.read().decode()
    if os.waitstatus_to_exitcode(status):
        raise RuntimeError(f"{' '.join(cmd[:3])} failed: {err[-2000:]}")
    return out, err, wall, ru.ru_maxrss / 1024


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--dramsim3", default="/work/peers/DRAMsim3")
    ap.add_argument("--n", type=int, default=100_000)
    ap.add_argument("--specs", default=",".join(PAIRS))
    ap.add_argument("--traces", default=",".join(TRACES))
    ap.add_argument("--check", action="store_true", help="also run archsim's timing checker on each command log")
    args = ap.parse_args()
    d3 = Path(args.dramsim3)
    drv = build(d3)
    sys.path.insert(0, str(ROOT))
    from archsim.memory.dram import load_spec

    env = dict(os.environ, PYTHONPATH=str(ROOT))
    hdr = ("spec", "trace", "GB/s d3", "GB/s as", "bw err %", "lat d3", "lat as", "lat err %", "p99 d3", "p99 as",
           "wall d3 s", "wall as s", "wall ratio", "RSS d3 MB", "RSS as MB")
    if args.check:
        hdr += ("violations",)
    print("| " + " | ".join(hdr) + " |")
    print("|" + "---|" * len(hdr))
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        for name in args.specs.split(","):
            ini, yml, mapping = PAIRS[name]
            spec = load_spec(str(HERE / "dramsim3" / yml))
            for kind in args.traces.split(","):
                a, w = make_trace(kind, args.n, spec.access_bytes, spec.capacity_bytes)
                tr = tmp / f"{name}_{kind}.trace"
                with tr.open("w") as fh:
                    fh.writelines(f"{x:#x} {'WRITE' if y else 'READ'} {i}\n"
                                  for i, (x, y) in enumerate(zip(a.tolist(), w.tolist(), strict=True)))
                out, _, wall_d3, rss_d3 = run_child([str(drv), str(d3 / "configs" / ini), str(tr), str(tmp)])
                d = json.loads(out.strip().splitlines()[-1])
                cmd = [sys.executable, "-m", "archsim.cli", "dram", "--spec", str(HERE / "dramsim3" / yml),
                       "--trace", str(tr), "--controller", str(HERE / "dramsim3" / "controller.yaml"),
                       "--mapping", mapping, "--json"]
                if args.check:
                    cmd.append("--check")
                out, _, wall_as, rss_as = run_child(cmd, env)
                s = json.loads(out)
                nbytes = args.n * spec.access_bytes
                bw_d3 = nbytes / (d["end_cycle"] * d["tck_ns"])
                end_as = max(s["last_read_return_cycle"], s["last_accept_cycle"])
                bw_as = nbytes / (end_as * spec.tCK_ns)
                lat_d3, lat_as = d["mean_read_latency"], s["avg_read_latency_cycles"]
                row = (name, kind, f"{bw_d3:.2f}", f"{bw_as:.2f}", f"{100 * (bw_as / bw_d3 - 1):+.1f}",
                       f"{lat_d3:.1f}", f"{lat_as:.1f}", f"{100 * (lat_as / lat_d3 - 1):+.1f}",
                       f"{d['p99_read_latency']:.0f}", f"{s['p99_read_latency_cycles']:.0f}",
                       f"{wall_d3:.2f}", f"{wall_as:.2f}", f"{wall_as / wall_d3:.2f}", f"{rss_d3:.0f}",
                       f"{rss_as:.0f}")
                if args.check:
                    row += (str(s.get("violations")),)
                print("| " + " | ".join(row) + " |", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
