"""Transformer trace generation: parameter counts, FLOPs, KV bytes, MoE routing, TP, precisions, errors."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from archsim.core.errors import ConfigError
from archsim.workloads import PRECISION_BYTES, Trace, build_trace, get_model, list_models, totals
from archsim.workloads._routing import expert_counts

DENSE_DECODERS = [n for n in list_models() if get_model(n).arch == "decoder" and not get_model(n).is_moe]
MOE = [n for n in list_models() if get_model(n).is_moe]


def weight_elements(trace: Trace) -> int:
    """Weight elements touched by the weight GEMMs of a trace (each distinct matrix once per count)."""
    df = trace.df
    w = df[df["b_tensor"] == "weight"]
    return int((w["K"] * w["N"] * w["batch"] * w["count"]).sum())


def params_from_trace(name: str, *, phase: str = "prefill", **kw) -> int:
    """Total (or active) parameters: weight GEMMs of a trace with the LM head, plus the embedding tables
    that are not GEMMs (token table when untied, learned positions, ViT positions and CLS)."""
    m = get_model(name)
    n = weight_elements(build_trace(m, phase=phase, lm_head=True, **kw))
    if m.is_vision:
        return n + m.vision_seq_len * m.hidden_size + m.hidden_size
    if not m.tied_embeddings:
        n += m.vocab_size * m.token_embed_dim  # input embedding; the LM head GEMM counted the output one
    if m.position_embedding == "learned":
        n += m.max_positions * m.hidden_size
    return n


# -- parameter counts -----------------------------------------------------------


@pytest.mark.parametrize("name", ["llama2-7b", "llama2-70b", "mixtral-8x7b", "gpt2"])
@pytest.mark.parametrize("seq", [1, 7])
def test_trace_parameter_count_matches_published_total(name, seq):
    m = get_model(name)
    # balanced routing: seq * top_k >= experts needs seq >= 4 for Mixtral, so use batch to reach it
    n = params_from_trace(name, seq=seq, batch=4)
    assert abs(n / m.published_params - 1) < 0.01, (n, m.published_params)
    assert n == m.param_count()


@pytest.mark.parametrize("name", ["mixtral-8x7b", "mixtral-8x22b"])
def test_moe_active_parameters_of_one_token_match_published(name):
    # Decode of one sequence: the token visits top_k experts per layer.
    m = get_model(name)
    n = params_from_trace(name, phase="decode", batch=1, context=10)
    assert abs(n / m.published_active_params - 1) < 0.01, (n, m.published_active_params)
    assert n == m.param_count(active=True)


@pytest.mark.parametrize("name", sorted(set(list_models()) - {"qwen2-57b-a14b"}))
def test_analytic_count_equals_trace_count(name):
    m = get_model(name)
    tokens_needed = -(-m.num_experts // max(m.top_k, 1)) if m.is_moe else 1
    assert params_from_trace(name, seq=None if m.is_vision else 1, batch=tokens_needed) == m.param_count()


def test_qwen2_moe_counts_shared_expert_and_gate():
    m = get_model("qwen2-57b-a14b")
    assert params_from_trace("qwen2-57b-a14b", seq=8) == m.param_count()  # 8 tokens x top-8 fill 64 experts
    assert abs(m.param_count() / m.published_params - 1) < 0.01  # 57.41B vs "57B"


# -- FLOPs ----------------------------------------------------------------------


def matrix_flops(trace: Trace) -> int:
    df = trace.df
    mat = df[df["kind"].isin(["gemm", "gemv", "bmm"])]
    return int((2 * mat["M"] * mat["K"] * mat["N"] * mat["batch"] * mat["count"]).sum())


def non_embedding_params(m) -> int:
    """Closed form: per layer QKV + O + FFN matrices (+ OPT-350M's project_in/out)."""
    h, hd, H, KV = m.hidden_size, m.head_dim, m.num_heads, m.num_kv_heads
    mats = 3 if m.ffn_type == "swiglu" else 2
    per_layer = h * (H + 2 * KV) * hd + H * hd * h + mats * h * m.intermediate_size
    proj = 2 * m.embed_dim * h if m.embed_dim else 0
    return m.num_layers * per_layer + proj


@settings(max_examples=40, deadline=None)
@given(
    name=st.sampled_from(DENSE_DECODERS + ["bert-base", "bert-large"]),
    batch=st.integers(1, 4),
    seq=st.integers(1, 300),
)
def test_dense_prefill_flops_closed_form(name, batch, seq):
    m = get_model(name)
    t = batch * seq
    # attention: scores + context, each 2 * S * S * head_dim per head (full S x S, causal mask in softmax)
    attention = 2 * 2 * batch * m.num_layers * m.num_heads * m.head_dim * seq * seq
    expected = 2 * non_embedding_params(m) * t + attention
    assert matrix_flops(build_trace(name, batch=batch, seq=seq)) == expected


@settings(max_examples=30, deadline=None)
@given(name=st.sampled_from(DENSE_DECODERS), batch=st.integers(1, 8), context=st.integers(1, 1000))
def test_dense_decode_flops_closed_form(name, batch, context):
    m = get_model(name)
    keys = min(context, m.sliding_window or context)  # context counts the new token's K/V
    attention = 2 * 2 * batch * m.num_layers * m.num_heads * m.head_dim * keys
    lm = 2 * batch * m.token_embed_dim * m.vocab_size
    expected = 2 * non_embedding_params(m) * batch + attention + lm
    assert matrix_flops(build_trace(name, phase="decode", batch=batch, context=context, lm_head=True)) == expected


def test_vit_sequence_is_patches_plus_cls():
    tr = build_trace("vit-b16", batch=2, lm_head=True)
    df = tr.df
    assert df.loc[df["name"] == "patch_embed", ["M", "K", "N"]].values.tolist() == [[2 * 196, 768, 768]]
    scores = df[df["name"].str.endswith("attn.scores")].iloc[0]
    assert (scores["M"], scores["N"], scores["batch"]) == (197, 197, 2 * 12)
    assert df.loc[df["name"] == "head", ["M", "K", "N"]].values.tolist() == [[2, 768, 1000]]


# -- KV cache -------------------------------------------------------------------


@settings(max_examples=30, deadline=None)
@given(
    batch=st.integers(1, 16),
    context=st.integers(1, 4096),
    kv=st.sampled_from(["bf16", "fp8", "int8", "int4", "fp32"]),
)
def test_gqa_kv_cache_bytes_match_hand_computation(batch, context, kv):
    m = get_model("llama2-70b")
    tr = build_trace(m, phase="decode", batch=batch, context=context, kv_precision=kv)
    bytes_per = PRECISION_BYTES["fp8_e4m3" if kv == "fp8" else kv]
    # K and V: 2 x layers x kv_heads x head_dim x context x bytes, per sequence
    expected = 2 * 80 * 8 * 128 * context * bytes_per * batch
    assert totals(tr)["kv_bytes"] == expected


def test_decode_convention_and_gqa_folding():
    tr = build_trace("llama2-70b", phase="decode", batch=3, context=100, collapse_layers=False)
    df = tr.df
    s = df[df["name"] == "L5.attn.scores"].iloc[0]
    # batch = sequences x kv_heads; M = one query row x 8 query heads per KV head; N = context
    assert (s["batch"], s["M"], s["K"], s["N"], s["b_tensor"], s["phase"]) == (3 * 8, 8, 128, 100, "kv", "decode")
    c = df[df["name"] == "L5.attn.context"].iloc[0]
    assert (c["M"], c["K"], c["N"]) == (8, 100, 128)
    sm = df[df["name"] == "L5.attn.softmax"].iloc[0]
    assert (sm["batch"], sm["M"], sm["N"]) == (3 * 64, 1, 100)
    assert set(df["layer"]) == set(range(80)) | {-1}
    assert (df["count"] == 1).all()


def test_single_token_weight_ops_are_gemv():
    df = build_trace("llama2-7b", phase="decode", batch=1, lm_head=True).df
    assert set(df.loc[df["b_tensor"] == "weight", "kind"]) == {"gemv"}
    df = build_trace("llama2-7b", phase="decode", batch=2).df
    assert set(df.loc[df["b_tensor"] == "weight", "kind"]) == {"gemm"}


def test_mha_attention_batch_is_batch_times_heads():
    df = build_trace("gpt2", batch=2, seq=16).df
    s = df[df["name"].str.endswith("attn.scores")].iloc[0]
    assert (s["batch"], s["M"], s["K"], s["N"], s["b_tensor"]) == (24, 16, 64, 16, "act")


def test_sliding_window_limits_keys():
    df = build_trace("mistral-7b", phase="decode", context=10000).df
    assert df[df["name"].str.endswith("attn.scores")]["N"].tolist() == [4096]


# -- execution order --------------------------------------------------------------


def test_llama_layer_order():
    df = build_trace("llama2-7b", seq=4, collapse_layers=False, lm_head=True).df
    l0 = df[df["layer"] == 0]["name"].str.removeprefix("L0.").tolist()
    assert l0 == [
        "attn_norm", "attn.qkv", "attn.rope", "attn.scores", "attn.softmax", "attn.context", "attn.out",
        "attn.residual", "ffn_norm", "ffn.gate_up", "ffn.act", "ffn.mul", "ffn.down", "ffn.residual",
    ]  # fmt: skip
    split = build_trace("llama2-7b", seq=4, collapse_layers=False, fuse_gate_up=False).df
    names = split[split["layer"] == 0]["name"].str.removeprefix("L0.").tolist()
    assert names[9:11] == ["ffn.gate", "ffn.up"]
    fused = df[df["name"] == "L0.ffn.gate_up"].iloc[0]
    assert fused["N"] == 2 * split[split["name"] == "L0.ffn.up"].iloc[0]["N"]
    assert df[df["name"] == "L0.ffn.mul"].iloc[0]["b_tensor"] == "act"  # two-input eltwise: both read
    assert df["name"].tolist()[-2:] == ["final_norm", "lm_head"]
    assert (df["layer"].iloc[:-2].diff().dropna() >= 0).all()


def test_post_norm_gelu_order():
    df = build_trace("bert-base", seq=8, collapse_layers=False).df
    l0 = df[df["layer"] == 0]["name"].str.removeprefix("L0.").tolist()
    assert l0 == [
        "attn.qkv", "attn.scores", "attn.softmax", "attn.context", "attn.out", "attn.residual", "attn_norm",
        "ffn.up", "ffn.act", "ffn.down", "ffn.residual", "ffn_norm",
    ]  # fmt: skip


@settings(max_examples=15, deadline=None)
@given(name=st.sampled_from(DENSE_DECODERS + MOE), phase=st.sampled_from(["prefill", "decode", "chunked"]))
def test_collapse_keeps_totals(name, phase):
    kw = dict(phase=phase, seq=16, context=64, batch=2, lm_head=True)
    full = build_trace(name, collapse_layers=False, **kw)
    short = build_trace(name, collapse_layers=True, **kw)
    assert len(short) <= len(full)
    assert totals(short) | {"ops": 0} == totals(full) | {"ops": 0}


def test_collapsed_names_and_counts():
    df = build_trace("llama2-7b", seq=4).df
    qkv = df[df["name"].str.endswith("attn.qkv")]
    assert qkv[["name", "layer", "count"]].values.tolist() == [["L0-31.attn.qkv", 0, 32]]


def test_trace_round_trips_csv(tmp_path):
    tr = build_trace("mixtral-8x7b", phase="chunked", seq=8, decode_batch=3, routing="zipf", lm_head=True)
    tr.write(tmp_path / "t.csv")
    assert Trace.read(tmp_path / "t.csv") == tr


# -- chunked prefill ----------------------------------------------------------------


def test_chunked_prefill_parts():
    tr = build_trace("llama2-7b", phase="chunked", batch=1, seq=256, decode_batch=5, context=900, prefix=512)
    df = tr.df
    assert set(df.loc[df["b_tensor"] == "weight", "M"]) == {256 + 5}
    assert set(df.loc[df["b_tensor"] == "weight", "phase"]) == {"mixed"}
    pre = df[df["name"].str.endswith("attn.prefill.scores")].iloc[0]
    dec = df[df["name"].str.endswith("attn.decode.scores")].iloc[0]
    assert (pre["M"], pre["N"], pre["batch"], pre["phase"], pre["b_tensor"]) == (256, 768, 32, "prefill", "kv")
    assert (dec["M"], dec["N"], dec["batch"], dec["phase"], dec["b_tensor"]) == (1, 900, 5 * 32, "decode", "kv")


def test_chunked_without_decodes_is_prefill():
    a = build_trace("llama2-7b", phase="chunked", seq=64, decode_batch=0)
    b = build_trace("llama2-7b", phase="prefill", seq=64)
    assert totals(a) == totals(b)
    assert set(a.df["phase"]) == {"prefill"}


# -- MoE routing ----------------------------------------------------------------------


def expert_tokens_per_layer(trace: Trace, cfg) -> np.ndarray:
    df = trace.df
    gates = df[df["name"].str.contains(r"\.moe\.e\d+\.gate$")]
    out = np.zeros((cfg.num_layers, cfg.num_experts), dtype=np.int64)
    for name, m, layer, count in gates[["name", "M", "layer", "count"]].itertuples(index=False):
        e = int(name.split(".moe.e")[1].split(".")[0])
        out[layer : layer + count, e] = m
    return out


@settings(max_examples=25, deadline=None)
@given(
    name=st.sampled_from(MOE),
    batch=st.integers(1, 64),
    routing=st.sampled_from(["balanced", "zipf", "dirichlet"]),
    seed=st.integers(0, 2**32 - 1),
    skew=st.floats(0.05, 3.0),
    phase=st.sampled_from(["prefill", "decode"]),
)
def test_moe_routing_conserves_tokens_times_k(name, batch, routing, seed, skew, phase):
    cfg = get_model(name)
    seq = 3
    tr = build_trace(cfg, phase=phase, batch=batch, seq=seq, context=5, routing=routing, routing_seed=seed,
                     routing_skew=skew)  # fmt: skip
    tokens = batch * (seq if phase == "prefill" else 1)
    counts = expert_tokens_per_layer(tr, cfg)[cfg.first_dense_layers:]  # DeepSeek-V3: first layers dense
    assert (counts.sum(axis=1) == tokens * cfg.top_k).all()
    assert counts.max() <= tokens  # each token picks top_k distinct experts


def test_explicit_routing_counts_and_idle_experts():
    cfg = get_model("mixtral-8x7b")
    row = [4, 0, 0, 3, 1, 0, 0, 0]  # 4 tokens x top-2 = 8
    tr = build_trace(cfg, phase="prefill", seq=4, routing=row)
    counts = expert_tokens_per_layer(tr, cfg)
    assert (counts == np.array(row)).all()
    assert not tr.df["name"].str.contains(r"moe\.e1\.").any()  # experts with no tokens emit no op


def test_explicit_routing_per_layer():
    cfg = get_model("mixtral-8x7b")
    rows = np.zeros((32, 8), dtype=int)
    rows[:, 0] = 2
    rows[:16, 1] = 2
    rows[16:, 2] = 2
    tr = build_trace(cfg, seq=2, routing=rows)
    assert (expert_tokens_per_layer(tr, cfg) == rows).all()
    e1 = tr.df[tr.df["name"].str.endswith("moe.e1.gate")]
    assert e1[["layer", "count"]].values.tolist() == [[0, 16]]  # identical runs still collapse


@pytest.mark.parametrize(
    ("routing", "message"),
    [
        ([1, 1, 1, 1, 1, 1, 1, 0], r"^routing counts of layer 0 must sum to tokens x top_k \(8\), not 7$"),
        ([5, 3, 0, 0, 0, 0, 0, 0], r"^routing counts of layer 0 must be between 0 and tokens \(4\), not "),
        ([4, 4], r"^routing counts must have shape \(8,\) or \(32, 8\), not \(2,\)$"),
        ("uniform", r"^routing must be one of balanced, zipf, dirichlet or a list of counts, not 'uniform'$"),
    ],
)
def test_bad_routing(routing, message):
    with pytest.raises(ConfigError, match=message):
        build_trace("mixtral-8x7b", seq=4, routing=routing)


def test_skewed_routing_is_seeded_and_skewed():
    a = expert_counts(1000, 8, 2, 4, "zipf", seed=7, skew=1.5)
    b = expert_counts(1000, 8, 2, 4, "zipf", seed=7, skew=1.5)
    c = expert_counts(1000, 8, 2, 4, "zipf", seed=8, skew=1.5)
    assert (a == b).all() and not (a == c).all()
    assert (a.max(axis=1) > 2 * 1000 * 2 // 8).all()  # far from balanced
    assert not (a[0] == a[1]).all()  # routing differs per layer


def test_balanced_routing_is_even():
    assert expert_counts(5, 8, 2, 2, "balanced").tolist() == [[2, 2, 1, 1, 1, 1, 1, 1]] * 2


def test_routing_on_dense_model_rejected():
    with pytest.raises(ConfigError, match=r"^routing applies to MoE models only; llama2-7b is dense"):
        build_trace("llama2-7b", routing="zipf")


# -- tensor parallelism -----------------------------------------------------------------


def _op(df, suffix):
    return df[df["name"].str.endswith(suffix)].iloc[0]


@settings(max_examples=20, deadline=None)
@given(
    name=st.sampled_from(["llama2-7b", "llama2-70b", "gpt2-medium", "opt-6.7b", "mixtral-8x7b"]),
    tp=st.sampled_from([1, 2, 4, 8]),
    phase=st.sampled_from(["prefill", "decode"]),
)
def test_tp_shards_megatron_style(name, tp, phase):
    m = get_model(name)
    kw = dict(phase=phase, seq=32, context=50, batch=4, fuse_gate_up=False)
    one = build_trace(m, tp=1, **kw).df
    dev = build_trace(m, tp=tp, **kw).df
    hd, h = m.head_dim, m.hidden_size
    kv = max(1, m.num_kv_heads // tp)
    assert _op(dev, "attn.qkv")["N"] == (m.num_heads // tp + 2 * kv) * hd  # column-parallel
    assert _op(dev, "attn.out")["K"] == m.num_heads // tp * hd  # row-parallel
    assert _op(dev, "attn.out")["N"] == h
    ffn = "moe.e0" if m.is_moe else "ffn"
    inner = (m.expert_intermediate_size if m.is_moe else m.intermediate_size) // tp
    assert _op(dev, f"{ffn}.up")["N"] == inner
    assert _op(dev, f"{ffn}.down")[["K", "N"]].tolist() == [inner, h]
    assert _op(dev, "attn.scores")["batch"] == _op(one, "attn.scores")["batch"] // tp

    # every device does 1/tp of the matrix work when the KV heads divide evenly (the router is replicated)
    def sharded_flops(t: int) -> int:
        tr = build_trace(m, tp=t, **kw)
        router = tr.df[tr.df["name"].str.endswith("moe.router")]
        return matrix_flops(tr) - int((2 * router["M"] * router["K"] * router["N"] * router["count"]).sum())

    assert sharded_flops(tp) * tp == sharded_flops(1)


def test_tp_beyond_kv_heads_replicates_kv():
    df = build_trace("llama2-70b", tp=16, seq=8).df
    assert _op(df, "attn.qkv")["N"] == (4 + 2 * 1) * 128
    assert _op(df, "attn.scores")[["batch", "M"]].tolist() == [1, 8 * 4]


def test_allreduce_placeholders():
    df = build_trace("llama2-7b", tp=2, seq=8, allreduce=True, collapse_layers=False).df
    ar = df[df["name"].str.endswith("allreduce")]
    assert len(ar) == 2 * 32 and set(ar["kind"]) == {"eltwise"}
    assert build_trace("llama2-7b", tp=2, seq=8).meta["allreduce_elements"] == 2 * 32 * 8 * 4096
    assert not build_trace("llama2-7b", tp=1, seq=8, allreduce=True).df["name"].str.endswith("allreduce").any()


def test_lm_head_is_vocab_parallel():
    df = build_trace("gpt2", tp=4, seq=8, lm_head=True).df
    assert _op(df, "lm_head")[["M", "K", "N"]].tolist() == [1, 768, 12565]  # ceil(50257 / 4): padded vocab
    df = build_trace("gpt2", seq=8, batch=3, lm_head="all").df
    assert _op(df, "lm_head")["M"] == 24


# -- precisions ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("precision", "weight", "gemm_act", "act"),
    [
        ("bf16", "bf16", "bf16", "bf16"),
        ("fp16", "fp16", "fp16", "fp16"),
        ("fp32", "fp32", "fp32", "fp32"),
        ("w8a8", "int8", "int8", "bf16"),
        ("w4a16", "int4", "bf16", "bf16"),
        ("fp8", "fp8_e4m3", "fp8_e4m3", "bf16"),
    ],
)
def test_precision_presets(precision, weight, gemm_act, act):
    df = build_trace("llama2-7b", phase="decode", batch=2, precision=precision, lm_head=True).df
    w = df[df["b_tensor"] == "weight"]
    assert set(w["b_precision"]) == {weight} and set(w["a_precision"]) == {gemm_act}
    assert set(w["out_precision"]) == {act}
    kv = df[df["b_tensor"] == "kv"]
    assert set(kv["b_precision"]) == {act} and set(kv["a_precision"]) == {act}
    assert set(df.loc[df["b_tensor"] == "none", "a_precision"]) == {act}


def test_kv_precision_override_applies_only_to_cache():
    df = build_trace("llama2-7b", phase="decode", precision="w4a16", kv_precision="int8").df
    assert set(df.loc[df["b_tensor"] == "kv", "b_precision"]) == {"int8"}
    assert set(df.loc[df["b_tensor"] == "weight", "b_precision"]) == {"int4"}
    pre = build_trace("llama2-7b", seq=16, kv_precision="int8").df
    assert "kv" not in set(pre["b_tensor"])  # prefill attends to fresh activations


def test_weight_bytes_scale_with_precision():
    bf = totals(build_trace("llama2-7b", phase="decode"))["weight_bytes"]
    w4 = totals(build_trace("llama2-7b", phase="decode", precision="w4a16"))["weight_bytes"]
    assert bf == 4 * w4


# -- bad inputs ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kw", "message"),
    [
        ({"batch": -1}, r"^batch must be a positive integer, not -1$"),
        ({"batch": 0}, r"^batch must be a positive integer, not 0$"),
        ({"seq": 0}, r"^seq must be a positive integer, not 0$"),
        ({"phase": "train"}, r"^phase must be one of prefill, decode, chunked, not 'train'$"),
        ({"tp": 3}, r"^tp must divide num_heads \(32\) of llama2-7b, not 3$"),
        ({"tp": 0}, r"^tp must be a positive integer, not 0$"),
        ({"precision": "int3"}, r"^precision must be one of bf16, fp16, fp32, w8a8, w4a16, fp8, not 'int3'$"),
        ({"kv_precision": "fp6"}, r"^kv_precision must be one of .*, not 'fp6'$"),
        ({"phase": "decode", "context": -5}, r"^context must be a positive integer, not -5$"),
        ({"seq": 5000}, r"^seq must be <= max_positions \(4096\) of llama2-7b, not 5000$"),
        ({"phase": "decode", "context": 4097}, r"^context must be <= max_positions \(4096\) of llama2-7b, not 4097$"),
        ({"lm_head": "first"}, r"^lm_head must be one of false, true, last, all, not 'first'$"),
        ({"routing_seed": -1}, r"^routing_seed must be a non-negative integer, not -1$"),
        ({"phase": "chunked", "decode_batch": -1}, r"^decode_batch must be a non-negative integer, not -1$"),
    ],
)
def test_bad_arguments_name_field_and_value(kw, message):
    with pytest.raises(ConfigError, match=message):
        build_trace("llama2-7b", **kw)


def test_bad_model_specific_arguments():
    with pytest.raises(ConfigError, match=r"^phase must be prefill for encoder model bert-base, not 'decode'$"):
        build_trace("bert-base", phase="decode")
    with pytest.raises(ConfigError, match=r"^seq must be 197 \(image patches \+ CLS\) for vision model vit-b16"):
        build_trace("vit-b16", seq=100)
    toy = replace(get_model("llama2-7b"), name="toy", num_heads=12, num_kv_heads=4)
    with pytest.raises(ConfigError, match=r"^tp must divide num_kv_heads \(4\) of toy or be a multiple of it, not 6$"):
        build_trace(toy, tp=6)
    with pytest.raises(ConfigError, match=r"^tp must divide intermediate_size \(11008\) of toy, not 3$"):
        build_trace(replace(toy, num_kv_heads=12), tp=3)


def test_numpy_integers_accepted():
    assert build_trace("gpt2", batch=np.int64(2), seq=np.int32(8)) == build_trace("gpt2", batch=2, seq=8)
