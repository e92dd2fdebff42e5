"""PIM designs: bank-level PIM (HBM-PIM, AiM, PIM-GPT style) and logic-die PIM (Duplex style).

``PimDesign.run(trace)`` maps every GEMV-like op (``gemv``; ``bmm`` and ``gemm`` with ``M <= max_m``) onto
the PIM units (:func:`archsim.dataflow.gemv_pim.plan_gemv`) and runs the resulting command program on one
channel's :class:`archsim.memory.pim.PimChannel` (every used channel runs the same program in parallel),
carrying bank, refresh and timing state from op to op.  Other ops (norm, softmax, eltwise, act, large-M
GEMMs) run on the host/controller vector unit (``fallback="host"``: ``host_lanes`` lanes at
``host_freq_mhz``, activations assumed resident there) or raise ConfigError (``fallback="error"``).
Partial sums left by the mapping (lanes and K parts) are added on that vector unit after the op's
readout (serially: a conservative choice).

Logic-die placement (Duplex style): the units sit on the HBM base die and read the weights through the TSVs.
The weight stream runs on the cycle-level DRAM model (bank timing, row switches, refresh) of the organisation
the base die sees (:mod:`archsim.memory.pim.logic_die`: per-bank-group TSV paths by default), capped by the
TSV rate and the units' MAC rate: ``max(stream tCK, weight bytes / TSV bandwidth, MACs / (units x lanes x
unit clock))``.  The units buffer the op's ``M`` input rows, so weights cross the TSVs once per op repetition
(M <= ``max_m``).  Exact and fast paths are the same (the stream is simulated by the DRAM fast path, memoized).

Cycles are DRAM command-clock cycles (tCK of ``dram``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from archsim.core.design import DesignBase
from archsim.core.errors import (
    ConfigError,
    require_choice,
    require_nonneg_int,
    require_positive_int,
    require_positive_number,
)
from archsim.core.progress import tick
from archsim.core.result import Result, build_result
from archsim.core.timeline import serial_schedule
from archsim.core.vocab import check_node
from archsim.dataflow.gemv_pim import GemvPimPlan, plan_gemv
from archsim.memory.dram import DramSpec, load_spec
from archsim.memory.pim import ACT, ACT_AB, MAC_AB, MAC_SB, MODES, PRE, PRE_AB, RDACC, REF, WRGRF, PimChannel, PimSpec
from archsim.memory.pim.logic_die import PARALLELISM as LOGIC_DIE_PARALLELISM
from archsim.memory.pim.logic_die import internal_peak_gbps, stream_tck
from archsim.workloads.op import PRECISION_BYTES, VECTOR_FLOPS_PER_ELEMENT, Op
from archsim.workloads.trace import Trace, as_trace

PLACEMENTS = ("bank", "logic_die")
#: Most tile runs (repetitions x tiles) of one op on the PIM channel model: 2^20, about 9 minutes at the
#: ~0.5 ms a tile run measured on a 2-core machine; a larger op is refused up front with the estimate.
MAX_TILE_RUNS = 2**20
FALLBACKS = ("host", "error")
MATRIX_KINDS = ("gemv", "bmm", "gemm")
_PIM_FIELDS = ("banks_per_unit", "lanes", "precision", "acc_precision", "unit_freq_mhz", "grf_entries",
               "acc_entries", "pipeline_depth", "reduce", "col_interval_tck", "tFAW_AB", "row_buffers")


@dataclass(frozen=True)
class PimDesign(DesignBase):
    """A PIM-enabled memory system with a host/controller for the ops PIM does not run.

    Attributes:
        name: design name.
        dram: DRAM spec (preset name, ``{"base": preset, field: value}`` dict, or DramSpec fields dict).
        placement: ``bank`` (units next to the banks, driven by DRAM commands) or ``logic_die``.
        banks_per_unit .. row_buffers: the PIM units and timing (see :class:`archsim.memory.pim.PimSpec`).
        mode: ``all_bank`` (one command drives every unit of a channel) or ``single_bank``.
        refresh: keep JEDEC all-bank refresh running during PIM kernels.
        units_per_channel: logic-die units per (pseudo-)channel (bank placement derives it from the banks).
        tsv_count, tsv_gbps: logic-die data TSVs of the stack and their rate per TSV (Gb/s).
        tsv_parallelism: how the base die reads the banks (logic die): ``bank_group`` (a TSV path per bank
            group) or ``channel`` (through the pseudo-channel datapath); see :mod:`archsim.memory.pim.logic_die`.
        host_lanes, host_freq_mhz: the host/controller vector unit (reductions, fallback ops).
        fallback: ``host`` or ``error`` for ops PIM cannot run.
        max_m: largest M of a ``gemm``/``bmm`` run as M GEMVs re-streaming the weights.
        overlap_reduce: the host adds partial sums while the units run (op time = the longer of the two)
            instead of after the readout (the default, conservative).
        node_nm: logic node of the host/controller.
        source: citation of the configuration.
    """

    design_type = "pim"

    name: str = "pim"
    dram: Any = "hbm2"
    placement: str = "bank"
    banks_per_unit: int = 2
    lanes: int = 16
    precision: str = "fp16"
    acc_precision: str = "fp16"
    unit_freq_mhz: float = 300.0
    grf_entries: int = 8
    acc_entries: int = 8
    pipeline_depth: int = 4
    reduce: str = "host"
    col_interval_tck: int = 0
    tFAW_AB: int = 0
    row_buffers: str = "blocked"
    mode: str = "all_bank"
    refresh: bool = True
    units_per_channel: int = 0
    tsv_count: int = 1024
    tsv_gbps: float = 2.0
    tsv_parallelism: str = "bank_group"
    host_lanes: int = 64
    host_freq_mhz: float = 1000.0
    fallback: str = "host"
    max_m: int = 8
    overlap_reduce: bool = False
    node_nm: int = 28
    source: str = ""
    _pim: Any = field(default=None, init=False, repr=False, compare=False)
    _spec: Any = field(default=None, init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if not isinstance(self.name, str) or not self.name:
            raise ConfigError(f"name must be a non-empty string, not {self.name!r}")
        spec = load_spec(self.dram)
        object.__setattr__(self, "_spec", spec)
        require_choice("placement", self.placement, PLACEMENTS)
        require_choice("mode", self.mode, MODES)
        require_choice("fallback", self.fallback, FALLBACKS)
        for f in ("refresh", "overlap_reduce"):
            if not isinstance(getattr(self, f), bool):
                raise ConfigError(f"{f} must be true or false, not {getattr(self, f)!r}")
        require_nonneg_int("units_per_channel", self.units_per_channel)
        require_positive_int("tsv_count", self.tsv_count)
        require_positive_number("tsv_gbps", self.tsv_gbps)
        require_positive_int("host_lanes", self.host_lanes)
        require_positive_number("host_freq_mhz", self.host_freq_mhz)
        require_positive_int("max_m", self.max_m)
        require_positive_int("node_nm", self.node_nm)
        check_node(self.node_nm)  # the range archsim.cost prices: checked now, not when the run is priced
        if self.row_buffers == "dual" and self.mode != "all_bank":
            raise ConfigError(f"row_buffers 'dual' needs mode 'all_bank', not {self.mode!r}")
        if self.placement == "bank":
            pim = PimSpec(dram=spec, **{f: getattr(self, f) for f in _PIM_FIELDS})
            object.__setattr__(self, "_pim", pim)
        else:
            require_positive_int("lanes", self.lanes)
            require_positive_number("unit_freq_mhz", self.unit_freq_mhz)
            require_choice("precision", self.precision, ("fp16", "bf16", "int8"))
            require_choice("tsv_parallelism", self.tsv_parallelism, LOGIC_DIE_PARALLELISM)
            if self.units_per_channel == 0:
                raise ConfigError("units_per_channel must be a positive integer for placement 'logic_die', not 0")

    # ------------------------------------------------------------- description
    @property
    def dram_spec(self) -> DramSpec:
        """The DRAM spec."""
        return self._spec

    @property
    def pim(self) -> PimSpec | None:
        """The :class:`PimSpec` (bank placement) or None (logic die)."""
        return self._pim

    @property
    def a_precision(self) -> str:
        """Input-vector format of the units (for callers that ask every design for its precisions)."""
        return self.precision

    @property
    def b_precision(self) -> str:
        """Weight format of the units."""
        return self.precision

    @property
    def n_units(self) -> int:
        """PIM units in the whole system."""
        if self._pim is not None:
            return self._pim.n_units
        return self.units_per_channel * self._spec.n_channels

    @property
    def peak_flops(self) -> float:
        """First-principles peak: units x lanes x 2 FLOP x unit clock, in FLOP/s."""
        return self.n_units * self.lanes * 2 * self.unit_freq_mhz * 1e6

    @property
    def tsv_bandwidth_gbps(self) -> float:
        """Logic-die internal bandwidth: TSVs x rate / 8, in GB/s."""
        return self.tsv_count * self.tsv_gbps / 8

    @property
    def external_bandwidth_gbps(self) -> float:
        """Peak bandwidth of the external DRAM interface, GB/s."""
        return self._spec.peak_bandwidth_gbps

    @property
    def internal_bandwidth_gbps(self) -> float:
        """Bandwidth the units read weights at (bank: MAC command rate; logic die: the lower of the TSV rate
        and the DRAM-side peak of :func:`archsim.memory.pim.logic_die.internal_peak_gbps`), GB/s."""
        if self._pim is not None:
            return self._pim.internal_bandwidth_gbps
        return min(self.tsv_bandwidth_gbps, internal_peak_gbps(self._spec, self.tsv_parallelism))

    def peaks(self) -> dict[str, Any]:
        """Return the roofline peaks: ``flops_per_s`` {unit precision: FLOP/s} and ``dram_bytes_per_s``: the
        bandwidth the units read weights at (:attr:`internal_bandwidth_gbps`).  FLOP/s is :attr:`peak_flops`,
        or the host fallback's ``host_lanes x host clock`` (one FLOP per lane-cycle) where that is larger
        (fallback ``host``: the ops PIM cannot run go there; no preset's host is faster than its units)."""
        flops = self.peak_flops
        if self.fallback == "host":
            flops = max(flops, self.host_lanes * self.host_freq_mhz * 1e6)
        return {"flops_per_s": {self.precision: flops},
                "dram_bytes_per_s": self.internal_bandwidth_gbps * 1e9}

    def memory_capacity_bytes(self) -> int:
        """Return the capacity of the PIM DRAM (every channel of the spec), bytes."""
        return int(self._spec.capacity_bytes)

    def components(self) -> list[dict[str, Any]]:
        """Return the parts as plain dicts for archsim.cost (docs/architecture.md)."""
        s = self._spec
        return [
            {"name": "pim_units", "kind": "pim", "count": self.n_units, "precision": self.precision,
             "placement": self.placement,
             # bank: one column access feeds the unit's lanes; logic die: one burst of the pseudo-channel
             "col_bits": int(self.lanes * PRECISION_BYTES[self.precision] * 8) if self.placement == "bank"
             else int(s.access_bytes * 8)},
            # the spec's own standard: archsim.cost says where it has no energy figure for it (never relabelled)
            {"name": "dram", "kind": "dram", "standard": s.standard,
             "channels": s.n_channels,
             "interface_bytes_per_s": s.peak_bandwidth_gbps * 1e9},
            {"name": "host_vector", "kind": "vector_unit", "count": self.host_lanes, "precision": "fp32"},
        ]

    # ------------------------------------------------------------------- run
    def run(self, trace: Trace | list[Op] | Op, exact: bool = False) -> Result:
        """Return the Result of ``trace``: per-op cycles (tCK), actions and the summary."""
        from archsim.core.fields import strict_bool

        exact = strict_bool("exact", exact)
        trace = as_trace(trace)
        s = self._spec
        channel = PimChannel(self._pim, refresh=self.refresh) if self._pim is not None else None
        rows = []
        for op in trace:
            rows.append(self._run_op(op, channel, exact))
            tick()  # progress bar of the CLI, when one is open
        ops = pd.DataFrame(rows)
        total = int(ops["cycles"].sum())
        seconds = total * s.tCK_ns * 1e-9
        useful = float(ops["useful_macs"].sum())
        resident = int(ops["resident_bytes"].sum())
        schedule = serial_schedule(ops["name"], ops["unit"], ops["cycles"] * s.tCK_ns * 1e-9, ops["kind"])
        return build_result(
            ops, design=self.name, total_cycles=total, seconds=seconds, exact=exact, schedule=schedule,
            clock_mhz=s.freq_mhz, peak_tflops=self.peak_flops / 1e12,
            throughput_tops=2 * useful / seconds / 1e12 if seconds else 0.0,
            internal_bandwidth_gbps=self.internal_bandwidth_gbps,
            external_bandwidth_gbps=self.external_bandwidth_gbps,
            capacity_bytes=s.capacity_bytes,
            # operand B of every PIM op (weights x layers, KV caches) must be resident in the PIM DRAM
            pim_resident_bytes=resident, fits_in_memory=resident <= s.capacity_bytes)

    def _is_pim_op(self, op: Op) -> bool:
        return op.kind == "gemv" or (op.kind in ("bmm", "gemm") and op.M <= self.max_m)

    def _run_op(self, op: Op, channel: PimChannel | None, exact: bool) -> dict[str, Any]:
        base = {"name": op.name, "kind": op.kind, "M": op.M, "K": op.K, "N": op.N, "batch": op.batch,
                "count": op.count, "a_precision": op.a_precision, "b_precision": op.b_precision,
                "unit": "pim" if self._is_pim_op(op) else "host"}
        zeros = dict.fromkeys(("cycles", "compute_cycles", "stall_overhead_cycles", "stall_host_reduce_cycles",
                               "useful_macs", "pim_mac_count", "pim_col_access_count", "dram_read_bytes",
                               "dram_write_bytes", "dram_act_count", "dram_pre_count", "dram_ref_count",
                               "pim_mac_cmd_count", "pim_grf_cmd_count", "pim_readout_cmd_count",
                               "pim_tsv_bytes", "vector_op_count"), 0)
        row = {**base, **zeros, "utilization": 0.0, "resident_bytes": 0}
        if not self._is_pim_op(op):
            if self.fallback == "error":
                raise ConfigError(f"op {op.name!r} kind {op.kind!r} (M={op.M}) cannot run on PIM; allowed: gemv, "
                                  f"bmm/gemm with M <= {self.max_m} (or set fallback 'host')")
            flops = VECTOR_FLOPS_PER_ELEMENT.get(op.kind, 2 * op.K)
            vec = op.M * op.N * op.batch * flops * op.count
            row["vector_op_count"] = vec
            row["cycles"] = self._host_tck(vec)
            row["stall_overhead_cycles"] = row["cycles"]
            return row
        if op.a_precision != self.precision or op.b_precision != self.precision:
            # PIM units compute in their own format; the op's formats are kept for pricing (Result.ops)
            pass
        row["resident_bytes"] = int(op.K * op.N * op.batch * PRECISION_BYTES[self.precision]) * op.count
        if self.placement == "logic_die":
            return self._logic_die(op, row)
        pim = self._pim
        plan = self.plan(op)
        used = plan.channels_used
        runs = op.count * len(plan.tiles)
        if runs > MAX_TILE_RUNS:  # each repetition is stepped (refresh state carries over): refuse up front
            raise ConfigError(
                f"op {op.name!r}: {op.count:,} repetitions x {len(plan.tiles):,} PIM tiles = {runs:,} tile runs, more "
                f"than the {MAX_TILE_RUNS:,} archsim steps per op (~0.5 ms each: about {runs * 5e-4:.3g} s); "
                f"lower its count or split it")
        before = dict(channel.counts)
        cycles = 0
        for _ in range(op.count):
            start, end = channel.run(list(plan.tiles), self.mode, exact)
            cycles += end - start
        d = {k: channel.counts[k] - before[k] for k in before}
        reduce_tck = self._host_tck(plan.reduce_adds) * op.count
        mac_cmds = d[MAC_AB] + d[MAC_SB]
        compute = plan.mac_cmds * pim.col_interval * op.count
        total = max(cycles, reduce_tck) if self.overlap_reduce else cycles + reduce_tck
        row.update(
            cycles=total,
            compute_cycles=compute,
            stall_overhead_cycles=max(0, cycles - compute),
            stall_host_reduce_cycles=total - cycles,
            useful_macs=plan.useful_macs * op.count,
            pim_mac_count=(d[MAC_AB] * pim.units_per_channel + d[MAC_SB]) * pim.lanes * used,
            pim_col_access_count=(d[MAC_AB] * pim.units_per_channel + d[MAC_SB]) * used,
            dram_read_bytes=d[RDACC] * s_access(pim) * used,
            dram_write_bytes=d[WRGRF] * s_access(pim) * used,
            dram_act_count=(d[ACT_AB] * pim.dram.banks + d[ACT]) * used,
            dram_pre_count=(d[PRE_AB] * pim.dram.banks + d[PRE]) * used,
            dram_ref_count=d[REF] * pim.dram.n_channels,
            pim_mac_cmd_count=mac_cmds * used,
            pim_grf_cmd_count=d[WRGRF] * used,
            pim_readout_cmd_count=d[RDACC] * used,
            vector_op_count=plan.reduce_adds * op.count,
        )
        secs = row["cycles"] * pim.dram.tCK_ns * 1e-9
        row["utilization"] = row["useful_macs"] / (self.peak_flops / 2 * secs) if secs else 0.0
        return row

    def plan(self, op: Op) -> GemvPimPlan:
        """Return the PIM mapping of one GEMV-like op (bank placement)."""
        pim = self._pim
        if pim is None:
            raise ConfigError("plan needs placement 'bank', not 'logic_die'")
        return plan_gemv(op.K, op.N, op.batch, op.M, channels=pim.dram.n_channels,
                         units_per_channel=pim.units_per_channel, lanes=pim.lanes, grf_entries=pim.grf_entries,
                         acc_entries=pim.acc_entries, macs_per_row=pim.macs_per_row_window, reduce=pim.reduce,
                         acc_bytes=pim.acc_bytes, access_bytes=pim.dram.access_bytes)

    def command_log(self, op: Op, refresh: bool | None = None) -> list[tuple]:
        """Return one channel's command log ``(cycle, cmd, rank, bg, bank, row)`` for one repetition of ``op``
        (bank placement; names via :func:`archsim.memory.pim.command_name`, check with
        :class:`archsim.memory.pim.PimTimingChecker`)."""
        if not self._is_pim_op(op):
            raise ConfigError(f"op {op.name!r} kind {op.kind!r} does not run on PIM")
        if self._pim is None:
            raise ConfigError("command_log needs placement 'bank', not 'logic_die'")
        ch = PimChannel(self._pim, refresh=self.refresh if refresh is None else refresh, record=True)
        ch.run(list(self.plan(op).tiles), self.mode, exact=True)
        return list(ch.log)

    def _host_tck(self, ops: float) -> int:
        """tCK the host vector unit needs for ``ops`` lane operations."""
        if not ops:
            return 0
        host_cycles = math.ceil(ops / self.host_lanes)
        return math.ceil(host_cycles * self._spec.freq_mhz / self.host_freq_mhz - 1e-9)

    def _logic_die(self, op: Op, row: dict[str, Any]) -> dict[str, Any]:
        s = self._spec
        eb = PRECISION_BYTES[self.precision]
        wbytes = op.K * op.N * op.batch * eb
        macs = op.K * op.N * op.batch * op.M
        dram_tck = stream_tck(s, wbytes, self.tsv_parallelism)  # bank timing, row switches, refresh
        tsv_tck = wbytes / (self.tsv_bandwidth_gbps * s.tCK_ns)  # bytes / (bytes per tCK)
        mac_tck = macs / (self.n_units * self.lanes) * s.freq_mhz / self.unit_freq_mhz
        one = math.ceil(max(dram_tck, tsv_tck, mac_tck) - 1e-9)
        cycles = one * op.count
        bursts = math.ceil(wbytes / s.access_bytes)
        row.update(cycles=cycles, compute_cycles=math.ceil(mac_tck) * op.count,
                   stall_overhead_cycles=max(0, cycles - math.ceil(mac_tck) * op.count),
                   useful_macs=macs * op.count, pim_mac_count=macs * op.count,
                   # in-bank column accesses (activation + bank-to-TSV movement, priced by the pim component
                   # with placement logic_die); the weights cross the TSVs but not the interposer
                   pim_col_access_count=bursts * op.count, pim_tsv_bytes=int(wbytes) * op.count,
                   dram_act_count=math.ceil(wbytes / s.row_bytes) * op.count)
        secs = cycles * s.tCK_ns * 1e-9
        row["utilization"] = row["useful_macs"] / (self.peak_flops / 2 * secs) if secs else 0.0
        return row


def s_access(pim: PimSpec) -> int:
    """Bytes one WRGRF/RDACC command moves over the data bus (one column access)."""
    return pim.dram.access_bytes


__all__ = ["PLACEMENTS", "PimDesign"]
