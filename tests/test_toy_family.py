"""A new design family is one module plus its tests: a scalar MAC unit defined, registered and used here, with
no edit anywhere else, runs through ``archsim.simulate``, ``archsim run`` (the CLI), the conformance checks'
contract and an ``archsim.study`` sweep (docs/architecture.md, recipe "a new design family")."""

from __future__ import annotations

import functools
import json
import math
from dataclasses import dataclass, field
from typing import Any

import pandas as pd
import pytest

import archsim
from archsim.arch.registry import load_design, register_design_type, register_preset, unregister
from archsim.cli import main
from archsim.core.design import Design, DesignBase, check_peaks
from archsim.core.result import Result, build_result
from archsim.core.timeline import serial_schedule, trace_events, validate_trace_events
from archsim.workloads import PRECISION_BYTES, Op, Trace, as_ops


@dataclass(frozen=True)
class ScalarMac(DesignBase):
    """One MAC per cycle: the smallest design there is (a toy for the contract, not a model of hardware).

    An op takes ``max(MACs (+ vector elements), bytes / memory_bytes_per_cycle)`` cycles.
    """

    design_type = "scalar_mac"

    name: str = "scalar-mac"
    freq_mhz: float = 100.0
    memory_bytes_per_cycle: int = field(default=4, metadata={"unit": "bytes/cycle", "source": "toy"})
    node_nm: float = 45.0
    source: str = "toy design of tests/test_toy_family.py"

    def __post_init__(self) -> None:
        if self.memory_bytes_per_cycle <= 0 or self.freq_mhz <= 0:
            raise archsim.ConfigError("memory_bytes_per_cycle and freq_mhz must be positive")

    def run(self, trace: Trace | list[Op] | Op, exact: bool = False) -> Result:
        rows = []
        for op in as_ops(trace):
            a, b, o = (PRECISION_BYTES[p] for p in (op.a_precision, op.b_precision, op.out_precision))
            nbytes = math.ceil((op.M * op.K * a + op.K * op.N * b + op.M * op.N * o) * op.batch) * op.count
            work = op.macs if op.is_matrix else op.M * op.N * op.batch * op.count
            cycles = max(work, math.ceil(nbytes / self.memory_bytes_per_cycle))
            rows.append({"name": op.name, "kind": op.kind, "a_precision": op.a_precision,
                         "b_precision": op.b_precision, "cycles": cycles, "macs": op.macs if op.is_matrix else 0,
                         "vector_op_count": 0 if op.is_matrix else work, "dram_read_bytes": nbytes})
        ops = pd.DataFrame(rows)
        ops["seconds"] = ops["cycles"] / (self.freq_mhz * 1e6)
        total = int(ops["cycles"].sum())
        return build_result(ops, design=self.name, total_cycles=total, seconds=total / (self.freq_mhz * 1e6),
                            exact=exact, schedule=serial_schedule(ops["name"], "mac", ops["seconds"], ops["kind"]))

    def components(self) -> list[dict[str, Any]]:
        return [{"name": "mac", "kind": "mac_array", "count": 1, "a_precision": "int8", "b_precision": "int8",
                 "acc_precision": "int32"},
                {"name": "alu", "kind": "vector_unit", "count": 1, "precision": "fp32"},
                {"name": "dram", "kind": "dram", "standard": "ddr4",
                 "interface_bytes_per_s": self.memory_bytes_per_cycle * self.freq_mhz * 1e6}]

    def peaks(self) -> dict[str, Any]:
        return {"flops_per_s": {"int8": 2 * self.freq_mhz * 1e6},
                "dram_bytes_per_s": self.memory_bytes_per_cycle * self.freq_mhz * 1e6}


@pytest.fixture(autouse=True)
def registered():
    register_design_type(ScalarMac.design_type, ScalarMac.from_dict)
    register_preset("scalar-mac-test", ScalarMac(), ScalarMac.source)
    yield
    unregister("scalar-mac-test")
    unregister(ScalarMac.design_type)


OPS = [Op("fc", "gemm", 4, 8, 8, a_precision="int8", b_precision="int8", out_precision="int8"),
       Op("act", "act", 4, 1, 8, a_precision="int8", b_precision="int8", out_precision="int8")]


def test_contract_and_simulate():
    d = load_design("scalar-mac-test", memory_bytes_per_cycle=8)
    assert isinstance(d, Design) and d.memory_bytes_per_cycle == 8
    assert load_design({"type": "scalar_mac", "freq_mhz": 200.0}).freq_mhz == 200.0
    assert type(d).from_dict(d.to_dict()) == d
    check_peaks(d.peaks())
    r = archsim.simulate(d, OPS)
    assert r.summary["total_cycles"] == 4 * 8 * 8 + 4 * 8  # MAC-bound GEMM, then one cycle per element
    assert r.summary["energy_j"] > 0 and r.summary["unpriced_actions"] == []
    assert validate_trace_events(trace_events(r.schedule)) == 2
    with pytest.raises(archsim.ConfigError, match=r"^unknown design field 'rows'; allowed: freq_mhz, "):
        d.replace(rows=8)


def test_cli_run_and_designs(tmp_path, capsys):
    out = tmp_path / "t.json"
    assert main(["run", "--design", "scalar-mac-test", "--gemm", "4,8,8", "--precision", "int8", "--json",
                 "--timeline", str(out)]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["total_cycles"] == 4 * 8 * 8 and summary["design"] == "scalar-mac"
    assert validate_trace_events(json.loads(out.read_text())) == 1
    assert main(["designs", "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert {"name": "scalar-mac-test", "type": "ScalarMac", "family": "scalar_mac",
            "source": ScalarMac.source} in rows
    assert main(["run", "--design", "scalar-mac-test", "--set", "rows=8", "--gemm", "4,8,8"]) == 2
    assert capsys.readouterr().err.count("\n") == 1


def test_study_sweep():
    from archsim.study import sweep

    df = sweep(functools.partial(load_design, "scalar-mac-test"), {"memory_bytes_per_cycle": [1, 64]},
               {"tiny": Trace.from_ops(OPS)}, workers=1, progress=False)
    assert df["error"].isna().all()
    slow, fast = df.sort_values("memory_bytes_per_cycle")["total_cycles"]
    assert slow > fast == 4 * 8 * 8 + 4 * 8  # 1 byte/cycle is memory-bound, 64 is MAC-bound
    assert (df["energy_j"] > 0).all()
