"""Op -> device placement for heterogeneous designs (an xPU beside PIM), Duplex style.

A trace is cut into *placement units*: one op, or the three ops of one attention (scores, softmax, context),
which a device runs fused.  Each unit knows its time alone on every device it may run on (from the devices'
own models), its FLOPs and bytes (so its Op/B), and its *class* (``attention``, ``expert``, ``dense``,
``vector``).  Units run in trace order, except that the units of one *group* are mutually independent (the
experts of one MoE layer): a group's units on different devices run concurrently, and while two devices run
at once each proceeds at its measured co-run rate (shared DRAM banks; see
:func:`archsim.memory.pim.logic_die.corun_rates` and ``NpuPimDesign.corun_rates``).

Policies (:data:`POLICIES`):

* ``xpu`` / ``pim``: every eligible unit on that device;
* ``opb``: a unit goes to PIM when its Op/B is below ``threshold`` (Duplex selects "the most suitable
  processor based on the Op/B of each layer", arXiv:2409.01141 abstract);
* ``greedy``: single units on their fastest device; a group's units longest-first, each onto the device
  that ends the group soonest (LPT list scheduling, with the co-run rates);
* ``exhaustive``: every assignment of unit *classes* to devices (``devices ** classes`` candidates, at most
  :data:`MAX_EXHAUSTIVE` of them), each timed with the same model; ``greedy`` within groups is not mixed in,
  so ``exhaustive`` is optimal over class-level placements only.

Data movement between devices is zero: the PIM devices *are* the xPU's memory (the operands of every unit
live in the same DRAM), which holds for logic-die and bank-level PIM in the xPU's own stacks.

Pure functions over plain numbers: no design objects (dataflow sits upstream of arch).
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass, field

from archsim.core.errors import ConfigError

POLICIES = ("xpu", "pim", "opb", "greedy", "exhaustive")
#: largest number of class-level candidates ``exhaustive`` times
MAX_EXHAUSTIVE = 4096


@dataclass(frozen=True)
class Unit:
    """One placement unit.

    Attributes:
        name: label (the first op's name).
        op_class: ``attention`` | ``expert`` | ``dense`` | ``vector``.
        flops: floating-point operations of the unit (all ``count`` repetitions).
        bytes: bytes it reads and writes in DRAM (weights or KV, activations), all repetitions.
        seconds: device name -> seconds alone on that device (devices it cannot run on are absent).
        group: units sharing a non-empty group are mutually independent (experts of one MoE layer).
        ops: indices of the trace ops it covers.
    """

    name: str
    op_class: str
    flops: float
    bytes: float
    seconds: dict[str, float]
    group: str = ""
    ops: tuple[int, ...] = field(default=())

    @property
    def opb(self) -> float:
        """Arithmetic intensity, FLOP per DRAM byte."""
        return self.flops / self.bytes if self.bytes else math.inf


@dataclass(frozen=True)
class Placement:
    """A placement and its modelled time.

    Attributes:
        devices: device chosen per unit (same order as the units).
        seconds: makespan of the whole trace, seconds.
        schedule: ``(unit index, device, start_s, dur_s)`` per unit.
    """

    devices: tuple[str, ...]
    seconds: float
    schedule: tuple[tuple[int, str, float, float], ...]


def _stages(units: Sequence[Unit]) -> list[list[int]]:
    """Return consecutive runs of unit indices: one per ungrouped unit, one per run of a shared group."""
    out: list[list[int]] = []
    for i, u in enumerate(units):
        if out and u.group and units[out[-1][0]].group == u.group:
            out[-1].append(i)
        else:
            out.append([i])
    return out


def _corun_end(work: dict[str, float], rates: dict[str, float]) -> dict[str, float]:
    """Return each device's finish time when devices start ``work`` seconds (alone) together, slowed to
    ``rates[device]`` while another device is still busy."""
    left = {d: w for d, w in work.items() if w > 0}
    end = dict.fromkeys(work, 0.0)
    now = 0.0
    while left:
        r = {d: (rates.get(d, 1.0) if len(left) > 1 else 1.0) for d in left}
        if any(v <= 0 for v in r.values()):
            raise ConfigError(f"co-run rates must be positive, not {rates!r}")
        dt = min(left[d] / r[d] for d in left)
        now += dt
        for d in list(left):
            left[d] -= r[d] * dt
            if left[d] <= 1e-15 * max(work[d], 1e-30):
                end[d] = now
                del left[d]
    return end


def evaluate(units: Sequence[Unit], devices: Sequence[str], rates: dict[str, float] | None = None) -> Placement:
    """Return the :class:`Placement` of ``units`` on ``devices`` (one name per unit), timed as described in the
    module docstring; ``rates`` = device -> co-run rate (default 1.0: no interference)."""
    if len(devices) != len(units):
        raise ConfigError(f"need one device per unit ({len(units)}), not {len(devices)}")
    rates = rates or {}
    now = 0.0
    sched = []
    for stage in _stages(units):
        work: dict[str, float] = {}
        for i in stage:
            d = devices[i]
            if d not in units[i].seconds:
                raise ConfigError(f"unit {units[i].name!r} cannot run on {d!r}; it can on {sorted(units[i].seconds)}")
            work[d] = work.get(d, 0.0) + units[i].seconds[d]
        ends = _corun_end(work, rates)
        # units of one device back to back, stretched over that device's (co-run) span
        for d in work:
            t = now
            scale = ends[d] / work[d] if work[d] else 1.0
            for i in stage:
                if devices[i] == d:
                    dur = units[i].seconds[d] * scale
                    sched.append((i, d, t, dur))
                    t += dur
        now += max(ends.values(), default=0.0)
    return Placement(tuple(devices), now, tuple(sched))


def place(units: Sequence[Unit], policy: str, xpu: str = "xpu", pim: str = "pim", threshold: float = 8.0,
          rates: dict[str, float] | None = None) -> Placement:
    """Return the placement of ``units`` chosen by ``policy`` (see :data:`POLICIES`) between devices ``xpu`` and
    ``pim``; ``threshold`` is the Op/B below which ``opb`` picks PIM."""
    if policy not in POLICIES:
        raise ConfigError(f"placement must be one of {', '.join(POLICIES)}, not {policy!r}")
    if not (isinstance(threshold, (int, float)) and math.isfinite(threshold) and threshold > 0):
        raise ConfigError(f"threshold must be a positive number (FLOP/B), not {threshold!r}")

    def pick(u: Unit, want: str) -> str:
        return want if want in u.seconds else next(iter(u.seconds))

    if policy in ("xpu", "pim"):
        return evaluate(units, [pick(u, xpu if policy == "xpu" else pim) for u in units], rates)
    if policy == "opb":
        return evaluate(units, [pick(u, pim if u.opb < threshold else xpu) for u in units], rates)
    if policy == "greedy":
        return evaluate(units, _greedy(units, rates or {}), rates)
    return _exhaustive(units, (xpu, pim), rates)


def _greedy(units: Sequence[Unit], rates: dict[str, float]) -> list[str]:
    out = [""] * len(units)
    for stage in _stages(units):
        if len(stage) == 1:
            u = units[stage[0]]
            out[stage[0]] = min(u.seconds, key=lambda d: (u.seconds[d], d))
            continue
        work: dict[str, float] = {}
        for i in sorted(stage, key=lambda j: -min(units[j].seconds.values())):
            u = units[i]

            def span(d: str, u: Unit = u, work: dict[str, float] = work) -> float:
                trial = dict(work)
                trial[d] = trial.get(d, 0.0) + u.seconds[d]
                return max(_corun_end(trial, rates).values())

            best = min(u.seconds, key=lambda d: (span(d), d))
            out[i] = best
            work[best] = work.get(best, 0.0) + u.seconds[best]
    return out


def _exhaustive(units: Sequence[Unit], devs: tuple[str, ...], rates: dict[str, float] | None) -> Placement:
    classes = sorted({u.op_class for u in units})
    options = [[d for d in devs if any(d in u.seconds for u in units if u.op_class == c)] for c in classes]
    n = math.prod(len(o) for o in options)
    if n > MAX_EXHAUSTIVE:
        raise ConfigError(f"exhaustive placement would time {n} candidates (limit {MAX_EXHAUSTIVE}); use 'greedy'")
    best: Placement | None = None
    for combo in itertools.product(*options):
        choice = dict(zip(classes, combo))
        devices = [choice[u.op_class] if choice[u.op_class] in u.seconds else min(u.seconds, key=u.seconds.get)
                   for u in units]
        p = evaluate(units, devices, rates)
        if best is None or p.seconds < best.seconds - 1e-15:
            best = p
    if best is None:
        raise ConfigError("nothing to place: the trace has no ops")
    return best


__all__ = ["MAX_EXHAUSTIVE", "POLICIES", "Placement", "Unit", "evaluate", "place"]


def split_over_devices(ops: Sequence, devices: int) -> list:
    """Return the share of ``ops`` (archsim Ops) that one of ``devices`` identical PIM devices runs: attention
    (operand B is the KV cache) split over its (sequence, KV head) pairs -- the ``batch`` dim -- and every
    other op over its output columns ``N`` (weights striped by column), rounding up."""
    import dataclasses

    if not isinstance(devices, int) or devices < 1:
        raise ConfigError(f"devices must be a positive integer, not {devices!r}")
    out = []
    for o in ops:
        if o.b_tensor == "kv" or o.kind == "softmax":
            out.append(dataclasses.replace(o, batch=math.ceil(o.batch / devices)))
        else:
            out.append(dataclasses.replace(o, N=math.ceil(o.N / devices)))
    return out


__all__ += ["split_over_devices"]
