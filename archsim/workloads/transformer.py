"""Transformer layers -> a per-device trace of GEMM/BMM/elementwise ops.

:func:`build_trace` turns a :class:`~archsim.workloads.models.ModelConfig` and
a serving scenario (phase, batch, sequence, context, tensor parallelism,
precisions) into a :class:`~archsim.workloads.trace.Trace` in execution order.
Conventions (see ``docs/workloads.md`` for the full list):

* Shapes are ``C[M, N] = A[M, K] @ B[K, N]``; weight GEMMs have ``M`` = tokens in
  the step, ``K`` = input features, ``N`` = output features.  A weight GEMM
  with ``M = 1`` is emitted as a ``gemv``.
* Attention is a ``bmm`` per KV head: ``batch = sequences x kv_heads`` and
  ``M = query rows x (num_heads / num_kv_heads)`` (the query heads of a GQA
  group share the K/V operand, so KV bytes are counted once per KV head; for
  MHA this is ``batch = sequences x heads``, ``M = query rows``).
* Prefill computes the causal score matrix in full (``S x S``, the mask is
  applied in the softmax); the chunk's own K/V are activations
  (``b_tensor="act"``).
* Decode: ``context`` = length of the KV cache that attention reads, the
  new token's own K/V (appended first) included; the new token sits at
  position ``context - 1``, so ``context <= max_positions``
  (``b_tensor="kv"``, ``b_precision`` = the KV-cache precision).
* Tensor parallelism (Megatron): QKV/gate/up column-parallel (N / tp), O/down
  row-parallel (K / tp), heads / tp per device; norms, residuals and the
  router are replicated.  The trace is one device's.  The two all-reduces per
  layer are not ops unless ``allreduce=True`` (then an ``eltwise`` placeholder
  ``*.allreduce``, M = tokens, N = hidden: the local reduction only, not the
  link transfer).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from archsim.core.errors import (
    ConfigError,
    require_choice,
    require_nonneg_int,
    require_positive_int,
)
from archsim.workloads._routing import expert_counts
from archsim.workloads.models import ModelConfig, get_model
from archsim.workloads.op import COLUMNS, PRECISIONS
from archsim.workloads.trace import Trace

BUILD_PHASES = ("prefill", "decode", "chunked")
_RECORD_COLUMNS = [
    "suffix",
    "kind",
    "M",
    "K",
    "N",
    "batch",
    "a_precision",
    "b_precision",
    "out_precision",
    "b_tensor",
    "phase",
    "layer",
    "count",
]


@dataclass(frozen=True)
class PrecisionPlan:
    """Element formats per tensor class.

    Attributes:
        weight: weights (``b_precision`` of weight GEMMs).
        gemm_act: activation input of weight GEMMs (their ``a_precision``).
        act: everything else: GEMM outputs, attention operands, vector ops.
        kv: the KV cache (``b_precision`` of attention ops with ``b_tensor="kv"``).
    """

    weight: str = "bf16"
    gemm_act: str = "bf16"
    act: str = "bf16"
    kv: str = "bf16"

    def __post_init__(self) -> None:
        for f in ("weight", "gemm_act", "act", "kv"):
            require_choice(f"{f} precision", getattr(self, f), PRECISIONS)


#: Named precision presets: (weight, gemm_act, act, kv).  w8a8 = SmoothQuant-style int8 weights and
#: GEMM inputs with 16-bit outputs; w4a16 = weight-only int4 (AWQ/GPTQ style); fp8 = e4m3 weights and
#: GEMM inputs (Transformer Engine style), attention and KV in bf16 unless ``kv_precision`` says otherwise.
PRECISION_PRESETS: dict[str, PrecisionPlan] = {
    "bf16": PrecisionPlan("bf16", "bf16", "bf16", "bf16"),
    "fp16": PrecisionPlan("fp16", "fp16", "fp16", "fp16"),
    "fp32": PrecisionPlan("fp32", "fp32", "fp32", "fp32"),
    "w8a8": PrecisionPlan("int8", "int8", "bf16", "bf16"),
    "w4a16": PrecisionPlan("int4", "bf16", "bf16", "bf16"),
    "fp8": PrecisionPlan("fp8_e4m3", "fp8_e4m3", "bf16", "bf16"),
}
_KV_ALIASES = {"fp8": "fp8_e4m3"}


def resolve_precision(precision: str | PrecisionPlan = "bf16", kv_precision: str | None = None) -> PrecisionPlan:
    """Return the :class:`PrecisionPlan` of a preset name (or a plan), with the KV precision overridden."""
    if isinstance(precision, PrecisionPlan):
        plan = precision
    else:
        require_choice("precision", precision, tuple(PRECISION_PRESETS))
        plan = PRECISION_PRESETS[precision]
    if kv_precision is not None:
        kv = _KV_ALIASES.get(kv_precision, kv_precision)
        require_choice("kv_precision", kv, PRECISIONS + tuple(_KV_ALIASES))
        plan = PrecisionPlan(plan.weight, plan.gemm_act, plan.act, kv)
    return plan


@dataclass(frozen=True)
class _Part:
    """One group of sequences attending alike: ``nseq`` sequences of ``q`` query rows over ``keys`` keys."""

    phase: str
    nseq: int
    q: int
    keys: int
    b_tensor: str  # "act" (keys computed in this pass) or "kv" (read from the KV cache)


def build_trace(
    model: ModelConfig | str,
    *,
    phase: str = "prefill",
    batch: int = 1,
    seq: int | None = None,
    context: int | None = None,
    decode_batch: int = 1,
    prefix: int = 0,
    tp: int = 1,
    precision: str | PrecisionPlan = "bf16",
    kv_precision: str | None = None,
    lm_head: bool | str = False,
    collapse_layers: bool = True,
    routing: str | Sequence[int] | Sequence[Sequence[int]] | np.ndarray = "balanced",
    routing_seed: int = 0,
    routing_skew: float = 1.0,
    allreduce: bool = False,
    fuse_gate_up: bool = True,
) -> Trace:
    """Return the per-device op trace of one forward step of ``model``, in execution order.

    Args:
        model: a :class:`ModelConfig` or a preset name / config file (see :func:`get_model`).
        phase: ``"prefill"`` (``batch`` sequences of ``seq`` tokens), ``"decode"`` (``batch``
            sequences generating one token each, reading a KV cache of ``context`` tokens) or ``"chunked"``
            (chunked prefill: ``batch`` prefill chunks of ``seq`` tokens, each after ``prefix``
            cached tokens, batched with ``decode_batch`` decodes at ``context``; weight GEMMs see
            all tokens together, phase ``"mixed"``, attention is emitted per part).
        batch: sequences (prefill/decode) or prefill chunks (chunked).
        seq: tokens per sequence / chunk.  Default ``min(1024, max_positions)``; vision models use
            patches + 1 (CLS) and accept only that.
        context: KV-cache length read by each decoding sequence, the new token included
            (tokens, >= 1, <= max_positions).  Default ``min(1024, max_positions)``.
        decode_batch: decoding sequences batched with the chunk (chunked phase only; may be 0).
        prefix: cached tokens before each prefill chunk (chunked phase only).
        tp: tensor-parallel degree (Megatron sharding; the trace is one device's).
        precision: ``"bf16"``, ``"fp16"``, ``"fp32"``, ``"w8a8"``, ``"w4a16"``, ``"fp8"`` or a
            :class:`PrecisionPlan`.
        kv_precision: KV-cache format (overrides the preset), e.g. ``"int8"``, ``"fp8"``, ``"int4"``.
        lm_head: add the LM head (vocab projection): False; True or ``"last"`` = one row per
            sequence (the token being generated; BERT: every token, ViT: the CLS token);
            ``"all"`` = every token.
        collapse_layers: merge runs of identical consecutive layers into rows with ``count`` > 1
            (``layer`` = first layer, name ``L<first>-<last>.<op>``).
        routing: MoE token-to-expert distribution: ``"balanced"``, ``"zipf"``, ``"dirichlet"`` or
            explicit counts (see :func:`archsim.workloads._routing.expert_counts`).
        routing_seed, routing_skew: seed and skew of the random routings.
        allreduce: emit an ``eltwise`` placeholder for each tensor-parallel all-reduce (tp > 1).
        fuse_gate_up: dense SwiGLU FFNs run gate and up as one GEMM ``ffn.gate_up`` (N = 2 x inner), as
            serving frameworks do (vLLM ``MergedColumnParallelLinear``, HF ``gate_up_proj``); False emits
            ``ffn.gate`` and ``ffn.up``.  MoE experts stay split.

    Raises:
        ConfigError: naming the bad argument and value.
    """
    cfg = get_model(model)
    # numpy integers (from sweeps over DataFrames) are accepted as ints
    batch, seq, context, decode_batch, prefix, tp, routing_seed = (
        int(v) if isinstance(v, np.integer) else v
        for v in (batch, seq, context, decode_batch, prefix, tp, routing_seed)
    )
    require_choice("phase", phase, BUILD_PHASES)
    require_positive_int("batch", batch)
    require_positive_int("tp", tp)
    require_nonneg_int("decode_batch", decode_batch)
    require_nonneg_int("prefix", prefix)
    require_nonneg_int("routing_seed", routing_seed)
    for flag in ("collapse_layers", "allreduce", "fuse_gate_up"):
        if not isinstance(locals()[flag], bool):
            raise ConfigError(f"{flag} must be true or false, not {locals()[flag]!r}")
    if not (isinstance(lm_head, bool) or lm_head in ("last", "all")):
        raise ConfigError(f"lm_head must be one of false, true, last, all, not {lm_head!r}")
    plan = resolve_precision(precision, kv_precision)
    if cfg.arch == "encoder" and phase != "prefill":
        raise ConfigError(f"phase must be prefill for encoder model {cfg.name}, not {phase!r}")

    seq, context = _resolve_lengths(cfg, phase, seq, context, prefix)
    if phase == "prefill":
        parts = [_Part("prefill", batch, seq, seq, "act")]
    elif phase == "decode":
        parts = [_Part("decode", batch, 1, context, "kv")]
    else:
        parts = [_Part("prefill", batch, seq, prefix + seq, "kv" if prefix else "act")]
        if decode_batch:
            parts.append(_Part("decode", decode_batch, 1, context, "kv"))
    if cfg.sliding_window:
        parts = [_Part(p.phase, p.nseq, p.q, min(p.keys, cfg.sliding_window), p.b_tensor) for p in parts]
    tokens = sum(p.nseq * p.q for p in parts)
    linear_phase = phase if phase != "chunked" else ("mixed" if decode_batch else "prefill")

    shard = _Shard.of(cfg, tp)
    b = _Builder(plan, linear_phase)

    # -- before the blocks ------------------------------------------------
    pre: list[tuple] = []
    if cfg.is_vision:
        patch_k = cfg.num_channels * cfg.patch_size**2
        pre.append(b.gemm("patch_embed", batch * cfg.num_patches, patch_k, cfg.hidden_size))
    elif cfg.embed_dim and cfg.embed_dim != cfg.hidden_size:
        pre.append(b.gemm("embed.project_in", tokens, cfg.embed_dim, cfg.hidden_size))

    # -- the blocks -------------------------------------------------------
    if cfg.is_moe:
        counts = expert_counts(
            tokens, cfg.num_experts, cfg.top_k, cfg.num_layers, routing, seed=routing_seed, skew=routing_skew
        )
        keys = [tuple(int(c) for c in row) for row in counts]
        keys[: cfg.first_dense_layers] = [()] * cfg.first_dense_layers  # DeepSeek-V3: first layers dense
    else:
        if not (isinstance(routing, str) and routing == "balanced"):
            raise ConfigError(f"routing applies to MoE models only; {cfg.name} is dense (routing={routing!r})")
        keys = [()] * cfg.num_layers
    cache: dict[tuple, list[tuple]] = {}
    layer_rows: list[list[tuple]] = []
    for key in keys:
        if key not in cache:
            cache[key] = _layer(cfg, shard, b, parts, tokens, np.asarray(key, dtype=np.int64), tp, allreduce,
                                fuse_gate_up)
        layer_rows.append(cache[key])

    # -- after the blocks -------------------------------------------------
    post: list[tuple] = []
    if cfg.pre_norm:
        post.append(b.vec("final_norm", "norm", tokens, cfg.hidden_size))
    if cfg.embed_dim and cfg.embed_dim != cfg.hidden_size:
        post.append(b.gemm("embed.project_out", tokens, cfg.hidden_size, cfg.embed_dim))
    if lm_head is not False:
        if cfg.is_vision:
            if cfg.num_classes:
                post.append(b.gemm("head", batch, cfg.hidden_size, cfg.num_classes))
        else:
            if lm_head == "all" or cfg.arch == "encoder":
                rows = tokens
            else:
                rows = sum(p.nseq for p in parts)
            post.append(b.gemm("lm_head", rows, cfg.token_embed_dim, math.ceil(cfg.vocab_size / tp)))

    records = [(*r, -1, 1) for r in pre]
    records += _assemble(layer_rows, collapse_layers)
    records += [(*r, -1, 1) for r in post]
    df = pd.DataFrame.from_records(records, columns=_RECORD_COLUMNS)
    prefix_col = np.where(df["layer"] < 0, "", "L" + df["layer"].astype(str))
    last = df["layer"] + df["count"] - 1
    prefix_col = np.where((df["layer"] >= 0) & (df["count"] > 1), prefix_col + "-" + last.astype(str), prefix_col)
    df["suffix"] = np.where(df["layer"] < 0, df["suffix"], prefix_col + "." + df["suffix"])
    df["conv"] = ""
    df = df.rename(columns={"suffix": "name"})[list(COLUMNS)]
    meta = {
        "model": cfg.name,
        "phase": phase,
        "batch": batch,
        "seq": seq if phase != "decode" else None,
        "context": context if phase != "prefill" else None,
        "decode_batch": decode_batch if phase == "chunked" else None,
        "prefix": prefix if phase == "chunked" else None,
        "tokens": tokens,
        "tp": tp,
        "precision": precision if isinstance(precision, str) else "custom",
        "kv_precision": plan.kv,
        "routing": routing if isinstance(routing, str) else "explicit",
        # elements each device all-reduces per step (2 per layer), whether or not emitted as ops
        "allreduce_elements": 2 * cfg.num_layers * tokens * cfg.hidden_size if tp > 1 else 0,
    }
    return Trace(df, source=f"build_trace({cfg.name})", meta=meta)


# ---------------------------------------------------------------------------
# internals


def _resolve_lengths(cfg: ModelConfig, phase: str, seq: int | None, context: int | None, prefix: int) -> tuple:
    if cfg.is_vision:
        if seq is not None and seq != cfg.vision_seq_len:
            raise ConfigError(
                f"seq must be {cfg.vision_seq_len} (image patches + CLS) for vision model {cfg.name}, not {seq!r}"
            )
        return cfg.vision_seq_len, 0
    if seq is None:
        seq = min(1024, cfg.max_positions)
    require_positive_int("seq", seq)
    if context is None:
        context = min(1024, cfg.max_positions)
    require_positive_int("context", context)
    if phase != "decode" and prefix + seq > cfg.max_positions:
        what = "seq" if not prefix else "prefix + seq"
        raise ConfigError(f"{what} must be <= max_positions ({cfg.max_positions}) of {cfg.name}, not {prefix + seq}")
    if phase != "prefill" and context > cfg.max_positions:
        raise ConfigError(f"context must be <= max_positions ({cfg.max_positions}) of {cfg.name}, not {context}")
    return seq, context


@dataclass(frozen=True)
class _Shard:
    """Per-device sizes under Megatron tensor parallelism."""

    heads: int
    kv_heads: int
    ffn: int
    expert_ffn: int
    shared_ffn: int

    @classmethod
    def of(cls, cfg: ModelConfig, tp: int) -> _Shard:
        if cfg.num_heads % tp:
            raise ConfigError(f"tp must divide num_heads ({cfg.num_heads}) of {cfg.name}, not {tp}")
        kv = cfg.num_kv_heads
        if kv % tp and tp % kv:
            raise ConfigError(f"tp must divide num_kv_heads ({kv}) of {cfg.name} or be a multiple of it, not {tp}")
        for field in ("intermediate_size", "expert_intermediate_size", "shared_expert_intermediate_size"):
            size = getattr(cfg, field)
            if size % tp:
                raise ConfigError(f"tp must divide {field} ({size}) of {cfg.name}, not {tp}")
        return cls(
            heads=cfg.num_heads // tp,
            kv_heads=max(1, kv // tp),  # tp > kv heads: each device holds a replica of one KV head
            ffn=cfg.intermediate_size // tp,
            expert_ffn=cfg.expert_intermediate_size // tp,
            shared_ffn=cfg.shared_expert_intermediate_size // tp,
        )


class _Builder:
    """Makes op records ``(suffix, kind, M, K, N, batch, a_prec, b_prec, out_prec, b_tensor, phase)``."""

    def __init__(self, plan: PrecisionPlan, phase: str) -> None:
        self.p = plan
        self.phase = phase

    def gemm(self, name: str, m: int, k: int, n: int) -> tuple:
        p = self.p
        kind = "gemv" if m == 1 else "gemm"
        return (name, kind, m, k, n, 1, p.gemm_act, p.weight, p.act, "weight", self.phase)

    def vec(self, name: str, kind: str, m: int, n: int, batch: int = 1, phase: str | None = None,
            two_inputs: bool = False) -> tuple:
        """An elementwise op; ``two_inputs`` (residual add, SwiGLU multiply): operand B is a second
        activation of the same shape (``b_tensor="act"``), read in full."""
        a = self.p.act
        return (name, kind, m, 1, n, batch, a, a, a, "act" if two_inputs else "none", phase or self.phase)

    def bmm(self, name: str, m: int, k: int, n: int, batch: int, b_tensor: str, phase: str) -> tuple:
        a = self.p.act
        b_prec = self.p.kv if b_tensor == "kv" else a
        return (name, "bmm", m, k, n, batch, a, b_prec, a, b_tensor, phase)


def _layer(
    cfg: ModelConfig,
    sh: _Shard,
    b: _Builder,
    parts: list[_Part],
    tokens: int,
    expert_tokens: np.ndarray,
    tp: int,
    allreduce: bool,
    fuse_gate_up: bool = True,
) -> list[tuple]:
    """Return the op records of one transformer block."""
    h, hd, t = cfg.hidden_size, cfg.head_dim, tokens
    g = sh.heads // sh.kv_heads  # query heads per KV head on this device
    ops: list[tuple] = []
    norm = "norm"

    def add_norm(name: str) -> None:
        ops.append(b.vec(name, norm, t, h))

    # attention
    if cfg.pre_norm:
        add_norm("attn_norm")
    if cfg.is_mla:
        ops += _mla(cfg, sh, b, parts, t)
    else:
        ops.append(b.gemm("attn.qkv", t, h, (sh.heads + 2 * sh.kv_heads) * hd))
        if cfg.position_embedding == "rope":
            ops.append(b.vec("attn.rope", "eltwise", t, (sh.heads + sh.kv_heads) * hd))
        multi = len(parts) > 1
        for part in parts:
            tag = f"attn.{part.phase}." if multi else "attn."
            groups = part.nseq * sh.kv_heads
            ops.append(b.bmm(tag + "scores", part.q * g, hd, part.keys, groups, part.b_tensor, part.phase))
            ops.append(b.vec(tag + "softmax", "softmax", part.q, part.keys, part.nseq * sh.heads, part.phase))
            ops.append(b.bmm(tag + "context", part.q * g, part.keys, hd, groups, part.b_tensor, part.phase))
    ops.append(b.gemm("attn.out", t, sh.heads * (cfg.v_head_dim or hd), h))
    if allreduce and tp > 1:
        ops.append(b.vec("attn.allreduce", "eltwise", t, h))
    ops.append(b.vec("attn.residual", "eltwise", t, h, two_inputs=True))
    if not cfg.pre_norm:
        add_norm("attn_norm")

    # feed-forward
    if cfg.pre_norm:
        add_norm("ffn_norm")
    if cfg.is_moe and expert_tokens.size:
        ops.append(b.gemm("moe.router", t, h, cfg.num_experts))
        ops.append(b.vec("moe.router_softmax", "softmax", t, cfg.num_experts))
        for e in np.flatnonzero(expert_tokens):
            ops += _ffn(b, f"moe.e{e}", int(expert_tokens[e]), h, sh.expert_ffn, "swiglu")
        if cfg.shared_expert_intermediate_size:
            ops += _ffn(b, "moe.shared", t, h, sh.shared_ffn, "swiglu")
            if cfg.shared_expert_gate:
                ops.append(b.gemm("moe.shared.gate_proj", t, h, 1))
                ops.append(b.vec("moe.shared.scale", "eltwise", t, h))
        ops.append(b.vec("moe.combine", "eltwise", t * cfg.top_k, h))
    else:
        ops += _ffn(b, "ffn", t, h, sh.ffn, cfg.ffn_type, fuse_gate_up)
    if allreduce and tp > 1:
        ops.append(b.vec("ffn.allreduce", "eltwise", t, h))
    ops.append(b.vec("ffn.residual", "eltwise", t, h, two_inputs=True))
    if not cfg.pre_norm:
        add_norm("ffn_norm")
    return ops


def _mla(cfg: ModelConfig, sh: _Shard, b: _Builder, parts: list[_Part], t: int) -> list[tuple]:
    """Return the ops of multi-head latent attention (DeepSeek-V2/V3) on ``sh.heads`` heads.

    Queries: ``q_a`` (hidden -> q_lora_rank, replicated under TP), its norm, ``q_b`` (-> heads x head_dim).
    Keys/values: ``kv_a`` (hidden -> kv_lora_rank + rope dim: the cached latent), its norm, RoPE.
    Parts reading a KV cache use the absorbed form (DeepSeek-V2 Sec. 2.1.2): queries absorb the key
    up-projection (``q_absorb``: a bmm over heads), attend over the latent cache like MQA with one
    ``kv_lora_rank + rope`` wide KV head, and the context absorbs the value up-projection (``v_absorb``).
    Parts computing their own keys (prefill) expand the latent (``kv_b``: -> heads x (no-RoPE + value)) and
    attend per head.
    """
    h, hd, nh = cfg.hidden_size, cfg.head_dim, sh.heads
    rope, r_kv, v = cfg.qk_rope_head_dim, cfg.kv_lora_rank, cfg.v_head_dim
    nope = hd - rope
    ops: list[tuple] = []
    if cfg.q_lora_rank:
        ops.append(b.gemm("attn.q_a", t, h, cfg.q_lora_rank))
        ops.append(b.vec("attn.q_norm", "norm", t, cfg.q_lora_rank))
        ops.append(b.gemm("attn.q_b", t, cfg.q_lora_rank, nh * hd))
    else:
        ops.append(b.gemm("attn.q", t, h, nh * hd))
    ops.append(b.gemm("attn.kv_a", t, h, r_kv + rope))
    ops.append(b.vec("attn.kv_norm", "norm", t, r_kv))
    ops.append(b.vec("attn.rope", "eltwise", t, (nh + 1) * rope))
    multi = len(parts) > 1
    absorbed = [p for p in parts if p.b_tensor == "kv"]
    if absorbed:
        ta = sum(p.nseq * p.q for p in absorbed)
        ops.append(b.bmm("attn.q_absorb", ta, nope, r_kv, nh, "weight", absorbed[0].phase))
    expanded = [p for p in parts if p.b_tensor != "kv"]
    if expanded:
        te = sum(p.nseq * p.q for p in expanded)
        ops.append(b.gemm("attn.kv_b", te, r_kv, nh * (nope + v)))
    for part in parts:
        tag = f"attn.{part.phase}." if multi else "attn."
        if part.b_tensor == "kv":
            ops.append(b.bmm(tag + "scores", part.q * nh, r_kv + rope, part.keys, part.nseq, "kv", part.phase))
            ops.append(b.vec(tag + "softmax", "softmax", part.q, part.keys, part.nseq * nh, part.phase))
            ops.append(b.bmm(tag + "context", part.q * nh, part.keys, r_kv, part.nseq, "kv", part.phase))
        else:
            ops.append(b.bmm(tag + "scores", part.q, hd, part.keys, part.nseq * nh, part.b_tensor, part.phase))
            ops.append(b.vec(tag + "softmax", "softmax", part.q, part.keys, part.nseq * nh, part.phase))
            ops.append(b.bmm(tag + "context", part.q, part.keys, v, part.nseq * nh, part.b_tensor, part.phase))
    if absorbed:
        ops.append(b.bmm("attn.v_absorb", ta, r_kv, v, nh, "weight", absorbed[0].phase))
    return ops


def _ffn(b: _Builder, tag: str, m: int, h: int, inner: int, ffn_type: str, fuse: bool = False) -> list[tuple]:
    """Return the ops of one FFN (per-device inner size ``inner``) over ``m`` tokens (``fuse``: one gate+up GEMM)."""
    if ffn_type == "swiglu" and fuse:
        return [
            b.gemm(f"{tag}.gate_up", m, h, 2 * inner),
            b.vec(f"{tag}.act", "act", m, inner),
            b.vec(f"{tag}.mul", "eltwise", m, inner, two_inputs=True),
            b.gemm(f"{tag}.down", m, inner, h),
        ]
    if ffn_type == "swiglu":
        return [
            b.gemm(f"{tag}.gate", m, h, inner),
            b.gemm(f"{tag}.up", m, h, inner),
            b.vec(f"{tag}.act", "act", m, inner),
            b.vec(f"{tag}.mul", "eltwise", m, inner, two_inputs=True),
            b.gemm(f"{tag}.down", m, inner, h),
        ]
    return [
        b.gemm(f"{tag}.up", m, h, inner),
        b.vec(f"{tag}.act", "act", m, inner),
        b.gemm(f"{tag}.down", m, inner, h),
    ]


def _assemble(layer_rows: list[list[tuple]], collapse: bool) -> list[tuple]:
    """Return block records with ``layer`` and ``count`` appended, runs of identical layers merged."""
    out: list[tuple] = []
    i, n = 0, len(layer_rows)
    while i < n:
        j = i + 1
        if collapse:
            while j < n and layer_rows[j] is layer_rows[i]:
                j += 1
        out += [(*r, i, j - i) for r in layer_rows[i]]
        i = j
    return out
