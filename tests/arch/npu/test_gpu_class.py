"""GPU-class model fields: execution mode, kernel floors, capacity check, tf32/fp32, GEMV path, attention
partitioning (causal skip, decode none / split-K / stream-K)."""

import pytest

from archsim.arch.npu import get_npu_design, memory_footprint
from archsim.core.errors import ConfigError
from archsim.dataflow.attention import causal_block_fraction, decode_partition
from archsim.workloads import Op, build_trace

H100 = get_npu_design("h100-sxm5-80gb")


def _gemm(m, k, n, p="bf16", out=None):
    return Op("g", "gemv" if m == 1 else "gemm", m, k, n, 1, p, p, out or p)


def test_eager_adds_the_host_gap_per_kernel_graph_does_not():
    op = _gemm(64, 64, 64)
    g, e = H100.run(op).seconds, H100.replace(execution="eager").run(op).seconds
    assert e - g == pytest.approx(H100.launch_overhead_ns * 1e-9, rel=1e-3)
    assert g >= H100.kernel_floor_ns * 1e-9  # the device-side floor is paid in graph mode too
    v = Op("add", "eltwise", 1, 1, 256, 1, "bf16", "bf16", "bf16", "none")
    assert H100.run(v).seconds >= H100.vector_kernel_floor_ns * 1e-9
    assert H100.run(v).seconds < H100.kernel_floor_ns * 1e-9 + 1e-6


def test_bad_fields_are_config_errors():
    for kw in ({"execution": "lazy"}, {"memory_efficiency": 1.5}, {"capacity_check": "maybe"},
               {"decode_partition": "tiles"}, {"memory_bytes": -1}, {"causal_skip": "yes"}):
        with pytest.raises(ConfigError):
            H100.replace(**kw)


def test_true_fp32_runs_on_cuda_cores_tf32_on_tensor_cores():
    fp32 = H100.run(_gemm(4096, 4096, 4096, "fp32")).seconds
    tf32 = H100.run(_gemm(4096, 4096, 4096, "tf32")).seconds
    bf16 = H100.run(_gemm(4096, 4096, 4096, "bf16")).seconds
    assert tf32 / bf16 == pytest.approx(2.0, rel=0.25)
    assert fp32 / tf32 > 5  # 128 FMA/clk/SM vs 1024 tf32 MAC/clk/SM
    assert H100.peaks()["flops_per_s"]["fp32"] == pytest.approx(2 * 132 * 128 * 1.83e9)
    assert H100.run(_gemm(4096, 4096, 4096, "fp32")).ops.iloc[0]["engine"] == "vector"


def test_gemv_path_is_chosen_only_when_faster():
    npu = get_npu_design("tpu-v4-like")
    op = _gemm(1, 8192, 8192)
    with_vec = npu.run(op).seconds
    without = npu.replace(vector_gemv=False).run(op).seconds
    assert with_vec <= without
    assert npu.run(_gemm(512, 8192, 8192)).ops.iloc[0]["engine"] == "array"


def test_two_input_eltwise_reads_both_inputs():
    one = Op("x", "eltwise", 1024, 1, 4096, 1, "bf16", "bf16", "bf16", "none")
    two = Op("x", "eltwise", 1024, 1, 4096, 1, "bf16", "bf16", "bf16", "act")
    r1, r2 = H100.run(one).summary, H100.run(two).summary
    assert r2["dram_read_bytes"] == 2 * r1["dram_read_bytes"]


def test_capacity_error_names_sizes_and_hints_tp():
    tr = build_trace("llama2-70b", phase="decode", batch=128, context=4096)
    a100 = get_npu_design("a100-sxm4-80gb")
    with pytest.raises(ConfigError, match=r"weights .* GB \+ KV cache .* GB .*exceed.*tensor parallelism"):
        a100.run(tr)
    r = a100.replace(capacity_check="report").run(tr)
    assert r.summary["fits"] is False and r.summary["footprint_bytes"] > 80 << 30
    fp = memory_footprint(tr)
    assert 120e9 < fp["weight_bytes"] < 145e9  # 69B params x 2 bytes (embedding table not in the trace)
    assert fp["kv_bytes"] == 2 * 80 * 8 * 128 * 4096 * 128 * 2  # K and V, 80 layers, 8 KV heads
    small = a100.run(build_trace("llama2-7b", phase="decode", batch=1, context=128))
    assert small.summary["fits"] is True


