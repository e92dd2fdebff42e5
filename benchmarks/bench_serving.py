"""Serving benchmarks: simulator speed, and the serving results of the papers the serving part reproduces.

    python benchmarks/bench_serving.py                 # every table
    python benchmarks/bench_serving.py speed neupims   # some of them

Tables (each printed as it finishes):

* ``speed``: wall time of ``serve`` for Llama-2-7B on the H100 preset vs requests and rate; ``cold`` = empty
  iteration memo (a fresh process), ``warm`` = the memo of the previous run of the same design (e.g. the later
  runs of a sweep or capacity search), ``bucket64`` = KV lengths rounded up to 64 tokens (approximation; its
  error on the metrics is printed).
* ``sarathi``: capacity (highest Poisson rate with >= 90 % of requests within the SLOs) of vLLM-style vs
  Sarathi-Serve chunked prefill on one H100 (Agrawal et al., OSDI 2024, Sec. 5: capacity under a TPOT SLO).
* ``splitwise``: disaggregated (1 prefill + 1 decode H100, KV over a 25 GB/s link) vs colocated (2 H100 replicas
  of vLLM and of Sarathi): capacity per device under TTFT and TPOT SLOs (Patel et al., Splitwise, ISCA 2024).
* ``neupims``: decode throughput vs batch size at saturation on an H100-class NPU whose memory is 5 HBM-PIM
  stacks: NPU only, NPU+PIM naive (``sub_batches=1``), NPU+PIM interleaved (``sub_batches=2``) (Heo et al.,
  NeuPIMs, ASPLOS 2024, Fig. 12 style).
* ``novel``: an H100 prefill pool in front of an NPU+HBM-PIM decode pool (disaggregated) vs the same number of
  H100s colocated: TTFT, TPOT and throughput per device.
"""

from __future__ import annotations

import os
import sys
import time

import numpy as np

from archsim.arch.npu import NpuPimDesign
from archsim.serving import capacity_search, serve
from archsim.serving.iteration import _SHARED

H100 = "h100-sxm5-80gb"
MODEL = "llama2-7b"
#: requests per capacity-search run and TPOT SLOs of the sarathi table (ARCHSIM_BENCH_REQUESTS to change)
REQUESTS = int(os.environ.get("ARCHSIM_BENCH_REQUESTS", "400"))
SLOS = (0.03, 0.05, 0.1)


def _row(cells, widths):
    return "  ".join(f"{c:>{w}}" if not isinstance(c, float) else f"{c:>{w}.4g}" for c, w in zip(cells, widths))


def _table(title, head, rows):
    widths = [max(len(str(h)), *(len(f"{r[i]:.4g}" if isinstance(r[i], float) else str(r[i])) for r in rows))
              for i, h in enumerate(head)]
    print(f"\n## {title}\n")
    print(_row(head, widths))
    for r in rows:
        print(_row(r, widths))
    sys.stdout.flush()


def speed() -> None:
    rows = []
    errs = []
    for lengths, p, o in (("fixed", 512, 128), ("azure-conv", None, None)):
        for n, rate in ((1000, 4.0), (3000, 4.0), (10000, 4.0), (10000, 16.0)):
            wl = {"requests": n, "rate": rate, "lengths": lengths, "seed": 0}
            if p:
                wl.update(prompt_tokens=p, output_tokens=o)
            _SHARED.clear()
            t = time.perf_counter()
            cold = serve(H100, MODEL, wl, "vllm")
            tc = time.perf_counter() - t
            t = time.perf_counter()
            serve(H100, MODEL, wl, "vllm")
            tw = time.perf_counter() - t
            _SHARED.clear()
            t = time.perf_counter()
            b = serve(H100, MODEL, wl, "vllm", bucket=64)
            tb = time.perf_counter() - t
            s, sb = cold.summary, b.summary
            for k in ("throughput_tokens_per_s", "ttft_p50_s", "tpot_p50_s", "e2e_p99_s"):
                errs.append((lengths, n, rate, k, (sb[k] - s[k]) / s[k]))
            rows.append((lengths, n, rate, s["iterations"], s["design_runs"], tc, tw, tb,
                         s["throughput_tokens_per_s"], s["tpot_p50_s"]))
            _table("speed (so far)", ("lengths", "requests", "rate", "iterations", "design runs", "cold s", "warm s",
                                      "bucket64 s", "tok/s", "tpot p50 s"), rows[-1:])
    _table(f"speed: serve() wall time, Llama-2-7B on {H100}, vLLM scheduler, {os.cpu_count()} CPUs visible",
           ("lengths", "requests", "rate", "iterations", "design runs", "cold s", "warm s", "bucket64 s", "tok/s",
            "tpot p50 s"), rows)
    _table("bucket=64 relative error vs exact", ("lengths", "requests", "rate", "metric", "rel. error"),
           [(a, b, c, d, e) for a, b, c, d, e in errs])


def _cap(design, scheduler, slo_ttft, slo_tpot, wl, **kw):
    return capacity_search(design, MODEL, wl, scheduler, slo_ttft_s=slo_ttft, slo_tpot_s=slo_tpot, low=0.5,
                           high=64, rel_tol=0.1, **kw)["capacity_rps"]


