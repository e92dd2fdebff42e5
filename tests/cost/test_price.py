"""price(): total energy equals the sum of actions x per-action energy (computed here from the raw tables)."""

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from archsim.core.errors import ConfigError
from archsim.cost import price

# ---- independent per-action energies, from the published numbers -------------------------------
V = 0.8
STILLMAKER = {45: (1.103, -0.362, 0.2767), 32: (0.9559, -0.7823, 0.471), 7: (0.1776, -0.09097, 0.02447)}


def ef(node):
    a, b, c = STILLMAKER[node]
    a0, b0, c0 = STILLMAKER[45]
    return (a * V * V + b * V + c) / (a0 * V * V + b0 * V + c0)


def int_mult(bits):  # Horowitz 8b 0.2 pJ, 32b 3.1 pJ, power law between
    return 0.2 * (bits / 8) ** (math.log(3.1 / 0.2) / math.log(4))


def int_add(bits):  # Horowitz 8b 0.03 pJ, 32b 0.1 pJ
    return 0.03 * (bits / 8) ** (math.log(0.1 / 0.03) / math.log(4))


def fp_mult(sig):  # Horowitz fp16 1.1 pJ, fp32 3.7 pJ; significand bits 11 / 24
    return 1.1 * (sig / 11) ** (math.log(3.7 / 1.1) / math.log(24 / 11))


MAC = {  # MAC = multiply + accumulator add (int32 / fp32 = 0.1 / 0.9 pJ)
    ("int8", "int8"): 0.2 + 0.1,
    ("bf16", "bf16"): fp_mult(8) + 0.9,
    ("int8", "int4"): math.sqrt(0.2 * int_mult(4)) + 0.1,
    ("bf16", "int4"): fp_mult(8) + 0.9,
    ("fp16", "fp16"): 1.1 + 0.9,
}


