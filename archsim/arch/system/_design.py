"""A multi-chip system: N x any single-chip design + a topology, with TP/PP/EP/DP mappings.

``SystemDesign.run(trace)`` takes the per-device trace of one micro-batch (built with ``tp`` = the
system's TP degree) and returns a Result whose ops are the modelled device's compute ops (run by the
chip design) followed, where they occur, by collective rows (``kind = "collective"``: bytes, algorithm,
link bytes, link utilization) priced on the topology by :mod:`archsim.network`.  Time:

    compute  = the chip's run of the (EP-transformed) trace
    comm     = sum of the device's collectives (TP all-reduces, EP all-to-alls)
    exposed  = max(comm x (1 - overlap), comm - compute)
    stage    = (compute + exposed) / pp
    seconds  = (micro_batches + pp - 1) x stage + (pp - 1) x send/recv     # pp = 1: compute + exposed

A system of one chip returns the chip's Result unchanged.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from archsim.core.errors import ConfigError
from archsim.core.fields import check_field_names, short_repr
from archsim.core.result import Result
from archsim.dataflow.parallel import ParallelPlan, communication, device_expert_tokens, is_expert_op
from archsim.network import collective, topology_from_dict
from archsim.workloads.op import PRECISION_BYTES, Op
from archsim.workloads.trace import Trace

#: action columns scaled from the modelled device to every device doing the same work
_ACTION_PREFIXES = ("macs", "sram_", "rf_", "dram_", "noc_", "vector_op", "pim_")


def _load_chip(chip: Any) -> Any:
    if hasattr(chip, "run"):
        return chip
    from archsim.arch.registry import load_design

    return load_design(chip)


@dataclass(frozen=True)
class SystemDesign:
    """``topology.devices`` copies of ``chip`` joined by ``topology``, running a parallel plan.

    Attributes:
        name: label.
        chip: any archsim design (object, preset name or dict) - every device is one.
        topology: an :class:`archsim.network.Topology` (or its dict, ``kind`` + fields).
        tp: tensor-parallel degree; None = the trace's (``trace.meta["tp"]``, default 1).
        pp: pipeline stages.
        ep: expert-parallel degree (MoE), 1 = none.
        micro_batches: micro-batches per pipeline step (the trace is one).
        sequence_parallel: TP all-reduces as reduce-scatter + all-gather.
        overlap: fraction of communication hidden under compute (0..1).
        dispatch_precision: element format of the EP dispatch all-to-all (None = the activations').
        source: citation of the configuration.
    """

    name: str = "system"
    chip: Any = "h100-sxm5-80gb"
    topology: Any = field(default_factory=lambda: {"kind": "switch", "num_devices": 8})
    tp: int | None = None
    pp: int = 1
    ep: int = 1
    micro_batches: int = 1
    sequence_parallel: bool = False
    overlap: float = 0.0
    dispatch_precision: str | None = None
    source: str = ""

    def __post_init__(self) -> None:
        if not isinstance(self.name, str) or not self.name:
            raise ConfigError(f"name must be a non-empty string, not {self.name!r}")
        object.__setattr__(self, "chip", _load_chip(self.chip))
        object.__setattr__(self, "topology", topology_from_dict(self.topology))
        if self.dispatch_precision is not None and (not isinstance(self.dispatch_precision, str)
                                                    or self.dispatch_precision not in PRECISION_BYTES):
            raise ConfigError(f"dispatch_precision must be one of {', '.join(PRECISION_BYTES)}, "
                              f"not {short_repr(self.dispatch_precision)}")
        self.plan(self.tp or 1)  # validates the degrees against the device count

    # -- construction ------------------------------------------------------------
    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> SystemDesign:
        """Return a system from a dict with the field names (``type: system`` allowed)."""
        check_field_names(cls, data, "design", ignore=("type",))
        return cls(**{k: v for k, v in data.items() if k != "type"})

    def to_dict(self) -> dict[str, Any]:
        """Return the system as a plain dict (``type: system``; the chip and topology as dicts)."""
        d: dict[str, Any] = {"type": "system"}
        for f in dataclasses.fields(self):
            v = getattr(self, f.name)
            d[f.name] = v.to_dict() if hasattr(v, "to_dict") else v
        return d

    def replace(self, **overrides: Any) -> SystemDesign:
        """Return a copy with ``overrides`` applied (unknown field -> ConfigError listing the allowed ones)."""
        check_field_names(type(self), overrides, "design")
        return dataclasses.replace(self, **overrides)

    # -- derived -------------------------------------------------------------------
    @property
    def devices(self) -> int:
        """Devices (chips) in the system."""
        return self.topology.devices

    @property
    def node_nm(self) -> float:
        """The chip's technology node, nm (for cost)."""
        return getattr(self.chip, "node_nm", 28.0)

    @property
    def freq_mhz(self) -> float:
        """The chip's clock, MHz (``total_cycles`` count it)."""
        return float(getattr(self.chip, "freq_mhz", 1000.0))

    def plan(self, tp: int) -> ParallelPlan:
        """Return the parallel plan for ``tp`` (dp = the devices left after tp x pp)."""
        n = self.devices
        for f, v in (("tp", tp), ("pp", self.pp), ("ep", self.ep)):
            if isinstance(v, bool) or not isinstance(v, (int, np.integer)) or v < 1:
                raise ConfigError(f"{f} must be a positive integer, not {short_repr(v)}")
        if n % (tp * self.pp):
            raise ConfigError(f"tp x pp ({tp} x {self.pp}) must divide the system's {n} devices")
        dp = n // (tp * self.pp)
        if self.ep > dp:
            raise ConfigError(f"ep must be at most the {dp} data-parallel replicas (devices / (tp x pp)), "
                              f"not {self.ep}")
        return ParallelPlan(tp=tp, pp=self.pp, ep=self.ep, dp=dp, micro_batches=self.micro_batches,
                            sequence_parallel=self.sequence_parallel, overlap=self.overlap)

    def components(self) -> list[dict]:
        """Return the parts for ``archsim.cost``: the chip's (counts x devices) plus the links (kind ``link``)."""
        parts = self.chip.components() if hasattr(self.chip, "components") else []
        if self.devices == 1:
            return parts
        out = []
        for c in parts:
            c = dict(c)
            c["count"] = int(c.get("count", 1)) * self.devices
            out.append(c)
        classes, _ = self.topology.link_of()
        for i, link in enumerate(classes):
            out.append({"name": f"link_{i}", "kind": "link", "pj_per_bit": link.pj_per_bit,
                        "column": f"link_{i}_bytes", "label": link.name})
        return out

    def describe(self) -> pd.DataFrame:
        """Return the system's parameters: field, value, unit, source."""
        rows = [("name", self.name, "", "label"), ("devices", self.devices, "", self.source)]
        rows += [("chip", getattr(self.chip, "name", "chip"), "", getattr(self.chip, "source", "")),
                 ("topology", self.topology.kind, "", self.source)]
        for f in ("tp", "pp", "ep", "micro_batches", "sequence_parallel", "overlap", "dispatch_precision"):
            rows.append((f, getattr(self, f), "", "set by the preset or the user"))
        rows.append(("source", self.source, "", "citation of the configuration"))
        classes, _ = self.topology.link_of()
        for i, link in enumerate(classes):
            rows += [(f"link_{i}.bandwidth_gbps", link.bandwidth_gbps, "GB/s per direction", link.source),
                     (f"link_{i}.efficiency", link.efficiency, "", link.source),
                     (f"link_{i}.latency_us", link.latency_us, "us per hop", link.source),
                     (f"link_{i}.pj_per_bit", link.pj_per_bit, "pJ/bit per hop", link.source)]
        return pd.DataFrame(rows, columns=["field", "value", "unit", "source"])

    def peaks(self) -> dict:
        """Return the system's peaks: the chip's x devices (``flops_per_s`` by precision, ``dram_bytes_per_s``)."""
        if hasattr(self.chip, "peaks"):
            p = self.chip.peaks()
            return {"flops_per_s": {k: v * self.devices for k, v in p.get("flops_per_s", {}).items()},
                    "dram_bytes_per_s": float(p.get("dram_bytes_per_s", 0.0)) * self.devices}
        return {"flops_per_s": {}, "dram_bytes_per_s": 0.0}

    def memory_capacity_bytes(self) -> int | None:
        """Return the devices' memory together, bytes (None if the chip does not model it)."""
        cap = self.chip.memory_capacity_bytes() if hasattr(self.chip, "memory_capacity_bytes") else None
        return None if cap is None else int(cap) * self.devices

    # -- simulation ------------------------------------------------------------------
    def run(self, trace: Trace | Iterable[Op] | Op, exact: bool = False) -> Result:
        """Return the Result of one micro-batch step of ``trace`` (per-device trace) on the system."""
        from archsim.core.fields import strict_bool

        exact = strict_bool("exact", exact)
        if isinstance(trace, Op):
            trace = Trace.from_ops([trace])
        elif not isinstance(trace, Trace):
            trace = Trace.from_ops(list(trace))
        if self.devices == 1:
            return self.chip.run(trace, exact=exact)
        meta = dict(getattr(trace, "meta", {}) or {})
        trace_tp = int(meta.get("tp") or 1)
        tp = self.tp if self.tp is not None else trace_tp
        if self.tp is not None and "tp" in meta and trace_tp != self.tp:
            raise ConfigError(f"the trace was built with tp={trace_tp} but the system runs tp={self.tp}: "
                              f"build it with tp={self.tp}")
        plan = self.plan(tp)
        df = trace.df.copy() if hasattr(trace, "df") else trace.to_frame()
        expert_tokens = None
        if plan.ep > 1:
            df, expert_tokens = _expert_parallel(df, plan.ep)
        run_trace = Trace(df.reset_index(drop=True), source=getattr(trace, "source", ""), meta=meta)
        chip_res = self.chip.run(run_trace, exact=exact)
        ops = chip_res.ops.copy()
        chip_s = float(chip_res.summary["seconds"])
        cyc = ops["cycles"].to_numpy(dtype=np.float64) if "cycles" in ops.columns else np.ones(len(ops))
        op_s = chip_s * cyc / cyc.sum() if cyc.sum() > 0 else np.zeros(len(ops))
        comms = self._comms(run_trace, plan, meta, expert_tokens)
        # the chip may merge ops (fused attention): anchor each collective on its op's row by name
        where = {n: i for i, n in enumerate(ops["name"])} if "name" in ops.columns else {}
        trace_names = list(run_trace.df["name"])
        rows, memo = [], {}
        comm_s = np.zeros(len(ops))
        pp_s = 0.0
        classes, _ = self.topology.link_of()
        for c in comms:
            c = dataclasses.replace(c, after=where.get(trace_names[c.after], min(c.after, len(ops) - 1)))
            r = self._price(c, plan, memo)
            total = r.seconds * c.count
            row = {"name": c.name, "kind": "collective", "count": c.count, "collective": c.op, "group": c.group,
                   "ranks": c.ranks, "algorithm": r.algorithm, "size_bytes": int(c.size_bytes),
                   "comm_seconds": total, "bytes_sent": r.bytes_sent_per_device * c.count,
                   "link_bytes": r.link_bytes * c.count, "link_utilization": r.max_link_utilization,
                   "busbw_gbps": r.busbw_gbps, "_after": c.after}
            for i in range(len(classes)):
                row[f"link_{i}_bytes"] = r.link_bytes_by_class[i] * c.count
            rows.append(row)
            if c.group == "pp":
                pp_s += r.seconds
            else:
                comm_s[c.after] += total
        compute_s = float(op_s.sum())
        comm_total = float(comm_s.sum())
        exposed = max(comm_total * (1 - plan.overlap), comm_total - compute_s)
        stage = (compute_s + exposed) / plan.pp
        seconds = (plan.micro_batches + plan.pp - 1) * stage + pp_s if plan.pp > 1 else compute_s + exposed
        freq = self.freq_mhz * 1e6
        scale = plan.tp * max(1, plan.ep) * plan.micro_batches
        for col in ops.columns:
            if col.startswith(_ACTION_PREFIXES) and pd.api.types.is_numeric_dtype(ops[col]):
                ops[col] = ops[col] * scale
        ops["device_seconds"] = op_s
        merged = _interleave(ops, rows, freq, exposed / comm_total if comm_total else 0.0)
        tokens = int(meta.get("tokens") or 0)
        summary = dict(chip_res.summary)
        summary.update(
            design=self.name, total_cycles=int(round(seconds * freq)), seconds=seconds, compute_seconds=compute_s,
            communication_seconds=comm_total, exposed_communication_seconds=exposed,
            pipeline_send_recv_seconds=pp_s, pipeline_bubble=plan.bubble_fraction(), devices=self.devices,
            tp=plan.tp, pp=plan.pp, ep=plan.ep, dp=plan.dp, micro_batches=plan.micro_batches,
            link_bytes=float(sum(r["link_bytes"] for r in rows)),
        )
        if tokens:
            summary["tokens_per_s_per_device"] = tokens * plan.micro_batches / seconds / (plan.tp * plan.pp)
        res = Result(ops=merged, summary=summary)
        res.schedule = _schedule(op_s, list(ops["name"]), rows, plan.overlap)
        return res

    # -- internals --------------------------------------------------------------------
    def _comms(self, trace: Trace, plan: ParallelPlan, meta: dict, expert_tokens: np.ndarray | None) -> list:
        df = trace.df
        out_b = [PRECISION_BYTES[p] for p in df["out_precision"]]
        hidden = _hidden(df)
        tokens = int(meta.get("tokens") or 0) or _tokens(df)
        model_top_k = int(meta.get("top_k") or 0)
        if plan.ep > 1 and not model_top_k:
            model_top_k = _top_k(df, tokens)
        db = PRECISION_BYTES[self.dispatch_precision] if self.dispatch_precision else None
        act = PRECISION_BYTES[df["out_precision"].iloc[0]] if len(df) else 2.0
        return communication(list(df["name"]), list(df["M"]), list(df["N"]), list(df["count"]), out_b, plan,
                             hidden=hidden, act_bytes=act, tokens=tokens, top_k=model_top_k,
                             expert_tokens=expert_tokens, dispatch_bytes=db)

    def _price(self, c, plan: ParallelPlan, memo: dict):
        key = (c.op, round(c.size_bytes), c.group, c.ranks, None if c.counts is None else c.counts.tobytes())
        r = memo.get(key)
        if r is None:
            if c.group == "pp":
                ranks = [0, plan.tp]
            else:
                ranks = c.ranks
            r = collective(self.topology, c.op, c.size_bytes, ranks, counts=c.counts)
            memo[key] = r
        return r


def _hidden(df: pd.DataFrame) -> int:
    mask = df["name"].str.endswith(("attn.out", "attn.o_proj"))
    if mask.any():
        return int(df.loc[mask, "N"].iloc[0])
    mask = df["kind"].isin(["norm"])
    return int(df.loc[mask, "N"].iloc[0]) if mask.any() else int(df["N"].max())


def _tokens(df: pd.DataFrame) -> int:
    mask = df["name"].str.endswith("attn.out")
    return int(df.loc[mask, "M"].iloc[0]) if mask.any() else int(df["M"].max())


def _top_k(df: pd.DataFrame, tokens: int) -> int:
    mask = df["name"].str.endswith("moe.combine")
    if mask.any() and tokens:
        return max(1, int(df.loc[mask, "M"].iloc[0]) // tokens)
    return 1


def _expert_parallel(df: pd.DataFrame, ep: int) -> tuple[pd.DataFrame, np.ndarray | None]:
    """Keep the routed-expert ops of the busiest EP device, scaled to the tokens of the whole EP group.

    Every EP rank routes its own tokens alike (the trace's routing), so expert e receives ``ep x M_e``
    tokens over the group; devices hold experts round-robin (copies of the hottest when ep > experts).
    """
    idx = df["name"].map(is_expert_op)
    is_exp = idx.notna()
    if not is_exp.any():
        return df, None
    first_layer = df.loc[is_exp, "layer"].min()
    sel = is_exp & (df["layer"] == first_layer) & df["name"].str.endswith((".up", ".gate"))
    per_exp = df.loc[sel].groupby(idx[sel].astype(int))["M"].first()
    n_exp = int(idx[is_exp].max()) + 1
    tokens = np.zeros(n_exp)
    tokens[per_exp.index.to_numpy()] = per_exp.to_numpy() * ep
    dev = device_expert_tokens(tokens, ep)
    busiest = int(np.argmax(dev))
    if ep <= n_exp:
        keep = {e: 1.0 for e in range(n_exp) if e % ep == busiest}
    else:
        copies = np.ones(n_exp)
        for _ in range(ep - n_exp):
            copies[int(np.argmax(tokens / copies))] += 1
        owner = np.repeat(np.arange(n_exp), copies.astype(np.int64))
        e = int(owner[busiest])
        keep = {e: 1.0 / copies[e]}
    out = df.copy()
    drop = is_exp & ~idx.isin(list(keep))
    out = out.loc[~drop].copy()
    exp_rows = out["name"].map(is_expert_op).notna()
    factor = out.loc[exp_rows, "name"].map(lambda n: ep * keep[is_expert_op(n)])
    newm = np.ceil(out.loc[exp_rows, "M"].to_numpy() * factor.to_numpy()).astype(np.int64)
    out.loc[exp_rows, "M"] = np.maximum(newm, 1)
    gemv = exp_rows & (out["kind"] == "gemv") & (out["M"] > 1)
    out.loc[gemv, "kind"] = "gemm"
    return out, tokens


def _interleave(ops: pd.DataFrame, rows: list[dict], freq: float, exposed_frac: float) -> pd.DataFrame:
    """Return the compute rows with each collective row after the op it follows (``cycles`` = its exposed time)."""
    if not rows:
        return ops
    comm = pd.DataFrame(rows)
    comm["cycles"] = np.rint(comm["comm_seconds"].to_numpy() * freq * np.where(comm["group"] == "pp", 1.0,
                                                                                 exposed_frac)).astype(np.int64)
    ops = ops.copy()
    ops["_order"] = np.arange(len(ops), dtype=np.float64)
    comm["_order"] = comm.pop("_after").to_numpy(dtype=np.float64) + 0.5
    merged = pd.concat([ops, comm], ignore_index=True, sort=False).sort_values("_order", kind="stable")
    merged = merged.drop(columns="_order").reset_index(drop=True)
    for col in merged.columns:
        if col.endswith("_precision"):  # a collective row carries its op's formats (cost reads them)
            merged[col] = merged[col].ffill().bfill()
        elif pd.api.types.is_numeric_dtype(merged[col]):
            merged[col] = merged[col].fillna(0)
        elif merged[col].isna().any():
            merged[col] = merged[col].fillna("")
    return merged


def _schedule(op_s: np.ndarray, names: list[str], rows: list[dict], overlap: float) -> pd.DataFrame:
    """Return the timeline: lane ``compute`` (ops back to back) and lane ``link`` (collectives after their op).

    Without overlap the compute lane waits for each collective; with ``overlap`` the next op starts after
    ``(1 - overlap)`` of it.
    """
    after: dict[int, list[dict]] = {}
    for r in rows:
        after.setdefault(r["_after"], []).append(r)
    lane, name, start, dur, cat = [], [], [], [], []
    t = 0.0
    for i, s in enumerate(op_s):
        lane.append("compute")
        name.append(names[i])
        start.append(t)
        dur.append(float(s))
        cat.append("compute")
        t += float(s)
        for r in after.get(i, []):
            lane.append("link")
            name.append(r["name"])
            start.append(t)
            dur.append(float(r["comm_seconds"]))
            cat.append("communication")
            t += float(r["comm_seconds"]) * (1 - overlap)
    return pd.DataFrame({"lane": lane, "name": name, "start_s": start, "dur_s": dur, "cat": cat})
