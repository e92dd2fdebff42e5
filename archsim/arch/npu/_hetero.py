"""NPU + PIM heterogeneous decode (NeuPIMs-style): weight GEMMs and vector ops on the NPU, attention
(the KV-cache GEMVs and their softmax) on PIM, running concurrently on sub-batches.

Model (see docs/npu.md):

* The NPU's DRAM *is* the PIM memory: ``pim_devices`` PIM devices (stacks) give the NPU
  ``pim_devices x pim.external_bandwidth_gbps`` of bandwidth; the KV cache is striped over the devices
  by (sequence, KV head), so a sub-batch's attention runs on every device in parallel.
* ``mode="npu"``: the whole trace on the NPU.  ``mode="pim"``: the whole trace on PIM (GEMMs as
  repeated GEMVs, other ops on the PIM host); every device runs 1/``pim_devices`` of each op (weights
  striped over the devices by output column, attention by (sequence, KV head)).  ``mode="npu+pim"``: the
  batch is cut into ``sub_batches``; per layer each sub-batch runs ``pre`` (NPU: ops before attention),
  ``attn`` (PIM) and ``post`` (NPU: ops after attention); a list scheduler starts the earliest ready
  task on a free resource, so one sub-batch's attention overlaps another's GEMMs (NeuPIMs sub-batch
  interleaving).  ``sub_batches=1`` gives the serial NPU -> PIM -> NPU baseline.
* Row buffers (from the PIM design): ``blocked`` -- a bank runs either PIM or normal accesses, so the
  memory-bound part of an NPU task (its DRAM busy time) cannot overlap a PIM task; ``dual`` (NeuPIMs)
  -- both proceed.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from typing import Any

import pandas as pd

from archsim.arch.npu._design import NpuDesign, _as_ops
from archsim.core.design import DesignBase
from archsim.core.errors import ConfigError, SimulationError, require_choice, require_positive_int
from archsim.core.result import Result, build_result
from archsim.core.vocab import ACTION_COLUMNS, is_action
from archsim.dataflow.placement import is_attention, split_over_devices
from archsim.memory.pim import PRE, PRE_AB, RD, PimChannel
from archsim.workloads.op import Op
from archsim.workloads.trace import Trace

MODES = ("npu", "pim", "npu+pim")
#: row-window tiles of the attention PIM program measured against host traffic (steady-state window)
CORUN_TILES = 16
_CORUN_MEMO: dict[tuple, tuple[float, float]] = {}
#: per-op columns copied from the part's own Result.ops besides the actions
_OP_INFO = ("name", "kind", "M", "K", "N", "batch", "count", "a_precision", "b_precision")
_ACTIONS = ACTION_COLUMNS
_is_action = is_action


@dataclass(frozen=True)
class NpuPimDesign(DesignBase):
    """An NPU whose memory is PIM-enabled DRAM.

    Attributes:
        name: label.
        npu: an :class:`NpuDesign`, an NPU preset name or an NPU design dict (its memory is replaced by
            the PIM devices').
        pim: a ``PimDesign``, a PIM preset name or a PIM design dict (``hbm-pim`` blocked, ``hbm-pim-dual``
            dual row buffers).

    Loadable from YAML as ``type: npu_pim`` (``npu`` and ``pim`` given as preset names or nested dicts).
        pim_devices: PIM devices (stacks) behind the NPU.
        mode: ``npu`` | ``pim`` | ``npu+pim``.
        sub_batches: sub-batches interleaved in ``npu+pim`` mode.
    """

    design_type = "npu_pim"

    name: str = "npu-pim"
    npu: Any = "tpu-v4-like"
    pim: Any = "hbm-pim"
    pim_devices: int = 4
    mode: str = "npu+pim"
    sub_batches: int = 2

    def __post_init__(self) -> None:
        from archsim.arch.npu._presets import get_npu_design
        from archsim.arch.pim import PimDesign, get_pim_design

        if not isinstance(self.name, str) or not self.name:
            raise ConfigError(f"name must be a non-empty string, not {self.name!r}")
        require_positive_int("pim_devices", self.pim_devices)
        require_positive_int("sub_batches", self.sub_batches)
        require_choice("mode", self.mode, MODES)
        pim = get_pim_design(self.pim) if isinstance(self.pim, str) else self.pim
        if isinstance(pim, dict):
            pim = PimDesign.from_dict(pim)
        npu = get_npu_design(self.npu) if isinstance(self.npu, str) else self.npu
        if isinstance(npu, dict):
            npu = NpuDesign.from_dict(npu)
        if not isinstance(npu, NpuDesign):
            raise ConfigError(f"npu must be an NpuDesign or an NPU preset name, not {type(npu).__name__}")
        if not hasattr(pim, "run") or not hasattr(pim, "external_bandwidth_gbps"):
            raise ConfigError(f"pim must be a PimDesign or a PIM preset name, not {type(pim).__name__}")
        npu = npu.replace(memory=None, memory_bandwidth_gbps=self.pim_devices * pim.external_bandwidth_gbps)
        object.__setattr__(self, "npu", npu)
        object.__setattr__(self, "pim", pim)

    @property
    def node_nm(self) -> float:
        """Technology node of the NPU, nm."""
        return self.npu.node_nm

    def peaks(self) -> dict[str, Any]:
        """Return the roofline peaks of the parts the mode uses: ``flops_per_s`` {precision: FLOP/s} of the
        NPU (modes ``npu``, ``npu+pim``) plus the PIM units (x ``pim_devices``; modes ``pim``, ``npu+pim``:
        they run concurrently), ``dram_bytes_per_s`` = ``pim_devices`` x a device's external bandwidth."""
        flops: dict[str, float] = {}
        if self.mode != "pim":
            flops.update(self.npu.peaks()["flops_per_s"])
        if self.mode != "npu":
            p = self.pim.precision
            flops[p] = flops.get(p, 0.0) + self.pim.peak_flops * self.pim_devices
        return {"flops_per_s": flops, "dram_bytes_per_s": self.pim_devices * self.pim.external_bandwidth_gbps * 1e9}

    def memory_capacity_bytes(self) -> int | None:
        """Return None: not modelled.  The PIM devices' DRAM specs carry a generic stack's geometry (HBM-PIM's
        derived HBM2 spec: 8 GiB), not the product's capacity (Samsung HBM-PIM: 6 GB per stack, Kwon et al.,
        ISSCC 2021), so callers use their own cited figure (archsim.serving's datasheet fallback)."""
        return None

    def components(self) -> list[dict]:
        """Return the NPU's parts plus the PIM devices' parts (``pim_`` prefixed names, counts, channels and
        interface bandwidth x ``pim_devices``).

        The NPU's own ``dram`` part is dropped (its memory is the PIM devices' DRAM, which prices the NPU's
        ``dram_*`` actions too), and so is the PIM design's ``host_vector``: the NPU is the PIM devices'
        host, so its vector unit prices every ``vector_op_count`` (a cost model prices a column on every
        row, so two vector units would count the same ops twice; both are fp32 lanes at one node, so the
        dynamic energy per op is the same either way).
        """
        parts = [p for p in self.npu.components() if p["kind"] != "dram"]
        for p in self.pim.components():
            if p["kind"] == "vector_unit":
                continue
            q = dict(p)
            q["name"] = "pim_" + q["name"] if not q["name"].startswith("pim") else q["name"]
            if "count" in q:
                q["count"] = q["count"] * self.pim_devices
            if q["kind"] == "dram":
                q["channels"] = q.get("channels", 1) * self.pim_devices
                q["interface_bytes_per_s"] = q["interface_bytes_per_s"] * self.pim_devices
            parts.append(q)
        return parts

    # ------------------------------------------------------------------ run
    def run(self, trace: Trace | list[Op] | Op, exact: bool = False) -> Result:
        """Return the Result of one decode step: ``ops`` is the task schedule (``resource``, ``start_s``,
        ``seconds``), ``summary`` has ``seconds``, ``tokens_per_s`` and per-resource busy time."""
        from archsim.core.fields import strict_bool

        exact = strict_bool("exact", exact)
        ops = _as_ops(trace)
        if self.mode == "npu" or (self.mode == "npu+pim" and not any(is_attention(o) for o in ops)):
            # npu+pim without attention ops: nothing for PIM to run, the NPU runs the whole trace
            # (a trace without a weight GEMM has no batch of sequences: tokens_per_s is None)
            batch = _batch(ops) if any(o.kind in ("gemm", "gemv") and o.b_tensor == "weight" for o in ops) else None
            r = self.npu.run(ops, exact)
            rows = _task_rows(self._npu_rows(r), "npu", "all ops", 0, -1, 0.0, r.seconds, 1)
            return self._result(rows, batch, r.seconds, {"npu_busy_s": r.seconds, "pim_busy_s": 0.0}, exact)
        batch = _batch(ops)
        if self.mode == "pim":
            pim = self.pim.replace(max_m=max(self.pim.max_m, batch))
            r = pim.run(Trace.from_ops(split_over_devices(ops, self.pim_devices)), exact)
            rows = _task_rows(self._pim_rows(r), "pim", "all ops", 0, -1, 0.0, r.seconds, 1)
            return self._result(rows, batch, r.seconds, {"npu_busy_s": 0.0, "pim_busy_s": r.seconds}, exact)
        return self._run_concurrent(ops, batch, exact)

    def _stage_times(self, ops: list[Op], b: int, batch: int, exact: bool) -> dict[str, Any]:
        """Per-layer timing of ``pre``/``post`` on the NPU and ``attn`` on PIM for a sub-batch of ``b``
        sequences: ``{stage: {"s": seconds, "mem_s": DRAM-busy seconds, "rows": per-op rows}}`` (rows carry
        the whole-trace action counts of the stage's ops, all ``layers`` repetitions), plus ``layers`` and
        ``attn_ops`` (one device's attention ops)."""
        sub = _scale(ops, batch, b)
        layers = max(o.count for o in sub)
        first = next(i for i, o in enumerate(sub) if is_attention(o))
        last = max(i for i, o in enumerate(sub) if is_attention(o))
        pre = [o for o in sub[:first] if o.count == layers]
        post = [o for o in sub[last + 1:] if o.count == layers]
        out: dict[str, Any] = {"layers": layers}
        for key, part in (("pre", pre), ("post", post)):
            if not part:
                out[key] = {"s": 0.0, "mem_s": 0.0, "rows": []}
                continue
            r = self.npu.run(part, exact)
            f = self.npu.freq_mhz * 1e6
            out[key] = {"s": r.seconds / layers, "mem_s": float(r.ops["dram_busy_cycles"].sum()) / f / layers,
                        "rows": self._npu_rows(r)}
        attn = split_over_devices([o for o in sub[first:last + 1] if is_attention(o)], self.pim_devices)
        r = self.pim.run(Trace.from_ops(attn), exact)
        out["attn"] = {"s": r.seconds / layers, "mem_s": r.seconds / layers, "rows": self._pim_rows(r)}
        out["attn_ops"] = attn
        return out

    def _npu_rows(self, r: Result) -> list[dict]:
        """Per-op rows (time and actions) of an NPU run."""
        rows = []
        for rec in r.ops.to_dict("records"):
            row = {c: rec[c] for c in _OP_INFO}
            row["part"] = "npu"
            row["op_s"] = float(rec["seconds"])
            row.update({c: rec[c] for c in rec if _is_action(c)})
            rows.append(row)
        return rows

    def _pim_rows(self, r: Result) -> list[dict]:
        """Per-op rows of a PIM run on one device, actions scaled to all ``pim_devices`` devices (each runs
        the same share)."""
        tck_s = self.pim.dram_spec.tCK_ns * 1e-9
        rows = []
        for rec in r.ops.to_dict("records"):
            row = {c: rec[c] for c in _OP_INFO if c in rec}
            row["part"] = "pim"
            row["op_s"] = float(rec["cycles"]) * tck_s
            row.update({c: int(rec[c]) * self.pim_devices for c in rec if _is_action(c)})
            rows.append(row)
        return rows

    def corun_rates(self, attn_ops: list[Op]) -> tuple[float, float]:
        """Return ``(pim_rate, host_rate)``: the speed of one device's attention PIM program and of the
        NPU's DRAM traffic while both run on the same channels, each relative to running alone.

        Measured with :meth:`archsim.memory.pim.PimChannel.run_concurrent` (the PIM engineer's per-command
        model of one channel, PIM priority): the first ``CORUN_TILES`` row-window tiles of the attention
        GEMVs' PIM program run alone and against a host read stream long enough to outlast them (the NPU's
        decode GEMMs stream weights, so their DRAM traffic is a saturating read stream).  The rates are
        taken over the second half of the window (tile ``CORUN_TILES // 2`` to the last one; the first half
        is the start-up transient while the host stream ramps up its activations), e.g. ``pim_rate =``
        (alone tCK of those tiles) / (co-run tCK of those tiles) and ``host_rate`` = host bursts read in
        that interval / (the same interval x the host stream's bursts per tCK alone).  Because the program
        repeats the same tiles, this steady-state window stands for the whole program.
        ``blocked`` row buffers: host commands wait until the PIM program is done, so ``host_rate`` is 0
        and ``pim_rate`` 1 (checked, not assumed); ``dual`` (NeuPIMs): both proceed, sharing the command
        bus and the activation window.  Logic-die PIM has no bank-level model: (1.0, 0.0) (treated as
        blocked, conservative).
        """
        pim = self.pim
        if pim.pim is None:
            return 1.0, 0.0
        prog: list = []
        left = CORUN_TILES
        for o in attn_ops:
            if o.kind == "softmax" or not pim._is_pim_op(o):
                continue
            for sig, n in pim.plan(o).tiles:
                if left <= 0:
                    break
                prog.append((sig, min(n, left)))
                left -= min(n, left)
        if not prog:
            return 1.0, 1.0
        key = (repr(pim.to_dict()), tuple(prog))
        if key in _CORUN_MEMO:
            return _CORUN_MEMO[key]
        tiles = CORUN_TILES - left
        half = tiles // 2
        s = pim.dram_spec
        alone = PimChannel(pim.pim, refresh=pim.refresh, record=True)
        a0, a_end = alone.run(prog, pim.mode, exact=True)
        probe = 4 * pim.pim.cols_per_row * s.banks
        h = PimChannel(pim.pim, refresh=pim.refresh)
        hs, _, h_end = h.run_concurrent([], probe, pim.mode)
        host_rate_alone = probe / (h_end - hs)  # bursts per tCK
        bursts = math.ceil(1.25 * host_rate_alone * (a_end - a0)) + probe
        while True:
            both = PimChannel(pim.pim, refresh=pim.refresh, record=True)
            b0, b_end, bh_end = both.run_concurrent(prog, bursts, pim.mode)
            if bh_end > b_end:  # the host stream outlasted the PIM program
                break
            bursts *= 2
        # tile ends: the all-bank precharge closing each row window (dual needs all_bank mode)
        ends_a = [e[0] for e in alone.log if e[1] in (PRE_AB, PRE)]
        ends_b = [e[0] for e in both.log if e[1] == PRE_AB]
        if pim.mode == "all_bank" and half and len(ends_b) == tiles:
            t0a, t0b = ends_a[half - 1], ends_b[half - 1]
        else:
            t0a, t0b = a0, b0
        done = sum(1 for e in both.log if e[1] == RD and t0b < e[0] + s.CL + s.burst_cycles <= b_end)
        rates = ((a_end - t0a) / (b_end - t0b), done / (b_end - t0b) / host_rate_alone)
        _CORUN_MEMO[key] = rates
        return rates

    def _run_concurrent(self, ops: list[Op], batch: int, exact: bool) -> Result:
        S = min(self.sub_batches, batch)
        sizes = [batch // S + (1 if i < batch % S else 0) for i in range(S)]
        memo: dict[int, dict] = {}
        st = [memo.setdefault(b, self._stage_times(ops, b, batch, exact)) for b in sizes]
        layers = int(st[0]["layers"])
        blocked = getattr(self.pim, "row_buffers", "blocked") == "blocked"
        rates = {b: self.corun_rates(memo[b]["attn_ops"]) for b in memo} if S > 1 else {}
        # event-driven schedule: one task at a time on each resource; while a PIM and an NPU task run
        # together, PIM work advances at pim_rate and the NPU task at min(1, host_rate x s / mem_s)
        order = ("pre", "attn", "post")
        res_of = {"pre": "npu", "attn": "pim", "post": "npu"}
        ready = [0.0] * S
        step = [0] * S
        running: dict[str, list | None] = {"npu": None, "pim": None}
        tasks = []
        busy = {"npu": 0.0, "pim": 0.0}
        now = 0.0
        inf = float("inf")
        while any(s < 3 * layers for s in step) or running["npu"] or running["pim"]:
            for res in ("npu", "pim"):
                if running[res] is not None:
                    continue
                cand = [i for i in range(S) if step[i] < 3 * layers and res_of[order[step[i] % 3]] == res
                        and ready[i] <= now]
                if cand:
                    i = min(cand, key=lambda j: (ready[j], j))
                    stage = order[step[i] % 3]
                    dur, mem = st[i][stage]["s"], st[i][stage]["mem_s"]
                    running[res] = [i, stage, step[i] // 3, now, dur, dur, mem]
                    ready[i] = inf
                    step[i] += 1
            n, p = running["npu"], running["pim"]
            both = n is not None and p is not None and n[6] > 0
            r_pim, r_host = rates[sizes[p[0]]] if both else (1.0, 1.0)
            rate = {"npu": min(1.0, r_host * n[5] / n[6]) if both else 1.0, "pim": r_pim}
            t_next, who = inf, None
            for res, task in running.items():
                if task is not None and rate[res] > 0 and now + task[4] / rate[res] < t_next:
                    t_next, who = now + task[4] / rate[res], res
            for i in range(S):
                if step[i] < 3 * layers and running[res_of[order[step[i] % 3]]] is None and now < ready[i] < t_next:
                    t_next, who = ready[i], None
            if t_next == inf:
                raise SimulationError("NPU+PIM schedule deadlocked")
            for res, task in running.items():
                if task is not None:
                    task[4] = 0.0 if res == who else max(0.0, task[4] - rate[res] * (t_next - now))
            now = t_next
            for res in ("npu", "pim"):
                task = running[res]
                if task is not None and task[4] <= 1e-12 * max(task[5], 1e-30):
                    i, stage, layer, start = task[:4]
                    tasks.append((res, stage, i, layer, start, now - start))
                    busy[res] += now - start
                    ready[i] = now
                    running[res] = None
        end = max(t[4] + t[5] for t in tasks)
        tail_ops = [o for o in ops if o.count != layers and not is_attention(o)]  # final norm, LM head
        tail_rows: list[dict] = []
        tail_s = 0.0
        if tail_ops:
            r = self.npu.run(tail_ops, exact)
            tail_s, tail_rows = r.seconds, self._npu_rows(r)
            tasks.append(("npu", "tail", -1, layers, end, tail_s))
            busy["npu"] += tail_s
        total = end + tail_s
        extra = {"npu_busy_s": busy["npu"], "pim_busy_s": busy["pim"], "sub_batch_sizes": sizes,
                 "row_buffers": "blocked" if blocked else "dual",
                 "corun_rates": {b: {"pim": r[0], "host": r[1]} for b, r in rates.items()}}
        rows = []
        for res, stage, i, layer, start, dur in sorted(tasks, key=lambda t: t[4]):
            part = tail_rows if stage == "tail" else st[i][stage]["rows"]
            rows.extend(_task_rows(part, res, stage, i, layer, start, dur, 1 if stage == "tail" else layers))
        return self._result(rows, batch, total, extra, exact)

    def _result(self, rows: list[dict], batch: int | None, seconds: float, extra: dict, exact: bool = False) -> Result:
        df = pd.DataFrame(rows)
        for c in _ACTIONS:
            if c in df.columns:
                df[c] = df[c].fillna(0).astype("int64")
        f = self.npu.freq_mhz * 1e6
        df["cycles"] = (df["seconds"] * f).round().astype("int64")
        schedule = pd.DataFrame({"lane": df["resource"], "name": df["name"], "start_s": df["start_s"],
                                 "dur_s": df["seconds"], "cat": df["stage"]})
        return build_result(df, design=self.name, total_cycles=int(round(seconds * f)), seconds=seconds,
                            exact=exact, schedule=schedule, mode=self.mode, batch=batch,
                            tokens_per_s=batch / seconds if seconds and batch else (None if batch is None else 0.0),
                            **extra)


def _task_rows(part: list[dict], res: str, stage: str, sub_batch: int, layer: int, start: float, dur: float,
               layers: int) -> list[dict]:
    """Return one row per op of a task (layer ``layer`` of ``layers``): ops back to back over ``dur`` seconds
    in proportion to their own time, each carrying its share of the actions (integer counts; the shares of
    the ``layers`` layers add up to the stage's totals exactly)."""
    nominal = sum(r["op_s"] for r in part)
    out = []
    t = start
    for r in part:
        sec = dur * r["op_s"] / nominal if nominal else dur / len(part)
        row = {"resource": res, "name": r["name"], "stage": stage, "sub_batch": sub_batch, "layer": layer,
               "start_s": t, "seconds": sec}
        for k, v in r.items():
            if k == "op_s":
                continue
            if k in _ACTIONS:
                v = int(v)
                v = v * (layer + 1) // layers - v * layer // layers if layers > 1 else v
            row.setdefault(k, v)
        out.append(row)
        t += sec
    return out


def _batch(ops: list[Op]) -> int:
    """Return the number of sequences of a decode trace (M of its first weight GEMM/GEMV)."""
    for o in ops:
        if o.kind in ("gemm", "gemv") and o.b_tensor == "weight":
            return o.M
    raise ConfigError("trace has no weight GEMM to read the batch from")


def _scale(ops: list[Op], batch: int, b: int) -> list[Op]:
    """Return the ops of ``b`` of the ``batch`` sequences (attention: batch dim; others: M)."""
    out = []
    for o in ops:
        if is_attention(o):
            if o.batch % batch:
                raise ConfigError(f"op {o.name!r}: batch {o.batch} is not a multiple of {batch} sequences")
            out.append(dataclasses.replace(o, batch=o.batch // batch * b))
        elif o.M % batch == 0:
            m = o.M // batch * b
            kind = "gemv" if (o.kind == "gemm" and m == 1) else ("gemm" if o.kind == "gemv" and m > 1 else o.kind)
            out.append(dataclasses.replace(o, M=m, kind=kind))
        else:
            out.append(o)
    return out
