"""TPE bit-weight-transformed PEs: golden model == numpy; RTL (cocotb) == model, bit-exact and cycle-equal."""

from __future__ import annotations

import os

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from archsim.core.errors import ConfigError
from archsim.pe.tpe import CsaDot, compress_rows, partial_product_rows


@settings(max_examples=200, deadline=None)
@given(st.integers(1, 6), st.sampled_from(((8, 32), (4, 16), (3, 7))), st.integers(1, 12), st.integers(0, 10**6))
def test_carry_save_model_is_the_dot_product(lanes, widths, k, seed):
    bits, acc = widths
    acc = max(acc, 2 * bits)
    rng = np.random.default_rng(seed)
    lo, hi = -(1 << (bits - 1)), (1 << (bits - 1))
    a, b = rng.integers(lo, hi, k), rng.integers(lo, hi, k)
    half = 1 << (acc - 1)
    want = ((int(np.dot(a, b)) + half) % (1 << acc)) - half
    assert CsaDot(lanes, bits, bits, acc).dot(a, b) == want


def test_rows_and_compressor_invariants():
    rows = partial_product_rows([-128, 127], 8, [-128, -1], 8, 32)
    assert len(rows) == 2 * 8 + 1 and all(r < (1 << 15) for r in rows[:-1])  # a_bits wide at offsets <= 7
    assert sum(rows) % (1 << 32) == (-128 * -128 + 127 * -1) % (1 << 32)
    s, c = compress_rows(rows, 32)
    assert (s + c) % (1 << 32) == sum(rows) % (1 << 32)
    with pytest.raises(ConfigError, match="lanes"):
        CsaDot(0)


@pytest.mark.rtl
@pytest.mark.parametrize(("lanes", "bits", "acc"), [(1, 8, 32), (4, 8, 32), (3, 4, 16)])
def test_tpe_rtl_equals_model(lanes, bits, acc):
    from archsim.rtl import check_pe
    from archsim.rtl._check import random_pe_tasks
    from archsim.rtl.tpe import CsaTreePE

    pe = CsaTreePE(lanes, bits, bits, acc)
    assert check_pe(pe, CsaDot(lanes, bits, bits, acc), random_pe_tasks(bits, n=8, seed=lanes)) == []


@pytest.mark.rtl
def test_tpe_check_can_fail():
    """A model that claims one cycle less than the RTL takes is reported."""
    from archsim.rtl import check_pe
    from archsim.rtl.tpe import CsaTreePE

    class Faster(CsaDot):
        def cycles(self, k):
            return super().cycles(k) - 1 if k > 1 else 1

    errors = check_pe(CsaTreePE(1, 4, 4, 16), Faster(1, 4, 4, 16), [([1, 2], [3, 4])])
    assert errors and "cycles rtl 2 model 1" in errors[0]


@pytest.mark.synth
def test_tpe_synthesis_reports_area_and_path():
    from archsim.rtl.tpe import synth_depth, tpe_pair

    base, tpe = tpe_pair("systolic", 4, 16)
    b, t = synth_depth(base), synth_depth(tpe)
    assert b["path_cells"] > 0 and t["path_cells"] > 0
    assert b["flip_flops"] == 16 + 1  # accumulator + out_valid
    # S and C vectors (carry LSB is constant 0, Yosys drops it and another constant bit) + out_valid
    assert 2 * 16 - 2 <= t["flip_flops"] <= 2 * 16 + 1


@pytest.mark.synth
@pytest.mark.rtl
def test_switching_activity_counts_gate_toggles():
    from archsim.rtl.tpe import switching_activity, tpe_pair

    base, tpe = tpe_pair("systolic", 4, 16)
    a = switching_activity(base, dots=6, k=4, seed=1)
    assert a["macs"] == 24 and a["cycles"] == 25 and a["toggles"] > 0
    assert switching_activity(base, dots=6, k=4, seed=1) == a  # deterministic for a seed
    assert switching_activity(tpe, dots=6, k=4, seed=1)["toggles"] != a["toggles"]


@pytest.mark.rtl
def test_stored_synthesis_figures_match_a_fresh_synthesis():
    """The figures SystolicArray(pe="tpe-csa") is priced with (archsim.pe.array_pe.TPE_SYNTH_INT8) are what
    Yosys and Icarus give for the systolic pair now (bench_tpe.py prints all engines)."""
    from archsim.pe.array_pe import TPE_SYNTH_INT8
    from archsim.rtl.tpe import tpe_table

    (row,) = tpe_table(engines=("systolic",))
    for key, want in TPE_SYNTH_INT8["systolic"].items():
        assert row[key] == pytest.approx(want, abs=1e-3), key


@pytest.mark.rtl
@pytest.mark.skipif(not os.environ.get("ARCHSIM_SLOW"), reason="slow: set ARCHSIM_SLOW=1")
def test_stored_synthesis_figures_match_a_fresh_synthesis_multi_lane():
    """As above for the 4- and 16-lane pairs (pe=tree4/tpe-csa4/tree16/tpe-csa16; about a minute uncached)."""
    from archsim.pe.array_pe import TPE_SYNTH_INT8
    from archsim.rtl.tpe import tpe_table

    for row in tpe_table(engines=("adder_tree", "cube")):
        for key, want in TPE_SYNTH_INT8[row["engine"]].items():
            assert row[key] == pytest.approx(want, abs=1e-3), (row["engine"], key)
