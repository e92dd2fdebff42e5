"""Compute on the cycle-level DRAM: whole models, fast vs exact, design sweeps (issue 23).

Sections (each prints a table; all by default):

  llama   Llama-2-7B prefill (seq 2048) + one decode step (context 2048), batch 1, on ``sa128-bf16`` with
          ``memory: {kind: dram, spec: HBM2-2Gbps}`` (all-bank refresh, open page: the defaults) and on the
          ``a100-sxm4-80gb`` preset (5 cycle-level HBM2E stacks), plus the bandwidth-memory baseline.  Each
          row runs in a fresh process (cold memo), so wall time and peak RSS are those of a user's first run.
          Targets: sa128-bf16 + HBM2 <= 2 s wall and <= 200 MB.  CPU s (process time of the run) is printed
          too: on a shared machine it is the steadier figure.
  pairs   fast vs exact on --pairs random (design, op) pairs (seeded): a systolic design (rows, cols,
          dataflow, SRAM sizes, clock) behind a cycle-level DRAM (spec, page policy, refresh policy) running
          one GEMM/GEMV; fast = ``DramMemory(exact=False)``, exact = ``DramMemory(exact=True)`` (every burst
          through the FR-FCFS controllers), the same systolic controller.  Prints the distribution of
          (fast - exact) / exact cycles and the issue's four known cases.  Target: max |diff| <= 1 %.
  sweep   --points systolic designs (seeded grid sample: rows, cols, dataflow, SRAM, clock) x Llama-2-7B
          decode (context 2048) on cycle-level HBM2: total wall time, in one process (memo shared).

    python benchmarks/bench_dram_compute.py [--section llama|pairs|sweep] [--pairs 200] [--points 200]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time

import numpy as np

HBM2 = {"kind": "dram", "spec": "HBM2-2Gbps"}


def _llama_child(design: str, memory: str) -> None:
    import resource

    import archsim

    kw = {} if memory == "preset" else {"memory": None if memory == "bandwidth" else HBM2}
    d = archsim.load_design(design, **kw)
    t0, c0 = time.perf_counter(), time.process_time()
    pre = d.run(archsim.build_trace("llama2-7b", phase="prefill", seq=2048))
    t1 = time.perf_counter()
    dec = d.run(archsim.build_trace("llama2-7b", phase="decode", context=2048))
    t2, c2 = time.perf_counter(), time.process_time()
    print(json.dumps({"prefill_s": t1 - t0, "decode_s": t2 - t1, "cpu_s": c2 - c0,
                      "prefill_cycles": pre.summary["total_cycles"],
                      "decode_cycles": dec.summary["total_cycles"],
                      "rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))


def section_llama() -> None:
    rows = [("sa128-bf16", "bandwidth"), ("sa128-bf16", "dram"), ("a100-sxm4-80gb", "preset")]
    print("| design | memory | prefill s | decode s | total s | CPU s | peak RSS MB | prefill cycles | decode cycles |")
    print("|---|---|---|---|---|---|---|---|---|")
    for design, memory in rows:
        out = subprocess.run([sys.executable, __file__, "--child", design, memory], capture_output=True, text=True,
                             check=True)
        r = json.loads(out.stdout.strip().splitlines()[-1])
        mem = {"bandwidth": "bandwidth 460 GB/s", "dram": "HBM2-2Gbps (cycle-level)",
               "preset": "5 x HBM2E-3.2Gbps (cycle-level)"}[memory]
        print(f"| {design} | {mem} | {r['prefill_s']:.2f} | {r['decode_s']:.2f} | "
              f"{r['prefill_s'] + r['decode_s']:.2f} | {r['cpu_s']:.2f} | {r['rss_mb']:.0f} | {r['prefill_cycles']} | "
              f"{r['decode_cycles']} |", flush=True)


def _random_pair(rng: np.random.Generator):
    """A random (design, memory, op); designs whose SRAMs cannot hold the array's tiles are drawn again."""
    from archsim.core.errors import ConfigError

    while True:
        try:
            return _draw(rng)
        except ConfigError:
            continue


def _draw(rng: np.random.Generator):
    import archsim
    from archsim.workloads.op import Op

    spec = str(rng.choice(["HBM2-2Gbps", "DDR4-3200", "GDDR6-16Gbps", "LPDDR5-6400", "HBM3-6.4Gbps"]))
    per_bank = ["per_bank"] if spec.startswith(("HBM", "LP")) else []
    refresh = str(rng.choice(["all_bank", "all_bank", "none"] + per_bank))
    page = str(rng.choice(["open", "open", "closed"]))
    rows_, cols_ = (int(x) for x in rng.choice([8, 16, 32, 64, 128], size=2))
    df = str(rng.choice(["os", "ws", "is"]))
    kb = int(rng.choice([16, 64, 256, 1024]))
    d = archsim.load_design("sa128-bf16", rows=rows_, cols=cols_, dataflow=df, ifmap_sram_bytes=kb * 1024,
                            filter_sram_bytes=kb * 1024, ofmap_sram_bytes=kb * 1024,
                            freq_mhz=float(rng.choice([500.0, 940.0, 1000.0, 1500.0])))
    if rng.random() < 0.3:   # GEMV (decode-like)
        m, k, n = 1, int(rng.choice([128, 512, 1024, 2048])), int(rng.choice([128, 512, 1024, 2048]))
    else:
        m, k, n = (int(rng.choice([16, 32, 64, 100, 128, 256, 512])) for _ in range(3))
    op = Op("g", "gemm", m, k, n, a_precision="bf16", b_precision="bf16")
    mem = {"kind": "dram", "spec": spec, "refresh": refresh, "page_policy": page}
    return d, mem, op