def test_causal_fraction():
    assert causal_block_fraction(4096, 4096, 128, 128) == pytest.approx(0.5 + 0.5 / 32)
    assert causal_block_fraction(1, 4096, 1, 128) == 1.0  # one query at the end sees everything
    tr = build_trace("llama2-7b", phase="prefill", seq=4096)
    ops = [o for o in tr if o.layer == 0 and o.name.split(".")[-1] in ("scores", "softmax", "context")]
    full = H100.replace(causal_skip=False).run(ops).seconds
    skip = H100.run(ops).seconds
    assert 0.45 < skip / full < 0.75


def _decode_attn(units, ctx):
    return [Op("attn.scores", "bmm", 1, 128, ctx, units, "bf16", "bf16", "bf16", "kv", phase="decode"),
            Op("attn.softmax", "softmax", 1, 1, ctx, units, "bf16", "bf16", "bf16", "none", phase="decode"),
            Op("attn.context", "bmm", 1, ctx, 128, units, "bf16", "bf16", "bf16", "kv", phase="decode")]


def test_decode_partition_auto_is_the_fastest_mode():
    ops = _decode_attn(160, 8192)
    t = {m: H100.replace(decode_partition=m).run(ops).seconds for m in ("none", "split_k", "stream_k")}
    auto = H100.run(ops)
    assert auto.seconds == pytest.approx(min(t.values()))
    assert auto.ops.iloc[0]["decode_partition"] in t


def test_stream_k_deals_keys_evenly_and_split_k_may_take_two_waves():
    sk = decode_partition(128, 1, 4096, 128, 108, "stream_k")
    assert sk.work_items == 108 and sk.chunk * 108 >= 128 * 4096
    assert decode_partition(128, 1, 4096, 128, 108, "split_k").work_items == 128  # > 108 cores: 2 waves
    none = decode_partition(4, 1, 4096, 128, 108, "none")
    assert none.work_items == 4 and none.partial_write_bytes == 0
    assert decode_partition(108, 1, 4096, 128, 108, "stream_k").partial_write_bytes == 0  # no unit is cut


def test_misaligned_pitch_slows_only_misaligned_gemms():
    slow = H100.replace(misaligned_efficiency=0.25)
    odd, even = _gemm(777, 1234, 555), _gemm(768, 1232, 560)
    assert slow.run(odd).seconds > 2 * H100.run(odd).seconds
    assert slow.run(even).seconds == H100.run(even).seconds
    with pytest.raises(ConfigError):
        H100.replace(misaligned_efficiency=0)


def test_mac_efficiency_slows_compute_bound_not_memory_bound_ops():
    full = H100.replace(mac_efficiency={})
    big, gemv = _gemm(8192, 8192, 8192), _gemm(1, 8192, 8192)
    assert H100.run(big).seconds > 1.2 * full.run(big).seconds
    assert H100.run(gemv).seconds == pytest.approx(full.run(gemv).seconds, rel=0.02)
    for bad in ({"bf16": 0}, {"bf16": 1.5}, {"fp7": 0.5}, {"bf16": True}, [0.5]):
        with pytest.raises(ConfigError):
            H100.replace(mac_efficiency=bad)


def test_auto_schedule_picks_stream_k_only_against_a_partial_wave():
    op = _gemm(512, 8192, 10240)  # 160 output tiles of 256x128 on 132 SMs: two waves, the second 21 % full
    t = {s: H100.replace(gemm_schedule=s).run(op).seconds for s in ("waves", "stream_k", "auto")}
    assert t["auto"] == min(t["waves"], t["stream_k"])
    assert t["stream_k"] < 0.9 * t["waves"]
    full = _gemm(2048, 2048, 2048)  # 128 tiles: one wave, nothing to balance
    assert H100.run(full).seconds == H100.replace(gemm_schedule="waves").run(full).seconds
    with pytest.raises(ConfigError):
        H100.replace(gemm_schedule="persistent")


def test_cluster_multicast_only_cuts_shared_level_traffic():
    op = _gemm(512, 4096, 4096)  # L2-bound 128x128 tiles without multicast
    one, two = H100.replace(cluster_multicast=1), H100
    assert two.run(op).seconds < one.run(op).seconds
    gemv = _gemm(1, 8192, 8192)
    assert two.run(gemv).summary["dram_read_bytes"] == one.run(gemv).summary["dram_read_bytes"]
    with pytest.raises(ConfigError):
        H100.replace(cluster_multicast=0)
