"""Sarathi-Serve chunked prefill (Agrawal et al., OSDI 2024): stall-free batching under a token budget.  Every
iteration runs one decode step of every running request whose prefill is done, then fills the rest of the budget
(``chunk`` tokens) with prefill chunks: first of requests already being prefilled, then of newly admitted ones
(FCFS by free KV blocks; blocks for the whole prompt are taken at admission)."""

from __future__ import annotations

from archsim.core.errors import ConfigError
from archsim.serving.schedulers import register_scheduler
from archsim.serving.schedulers.base import PREEMPT, Scheduler, admit, batch, make_decode, positive_int


@register_scheduler
class SarathiScheduler(Scheduler):
    """Chunked prefill with a token budget.

    Options:
        chunk: token budget per iteration (decode tokens included), e.g. 512 or 2048 (Sarathi-Serve Sec. 5).
        max_num_seqs: most requests resident at once.
        preempt: ``recompute`` | ``swap``.
        watermark: fraction of blocks kept free at admission.
    """

    name = "sarathi"
    OPTIONS = {"chunk": 512, "max_num_seqs": 256, "preempt": "recompute", "watermark": 0.01}

    def check(self) -> None:
        positive_int("chunk", self.chunk)
        positive_int("max_num_seqs", self.max_num_seqs)
        if self.preempt not in PREEMPT:
            raise ConfigError(f"preempt must be one of {', '.join(PREEMPT)}, not {self.preempt!r}")

    def next_batch(self, inst, eng, now):
        """Return decodes of every prefilled running request plus prefill chunks up to the budget."""
        from archsim.serving.schedulers.base import swap_in

        back, extra = swap_in(inst, eng)
        done = [r for r in inst.running if eng.done_pf[r] >= eng.target[r]]
        dec, more = make_decode(inst, eng, done, self.preempt)
        extra += more
        ids, qs, flags = list(dec), [1] * len(dec), [True] * len(dec)
        budget = self.chunk - len(dec)
        for r in list(inst.running):
            if budget <= 0:
                break
            left = int(eng.target[r] - eng.done_pf[r])
            if left > 0:
                c = min(left, budget)
                ids.append(r)
                qs.append(c)
                flags.append(False)
                budget -= c
        if budget > 0 and not inst.swapped:
            new, nq = admit(inst, eng, self.max_num_seqs, 0, chunk=budget, watermark=self.watermark)
            ids += new
            qs += nq
            flags += [False] * len(new)
        return batch(ids, qs, flags, extra, "mixed")