def sram_pj_per_byte(capacity, width):
    # log-log least squares through Horowitz 8 KB 10 pJ, 32 KB 20 pJ, 1 MB 100 pJ (64-bit access)
    x = np.log([8192.0, 32768.0, 1048576.0])
    y = np.log([10.0, 20.0, 100.0])
    slope = ((x - x.mean()) * (y - y.mean())).sum() / ((x - x.mean()) ** 2).sum()
    macros = max(1, width // 64)  # a wide access = width/64 macros of 64 bits, each holding capacity/macros
    e64 = math.exp(y.mean() + slope * (math.log(capacity / macros) - x.mean()))
    return e64 * macros * min(width, 64) / 64 / (width / 8)


def _sram_exponent():
    x = np.log([8192.0, 32768.0, 1048576.0])
    y = np.log([10.0, 20.0, 100.0])
    return ((x - x.mean()) * (y - y.mean())).sum() / ((x - x.mean()) ** 2).sum()


# Eyeriss: a 0.5 kB RF access = 1 x 16-bit MAC; scaled to 256 x 16-bit entries here (= Eyeriss' size)
RF16 = int_mult(16) + int_add(16)
DDR4 = {  # Micron MT40A1G8 DDR4-2400: IDD (mA), VDD 1.2 V, tCK 0.833 ns, x8 -> 8 devices per 64-bit rank
    "act": 8 * 1.2 * (48 * 55 - (43 * 39 + 34 * 16)) * 0.833,
    "rd": 8 * 1.2 * (135 - 43) * 4 * 0.833,
    "wr": 8 * 1.2 * (123 - 43) * 4 * 0.833,
    "ref": 8 * 1.2 * (250 - 43) * 420 * 0.833,
    "io_bit": 0.5 * 1.2**2 / (34 + 48) / 2.4e9 * 1e12,
}
HBM2 = {  # DRAMsim3 configs/HBM2_8Gb_x128.ini: IDD (mA), VDD 1.2 V, tCK 1 ns, x128 -> 1 device per 128-bit channel,
    # BL4 = 2 tCK per burst, tRAS 34, tRP 14, tRFC 260; I/O: O'Connor et al. MICRO 2017 HBM2 I/O share 0.8 pJ/bit
    "act": 1.2 * (65 * 48 - (55 * 34 + 40 * 14)) * 1.0,
    "rd": 1.2 * (390 - 55) * 2 * 1.0,
    "wr": 1.2 * (500 - 55) * 2 * 1.0,
    "ref": 1.2 * (250 - 55) * 260 * 1.0,
    "io_bit": 0.8,
}

COMPONENTS = [
    {"name": "pe_array", "kind": "mac_array", "count": 16384, "a_precision": "bf16", "b_precision": "bf16"},
    {"name": "ifmap_sram", "kind": "sram", "capacity_bytes": 1 << 20, "width_bits": 1024, "buffer": "ifmap"},
    {"name": "filter_sram", "kind": "sram", "capacity_bytes": 1 << 20, "width_bits": 512, "banks": 4,
     "buffer": "filter"},
    {"name": "ofmap_sram", "kind": "sram", "capacity_bytes": 1 << 19, "width_bits": 256, "buffer": "ofmap"},
    {"name": "pe_rf", "kind": "register_file", "count": 16384, "width_bits": 16, "entries": 256},
    {"name": "psum_sram", "kind": "sram", "capacity_bytes": 4096, "width_bits": 32, "buffer": "psum"},
    {"name": "dram", "kind": "dram", "standard": "ddr4", "interface_bytes_per_s": 19.2e9},
    {"name": "hbm", "kind": "dram", "standard": "hbm2"},
]


def _ops(rng, n):
    prec = [("int8", "int8"), ("bf16", "bf16"), ("int8", "int4"), ("bf16", "int4"), ("fp16", "fp16")]
    pick = rng.integers(0, len(prec), n)
    return pd.DataFrame({
        "name": [f"op{i}" for i in range(n)],
        "a_precision": [prec[i][0] for i in pick],
        "b_precision": [prec[i][1] for i in pick],
        "macs": rng.integers(0, 10**9, n),
        "sram_ifmap_read_bytes": rng.integers(0, 10**8, n),
        "sram_ifmap_write_bytes": rng.integers(0, 10**8, n),
        "sram_filter_read_bytes": rng.integers(0, 10**8, n),
        "sram_filter_write_bytes": rng.integers(0, 10**8, n),
        "sram_ofmap_read_bytes": rng.integers(0, 10**8, n),
        "sram_ofmap_write_bytes": rng.integers(0, 10**8, n),
        "sram_psum_read_bytes": rng.integers(0, 10**8, n),
        "sram_psum_write_bytes": rng.integers(0, 10**8, n),
        "rf_access_count": rng.integers(0, 10**9, n),
        "dram_read_bytes": rng.integers(0, 10**8, n),
        "dram_write_bytes": rng.integers(0, 10**8, n),
        "dram_act_count": rng.integers(0, 10**5, n),
        "dram_rd_count": rng.integers(0, 10**6, n),
        "dram_wr_count": rng.integers(0, 10**6, n),
        "dram_pre_count": rng.integers(0, 10**5, n),
        "dram_ref_count": rng.integers(0, 10**3, n),
        "cycles": rng.integers(1, 10**7, n),
    })


def _expected_dynamic_pj(ops, node):
    f = ef(node)
    e = np.array([MAC[(a, b)] for a, b in zip(ops.a_precision, ops.b_precision, strict=True)]) * ops.macs * f
    e = e + (ops.sram_ifmap_read_bytes + ops.sram_ifmap_write_bytes) * sram_pj_per_byte(1 << 20, 1024) * f
    e = e + (ops.sram_filter_read_bytes + ops.sram_filter_write_bytes) * sram_pj_per_byte((1 << 20) / 4, 512) * f
    e = e + (ops.sram_ofmap_read_bytes + ops.sram_ofmap_write_bytes) * sram_pj_per_byte(1 << 19, 256) * f
    e = e + (ops.sram_psum_read_bytes + ops.sram_psum_write_bytes) * sram_pj_per_byte(4096, 32) * f
    e = e + ops.rf_access_count * RF16 * f
    # DRAM is off-chip: not node-scaled
    e = e + (ops.dram_act_count * DDR4["act"] + ops.dram_rd_count * DDR4["rd"] + ops.dram_wr_count * DDR4["wr"]
             + ops.dram_ref_count * DDR4["ref"] + (ops.dram_read_bytes + ops.dram_write_bytes) * 8 * DDR4["io_bit"])
    e = e + (ops.dram_act_count * HBM2["act"] + ops.dram_rd_count * HBM2["rd"] + ops.dram_wr_count * HBM2["wr"]
             + ops.dram_ref_count * HBM2["ref"] + (ops.dram_read_bytes + ops.dram_write_bytes) * 8 * HBM2["io_bit"])
    return e.to_numpy(dtype=float)


@settings(max_examples=15, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), n=st.integers(1, 12), node=st.sampled_from([45, 32, 7]))
def test_total_energy_equals_sum_of_actions_times_energy(seed, n, node):
    ops = _ops(np.random.default_rng(seed), n)
    priced, summary = price(ops, COMPONENTS, node_nm=node, seconds=1.0, leakage=False)
    expected = _expected_dynamic_pj(ops, node)
    np.testing.assert_allclose(priced["energy_pj"].to_numpy(), expected, rtol=1e-9)
    assert summary["energy_j"] == pytest.approx(expected.sum() * 1e-12, rel=1e-9)
    assert summary["energy_static_j"] == 0.0
    assert summary["unpriced_actions"] == []


