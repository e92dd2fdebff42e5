"""PE options of the systolic array (``pe=mac | tpe-csa``): golden-model cycles, validation, round trip, pricing."""

from __future__ import annotations

import numpy as np
import pytest
import yaml

import archsim
from archsim.arch import SystolicArray
from archsim.arch.registry import load_design
from archsim.core.errors import ConfigError
from archsim.pe.adder_tree import AdderTreeDot
from archsim.pe.array_pe import ARRAY_PE_OPTIONS, TPE_SYNTH_INT8, array_pe
from archsim.pe.tpe import CsaDot
from archsim.workloads import Op


@pytest.mark.parametrize("lanes", [4, 16])
def test_multi_lane_pes_take_ceil_k_over_lanes_cycles(lanes):
    """tree<n> and tpe-csa<n>: the golden models (AdderTreeDot depth 1, CsaDot) both take ceil(k / lanes) cycles,
    the beats the array steps per PE (K' = ceil(K / lanes))."""
    tree, tpe = ARRAY_PE_OPTIONS[f"tree{lanes}"], ARRAY_PE_OPTIONS[f"tpe-csa{lanes}"]
    assert tree.lanes == tpe.lanes == lanes
    gt, gc = tree.golden_model(), tpe.golden_model()
    assert isinstance(gt, AdderTreeDot) and isinstance(gc, CsaDot) and gt.pipeline_depth == 1
    d = SystolicArray(rows=4, cols=4, pe=f"tree{lanes}")
    for k in range(1, 70):
        assert gt.cycles(k) == gc.cycles(k) == gt.issue_cycles(k) == gc.issue_cycles(k) == -(-k // lanes)
        assert d._stream_k(k) == gt.issue_cycles(k)


def test_tpe_pe_is_cycle_equal_per_mac_to_the_single_cycle_mac():
    """The golden models define the claim the array relies on: CsaDot(lanes=1) takes k cycles for a length-k dot
    product, like the single-cycle MAC (AdderTreeDot(1, depth 1)), so the array's timing is the same."""
    tpe, mac = ARRAY_PE_OPTIONS["tpe-csa"].golden_model(), ARRAY_PE_OPTIONS["mac"].golden_model()
    assert isinstance(tpe, CsaDot) and isinstance(mac, AdderTreeDot) and mac.pipeline_depth == 1
    for k in range(1, 70):
        assert tpe.cycles(k) == mac.cycles(k) == k
        assert tpe.issue_cycles(k) == mac.issue_cycles(k) == k


def test_ratios_come_from_the_synthesis_table():
    s = TPE_SYNTH_INT8["systolic"]
    opt = array_pe("tpe-csa")
    assert opt.area_scale == s["tpe_area_um2"] / s["base_area_um2"]
    assert opt.energy_scale == s["tpe_toggles_per_mac"] / s["base_toggles_per_mac"]
    assert opt.path_scale == s["tpe_path_cells"] / s["base_path_cells"]
    assert array_pe("mac").area_scale == array_pe("mac").energy_scale == 1.0
    mac = TPE_SYNTH_INT8["systolic"]
    for eng, n in (("adder_tree", 4), ("cube", 16)):
        s = TPE_SYNTH_INT8[eng]
        for name, which in ((f"tree{n}", "base"), (f"tpe-csa{n}", "tpe")):
            o = array_pe(name)
            assert o.area_scale == s[f"{which}_area_um2"] / (n * mac["base_area_um2"])  # per MAC
            assert o.energy_scale == s[f"{which}_toggles_per_mac"] / mac["base_toggles_per_mac"]


def test_bad_pe_is_one_line_config_error():
    with pytest.raises(ConfigError,
                       match=r"^pe must be one of mac, tpe-csa, tree4, tpe-csa4, tree16, tpe-csa16, not 'tpe-opt1'$"):
        load_design("sa128-bf16", pe="tpe-opt1")
    with pytest.raises(ConfigError, match=r"^pe 'tpe-csa' is synthesized for int8 x int8 only, not bf16 x bf16 "
                                          r"\(set a_precision=int8 b_precision=int8\)$"):
        load_design("sa128-bf16", pe="tpe-csa")


def test_round_trip():
    d = load_design("sa128-bf16", a_precision="int8", b_precision="int8", pe="tpe-csa")
    data = d.to_dict()
    assert data["pe"] == "tpe-csa"
    assert SystolicArray.from_dict(data) == d
    assert load_design(yaml.safe_load(yaml.safe_dump(data))) == d
    assert d.replace(pe="mac").pe == "mac"
    row = d.describe().set_index("field").loc["pe"]
    assert row["value"] == "tpe-csa"


@pytest.mark.parametrize("dataflow", ["os", "ws", "is"])
@pytest.mark.parametrize("pe", list(ARRAY_PE_OPTIONS))
def test_fast_equals_exact_and_cycles_of_equal_lanes_are_equal(dataflow, pe):
    """fast == exact (the exact run also checks its values against numpy); a TPE option runs exactly the cycles of
    the usual PE with as many lanes; a lanes-wide PE runs the cycles of a MAC array on K' = ceil(K / lanes)."""
    base = SystolicArray(rows=4, cols=3, dataflow=dataflow, mac_depth=2, ifmap_sram_bytes=4096,
                         filter_sram_bytes=4096, ofmap_sram_bytes=4096)
    d = base.replace(pe=pe)
    ops = [Op("g", "gemm", 7, 13, 5), Op("b", "bmm", 3, 9, 4, batch=2)]
    fast, exact = d.run(ops), d.run(ops, exact=True)
    assert fast.ops.equals(exact.ops) and fast.total_cycles == exact.total_cycles
    lanes = d.pe_lanes
    usual = base.replace(pe="mac" if lanes == 1 else f"tree{lanes}")
    assert usual.run(ops).ops.equals(fast.ops)
    if lanes > 1:  # same compute cycles as a 1-lane array on K' (the bytes per beat differ: lanes x wider)
        kp = [Op("g", "gemm", 7, -(-13 // lanes), 5), Op("b", "bmm", 3, -(-9 // lanes), 4, batch=2)]
        assert list(base.run(kp).ops["compute_cycles"]) == list(fast.ops["compute_cycles"])
        assert list(fast.ops["macs"]) == [7 * 13 * 5, 3 * 9 * 4 * 2]


def test_pricing_scales_mac_area_and_energy_only():
    base = load_design("sa128-bf16", a_precision="int8", b_precision="int8")
    tpe = base.replace(pe="tpe-csa")
    ops = [Op("g", "gemm", 256, 512, 384, a_precision="int8", b_precision="int8", out_precision="int8")]
    rb, rt = archsim.simulate(base, ops), archsim.simulate(tpe, ops)
    opt = tpe.pe_option
    eb, et = rb.ops["energy_pe_array_pj"].sum(), rt.ops["energy_pe_array_pj"].sum()
    assert et == pytest.approx(eb * opt.energy_scale, rel=1e-12)
    others = [c for c in rb.ops.columns if c.startswith("energy_") and c.endswith("_pj")
              and c not in ("energy_pe_array_pj", "energy_static_pj", "energy_pj")]  # static: scales with area
    assert others and np.allclose(rb.ops[others].to_numpy(float), rt.ops[others].to_numpy(float), rtol=1e-12)
    ab = {c["name"]: c for c in base.components()}["pe_array"]
    at = {c["name"]: c for c in tpe.components()}["pe_array"]
    assert "area_scale" not in ab and at["area_scale"] == opt.area_scale and at["pe"] == "tpe-csa"
    assert rt.summary["area_pe_array_mm2"] == pytest.approx(rb.summary["area_pe_array_mm2"] * opt.area_scale, rel=1e-12)
    assert rt.summary["area_mm2"] > rb.summary["area_mm2"]  # the systolic TPE PE is 2.7 % larger (Yosys)
    assert rt.total_cycles == rb.total_cycles
    wide = base.replace(pe="tpe-csa16")
    assert {c["name"]: c for c in wide.components()}["pe_array"]["count"] == 128 * 128 * 16
    assert wide.peaks()["flops_per_s"]["int8"] == 16 * base.peaks()["flops_per_s"]["int8"]


def test_cli_pe_option(capsys):
    from archsim.cli import main

    assert main(["run", "--design", "sa128-bf16", "--set", "pe=tpe-opt1", "--gemm", "64,64,64"]) == 2
    err = capsys.readouterr().err
    assert err == ("archsim: error: pe must be one of mac, tpe-csa, tree4, tpe-csa4, tree16, tpe-csa16, "
                   "not 'tpe-opt1'\n")
    assert main(["run", "--design", "sa128-bf16", "--set", "a_precision=int8", "--set", "b_precision=int8",
                 "--set", "pe=tpe-csa4", "--gemm", "64,64,64", "--json"]) == 0
    assert '"total_cycles"' in capsys.readouterr().out
