"""vLLM-style continuous batching (Kwon et al., SOSP 2023; vLLM v0 scheduler): paged KV blocks, FCFS admission by
free blocks (1 % watermark), prefill-prioritized iterations (an iteration runs either the admitted prompts whole,
up to ``max_batched_tokens`` tokens, or one decode step of every running request), preemption of the most
recently admitted request when blocks run out, by recompute or by swap over the host link."""

from __future__ import annotations

from archsim.core.errors import ConfigError
from archsim.serving.schedulers import register_scheduler
from archsim.serving.schedulers.base import PREEMPT, Scheduler, admit, batch, make_decode, positive_int, swap_in


@register_scheduler
class VllmScheduler(Scheduler):
    """Continuous batching with paged KV and preemption.

    Options:
        max_num_seqs: most requests resident at once (vLLM default 256).
        max_batched_tokens: most prompt tokens per prefill iteration (default: the model's context, so any
            prompt fits).
        preempt: ``recompute`` (vLLM default) | ``swap``.
        watermark: fraction of blocks kept free at admission (vLLM default 0.01).
    """

    name = "vllm"
    OPTIONS = {"max_num_seqs": 256, "max_batched_tokens": None, "preempt": "recompute", "watermark": 0.01}

    def check(self) -> None:
        positive_int("max_num_seqs", self.max_num_seqs)
        if self.max_batched_tokens is not None:
            positive_int("max_batched_tokens", self.max_batched_tokens)
        if self.preempt not in PREEMPT:
            raise ConfigError(f"preempt must be one of {', '.join(PREEMPT)}, not {self.preempt!r}")
        if not 0 <= self.watermark < 1:
            raise ConfigError(f"watermark must be in [0, 1), not {self.watermark!r}")

    def setup(self, design, spec) -> None:
        if self.max_batched_tokens is None:
            self.max_batched_tokens = spec.model.max_positions

    def next_batch(self, inst, eng, now):
        """Return the next iteration of ``inst``: admitted prompts, else one decode step of all running."""
        back, extra = swap_in(inst, eng)
        if not inst.swapped and not back:
            ids, qs = admit(inst, eng, self.max_num_seqs, self.max_batched_tokens, watermark=self.watermark)
            if ids:
                return batch(ids, qs, [False] * len(ids), extra, "prefill")
        ids, more = make_decode(inst, eng, list(inst.running), self.preempt)
        return batch(ids, [1] * len(ids), [True] * len(ids), extra + more, "decode")
