"""A J/token figure never hides that part of a pool's energy is not priced."""

from archsim.serving import serve

WL = {"requests": 4, "rate": 4.0, "lengths": "fixed", "prompt_tokens": 64, "output_tokens": 4, "seed": 0}


def test_unpriced_dram_standard_is_named_in_the_summary():
    s = serve("h100-sxm5-80gb", "llama2-7b", WL, "vllm").summary
    assert s["energy_j_per_token"] is not None
    assert any("'hbm3'" in n for n in s["energy_not_modelled"])


def test_energy_off_reports_no_gap_and_no_figure():
    s = serve("h100-sxm5-80gb", "llama2-7b", WL, "vllm", energy=False).summary
    assert s["energy_not_modelled"] == [] and s["energy_j_per_token"] is None
