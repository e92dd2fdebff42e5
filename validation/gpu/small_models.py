"""Whole-model decode steps of small GPT-2 / OPT models on the H100 (PIM-GPT's model range), eager and graph.

One decode step at batch 1 = every decoder layer (LayerNorm, fused QKV with bias, SDPA over a KV cache of
``context`` tokens, output projection, residual, LayerNorm, fc1 + GELU (GPT-2) / ReLU (OPT), fc2, residual)
plus the final LayerNorm; the LM head (1 x hidden x vocab GEMV) is timed on its own (archsim's traces stop at
the final norm).  Random bf16 weights (no checkpoint download: the device has no network); the whole model's
weights are resident (one copy: a step reads every weight once, so L2 serves nothing between layers except
what the previous step left: we time steps of two model copies alternately so the 50 MB L2 never holds the
next step's weights).  ``graph``: the step captured in a CUDA graph, replayed (median); ``eager``: the same
Python calls issued one by one (CUDA-event timed median), i.e. PyTorch eager host launch costs included.

Usage (device machine): ``python3 validation/gpu/small_models.py`` -> $OUT/small_models.csv.
"""

from __future__ import annotations

import os
import sys
import time

import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import run_all as ra  # noqa: E402

#: name -> (layers, hidden, heads, ffn, activation, vocab): Hugging Face config.json of each model
MODELS = {
    "gpt2": (12, 768, 12, 3072, "gelu", 50257),
    "gpt2-medium": (24, 1024, 16, 4096, "gelu", 50257),
    "gpt2-large": (36, 1280, 20, 5120, "gelu", 50257),
    "gpt2-xl": (48, 1600, 25, 6400, "gelu", 50257),
    "opt-125m": (12, 768, 12, 3072, "relu", 50272),
    "opt-350m": (24, 1024, 16, 4096, "relu", 50272),
    "opt-1.3b": (24, 2048, 32, 8192, "relu", 50272),
}


class Block:
    """One GPT-2/OPT decoder layer, bf16, batch 1, with a KV cache of ``ctx`` tokens."""

    def __init__(self, h: int, heads: int, ffn: int, act: str, ctx: int) -> None:
        dt, dev = torch.bfloat16, "cuda"
        self.h, self.heads, self.hd, self.act = h, heads, h // heads, act
        self.ln1 = (torch.ones(h, device=dev, dtype=dt), torch.zeros(h, device=dev, dtype=dt))
        self.ln2 = (torch.ones(h, device=dev, dtype=dt), torch.zeros(h, device=dev, dtype=dt))
        self.wqkv = torch.randn(h, 3 * h, device=dev, dtype=dt) * 0.02
        self.bqkv = torch.zeros(3 * h, device=dev, dtype=dt)
        self.wo = torch.randn(h, h, device=dev, dtype=dt) * 0.02
        self.bo = torch.zeros(h, device=dev, dtype=dt)
        self.w1 = torch.randn(h, ffn, device=dev, dtype=dt) * 0.02
        self.b1 = torch.zeros(ffn, device=dev, dtype=dt)
        self.w2 = torch.randn(ffn, h, device=dev, dtype=dt) * 0.02
        self.b2 = torch.zeros(h, device=dev, dtype=dt)
        self.kc = torch.randn(1, heads, ctx, self.hd, device=dev, dtype=dt)
        self.vc = torch.randn(1, heads, ctx, self.hd, device=dev, dtype=dt)

    def forward(self, x):
        h, hd = self.h, self.hd
        y = F.layer_norm(x, (h,), *self.ln1)
        qkv = torch.addmm(self.bqkv, y.view(-1, h), self.wqkv)
        q = qkv[:, :h].view(1, 1, self.heads, hd).transpose(1, 2)
        a = F.scaled_dot_product_attention(q, self.kc, self.vc)
        x = x + torch.addmm(self.bo, a.transpose(1, 2).reshape(1, h), self.wo).view(1, 1, h)
        y = F.layer_norm(x, (h,), *self.ln2)
        z = torch.addmm(self.b1, y.view(-1, h), self.w1)
        z = F.gelu(z) if self.act == "gelu" else F.relu(z)
        return x + torch.addmm(self.b2, z, self.w2).view(1, 1, h)


def profile(name: str = "gpt2", ctx: int = 1024) -> None:
    """Print the CUDA kernels of one decode layer (name, count, device time): explains the per-layer floor."""
    n_layers, h, heads, ffn, act, _ = MODELS[name]
    blk = Block(h, heads, ffn, act, ctx)
    x = torch.randn(1, 1, h, device="cuda", dtype=torch.bfloat16)
    for _ in range(3):
        blk.forward(x)
    torch.cuda.synchronize()
    from torch.profiler import ProfilerActivity
    from torch.profiler import profile as prof
    with prof(activities=[ProfilerActivity.CUDA]) as p:
        for _ in range(10):
            blk.forward(x)
        torch.cuda.synchronize()
    print(p.key_averages().table(sort_by="cuda_time_total", row_limit=30, max_name_column_width=90))


def main() -> int:
    if "--profile" in sys.argv:
        profile()
        profile("opt-1.3b", 1024)
        return 0
    os.makedirs(ra.OUT, exist_ok=True)
    ra.BUDGET = 240.0
    torch.manual_seed(1)
    rows = []
    for name, (n_layers, h, heads, ffn, act, vocab) in MODELS.items():
        for ctx in (128, 1024):
            if ra.left() < 15:
                break
            copies = [[Block(h, heads, ffn, act, ctx) for _ in range(n_layers)] for _ in range(2)]
            lnf = (torch.ones(h, device="cuda", dtype=torch.bfloat16),
                   torch.zeros(h, device="cuda", dtype=torch.bfloat16))
            x = torch.randn(1, 1, h, device="cuda", dtype=torch.bfloat16)

            def step(blocks, x=x, lnf=lnf, h=h):
                y = x
                for b in blocks:
                    y = b.forward(y)
                return F.layer_norm(y, (h,), *lnf)

            fns = [lambda c=c: step(c) for c in copies]
            med, mn = ra.time_graph(fns, target_ms=20, replays=9)
            eag = ra.time_eager(fns, reps=6, repeats=7)
            heads_w = [torch.randn(h, vocab, device="cuda", dtype=torch.bfloat16) * 0.02 for _ in range(4)]
            y = torch.randn(1, h, device="cuda", dtype=torch.bfloat16)
            lm, _ = ra.time_graph([lambda w=w, y=y: y @ w for w in heads_w], target_ms=3)
            rows.append({"model": name, "batch": 1, "context": ctx, "layers": n_layers, "us_graph": med,
                         "us_graph_min": mn, "us_eager": eag, "lm_head_us_graph": lm})
            print(rows[-1], flush=True)
            del copies, heads_w
            torch.cuda.empty_cache()
    ra.write_csv("small_models.csv", rows)
    print(f"total {time.time() - ra.T0:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
