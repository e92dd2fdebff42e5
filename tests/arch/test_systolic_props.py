"""Property tests of the exactness ladder: fast == exact (cycles, stalls, counts); exact output == numpy."""

from fractions import Fraction

import numpy as np
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from archsim.arch import SystolicArray
from archsim.arch._timing import exact_timing, fast_timing
from archsim.core.errors import ConfigError
from archsim.dataflow.systolic import fold_traffic, max_stream_chunk, plan_folds, resident_block_chunk
from archsim.memory.interface import BandwidthMemory
from archsim.pe.array_pe import ARRAY_PE_OPTIONS
from archsim.workloads import Op


@st.composite
def configs(draw, max_dim=40, max_array=8):
    df = draw(st.sampled_from(["os", "ws", "is"]))
    R = draw(st.integers(1, max_array))
    C = draw(st.integers(1, max_array))
    M, K, N = (draw(st.integers(1, max_dim)) for _ in range(3))
    batch = draw(st.integers(1, 2))
    d = draw(st.integers(1, 3))
    tight = draw(st.booleans())
    if tight:  # buffers from a few tile rows up: forces stream chunking and re-fetching
        halves = [draw(st.integers(1, 12)) * 4 * max(R, C) * 4 for _ in range(3)]
    else:
        halves = [1 << 16] * 3
    slow = draw(st.booleans())
    bpc = Fraction(draw(st.integers(1, 8)), draw(st.integers(1, 16))) if slow else Fraction(64)
    lat = draw(st.integers(0, 60)) if slow else 0
    order = draw(st.sampled_from(["default", "swapped", "blocked", "auto"]))
    return df, R, C, M, K, N, batch, d, halves, bpc, lat, order


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(configs())
def test_fast_equals_exact_controller(cfg):
    """The fold-level fast timing equals the cycle-stepped controller: cycles, S, P, stalls, DRAM calls."""
    df, R, C, M, K, N, batch, d, halves, bpc, lat, order = cfg
    try:
        chunk = max_stream_chunk(df, R, C, a_bytes=1, b_bytes=1, acc_bytes=4,
                                 ifmap_half=halves[0], filter_half=halves[1], ofmap_half=halves[2])
    except ConfigError:
        return
    chunk = 0 if chunk >= {"os": K, "ws": M, "is": N}[df] else chunk
    if order in ("blocked", "auto"):  # blocked: the default order with the resident-block chunk
        block = resident_block_chunk(df, R, M, K, N, a_bytes=1, b_bytes=1, ifmap_half=halves[0],
                                     filter_half=halves[1], max_chunk=chunk)
        chunk, order = block or chunk, "default"
    plan = plan_folds(df, R, C, M, K, N, batch, chunk, order)
    tr = fold_traffic(plan, a_bytes=1, b_bytes=1, acc_bytes=4, out_bytes=1, ifmap_half=halves[0],
                      filter_half=halves[1])
    p1, p2 = BandwidthMemory(bpc, lat), BandwidthMemory(bpc, lat)
    a = fast_timing(plan, tr, p1, d)
    b = exact_timing(plan, tr, p2, d)
    assert (a.cycles, a.S, a.P, a.raw_stalls, a.last_output) == (b.cycles, b.S, b.P, b.raw_stalls, b.last_output)
    assert p1.actions() == p2.actions()
    assert a.cycles >= plan.compute_cycles(d)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(configs(max_dim=40, max_array=8), st.sampled_from(["int8", "int4", "bf16"]),
       st.sampled_from(list(ARRAY_PE_OPTIONS)))
def test_fast_equals_exact_design(cfg, prec, pe):
    """Design level: fast and exact runs give identical per-op tables; exact moves real values and its
    output equals numpy (checked inside the exact run, which raises otherwise)."""
    df, R, C, M, K, N, batch, d, halves, bpc, lat, order = cfg
    dims = [M, K, N]
    while dims[0] * dims[1] * dims[2] * batch > 400 * R * C:  # bound the cycles the exact run steps
        i = dims.index(max(dims))
        dims[i] = (dims[i] + 1) // 2
    M, K, N = dims
    mem_gbps = float(bpc)  # at 1000 MHz: bytes per cycle == GB/s
    try:
        design = SystolicArray(rows=R, cols=C, dataflow=df, mac_depth=d, a_precision=prec, b_precision=prec,
                               pe=pe if prec == "int8" else "mac",  # the PE options other than mac: int8 only
                               freq_mhz=1000.0, ifmap_sram_bytes=2 * halves[0], filter_sram_bytes=2 * halves[1],
                               ofmap_sram_bytes=2 * halves[2], memory_bandwidth_gbps=mem_gbps,
                               memory_latency_ns=float(lat), loop_order=order)
    except ConfigError:
        return
    op = Op("g", "bmm" if batch > 1 else "gemm", M, K, N, batch=batch, a_precision=prec, b_precision=prec,
            out_precision=prec)
    try:
        fast = design.run([op])
    except ConfigError:
        return
    exact = design.run([op], exact=True)
    cols = [c for c in fast.ops.columns]
    assert fast.ops[cols].equals(exact.ops[cols])
    assert fast.summary["total_cycles"] == exact.summary["total_cycles"]
    row = fast.ops.iloc[0]
    stalls = row["stall_ifmap_load_cycles"] + row["stall_filter_load_cycles"] + row["stall_ofmap_store_cycles"]
    assert row["cycles"] == row["compute_cycles"] + stalls
    assert row["macs"] == M * K * N * batch