def test_component_columns_sum_to_energy_pj_with_static():
    ops = _ops(np.random.default_rng(1), 6)
    priced, summary = price(ops, COMPONENTS, node_nm=28, seconds=0.5)
    comp_cols = [c for c in priced.columns if c.startswith("energy_") and c != "energy_pj"]
    assert set(comp_cols) >= {f"energy_{c['name']}_pj" for c in COMPONENTS} | {"energy_static_pj"}
    np.testing.assert_allclose(priced[comp_cols].sum(axis=1), priced["energy_pj"], rtol=1e-12)
    assert priced["energy_pj"].sum() * 1e-12 == pytest.approx(summary["energy_j"], rel=1e-12)
    # static energy = leakage power x run time, spread by cycles
    assert summary["energy_static_j"] == pytest.approx(summary["power_static_w"] * 0.5)
    share = ops.cycles / ops.cycles.sum()
    np.testing.assert_allclose(priced["energy_static_pj"], summary["power_static_w"] * 0.5 * share * 1e12)
    assert summary["power_w"] == pytest.approx(summary["energy_j"] / 0.5)
    assert summary["area_mm2"] == pytest.approx(sum(v for k, v in summary.items()
                                                    if k.startswith("area_") and k.endswith("_mm2")
                                                    and k != "area_mm2"))
    assert summary["area_not_modelled"] == ["pe_rf"]
    cats = sum(summary[f"energy_{c}_j"] for c in ("compute", "rf", "sram", "noc", "dram", "pim", "other"))
    assert cats == pytest.approx(summary["energy_dynamic_j"])


def test_metrics_tops_and_tokens():
    ops = pd.DataFrame({"macs": [10**12], "a_precision": ["int8"], "b_precision": ["int8"]})
    comps = [{"name": "pe", "kind": "mac_array", "count": 65536, "a_precision": "int8"}]
    _, s = price(ops, comps, node_nm=45, seconds=2.0, tokens=100, leakage=False)
    assert s["energy_j"] == pytest.approx(10**12 * 0.3e-12)
    assert s["throughput_tops"] == pytest.approx(1.0)
    assert s["tops_per_w"] == pytest.approx(1.0 / (0.3 / 2.0))
    assert s["area_mm2"] == pytest.approx(65536 * (282 + 137) * 1e-6)
    assert s["tops_per_mm2"] == pytest.approx(1.0 / s["area_mm2"])
    assert s["pj_per_token"] == pytest.approx(0.3 * 10**12 / 100)


def test_per_op_seconds():
    ops = pd.DataFrame({"macs": [0, 0]})
    comps = [{"name": "ctl", "kind": "controller", "area_mm2": 2.0, "leakage_w_per_mm2": 0.5}]
    priced, s = price(ops, comps, node_nm=28, seconds=[1.0, 3.0])
    np.testing.assert_allclose(priced["energy_pj"], [1e12, 3e12])
    assert s["energy_j"] == pytest.approx(4.0)
    assert s["power_w"] == pytest.approx(1.0)


def test_hbm2_dram_bytes_only_and_ddr4_streaming():
    ops = pd.DataFrame({"dram_read_bytes": [64 * 128], "dram_write_bytes": [0]})
    _, s = price(ops, [{"name": "d", "kind": "dram", "standard": "ddr4"}], seconds=1.0, leakage=False)
    # 128 bursts (a whole 8 KiB rank row) with one ACT+PRE
    expected = 128 * DDR4["rd"] + DDR4["act"] + 64 * 128 * 8 * DDR4["io_bit"]
    assert s["energy_j"] == pytest.approx(expected * 1e-12)
    _, s = price(ops, [{"name": "d", "kind": "dram", "standard": "hbm2"}], seconds=1.0, leakage=False)
    # HBM2 (IDD since issue 19): 128 bursts of 64 B = 8 KiB = 8 rows of 1 KiB (one ACT+PRE each), plus I/O
    expected = 128 * HBM2["rd"] + 8 * HBM2["act"] + 64 * 128 * 8 * HBM2["io_bit"]
    assert s["energy_j"] == pytest.approx(expected * 1e-12)
    _, s = price(ops, [{"name": "d", "kind": "dram", "standard": "lpddr5"}], seconds=1.0, leakage=False)
    assert s["energy_j"] == pytest.approx(64 * 128 * 8 * 4.0e-12)  # no IDD table: the cited per-bit figure


