"""Parallelism over chips: where tensor, pipeline, expert and data parallelism put communication.

Takes plain parameters (a trace's ops, degrees, sizes), never designs.  A :class:`ParallelPlan` says how
a model is spread; :func:`communication` lists the collectives one device takes part in for one
micro-batch of a per-device trace (built with ``tp`` = the plan's ``tp``), each placed after an op:

* **Tensor parallel** (Megatron-LM, Shoeybi et al. 2019, Sec. 3): the row-parallel GEMMs (attention
  output projection ``attn.out``, FFN ``down``, and a MoE layer's ``moe.combine`` when experts are
  TP-sharded) end with an all-reduce of ``tokens x hidden`` activations: 2 per layer.  With
  ``sequence_parallel`` (Korthikanti et al. 2022, Sec. 4.2.2) each all-reduce becomes a reduce-scatter
  plus an all-gather of the same buffer (same bytes, norms on 1/tp of the tokens; the norm saving is
  not modelled).
* **Expert parallel** (GShard / DeepSeek-V3 Sec. 3.4): a MoE layer dispatches tokens with an all-to-all
  before the experts and combines with another after; rank i sends rank j the tokens routed to j's
  experts (uneven counts from the routing distribution).  Experts are placed round-robin; each
  device runs the experts it holds on the tokens of every EP rank (:func:`expert_placement`).
* **Pipeline parallel** (GPipe): ``pp`` stages of ``layers / pp``; a micro-batch's activations cross
  each stage boundary by send/recv; a step of ``m`` micro-batches takes ``(m + pp - 1)`` stage times
  (the bubble is ``(pp - 1) / (m + pp - 1)``).
* **Data parallel**: independent replicas (inference: no communication; training gradients are not
  modelled).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from archsim.core.errors import ConfigError, require_positive_int

_EXPERT = re.compile(r"(^|\.)moe\.e(\d+)\.")


@dataclass(frozen=True)
class ParallelPlan:
    """How a model is spread over devices.

    Attributes:
        tp: tensor-parallel degree (Megatron sharding inside a layer).
        pp: pipeline stages.
        ep: expert-parallel degree (MoE experts spread over ``ep`` devices; each of them runs its own
            tokens through attention: attention data-parallel over the EP group, as DeepSeek-V3 serves).
        dp: data-parallel replicas of the whole (tp x pp) model.
        micro_batches: micro-batches per pipeline step (the trace is one micro-batch).
        sequence_parallel: TP all-reduces as reduce-scatter + all-gather.
        overlap: fraction (0..1) of communication hidden under compute (0 = none, e.g. 0.9 = a
            compute-communication overlap scheme such as DeepSeek's two micro-batch pipelining).
    """

    tp: int = 1
    pp: int = 1
    ep: int = 1
    dp: int = 1
    micro_batches: int = 1
    sequence_parallel: bool = False
    overlap: float = 0.0

    def __post_init__(self) -> None:
        for f in ("tp", "pp", "ep", "dp", "micro_batches"):
            v = getattr(self, f)
            if isinstance(v, np.integer):
                object.__setattr__(self, f, int(v))
            require_positive_int(f, getattr(self, f))
        if not isinstance(self.sequence_parallel, bool):
            raise ConfigError(f"sequence_parallel must be true or false, not {self.sequence_parallel!r}")
        o = self.overlap
        if isinstance(o, bool) or not isinstance(o, (int, float)) or not 0 <= o <= 1:
            raise ConfigError(f"overlap must be a number in [0, 1], not {o!r}")

    @property
    def devices(self) -> int:
        """Devices the plan uses: ``tp x pp x max(dp, ep)`` (EP groups are carved out of the DP replicas)."""
        return self.tp * self.pp * max(self.dp, self.ep)

    def bubble_fraction(self) -> float:
        """Return the pipeline bubble: ``(pp - 1) / (m + pp - 1)`` of a step is idle per stage."""
        return (self.pp - 1) / (self.micro_batches + self.pp - 1)


@dataclass(frozen=True)
class Comm:
    """One collective a device takes part in.

    Attributes:
        after: index of the op (row of the trace) it follows.
        name: label, e.g. ``L0-79.attn.out.all_reduce``.
        op: ``all_reduce`` | ``reduce_scatter`` | ``all_gather`` | ``all_to_all`` | ``send_recv``.
        size_bytes: nccl-tests size of one call, bytes.
        group: ``tp`` | ``ep`` | ``pp``: which ranks take part.
        ranks: size of that group.
        count: calls (the op's ``count``: collapsed identical layers).
        counts: all-to-all only: ``[ranks, ranks]`` bytes rank i sends rank j (None = even).
    """

    after: int
    name: str
    op: str
    size_bytes: float
    group: str
    ranks: int
    count: int = 1
    counts: np.ndarray | None = None


def expert_placement(num_experts: int, ep: int) -> np.ndarray:
    """Return the device (0..ep-1) holding each expert: round-robin, ``expert % ep``.

    With ``ep > num_experts`` devices ``num_experts..ep-1`` hold redundant copies of experts (DeepSeek's
    redundant experts, EPLB); :func:`device_expert_tokens` splits a copied expert's tokens over its copies.
    """
    require_positive_int("num_experts", num_experts)
    require_positive_int("ep", ep)
    return np.arange(num_experts) % ep


def device_expert_tokens(expert_tokens: Sequence[int], ep: int) -> np.ndarray:
    """Return ``[ep]`` tokens each device's experts process, given tokens routed to each expert (whole EP group).

    Experts go round-robin (:func:`expert_placement`); with more devices than experts the hottest experts
    get the spare devices as copies (greedy: the expert with the most tokens per copy gets the next
    copy) and their tokens split evenly over the copies.
    """
    t = np.asarray(expert_tokens, dtype=np.float64)
    e = t.size
    if ep <= e:
        return np.bincount(expert_placement(e, ep), weights=t, minlength=ep)
    copies = np.ones(e)
    for _ in range(ep - e):
        copies[int(np.argmax(t / copies))] += 1
    return np.repeat(t / copies, copies.astype(np.int64))


def a2a_counts(device_tokens: np.ndarray, bytes_per_token: float, tokens_per_rank: float, top_k: int) -> np.ndarray:
    """Return the ``[ep, ep]`` dispatch matrix: rank i sends rank j its share of j's routed tokens, bytes.

    Every rank routes alike (the same distribution), so rank i sends rank j
    ``tokens_per_rank x top_k x share_j`` tokens, ``share_j`` = j's fraction of all routed tokens.
    """
    share = device_tokens / device_tokens.sum() if device_tokens.sum() else np.full(device_tokens.size,
                                                                                    1 / device_tokens.size)
    row = tokens_per_rank * top_k * share * bytes_per_token
    return np.tile(row, (device_tokens.size, 1))


def communication(names: Sequence[str], m: Sequence[int], n: Sequence[int], counts: Sequence[int],
                  out_bytes: Sequence[float], plan: ParallelPlan, *, hidden: int = 0, act_bytes: float = 2.0,
                  tokens: int = 0, top_k: int = 0, expert_tokens: Sequence[int] | None = None,
                  dispatch_bytes: float | None = None) -> list[Comm]:
    """Return the collectives of one device for one micro-batch of its trace, in trace order.

    Args:
        names, m, n, counts, out_bytes: the trace's op names, M, N, count and output bytes per element.
        plan: the parallel plan.
        hidden: model width (elements) - pipeline send/recv and all-to-all sizes.
        act_bytes: bytes per activation element for send/recv and the combine all-to-all.
        tokens: tokens of this device's micro-batch.
        top_k: experts per token (MoE).
        expert_tokens: tokens routed to each expert over the whole EP group (MoE with ``ep > 1``).
        dispatch_bytes: bytes per element of the dispatch all-to-all (e.g. 1 for INT8/FP8 dispatch;
            default ``act_bytes``).
    """
    out: list[Comm] = []
    tp = plan.tp
    dev_tokens = None
    if plan.ep > 1 and expert_tokens is not None:
        dev_tokens = device_expert_tokens(expert_tokens, plan.ep)
    for i, name in enumerate(names):
        short = name.split(".", 1)[1] if name.startswith("L") and "." in name else name
        row = int(m[i]) * int(n[i]) * float(out_bytes[i])
        if tp > 1 and (short in ("attn.out", "ffn.down") or (short == "moe.combine")):
            if plan.sequence_parallel:
                out.append(Comm(i, f"{name}.reduce_scatter", "reduce_scatter", row, "tp", tp, int(counts[i])))
                out.append(Comm(i, f"{name}.all_gather", "all_gather", row, "tp", tp, int(counts[i])))
            else:
                out.append(Comm(i, f"{name}.all_reduce", "all_reduce", row, "tp", tp, int(counts[i])))
        if plan.ep > 1 and dev_tokens is not None:
            if short == "moe.router_softmax":
                db = act_bytes if dispatch_bytes is None else dispatch_bytes
                c = a2a_counts(dev_tokens, hidden * db, tokens, top_k)
                out.append(Comm(i, f"{name.rsplit('.', 1)[0]}.dispatch", "all_to_all", float(c.sum(axis=1).max()),
                                "ep", plan.ep, int(counts[i]), c))
            if short == "moe.combine":
                c = a2a_counts(dev_tokens, hidden * act_bytes, tokens, top_k).T.copy()
                out.append(Comm(i, f"{name.rsplit('.', 1)[0]}.combine_a2a", "all_to_all",
                                float(c.sum(axis=1).max()), "ep", plan.ep, int(counts[i]), c))
    if plan.pp > 1 and names:
        size = tokens * hidden * act_bytes
        out.append(Comm(len(names) - 1, "pipeline.send_recv", "send_recv", size, "pp", 2, plan.pp - 1))
    return out


def is_expert_op(name: str) -> int | None:
    """Return the expert index of a routed-expert op name (``...moe.e17.up``), else None."""
    mt = _EXPERT.search(name)
    return int(mt.group(2)) if mt else None
