"""Serving engine invariants: tokens, Little's law, idle TTFT, budget monotonicity, determinism, rejections."""

import numpy as np
import pandas as pd
import pytest

import archsim
from archsim.core.errors import ConfigError
from archsim.serving import Requests, Workload, serve
from archsim.serving.iteration import IterationCost
from archsim.workloads.batch import BatchSpec, build_batch_trace

H100 = "h100-sxm5-80gb"
SHORT = {"lengths": "uniform", "prompt_tokens": 64, "output_tokens": 16}


@pytest.mark.parametrize("scheduler,opts", [("vllm", {}), ("sarathi", {"chunk": 128}), ("static", {"batch": 8}),
                                            ("disagg", {}), ("vllm", {"preempt": "swap"})])
def test_every_generated_token_is_accounted_for(scheduler, opts):
    # a small cache forces preemptions for vllm (recompute and swap)
    res = serve(H100, "llama2-7b", Workload(requests=60, rate=200, seed=1, **SHORT), scheduler,
                memory_bytes=13.8e9, memory_fraction=1.0, **opts)
    req, it = res.requests, res.iterations
    done = req["status"] == "done"
    assert done.all()
    assert (req["generated_tokens"] == req["output_tokens"]).all()
    assert it["emitted"].sum() == req["output_tokens"].sum() + (it["emitted"].sum() - req["output_tokens"].sum())
    # each emitted token is one of a request's output tokens: emissions = outputs exactly
    assert it["emitted"].sum() == req["output_tokens"].sum()
    assert (req["first_token_s"] >= req["arrival_s"]).all() and (req["finish_s"] >= req["first_token_s"]).all()
    if scheduler == "vllm":
        assert res.summary["preemptions"] > 0


def test_littles_law_on_a_long_run():
    res = serve(H100, "llama2-7b", Workload(requests=3000, rate=20, arrival="uniform", seed=2, **SHORT), "sarathi",
                chunk=256)
    s = res.summary
    assert s["mean_in_system"] == pytest.approx(s["arrival_rate"] * s["e2e_mean_s"], rel=0.01)


def test_idle_system_ttft_equals_the_prefill_iteration_time():
    design = archsim.load_design(H100)
    reqs = Requests(np.array([0.0]), np.array([700]), np.array([5]))
    res = serve(design, "llama2-7b", reqs, "vllm")
    ttft = res.requests["ttft_s"].iloc[0]
    spec = BatchSpec.of("llama2-7b")
    whole = archsim.simulate(design, build_batch_trace(spec, [700], [0], [False]))
    # equal up to float rounding (per-op seconds summed vs total cycles / clock)
    assert ttft == pytest.approx(whole.seconds, rel=1e-12)
    assert ttft == IterationCost(design, spec)(np.array([700]), np.array([0]), np.array([False]), 1).seconds


def test_larger_token_budget_never_lowers_saturated_throughput():
    wl = Workload(requests=40, rate=1000, seed=4, lengths="fixed", prompt_tokens=200, output_tokens=16)
    tput = [serve(H100, "llama2-7b", wl, "sarathi", chunk=c).summary["throughput_tokens_per_s"]
            for c in (100, 200, 400, 800)]
    assert all(b >= a for a, b in zip(tput, tput[1:])), tput


def test_identical_seeds_give_identical_results():
    a = serve(H100, "llama2-7b", Workload(requests=50, rate=30, seed=9, **SHORT), "sarathi")
    b = serve(H100, "llama2-7b", Workload(requests=50, rate=30, seed=9, **SHORT), "sarathi")
    c = serve(H100, "llama2-7b", Workload(requests=50, rate=30, seed=10, **SHORT), "sarathi")
    pd.testing.assert_frame_equal(a.requests, b.requests, check_exact=True)
    pd.testing.assert_frame_equal(a.iterations, b.iterations, check_exact=True)
    sa, sb = dict(a.summary), dict(b.summary)
    assert sa.pop("design_runs") > 0 and sb.pop("design_runs") == 0  # the second run reuses the memo
    assert sa == sb
    assert not a.requests["arrival_s"].equals(c.requests["arrival_s"])


def test_request_that_can_never_fit_is_rejected_with_a_reason():
    reqs = Requests(np.array([0.0, 0.1]), np.array([64, 3000]), np.array([8, 1000]))
    res = serve(H100, "llama2-7b", reqs, "vllm", memory_bytes=13.6e9, memory_fraction=1.0)
    st = res.requests["status"].tolist()
    assert st[0] == "done"
    assert st[1].startswith("rejected: needs 250 KV blocks of 16 tokens (3999 tokens), the cache holds")
    assert res.summary["rejected"] == 1


@pytest.mark.parametrize("kwargs,msg", [
    ({"workload": {"requests": 5, "rate": -1}}, r"^rate must be a positive number, not -1$"),
    ({"slo_ttft_s": 0}, r"^slo_ttft_s must be a positive number of seconds, not 0$"),
    ({"memory_bytes": 10e9}, r"^design 'h100-sxm5-80gb' cannot hold the weights of llama2-7b"),
    ({"workload": {"requests": 5, "rate": 1, "prompt_tokens": 4000, "output_tokens": 200}},
     r"^prompt \+ output tokens must be <= the model's context \(4096\), not 4200$"),
    ({"scheduler": "sarathi", "chunk": 0}, r"^chunk must be a positive integer, not 0$"),
    ({"scheduler": "vllm", "chunk": 5}, r"^scheduler vllm has no option 'chunk'"),
    ({"scheduler": "fifo"}, r"^scheduler must be one of"),
    ({"scheduler": "neupims"}, r"^scheduler neupims needs an NPU\+PIM design"),
])
def test_bad_input_is_a_one_line_config_error(kwargs, msg):
    kw = {"workload": {"requests": 5, "rate": 1}, **kwargs}
    wl = kw.pop("workload")
    with pytest.raises(ConfigError, match=msg) as e:
        serve(H100, "llama2-7b", wl, **kw)
    assert "\n" not in str(e.value)


@pytest.mark.parametrize("scheduler,opts", [("sarathi", {"chunk": 128}), ("disagg", {}),
                                            ("vllm", {"memory_bytes": 13.8e9, "memory_fraction": 1.0}),
                                            ("vllm", {"bucket": 64})])
def test_fast_forward_gives_the_result_of_stepping_every_iteration(scheduler, opts):
    wl = Workload(requests=24, rate=8, seed=3, **SHORT)
    a = serve(H100, "llama2-7b", wl, scheduler, fast_forward=True, **opts)
    b = serve(H100, "llama2-7b", wl, scheduler, fast_forward=False, **opts)
    pd.testing.assert_frame_equal(a.requests, b.requests, check_exact=True)
    ia, ib = a.iterations, b.iterations
    assert len(ia) == len(ib)
    pd.testing.assert_frame_equal(ia.drop(columns="energy_j"), ib.drop(columns="energy_j"), check_exact=True)
    np.testing.assert_allclose(ia["energy_j"], ib["energy_j"], rtol=1e-12)
