"""The FPGA dataflow engine design: dataflow, sequential and InTAR-style switched execution."""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from typing import Any

import pandas as pd

from archsim.arch.fpga._device import FpgaDevice, get_device
from archsim.arch.fpga._pipeline import STALL_CAUSES, PipeRun, PipeStage, simulate_exact, simulate_fast
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
from archsim.core.result import Result, build_result
from archsim.core.vocab import check_node
from archsim.dataflow.fpga_folding import (
    RESOURCES,
    FoldPlan,
    StageFold,
    add_resources,
    auto_fold,
    fold_op,
    overflow,
    stage_resources,
)
from archsim.workloads.op import Op
from archsim.workloads.trace import Trace, as_trace

MODES = ("dataflow", "sequential", "switched")
#: Buffer sizes (bits) from which buffers go to URAM; the folder tries each (36 Kb, 64 Kb, 144 Kb, never).
URAM_THRESHOLDS = (36 * 1024, 64 * 1024, 144 * 1024, 1 << 62)
WEIGHT_PLACEMENTS = ("auto", "onchip", "offchip")
ATTENTION = ("auto", "causal", "full")


@dataclass(frozen=True)
class FpgaEngine(DesignBase):
    """A streaming dataflow engine on an FPGA (FINN / hls4ml style), with three execution modes.

    Attributes:
        device: preset name (``zcu104``, ``u250``, ``u280``) or a device dict (see :class:`FpgaDevice`).
        freq_mhz: fabric clock, MHz.
        mode: ``dataflow`` (every op its own resident stage, tokens stream through FIFOs),
            ``sequential`` (one MVAU + one vector unit reused op by op, intermediates through
            off-chip memory) or ``switched`` (InTAR-style: a static per-op schedule of the two,
            ``reconfig_cycles`` per switch).
        max_utilization: fraction of each device resource the auto-folder may use (routing headroom).
        weights: ``onchip`` (all weights in BRAM/URAM), ``offchip`` (streamed through the memory
            port) or ``auto`` (on chip when every stage's weights fit in ``max_utilization`` of the
            block RAMs at full folding, else off chip).
        folding: explicit ``{op name: [simd, pe]}`` or ``[simd, pe, ii]`` per trace row (dataflow /
            switched groups); when any row is listed, rows not listed keep their auto folding.
        rows_per_token: rows of A per pipeline token (0 = auto: the smallest power of two for which
            re-streamed weights take no longer than compute).
        fifo_depth: depth of every inter-stage FIFO in tokens (0 = ``window + 2``).
        prefetch: off-chip chunks in flight per stage.
        attention: ``causal`` (score row k needs keys 0..k: streams), ``full`` (needs all keys:
            ``window = tokens - 1``) or ``auto`` (from the trace's model: decoders causal).
        seq_simd, seq_pe, seq_vector_lanes: the sequential engine's MVAU and vector lanes (0 = auto:
            the largest power-of-two square MVAU within budget, 64 vector lanes).
        schedule: switched mode: one of ``dataflow``/``sequential`` per trace row; empty = auto
            (InTAR rule: rows whose output exceeds ``switch_threshold_bytes`` run in dataflow).
        switch_threshold_bytes: auto schedule threshold (0 = 1 MiB).
        reconfig_cycles: cycles per switch between modes (drain + control; assumption).
        node_nm: technology node (UltraScale+ is 16 nm FinFET).
    """

    design_type = "fpga"

    device: str | dict = field(default="u280", metadata={"source": "device presets: archsim/arch/fpga/_device.py"})
    freq_mhz: float = field(default=300.0, metadata={
        "source": "assumption: 300 MHz default Vitis kernel clock on Alveo (UG1393), 200 MHz ZCU104 PL"})
    mode: str = "dataflow"
    max_utilization: float = 0.8
    weights: str = "auto"
    folding: dict = field(default_factory=dict)
    rows_per_token: int = 0
    fifo_depth: int = 0
    prefetch: int = 4
    attention: str = "auto"
    seq_simd: int = 0
    seq_pe: int = 0
    seq_vector_lanes: int = 0
    schedule: tuple = ()
    switch_threshold_bytes: int = 0
    reconfig_cycles: int = field(default=100, metadata={"unit": "cycles", "source": "assumption"})
    node_nm: int = field(default=16, metadata={"unit": "nm", "source": "UltraScale+ is 16 nm FinFET (Xilinx DS890)"})

    def __post_init__(self) -> None:
        get_device(self.device)
        require_positive_number("freq_mhz", self.freq_mhz)
        require_choice("mode", self.mode, MODES)
        require_choice("weights", self.weights, WEIGHT_PLACEMENTS)
        require_choice("attention", self.attention, ATTENTION)
        mu = self.max_utilization
        if isinstance(mu, bool) or not isinstance(mu, (int, float)) or not 0 < mu <= 1:
            raise ConfigError(f"max_utilization must be a number in (0, 1], not {short_repr(mu)}")
        for f in ("rows_per_token", "fifo_depth", "seq_simd", "seq_pe", "seq_vector_lanes",
                  "switch_threshold_bytes", "reconfig_cycles"):
            require_nonneg_int(f, getattr(self, f))
        # chunks in flight per stage: the stage simulation keeps one entry per chunk in flight (1024 is
        # far above any real DMA queue; 2^40 hung the run)
        require_positive_int("prefetch", self.prefetch, 1024)
        require_positive_int("node_nm", self.node_nm)
        check_node(self.node_nm)  # the range archsim.cost prices: checked now, not when the run is priced
        if not isinstance(self.folding, dict):
            raise ConfigError(f"folding must be a mapping of op name to [simd, pe], not {self.folding!r}")
        for name, sp in self.folding.items():
            if not (isinstance(sp, (list, tuple)) and len(sp) in (2, 3)):
                raise ConfigError(f"folding[{name!r}] must be [simd, pe] or [simd, pe, ii], not {sp!r}")
            for what, v in zip(("simd", "pe", "ii"), sp):
                require_positive_int(f"folding[{name!r}] {what}", v)
        if isinstance(self.schedule, (str, bytes)) or not isinstance(self.schedule, (list, tuple)):
            raise ConfigError(f"schedule must be a list of 'dataflow'/'sequential', not {short_repr(self.schedule)}")
        object.__setattr__(self, "schedule", tuple(self.schedule))
        object.__setattr__(self, "folding", {k: tuple(v) for k, v in self.folding.items()})
        for s in self.schedule:
            require_choice("schedule", s, ("dataflow", "sequential"))

    # -- description --------------------------------------------------------------------------
    @property
    def device_spec(self) -> FpgaDevice:
        """The :class:`FpgaDevice` this design runs on."""
        return get_device(self.device)

    @property
    def clock(self) -> Clock:
        """The fabric clock."""
        return Clock(self.freq_mhz)

    @property
    def name(self) -> str:
        """Label of the design: ``fpga-<device>-<mode>``."""
        return f"fpga-{self.device_spec.name}-{self.mode}"

    def peaks(self) -> dict[str, Any]:
        """Return the roofline peaks of the whole device: ``flops_per_s`` {precision: 2 x DSPs x MACs per DSP
        (:data:`archsim.dataflow.fpga_folding.MACS_PER_DSP` of its class) x fabric clock} for int8, int16,
        fp16, bf16 and fp32, and ``dram_bytes_per_s`` (the off-chip memory's peak)."""
        from archsim.dataflow.fpga_folding import MACS_PER_DSP, operand_class

        dev = self.device_spec
        hz = self.freq_mhz * 1e6
        flops = {p: 2.0 * dev.dsp * MACS_PER_DSP[operand_class(p, p)] * hz
                 for p in ("int8", "int16", "fp16", "bf16", "fp32")}
        return {"flops_per_s": flops, "dram_bytes_per_s": dev.offchip_gbps * 1e9}

    @property
    def source(self) -> str:
        """Where the device numbers come from."""
        return self.device_spec.source

    def components(self) -> list[dict[str, Any]]:
        """Return the parts of the design (the device fabric and its off-chip memory) as plain dicts.

        The used resources are per op row of :meth:`run`'s ops (columns ``dsp, bram36, uram, lut,
        ff``; the summary's ``<kind>_used`` are their totals), so the fabric's cost model reads them
        there rather than here.
        """
        dev = self.device_spec
        return [
            # Power: archsim.cost kind fpga_fabric prices the per-op resource columns (dsp, bram36, uram, lut,
            # ff: the resources of all `resource_copies` resident copies of the stage) x the row's cycles (summed
            # over copies) / copies, plus the part's static power (cited tables).
            {"name": "fabric", "kind": "fpga_fabric", "part": dev.part, "freq_mhz": self.freq_mhz,
             "node_nm": self.node_nm, "time_column": "cycles", "copies_column": "resource_copies",
             **{f"{k}_available": getattr(dev, k) for k in RESOURCES}},
            {"name": "offchip", "kind": "dram", "standard": dev.offchip,
             "interface_bytes_per_s": dev.offchip_gbps * 1e9},
        ]

    def default_memory(self) -> Any:
        """Return a bandwidth/latency MemoryPort for the device's off-chip memory at the fabric clock."""
        from archsim.memory.interface import BandwidthMemory

        dev = self.device_spec
        return BandwidthMemory.from_rate(dev.offchip_gbps, dev.offchip_latency_ns, self.freq_mhz)

    # -- running ------------------------------------------------------------------------------
    def run(self, trace: Trace | list[Op] | Op, exact: bool = False, memory: Any = None) -> Result:
        """Return the :class:`Result` of ``trace`` (cycles of the fabric clock; energy left to archsim.cost).

        ``memory`` is a MemoryPort (``transfer/reset/actions``); default :meth:`default_memory`.
        ``exact`` steps every cycle (slow; the fast path is event-driven and equal to it).
        Raises ConfigError when the design does not fit the device, SimulationError on deadlock.
        """
        from archsim.core.fields import strict_bool

        exact = strict_bool("exact", exact)
        trace = as_trace(trace)
        port = memory if memory is not None else self.default_memory()
        return _Runner(self, trace, port, exact).run()


