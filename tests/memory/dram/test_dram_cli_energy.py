"""`archsim dram --json` prices its commands from IDD currents (DRAMPower-style), per-bit only as a cross-check."""

import json

import pytest

from archsim.cli import main
from archsim.cost import IDD_CURRENTS, dram_energy
from archsim.memory.dram import get_spec, list_specs


def test_hbm2_energy_is_the_idd_formula_over_the_command_counts(tmp_path, capsys):
    trace = tmp_path / "t.trace"
    trace.write_text("0x0 READ 0\n0x40 READ 0\n0x100000 WRITE 10\n")
    assert main(["dram", "--spec", "HBM2-2Gbps", "--trace", str(trace), "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    s = get_spec("HBM2-2Gbps")
    c = IDD_CURRENTS["hbm2"]
    dev = s.pc_bus_width // s.device_width
    pj = s.tCK_ns * dev * c["vdd"] * 1e-12
    act = (c["idd0"] * s.tRC - c["idd3n"] * s.tRAS - c["idd2n"] * s.tRP) * pj
    rd = (c["idd4r"] - c["idd3n"]) * s.burst_cycles * pj
    wr = (c["idd4w"] - c["idd3n"]) * s.burst_cycles * pj
    rank_cycles = out["total_cycles"] * s.n_channels
    bg = (c["idd3n"] * out["rank_active_cycles"] + c["idd2n"] * (rank_cycles - out["rank_active_cycles"])) * pj
    assert out["act_count"] == 3 and out["rd_count"] == 2 and out["wr_count"] == 1
    assert 0 < out["rank_active_cycles"] < rank_cycles
    assert out["energy_j"] == pytest.approx(3 * act + 2 * rd + wr + bg, rel=1e-12)
    assert "per_bit_j" in out["energy_breakdown_j"]


#: presets whose standard has no public IDD table (docs/dram.md, Energy): unpriced, never priced as another standard
UNPRICED = {"ddr5", "lpddr5", "hbm2e", "hbm3"}


@pytest.mark.parametrize("name", list_specs())
def test_every_preset_has_command_energy_or_says_why_not(name):
    s = get_spec(name)
    stats = {"act_count": 10, "rd_count": 100, "wr_count": 50, "ref_count": 1, "refb_count": 0,
             "total_cycles": 10_000, "rank_active_cycles": 5_000}
    if s.standard in UNPRICED:
        with pytest.raises(KeyError, match=f"no IDD table for DRAM standard '{s.standard}'"):
            dram_energy(s, stats)
        return
    e = dram_energy(s, stats)
    assert e["act_j"] > 0 and e["rd_j"] > 0 and e["wr_j"] > 0 and e["ref_j"] > 0 and e["background_j"] > 0
    assert e["total_j"] == pytest.approx(sum(v for k, v in e.items() if k not in ("total_j", "per_bit_j")))


@pytest.mark.parametrize("name", [n for n in list_specs() if get_spec(n).standard not in UNPRICED])
def test_energy_per_command_is_positive_and_from_the_cited_table(name):
    from archsim.cost import ALL_TABLES, command_energies_pj

    s = get_spec(name)
    e = command_energies_pj(s)
    c = IDD_CURRENTS[s.standard]
    assert "DRAMsim3 configs/" in c["source"]
    table = {"ddr4": "DDR4_8GB_X8_3200", "gddr6": "GDDR6_8GB_X16", "hbm2": "HBM2_8GB_X128"}[s.standard]
    t = ALL_TABLES[table]
    assert c["idd0"] == t["idd0"].value and c["idd4r"] == t["idd4r"].value and c["vdd"] == t["vdd"].value
    assert all(e[k] > 0 for k in ("act", "rd", "wr", "ref", "act_standby_per_ck", "pre_standby_per_ck"))
    dev = max(1, s.pc_bus_width // s.device_width)
    # RD: VDD x (IDD4R - IDD3N) x burst time x devices (mA x ns x V = pJ)
    assert e["rd"] == pytest.approx(c["vdd"] * (c["idd4r"] - c["idd3n"]) * s.burst_cycles * s.tCK_ns * dev)


def test_standard_without_idd_table_reports_null(tmp_path, capsys):
    trace = tmp_path / "t.trace"
    trace.write_text("0x0 READ 0\n")
    spec = tmp_path / "s.yaml"
    spec.write_text("base: DDR4-3200\nstandard: ddr3x\n")
    assert main(["dram", "--spec", str(spec), "--trace", str(trace), "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["energy_j"] is None and out["energy_note"] == "no IDD table for DRAM standard 'ddr3x'"


# Stated factors (a cross-check, not a fit): HBM2's cited 3.9 pJ/bit (O'Connor et al., MICRO 2017) is mostly core
# energy, so the core-only IDD figure should be within 2x; GDDR6's cited 7.5 pJ/bit (Micron GDDR6X brief) is
# dominated by I/O, which the IDD currents leave out, so only within 8x (measured: 0.97x and 0.19x, docs/dram.md).
@pytest.mark.parametrize(("name", "factor"), [("HBM2-2Gbps", 2.0), ("GDDR6-16Gbps", 8.0)])
def test_streaming_read_pj_per_bit_near_the_cited_figure(name, factor):
    import numpy as np

    from archsim.cost import ALL_TABLES
    from archsim.memory.dram import run_trace

    s = get_spec(name)
    stats, _ = run_trace(s, np.arange(5000, dtype=np.int64) * s.access_bytes)
    e = dram_energy(s, stats)
    pj_bit = e["total_j"] / (stats["rd_count"] * s.access_bytes * 8) * 1e12
    cited = ALL_TABLES["DRAM_PJ_PER_BIT"][s.standard].value
    assert cited / factor <= pj_bit <= cited * factor
    assert e["per_bit_j"] / (stats["rd_count"] * s.access_bytes * 8) * 1e12 == pytest.approx(cited)