def test_ddr4_background_power():
    ops = pd.DataFrame({"dram_read_bytes": [0]})
    _, s = price(ops, [{"name": "d", "kind": "dram", "standard": "ddr4", "channels": 2}], seconds=1.0)
    refresh_w = 1.2 * (250 - 43) * 420 * 0.833e-12 / (9364 * 0.833e-9)
    assert s["power_dram_background_w"] == pytest.approx(16 * (1.2 * 43e-3 + refresh_w))
    assert s["energy_dram_background_j"] == pytest.approx(s["power_dram_background_w"])


def test_pim_in_bank_cheaper_than_external():
    ops = pd.DataFrame({"pim_mac_count": [1000], "pim_col_access_count": [10]})
    comps = [{"name": "pim", "kind": "pim", "count": 16, "unit_area_mm2": 0.2}]
    priced, s = price(ops, comps, node_nm=28, seconds=1e-6, leakage=False)
    from archsim.cost import build_model

    m = build_model(comps[0], 28)
    assert m.col_access() < m.external_col_access()
    assert s["energy_j"] == pytest.approx((1000 * m.mac() + 10 * m.col_access()) * 1e-12)
    assert m.mac() == pytest.approx(1.1 + 0.4)  # fp16 mult + fp16 add at the 45 nm-equivalent default
    assert s["area_mm2"] == pytest.approx(3.2)
    logic = build_model(dict(comps[0], placement="logic_die"), 28)
    assert logic.col_access() == pytest.approx(256 * (1.1 + 2.0))
    assert m.col_access() == pytest.approx(256 * 1.1)
    with pytest.raises(ConfigError, match=r"^component 'pim' placement must be one of bank, logic_die, not 'x'$"):
        build_model(dict(comps[0], placement="x"), 28)


def test_unpriced_action_is_reported():
    ops = pd.DataFrame({"macs": [5], "noc_hop_bytes": [100]})
    with pytest.warns(UserWarning, match="noc_hop_bytes"):
        _, s = price(ops, [{"name": "pe", "kind": "mac_array", "count": 4}], seconds=1.0)
    assert s["unpriced_actions"] == ["noc_hop_bytes"]


def test_unknown_kind_names_it():
    with pytest.raises(ConfigError, match=r"^component 'x' kind must be one of mac_array, .*, not 'tpu'$"):
        price(pd.DataFrame({"macs": [1]}), [{"name": "x", "kind": "tpu"}], seconds=1.0)


def test_unsupported_precision_names_it():
    ops = pd.DataFrame({"macs": [1], "a_precision": ["fp64"], "b_precision": ["fp64"]})
    with pytest.raises(ConfigError, match=r"^a_precision must be one of int4, .*, not 'fp64'$"):
        price(ops, [{"name": "pe", "kind": "mac_array", "count": 1}], seconds=1.0)
    with pytest.raises(ConfigError, match=r"^component 'pe' a_precision must be one of .*, not 'int2'$"):
        price(ops, [{"name": "pe", "kind": "mac_array", "count": 1, "a_precision": "int2"}], seconds=1.0)


def test_bad_inputs():
    ops = pd.DataFrame({"macs": [1]})
    pe = {"name": "pe", "kind": "mac_array", "count": 1}
    with pytest.raises(ConfigError, match=r"^component names must be unique, 'pe' appears twice$"):
        price(ops, [pe, pe], seconds=1.0)
    with pytest.raises(ConfigError, match=r"^seconds must be given"):
        price(ops, [pe])
    with pytest.raises(ConfigError, match=r"^seconds must be a positive number, not 0$"):
        price(ops, [pe], seconds=0)
    with pytest.raises(ConfigError, match=r"^component 'pe' count must be a positive integer, not 0$"):
        price(ops, [dict(pe, count=0)], seconds=1.0)
    with pytest.raises(ConfigError, match=r"^component 's' capacity_bytes is required$"):
        price(ops, [{"name": "s", "kind": "sram"}], seconds=1.0)
    with pytest.raises(ConfigError, match=r"^component 'd' standard must be one of ddr3, .*, not 'ddr9'$"):
        price(ops, [{"name": "d", "kind": "dram", "standard": "ddr9"}], seconds=1.0)
    with pytest.raises(ConfigError, match=r"^tokens must be a positive integer, not 0$"):
        price(ops, [pe], seconds=1.0, tokens=0)


