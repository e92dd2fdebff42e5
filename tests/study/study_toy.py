"""A small stand-in design for the study tests (not a model of real hardware).

``ToyArray`` is a rows x cols MAC array whose op latency is the textbook output-stationary
tile count times the tile latency; it exists so the sweep machinery can be tested without the
real systolic array.  It can be told to fail, to die, to be slow, and to log every evaluation.
"""

from __future__ import annotations

import math
import os
import signal
import time
from dataclasses import asdict, dataclass

import pandas as pd

from archsim.core import ConfigError, Result
from archsim.core.errors import require_positive_int
from archsim.workloads import Op, Trace


@dataclass(frozen=True)
class ToyArray:
    rows: int = 8
    cols: int = 8
    freq_mhz: float = 1000.0
    bandwidth_bytes_per_cycle: float = 64.0
    fail_rows: int = 0  # raise SimulationError-like RuntimeError when rows == fail_rows
    crash_rows: int = 0  # SIGKILL our own process when rows == crash_rows
    sleep_s: float = 0.0
    log_path: str = ""  # append one line per evaluation
    node_nm: float = 28.0  # technology node archsim.cost prices the parts at

    def __post_init__(self) -> None:
        require_positive_int("rows", self.rows)
        require_positive_int("cols", self.cols)
        if self.rows > 4096:
            raise ConfigError(f"rows must be at most 4096, not {self.rows}")

    def to_dict(self) -> dict:
        return asdict(self)

    @property
    def peak_flops_per_s(self) -> float:
        return 2.0 * self.rows * self.cols * self.freq_mhz * 1e6

    @property
    def peak_bandwidth_bytes_per_s(self) -> float:
        return self.bandwidth_bytes_per_cycle * self.freq_mhz * 1e6

    def components(self) -> list[dict]:
        """Parts for archsim.cost (archsim.simulate prices the run): the MAC array and an HBM2 interface."""
        return [{"name": "pe_array", "kind": "mac_array", "count": self.rows * self.cols, "a_precision": "bf16",
                 "b_precision": "bf16"},
                {"name": "dram", "kind": "dram", "standard": "hbm2",
                 "interface_bytes_per_s": self.peak_bandwidth_bytes_per_s}]

    def run(self, trace: Trace, exact: bool = False) -> Result:
        if self.log_path:
            with open(self.log_path, "a") as fh:
                fh.write(f"{self.rows},{self.cols},{os.getpid()}\n")
        if self.sleep_s:
            time.sleep(self.sleep_s)
        if self.rows == self.fail_rows:
            raise RuntimeError(f"toy failure at rows={self.rows}")
        if self.rows == self.crash_rows:
            os.kill(os.getpid(), signal.SIGKILL)
        rows = []
        for op in trace:
            if op.is_matrix:
                tiles = math.ceil(op.M / self.rows) * math.ceil(op.N / self.cols)
                cycles = tiles * (op.K + self.rows + self.cols - 1) * op.batch * op.count
                macs = op.macs
                dram = (op.M * op.K + op.K * op.N + op.M * op.N) * 2 * op.batch * op.count
            else:
                cycles = math.ceil(op.M * op.N * op.batch / self.cols) * op.count
                macs = 0
                dram = 2 * op.M * op.N * 2 * op.batch * op.count
            mem_cycles = math.ceil(dram / self.bandwidth_bytes_per_cycle)
            cycles = max(cycles, mem_cycles)
            rows.append({
                "name": op.name, "kind": op.kind, "cycles": cycles, "macs": macs,
                "utilization": macs / (self.rows * self.cols * cycles),
                "dram_read_bytes": dram, "energy_mac_pj": 0.5 * macs, "energy_dram_pj": 10.0 * dram,
                "energy_pj": 0.5 * macs + 10.0 * dram,
            })
        ops = pd.DataFrame(rows)
        total = int(ops["cycles"].sum())
        seconds = total / (self.freq_mhz * 1e6)
        energy_j = float(ops["energy_pj"].sum()) * 1e-12
        summary = {"total_cycles": total, "seconds": seconds, "energy_j": energy_j,
                   "area_mm2": 0.01 * self.rows * self.cols, "power_w": energy_j / seconds}
        return Result(ops, summary)


def toy_trace(n_layers: int = 2, seq: int = 64, d: int = 128) -> Trace:
    """A tiny transformer-like trace."""
    ops = []
    for layer in range(n_layers):
        ops += [
            Op(f"L{layer}.qkv", "gemm", seq, d, 3 * d, layer=layer, phase="prefill"),
            Op(f"L{layer}.scores", "bmm", seq, d // 4, seq, batch=4, b_tensor="kv", layer=layer, phase="prefill"),
            Op(f"L{layer}.softmax", "softmax", seq, 1, seq, batch=4, b_tensor="none", layer=layer, phase="prefill"),
            Op(f"L{layer}.proj", "gemm", seq, d, d, layer=layer, phase="prefill"),
        ]
    return Trace.from_ops(ops)


def decode_trace(d: int = 128) -> Trace:
    return Trace.from_ops([Op("L0.qkv", "gemv", 1, d, 3 * d, phase="decode"),
                           Op("L0.proj", "gemv", 1, d, d, phase="decode")])
