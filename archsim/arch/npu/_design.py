"""The multi-core NPU: N cores (systolic array(s) + vector unit + scratchpad), DMA, interconnect, shared
L2 and DRAM.  See docs/npu.md.

Per matrix op the mapper (:mod:`archsim.dataflow.npu_partition`) lists candidate partitions (output
tile shapes, split-K) and keeps the fastest.  A work unit (one output tile, one K slice) runs on one
core: the core's tile is cut over its ``arrays_per_core`` arrays and each piece is run by the systolic
model (:class:`archsim.arch.SystolicArray`, fast or exact) with the core's scratchpad as its double-
buffered SRAMs and, as its memory port, the core's share of the shared level (L2 if any, else DRAM)
behind the interconnect (with ``cluster_multicast``, cores of a cluster share one operand tile fetched once).
Units run in waves over the cores (``gemm_schedule``: whole waves, stream-K, or the faster of the two); the
op takes ``max(waves x unit cycles, DRAM cycles of the op's traffic) + memory latency + launch overhead``
(DMA streams overlap compute across waves: double buffering), plus a split-K reduction phase.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

import numpy as np
import pandas as pd

from archsim.arch.systolic import SystolicArray
from archsim.core.clock import Clock
from archsim.core.design import DesignBase
from archsim.core.errors import (
    ConfigError,
    require_choice,
    require_nonneg_int,
    require_positive_int,
    require_positive_number,
)
from archsim.core.fields import short_repr
from archsim.core.progress import tick
from archsim.core.result import Result, build_result
from archsim.core.vocab import check_dram_standard, check_node
from archsim.dataflow.attention import DECODE_MODES, causal_block_fraction, decode_partition, plan_fused_attention
from archsim.dataflow.npu_partition import PARTIAL_BYTES, Partition, candidate_partitions
from archsim.dataflow.registry import dataflow_names
from archsim.dataflow.systolic import systolic_compute_cycles
from archsim.memory.interface import BandwidthMemory, MemoryPort
from archsim.workloads.op import PRECISION_BYTES, PRECISIONS, VECTOR_FLOPS_PER_ELEMENT, Op
from archsim.workloads.trace import Trace
from archsim.workloads.trace import as_ops as _as_ops

NOCS = ("crossbar", "mesh")
ATTENTION_MODES = ("fused", "unfused")
EXECUTION_MODES = ("eager", "graph")
CAPACITY_CHECKS = ("error", "report", "off")
DECODE_PARTITIONS = ("auto", "none", "split_k", "stream_k")
GEMM_SCHEDULES = ("waves", "stream_k", "auto")
_VECTOR_KINDS = tuple(VECTOR_FLOPS_PER_ELEMENT)
_SUM_COLS = ("cycles", "compute_cycles", "stall_memory_cycles", "stall_launch_cycles", "macs",
             "dram_read_bytes", "dram_write_bytes", "noc_hop_bytes", "vector_op_count", "rf_access_count",
             "sram_ifmap_read_bytes", "sram_ifmap_write_bytes", "sram_filter_read_bytes",
             "sram_filter_write_bytes", "sram_ofmap_read_bytes", "sram_ofmap_write_bytes",
             "core_busy_cycles", "dram_busy_cycles", "vector_busy_cycles", "sram_l2_read_bytes", "sram_l2_write_bytes")


#: Upper bounds of count fields: the fast model's time and memory grow linearly with ``cores`` (about 3.5 us
#: per core: 2^20 cores, the size of a wafer-scale engine such as Cerebras WSE-2's 850k cores, take ~4 s
#: per op; 2^40 would exhaust memory); the other bounds are far above any published design.
_FIELD_MAX = {"cores": 2**20, "arrays_per_core": 2**10, "core_rows": 2**16, "core_cols": 2**16, "mac_depth": 2**10,
              "vector_lanes": 2**20, "dma_engines": 2**16, "max_split_k": 2**16, "k_step": 2**20,
              "cluster_multicast": 16}


@dataclass(frozen=True)
class NpuDesign(DesignBase):
    """A multi-core NPU.

    Attributes:
        name: label.
        cores: number of cores (SMs for GPU-class presets).
        core_rows, core_cols: PE array of each systolic array.
        arrays_per_core: systolic arrays per core (tensor cores per SM, MXUs per TensorCore).
        dataflow: ``os`` | ``ws`` | ``is`` of the arrays.
        a_precision, b_precision: the arrays' base operand formats.
        mac_rate: MACs per PE per cycle by op precision (e.g. ``{"int8": 2}``); missing = 1.
        mac_efficiency: achievable fraction of the arrays' ``mac_rate`` per op precision in matrix (GEMM/GEMV/
            BMM) kernels (sustained clock x issue efficiency, a measured figure; fused attention keeps the
            datasheet rate); missing = 1.
        mac_depth: MAC pipeline depth, cycles.
        freq_mhz: core clock, MHz.
        scratchpad_bytes: per-core scratchpad (bytes), split 3/8 ifmap, 3/8 filter, 1/4 ofmap over the
            core's arrays (each array double-buffers its share).
        scratchpad_gbps: bandwidth of one core's scratchpad port into (and out of) its arrays' operand
            buffers, GB/s: a work unit's compute takes at least the bytes its arrays move through that
            port / this rate (default 1e6: never the bound for any preset, i.e. arrays never wait on their
            scratchpad; an assumption, no preset gives a measured figure).
        k_step: K elements the DMA moves per double-buffered step of a work unit.
        vector_lanes: vector-unit lanes per core.
        vector_cost: lane-cycles per element by vector op kind (missing = ``VECTOR_FLOPS_PER_ELEMENT``).
        l2_bytes: shared last-level buffer (bytes), 0 = none (cores go through the NoC to DRAM).
        l2_bandwidth_gbps: L2 -> cores bandwidth, GB/s (used when ``l2_bytes`` > 0).
        l2_latency_ns: L2 hit latency, ns.
        noc: ``crossbar`` (one hop core <-> memory side) or ``mesh`` (cores on a near-square grid, memory
            on one edge: average hops (grid rows + 1) / 2; a column shares its edge link).
        noc_hop_cycles: latency per hop, cycles.
        noc_link_gbps: bandwidth of one link (a core's port), GB/s; None (default) = the DRAM rate
            ``memory_bandwidth_gbps``, so a lone core is never capped below DRAM by an unstated NoC figure.
        dma_engines: DMA engines per core; a core's port moves at most ``dma_engines x dma_gbps``.
        dma_gbps: bandwidth of one DMA engine, GB/s; None (default) = ``memory_bandwidth_gbps / dma_engines``.
        memory_bandwidth_gbps, memory_latency_ns: DRAM peak bandwidth (GB/s) and latency (ns).
        memory: None (bandwidth model) or ``{"kind": "dram", "spec": NAME, "stacks": n, ...}`` (the
            cycle-level DRAM: ``n`` independent stacks/devices, traffic interleaved evenly).
        dram_standard: reported to the cost model.
        tile_shapes: output tile shapes (M, N) the mapper may use.
        max_split_k: largest split-K factor the mapper may use.
        launch_overhead_ns: host launch gap per kernel/op, ns: paid only with ``execution: eager``.
        execution: ``eager`` (every kernel pays ``launch_overhead_ns`` of host launch, e.g. PyTorch eager)
            or ``graph`` (CUDA-graph replay / a serving engine: no host cost, only ``kernel_floor_ns``).
        kernel_floor_ns: device-side fixed time of every matrix/attention kernel (grid launch, prologue,
            drain), ns; paid in both execution modes.
        vector_kernel_floor_ns: the same for elementwise/norm kernels (None = ``kernel_floor_ns``).
        memory_efficiency: achievable fraction of ``memory_bandwidth_gbps`` for streams (bandwidth model
            only; the cycle-level DRAM model has its own efficiency).
        memory_bytes: device memory capacity, bytes (None = not modelled).
        capacity_check: ``error`` (a run of a Trace whose weights + KV cache + activations exceed
            ``memory_bytes`` raises ConfigError), ``report`` (summary ``fits: false`` instead) or ``off``.
        gemm_schedule: ``waves`` (units dealt in whole waves: the last one may be partial), ``stream_k``
            (a persistent kernel deals the units' K iterations evenly over the cores: no wave quantization,
            plus a fix-up of the tiles split between cores) or ``auto`` (per op the faster modelled of the two,
            as GPU libraries' heuristics pick a data-parallel or a stream-K kernel).
        cluster_multicast: cores of a cluster that share one operand tile fetched once from the shared level
            (Hopper thread-block clusters with TMA multicast: cores along M share the B tile); 1 = none.
        misaligned_efficiency: fraction of the array rate left when a GEMM's K or N row pitch is not a multiple
            of 16 bytes (GPU libraries then fall back to kernels without 16-byte vector / TMA loads); 1 = no effect.
        vector_gemv: matrix ops with M = 1 may run on the vector units (a GEMV path) when faster.
        fp32_on_vector: true-fp32 matrix ops run on the vector units (GPU CUDA cores) instead of the arrays
            (``tf32`` is the arrays' fp32 mode).
        attention: ``fused`` (FlashAttention-style, split-KV decode) or ``unfused``.
        causal_skip: fused prefill attention skips the K/V blocks above the causal diagonal (FlashAttention-2).
        decode_partition: decode attention over the cores: ``none`` (one work item per KV head), ``split_k``
            (flash-decoding: each KV head's keys cut into ``ceil(cores / units)`` chunks), ``stream_k`` (Lean
            Attention: all keys of all heads dealt evenly over the cores) or ``auto`` (the fastest modelled).
        node_nm: technology node, nm.
        source: citation of the configuration.
    """

    design_type = "npu"

    name: str = "npu"
    cores: int = 4
    core_rows: int = 128
    core_cols: int = 128
    arrays_per_core: int = 1
    dataflow: str = "ws"
    a_precision: str = "bf16"
    b_precision: str = "bf16"
    mac_rate: Mapping[str, float] = field(default_factory=dict, hash=False)
    mac_efficiency: Mapping[str, float] = field(default_factory=dict, hash=False)
    mac_depth: int = 1
    freq_mhz: float = 1000.0
    scratchpad_bytes: int = 8 << 20
    scratchpad_gbps: float = 1e6
    k_step: int = 32
    vector_lanes: int = 128
    vector_cost: Mapping[str, float] = field(default_factory=dict, hash=False)
    l2_bytes: int = 0
    l2_bandwidth_gbps: float = 2000.0
    l2_latency_ns: float = 100.0
    noc: str = "crossbar"
    noc_hop_cycles: int = 2
    noc_link_gbps: float | None = None
    dma_engines: int = 2
    dma_gbps: float | None = None
    memory_bandwidth_gbps: float = 1000.0
    memory_latency_ns: float = 200.0
    memory: Mapping[str, Any] | None = field(default=None, hash=False)
    dram_standard: str = "hbm2"
    tile_shapes: tuple = ((128, 128), (256, 128), (128, 256), (64, 128), (128, 64), (64, 64))
    max_split_k: int = 8
    launch_overhead_ns: float = 0.0
    execution: str = "eager"
    kernel_floor_ns: float = 0.0
    vector_kernel_floor_ns: float | None = None
    memory_efficiency: float = 1.0
    memory_bytes: int | None = None
    capacity_check: str = "error"
    gemm_schedule: str = "waves"
    cluster_multicast: int = 1
    misaligned_efficiency: float = 1.0
    vector_gemv: bool = True
    fp32_on_vector: bool = False
    attention: str = "fused"
    causal_skip: bool = True
    decode_partition: str = "auto"
    node_nm: float = 7.0
    source: str = ""

    def __post_init__(self) -> None:
        if not isinstance(self.name, str) or not self.name:
            raise ConfigError(f"name must be a non-empty string, not {self.name!r}")
        for f in ("cores", "core_rows", "core_cols", "arrays_per_core", "mac_depth", "scratchpad_bytes",
                  "vector_lanes", "dma_engines", "max_split_k", "k_step", "cluster_multicast"):
            object.__setattr__(self, f, require_positive_int(f, getattr(self, f), _FIELD_MAX.get(f, 2**53)))
        require_choice("dataflow", self.dataflow, dataflow_names())
        require_choice("a_precision", self.a_precision, PRECISIONS)
        require_choice("b_precision", self.b_precision, PRECISIONS)
        for f in ("noc_link_gbps", "dma_gbps"):
            if getattr(self, f) is not None:
                require_positive_number(f, getattr(self, f))
        for f in ("freq_mhz", "scratchpad_gbps", "l2_bandwidth_gbps",
                  "memory_bandwidth_gbps", "node_nm"):
            require_positive_number(f, getattr(self, f))
        check_node(self.node_nm)  # node and DRAM standard: checked now, not when the run is priced
        check_dram_standard("dram_standard", self.dram_standard)
        if self.vector_kernel_floor_ns is not None:
            require_positive_number("vector_kernel_floor_ns", self.vector_kernel_floor_ns)
        for f in ("l2_latency_ns", "memory_latency_ns", "launch_overhead_ns", "kernel_floor_ns"):
            v = getattr(self, f)
            if isinstance(v, bool) or not isinstance(v, (int, float)) or not (0 <= v < float("inf")):
                raise ConfigError(f"{f} must be a non-negative number, not {v!r}")
        require_nonneg_int("l2_bytes", self.l2_bytes)
        require_nonneg_int("noc_hop_cycles", self.noc_hop_cycles)
        require_choice("noc", self.noc, NOCS)
        require_choice("attention", self.attention, ATTENTION_MODES)
        require_choice("execution", self.execution, EXECUTION_MODES)
        require_choice("capacity_check", self.capacity_check, CAPACITY_CHECKS)
        require_choice("decode_partition", self.decode_partition, DECODE_PARTITIONS)
        require_choice("gemm_schedule", self.gemm_schedule, GEMM_SCHEDULES)
        for f in ("vector_gemv", "fp32_on_vector", "causal_skip"):
            if not isinstance(getattr(self, f), bool):
                raise ConfigError(f"{f} must be true or false, not {getattr(self, f)!r}")
        me = self.misaligned_efficiency
        if isinstance(me, bool) or not isinstance(me, (int, float)) or not 0 < me <= 1:
            raise ConfigError(f"misaligned_efficiency must be a number in (0, 1], not {me!r}")
        eff = self.memory_efficiency
        if isinstance(eff, bool) or not isinstance(eff, (int, float)) or not 0 < eff <= 1:
            raise ConfigError(f"memory_efficiency must be a number in (0, 1], not {eff!r}")
        if self.memory_bytes is not None:
            require_positive_int("memory_bytes", self.memory_bytes)
        for fname, table, allowed in (("mac_rate", self.mac_rate, PRECISIONS),
                                      ("vector_cost", self.vector_cost, _VECTOR_KINDS)):
            if not isinstance(table, Mapping):
                raise ConfigError(f"{fname} must be a mapping, not {table!r}")
            for k, v in table.items():
                require_choice(f"{fname} key", k, allowed)
                require_positive_number(f"{fname}[{k}]", v)
            object.__setattr__(self, fname, dict(table))
        if not isinstance(self.mac_efficiency, Mapping):
            raise ConfigError(f"mac_efficiency must be a mapping, not {self.mac_efficiency!r}")
        for k, v in self.mac_efficiency.items():
            require_choice("mac_efficiency key", k, PRECISIONS)
            if isinstance(v, bool) or not isinstance(v, (int, float)) or not 0 < v <= 1:
                raise ConfigError(f"mac_efficiency[{k}] must be a number in (0, 1], not {v!r}")
        object.__setattr__(self, "mac_efficiency", dict(self.mac_efficiency))
        bad_shapes = ConfigError(f"tile_shapes must be a non-empty list of [M, N] positive integers (at most "
                                 f"64 shapes of at most 2^20), not {short_repr(self.tile_shapes)}")
        if not isinstance(self.tile_shapes, (list, tuple)) or len(self.tile_shapes) > 64 or any(
                not isinstance(s, (list, tuple)) for s in self.tile_shapes):
            raise bad_shapes
        shapes = tuple(tuple(s) for s in self.tile_shapes)
        if not shapes or any(len(s) != 2 or not all(isinstance(x, int) and not isinstance(x, bool) and 0 < x <= 2**20
                                                    for x in s) for s in shapes):
            raise bad_shapes
        object.__setattr__(self, "tile_shapes", shapes)
        if self.memory is not None:
            if not isinstance(self.memory, Mapping) or self.memory.get("kind") not in ("dram", "bandwidth"):
                raise ConfigError(f"memory must be a mapping with kind 'dram' or 'bandwidth', not {self.memory!r}")
            if self.memory["kind"] == "dram" and "spec" not in self.memory:
                raise ConfigError("memory kind 'dram' needs a 'spec' (a DRAM preset name or fields)")
            object.__setattr__(self, "memory", dict(self.memory))
        self._core_array()  # the scratchpad must hold the smallest legal tile of every array

    # -- derived -------------------------------------------------------------
    @property
    def clock(self) -> Clock:
        """The core clock."""
        return Clock(self.freq_mhz)

    @property
    def pes(self) -> int:
        """MAC PEs of the whole chip."""
        return self.cores * self.arrays_per_core * self.core_rows * self.core_cols

    def peak_tflops(self, precision: str | None = None) -> float:
        """Return the peak dense matrix throughput, TFLOP/s (2 flops per MAC)."""
        rate = self.mac_rate.get(precision or self.a_precision, 1.0)
        return 2 * self.pes * rate * self.freq_mhz * 1e6 / 1e12

    @property
    def noc_hops(self) -> float:
        """Average hops between a core and the memory side."""
        if self.noc == "crossbar":
            return 1.0
        cols = math.ceil(math.sqrt(self.cores))
        rows = math.ceil(self.cores / cols)
        return (rows + 1) / 2

    def core_link_gbps(self) -> float:
        """Return the most a single core can move, GB/s (its link, its DMA engines, its mesh column)."""
        link = self.noc_link_gbps if self.noc_link_gbps is not None else self.memory_bandwidth_gbps
        if self.noc == "mesh":
            cols = math.ceil(math.sqrt(self.cores))
            link = link / math.ceil(self.cores / cols)
        dma = self.dma_gbps if self.dma_gbps is not None else self.memory_bandwidth_gbps / self.dma_engines
        return min(link, self.dma_engines * dma)

    def _dram_gbps(self) -> float:
        """Achievable DRAM bandwidth, GB/s (``memory_bandwidth_gbps x memory_efficiency``)."""
        return self.memory_bandwidth_gbps * self.memory_efficiency

    def _shared_gbps(self) -> float:
        return self.l2_bandwidth_gbps if self.l2_bytes else self._dram_gbps()

    def memory_capacity_bytes(self) -> int | None:
        """Return the device memory capacity in bytes (``memory_bytes``; None = not modelled)."""
        return self.memory_bytes

    def peaks(self) -> dict:
        """Return ``{"flops_per_s": {precision: FLOP/s}, "dram_bytes_per_s": datasheet DRAM bytes/s}``."""
        precs = set(self.mac_rate) | {self.a_precision}
        flops = {p: self.peak_tflops(p) * 1e12 for p in sorted(precs)}
        if self.fp32_on_vector:
            flops["fp32"] = 2.0 * self.cores * self.vector_lanes * self.freq_mhz * 1e6
        return {"flops_per_s": flops, "dram_bytes_per_s": self.memory_bandwidth_gbps * 1e9}

    def _shared_latency_ns(self) -> float:
        base = self.l2_latency_ns if self.l2_bytes else self.memory_latency_ns
        return base + self.noc_hops * self.noc_hop_cycles * 1e3 / self.freq_mhz

    def _core_array(self) -> SystolicArray:
        """The systolic model of one array of a core, fed from the scratchpad (``scratchpad_gbps``)."""
        sp = self.scratchpad_bytes // self.arrays_per_core
        return _array(self.core_rows, self.core_cols, self.dataflow, self.a_precision, self.b_precision,
                      self.mac_depth, self.freq_mhz, sp * 3 // 8, sp * 3 // 8, sp - 2 * (sp * 3 // 8),
                      self.scratchpad_gbps, 0.0, self.node_nm)

    def _dram_port(self, exact: bool) -> tuple[MemoryPort, int]:
        """Return (a port of one DRAM stack/device, number of identical stacks sharing the traffic)."""
        spec = dict(self.memory or {"kind": "bandwidth"})
        kind = spec.pop("kind")
        if kind == "bandwidth":
            return BandwidthMemory.from_rate(self._dram_gbps(), self.memory_latency_ns, self.freq_mhz), 1
        stacks = spec.pop("stacks", 1)
        require_positive_int("memory stacks", stacks)
        key = (repr(sorted(spec.items())), self.freq_mhz, bool(exact))
        port = _DRAM_PORTS.get(key)
        if port is None:
            from archsim.memory.dram import DramMemory

            name = spec.pop("spec", None)
            if name is None:
                raise ConfigError("memory kind 'dram' needs a 'spec' (a DRAM preset name or fields)")
            port = _DRAM_PORTS[key] = DramMemory(name, self.clock, exact=exact, **spec)
        return port, stacks

    def components(self) -> list[dict]:
        """Return the design's parts as plain dicts for ``archsim.cost`` (docs/architecture.md)."""
        arr = self._core_array()
        parts = [
            {"name": "pe_array", "kind": "mac_array", "count": self.pes, "a_precision": self.a_precision,
             "b_precision": self.b_precision, "acc_precision": arr.mac_pe.acc_precision},
            {"name": "pe_rf", "kind": "register_file", "count": self.pes, "width_bits": 16},
            {"name": "vector_unit", "kind": "vector_unit", "count": self.cores * self.vector_lanes,
             "precision": "fp32"},
        ]
        for b in arr.buffers():
            c = b.component()
            c["count"] = self.cores * self.arrays_per_core
            parts.append(c)
        if self.l2_bytes:
            parts.append({"name": "l2", "kind": "sram", "capacity_bytes": self.l2_bytes, "width_bits": 1024,
                          "buffer": "l2"})
        parts.append({"name": "noc", "kind": "noc", "topology": self.noc, "count": self.cores})
        parts.append({"name": "dram", "kind": "dram", "standard": self.dram_standard,
                      "interface_bytes_per_s": self.memory_bandwidth_gbps * 1e9})
        return parts

    # -- simulation ------------------------------------------------------------
    def run(self, trace: Trace | Iterable[Op] | Op, exact: bool = False) -> Result:
        """Return the Result of running ``trace`` op after op (fast model, or ``exact``: every core tile on
        the exact systolic model and the cycle-level DRAM per request)."""
        from archsim.core.fields import strict_bool

        exact = strict_bool("exact", exact)
        ops = _as_ops(trace)
        # a Trace is one step of a model: its weights, KV cache and activations must be resident together
        # (plain op lists, e.g. cost probes that batch unrelated pieces, are not checked)
        capacity = self._check_capacity(ops) if isinstance(trace, Trace) else {}
        rows, memo = [], {}
        i = 0
        while i < len(ops):
            op = ops[i]
            group = _attention_group(ops, i) if self.attention == "fused" else None
            if group is not None:
                key = ("attn",) + tuple(_key(o) for o in group)
                base = memo.get(key) or self._run_fused_attention(*group, exact=exact)
                memo[key] = base
                rows.append(self._row(_fused_op(*group), base, "fused_attention"))
                tick(3)  # progress bar of the CLI, when one is open
                i += 3
                continue
            key = _key(op)
            if key not in memo:
                memo[key] = self._run_matrix(op, exact) if op.is_matrix else self._run_vector(op, exact)
            tick()
            rows.append(self._row(op, memo[key], "cores" if op.is_matrix else "vector"))
            i += 1
        df = pd.DataFrame(rows)
        for c in df.columns:
            if c.endswith(("_bytes", "_count")) and df[c].isna().any():
                df[c] = df[c].fillna(0).astype("int64")
        df["start_cycle"] = (df["cycles"].cumsum() - df["cycles"]).astype("int64")
        df["utilization"] = df["macs"] / (self.pes * df["cycles"]).clip(lower=1)
        df["core_utilization"] = df["core_busy_cycles"] / (self.cores * df["cycles"]).clip(lower=1)
        df["dram_utilization"] = df["dram_busy_cycles"] / df["cycles"].clip(lower=1)
        df["vector_utilization"] = df["vector_busy_cycles"] / (self.cores * df["cycles"]).clip(lower=1)
        df["seconds"] = df["cycles"] / (self.freq_mhz * 1e6)
        total = int(df["cycles"].sum())
        seconds = self.clock.cycles_to_seconds(total)
        macs = int(df["macs"].sum())
        per_core = [0] * self.cores
        for r in rows:
            for c, n in enumerate(r["_per_core_units"]):
                per_core[c] += n * r["unit_cycles"] * r["count"]
        df = df.drop(columns=["_per_core_units"])
        return build_result(
            df, design=self.name, total_cycles=total, seconds=seconds, exact=exact, schedule=self._schedule(df),
            macs=macs, utilization=macs / (self.pes * total) if total else 0.0,
            throughput_tops=2 * macs / seconds / 1e12 if seconds else 0.0,
            dram_read_bytes=int(df["dram_read_bytes"].sum()), dram_write_bytes=int(df["dram_write_bytes"].sum()),
            core_utilization=[b / total if total else 0.0 for b in per_core],
            dram_utilization=float(df["dram_busy_cycles"].sum() / total) if total else 0.0,
            vector_utilization=float(df["vector_busy_cycles"].sum() / (self.cores * total)) if total else 0.0,
            **capacity)

    def _schedule(self, df: pd.DataFrame) -> pd.DataFrame:
        """Return the timeline of a run (ops back to back): per op and core the core's work units on lane
        ``core<i>`` (``units`` spread over the cores, ``unit_cycles`` x ``count`` each), vector ops on
        ``vector``, the op's DRAM busy time on ``dram`` (from the op's start) and its launch overhead on
        ``host`` (at the op's end)."""
        sec = 1.0 / (self.freq_mhz * 1e6)
        t0 = df["start_cycle"].to_numpy() * sec
        cyc = df["cycles"].to_numpy() * sec
        launch = df["stall_launch_cycles"].to_numpy() * sec
        names, kinds = df["name"].to_numpy(), df["kind"].to_numpy()
        parts = []
        vec = (df["unit"] == "vector").to_numpy()
        if vec.any():
            parts.append(pd.DataFrame({"lane": "vector", "name": names[vec], "start_s": t0[vec],
                                       "dur_s": (df["compute_cycles"].to_numpy() * df["count"].to_numpy())[vec] * sec,
                                       "cat": kinds[vec]}))
        mat = np.flatnonzero(~vec)
        if len(mat):
            units = df["units"].to_numpy()[mat].astype(np.int64)
            c = np.arange(self.cores)
            n = units[:, None] // self.cores + (c[None, :] < units[:, None] % self.cores)  # units per core
            per_unit = (df["unit_cycles"].to_numpy() * df["count"].to_numpy())[mat] * sec
            r, k = np.nonzero(n)
            parts.append(pd.DataFrame({"lane": [f"core{i}" for i in k], "name": names[mat][r],
                                       "start_s": t0[mat][r], "dur_s": n[r, k] * per_unit[r],
                                       "cat": kinds[mat][r]}))
        busy = df["dram_busy_cycles"].to_numpy() > 0
        if busy.any():
            parts.append(pd.DataFrame({"lane": "dram", "name": names[busy], "start_s": t0[busy],
                                       "dur_s": df["dram_busy_cycles"].to_numpy()[busy] * sec, "cat": "dram"}))
        has = launch > 0
        if has.any():
            parts.append(pd.DataFrame({"lane": "host", "name": "launch", "start_s": (t0 + cyc - launch)[has],
                                       "dur_s": launch[has], "cat": "launch"}))
        out = pd.concat(parts, ignore_index=True)
        return out.sort_values("start_s", kind="stable", ignore_index=True)

    def _check_capacity(self, ops: list[Op]) -> dict:
        """Return the summary fields ``fits`` and ``footprint_bytes`` (weights + KV + activations) and raise
        ConfigError when the footprint exceeds ``memory_bytes`` and ``capacity_check`` is ``error``."""
        cap = self.memory_capacity_bytes()
        if cap is None or self.capacity_check == "off":
            return {}
        fp = memory_footprint(ops)
        fits = fp["total_bytes"] <= cap
        if not fits and self.capacity_check == "error":
            g = 1e9
            raise ConfigError(
                f"{self.name}: weights {fp['weight_bytes'] / g:.1f} GB + KV cache {fp['kv_bytes'] / g:.1f} GB + "
                f"activations {fp['act_bytes'] / g:.1f} GB = {fp['total_bytes'] / g:.1f} GB exceed the "
                f"{cap / g:.1f} GB memory; shard it (tensor parallelism: build_trace(..., tp=N) is one device's "
                f"share) or set capacity_check=report")
        return {"fits": bool(fits), "footprint_bytes": int(fp["total_bytes"]), "memory_capacity_bytes": int(cap)}

    def _row(self, op: Op, base: dict, unit: str) -> dict:
        row = {"name": op.name, "kind": op.kind, "M": op.M, "K": op.K, "N": op.N, "batch": op.batch,
               "count": op.count, "a_precision": op.a_precision, "b_precision": op.b_precision,
               "out_precision": op.out_precision, "layer": op.layer, "phase": op.phase, "unit": unit}
        for k, v in base.items():
            row[k] = v * op.count if (k in _SUM_COLS or (k.startswith("dram_") and k.endswith(("_count", "_bytes")))) \
                else v
        return row

    # -- pieces ------------------------------------------------------------------
    def _launch_cycles(self, launches: int = 1, vector: bool = False) -> int:
        """Fixed cycles of ``launches`` kernels: the device-side floor, plus the host gap when eager."""
        floor = self.vector_kernel_floor_ns if vector and self.vector_kernel_floor_ns is not None \
            else self.kernel_floor_ns
        ns = floor + (self.launch_overhead_ns if self.execution == "eager" else 0.0)
        return math.ceil(launches * ns * self.freq_mhz / 1e3 - 1e-9)

    def _dram(self, read_bytes: int, write_bytes: int, exact: bool, estimate: bool = False) -> tuple[int, dict]:
        """Return (cycles to move the bytes from an idle DRAM, DRAM action counts).

        ``estimate`` (mapper search): bytes x the DRAM's sustained cycles per byte, measured once on the
        port with a 64 MiB read stream; the chosen mapping is then run on the port itself.
        """
        if estimate:
            rate = _SUSTAINED.get(self._mem_key())
            if rate is None:
                end, _ = self._dram(64 << 20, 0, False)
                rate = _SUSTAINED[self._mem_key()] = end / (64 << 20)
            return math.ceil((read_bytes + write_bytes) * rate), {}
        key = (self._mem_key(), read_bytes, write_bytes, bool(exact))
        hit = _DRAM_MEMO.get(key)
        if hit is not None:
            return hit[0], dict(hit[1])
        port, n = self._dram_port(exact)
        port.reset()
        # traffic interleaved evenly over n identical stacks: one stack carries 1/n of it, the others alike
        rd, wr = -(-read_bytes // n), -(-write_bytes // n)
        end = port.transfer(0, 0, rd, False)
        end = max(end, port.transfer(0, 1 << 33, wr, True))
        acts = {a: int(v) * n for a, v in port.actions().items()}
        acts["dram_read_bytes"] = read_bytes
        acts["dram_write_bytes"] = write_bytes
        _DRAM_MEMO[key] = (end, dict(acts))
        return end, acts

    def _mem_key(self) -> tuple:
        return (repr(sorted((self.memory or {}).items())), self._dram_gbps(), self.memory_latency_ns,
                self.freq_mhz)

    def _rate(self, precision: str) -> float:
        """Sustained MACs per PE per cycle of ``precision``: ``mac_rate`` x ``mac_efficiency``."""
        return float(self.mac_rate.get(precision, 1.0)) * float(self.mac_efficiency.get(precision, 1.0))

    def _core_tile(self, m: int, k: int, n: int, prec: tuple[str, str, str], active: int, exact: bool,
                   counts: bool = True, on_vector: bool = False, share: tuple[int, int] = (1, 1),
                   sustained: bool = True) -> dict:
        """Return the timing and counts of one work unit (``m x k x n``) on one core.

        Compute: the unit's tile is cut over the core's arrays (a square number of arrays splits M and N,
        like a 2 x 2 warp layout; otherwise N) and each piece runs on the systolic model
        (:class:`SystolicArray`, fast or exact) fed from the scratchpad: the core's arrays move their operand
        buffers' bytes through one port of ``scratchpad_gbps``, so compute takes at least those bytes over
        that rate (the mapper's search, ``counts=False``, ranks partitions on compute alone).
        Data: the core's DMA streams the A and B slices of each ``k_step`` from the shared level (L2, or
        DRAM without L2) at the core's share of its bandwidth, double-buffered: the unit takes
        ``first step's load + max(compute, remaining loads) + C store`` cycles.  ``share`` = (cores sharing
        each A tile, cores sharing each B tile) of a multicast cluster: each fetches its 1/share of it.
        ``sustained``: the arrays run at ``mac_rate x mac_efficiency`` (matrix kernels), else at ``mac_rate``.
        """
        a = self.arrays_per_core
        sq = math.isqrt(a)
        if sq * sq == a and m >= sq * self.core_rows and n >= sq * self.core_cols:
            sm, sn = -(-m // sq), -(-n // sq)
        else:
            sm, sn = m, -(-n // a)
        if on_vector:  # CUDA-core / vector-unit path: one MAC per lane per cycle, no array fill or drain
            r = {"compute_cycles": -(-m * k * n // self.vector_lanes)}
        elif counts:
            r = _tile_run(self._core_array(), Op("tile", "gemm", sm, k, sn, 1, *prec), exact)
        else:  # mapper search: the same closed form the systolic model reports as compute_cycles
            r = {"compute_cycles": systolic_compute_cycles(self.core_rows, self.core_cols, sm, k, sn, self.dataflow,
                                                           self.mac_depth)}
        rate = 1.0 if on_vector else self._rate(prec[0]) if sustained else float(self.mac_rate.get(prec[0], 1.0))
        compute = math.ceil(r["compute_cycles"] / rate)
        if "dram_read_bytes" in r:  # the arrays' operand buffers fill (and drain) through the scratchpad port
            port_bytes = a * (r["dram_read_bytes"] + r["dram_write_bytes"])  # cycles = bytes / (B per cycle)
            compute = max(compute, math.ceil(port_bytes * self.freq_mhz / (self.scratchpad_gbps * 1e3)))
        a_b, b_b, o_b = (PRECISION_BYTES[x] for x in prec)
        link = min(self.core_link_gbps(), self._shared_gbps() / max(1, active))
        bpc = link * 1e3 / self.freq_mhz  # bytes per core cycle
        lat = math.ceil(self._shared_latency_ns() * self.freq_mhz / 1e3 - 1e-9)
        ks = min(self.k_step, k)
        sa, sb = share
        step_bytes = math.ceil((m / sa + n / sb) * ks * max(a_b, b_b))
        load_bytes = math.ceil(m * k * a_b / sa + k * n * b_b / sb)
        store_bytes = math.ceil(m * n * o_b)
        first = lat + math.ceil(step_bytes / bpc)
        rest = math.ceil(max(0, load_bytes - step_bytes) / bpc)
        store = lat + math.ceil(store_bytes / bpc)
        out = {key: v * a for key, v in r.items() if key not in ("cycles", "compute_cycles")}
        out["cycles"] = first + max(compute, rest) + store
        out["compute_cycles"] = compute
        out["l2_bytes_in"] = load_bytes + store_bytes
        out["partial_cycles"] = lat + math.ceil(m * n * PARTIAL_BYTES / bpc)  # one fp32 partial tile moved
        # the scratchpad is filled by the DMA (writes) and read by the arrays' buffers
        out["sram_ifmap_write_bytes"] = math.ceil(m * k * a_b)
        out["sram_filter_write_bytes"] = math.ceil(k * n * b_b)
        return out

    def _evaluate(self, p: Partition, op: Op, exact: bool, counts: bool = True, on_vector: bool = False) -> dict:
        prec = (op.a_precision, op.b_precision, op.out_precision if p.split_k == 1 else "fp32")
        tile = self._core_tile(p.tile_m, p.k_chunk, p.tile_n, prec, p.active_cores, exact, counts, on_vector,
                               self._multicast(p, on_vector))
        a_b, b_b, o_b = (PRECISION_BYTES[x] for x in (op.a_precision, op.b_precision, op.out_precision))
        tr = p.dram_traffic(a_b, b_b, o_b, self.l2_bytes if self.l2_bytes else 0)
        main_rd = tr["a_read"] + tr["b_read"]
        main_wr = tr["partial_write"] if p.split_k > 1 else tr["c_write"]
        dram_cycles, acts = self._dram(main_rd, main_wr, exact, estimate=not counts)
        compute = p.waves * tile["cycles"]
        if self.misaligned_efficiency < 1 and not on_vector and _misaligned(op):
            compute = math.ceil(compute / self.misaligned_efficiency)
        if self.gemm_schedule != "waves" and p.split_k == 1 and p.units > self.cores and p.units % self.cores:
            # persistent stream-K (Osama et al., "Stream-K", PPoPP 2023; CUTLASS 3 / cuBLAS on Hopper): the units'
            # K iterations are dealt evenly over the cores, so the last wave is not quantized; a tile split
            # between cores costs its fix-up: the non-owner stores an fp32 partial tile, the owner loads it back
            fixup = 2 * tile["partial_cycles"]
            sk = math.ceil(p.units * tile["cycles"] / self.cores) + fixup
            if self.misaligned_efficiency < 1 and not on_vector and _misaligned(op):
                sk = math.ceil(sk / self.misaligned_efficiency)
            if self.gemm_schedule == "stream_k" or sk < compute:
                compute = sk
        body = max(compute, dram_cycles)
        red_cycles = red_dram = red_vec = 0
        launches = 1
        if p.split_k > 1:
            adds = p.batch * p.M * p.N * (p.split_k - 1)
            red_vec = -(-adds // (self.cores * self.vector_lanes))
            red_dram, acts2 = self._dram(tr["partial_read"], tr["c_write"], exact, estimate=not counts)
            red_cycles = max(red_vec, red_dram)
            for k2, v in acts2.items():
                acts[k2] = acts.get(k2, 0) + v
            launches = 2
        launch = self._launch_cycles(launches)
        cycles = body + red_cycles + launch
        per_core = p.units_per_core()
        row = {
            "engine": "vector" if on_vector else "array",
            "tile_m": p.tile_m, "tile_n": p.tile_n, "split_k": p.split_k, "units": p.units, "waves": p.waves,
            "unit_cycles": tile["cycles"], "cycles": cycles, "compute_cycles": compute + red_vec,
            "stall_memory_cycles": cycles - launch - compute - red_vec, "stall_launch_cycles": launch,
            "macs": op.M * op.K * op.N * op.batch,
            "vector_op_count": p.batch * p.M * p.N * (p.split_k - 1) + (op.M * op.K * op.N * op.batch if on_vector
                                                                          else 0),
            "noc_hop_bytes": math.ceil(p.units * tile["l2_bytes_in"] * self.noc_hops),
            "core_busy_cycles": sum(per_core) * tile["cycles"], "dram_busy_cycles": dram_cycles + red_dram,
            "vector_busy_cycles": red_vec * self.cores + (sum(per_core) * tile["cycles"] if on_vector else 0),
            "_per_core_units": per_core,
        }
        for k2 in ("rf_access_count", "sram_ifmap_read_bytes", "sram_ifmap_write_bytes", "sram_filter_read_bytes",
                   "sram_filter_write_bytes", "sram_ofmap_read_bytes", "sram_ofmap_write_bytes"):
            row[k2] = int(tile.get(k2, 0)) * p.units
        if self.l2_bytes:  # L2 serves every unit's loads and stores; DRAM reads fill it
            row["sram_l2_read_bytes"] = p.units * tile["l2_bytes_in"]
            row["sram_l2_write_bytes"] = main_rd
        row.update(acts)
        return row

    def _multicast(self, p: Partition, on_vector: bool) -> tuple[int, int]:
        """Return (cores sharing an A tile, cores sharing a B tile) under ``cluster_multicast``: a cluster
        along M (tiles sharing their B columns) when there are enough tiles along M, else along N (sharing A),
        whichever saves more shared-level bytes."""
        c = self.cluster_multicast
        if c == 1 or on_vector or p.units < c:
            return (1, 1)
        opts = [(1, 1)]
        if p.tiles_m >= c:
            opts.append((1, c))
        if p.tiles_n >= c:
            opts.append((c, 1))
        return min(opts, key=lambda s: p.tile_m / s[0] + p.tile_n / s[1])

    def _run_matrix(self, op: Op, exact: bool) -> dict:
        """Map a matrix op: the fastest candidate partition on the arrays, or on the vector units for true
        fp32 (``fp32_on_vector``) and, when faster, for M = 1 (``vector_gemv``: the GEMV path)."""
        cands = candidate_partitions(op.M, op.K, op.N, op.batch, self.cores, self.tile_shapes, self.max_split_k)
        fp32_vec = self.fp32_on_vector and "fp32" in (op.a_precision, op.b_precision)
        engines = [True] if fp32_vec else ([False, True] if self.vector_gemv and op.M == 1 else [False])
        best = None
        for on_vec in engines:
            for p in cands:
                r = self._evaluate(p, op, False, counts=False, on_vector=on_vec)
                if best is None or r["cycles"] < best[1]["cycles"]:
                    best = (p, r, on_vec)
        return self._evaluate(best[0], op, exact, on_vector=best[2])

    def _run_vector(self, op: Op, exact: bool) -> dict:
        elems = op.batch * op.M * op.N
        cost = self.vector_cost.get(op.kind, VECTOR_FLOPS_PER_ELEMENT[op.kind])
        work = math.ceil(elems * cost)
        units = min(self.cores, elems)
        compute = -(-work // (units * self.vector_lanes))
        rd = math.ceil(elems * PRECISION_BYTES[op.a_precision])
        if op.b_tensor != "none":  # a second input of the same shape (residual add, SwiGLU multiply)
            rd += math.ceil(elems * PRECISION_BYTES[op.b_precision])
        wr = math.ceil(elems * PRECISION_BYTES[op.out_precision])
        dram_cycles, acts = self._dram(rd, wr, exact)
        launch = self._launch_cycles(vector=True)
        cycles = max(compute, dram_cycles) + launch
        per_core = [1 if c < units else 0 for c in range(self.cores)]
        row = {"engine": "vector", "tile_m": 0, "tile_n": 0, "split_k": 0, "units": units, "waves": 1,
               "unit_cycles": 0,
               "cycles": cycles, "compute_cycles": compute, "stall_memory_cycles": cycles - launch - compute,
               "stall_launch_cycles": launch, "macs": 0, "vector_op_count": work,
               "noc_hop_bytes": math.ceil((rd + wr) * self.noc_hops), "core_busy_cycles": 0,
               "dram_busy_cycles": dram_cycles, "vector_busy_cycles": compute * units, "_per_core_units": per_core,
               "rf_access_count": 0, "sram_ifmap_read_bytes": 0, "sram_ifmap_write_bytes": 0,
               "sram_filter_read_bytes": 0, "sram_filter_write_bytes": 0, "sram_ofmap_read_bytes": rd,
               "sram_ofmap_write_bytes": wr}
        row.update(acts)
        return row

    def _run_fused_attention(self, scores: Op, softmax: Op, context: Op, exact: bool) -> dict:
        """FlashAttention-style fused attention; decode (few query rows) partitioned along the KV length.

        Prefill: Q-outer tiling with half the scratchpad (:func:`plan_fused_attention`); work items are the
        Q blocks of all heads, each loading its Q block and streaming K/V at the core's share of the shared
        level; with ``causal_skip`` (prefill phase) only the K/V blocks up to the diagonal are computed and
        read (:func:`causal_block_fraction`).  Decode: :func:`decode_partition` (``decode_partition``: one
        mode, or ``auto`` = the fastest modelled of none / split-K / stream-K) plus a reduction on the
        vector units.
        """
        units, nq, d, nk = scores.batch, scores.M, scores.K, scores.N
        e = PRECISION_BYTES[scores.b_precision]
        o_b = PRECISION_BYTES[context.out_precision]
        heads = softmax.batch // scores.batch if softmax.batch >= scores.batch else 1
        rows_per_head = max(1, nq // heads)
        if rows_per_head * heads == nq and nq <= 64:  # decode-like: split the KV length over the cores
            modes = DECODE_MODES if self.decode_partition == "auto" else (self.decode_partition,)
            best = None
            for mode in modes:
                sk = decode_partition(units, nq, nk, d, self.cores, mode)
                split = sk.partial_write_bytes > 0
                per_item_rd = math.ceil(2 * sk.chunk * d * e + nq * d * e)
                per_item_wr = nq * (d + 2) * 4 if split else math.ceil(nq * d * o_b)
                rd_total = units * math.ceil(2 * nk * d * e + nq * d * e) + sk.partial_read_bytes
                wr_total = units * math.ceil(nq * d * o_b) + sk.partial_write_bytes
                row = self._attention_cost(scores, context, exact, sk.work_items, nq, sk.chunk, per_item_rd,
                                           per_item_wr, rd_total, wr_total, sk.reduce_flops,
                                           self._dram_gbps(), 1.0, sk.splits)
                row["decode_partition"] = mode
                if best is None or row["cycles"] < best["cycles"]:
                    best = row
            return best
        plan = plan_fused_attention(nq, nk, d, self.scratchpad_bytes // 2, e, "q_outer")
        frac = 1.0
        if self.causal_skip and scores.phase == "prefill" and nk >= rows_per_head:
            frac = causal_block_fraction(rows_per_head, nk, max(1, plan.block_q // heads), plan.block_kv) \
                if heads > 1 and plan.block_q >= heads else causal_block_fraction(rows_per_head, nk, plan.block_q,
                                                                                 plan.block_kv)
        items = units * plan.q_blocks
        kv_read = math.ceil(frac * (plan.read_bytes - nq * d * e)) + math.ceil(nq * d * e)
        per_item_rd = math.ceil(kv_read / plan.q_blocks)
        per_item_wr = math.ceil(plan.write_bytes / plan.q_blocks)
        rd_total, wr_total = units * kv_read, units * plan.write_bytes
        # Q blocks of the same head run side by side in a wave: when the K/V of the heads in flight fit
        # the L2, the K/V re-reads of the Q blocks hit the L2 and DRAM sees K/V once per head
        in_flight = min(units, -(-min(self.cores, items) // plan.q_blocks))
        kv_head = math.ceil(2 * nk * d * e)
        io_gbps = self._dram_gbps()
        if self.l2_bytes and in_flight * kv_head <= self.l2_bytes:
            rd_total = units * (math.ceil(nq * d * e) + kv_head)
            io_gbps = self._shared_gbps()
        kv_len = max(1, math.ceil(frac * nk))
        return self._attention_cost(scores, context, exact, items, plan.block_q, kv_len, per_item_rd, per_item_wr,
                                    rd_total, wr_total, 0, io_gbps, frac, 1)

    def _attention_cost(self, scores: Op, context: Op, exact: bool, items: int, q_rows: int, kv_len: int,
                        per_item_rd: int, per_item_wr: int, rd_total: int, wr_total: int, reduce_ops: int,
                        io_gbps: float, frac: float, splits: int) -> dict:
        """Return the op row of fused attention run as ``items`` work items of ``q_rows x kv_len`` each."""
        prec = (scores.a_precision, scores.b_precision, "fp32")
        d = scores.K
        active = min(self.cores, items)
        waves = -(-items // self.cores)
        # mac_efficiency is measured on GEMM kernels only: fused attention keeps the arrays' datasheet rate
        t1 = self._core_tile(q_rows, d, kv_len, prec, active, exact, sustained=False)
        t2 = self._core_tile(q_rows, kv_len, d, prec, active, exact, sustained=False)
        soft = math.ceil(q_rows * kv_len * self.vector_cost.get("softmax", VECTOR_FLOPS_PER_ELEMENT["softmax"]))
        vec = -(-soft // self.vector_lanes)
        share = min(self.core_link_gbps(), io_gbps / active)
        io = math.ceil((per_item_rd + per_item_wr) / (share * 1e3 / self.freq_mhz))
        unit_cycles = max(t1["cycles"] + t2["cycles"], vec, io)
        compute = waves * unit_cycles
        dram_cycles, acts = self._dram(rd_total, wr_total, exact)
        red = -(-reduce_ops // (self.cores * self.vector_lanes)) if reduce_ops else 0
        launch = self._launch_cycles(2 if reduce_ops else 1)
        cycles = max(compute, dram_cycles) + red + launch
        per_core = [items // self.cores + (1 if c < items % self.cores else 0) for c in range(self.cores)]
        macs = math.ceil(frac * (scores.M * scores.K * scores.N * scores.batch
                                 + context.M * context.K * context.N * context.batch))
        row = {"engine": "array", "tile_m": q_rows, "tile_n": kv_len, "split_k": splits, "units": items,
               "waves": waves, "unit_cycles": unit_cycles, "cycles": cycles,
               "compute_cycles": waves * max(t1["cycles"] + t2["cycles"], vec) + red,
               "stall_memory_cycles": max(0, cycles - launch - red - waves * max(t1["cycles"] + t2["cycles"], vec)),
               "stall_launch_cycles": launch, "macs": macs,
               "vector_op_count": items * soft + reduce_ops,
               "noc_hop_bytes": math.ceil((rd_total + wr_total) * self.noc_hops),
               "core_busy_cycles": sum(per_core) * unit_cycles, "dram_busy_cycles": dram_cycles,
               "vector_busy_cycles": items * vec + red * self.cores, "_per_core_units": per_core,
               "causal_fraction": frac}
        for k2 in ("rf_access_count", "sram_ifmap_read_bytes", "sram_ifmap_write_bytes", "sram_filter_read_bytes",
                   "sram_filter_write_bytes", "sram_ofmap_read_bytes", "sram_ofmap_write_bytes"):
            row[k2] = (int(t1.get(k2, 0)) + int(t2.get(k2, 0))) * items
        row.update(acts)
        return row


@lru_cache(maxsize=256)
def _array(rows, cols, dataflow, a_p, b_p, depth, freq, i_b, f_b, o_b, gbps, lat, node) -> SystolicArray:
    return SystolicArray(name="npu-core", rows=rows, cols=cols, dataflow=dataflow, a_precision=a_p, b_precision=b_p,
                         mac_depth=depth, freq_mhz=freq, ifmap_sram_bytes=i_b, filter_sram_bytes=f_b,
                         ofmap_sram_bytes=o_b, memory_bandwidth_gbps=gbps, memory_latency_ns=lat, node_nm=node)


_TILE_MEMO: dict[tuple, dict] = {}
_DRAM_PORTS: dict[tuple, MemoryPort] = {}
_DRAM_MEMO: dict[tuple, tuple] = {}
_SUSTAINED: dict[tuple, float] = {}


def _tile_run(arr: SystolicArray, op: Op, exact: bool) -> dict:
    """Return the systolic Result row (as a dict) of one core tile (memoized per array and shape)."""
    key = (arr, op.M, op.K, op.N, op.a_precision, op.b_precision, op.out_precision, exact)
    r = _TILE_MEMO.get(key)
    if r is None:
        rec = arr.op_totals(op, exact=exact)  # no Result/DataFrame/schedule per tile (serving runs thousands)
        r = {k: int(v) for k, v in rec.items() if isinstance(v, (int, float)) and k.endswith(
            ("_cycles", "_bytes", "_count", "macs")) or k == "cycles"}
        if len(_TILE_MEMO) > 4096:
            _TILE_MEMO.clear()
        _TILE_MEMO[key] = r
    return r


def _misaligned(op: Op) -> bool:
    """True when the K pitch of A or the N pitch of B is not a multiple of 16 bytes."""
    return (op.K * PRECISION_BYTES[op.a_precision]) % 16 != 0 or (op.N * PRECISION_BYTES[op.b_precision]) % 16 != 0


def memory_footprint(ops: Iterable[Op]) -> dict[str, int]:
    """Return the bytes a trace needs resident: ``weight_bytes`` (every weight operand, x count),
    ``kv_bytes`` (every KV-cache operand read, x count), ``act_bytes`` (the largest live set of one op:
    its inputs and output) and ``total_bytes``.  The embedding table is not in a trace and not counted."""
    w = kv = act = 0
    for op in ops:
        k_b = op.K if op.is_matrix else op.M  # an elementwise op's second input has its first's shape
        b = k_b * op.N * op.batch * PRECISION_BYTES[op.b_precision]
        a = op.M * (op.K if op.is_matrix else op.N) * op.batch * PRECISION_BYTES[op.a_precision]
        o = op.M * op.N * op.batch * PRECISION_BYTES[op.out_precision]
        if op.is_matrix and op.b_tensor == "weight":
            w += math.ceil(b) * op.count
        elif op.is_matrix and op.b_tensor == "kv":
            kv += math.ceil(b) * op.count
        live = a + o + (b if op.b_tensor == "act" else 0)
        act = max(act, math.ceil(live))
    return {"weight_bytes": w, "kv_bytes": kv, "act_bytes": act, "total_bytes": w + kv + act}


def _key(op: Op) -> tuple:
    return (op.kind, op.M, op.K, op.N, op.batch, op.a_precision, op.b_precision, op.out_precision)


def _attention_group(ops: list[Op], i: int) -> tuple[Op, Op, Op] | None:
    """Return (scores, softmax, context) if ops[i:i+3] are one attention (bmm, softmax, bmm on the same heads)."""
    if i + 2 >= len(ops):
        return None
    s, m, c = ops[i], ops[i + 1], ops[i + 2]
    if s.kind != "bmm" or m.kind != "softmax" or c.kind != "bmm":
        return None
    if not (s.name.endswith("scores") and c.name.endswith("context")):
        return None
    if s.batch != c.batch or s.N != c.K or s.K != c.N or s.M != c.M or s.count != c.count or m.count != s.count:
        return None
    return s, m, c


def _fused_op(s: Op, m: Op, c: Op) -> Op:
    name = s.name[: -len("scores")] + "fused"
    return Op(name, "bmm", s.M, s.K, s.N, s.batch, s.a_precision, s.b_precision, c.out_precision, s.b_tensor,
              s.layer, s.phase, s.count)
