"""H100 microbenchmarks for archsim's GPU-class presets (run on the device machine; writes CSVs to $OUT).

Method (every section): operands are rotated over enough copies that one pass overflows the L2 three times
(so weights/KV are not served from L2 between repeats), random data (never zeros), warm-up first.
``graph`` timings: R ops captured in one CUDA graph, replayed; per-op time = median over replays / R
(host launch cost excluded; device-side kernel floor included).  ``eager`` timings: the same R ops issued
from Python, timed with CUDA events, median over repeats / R (host launch cost included when it exceeds the
kernel time).  Usage: ``python3 validation/gpu/run_all.py [--budget-s 480]``.
"""

from __future__ import annotations

import argparse
import csv
import json
import math
import os
import subprocess
import sys
import time

import torch
import torch.nn.functional as F

OUT = os.environ.get("OUT", "/tmp/out")
L2_OVERFLOW = 3 * 50 * 2**20
T0 = time.time()
BUDGET = 480.0


def left() -> float:
    return BUDGET - (time.time() - T0)


def nsets(bytes_per_set: int, cap: int = 64) -> int:
    return max(2, min(cap, math.ceil(L2_OVERFLOW / max(1, bytes_per_set))))


def time_graph(fn_list, target_ms: float = 3.0, replays: int = 15) -> tuple[float, float]:
    """Return (median, min) µs per call of the callables in fn_list (cycled), CUDA-graph replay."""
    for f in fn_list[:2]:
        f()
    torch.cuda.synchronize()
    s, e = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
    s.record()
    for f in fn_list:
        f()
    e.record()
    torch.cuda.synchronize()
    est = max(1e-3, s.elapsed_time(e) / len(fn_list))
    reps = int(max(len(fn_list), min(2000, target_ms / est)))
    reps = int(math.ceil(reps / len(fn_list)) * len(fn_list))
    g = torch.cuda.CUDAGraph()
    st = torch.cuda.Stream()
    st.wait_stream(torch.cuda.current_stream())
    with torch.cuda.stream(st):
        for f in fn_list:
            f()
    torch.cuda.current_stream().wait_stream(st)
    torch.cuda.synchronize()
    with torch.cuda.graph(g):
        for i in range(reps):
            fn_list[i % len(fn_list)]()
    g.replay()
    g.replay()
    torch.cuda.synchronize()
    ts = []
    for _ in range(replays):
        s.record()
        g.replay()
        e.record()
        torch.cuda.synchronize()
        ts.append(s.elapsed_time(e) * 1e3 / reps)
    ts.sort()
    del g
    return ts[len(ts) // 2], ts[0]


def time_eager(fn_list, reps: int = 200, repeats: int = 7) -> float:
    for f in fn_list:
        f()
    torch.cuda.synchronize()
    s, e = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
    ts = []
    for _ in range(repeats):
        s.record()
        for i in range(reps):
            fn_list[i % len(fn_list)]()
        e.record()
        torch.cuda.synchronize()
        ts.append(s.elapsed_time(e) * 1e3 / reps)
    ts.sort()
    return ts[len(ts) // 2]


def write_csv(name: str, rows: list[dict]) -> None:
    if not rows:
        return
    keys = list(dict.fromkeys(k for r in rows for k in r))
    with open(os.path.join(OUT, name), "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=keys)
        w.writeheader()
        w.writerows(rows)
    print(f"wrote {name}: {len(rows)} rows ({time.time() - T0:.0f} s)", flush=True)


def env_info() -> dict:
    p = torch.cuda.get_device_properties(0)
    info = {"gpu": p.name, "sms": p.multi_processor_count, "l2_bytes": getattr(p, "L2_cache_size", None),
            "mem_bytes": p.total_memory, "torch": torch.__version__, "cuda": torch.version.cuda,
            "cudnn": torch.backends.cudnn.version(), "cublas": None, "date_utc": time.strftime("%Y-%m-%dT%H:%M:%SZ",
                                                                                             time.gmtime())}
    try:
        info["cublas"] = torch._C._cuda_getCompiledVersion()
    except Exception:
        pass
    q = "name,driver_version,clocks.sm,clocks.max.sm,clocks.mem,clocks.max.mem,power.limit,temperature.gpu"
    try:
        info["nvidia_smi"] = subprocess.run(["nvidia-smi", f"--query-gpu={q}", "--format=csv"],
                                            capture_output=True, text=True, timeout=20).stdout.strip()
    except Exception as ex:  # noqa: BLE001
        info["nvidia_smi"] = repr(ex)
    return info


DT = {"bf16": torch.bfloat16, "fp16": torch.float16, "fp32": torch.float32, "tf32": torch.float32}

SHAPES_LLM = [(4096, 4096), (4096, 6144), (4096, 14336), (14336, 4096), (4096, 28672), (8192, 8192),
              (8192, 10240), (28672, 8192), (5120, 5120), (12288, 12288)]
MS = [1, 8, 32, 128, 512, 2048, 8192]
SQUARE = [256, 512, 1024, 2048, 4096, 8192]


def gemm_shapes(prec: str) -> list[tuple[int, int, int]]:
    out = [(s, s, s) for s in SQUARE]
    for m in MS:
        for k, n in SHAPES_LLM:
            out.append((m, k, n))
    if prec == "fp32":  # CUDA-core fp32 is ~15x slower: keep its sweep small
        out = [s for s in out if s[0] * s[1] * s[2] <= 2048 * 8192 * 8192]
    return out


def bench_gemm(prec: str, m: int, k: int, n: int) -> dict:
    torch.backends.cuda.matmul.allow_tf32 = prec == "tf32"
    row = {"kind": "gemm", "dtype": prec, "M": m, "K": k, "N": n}
    if prec == "fp8":
        el = 1
        out_b = 2
    else:
        el = torch.tensor([], dtype=DT[prec]).element_size()
        out_b = el
    per_set = (m * k + k * n) * el + m * n * out_b
    ns = nsets(per_set)
    if per_set * ns > 40 * 2**30:
        ns = max(1, int(40 * 2**30 // per_set))
    sets = []
    if prec == "fp8":
        sa = torch.ones((), device="cuda")
        sb = torch.ones((), device="cuda")
        for _ in range(ns):
            a = (torch.randn(m, k, device="cuda") * 0.5).to(torch.float8_e4m3fn)
            b = (torch.randn(n, k, device="cuda") * 0.5).to(torch.float8_e4m3fn).t()
            sets.append((a, b))
        fns = [lambda a=a, b=b: torch._scaled_mm(a, b, scale_a=sa, scale_b=sb, out_dtype=torch.bfloat16)
               for a, b in sets]
    else:
        for _ in range(ns):
            sets.append((torch.randn(m, k, device="cuda", dtype=DT[prec]),
                         torch.randn(k, n, device="cuda", dtype=DT[prec])))
        fns = [lambda a=a, b=b: torch.mm(a, b) for a, b in sets]
    med, mn = time_graph(fns)
    row.update(us_median=med, us_min=mn, tflops=2 * m * k * n / med / 1e6, gbps=per_set / med / 1e3, sets=ns)
    return row


def section_gemm(rows: list, precs: list[str]) -> None:
    for prec in precs:
        for (m, k, n) in gemm_shapes(prec):
            if left() < 60:
                print("budget: stopping gemm sweep", flush=True)
                return
            try:
                rows.append(bench_gemm(prec, m, k, n))
            except Exception as ex:  # noqa: BLE001
                rows.append({"kind": "gemm", "dtype": prec, "M": m, "K": k, "N": n, "error": repr(ex)[:200]})
            torch.cuda.empty_cache()
        print(f"gemm {prec} done ({time.time() - T0:.0f} s)", flush=True)
    torch.backends.cuda.matmul.allow_tf32 = False


def section_bandwidth(rows: list) -> None:
    for mib in (1, 4, 16, 32, 64, 256, 1024, 4096):
        nb = mib * 2**20
        ns = nsets(2 * nb, cap=8) if mib < 256 else 1
        srcs = [torch.randn(nb // 2, device="cuda", dtype=torch.bfloat16) for _ in range(ns)]
        dsts = [torch.empty_like(s) for s in srcs]
        for op in ("copy", "read", "write"):
            if op == "copy":
                fns = [lambda s=s, d=d: d.copy_(s) for s, d in zip(srcs, dsts)]
                moved = 2 * nb
            elif op == "read":
                fns = [lambda s=s: s.sum(dtype=torch.float32) for s in srcs]
                moved = nb
            else:
                fns = [lambda d=d: d.fill_(1.5) for d in dsts]
                moved = nb
            med, mn = time_graph(fns)
            rows.append({"kind": op, "bytes": nb, "sets": ns, "us_median": med, "us_min": mn,
                         "gbps": moved / med / 1e3})
        del srcs, dsts
        torch.cuda.empty_cache()


def rms_norm(x, w):
    return F.rms_norm(x, (x.shape[-1],), w)


def section_vector(rows: list) -> None:
    hidden = 4096
    for tokens in (1, 16, 128, 1024, 4096, 16384):
        for width in (hidden, 14336):
            nb = tokens * width * 2
            ns = nsets(3 * nb, cap=32)
            xs = [torch.randn(tokens, width, device="cuda", dtype=torch.bfloat16) for _ in range(ns)]
            ys = [torch.randn(tokens, width, device="cuda", dtype=torch.bfloat16) for _ in range(ns)]
            w = torch.randn(width, device="cuda", dtype=torch.bfloat16)
            ops = {"add": (lambda x, y: x + y, 3), "mul": (lambda x, y: x * y, 3),
                   "silu": (lambda x, y: F.silu(x), 2), "rmsnorm": (lambda x, y, w=w: rms_norm(x, w), 2),
                   "layernorm": (lambda x, y, wd=width: F.layer_norm(x, (wd,)), 2),
                   "softmax": (lambda x, y: torch.softmax(x, -1), 2)}
            for name, (f, nt) in ops.items():
                fns = [lambda x=x, y=y, f=f: f(x, y) for x, y in zip(xs, ys)]
                med, mn = time_graph(fns)
                eag = time_eager(fns, reps=100, repeats=5)
                rows.append({"kind": name, "tokens": tokens, "width": width, "bytes": nt * nb, "sets": ns,
                             "us_median": med, "us_min": mn, "us_eager": eag, "gbps": nt * nb / med / 1e3})
            del xs, ys
            torch.cuda.empty_cache()


def section_attention(rows: list) -> None:
    d = 128
    # prefill: B=1, 32 query heads; MHA (32 kv) and GQA (8 kv); causal and not
    for kvh in (32, 8):
        for s in (512, 1024, 2048, 4096, 8192, 16384, 32768):
            for causal in (True, False):
                if not causal and s not in (2048, 8192):
                    continue
                if left() < 40:
                    return
                q = torch.randn(1, 32, s, d, device="cuda", dtype=torch.bfloat16)
                k = torch.randn(1, kvh, s, d, device="cuda", dtype=torch.bfloat16)
                v = torch.randn(1, kvh, s, d, device="cuda", dtype=torch.bfloat16)
                f = [lambda q=q, k=k, v=v, c=causal, g=kvh != 32: F.scaled_dot_product_attention(q, k, v, is_causal=c,
                                                                                            enable_gqa=g)]
                try:
                    med, mn = time_graph(f, target_ms=20, replays=7)
                    flops = 4 * 32 * s * s * d * (0.5 if causal else 1.0)
                    rows.append({"kind": "prefill", "batch": 1, "heads": 32, "kv_heads": kvh, "q_len": s,
                                 "kv_len": s, "d": d, "causal": causal, "us_median": med, "us_min": mn,
                                 "tflops": flops / med / 1e6})
                except Exception as ex:  # noqa: BLE001
                    rows.append({"kind": "prefill", "kv_heads": kvh, "q_len": s, "causal": causal,
                                 "error": repr(ex)[:200]})
                del q, k, v
    torch.cuda.empty_cache()
    # decode: one query token, KV cache of ctx, GQA 32/8 (llama3-8b) and MHA 32/32
    for kvh in (8, 32):
        for b in (1, 8, 32, 64):
            for ctx in (512, 2048, 8192, 32768):
                kv_bytes = 2 * b * kvh * ctx * d * 2
                if kv_bytes > 24 * 2**30 or left() < 30:
                    continue
                ns = nsets(kv_bytes, cap=8)
                sets = [(torch.randn(b, 32, 1, d, device="cuda", dtype=torch.bfloat16),
                         torch.randn(b, kvh, ctx, d, device="cuda", dtype=torch.bfloat16),
                         torch.randn(b, kvh, ctx, d, device="cuda", dtype=torch.bfloat16)) for _ in range(ns)]
                fns = [lambda q=q, k=k, v=v, g=kvh != 32: F.scaled_dot_product_attention(q, k, v, enable_gqa=g)
                       for q, k, v in sets]
                try:
                    med, mn = time_graph(fns)
                    rows.append({"kind": "decode", "batch": b, "heads": 32, "kv_heads": kvh, "q_len": 1,
                                 "kv_len": ctx, "d": d, "causal": False, "us_median": med, "us_min": mn,
                                 "gbps": kv_bytes / med / 1e3, "sets": ns})
                except Exception as ex:  # noqa: BLE001
                    rows.append({"kind": "decode", "batch": b, "kv_heads": kvh, "kv_len": ctx,
                                 "error": repr(ex)[:200]})
                del sets
                torch.cuda.empty_cache()


class Layer:
    """One Llama-style decoder layer (fused QKV, fused gate+up; rmsnorm, RoPE-like eltwise, SDPA, SwiGLU)."""

    def __init__(self, h: int, heads: int, kvh: int, ffn: int) -> None:
        dt = torch.bfloat16
        self.h, self.heads, self.kvh, self.hd, self.ffn = h, heads, kvh, h // heads, ffn
        self.wqkv = torch.randn(h, (heads + 2 * kvh) * self.hd, device="cuda", dtype=dt) * 0.02
        self.wo = torch.randn(heads * self.hd, h, device="cuda", dtype=dt) * 0.02
        self.wgu = torch.randn(h, 2 * ffn, device="cuda", dtype=dt) * 0.02
        self.wd = torch.randn(ffn, h, device="cuda", dtype=dt) * 0.02
        self.n1 = torch.ones(h, device="cuda", dtype=dt)
        self.n2 = torch.ones(h, device="cuda", dtype=dt)

    def forward(self, x, kc=None, vc=None):
        b, t, h = x.shape
        hd = self.hd
        y = rms_norm(x, self.n1)
        qkv = y @ self.wqkv
        q, k, v = qkv.split([self.heads * hd, self.kvh * hd, self.kvh * hd], -1)
        q = q * 1.0001  # stands in for RoPE (one elementwise pass over q and k)
        k = k * 1.0001
        q = q.view(b, t, self.heads, hd).transpose(1, 2)
        k = k.reshape(b, t, self.kvh, hd).transpose(1, 2)
        v = v.reshape(b, t, self.kvh, hd).transpose(1, 2)
        if kc is None:
            a = F.scaled_dot_product_attention(q, k, v, is_causal=True, enable_gqa=self.kvh != self.heads)
        else:
            a = F.scaled_dot_product_attention(q, kc, vc, enable_gqa=self.kvh != self.heads)
        a = a.transpose(1, 2).reshape(b, t, self.heads * hd)
        x = x + a @ self.wo
        y = rms_norm(x, self.n2)
        gu = y @ self.wgu
        g, u = gu.chunk(2, -1)
        z = F.silu(g) * u
        return x + z @ self.wd


MODELS = {"llama3-8b": (4096, 32, 8, 14336), "llama2-7b": (4096, 32, 32, 11008)}


def section_layers(rows: list) -> None:
    for model, cfg in MODELS.items():
        layers = [Layer(*cfg) for _ in range(4)]  # 4 copies: weights not served from L2 between layers
        h, heads, kvh, _ = cfg
        hd = h // heads
        for seq in (128, 512, 2048, 4096):
            if left() < 20:
                return
            x = torch.randn(1, seq, h, device="cuda", dtype=torch.bfloat16)
            fns = [lambda ly=ly, x=x: ly.forward(x) for ly in layers]
            med, mn = time_graph(fns, target_ms=10, replays=9)
            eag = time_eager(fns, reps=8, repeats=5)
            rows.append({"model": model, "phase": "prefill", "batch": 1, "seq": seq, "context": seq,
                         "us_median": med, "us_min": mn, "us_eager": eag})
        for b, ctx in ((1, 1024), (1, 4096), (16, 1024), (16, 4096), (64, 1024), (64, 2048)):
            if left() < 20:
                return
            x = torch.randn(b, 1, h, device="cuda", dtype=torch.bfloat16)
            caches = [(torch.randn(b, kvh, ctx, hd, device="cuda", dtype=torch.bfloat16),
                       torch.randn(b, kvh, ctx, hd, device="cuda", dtype=torch.bfloat16)) for _ in layers]
            fns = [lambda ly=ly, c=c, x=x: ly.forward(x, c[0], c[1]) for ly, c in zip(layers, caches)]
            med, mn = time_graph(fns, target_ms=10, replays=9)
            eag = time_eager(fns, reps=8, repeats=5)
            rows.append({"model": model, "phase": "decode", "batch": b, "seq": 1, "context": ctx,
                         "us_median": med, "us_min": mn, "us_eager": eag})
            del caches
        del layers
        torch.cuda.empty_cache()


def section_launch(rows: list) -> None:
    """Host launch gap: back-to-back tiny kernels issued eagerly vs replayed from a graph."""
    xs = [torch.randn(256, device="cuda") for _ in range(4)]
    fns = [lambda x=x: x.add_(1.0) for x in xs]
    g_med, _ = time_graph(fns, target_ms=2)
    e_med = time_eager(fns, reps=2000, repeats=7)
    a = torch.randn(64, 64, device="cuda", dtype=torch.bfloat16)
    mm = [lambda: a @ a]
    rows.append({"kind": "tiny_add", "us_graph": g_med, "us_eager": e_med})
    rows.append({"kind": "tiny_mm_64", "us_graph": time_graph(mm, target_ms=2)[0],
                 "us_eager": time_eager(mm, reps=2000, repeats=7)})


def main() -> int:
    global BUDGET
    ap = argparse.ArgumentParser()
    ap.add_argument("--budget-s", type=float, default=480.0)
    ap.add_argument("--only", default="")
    args = ap.parse_args()
    BUDGET = args.budget_s
    os.makedirs(OUT, exist_ok=True)
    torch.manual_seed(0)
    info = env_info()
    print(json.dumps(info), flush=True)
    with open(os.path.join(OUT, "env.json"), "w") as f:
        json.dump(info, f, indent=1)
    only = set(filter(None, args.only.split(",")))
    plan = [("launch", section_launch, "launch.csv"), ("bandwidth", section_bandwidth, "bandwidth.csv"),
            ("layers", section_layers, "layers.csv"), ("attention", section_attention, "attention.csv"),
            ("vector", section_vector, "vector.csv")]
    for name, fn, fname in plan:
        if only and name not in only:
            continue
        rows: list = []
        try:
            fn(rows)
        except Exception as ex:  # noqa: BLE001
            print(f"{name} failed: {ex!r}", flush=True)
        write_csv(fname, rows)
    if not only or "gemm" in only:
        rows = []
        try:
            section_gemm(rows, ["bf16", "fp16", "fp8", "tf32", "fp32"])
        except Exception as ex:  # noqa: BLE001
            print(f"gemm failed: {ex!r}", flush=True)
        write_csv("gemm.csv", rows)
    with open(os.path.join(OUT, "env.json"), "w") as f:
        info["clocks_after"] = env_info()["nvidia_smi"]
        json.dump(info, f, indent=1)
    print(f"total {time.time() - T0:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
