"""Prefill/decode disaggregation (Splitwise, Patel et al., ISCA 2024; DistServe, Zhong et al., OSDI 2024): a pool of
prefill instances runs prompts only (vLLM-style prefill batches); when a prompt is done its first token is out,
and its KV cache goes over a modelled link (one per prefill instance, transfers queue on it) to the least-loaded
decode instance, which reserves blocks for the whole sequence on arrival (no preemption) and runs decode steps
of all its resident requests.  Each pool has its own design."""

from __future__ import annotations

from typing import Any

from archsim.core.errors import ConfigError
from archsim.serving.engine import WAITING
from archsim.serving.schedulers import register_scheduler
from archsim.serving.schedulers.base import Scheduler, admit, batch, positive_int


class _Prefill:
    def __init__(self, s: DisaggScheduler) -> None:
        self.s = s

    def next_batch(self, inst, eng, now):
        ids, qs = admit(inst, eng, self.s.max_num_seqs, self.s.max_batched_tokens)
        return batch(ids, qs, [False] * len(ids), note="prefill")


class _Decode:
    def __init__(self, s: DisaggScheduler) -> None:
        self.s = s

    def next_batch(self, inst, eng, now):
        while inst.incoming and len(inst.running) < self.s.max_num_seqs:
            r = inst.incoming[0]
            if eng.status[r] != WAITING:  # KV still on the link
                break
            full = int(eng.prompt[r] + eng.output[r] - 1)
            if eng.blocks_needed(inst, r, full) > inst.kv.free:
                break
            inst.incoming.popleft()
            eng.alloc(inst, r, full)
            eng.status[r] = 1
            inst.running.append(r)
        ids = list(inst.running)
        for r in ids:
            eng.alloc(inst, r, int(eng.ctx[r]) + 1)
        return batch(ids, [1] * len(ids), [True] * len(ids), note="decode")


@register_scheduler
class DisaggScheduler(Scheduler):
    """Disaggregated prefill and decode pools.

    Options:
        prefill_instances, decode_instances: devices in each pool.
        prefill_design, decode_design: design (object, preset name or file) of each pool; default the served one.
        link_gbps: KV-transfer link bandwidth per prefill instance, GB/s (default 25: one 200 Gb/s InfiniBand HDR
            NIC per GPU as in Splitwise's DGX setup, Patel et al. Sec. 5).
        link_latency_s: fixed latency per transfer, s (default 5e-6; assumption).
        max_num_seqs, max_batched_tokens: as in ``vllm``.
    """

    name = "disagg"
    OPTIONS = {"prefill_instances": 1, "decode_instances": 1, "prefill_design": None, "decode_design": None,
               "link_gbps": 25.0, "link_latency_s": 5e-6, "max_num_seqs": 256, "max_batched_tokens": None}

    def check(self) -> None:
        positive_int("prefill_instances", self.prefill_instances)
        positive_int("decode_instances", self.decode_instances)
        positive_int("max_num_seqs", self.max_num_seqs)
        for f in ("link_gbps",):
            v = getattr(self, f)
            if isinstance(v, bool) or not isinstance(v, (int, float)) or not v > 0:
                raise ConfigError(f"{f} must be a positive number, not {v!r}")
        v = self.link_latency_s
        if isinstance(v, bool) or not isinstance(v, (int, float)) or not v >= 0:
            raise ConfigError(f"link_latency_s must be a non-negative number, not {v!r}")

    def setup(self, design, spec) -> None:
        if self.max_batched_tokens is None:
            self.max_batched_tokens = spec.model.max_positions

    def pools(self, design: Any, replicas: int) -> list[tuple[str, int, Any]]:
        from archsim.arch.registry import load_design

        p = design if self.prefill_design is None else load_design(self.prefill_design)
        d = design if self.decode_design is None else load_design(self.decode_design)
        return [("prefill", self.prefill_instances * replicas, p), ("decode", self.decode_instances * replicas, d)]

    def policy(self, role: str) -> Any:
        return _Prefill(self) if role == "prefill" else _Decode(self)
