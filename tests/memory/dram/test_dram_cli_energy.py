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


@pytest.mark.parametrize("name", list_specs())
def test_every_preset_has_command_energy(name):
    s = get_spec(name)
    stats = {"act_count": 10, "rd_count": 100, "wr_count": 50, "ref_count": 1, "refb_count": 0,
             "total_cycles": 10_000, "rank_active_cycles": 5_000}
    e = dram_energy(s, stats)
    assert e["act_j"] > 0 and e["rd_j"] > 0 and e["wr_j"] > 0 and e["ref_j"] > 0 and e["background_j"] > 0
    assert e["total_j"] == pytest.approx(sum(v for k, v in e.items() if k not in ("total_j", "per_bit_j")))


def test_standard_without_idd_table_reports_null(tmp_path, capsys):
    trace = tmp_path / "t.trace"
    trace.write_text("0x0 READ 0\n")
    spec = tmp_path / "s.yaml"
    spec.write_text("base: DDR4-3200\nstandard: ddr3x\n")
    assert main(["dram", "--spec", str(spec), "--trace", str(trace), "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["energy_j"] is None and "ddr3x" in out["energy_note"]
