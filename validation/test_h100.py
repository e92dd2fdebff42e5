"""H100 preset vs the H100 measurements in validation/data/h100: held-out GEMMs and decoder layers.

Bounds are the issue's (median <= 10 % and max <= 35 % per precision for bf16, fp16, fp8, tf32; decoder
layers median <= 10 %).  A bound the model does not meet stays as a strict xfail naming the shape.
"""

import statistics

import pytest

from validation import h100

FIT, HELD = h100.split_halves(h100.load_gemms())


@pytest.fixture(scope="module")
def held_errors():
    return h100.summary(h100.errors(h100.design(), HELD))


def test_split_is_disjoint_halves():
    key = lambda r: (r["dtype"], r["M"], r["K"], r["N"])  # noqa: E731
    assert not {key(r) for r in FIT} & {key(r) for r in HELD}
    assert abs(len(FIT) - len(HELD)) <= 5


def test_fitted_floor_is_the_preset_value():
    assert h100.fit_kernel_floor(FIT) == h100.design().kernel_floor_ns


@pytest.mark.parametrize("dtype", ["bf16", "fp16", "fp8", "tf32"])
def test_held_out_median_error(held_errors, dtype):
    assert held_errors[dtype]["median"] <= 0.10


@pytest.mark.parametrize("dtype", [
    pytest.param("bf16", marks=pytest.mark.xfail(strict=True, reason="512x8192x10240: 160 output tiles on 132 SMs "
                                                 "take two waves in the model; cuBLAS shows no wave step (+52 %); "
                                                 "256^3, 1024^3: the additive 3.25 us floor overshoots")),
    pytest.param("fp16", marks=pytest.mark.xfail(strict=True, reason="256^3: the additive 3.25 us kernel floor "
                                                 "overshoots the smallest kernel (+45 %)")),
    "fp8", "tf32"])
def test_held_out_max_error(held_errors, dtype):
    assert held_errors[dtype]["max"] <= 0.35


@pytest.mark.parametrize("phase", ["prefill", "decode"])
def test_decoder_layer_median_error(phase):
    d = h100.design()
    errs = [abs(h100.predict_layer_us(d, r) - r["us"]) / r["us"] for r in h100.load_layers() if r["phase"] == phase]
    assert len(errs) >= 8
    assert statistics.median(errs) <= 0.10
