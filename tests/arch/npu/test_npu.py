"""NpuDesign: fast == exact, partitioning choices, utilization, fused attention, errors, timeline."""

import json

import pytest
import yaml

from archsim.arch.npu import NPU_PRESETS, NpuDesign, chrome_trace, get_npu_design
from archsim.core.errors import ConfigError
from archsim.dataflow.attention import unfused_attention_bytes
from archsim.workloads import Op, build_trace

SMALL = NpuDesign(name="small", cores=2, core_rows=4, core_cols=4, scratchpad_bytes=4096, vector_lanes=4,
                  tile_shapes=((8, 8), (16, 8)), k_step=8, max_split_k=4, l2_bytes=0,
                  memory_bandwidth_gbps=16.0, memory_latency_ns=20.0, noc_link_gbps=16.0, dma_gbps=8.0,
                  a_precision="int8", b_precision="int8", launch_overhead_ns=10.0)


def _gemm(M, K, N, batch=1, kind="gemm", prec="int8"):
    return Op("g", kind, M, K, N, batch, prec, prec, prec)


@pytest.mark.parametrize("shape", [(8, 8, 8), (13, 24, 9), (16, 40, 24), (4, 64, 8), (20, 16, 20, 2)])
def test_fast_equals_exact_cycles(shape):
    op = _gemm(*shape, kind="bmm" if len(shape) == 4 else "gemm")
    fast = SMALL.run(op)
    exact = SMALL.run(op, exact=True)  # every core tile on the exact systolic model (checks outputs too)
    assert fast.total_cycles == exact.total_cycles
    cols = ["cycles", "compute_cycles", "macs", "dram_read_bytes", "dram_write_bytes", "sram_ifmap_read_bytes",
            "rf_access_count"]
    assert fast.ops[cols].equals(exact.ops[cols])


def test_fast_close_to_exact_on_cycle_level_dram():
    d = SMALL.replace(memory={"kind": "dram", "spec": "HBM2-2Gbps", "stacks": 1}, a_precision="bf16",
                      b_precision="bf16")
    op = _gemm(32, 64, 32, prec="bf16")
    f, e = d.run(op).total_cycles, d.run(op, exact=True).total_cycles
    assert abs(f - e) <= 0.01 * e
    assert d.run(op).ops["dram_act_count"].iloc[0] > 0


def test_split_k_chosen_for_long_k_few_tiles_and_reduction_counted():
    d = SMALL.replace(cores=8)
    r = d.run(_gemm(8, 4096, 8))
    row = r.ops.iloc[0]
    assert row.split_k > 1
    assert row.vector_op_count == 8 * 8 * (row.split_k - 1)
    assert row.dram_write_bytes == 8 * 8 * row.split_k * 4 + 8 * 8  # fp32 partials, then the int8 result
    one = d.replace(max_split_k=1).run(_gemm(8, 4096, 8))
    assert one.total_cycles > r.total_cycles


def test_wave_quantization_visible_in_cycles():
    d = get_npu_design("a100-sxm4-80gb").replace(tile_shapes=((128, 128),), max_split_k=1, launch_overhead_ns=0.0)
    full = d.run(_gemm(128 * 12, 8192, 128 * 9, prec="fp16")).ops.iloc[0]  # 108 tiles: one full wave
    extra = d.run(_gemm(128 * 12, 8192, 128 * 9 + 1, prec="fp16")).ops.iloc[0]  # 120 tiles: a second wave
    assert (full.waves, extra.waves) == (1, 2)
    assert extra.cycles > 1.8 * full.cycles


def test_more_cores_never_slower_and_utilization_bounded():
    op = _gemm(256, 256, 256)
    prev = None
    for cores in (1, 2, 4, 8):
        r = SMALL.replace(cores=cores).run(op)
        df = r.ops
        assert ((df.utilization > 0) & (df.utilization <= 1)).all()
        assert ((df.core_utilization > 0) & (df.core_utilization <= 1)).all()
        assert 0 < r.summary["dram_utilization"] <= 1
        assert len(r.summary["core_utilization"]) == cores
        if prev is not None:
            assert r.total_cycles <= prev
        prev = r.total_cycles


