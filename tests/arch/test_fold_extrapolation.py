"""The fast systolic model extrapolates repeated identical folds (archsim/arch/_extrapolate.py):
its totals must equal the full event loop's, on random shapes, dataflows, loop orders, precisions
and memories (bandwidth and cycle-level DRAM); a plan whose timing is not periodic must fall back
to the full loop (or be refused above the limit), never be extrapolated wrongly."""

from __future__ import annotations

import os

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

import archsim
from archsim.arch import SystolicArray
from archsim.arch import _extrapolate as ex
from archsim.core.errors import ConfigError
from archsim.dataflow.systolic import fold_traffic, plan_folds

_NOT_EXTRAPOLATED = object()
_STATS = {"extrapolated": 0}


def _both(design: SystolicArray, op: archsim.Op, order: str, chunk: int):
    from archsim.workloads.op import PRECISION_BYTES

    a_b, b_b, o_b = (PRECISION_BYTES[p] for p in (op.a_precision, op.b_precision, op.out_precision))
    i, f, _ = design.buffers()
    plan = plan_folds(design.dataflow, design.rows, design.cols, op.M, op.K, op.N, op.batch, chunk, order)
    kw = dict(a_bytes=a_b, b_bytes=b_b, acc_bytes=design.mac_pe.acc_bytes, out_bytes=o_b,
              ifmap_half=i.half_bytes, filter_half=f.half_bytes)

    def traffic_of(p):
        return fold_traffic(p, **kw)

    full = ex.measure(plan, design.memory_port(), design.mac_depth, traffic_of)
    try:
        fitted = ex._extrapolate(plan, design.memory_port(), design.mac_depth, traffic_of, full_limit=0)
        _STATS["extrapolated"] += 1
    except ConfigError:
        fitted = _NOT_EXTRAPOLATED  # not periodic: the real run falls back to the full loop
    return plan, full, fitted


# derandomize: CI draws the same plans every run (a failure is a code change, not luck); ARCHSIM_EXTRAP_EXAMPLES
# larger draws more.  Known counterexamples beyond the bound are kept visible below (xfail, strict).
@settings(max_examples=int(os.environ.get("ARCHSIM_EXTRAP_EXAMPLES", "150")), deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow])
@given(
    dataflow=st.sampled_from(["os", "ws", "is"]),
    order=st.sampled_from(["default", "swapped"]),
    rows=st.sampled_from([1, 2, 3, 4]),
    cols=st.sampled_from([1, 2, 3, 5]),
    M=st.integers(1, 60), K=st.integers(1, 60), N=st.integers(1, 60), batch=st.integers(1, 20),
    chunk=st.sampled_from([0, 3, 7, 16]),
    bw=st.sampled_from([0.5, 4.0, 64.0]),
    lat=st.sampled_from([0.0, 10.0, 200.0]),
)
# regressions: extrapolated 2 cycles wrong before the fitted plans kept the real last two iterations
@example(dataflow="is", order="default", rows=1, cols=5, M=6, K=21, N=4, batch=1, chunk=3, bw=0.5, lat=0.0)
@example(dataflow="is", order="default", rows=1, cols=5, M=6, K=21, N=5, batch=1, chunk=3, bw=0.5, lat=0.0)
def test_extrapolated_equals_full_event_loop_bandwidth_memory(dataflow, order, rows, cols, M, K, N, batch, chunk,
                                                               bw, lat):
    design = SystolicArray(rows=rows, cols=cols, dataflow=dataflow, memory_bandwidth_gbps=bw, memory_latency_ns=lat,
                           ifmap_sram_bytes=1 << 12, filter_sram_bytes=1 << 12, ofmap_sram_bytes=1 << 12)
    op = archsim.Op("g", "gemm", M, K, N, batch=batch, a_precision="int8", b_precision="int8")
    try:
        _, full, fitted = _both(design, op, order, chunk)
    except ConfigError:
        return  # a chunk the buffers cannot hold is refused the same way by both
    if fitted is not _NOT_EXTRAPOLATED:
        _check_close(fitted, full)


@pytest.mark.xfail(strict=True, reason="extrapolation error beyond the 1e-4 bound: the steady state changes after "
                   "the far check (fitted 9,175 vs full 9,181 cycles, 6.5e-4); found by hypothesis 2026-12-07, not "
                   "fixed (production extrapolates only above 20,000 folds)")
def test_known_counterexample_os_tiny_plan():
    design = SystolicArray(rows=4, cols=1, dataflow="os", memory_bandwidth_gbps=0.5, memory_latency_ns=200.0,
                           ifmap_sram_bytes=1 << 12, filter_sram_bytes=1 << 12, ofmap_sram_bytes=1 << 12)
    op = archsim.Op("g", "gemm", 4, 54, 18, batch=1, a_precision="int8", b_precision="int8")
    _, full, fitted = _both(design, op, "default", 16)
    assert fitted is not _NOT_EXTRAPOLATED
    _check_close(fitted, full)


