"""Iteration costs: the pieces the engine memoizes add up to the whole-trace run of the design."""

import math

import numpy as np
import pytest

import archsim
from archsim.serving.iteration import IterationCost
from archsim.workloads.batch import BatchSpec, batch_pieces, build_batch_trace

SPEC = BatchSpec.of("llama2-7b")


def _batch(rng, n):
    q = np.where(rng.random(n) < 0.5, 1, rng.integers(2, 300, n))
    cached = rng.integers(0, 600, n)
    dec = (q == 1) & (cached > 0)
    return q, cached, dec


@pytest.mark.parametrize("name", ["h100-sxm5-80gb", "tpu-v4-like", "ascend-910-like", "sa128-bf16"])
def test_pieces_sum_equals_whole_trace_run(name):
    design = archsim.load_design(name)
    rng = np.random.default_rng(7)
    for n in (1, 4, 7):
        q, cached, dec = _batch(rng, n)
        whole = archsim.simulate(design, build_batch_trace(SPEC, q, cached, dec))
        parts = [archsim.simulate(design, p) for p in batch_pieces(SPEC, q, cached, dec) if p]
        assert sum(p.total_cycles for p in parts) == whole.total_cycles
        assert math.isclose(sum(p.summary["energy_j"] for p in parts), whole.summary["energy_j"], rel_tol=1e-9)


def test_per_request_cost_is_the_design_run_of_the_batch_trace():
    design = archsim.load_design("h100-sxm5-80gb")
    cost = IterationCost(design, SPEC, attention_kernel="per_request")
    assert cost.mode == "pieces"  # the additivity check passed on this design
    q, cached = np.array([1, 1, 300, 1]), np.array([100, 2000, 0, 50])
    dec = q == 1
    c = cost(q, cached, dec, 4)
    r = archsim.simulate(design, build_batch_trace(SPEC, q, cached, dec))
    assert c.seconds == pytest.approx(r.seconds, rel=1e-12)
    assert c.energy_j == pytest.approx(r.summary["energy_j"], rel=1e-9)


def test_whole_and_pieces_modes_agree_with_ragged_attention():
    design = archsim.load_design("tpu-v4-like")
    q, cached = np.array([1, 1, 1, 64]), np.array([10, 300, 77, 0])
    dec = q == 1
    a = IterationCost(design, SPEC, decompose="pieces")(q, cached, dec, 4)
    b = IterationCost(design, SPEC, decompose="whole")(q, cached, dec, 4)
    assert a.seconds == pytest.approx(b.seconds, rel=1e-12)
    per = IterationCost(design, SPEC, attention_kernel="per_request")(q, cached, dec, 4)
    assert a.seconds < per.seconds  # one attention launch per layer instead of one per request


def test_bucketing_is_off_by_default_and_its_error_is_small():
    design = archsim.load_design("h100-sxm5-80gb")
    rng = np.random.default_rng(3)
    cached = rng.integers(100, 3000, 32)
    q, dec = np.ones(32, dtype=np.int64), np.ones(32, dtype=bool)
    exact = IterationCost(design, SPEC)(q, cached, dec, 32).seconds
    b64 = IterationCost(design, SPEC, bucket=64)(q, cached, dec, 32).seconds
    assert b64 != exact
    assert abs(b64 - exact) / exact < 0.02  # measured: KV lengths rounded up by < 64 tokens
