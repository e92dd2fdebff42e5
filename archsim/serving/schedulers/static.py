"""Static batching (the pre-Orca baseline): take up to ``batch`` waiting requests, reserve KV for their whole
sequences, prefill them together, then run decode steps until every one of them has finished; new requests wait
for the whole batch."""

from __future__ import annotations

from archsim.serving.schedulers import register_scheduler
from archsim.serving.schedulers.base import Scheduler, admit, batch, positive_int


@register_scheduler
class StaticScheduler(Scheduler):
    """Request-level batching.

    Options:
        batch: most requests per batch.
    """

    name = "static"
    OPTIONS = {"batch": 32}

    def check(self) -> None:
        positive_int("batch", self.batch)

    def next_batch(self, inst, eng, now):
        """Return a decode step of the current batch, or the prefill of a new batch when it is empty."""
        if inst.running:
            ids = list(inst.running)
            for r in ids:
                eng.alloc(inst, r, int(eng.ctx[r]) + 1)  # reserved at admission: never fails
            return batch(ids, [1] * len(ids), [True] * len(ids), note="decode")
        ids, qs = admit(inst, eng, self.batch, 1 << 62, reserve_output=True)
        return batch(ids, qs, [False] * len(ids), note="prefill")