def sarathi() -> None:
    wl = {"requests": REQUESTS, "lengths": "azure-conv", "seed": 0}
    rows = []
    for slo_tpot in SLOS:
        v = _cap(H100, "vllm", None, slo_tpot, wl)
        s512 = _cap(H100, "sarathi", None, slo_tpot, wl, chunk=512)
        s2048 = _cap(H100, "sarathi", None, slo_tpot, wl, chunk=2048)
        rows.append((slo_tpot, v, s512, s2048, s512 / v if v else float("nan")))
        _table("sarathi (so far)", ("TPOT SLO s", "vLLM rps", "Sarathi-512 rps", "Sarathi-2048 rps", "512/vLLM"),
               rows[-1:])
    _table(f"Sarathi-Serve vs vLLM: capacity under a TPOT SLO (>= 90 % of {REQUESTS} azure-conv requests), {MODEL} "
           f"on {H100}",
           ("TPOT SLO s", "vLLM rps", "Sarathi-512 rps", "Sarathi-2048 rps", "512/vLLM"), rows)


def splitwise() -> None:
    wl = {"requests": REQUESTS, "lengths": "azure-conv", "seed": 0}
    slo = (1.0, 0.05)
    rows = []
    for label, sched, kw, devices in (("colocated vLLM x2", "vllm", {"replicas": 2}, 2),
                                      ("colocated Sarathi-512 x2", "sarathi", {"replicas": 2, "chunk": 512}, 2),
                                      ("disagg 1P+1D", "disagg", {}, 2),
                                      ("disagg 1P+2D", "disagg", {"decode_instances": 2}, 3)):
        c = _cap(H100, sched, *slo, wl, **kw)
        r = serve(H100, MODEL, {**wl, "rate": max(c, 0.5)}, sched, slo_ttft_s=slo[0], slo_tpot_s=slo[1], **kw).summary
        rows.append((label, devices, c, c / devices, r["ttft_p99_s"], r["tpot_p99_s"]))
        _table("splitwise (so far)", ("setup", "devices", "capacity rps", "rps/device", "ttft p99", "tpot p99"),
               rows[-1:])
    _table(f"Splitwise-style: capacity per device at TTFT <= {slo[0]} s and TPOT <= {slo[1]} s (90 %), {H100}",
           ("setup", "devices", "capacity rps", "rps/device", "ttft p99 s", "tpot p99 s"), rows)


def _pim(mode: str, sb: int, launch_ns: float | None = None) -> NpuPimDesign:
    from archsim.arch.registry import load_design

    npu = load_design(H100) if launch_ns is None else load_design(H100, launch_overhead_ns=launch_ns)
    tag = "" if launch_ns is None else f"-launch{launch_ns:g}"
    return NpuPimDesign(name=f"h100-hbmpim-{mode}-{sb}{tag}", npu=npu, pim="hbm-pim-dual", pim_devices=5, mode=mode,
                        sub_batches=sb)


def neupims() -> None:
    head = ("launch", "batch", "NPU tok/s", "NPU tpot", "naive tok/s", "naive tpot", "interleaved tok/s",
            "interleaved tpot")
    rows = []
    for launch in (None,):
        for batch in (8, 16, 32, 64, 128):
            cells = ["preset", batch]
            for mode, sb in (("npu", 1), ("npu+pim", 1), ("npu+pim", 2)):
                wl = {"requests": 2 * batch, "rate": 1e4, "lengths": "fixed", "prompt_tokens": 512,
                      "output_tokens": 128}
                s = serve(_pim(mode, sb, launch), MODEL, wl, "neupims", max_num_seqs=batch, bucket=64).summary
                cells += [s["throughput_tokens_per_s"], s["tpot_p50_s"]]
            rows.append(tuple(cells))
            _table("neupims (so far)", head, rows[-1:])
    _table("NeuPIMs-style: serving throughput vs batch (2 x batch requests, 512 in / 128 out, all at t=0), "
           "H100-class NPU + 5 HBM-PIM stacks (dual row buffers, 30 GiB: KV for ~48 such requests), bucket=64",
           head, rows)


def novel() -> None:
    wl = {"requests": 300, "rate": 4.0, "lengths": "azure-conv", "seed": 1}
    rows = []
    pim = _pim("npu+pim", 1)
    for label, sched, kw, devices in (
            ("2 x H100 colocated (vLLM)", "vllm", {"replicas": 2}, 2),
            ("H100 prefill + H100 decode", "disagg", {}, 2),
            ("H100 prefill + NPU/HBM-PIM decode", "disagg", {"decode_design": pim}, 2)):
        s = serve(H100, MODEL, wl, sched, slo_ttft_s=1.0, slo_tpot_s=0.05, bucket=64, **kw).summary
        rows.append((label, s["ttft_p50_s"], s["ttft_p99_s"], s["tpot_p50_s"], s["tpot_p99_s"],
                     s["throughput_tokens_per_s"] / devices, s["energy_j_per_token"] or float("nan"),
                     s["slo_attainment"]))
        _table("novel (so far)", ("setup", "ttft p50", "ttft p99", "tpot p50", "tpot p99", "tok/s/dev", "J/token",
                                  "SLO att."), rows[-1:])
    _table("Novel hardware: HBM-PIM decode pool behind an H100 prefill pool (300 azure-conv requests at 4 rps, "
           "bucket=64)", ("setup", "ttft p50 s", "ttft p99 s", "tpot p50 s", "tpot p99 s", "tok/s/device",
                          "J/token", "SLO attainment"), rows)


SECTIONS = {"speed": speed, "sarathi": sarathi, "splitwise": splitwise, "neupims": neupims, "novel": novel}

if __name__ == "__main__":
    names = sys.argv[1:] or list(SECTIONS)
    for name in names:
        if name not in SECTIONS:
            raise SystemExit(f"unknown table {name!r}; one of {', '.join(SECTIONS)}")
    np.seterr(all="ignore")
    for name in names:
        t = time.perf_counter()
        SECTIONS[name]()
        print(f"({name}: {time.perf_counter() - t:.0f} s)")
