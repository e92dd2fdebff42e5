"""Requests: seeded arrivals and lengths, the shipped empirical tables, trace replay."""

import numpy as np
import pytest

from archsim.core.errors import ConfigError
from archsim.serving import Workload, read_trace
from archsim.serving.requests import arrivals, lengths


def test_empirical_azure_tables_keep_the_published_medians():
    rng = np.random.default_rng(0)
    p, o, dropped = lengths("azure-conv", 20000, rng)
    assert dropped == 0.0
    # Patel et al., Splitwise, ISCA 2024, Sec. III: conversation medians 1020 prompt / 129 output tokens
    assert abs(np.median(p) - 1020) / 1020 < 0.03 and abs(np.median(o) - 129) / 129 < 0.05
    p, o, _ = lengths("azure-code", 20000, rng)
    assert abs(np.median(p) - 1500) / 1500 < 0.05 and abs(np.median(o) - 13) <= 1
    _, _, dropped = lengths("azure-conv", 10, rng, max_total=4096)
    assert 0 < dropped < 0.1


def test_gamma_arrivals_have_the_asked_rate_and_burstiness():
    rng = np.random.default_rng(1)
    t = arrivals("gamma", 200000, 5.0, rng, cv=3.0)
    gaps = np.diff(t)
    assert gaps.mean() == pytest.approx(0.2, rel=0.02)
    assert gaps.std() / gaps.mean() == pytest.approx(3.0, rel=0.05)


def test_workloads_are_deterministic_per_seed():
    a = Workload(requests=100, rate=3, lengths="zipf", seed=5).generate()
    b = Workload(requests=100, rate=3, lengths="zipf", seed=5).generate()
    c = Workload(requests=100, rate=3, lengths="zipf", seed=6).generate()
    assert a.frame().equals(b.frame()) and not a.frame().equals(c.frame())


def test_trace_replay_reads_our_columns_and_names_bad_rows(tmp_path):
    f = tmp_path / "r.csv"
    f.write_text("arrival_s,prompt_tokens,output_tokens\n0.5,10,3\n0.1,20,4\n")
    r = read_trace(f)
    assert list(r.arrival_s) == [0.1, 0.5] and list(r.prompt_tokens) == [20, 10]
    f.write_text("arrival_s,prompt_tokens,output_tokens\n0.5,10,3\n0.1,-2,4\n")
    with pytest.raises(ConfigError, match=r"row 2: prompt_tokens must be a positive integer, not -2$"):
        read_trace(f)
    f.write_text("when,prompt_tokens,output_tokens\n0.5,10,3\n")
    with pytest.raises(ConfigError, match=r"needs a column arrival_s or TIMESTAMP$"):
        read_trace(f)