def test_register_file_scales_with_size():
    from archsim.cost import build_model

    big = build_model({"name": "r", "kind": "register_file", "entries": 256}, 45).access()
    one = build_model({"name": "r", "kind": "register_file"}, 45).access()
    assert big == pytest.approx(RF16)
    assert one == pytest.approx(RF16 * (2 / 512) ** _sram_exponent())


def test_fpga_fabric_prices_resource_cycles_plus_static():
    from archsim.cost._tables import FPGA_UW_PER_MHZ

    # two stages: 100 DSP + 1000 LUT for 10 cycles; 2 BRAM36 + 1 URAM for 4 cycles (1 uW/MHz = 1 pJ/cycle)
    ops = pd.DataFrame({"macs": [1000, 0], "vector_op_count": [0, 10], "cycles": [10, 4], "dsp": [100, 0],
                        "lut": [1000, 0], "bram36": [0, 2], "uram": [0, 1], "ff": [0, 0]})
    comps = [{"name": "fabric", "kind": "fpga_fabric", "part": "xcu280", "freq_mhz": 300},
             {"name": "offchip", "kind": "dram", "standard": "hbm2", "interface_bytes_per_s": 460e9}]
    _, s = price(ops, comps, node_nm=28, seconds=2.0)
    c = {k: e.value for k, e in FPGA_UW_PER_MHZ.items()}
    assert s["energy_fabric_dsp_j"] == pytest.approx(100 * 10 * c["dsp"] * 1e-12)
    assert s["energy_fabric_j"] == pytest.approx((100 * 10 * c["dsp"] + 1000 * 10 * c["lut"] + 2 * 4 * c["bram36"]
                                                  + 4 * c["uram"]) * 1e-12)
    assert s["power_static_fabric_w"] == 3.575 and s["energy_static_j"] == pytest.approx(2 * 3.575)
    assert s["area_mm2"] == 0.0 and s["area_not_modelled"] == [] and s["unpriced_actions"] == []
    # toggle scales dynamic energy linearly; copies_column divides rows that add up over resident copies
    _, s2 = price(ops.assign(k=[2, 1]), [dict(comps[0], toggle=0.25, copies_column="k"), comps[1]], 28, 2.0)
    assert s2["energy_fabric_dsp_j"] == pytest.approx(s["energy_fabric_dsp_j"])
    assert s2["energy_fabric_uram_j"] == pytest.approx(2 * s["energy_fabric_uram_j"])


def test_fpga_fabric_needs_a_known_part_or_static_power():
    from archsim.core.errors import ConfigError

    ops = pd.DataFrame({"cycles": [1]})
    with pytest.raises(ConfigError, match="component 'fabric' part must be one of xcu280, xczu7ev, xcu250"):
        price(ops, [{"name": "fabric", "kind": "fpga_fabric", "part": "xc7a35t"}], 28, 1.0)
    _, s = price(ops, [{"name": "fabric", "kind": "fpga_fabric", "part": "xc7a35t", "static_w": 0.1}], 28, 1.0)
    assert s["energy_static_j"] == pytest.approx(0.1)
    with pytest.raises(ConfigError, match=r"component 'fabric' toggle must be in \(0, 1\], not 0"):
        price(ops, [{"name": "fabric", "kind": "fpga_fabric", "part": "xcu280", "toggle": 0}], 28, 1.0)


def test_price_result_merges_into_a_result():
    from archsim.core.result import Result
    from archsim.cost import price_result

    ops = pd.DataFrame({"macs": [10, 30], "cycles": [1, 3], "seconds": [1e-9, 3e-9]})
    res = Result(ops, {"total_cycles": 4, "seconds": 4e-9, "energy_j": None, "area_mm2": None, "design": "x"})
    comps = [{"name": "pe", "kind": "mac_array", "count": 4, "a_precision": "int8"}]
    out = price_result(res, comps, 45, tokens=2)
    assert out.summary["design"] == "x" and out.summary["total_cycles"] == 4
    assert out.summary["energy_dynamic_j"] == pytest.approx(40 * 0.3e-12)
    assert out.summary["area_mm2"] == pytest.approx(4 * 419e-6)
    assert out.ops["energy_pj"].sum() * 1e-12 == pytest.approx(out.summary["energy_j"])
    assert out.summary["pj_per_token"] == pytest.approx(out.summary["energy_j"] * 1e12 / 2)