def _check_close(fitted: dict, full: dict) -> None:
    """Traffic, fold and action totals exactly; cycles and stall cycles equal on all but rare plans (a
    steady state that changes beyond the fitted plans): 1 of 1,415 random extrapolated plans differed,
    by 18 of 713,888 cycles; the bound asserted is 1e-4 of the cycles."""
    assert set(fitted) == set(full)
    for key in full:
        if key.startswith(("tr_", "act_")) or key in ("folds", "L_total", "compute"):
            assert fitted[key] == full[key], key
    slack = max(1, full["cycles"] // 10_000)
    for key in ("cycles", "last_output", "raw_ifmap_load", "raw_filter_load", "raw_ofmap_store"):
        assert abs(fitted[key] - full[key]) <= slack, (key, fitted[key], full[key])


def test_the_bandwidth_property_test_extrapolated_most_plans():
    assert _STATS["extrapolated"] >= 10  # the property above compared real extrapolations, not only fallbacks


def test_dram_backed_ops_are_never_extrapolated(monkeypatch):
    """Regression: with DRAM, a plan passed the checks and was extrapolated 3 cycles wrong (IS, DDR4-3200);
    DRAM-backed ops run the full event loop."""
    design = SystolicArray(rows=4, cols=4, dataflow="is", memory={"kind": "dram", "spec": "DDR4-3200"},
                           ifmap_sram_bytes=1 << 12, filter_sram_bytes=1 << 12, ofmap_sram_bytes=1 << 12)
    op = archsim.Op("g", "gemm", 44, 31, 40, batch=2, a_precision="int8", b_precision="int8")
    full = design.run(op).ops.iloc[0]
    monkeypatch.setattr(ex, "EXTRAPOLATE_ABOVE", 0)
    again = design.run(op).ops.iloc[0]
    assert full.equals(again)


def test_shrinking_slack_is_not_extrapolated():
    """Regression: the final store's wait shrank by 2 cycles per iteration and hit its floor beyond the
    fitted plans (2 cycles wrong); totals that shrink per iteration now refuse extrapolation."""
    from archsim.dataflow.systolic import fold_traffic, plan_folds

    d = SystolicArray(rows=1, cols=5, dataflow="is", memory_bandwidth_gbps=0.5, memory_latency_ns=0.0,
                      ifmap_sram_bytes=1 << 12, filter_sram_bytes=1 << 12, ofmap_sram_bytes=1 << 12)
    i, f, _ = d.buffers()
    kw = dict(a_bytes=1, b_bytes=1, acc_bytes=d.mac_pe.acc_bytes, out_bytes=2, ifmap_half=i.half_bytes,
              filter_half=f.half_bytes)
    plan = plan_folds("is", 1, 5, 6, 21, 5, 1, 3, "default")
    with pytest.raises(ConfigError):
        ex._extrapolate(plan, d.memory_port(), 1, lambda p: fold_traffic(p, **kw), full_limit=0)


def test_big_gemm_is_extrapolated_and_consistent():
    """A plan with millions of folds answers from a few thousand (benchmarks/bench_big_gemm.py times it)."""
    d = archsim.load_design("sa128-bf16")
    big = d.run(archsim.Op("g", "gemm", 100_000, 100_000, 100_000)).ops.iloc[0]
    assert big["folds"] > 7_000_000
    assert big["macs"] == 10**15
    assert big["compute_cycles"] <= big["cycles"]
    # cycles and bytes scale with a batch of identical GEMMs exactly
    two = d.run(archsim.Op("g", "gemm", 100_000, 100_000, 100_000, batch=2)).ops.iloc[0]
    assert two["dram_read_bytes"] == 2 * big["dram_read_bytes"]
    # back-to-back batches overlap one GEMM's fill/drain and first fetch (a few thousand cycles of 6e10)
    assert 0 <= 2 * big["cycles"] - two["cycles"] <= 10_000


def test_not_periodic_above_the_limit_is_refused(monkeypatch):
    design = SystolicArray(rows=4, cols=4, dataflow="os", memory={"kind": "dram", "spec": "DDR4-3200"})
    op = archsim.Op("g", "gemm", 4000, 64, 4000)
    monkeypatch.setattr(ex, "KEEP", ())  # nothing verifies: must fall back, never guess
    monkeypatch.setattr(ex, "FULL_FOLDS_LIMIT", 1000)
    with pytest.raises(ConfigError, match=r"folds and its timing cannot be extrapolated .* about .* s and .* GiB"):
        design.run(op)
