"""Shared scheduler pieces: option checking, FCFS admission by free KV blocks, decode steps with preemption."""

from __future__ import annotations

from typing import Any

import numpy as np

from archsim.core.errors import ConfigError
from archsim.serving.engine import RUNNING, WAITING, Batch

PREEMPT = ("recompute", "swap")


class Scheduler:
    """Base class: options with defaults in ``OPTIONS`` (name -> default); unknown options are ConfigErrors."""

    name = "base"
    OPTIONS: dict[str, Any] = {}

    def __init__(self, **options: Any) -> None:
        bad = sorted(set(options) - set(self.OPTIONS))
        if bad:
            raise ConfigError(f"scheduler {self.name} has no option {bad[0]!r}; allowed: "
                              f"{', '.join(sorted(self.OPTIONS)) or 'none'}")
        for k, v in self.OPTIONS.items():
            setattr(self, k, options.get(k, v))
        self.check()

    def check(self) -> None:
        """Validate the options (ConfigError naming the bad one)."""

    def options(self) -> dict[str, Any]:
        """Return the options in effect."""
        return {k: getattr(self, k) for k in self.OPTIONS}

    def setup(self, design: Any, spec: Any) -> None:
        """Called once with the design and the model spec before the run."""

    def pools(self, design: Any, replicas: int) -> list[tuple[str, int, Any]]:
        """Return the instances to build: ``[(role, count, design)]``."""
        return [("both", replicas, design)]

    def policy(self, role: str) -> Any:
        """Return the object choosing the batches of an instance with ``role``."""
        return self


def positive_int(name: str, v: Any) -> int:
    """Return ``v`` if a positive int, else ConfigError naming ``name``."""
    if isinstance(v, bool) or not isinstance(v, (int, np.integer)) or v < 1:
        raise ConfigError(f"{name} must be a positive integer, not {v!r}")
    return int(v)


def admit(inst, eng, max_seqs: int, max_tokens: int, chunk: int | None = None, reserve_output: bool = False,
          watermark: float = 0.0) -> tuple[list[int], list[int]]:
    """Admit waiting requests FCFS (stopping at the first that does not fit) and return ``(ids, q)``.

    Each admitted request gets KV blocks for its whole prefill target (and its whole output when
    ``reserve_output``); ``q`` is its first chunk (``chunk`` = the token budget left, None = whole prefill).
    ``watermark``: fraction of all blocks kept free at admission (vLLM keeps 1 %).
    """
    ids: list[int] = []
    qs: list[int] = []
    tokens = 0
    keep = int(watermark * inst.kv.blocks)
    while inst.waiting:
        r = inst.waiting[0]
        if len(inst.running) >= max_seqs:
            break
        nq = int(eng.target[r] - eng.done_pf[r])
        q = nq if chunk is None else min(nq, chunk - tokens)
        if q <= 0 or (chunk is None and ids and tokens + q > max_tokens):
            break
        full = int(eng.target[r]) + (int(eng.output[r] - eng.gen[r]) - 1 if reserve_output else 0)
        if eng.blocks_needed(inst, r, full) > inst.kv.free - keep:
            break
        eng.alloc(inst, r, full)
        inst.waiting.popleft()
        eng.status[r] = RUNNING
        inst.running.append(r)
        ids.append(r)
        qs.append(q)
        tokens += q
    return ids, qs


def make_decode(inst, eng, ids: list[int], preempt: str) -> tuple[list[int], float]:
    """Give each request of ``ids`` (running, prefill done) room for one more token, preempting the most recently
    admitted running requests while blocks run out.  Returns ``(ids still running, swap seconds)``."""
    extra = 0.0
    ids = list(ids)
    while True:
        need = sum(eng.blocks_needed(inst, r, int(eng.ctx[r]) + 1) for r in ids)
        if need <= inst.kv.free or not inst.running:
            break
        victim = inst.running[-1]
        extra += eng.preempt(inst, victim, preempt)
        if victim in ids:
            ids.remove(victim)
    for r in ids:
        if not eng.alloc(inst, r, int(eng.ctx[r]) + 1):
            raise ConfigError(f"request {r} cannot get a KV block even alone; the cache is too small")
    return ids, extra


def swap_in(inst, eng) -> tuple[list[int], float]:
    """Bring swapped requests back FCFS while their blocks fit; returns ``(ids, seconds over the host link)``."""
    back, extra = [], 0.0
    while inst.swapped:
        r = inst.swapped[0]
        if eng.blocks_needed(inst, r, int(eng.ctx[r]) + 1) > inst.kv.free:
            break
        inst.swapped.popleft()
        eng.alloc(inst, r, int(eng.ctx[r]))
        eng.status[r] = RUNNING
        inst.running.append(r)
        extra += float(eng.ctx[r]) * inst.kv_bytes_per_token / inst.host_bytes_per_s
        back.append(r)
    return back, extra


def batch(ids: list[int], qs: list[int], decode: list[bool], extra: float = 0.0, note: str = "") -> Batch | None:
    """Return a :class:`Batch` (None if empty)."""
    if not ids:
        return None
    return Batch(np.asarray(ids, dtype=np.int64), np.asarray(qs, dtype=np.int64), np.asarray(decode, dtype=bool),
                 extra, note)


def waiting_ready(inst, eng) -> bool:
    """True if the head of the waiting queue has arrived (always, for queued requests)."""
    return bool(inst.waiting) and eng.status[inst.waiting[0]] == WAITING
