"""Serving in studies: rate x scheduler sweeps through archsim.study.sweep, capacity search, YAML scenarios."""

import functools

import pytest

from archsim.arch.registry import load_design
from archsim.core.errors import ConfigError
from archsim.serving import capacity_search, run_scenario
from archsim.study import serving_sweep

WL = {"requests": 40, "lengths": "fixed", "prompt_tokens": 64, "output_tokens": 8, "seed": 0}


def test_rate_by_scheduler_sweep(tmp_path):
    df = serving_sweep(functools.partial(load_design, "h100-sxm5-80gb"), {"launch_overhead_ns": [21000.0]},
                       "llama2-7b", WL, rates=[5, 50], schedulers=["vllm", "sarathi"], workers=1, progress=False,
                       store=tmp_path / "s.sqlite")
    assert len(df) == 4 and df["error"].isna().all()
    assert set(df["workload"]) == {"vllm@5", "vllm@50", "sarathi@5", "sarathi@50"}
    assert (df["completed"] == 40).all()


def test_capacity_is_the_highest_rate_meeting_the_slo():
    out = capacity_search("h100-sxm5-80gb", "llama2-7b", WL, "vllm", slo_ttft_s=None, slo_tpot_s=0.02, low=1,
                          high=64, rel_tol=0.2)
    cap = out["capacity_rps"]
    ok = {p["rate"]: p["slo_attainment"] >= 0.9 for p in out["points"]}
    assert ok[cap]
    assert all(not v for r, v in ok.items() if r > cap)  # every rate above it failed
    with pytest.raises(ConfigError, match=r"^capacity search needs an SLO"):
        capacity_search("h100-sxm5-80gb", "llama2-7b", WL, slo_ttft_s=None, slo_tpot_s=None)


def test_yaml_scenario_sweep(tmp_path):
    f = tmp_path / "s.yaml"
    f.write_text("design: h100-sxm5-80gb\nmodel: llama2-7b\nscheduler: sarathi\nscheduler_options: {chunk: 256}\n"
                 "workload: {requests: 30, rate: 10, lengths: fixed, prompt_tokens: 64, output_tokens: 8}\n"
                 "slo: {ttft_s: 1.0, tpot_s: 0.1}\nsweep: {rate: [5, 20]}\n")
    df = run_scenario(f)
    assert list(df["rate"]) == [5, 20] and (df["requests"] == 30).all()
    f.write_text("design: h100-sxm5-80gb\nmodel: llama2-7b\nworkload: {}\nspeed: 3\n")
    with pytest.raises(ConfigError, match=r"^scenario key must be one of"):
        run_scenario(f)
