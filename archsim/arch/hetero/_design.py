"""``HeteroDesign``: an xPU plus PIM devices in its memory, each op placed on the device that suits it.

Model (docs/hetero.md):

* The trace is cut into placement units (:mod:`archsim.dataflow.placement`): one op; the scores, softmax
  and context ops of one attention (run fused); or every op of one MoE expert (``*.moe.e<N>.*``, run as a
  chain on one device, so experts are placed one by one by their own token count).
* Each unit is timed alone on the xPU (``xpu.run`` of its ops) and, when its class is in ``pim_classes``,
  on the PIM devices: every one of ``pim_devices`` devices runs its share
  (:func:`archsim.dataflow.placement.split_over_devices`), so the PIM time is one device's ``run``.
* ``placement`` picks the devices (``xpu`` | ``pim`` | ``opb`` | ``greedy`` | ``exhaustive``); experts of
  one MoE layer are independent, so experts on the xPU and on PIM run concurrently (Duplex's expert
  co-processing), each slowed by the measured co-run rate of the shared DRAM banks when ``interference``
  is on (logic-die PIM: :func:`archsim.memory.pim.logic_die.corun_rates`; bank-level PIM: host and PIM
  commands cannot share a bank in ``blocked`` mode, so the xPU's rate is 0 there and the two serialize).
* The PIM devices are the xPU's own DRAM (no data moves between devices); weights and KV caches are
  resident once.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from typing import Any, ClassVar

import pandas as pd

from archsim.core.design import DesignBase
from archsim.core.errors import ConfigError, require_choice, require_positive_int
from archsim.core.result import Result, build_result
from archsim.core.vocab import is_action
from archsim.dataflow.placement import POLICIES, Placement, Unit, is_attention, place, split_over_devices
from archsim.workloads.op import Op
from archsim.workloads.summary import summarize
from archsim.workloads.trace import Trace, as_ops

CLASSES = ("attention", "expert", "dense", "vector")
_EXPERT = re.compile(r"^(?P<layer>.*\.moe)\.e(?P<expert>\d+)\.")
#: per-op columns kept from the devices' own Result.ops
_INFO = ("name", "kind", "M", "K", "N", "batch", "count", "a_precision", "b_precision")


def _units(ops: list[Op]) -> list[tuple[str, str, list[int]]]:
    """Return ``(class, group, op indices)`` per placement unit, in trace order."""
    out: list[tuple[str, str, list[int]]] = []
    i = 0
    while i < len(ops):
        o = ops[i]
        m = _EXPERT.match(o.name)
        if m:
            key = f"{m['layer']}.e{m['expert']}."
            j = i
            while j < len(ops) and ops[j].name.startswith(key):
                j += 1
            out.append(("expert", m["layer"], list(range(i, j))))
            i = j
        elif is_attention(o):
            j = i
            while j < len(ops) and is_attention(ops[j]) and (j == i or ops[j].name.split(".")[-1] != "scores"):
                j += 1
            out.append(("attention", "", list(range(i, j))))
            i = j
        else:
            out.append(("dense" if o.is_matrix else "vector", "", [i]))
            i += 1
    return out


def _resolve(value: Any, kind: str) -> Any:
    """Return the design ``value`` names: an NPU or PIM preset name, a dict of fields, or a design object."""
    from archsim.arch.npu import NpuDesign, get_npu_design
    from archsim.arch.pim import PimDesign, get_pim_design

    if isinstance(value, str):
        return get_npu_design(value) if kind == "npu" else get_pim_design(value)
    if isinstance(value, dict):
        data = {k: v for k, v in value.items() if k != "type"}
        return NpuDesign.from_dict(data) if kind == "npu" else PimDesign.from_dict(data)
    return value


@dataclass(frozen=True)
class HeteroDesign(DesignBase):
    """An xPU whose DRAM holds PIM devices, with per-op placement.

    Attributes:
        name: label.
        xpu: an NPU/GPU-class design or preset name (``h100-sxm5-80gb`` ...).
        pim: a PIM design or preset name (``logic-die-pim`` for Duplex, ``hbm-pim`` ...).
        pim_devices: PIM devices (stacks) in the xPU's memory; each runs its share of a PIM unit.
        placement: ``xpu`` | ``pim`` | ``opb`` | ``greedy`` | ``exhaustive`` (:mod:`archsim.dataflow.placement`).
        opb_threshold: Op/B (FLOP per DRAM byte) below which ``opb`` picks PIM; ``"auto"`` = where the two
            rooflines cross: all PIM devices' peak FLOP/s over the xPU's DRAM bandwidth (below it the PIM
            devices, compute-bound or not, beat the xPU's memory-bound time).
        pim_classes: unit classes PIM may run (Duplex's Logic-PIM runs MoE experts and attention).
        interference: slow concurrent xPU and PIM work by their measured co-run rates.
        source: citation.
    """

    design_type: ClassVar[str] = "hetero"

    name: str = "hetero"
    xpu: Any = "h100-sxm5-80gb"
    pim: Any = "logic-die-pim"
    pim_devices: int = 5
    placement: str = "opb"
    opb_threshold: Any = "auto"
    pim_classes: tuple = ("attention", "expert")
    interference: bool = True
    source: str = ""
    _memo: dict = field(default_factory=dict, init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if not isinstance(self.name, str) or not self.name:
            raise ConfigError(f"name must be a non-empty string, not {self.name!r}")
        xpu, pim = _resolve(self.xpu, "npu"), _resolve(self.pim, "pim")
        if not hasattr(xpu, "run") or not hasattr(xpu, "freq_mhz"):
            raise ConfigError(f"xpu must be an NPU/GPU-class design or preset name, not {self.xpu!r}")
        if not hasattr(pim, "external_bandwidth_gbps") or not hasattr(pim, "placement"):
            raise ConfigError(f"pim must be a PIM design or preset name, not {self.pim!r}")
        object.__setattr__(self, "xpu", xpu)
        object.__setattr__(self, "pim", pim)
        require_positive_int("pim_devices", self.pim_devices)
        require_choice("placement", self.placement, POLICIES)
        th = self.opb_threshold
        if th != "auto" and (isinstance(th, bool) or not isinstance(th, (int, float)) or not math.isfinite(th)
                             or th <= 0):
            raise ConfigError(f"opb_threshold must be a positive number (FLOP/B) or 'auto', not {th!r}")
        classes = self.pim_classes
        if isinstance(classes, str) or not isinstance(classes, (list, tuple)):
            raise ConfigError(f"pim_classes must be a list of {', '.join(CLASSES)}, not {classes!r}")
        for c in classes:
            require_choice("pim_classes", c, CLASSES)
        object.__setattr__(self, "pim_classes", tuple(classes))
        if not isinstance(self.interference, bool):
            raise ConfigError(f"interference must be true or false, not {self.interference!r}")

    # ------------------------------------------------------------ description
    @property
    def node_nm(self) -> float:
        """Technology node of the xPU, nm."""
        return self.xpu.node_nm

    @property
    def freq_mhz(self) -> float:
        """xPU clock, MHz (the result's cycles count it)."""
        return self.xpu.freq_mhz

    @property
    def threshold(self) -> float:
        """The Op/B threshold in use (``opb_threshold``, or the roofline crossover for ``auto``), FLOP/B."""
        if self.opb_threshold != "auto":
            return float(self.opb_threshold)
        pim_flops = self.pim.peak_flops * self.pim_devices
        pim_bw = self.pim.internal_bandwidth_gbps * 1e9 * self.pim_devices
        xpu_bw = float(self.xpu.memory_bandwidth_gbps) * 1e9
        if pim_bw <= xpu_bw:  # PIM reads no faster than the xPU: it never wins on a memory-bound op
            return pim_flops / pim_bw
        return pim_flops / xpu_bw

    def describe(self) -> pd.DataFrame:
        """Return the parameters as a table (field, value, unit, source)."""
        rows = [
            ("name", self.name, "", "label"),
            ("xpu", getattr(self.xpu, "name", "?"), "", getattr(self.xpu, "source", "")),
            ("pim", getattr(self.pim, "name", "?"), "", getattr(self.pim, "source", "")),
            ("pim_devices", self.pim_devices, "devices", self.source),
            ("placement", self.placement, "", "archsim.dataflow.placement"),
            ("opb_threshold", round(self.threshold, 3), "FLOP/B",
             "roofline crossover: PIM peak FLOP/s / xPU DRAM B/s" if self.opb_threshold == "auto" else "set"),
            ("pim_classes", ",".join(self.pim_classes), "", "Duplex: MoE experts and attention on Logic-PIM"),
            ("interference", self.interference, "", "measured co-run rates"),
            ("pim_internal_bandwidth", round(self.pim.internal_bandwidth_gbps * self.pim_devices, 1), "GB/s",
             "cycle-level DRAM-side peak and TSV cap, all devices"),
            ("source", self.source, "", "citation of the configuration"),
        ]
        return pd.DataFrame(rows, columns=["field", "value", "unit", "source"])

    def peaks(self) -> dict[str, Any]:
        """Return the xPU's peaks plus the PIM devices' (``pim_flops_per_s``, ``pim_bytes_per_s``)."""
        out = dict(self.xpu.peaks()) if hasattr(self.xpu, "peaks") else {}
        out["pim_flops_per_s"] = self.pim.peak_flops * self.pim_devices
        out["pim_bytes_per_s"] = self.pim.internal_bandwidth_gbps * 1e9 * self.pim_devices
        return out

    def memory_capacity_bytes(self) -> int | None:
        """Return the xPU's memory capacity in bytes (the PIM devices are that memory), None if not modelled."""
        cap = getattr(self.xpu, "memory_capacity_bytes", None)
        return cap() if callable(cap) else None

    def components(self) -> list[dict]:
        """Return the xPU's parts plus the PIM units (``pim_`` prefixed, counts x ``pim_devices``).

        The PIM designs' own DRAM and host vector unit are dropped: the PIM devices are the xPU's DRAM
        (priced by the xPU's ``dram`` part) and the xPU is their host."""
        parts = [dict(p) for p in self.xpu.components()]
        for p in self.pim.components():
            if p["kind"] in ("dram", "vector_unit"):
                continue
            q = dict(p)
            q["name"] = q["name"] if q["name"].startswith("pim") else "pim_" + q["name"]
            if "count" in q:
                q["count"] = q["count"] * self.pim_devices
            parts.append(q)
        return parts

    # ------------------------------------------------------------------- run
    def _xpu_run(self, ops: list[Op]) -> Result:
        key = ("xpu", tuple(ops))
        if key not in self._memo:
            self._memo[key] = self.xpu.run(ops)
        return self._memo[key]

    def _pim_run(self, ops: list[Op]) -> Result:
        share = split_over_devices(ops, self.pim_devices)
        key = ("pim", tuple(share))
        if key not in self._memo:
            need = max((o.M for o in share if o.is_matrix), default=1)
            pim = self.pim if need <= self.pim.max_m else self.pim.replace(max_m=need)
            self._memo[key] = pim.run(Trace.from_ops(share))
        return self._memo[key]

    def _pim_ok(self, cls: str, ops: list[Op]) -> bool:
        if cls not in self.pim_classes:
            return False
        # a PIM device must hold its share of the weights/KV it streams (checked by the PIM run's summary)
        return True

    def corun_rates(self) -> dict[str, float]:
        """Return ``{"xpu": rate, "pim": rate}`` while both devices run (1.0 = no slowdown)."""
        if not self.interference:
            return {"xpu": 1.0, "pim": 1.0}
        if self.pim.placement == "logic_die":
            from archsim.memory.pim.logic_die import corun_rates

            p, h = corun_rates(self.pim.dram_spec, self.pim.tsv_parallelism)
            return {"xpu": h, "pim": p}
        if getattr(self.pim, "row_buffers", "blocked") == "blocked":
            return {"xpu": 1e-9, "pim": 1.0}  # host waits for the PIM program (blocked row buffers)
        return {"xpu": 1.0, "pim": 1.0}

    def plan(self, trace: Trace | list[Op] | Op) -> tuple[list[Op], list[Unit], Placement]:
        """Return ``(ops, units, placement)``: the placement units of ``trace`` with their times and the
        devices the policy chose."""
        ops = as_ops(trace)
        if not ops:
            raise ConfigError("trace must hold at least one op")
        summ = summarize(Trace.from_ops(ops))
        flops = summ["flops"].to_numpy(float)
        nbytes = summ["total_bytes"].to_numpy(float)
        units = []
        for cls, group, idx in _units(ops):
            part = [ops[i] for i in idx]
            secs = {"xpu": self._xpu_run(part).seconds}
            if self._pim_ok(cls, part):
                secs["pim"] = self._pim_run(part).seconds
            units.append(Unit(part[0].name, cls, float(flops[idx].sum()), float(nbytes[idx].sum()), secs,
                              group, tuple(idx)))
        return ops, units, place(units, self.placement, threshold=self.threshold, rates=self.corun_rates())

    def run(self, trace: Trace | list[Op] | Op, exact: bool = False) -> Result:
        """Return the Result: one row per op with its ``device``, ``start_s``, ``seconds`` and actions (PIM
        rows carry all devices' actions); ``summary`` adds per-device busy time and the placement."""
        from archsim.core.fields import strict_bool

        exact = strict_bool("exact", exact)
        if exact not in (True, False):
            raise ConfigError(f"exact must be true or false, not {exact!r}")
        ops, units, pl = self.plan(trace)
        rows = []
        busy = {"xpu": 0.0, "pim": 0.0}
        for ui, dev, start, dur in pl.schedule:
            u = units[ui]
            part = [ops[i] for i in u.ops]
            r = self._xpu_run(part) if dev == "xpu" else self._pim_run(part)
            scale = 1 if dev == "xpu" else self.pim_devices
            recs = r.ops.to_dict("records")
            own = [float(x.get("seconds", 0.0)) or float(x.get("cycles", 0)) for x in recs]
            total = sum(own) or 1.0
            t = start
            for rec, w in zip(recs, own):
                d = dur * w / total
                row = {c: rec[c] for c in _INFO if c in rec}
                row.update(device=dev, op_class=u.op_class, unit=u.name, start_s=t, seconds=d)
                for c, v in rec.items():
                    if is_action(c):
                        row[c] = int(v) * scale
                rows.append(row)
                t += d
            busy[dev] += dur
        df = pd.DataFrame(rows)
        for c in df.columns:
            if is_action(c):  # int64 where it fits; exact Python ints beyond (RF accesses of a 2^62-MAC op)
                col = df[c].fillna(0)
                df[c] = col.astype("int64") if col.map(lambda v: abs(int(v)) < 2**63).all() else col.map(int)
        f = self.freq_mhz * 1e6
        df["cycles"] = (df["seconds"] * f).round().astype("int64")
        seconds = pl.seconds
        batch = next((o.M for o in ops if o.is_matrix and o.b_tensor == "weight" and "moe.e" not in o.name), 1)
        schedule = pd.DataFrame({"lane": df["device"], "name": df["name"], "start_s": df["start_s"],
                                 "dur_s": df["seconds"], "cat": df["op_class"]})
        # the parts run their fast models (exact is not passed down): the summary says so
        return build_result(
            df, design=self.name, total_cycles=int(round(seconds * f)), seconds=seconds, exact=False,
            schedule=schedule, placement=self.placement, xpu_busy_s=busy["xpu"], pim_busy_s=busy["pim"],
            batch=batch, tokens_per_s=batch / seconds if seconds else 0.0, opb_threshold=self.threshold,
            corun_rates=self.corun_rates())


def placement_table(design: HeteroDesign, trace: Trace | list[Op]) -> pd.DataFrame:
    """Return one row per op class: units, the device(s) chosen, Op/B range, time on each device and why."""
    _, units, pl = design.plan(trace)
    rows = []
    for cls in CLASSES:
        idx = [i for i, u in enumerate(units) if u.op_class == cls]
        if not idx:
            continue
        devs = sorted({pl.devices[i] for i in idx})
        xs = sum(units[i].seconds["xpu"] for i in idx)
        ps = sum(units[i].seconds.get("pim", math.nan) for i in idx)
        opb = [units[i].opb for i in idx]
        on_pim = sum(1 for i in idx if pl.devices[i] == "pim")
        if cls not in design.pim_classes:
            why = "class not allowed on PIM"
        elif design.placement == "opb":
            why = f"Op/B {'<' if on_pim else '>='} threshold {design.threshold:.2f}" if on_pim in (0, len(idx)) \
                else f"{on_pim}/{len(idx)} units below threshold {design.threshold:.2f}"
        else:
            why = f"{design.placement}: modelled time" + (" with co-run rates" if design.interference else "")
        rows.append({"class": cls, "units": len(idx), "on_pim": on_pim, "device": "+".join(devs),
                     "opb_min": min(opb), "opb_max": max(opb), "xpu_s": xs, "pim_s": ps, "why": why})
    return pd.DataFrame(rows)


__all__ = ["CLASSES", "HeteroDesign", "placement_table"]