# ------------------------------------------------------------------------------------------------
def _expand(ops: list[Op]) -> list[int]:
    """Return the execution order of trace rows: runs of rows sharing ``count > 1`` and ``layer`` repeat."""
    order: list[int] = []
    i = 0
    while i < len(ops):
        c, layer = ops[i].count, ops[i].layer
        j = i + 1
        if c > 1:
            while j < len(ops) and ops[j].count == c and ops[j].layer == layer:
                j += 1
        for _ in range(c):
            order.extend(range(i, j))
        i = j
    return order


class _Runner:
    def __init__(self, design: FpgaEngine, trace: Trace, port: Any, exact: bool) -> None:
        self.d = design
        self.dev = design.device_spec
        self.trace = trace
        self.ops = list(trace)
        self.port = port
        self.exact = exact
        self.budget = self.dev.budget(design.max_utilization)
        self.hard_budget = self.dev.budget(1.0)
        self.sim = simulate_exact if exact else simulate_fast
        self.attention_full = self._attention_full()
        self.bpc = self.dev.offchip_gbps * 1e9 / (design.freq_mhz * 1e6)
        self.cache: dict[tuple, tuple[PipeRun, list[StageFold], dict[str, int]]] = {}
        self.rows: list[dict[str, Any]] = [self._row_init(i, op) for i, op in enumerate(self.ops)]
        self.weights_onchip = self._weights_onchip()
        self.uram_min_bits = URAM_THRESHOLDS[1]
        #: timeline: (lane, op name, start cycle, end cycle, mode) of each stage of each group, groups back to back
        self.events: list[tuple[str, str, int, int, str]] = []
        self.t0 = 0

    # -- policy helpers -----------------------------------------------------------------------
    def _attention_full(self) -> bool:
        if self.d.attention != "auto":
            return self.d.attention == "full"
        model = self.trace.meta.get("model")
        if model is None:
            return False
        try:
            from archsim.workloads import get_model

            return getattr(get_model(model), "arch", "decoder") != "decoder"
        except Exception:  # unknown model name: keep streaming semantics
            return False

    def _weights_onchip(self) -> bool:
        if self.d.weights != "auto":
            return self.d.weights == "onchip"
        used: dict[str, int] = {}
        for op in self.ops:
            if op.b_tensor == "weight":
                f = fold_op(op)
                r = stage_resources(f, weights_onchip=True, fifo_depth=0)
                used = add_resources(used, {"bram36": r["bram36"], "uram": r["uram"]}, op.count)
        return not overflow(used, {k: self.budget[k] for k in ("bram36", "uram")})

    def _window(self, op: Op, tokens: int, dataflow: bool) -> int:
        if dataflow and op.kind == "bmm" and op.b_tensor == "act" and self.attention_full:
            return tokens - 1
        return 0

    def _fifo(self, window: int) -> int:
        return self.d.fifo_depth if self.d.fifo_depth else window + 2

    # -- folding ------------------------------------------------------------------------------
    def _plan(self, rows: list[int], copies: list[int], rpt: int) -> FoldPlan:
        """Fold the distinct trace ``rows`` (with ``copies``) for one resident configuration."""
        folds, depths = [], []
        for r in rows:
            op = self.ops[r]
            f = fold_op(op, rows_per_token=rpt)
            depths.append(self._fifo(self._window(op, f.tokens, True)))
            folds.append(f)
        # buffers go to URAM above a size threshold; try a few and keep the best-balanced plan
        best: FoldPlan | None = None
        least: dict[str, int] | None = None
        for budget in (self.budget, self.hard_budget):
            for thr in URAM_THRESHOLDS:
                try:
                    plan = auto_fold(folds, budget, copies=copies, weights_onchip=self.weights_onchip,
                                     fifo_depths=depths, prefetch=self.d.prefetch, use_uram=self.dev.uram > 0,
                                     uram_min_bits=thr)
                except ConfigError:
                    self.uram_min_bits = thr
                    used = {}
                    for f, d, c in zip(folds, depths, copies):
                        used = add_resources(used, self._stage_res(f, d), c)
                    if least is None or len(overflow(used, self.hard_budget)) < len(overflow(least, self.hard_budget)):
                        least = used
                    continue
                if best is None or plan.bottleneck_cycles < best.bottleneck_cycles:
                    best, best_thr = plan, thr
            if best is not None:
                break
        if best is None:
            self._check_fit(least or {}, "design (even fully folded, simd = pe = 1)")
            raise ConfigError(f"design does not fit within max_utilization = {self.d.max_utilization} of "
                              f"{self.dev.part} even fully folded")
        self.uram_min_bits = best_thr
        plan = best
        if not any(self.ops[r].name in self.d.folding for r in rows):
            return plan
        fixed = list(plan.folds)
        total: dict[str, int] = {}
        for i, r in enumerate(rows):
            name = self.ops[r].name
            if name in self.d.folding:
                simd, pe, *ii = self.d.folding[name]
                fixed[i] = fold_op(self.ops[r], simd, pe, ii=ii[0] if ii else 1, rows_per_token=rpt)
            total = add_resources(total, self._stage_res(fixed[i], depths[i]), copies[i])
        b = max(range(len(fixed)), key=lambda j: (fixed[j].busy_cycles, -j))
        return FoldPlan(tuple(fixed), tuple(copies), total, b, "explicit folding")

    def _stage_res(self, f: StageFold, depth: int) -> dict[str, int]:
        return stage_resources(f, weights_onchip=self.weights_onchip, fifo_depth=depth, prefetch=self.d.prefetch,
                               use_uram=self.dev.uram > 0, uram_min_bits=self.uram_min_bits)

    def _check_fit(self, used: dict[str, int], what: str) -> None:
        over = overflow(used, self.hard_budget)
        if over:
            raise ConfigError(f"{what} does not fit on {self.dev.part} ({self.dev.name}): " + ", ".join(over)
                              + " (required > available)")

    def _auto_rows_per_token(self, rows: list[int], copies: list[int]) -> int:
        if self.d.rows_per_token:
            return self.d.rows_per_token
        m = min(self.ops[r].M for r in rows)
        plan = self._plan(rows, copies, 1)
        compute = plan.bottleneck_cycles
        streamed = sum(c * f.b_bytes for f, c in zip(plan.folds, copies)
                       if f.b_tensor == "kv" or (f.b_tensor == "weight" and not self.weights_onchip))
        rpt = 1
        while rpt < m and math.ceil(m / rpt) * streamed / self.bpc > compute:
            rpt *= 2
        return min(rpt, m)

    # -- pipelines ----------------------------------------------------------------------------
    def _pipeline(self, seq: list[tuple[int, StageFold]], dataflow: bool) -> list[PipeStage]:
        """Build [stage..., store] for expanded items ``(row, fold)``; the first stage reads its input."""
        stages: list[PipeStage] = []
        addr = 0
        for idx, (r, f) in enumerate(seq):
            op = self.ops[r]
            streamed = f.is_matrix and (op.b_tensor == "kv" or (op.b_tensor == "weight" and not self.weights_onchip)
                                        or (op.b_tensor == "act" and not dataflow))
            window = self._window(op, f.tokens, dataflow) if idx else 0
            chunks = f.chunks if streamed else 1
            stages.append(PipeStage(
                name=f"{op.name}#{idx}", tokens=f.tokens, chunk_cycles=f.interval_cycles // chunks, chunks=chunks,
                depth_cycles=f.depth_cycles, preds=(idx - 1,) if idx else (),
                fifo_depths=(self._fifo(window),) if idx else (), window=window,
                read_bytes=f.chunk_bytes if streamed else 0,
                first_read_bytes=f.in_token_bytes if idx == 0 else 0, prefetch=self.d.prefetch,
                read_address=addr))
            addr += _align(f.b_bytes + f.in_token_bytes * f.tokens)
        last = seq[-1][1]
        stages.append(PipeStage(name="store", tokens=last.tokens, chunk_cycles=1, preds=(len(seq) - 1,),
                                fifo_depths=(self._fifo(0),), write_bytes=last.out_token_bytes,
                                prefetch=self.d.prefetch, write_address=addr))
        return stages

    def _run_group(self, key: tuple, seq: list[tuple[int, StageFold]], dataflow: bool) -> PipeRun:
        """Simulate one barrier-to-barrier group with a freshly reset port (memoized by ``key``)."""
        if key in self.cache:
            return self.cache[key][0]
        self.port.reset()
        run = self.sim(self._pipeline(seq, dataflow), self.port, 0)
        actions = dict(self.port.actions()) if hasattr(self.port, "actions") else {}
        self.cache[key] = (run, [f for _, f in seq], actions)
        return run

    def _account(self, key: tuple, seq: list[tuple[int, StageFold]], mode: str) -> int:
        run = self.cache[key][0]
        actions = self.cache[key][2]
        rd = sum(st.read_bytes for st in run.stages)
        wr = sum(st.write_bytes for st in run.stages)
        for idx, ((r, f), st) in enumerate(zip(seq, run.stages)):
            row = self.rows[r]
            # the last op of a group also owns the store of its output (the group ends with it)
            end = run.end_cycle if idx == len(seq) - 1 else st.end
            op = self.ops[r]
            lane = f"stage {idx}" if mode == "dataflow" else ("mvau" if op.is_matrix else "vector")
            first = st.first_start if st.first_start >= 0 else run.start_cycle
            self.events.append((lane, op.name, self.t0 + first - run.start_cycle, self.t0 + end - run.start_cycle,
                                mode))
            row["cycles"] += end - run.start_cycle
            row["compute_cycles"] += st.busy_cycles
            for c in STALL_CAUSES:
                row[f"stall_{c}_cycles"] += st.stalls[c]
            row["dram_read_bytes"] += st.read_bytes
            row["mode"] = mode
            row["simd"], row["pe"], row["folds"] = f.simd, f.pe, f.folds
            row["ii_cycles"], row["interval_cycles"] = f.ii, f.interval_cycles
            row["tokens"], row["rows_per_token"], row["depth_cycles"] = f.tokens, f.rows_per_token, f.depth_cycles
            row["lanes"] = f.lanes
        store = run.stages[-1]
        self.rows[seq[-1][0]]["dram_write_bytes"] += store.write_bytes
        outs = run.token_out[-1]
        if mode == "dataflow" and len(outs) >= 2 and len(outs) >= self.steady[0]:
            # steady-state period: gap between the last two outputs of the longest dataflow segment
            self.steady = (len(outs), outs[-1] - outs[-2], seq[0][1].rows_per_token)
        self.t0 += run.cycles
        self.totals["dram_read_bytes"] += rd
        self.totals["dram_write_bytes"] += wr
        for k, v in actions.items():
            if k not in ("dram_read_bytes", "dram_write_bytes"):
                self.totals[k] = self.totals.get(k, 0) + int(v)
        return run.cycles

    # -- modes --------------------------------------------------------------------------------
    def run(self) -> Result:
        self.totals: dict[str, Any] = {"dram_read_bytes": 0, "dram_write_bytes": 0}
        self.steady: tuple[int, int, int] = (0, 0, 0)
        order = _expand(self.ops)
        mode = self.d.mode
        if mode == "dataflow":
            cycles, used, bottleneck = self._run_dataflow(order, list(range(len(self.ops))))
            self._check_fit(used, "dataflow design")
            switches = 0
        elif mode == "sequential":
            cycles, used = self._run_sequential(order)
            bottleneck = None
            switches = 0
        else:
            cycles, used, bottleneck, switches = self._run_switched(order)
        return self._result(cycles, used, bottleneck, switches)

    def _run_dataflow(self, order: list[int], rows: list[int]) -> tuple[int, dict[str, int], tuple | None]:
        copies = [order.count(r) for r in rows]
        # group expanded order into segments of equal M (equal tokens)
        rpt = self._auto_rows_per_token(rows, copies)
        while True:
            try:
                plan = self._plan(rows, copies, rpt)
                break
            except ConfigError:
                if rpt == 1:
                    raise
                rpt //= 2
        fold_of = dict(zip(rows, plan.folds))
        total = 0
        seg: list[int] = []
        segments: list[list[int]] = []
        for r in order:
            if seg and self.ops[r].M != self.ops[seg[-1]].M:
                segments.append(seg)
                seg = []
            seg.append(r)
        segments.append(seg)
        for seg in segments:
            seq = [(r, fold_of[r]) for r in seg]
            key = ("df", tuple(seg), rpt)
            self._run_group(key, seq, True)
            total += self._account(key, seq, "dataflow")
        used = dict(plan.resources)
        # the store stage's FIFO (output of the last stage)
        b = plan.folds[plan.bottleneck]
        bottleneck = (self.ops[rows[plan.bottleneck]].name, b.busy_cycles, b.interval_cycles, plan.limited_by)
        for i, r in enumerate(rows):
            res = self._stage_res(plan.folds[i], self._fifo(self._window(self.ops[r], plan.folds[i].tokens, True)))
            for k in RESOURCES:
                self.rows[r][k] = res[k] * copies[i]
            self.rows[r]["resource_copies"] = copies[i]
        return total, used, bottleneck

    def _seq_engine(self) -> tuple[int, int, int, dict[str, int]]:
        """Return (simd, pe, vector lanes, resources) of the sequential engine."""
        vec = self.d.seq_vector_lanes or 64

        def res_at(simd: int, pe: int, thr: int) -> dict[str, int]:
            used: dict[str, int] = {}
            for op in self.ops:  # one engine serves every op: take the worst case per resource
                f = fold_op(op, simd, pe, rows_per_token=1) if op.is_matrix else fold_op(op, 1, vec)
                r = stage_resources(f, weights_onchip=False, fifo_depth=2, prefetch=self.d.prefetch,
                                    use_uram=self.dev.uram > 0, uram_min_bits=thr)
                used = {k: max(used.get(k, 0), r[k]) for k in RESOURCES}
            return used

        def res(simd: int, pe: int) -> dict[str, int]:
            """Resources at the URAM threshold that fits best (fewest overflowing kinds, then least DSP)."""
            options = [res_at(simd, pe, thr) for thr in URAM_THRESHOLDS]
            return min(options, key=lambda u: (len(overflow(u, self.budget)), sum(
                u[k] / max(1, self.budget[k]) for k in RESOURCES if self.budget[k])))

        if self.d.seq_simd and self.d.seq_pe:
            s, p = self.d.seq_simd, self.d.seq_pe
        else:
            s = p = 1
            max_k = max((o.K for o in self.ops if o.is_matrix), default=1)
            max_n = max((o.N for o in self.ops if o.is_matrix), default=1)
            while s < max_k or p < max_n:
                grown = (s * 2, p) if (s <= p and s < max_k) or p >= max_n else (s, p * 2)
                if overflow(res(*grown), self.budget):
                    break
                s, p = grown
        return s, p, vec, res(s, p)

    def _seq_fold(self, op: Op, s: int, p: int, vec: int) -> StageFold:
        in_row = max(1, fold_op(op).in_token_bytes)
        # activation buffer: half the on-chip block RAM capacity (assumption), rows of A that fit
        buf = (self.dev.bram36 * 4608 + self.dev.uram * 36864) // 2
        rpt = self.d.rows_per_token or max(1, min(op.M, buf // in_row))
        return fold_op(op, s, p, rows_per_token=rpt) if op.is_matrix else fold_op(op, 1, vec, rows_per_token=rpt)

    def _run_sequential(self, order: list[int]) -> tuple[int, dict[str, int]]:
        s, p, vec, used = self._seq_engine()
        self._check_fit(used, "sequential engine")
        total = 0
        for r in order:
            f = self._seq_fold(self.ops[r], s, p, vec)
            key = ("seq", r, s, p, vec)
            self._run_group(key, [(r, f)], False)
            total += self._account(key, [(r, f)], "sequential")
        for r in set(order):
            for k in RESOURCES:
                self.rows[r][k] = used[k]
        return total, used

    def _auto_schedule(self) -> list[str]:
        thr = self.d.switch_threshold_bytes or (1 << 20)
        sched = []
        for op in self.ops:
            out_bytes = fold_op(op, rows_per_token=op.M).out_token_bytes
            sched.append("dataflow" if out_bytes > thr else "sequential")
        return sched

    def _run_switched(self, order: list[int]) -> tuple[int, dict[str, int], tuple | None, int]:
        sched = list(self.d.schedule) or self._auto_schedule()
        if len(sched) != len(self.ops):
            raise ConfigError(f"schedule must give one mode per trace row ({len(self.ops)}), not {len(sched)}")
        s, p, vec, seq_used = self._seq_engine()
        used = dict(seq_used)
        total = switches = 0
        bottleneck = None
        groups: list[tuple[str, list[int]]] = []
        for r in order:
            m = sched[r]
            if groups and groups[-1][0] == m == "dataflow":
                groups[-1][1].append(r)
            else:
                groups.append((m, [r]))
        plans: dict[tuple, tuple[FoldPlan, list[int], int]] = {}
        prev = None
        for m, items in groups:
            if prev is not None and m != prev:
                switches += 1
            prev = m
            if m == "sequential":
                r = items[0]
                f = self._seq_fold(self.ops[r], s, p, vec)
                key = ("seq", r, s, p, vec)
                self._run_group(key, [(r, f)], False)
                total += self._account(key, [(r, f)], "sequential")
                for k in RESOURCES:
                    self.rows[r][k] = seq_used[k]
                self.rows[r]["resource_copies"] = 1
                continue
            distinct = sorted(set(items))
            sig = tuple(distinct)
            if sig not in plans:
                copies = [items.count(r) for r in distinct]
                rpt = self._auto_rows_per_token(distinct, copies)
                plans[sig] = (self._plan(distinct, copies, rpt), distinct, rpt)
            plan, distinct, rpt = plans[sig]
            fold_of = dict(zip(distinct, plan.folds))
            segs: list[list[int]] = [[]]
            for r in items:
                if segs[-1] and self.ops[r].M != self.ops[segs[-1][-1]].M:
                    segs.append([])
                segs[-1].append(r)
            for seg in segs:
                seq = [(r, fold_of[r]) for r in seg]
                key = ("df", tuple(seg), rpt, sig)
                self._run_group(key, seq, True)
                total += self._account(key, seq, "dataflow")
            for i, r in enumerate(distinct):
                res = self._stage_res(plan.folds[i], self._fifo(self._window(self.ops[r], plan.folds[i].tokens, True)))
                for k in RESOURCES:
                    self.rows[r][k] = res[k] * plan.copies[i]
                self.rows[r]["resource_copies"] = plan.copies[i]
            used = {k: max(used.get(k, 0), plan.resources.get(k, 0)) for k in RESOURCES}
            b = plan.folds[plan.bottleneck]
            if bottleneck is None or b.busy_cycles > bottleneck[1]:
                bottleneck = (self.ops[distinct[plan.bottleneck]].name, b.busy_cycles, b.interval_cycles,
                              plan.limited_by)
        self._check_fit(used, "switched design")
        total += switches * self.d.reconfig_cycles
        self.totals["reconfig_cycles"] = switches * self.d.reconfig_cycles
        return total, used, bottleneck, switches

    # -- output -------------------------------------------------------------------------------
    def _row_init(self, i: int, op: Op) -> dict[str, Any]:
        row: dict[str, Any] = {c: getattr(op, c) for c in ("name", "kind", "M", "K", "N", "batch", "a_precision",
                                                            "b_precision", "out_precision", "b_tensor", "count")}
        row.update(mode="", simd=0, pe=0, lanes=0, folds=0, ii_cycles=0, interval_cycles=0, tokens=0,
                   rows_per_token=0, depth_cycles=0, cycles=0, compute_cycles=0,
                   **{f"stall_{c}_cycles": 0 for c in STALL_CAUSES}, macs=op.macs, vector_op_count=0,
                   dram_read_bytes=0, dram_write_bytes=0, **dict.fromkeys(RESOURCES, 0), resource_copies=1)
        if not op.is_matrix:
            row["vector_op_count"] = op.M * op.N * op.batch * op.count
        return row

    def _result(self, cycles: int, used: dict[str, int], bottleneck: tuple | None, switches: int) -> Result:
        df = pd.DataFrame(self.rows)
        lanes_cycles = (df["lanes"] * df["cycles"]).where(df["cycles"] > 0)
        df["utilization"] = (df["macs"] / lanes_cycles).fillna(0.0)
        seconds = self.d.clock.cycles_to_seconds(cycles)
        meta = self.trace.meta
        phase = meta.get("phase", self.ops[0].phase)
        batch = int(meta.get("batch", 1) or 1)
        if phase == "decode":
            tokens = int(meta.get("decode_batch") or batch)
        else:
            tokens = int(meta.get("tokens") or max(op.M for op in self.ops))
        macs = int(df["macs"].sum())
        dev = self.dev
        summary: dict[str, Any] = {
            "latency_s": seconds,
            "mode": self.d.mode, "device": dev.name, "part": dev.part, "freq_mhz": self.d.freq_mhz,
            "tokens": tokens, "tokens_per_s": tokens / seconds if seconds else 0.0,
            "inferences_per_s": batch / seconds if seconds else 0.0,
            "throughput_tops": 2 * macs / seconds / 1e12 if seconds else 0.0,
            "macs": macs, "weights_onchip": self.weights_onchip, "mode_switches": switches,
            "dram_read_bytes": int(self.totals["dram_read_bytes"]),
            "dram_write_bytes": int(self.totals["dram_write_bytes"]),
        }
        for k, v in self.totals.items():
            summary.setdefault(k, v)
        for k in RESOURCES:
            avail = getattr(dev, k)
            summary[f"{k}_used"] = int(used.get(k, 0))
            summary[f"{k}_available"] = int(avail)
            summary[f"{k}_utilization"] = used.get(k, 0) / avail if avail else 0.0
        if self.steady[1]:
            summary["steady_state_interval_cycles"] = int(self.steady[1])
            summary["steady_state_rows_per_s"] = self.d.clock.freq_hz * self.steady[2] / self.steady[1]
        if bottleneck is not None:
            summary["bottleneck_stage"] = bottleneck[0]
            summary["bottleneck_busy_cycles"] = int(bottleneck[1])
            summary["bottleneck_interval_cycles"] = int(bottleneck[2])
            summary["bottleneck_limited_by"] = bottleneck[3]
        sec = 1.0 / self.d.clock.freq_hz
        ev = self.events
        schedule = pd.DataFrame({"lane": [e[0] for e in ev], "name": [e[1] for e in ev],
                                 "start_s": [e[2] * sec for e in ev], "dur_s": [(e[3] - e[2]) * sec for e in ev],
                                 "cat": [e[4] for e in ev]})
        return build_result(df, design=self.d.name, total_cycles=int(cycles), seconds=seconds, exact=self.exact,
                            schedule=schedule, **summary)


def _align(n: int, to: int = 4096) -> int:
    return -(-int(n) // to) * to


def resource_table(result: Result) -> pd.DataFrame:
    """Return the resource utilization table of a run: used, available, utilization per kind."""
    s = result.summary
    return pd.DataFrame(
        [{"resource": k.upper(), "used": s[f"{k}_used"], "available": s[f"{k}_available"],
          "utilization": s[f"{k}_utilization"]} for k in RESOURCES])


def with_overrides(design: FpgaEngine, **overrides: Any) -> FpgaEngine:
    """Return ``design`` with fields replaced (validated)."""
    return replace(design, **overrides)