def _fast_exact(d, mem: dict, op) -> tuple[int, int, float, float]:
    fast_d = d.replace(memory=mem)
    exact_d = d.replace(memory={**mem, "exact": True})
    t0 = time.perf_counter()
    f = fast_d.run(op).summary["total_cycles"]
    t1 = time.perf_counter()
    e = exact_d.run(op).summary["total_cycles"]
    t2 = time.perf_counter()
    return f, e, t1 - t0, t2 - t1


def section_pairs(n: int, seed: int) -> None:
    import archsim
    from archsim.workloads.op import Op

    print("Known cases (sa128-bf16, HBM2-2Gbps, defaults):")
    print("| case | fast cycles | exact cycles | diff % | fast s | exact s |")
    print("|---|---|---|---|---|---|")
    d = archsim.load_design("sa128-bf16")
    for m, k, n_ in ((1, 128, 2048), (1, 4096, 4096), (512, 512, 512)):
        op = Op("g", "gemm", m, k, n_, a_precision="bf16", b_precision="bf16")
        f, e, tf, te = _fast_exact(d, HBM2, op)
        print(f"| {m}x{k}x{n_} GEMM | {f} | {e} | {100 * (f - e) / e:+.3f} | {tf:.2f} | {te:.2f} |", flush=True)
    a100 = archsim.load_design("a100-sxm4-80gb")
    ops = [Op("g", "gemm", 64, 256, 128, a_precision="fp16", b_precision="fp16"),
           Op("g2", "gemm", 256, 512, 256, a_precision="fp16", b_precision="fp16")]
    t0 = time.perf_counter()
    f = a100.run(ops).summary["total_cycles"]
    t1 = time.perf_counter()
    e = a100.run(ops, exact=True).summary["total_cycles"]
    t2 = time.perf_counter()
    print(f"| a100-sxm4-80gb, 2 small GEMMs (exact=True) | {f} | {e} | {100 * (f - e) / e:+.3f} | {t1 - t0:.2f} | "
          f"{t2 - t1:.2f} |\n", flush=True)
    rng = np.random.default_rng(seed)
    diffs, kinds = [], []
    tf_all = te_all = 0.0
    for _ in range(n):
        d, mem, op = _random_pair(rng)
        f, e, tf, te = _fast_exact(d, mem, op)
        tf_all += tf
        te_all += te
        diffs.append((f - e) / e * 100)
        kinds.append(mem["refresh"])
    diffs_a = np.abs(np.asarray(diffs))
    kinds_a = np.asarray(kinds)
    print(f"Random pairs (seed {seed}): {n} (design, op) pairs; fast total {tf_all:.1f} s, exact total "
          f"{te_all:.1f} s")
    print("| refresh | pairs | fast == exact | max abs diff % | p99 % | p90 % | mean abs % |")
    print("|---|---|---|---|---|---|---|")
    for name in ("all", "none", "all_bank", "per_bank"):
        sel = diffs_a if name == "all" else diffs_a[kinds_a == name]
        if sel.size == 0:
            continue
        print(f"| {name} | {sel.size} | {int((sel == 0).sum())} | {sel.max():.4f} | "
              f"{np.percentile(sel, 99):.4f} | {np.percentile(sel, 90):.4f} | {sel.mean():.5f} |")
    worst = int(np.argmax(diffs_a))
    print(f"worst pair: #{worst} ({kinds[worst]} refresh), diff {diffs[worst]:+.4f} %")


def section_sweep(points: int, seed: int) -> None:
    import archsim

    rng = np.random.default_rng(seed)
    trace = archsim.build_trace("llama2-7b", phase="decode", context=2048)
    t0, c0 = time.perf_counter(), time.process_time()
    cycles = []
    for _ in range(points):
        d = archsim.load_design("sa128-bf16", rows=int(rng.choice([32, 64, 128, 256])),
                                cols=int(rng.choice([32, 64, 128, 256])), dataflow=str(rng.choice(["os", "ws", "is"])),
                                ifmap_sram_bytes=int(rng.choice([2, 4, 8])) << 20,
                                filter_sram_bytes=int(rng.choice([2, 4, 8])) << 20,
                                freq_mhz=float(rng.choice([700.0, 940.0, 1000.0])), memory=HBM2)
        cycles.append(d.run(trace).summary["total_cycles"])
    wall, cpu = time.perf_counter() - t0, time.process_time() - c0
    import resource

    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print("| points | workload | memory | wall s | CPU s | s / point | peak RSS MB | distinct results |")
    print("|---|---|---|---|---|---|---|---|")
    print(f"| {points} | Llama-2-7B decode (context 2048) | HBM2-2Gbps (cycle-level) | {wall:.1f} | {cpu:.1f} | "
          f"{wall / points:.2f} | {rss:.0f} | {len(set(cycles))} |")


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        _llama_child(sys.argv[2], sys.argv[3])
        return
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--section", choices=("llama", "pairs", "sweep"), action="append")
    p.add_argument("--pairs", type=int, default=200)
    p.add_argument("--points", type=int, default=200)
    p.add_argument("--seed", type=int, default=23)
    a = p.parse_args()
    for s in a.section or ("llama", "pairs", "sweep"):
        print(f"\n## {s}\n", flush=True)
        if s == "llama":
            section_llama()
        elif s == "pairs":
            section_pairs(a.pairs, a.seed)
        else:
            section_sweep(a.points, a.seed)


if __name__ == "__main__":
    main()