def test_peak_and_compute_bound_gemm_on_a100():
    d = get_npu_design("a100-sxm4-80gb")
    assert d.peak_tflops("fp16") == pytest.approx(312.0, rel=0.01)  # A100 whitepaper: 312 TFLOPS fp16 dense
    assert d.peak_tflops("int8") == pytest.approx(624.0, rel=0.01)
    assert get_npu_design("h100-sxm5-80gb").peak_tflops("fp16") == pytest.approx(989.4, rel=0.01)
    assert get_npu_design("tpu-v4-like").peak_tflops("bf16") == pytest.approx(275.0, rel=0.01)
    r = d.run(_gemm(8192, 8192, 8192, prec="fp16"))
    assert 0.8 < r.summary["utilization"] <= 1.0


def test_fused_attention_moves_fewer_bytes_than_unfused_prefill():
    tr = build_trace("llama2-7b", phase="prefill", batch=1, seq=2048)
    d = get_npu_design("tpu-v4-like")
    fused = d.run(tr).ops
    unf = d.replace(attention="unfused").run(tr).ops
    f = fused[fused.unit == "fused_attention"].iloc[0]
    u = unf[unf.name.str.contains(r"attn\.(?:scores|softmax|context)")]
    assert f.dram_read_bytes + f.dram_write_bytes < (u.dram_read_bytes + u.dram_write_bytes).sum()
    # the unfused sequence moves at least the S/P round trips of the formula (per layer x 32 layers)
    formula = unfused_attention_bytes(2048, 2048, 128, 2)
    per_layer = (u.dram_read_bytes + u.dram_write_bytes).sum() / 32
    assert per_layer >= 32 * (formula["read_bytes"] + formula["write_bytes"]) - 32 * 2 * 2048 * 128 * 2 * 2


def test_decode_attention_split_over_cores():
    d = get_npu_design("ascend-910-like")
    tr = build_trace("llama2-7b", phase="decode", batch=1, context=4096)
    row = d.run(tr).ops.set_index("unit").loc["fused_attention"]
    assert row.split_k == 1 or row.units >= d.cores  # splits spread the 32 heads' KV over the 32 cores
    tr70 = build_trace("llama2-70b", phase="decode", batch=1, context=4096, tp=8)
    row = d.run(tr70).ops.set_index("unit").loc["fused_attention"]
    # one KV head per device: the 4096 keys split into 16 chunks of 256 (min_chunk), one per core
    assert row.split_k == 16 and row.units == 16


def test_round_trip_yaml_and_components():
    for d in NPU_PRESETS.values():
        again = NpuDesign.from_dict(yaml.safe_load(yaml.safe_dump(d.to_dict())))
        assert again == d
        kinds = {c["kind"] for c in d.components()}
        assert {"mac_array", "sram", "vector_unit", "noc", "dram"} <= kinds
        assert d.source


def test_errors():
    with pytest.raises(ConfigError, match=r"^cores must be a positive integer, not 0$"):
        NpuDesign(cores=0)
    with pytest.raises(ConfigError, match=r"^noc must be one of crossbar, mesh, not 'ring'$"):
        NpuDesign(noc="ring")
    with pytest.raises(ConfigError, match=r"^attention must be one of fused, unfused, not 'x'$"):
        NpuDesign(attention="x")
    with pytest.raises(ConfigError, match=r"^mac_rate key must be one of .*, not 'fp7'$"):
        NpuDesign(mac_rate={"fp7": 2})
    with pytest.raises(ConfigError, match=r"^unknown design field 'bogus'"):
        NpuDesign.from_dict({"bogus": 1})
    with pytest.raises(ConfigError, match=r"^npu preset must be one of"):
        get_npu_design("nope")


