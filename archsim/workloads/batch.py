"""The trace of one serving iteration: a batch of prefill chunks and decode steps, each request with its own
context length in attention.

A serving engine (:mod:`archsim.serving`) runs batches whose requests sit at different points of their
sequences.  :func:`build_batch_trace` emits, per transformer block, the weight GEMMs over all ``T`` tokens
of the batch together (phase ``mixed`` when prefill and decode share the batch) and one attention group
(``scores``, ``softmax``, ``context``) per request with that request's own query rows and keys (no averaging,
no padding).  The building blocks are those of :func:`archsim.workloads.build_trace` (same op names, shapes,
precisions and tensor parallelism), so a batch of identical requests gives the same weight ops.

Requests are given as two arrays: ``q`` (tokens this iteration: the chunk length of a prefill chunk, 1 for a
decode) and ``cached`` (tokens already in the KV cache before this iteration; for a decode it is the
context minus the new token).  A prefill chunk's keys are ``cached + q`` (its own K/V are activations when
``cached == 0``, else the cached part is read from the KV cache); a decode's keys are ``cached + 1``.

:func:`batch_pieces` cuts the same trace into independent pieces (the token-parallel ops over ``T``, the LM
head over the rows that emit a token, one attention group per request) for designs whose run time is the sum
of their ops' run times; the serving engine memoizes pieces, and a test holds the sum of the pieces to the
whole-trace run of each such design.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from archsim.core.errors import ConfigError
from archsim.workloads._routing import expert_counts
from archsim.workloads.models import ModelConfig, get_model
from archsim.workloads.op import COLUMNS, Op
from archsim.workloads.trace import Trace
from archsim.workloads.transformer import (
    _RECORD_COLUMNS,
    PrecisionPlan,
    _assemble,
    _Builder,
    _layer,
    _Part,
    _Shard,
    resolve_precision,
)

_ATTN_SUFFIXES = ("scores", "softmax", "context")


@dataclass(frozen=True)
class BatchSpec:
    """How a model is sharded and stored for serving (the fixed part of every iteration's trace).

    Attributes:
        model: the model config.
        tp: tensor-parallel degree (the trace is one device's).
        plan: element formats.
        lm_head: emit the LM head for the rows that produce a token.
    """

    model: ModelConfig
    tp: int = 1
    plan: PrecisionPlan = PrecisionPlan()
    lm_head: bool = True

    @classmethod
    def of(cls, model: ModelConfig | str, *, tp: int = 1, precision: str | PrecisionPlan = "bf16",
           kv_precision: str | None = None, lm_head: bool = True) -> BatchSpec:
        """Return the spec of ``model`` (a preset name or config) with the given sharding and formats."""
        cfg = get_model(model)
        if cfg.arch == "encoder" or cfg.is_vision:
            raise ConfigError(f"model must be a decoder (it generates tokens), not {cfg.arch} model {cfg.name}")
        _Shard.of(cfg, tp)
        return cls(cfg, tp, resolve_precision(precision, kv_precision), bool(lm_head))

    @property
    def layers(self) -> int:
        """Transformer blocks (the ``count`` of the collapsed per-layer ops)."""
        return self.model.num_layers


def _check(spec: BatchSpec, q: np.ndarray, cached: np.ndarray, decode: np.ndarray) -> None:
    if q.ndim != 1 or q.shape != cached.shape or q.shape != decode.shape or len(q) == 0:
        raise ConfigError("q, cached and decode must be non-empty 1-D arrays of the same length")
    if (q < 1).any() or (cached < 0).any():
        raise ConfigError("q must be >= 1 and cached >= 0 for every request of the batch")
    if (decode & (q != 1)).any():
        raise ConfigError("a decode step has q == 1")
    if (cached + q > spec.model.max_positions).any():
        worst = int((cached + q).max())
        raise ConfigError(f"context must be <= max_positions ({spec.model.max_positions}) of {spec.model.name}, "
                          f"not {worst}")


def _parts(spec: BatchSpec, q: np.ndarray, cached: np.ndarray, decode: np.ndarray) -> list[_Part]:
    win = spec.model.sliding_window
    parts = []
    for qi, ci, di in zip(q.tolist(), cached.tolist(), decode.tolist()):
        keys = ci + qi
        if win:
            keys = min(keys, win)
        if di:
            parts.append(_Part("decode", 1, 1, keys, "kv"))
        else:
            parts.append(_Part("prefill", 1, qi, keys, "kv" if ci else "act"))
    return parts


def _phase(decode: np.ndarray) -> str:
    if decode.all():
        return "decode"
    return "mixed" if decode.any() else "prefill"


def _layer_records(spec: BatchSpec, parts: list[_Part], tokens: int, phase: str) -> list[list[tuple]]:
    cfg = spec.model
    sh = _Shard.of(cfg, spec.tp)
    b = _Builder(spec.plan, phase)
    if cfg.is_moe:
        counts = expert_counts(tokens, cfg.num_experts, cfg.top_k, cfg.num_layers, "balanced")
        keys = [tuple(int(c) for c in row) for row in counts]
    else:
        keys = [()] * cfg.num_layers
    cache: dict[tuple, list[tuple]] = {}
    rows = []
    for key in keys:
        if key not in cache:
            cache[key] = _layer(cfg, sh, b, parts, tokens, np.asarray(key, dtype=np.int64), spec.tp, False)
        rows.append(cache[key])
    return rows


def _post_records(spec: BatchSpec, tokens: int, rows: int, phase: str) -> list[tuple]:
    cfg = spec.model
    b = _Builder(spec.plan, phase)
    post = []
    if cfg.pre_norm:
        post.append(b.vec("final_norm", "norm", tokens, cfg.hidden_size))
    if cfg.embed_dim and cfg.embed_dim != cfg.hidden_size:
        post.append(b.gemm("embed.project_out", tokens, cfg.hidden_size, cfg.embed_dim))
    if spec.lm_head and rows:
        post.append(b.gemm("lm_head", rows, cfg.token_embed_dim, -(-cfg.vocab_size // spec.tp)))
    return post


def _pre_records(spec: BatchSpec, tokens: int, phase: str) -> list[tuple]:
    cfg = spec.model
    if cfg.embed_dim and cfg.embed_dim != cfg.hidden_size:
        return [_Builder(spec.plan, phase).gemm("embed.project_in", tokens, cfg.embed_dim, cfg.hidden_size)]
    return []


def _emitting(q: np.ndarray, cached: np.ndarray, decode: np.ndarray, prompt: np.ndarray | None) -> int:
    if prompt is None:
        return len(q)
    return int((decode | (cached + q >= prompt)).sum())


def build_batch_trace(
    spec: BatchSpec | ModelConfig | str,
    q: Sequence[int] | np.ndarray,
    cached: Sequence[int] | np.ndarray,
    decode: Sequence[bool] | np.ndarray | None = None,
    *,
    prompt: Sequence[int] | np.ndarray | None = None,
) -> Trace:
    """Return the per-device trace of one iteration over a batch of requests, in execution order.

    Args:
        spec: a :class:`BatchSpec` (or a model, with bf16 and tp=1).
        q: tokens each request runs this iteration (prefill chunk length, or 1 for a decode).
        cached: tokens each request already holds in the KV cache.
        decode: which requests are decode steps (default: ``cached > 0 and q == 1``).
        prompt: prompt length of each request; a prefill chunk emits a token (an LM head row) only when it
            completes the prompt (default: every request emits one).
    """
    spec = spec if isinstance(spec, BatchSpec) else BatchSpec.of(spec)
    q, cached = np.asarray(q, dtype=np.int64), np.asarray(cached, dtype=np.int64)
    decode = (cached > 0) & (q == 1) if decode is None else np.asarray(decode, dtype=bool)
    _check(spec, q, cached, decode)
    tokens = int(q.sum())
    phase = _phase(decode)
    parts = _parts(spec, q, cached, decode)
    rows = _emitting(q, cached, decode, None if prompt is None else np.asarray(prompt, dtype=np.int64))
    records = [(*r, -1, 1) for r in _pre_records(spec, tokens, phase)]
    records += _assemble(_layer_records(spec, parts, tokens, phase), True)
    records += [(*r, -1, 1) for r in _post_records(spec, tokens, rows, phase)]
    df = pd.DataFrame.from_records(records, columns=_RECORD_COLUMNS)
    prefix_col = np.where(df["layer"] < 0, "", "L" + df["layer"].astype(str))
    last = df["layer"] + df["count"] - 1
    prefix_col = np.where((df["layer"] >= 0) & (df["count"] > 1), prefix_col + "-" + last.astype(str), prefix_col)
    df["suffix"] = np.where(df["layer"] < 0, df["suffix"], prefix_col + "." + df["suffix"])
    df["conv"] = ""  # transformer ops carry no conv geometry
    df = df.rename(columns={"suffix": "name"})[list(COLUMNS)]
    meta = {"model": spec.model.name, "phase": phase, "batch": len(q), "tokens": tokens, "tp": spec.tp,
            "kv_precision": spec.plan.kv, "emitting_rows": rows}
    return Trace(df, source=f"build_batch_trace({spec.model.name})", meta=meta)


def _is_attention_record(r: tuple) -> bool:
    return r[0].split(".")[-1] in _ATTN_SUFFIXES and r[1] in ("bmm", "softmax")


def _to_ops(records: list[tuple], layer_count: int, layer: int = 0) -> list[Op]:
    out = []
    for r in records:
        name, kind, m, k, n, batch, ap, bp, op_, bt, ph = r
        out.append(Op(name, kind, int(m), int(k), int(n), int(batch), ap, bp, op_, bt, layer, ph, layer_count))
    return out


def linear_piece(spec: BatchSpec, tokens: int, phase: str) -> list[Op]:
    """Return the ops of an iteration over ``tokens`` tokens that do not depend on any request's context: every
    block's weight GEMMs, norms and elementwise ops (``count`` = layers) and the ops before/after the blocks
    (the LM head excluded: :func:`head_piece`)."""
    if spec.model.is_moe:
        raise ConfigError("batch_pieces supports dense models only (MoE routing couples the tokens)")
    layer = _layer_records(spec, [], tokens, phase)[0]
    ops = _to_ops(_pre_records(spec, tokens, phase), 1, -1)
    ops += _to_ops([r for r in layer if not _is_attention_record(r)], spec.layers)
    ops += _to_ops([r for r in _post_records(spec, tokens, 0, phase)], 1, -1)
    return ops


def head_piece(spec: BatchSpec, rows: int, phase: str) -> list[Op]:
    """Return the LM-head op over ``rows`` token-emitting rows (empty without an LM head or rows)."""
    if not (spec.lm_head and rows):
        return []
    return _to_ops([r for r in _post_records(spec, 1, rows, phase) if r[0] == "lm_head"], 1, -1)


def attention_piece(spec: BatchSpec, q: int, cached: int, decode: bool) -> list[Op]:
    """Return one request's attention group of every block (``count`` = layers): scores, softmax, context."""
    qa, ca, da = np.array([q]), np.array([cached]), np.array([decode])
    part = _parts(spec, qa, ca, da)
    cfg = spec.model
    sh = _Shard.of(cfg, spec.tp)
    b = _Builder(spec.plan, "decode" if decode else "prefill")
    layer = _layer(cfg, sh, b, part, q, np.zeros(0, dtype=np.int64), spec.tp, False) if not cfg.is_moe else None
    if layer is None:
        raise ConfigError("batch_pieces supports dense models only (MoE routing couples the tokens)")
    return _to_ops([r for r in layer if _is_attention_record(r)], spec.layers)


def batch_pieces(spec: BatchSpec, q: np.ndarray, cached: np.ndarray, decode: np.ndarray,
                 prompt: np.ndarray | None = None) -> list[list[Op]]:
    """Return the iteration of :func:`build_batch_trace` cut into pieces: ``[linear, head, attention of request
    0, attention of request 1, ...]`` (same ops, other order and layer collapsing)."""
    q, cached = np.asarray(q, dtype=np.int64), np.asarray(cached, dtype=np.int64)
    decode = np.asarray(decode, dtype=bool)
    _check(spec, q, cached, decode)
    phase = _phase(decode)
    rows = _emitting(q, cached, decode, prompt)
    out = [linear_piece(spec, int(q.sum()), phase), head_piece(spec, rows, phase)]
    out += [attention_piece(spec, int(a), int(c), bool(d)) for a, c, d in zip(q, cached, decode)]
    return out
