"""archsim.simulate composes design.run and cost pricing."""

import pytest

import archsim
from archsim.core.errors import ConfigError
from archsim.workloads import Op


def test_simulate_prices_a_run_and_keeps_its_cycles():
    design = archsim.load_design("gemmini")
    op = Op("fc", "gemm", 64, 64, 64, a_precision="int8", b_precision="int8", out_precision="int8")
    raw = design.run([op])
    priced = archsim.simulate(design, op)
    assert priced.summary["total_cycles"] == raw.summary["total_cycles"]
    assert priced.summary["energy_j"] > 0 and priced.summary["area_mm2"] > 0
    assert priced.ops["energy_pj"].sum() * 1e-12 == pytest.approx(priced.summary["energy_j"])


def test_simulate_rejects_what_is_not_a_trace():
    with pytest.raises(ConfigError, match=r"^trace must be a Trace, an Op or a list of Ops, not str$"):
        archsim.simulate(archsim.load_design("gemmini"), "llama")