def test_chrome_trace(tmp_path):
    d = SMALL.replace(cores=4)
    tr = [_gemm(64, 32, 64), Op("n", "norm", 8, 1, 64, 1, "int8", "int8", "int8")]
    r = d.run(tr)
    out = chrome_trace(r, str(tmp_path / "t.json"))
    data = json.loads((tmp_path / "t.json").read_text())
    assert data == json.loads(json.dumps(out))
    lanes = {e["args"]["name"] for e in data["traceEvents"] if e["name"] == "thread_name"}
    assert {"core0", "core3", "dram", "vector"} <= lanes
    assert all(isinstance(e["tid"], int) and isinstance(e["pid"], int) for e in data["traceEvents"])
    xs = [e for e in data["traceEvents"] if e["ph"] == "X"]
    assert xs and all(e["dur"] >= 0 for e in xs)
    end_us = r.seconds * 1e6
    assert max(e["ts"] + e["dur"] for e in xs) <= end_us * (1 + 1e-9)


def test_mesh_costs_hops_and_edge_bandwidth():
    op = _gemm(128, 256, 128)
    xbar = SMALL.replace(cores=16, noc="crossbar", noc_hop_cycles=4)
    mesh = xbar.replace(noc="mesh")
    assert mesh.noc_hops == 2.5  # 4 x 4 grid, memory on one edge: (4 + 1) / 2 hops on average
    assert mesh.core_link_gbps() == pytest.approx(min(16.0 / 4, 2 * 8.0))  # a column of 4 shares its edge link
    a, b = xbar.run(op).ops.iloc[0], mesh.run(op).ops.iloc[0]
    assert b.noc_hop_bytes > a.noc_hop_bytes
    assert b.cycles >= a.cycles


def _attention_ops(n, d, heads, prec="int8"):
    return [Op("attn.scores", "bmm", n, d, n, heads, prec, prec, prec, "act"),
            Op("attn.softmax", "softmax", n, 1, n, heads, prec, prec, prec, "none"),
            Op("attn.context", "bmm", n, n, d, heads, prec, prec, prec, "act")]


def test_fused_prefill_bytes_with_and_without_l2():
    from archsim.dataflow.attention import plan_fused_attention

    n, d, heads = 2048, 64, 4
    base = get_npu_design("tpu-v4-like").replace(scratchpad_bytes=1 << 20, launch_overhead_ns=0.0)
    ops = _attention_ops(n, d, heads, "bf16")
    plan = plan_fused_attention(n, n, d, (1 << 20) // 2, 2, "q_outer")
    assert plan.q_blocks > 1
    no_l2 = base.replace(l2_bytes=0).run(ops).ops.iloc[0]
    assert no_l2.unit == "fused_attention"
    assert no_l2.dram_read_bytes == heads * plan.read_bytes  # K/V re-streamed per Q block
    assert no_l2.dram_write_bytes == heads * plan.write_bytes
    l2 = base.run(ops).ops.iloc[0]  # 128 MiB CMEM holds every head's K/V: read once
    assert l2.dram_read_bytes == heads * (n * d * 2 + 2 * n * d * 2)
    assert l2.cycles <= no_l2.cycles


def test_fused_attention_fast_equals_exact():
    ops = _attention_ops(16, 8, 2)
    d = SMALL.replace(scratchpad_bytes=8192)
    assert d.run(ops).total_cycles == d.run(ops, exact=True).total_cycles
    dec = [Op("attn.scores", "bmm", 1, 8, 64, 2, "int8", "int8", "int8", "kv"),
           Op("attn.softmax", "softmax", 1, 1, 64, 2, "int8", "int8", "int8", "none"),
           Op("attn.context", "bmm", 1, 64, 8, 2, "int8", "int8", "int8", "kv")]
    assert d.run(dec).total_cycles == d.run(dec, exact=True).total_cycles


def test_dram_memory_needs_a_spec():
    with pytest.raises(ConfigError, match=r"^memory kind 'dram' needs a 'spec' \(a DRAM preset name or fields\)$"):
        NpuDesign(memory={"kind": "dram"})