def test_exact_output_equals_numpy_many_shapes():
    """The standalone array (ideal memory) reproduces numpy matmul bit for bit, and the closed form."""
    from archsim.arch import simulate_array, systolic_compute_cycles, systolic_schedule

    rng = np.random.default_rng(7)
    for trial in range(90):
        df = ("os", "ws", "is")[trial % 3]
        R, C = (int(x) for x in rng.integers(1, 7, 2))
        M, K, N = (int(x) for x in rng.integers(1, 14, 3))
        d = int(rng.integers(1, 4))
        A = rng.integers(-128, 128, (M, K))
        B = rng.integers(-128, 128, (K, N))
        s = systolic_schedule(A, B, R, C, df, d, order=("default", "swapped")[trial % 2])
        out = simulate_array(s)
        assert np.array_equal(s.result(out)[0], A @ B)
        assert out.last_valid_cycle + 1 == systolic_compute_cycles(R, C, M, K, N, df, d) == s.n_cycles


@st.composite
def blocked_configs(draw):
    """WS / IS ops whose streamed operand does not fit its half buffer but a block of >= R rows does."""
    df = draw(st.sampled_from(["ws", "is"]))
    R, C = draw(st.integers(1, 6)), draw(st.integers(1, 6))  # 2R + 1 <= 30
    K = draw(st.integers(R + 1, 24))  # K > R: the block is shorter than one fold's buffer limit (half / R)
    stream = draw(st.integers(2 * R + 1, 30))
    other = draw(st.integers(1, 24))
    fit = draw(st.integers(2 * R, stream - 1))  # rows of the block that fit the half buffer (>= 2R)
    M, N = (stream, other) if df == "ws" else (other, stream)
    block_half = fit * K + draw(st.integers(0, K - 1))  # int8: 1 byte per element
    other_half = draw(st.sampled_from([R * C * 2, 1 << 16]))  # the other operand: tight or loose
    halves = [block_half, other_half, 1 << 16] if df == "ws" else [other_half, block_half, 1 << 16]
    bpc = Fraction(draw(st.integers(1, 8)), draw(st.integers(1, 4)))
    return df, R, C, M, K, N, draw(st.integers(1, 2)), draw(st.integers(1, 3)), halves, bpc, draw(st.integers(0, 40))


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(blocked_configs())
def test_fast_equals_exact_blocked(cfg):
    """The blocked schedule (the stream cut into resident blocks) is timed identically by both models,
    controller and design level (output checked against numpy inside the exact run)."""
    df, R, C, M, K, N, batch, d, halves, bpc, lat = cfg
    chunk = max_stream_chunk(df, R, C, a_bytes=1, b_bytes=1, acc_bytes=4,
                             ifmap_half=halves[0], filter_half=halves[1], ofmap_half=halves[2])
    chunk = 0 if chunk >= {"ws": M, "is": N}[df] else chunk
    block = resident_block_chunk(df, R, M, K, N, a_bytes=1, b_bytes=1, ifmap_half=halves[0],
                                 filter_half=halves[1], max_chunk=chunk)
    assume(block)  # rare: balanced chunks of the buffer limit already fit
    assert 2 * R <= block < {"ws": M, "is": N}[df]
    plan = plan_folds(df, R, C, M, K, N, batch, block, "default")
    tr = fold_traffic(plan, a_bytes=1, b_bytes=1, acc_bytes=4, out_bytes=1, ifmap_half=halves[0],
                      filter_half=halves[1])
    p1, p2 = BandwidthMemory(bpc, lat), BandwidthMemory(bpc, lat)
    a, b = fast_timing(plan, tr, p1, d), exact_timing(plan, tr, p2, d)
    assert (a.cycles, a.S, a.P, a.raw_stalls, a.last_output) == (b.cycles, b.S, b.P, b.raw_stalls, b.last_output)
    assert p1.actions() == p2.actions()
    # the streamed operand is read from memory exactly once
    streamed = tr["a_load"] if df == "ws" else tr["b_load"]
    assert int(streamed.sum()) == batch * K * (M if df == "ws" else N)
    design = SystolicArray(rows=R, cols=C, dataflow=df, mac_depth=d, freq_mhz=1000.0,
                           ifmap_sram_bytes=2 * halves[0], filter_sram_bytes=2 * halves[1],
                           ofmap_sram_bytes=2 * halves[2], memory_bandwidth_gbps=float(bpc),
                           memory_latency_ns=float(lat), loop_order="blocked")
    op = Op("g", "bmm" if batch > 1 else "gemm", M, K, N, batch=batch, a_precision="int8", b_precision="int8",
            out_precision="int8")
    fast, exact = design.run([op]), design.run([op], exact=True)
    assert fast.ops.equals(exact.ops)
    assert fast.ops["loop_order"][0] == "blocked" and fast.ops["cycles"][0] == a.cycles
