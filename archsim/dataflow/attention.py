"""Attention mappings: fused (FlashAttention-style) tiling vs the unfused sequence, and split-KV decode.

Plain parameters only (sequence lengths, head dim, on-chip bytes); no design objects.

Notation (one attention head, or one KV group for GQA): ``Q[Nq, d]``, ``K[Nk, d]``, ``V[Nk, d]``,
``O[Nq, d]``; ``e`` bytes per element; ``sram_bytes`` the on-chip memory one tile loop may use.

* **Unfused**: ``S = Q K^T`` written off chip, read by the softmax, ``P`` written, read by ``P V``:
  ``e * (Nq d + 2 Nk d + Nq d) + 4 e Nq Nk`` bytes (Dao et al. 2022, Theorem 2: Theta(N d + N^2)).
* **Fused**, ``kv_outer`` (FlashAttention Algorithm 1, Dao et al., NeurIPS 2022): block sizes
  ``Bc = ceil(M / (4 d))``, ``Br = min(Bc, d)`` with ``M = sram_bytes / e`` elements; K and V are read
  once, and for each of the ``Tc = ceil(Nk / Bc)`` K/V blocks every Q block, O block and the row
  statistics ``l, m`` are read and O, l, m written back:
  ``e * (2 Nk d + Tc * (3 Nq d + 4 Nq))`` bytes = Theta(N^2 d^2 / M) (Theorem 2).
* **Fused**, ``q_outer`` (FlashAttention-2 loop order, Dao 2023): each Q block of ``Br`` rows stays on
  chip with its O accumulator; K/V are streamed once per Q block:
  ``e * (2 Nq d + Tr * 2 Nk d)`` bytes with ``Tr = ceil(Nq / Br)``, ``Br = max(1, floor(M / (4 d)))``
  (Q, O and a K/V block pair share M).  For decode (Nq = the query rows of one KV group) Tr = 1: K/V
  are read exactly once.
* **Split-KV decode** (Lean Attention, Sanovar et al. 2024 / FlashDecoding): the ``Nk`` keys of a
  (sequence, KV head) unit are cut into ``splits`` chunks run on different cores; each writes a partial
  ``O`` (fp32) plus ``m, l`` that a final reduction reads back.
* **Decode partitions** (:func:`decode_partition`): ``none`` (one work item per unit), ``split_k``
  (flash-decoding, Dao et al. 2023: ``ceil(cores / units)`` equal chunks per unit, so ``units x splits``
  items may need a second wave) and ``stream_k`` (Lean Attention, Sanovar et al. 2024, Sec. 3: the
  ``units x Nk`` keys are dealt evenly over the cores as one wave, a core's span crossing unit boundaries;
  only units cut by a span boundary write partials).
* **Causal prefill** (:func:`causal_block_fraction`): FlashAttention-2 (Dao 2023, Sec. 3.1) skips the
  K/V blocks entirely above the diagonal; a Q block computes the blocks up to its last row's position.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from archsim.core.errors import ConfigError, require_choice, require_positive_int

LOOP_ORDERS = ("kv_outer", "q_outer")
DECODE_MODES = ("none", "split_k", "stream_k")
#: bytes of one fp32 partial value (split-KV partial outputs and row statistics)
PARTIAL_BYTES = 4


def _cdiv(a: int, b: int) -> int:
    return -(-a // b)


@dataclass(frozen=True)
class FusedAttentionPlan:
    """Tiling of one fused attention unit (one head / KV group).

    Attributes:
        block_q, block_kv: Q-block rows (Br) and K/V-block rows (Bc), elements.
        q_blocks, kv_blocks: Tr and Tc.
        offchip_bytes: off-chip bytes read + written by the unit.
        read_bytes, write_bytes: the split of ``offchip_bytes``.
    """

    loop_order: str
    block_q: int
    block_kv: int
    q_blocks: int
    kv_blocks: int
    read_bytes: int
    write_bytes: int

    @property
    def offchip_bytes(self) -> int:
        """Total off-chip bytes of the unit."""
        return self.read_bytes + self.write_bytes


def unfused_attention_bytes(nq: int, nk: int, d: int, elem_bytes: float = 2) -> dict[str, int]:
    """Return off-chip ``read_bytes`` / ``write_bytes`` of unfused attention (S and P round-trip off chip)."""
    for f, v in (("nq", nq), ("nk", nk), ("d", d)):
        require_positive_int(f, v)
    e = elem_bytes
    reads = e * (nq * d + 2 * nk * d) + e * nq * nk * 2   # Q, K, V; S read by softmax, P read by PV
    writes = e * nq * d + e * nq * nk * 2                  # O; S, P written
    return {"read_bytes": math.ceil(reads), "write_bytes": math.ceil(writes)}


def plan_fused_attention(nq: int, nk: int, d: int, sram_bytes: int, elem_bytes: float = 2,
                         loop_order: str = "kv_outer") -> FusedAttentionPlan:
    """Return the :class:`FusedAttentionPlan` of one head/group with ``sram_bytes`` of on-chip memory."""
    for f, v in (("nq", nq), ("nk", nk), ("d", d), ("sram_bytes", sram_bytes)):
        require_positive_int(f, v)
    require_choice("loop_order", loop_order, LOOP_ORDERS)
    e = elem_bytes
    m_el = int(sram_bytes // e)
    if m_el < 4 * d:
        raise ConfigError(f"sram_bytes must hold at least 4 x d = {4 * d} elements ({math.ceil(4 * d * e)} bytes), "
                          f"not {sram_bytes}")
    if loop_order == "kv_outer":
        bc = min(_cdiv(m_el, 4 * d), nk)
        br = min(bc, d, nq)
        tc, tr = _cdiv(nk, bc), _cdiv(nq, br)
        reads = e * (2 * nk * d + tc * (2 * nq * d + 2 * nq))   # K, V once; per K/V block: Q, O, l, m
        writes = e * tc * (nq * d + 2 * nq)                      # per K/V block: O, l, m
    else:
        br = min(max(1, m_el // (4 * d)), nq)
        bc = min(max(1, m_el // (4 * d)), nk)
        tr, tc = _cdiv(nq, br), _cdiv(nk, bc)
        reads = e * (nq * d + tr * 2 * nk * d)   # Q once; K, V once per Q block
        writes = e * nq * d                      # O once
    return FusedAttentionPlan(loop_order, br, bc, tr, tc, math.ceil(reads), math.ceil(writes))


def flash_io_bound(n: int, d: int, sram_bytes: int, elem_bytes: float = 2) -> float:
    """Return ``N^2 d^2 / M`` (elements; M = sram_bytes / elem_bytes): Dao et al. 2022, Theorem 2."""
    return n * n * d * d / (sram_bytes / elem_bytes)


@dataclass(frozen=True)
class SplitKv:
    """Split of a decode attention over cores along the KV length (Lean Attention).

    Attributes:
        units: (sequence, KV head) units.
        splits: chunks per unit; ``chunk`` keys each (the last may be shorter).
        work_items: ``units x splits`` (distributed over cores).
        partial_write_bytes, partial_read_bytes: fp32 partial O and (m, l) written by the chunks and
            read back by the reduction (0 when ``splits == 1``).
        reduce_flops: vector operations of the reduction (rescale and add).
    """

    units: int
    splits: int
    chunk: int
    work_items: int
    partial_write_bytes: int
    partial_read_bytes: int
    reduce_flops: int
    mode: str = "split_k"


def split_kv(units: int, nq: int, nk: int, d: int, cores: int, min_chunk: int = 256) -> SplitKv:
    """Return the :class:`SplitKv` that gives every core work: ``splits = ceil(cores / units)`` chunks per
    unit, no chunk shorter than ``min_chunk`` keys (and at most ``nk`` chunks)."""
    for f, v in (("units", units), ("nq", nq), ("nk", nk), ("d", d), ("cores", cores), ("min_chunk", min_chunk)):
        require_positive_int(f, v)
    splits = max(1, min(_cdiv(cores, units), nk // min_chunk if nk >= min_chunk else 1))
    chunk = _cdiv(nk, splits)
    splits = _cdiv(nk, chunk)
    per_partial = nq * (d + 2) * PARTIAL_BYTES
    pw = units * splits * per_partial if splits > 1 else 0
    red = units * (splits - 1) * nq * (2 * d + 4) if splits > 1 else 0
    return SplitKv(units, splits, chunk, units * splits, pw, pw, red)


def decode_partition(units: int, nq: int, nk: int, d: int, cores: int, mode: str,
                     min_chunk: int = 256) -> SplitKv:
    """Return the :class:`SplitKv` of decode ``mode`` (``none``, ``split_k``, ``stream_k``; module docstring).

    ``stream_k``: ``workers = min(cores, ceil(units x nk / min_chunk))`` spans of ``chunk`` keys each;
    ``splits`` reports the largest number of pieces of one unit.
    """
    for f, v in (("units", units), ("nq", nq), ("nk", nk), ("d", d), ("cores", cores), ("min_chunk", min_chunk)):
        require_positive_int(f, v)
    require_choice("decode mode", mode, DECODE_MODES)
    if mode == "none":
        return SplitKv(units, 1, nk, units, 0, 0, 0, "none")
    if mode == "split_k":
        return split_kv(units, nq, nk, d, cores, min_chunk)
    total = units * nk
    workers = max(1, min(cores, _cdiv(total, min_chunk)))
    chunk = _cdiv(total, workers)
    workers = _cdiv(total, chunk)
    cuts = np.arange(1, workers, dtype=np.int64) * chunk       # span boundaries inside the key range
    cuts = cuts[cuts % nk != 0]                                # those that cut a unit
    split_units = np.unique(cuts // nk)
    per_partial = nq * (d + 2) * PARTIAL_BYTES
    pieces = len(cuts) + len(split_units)                      # partial results written
    pw = pieces * per_partial
    red = len(cuts) * nq * (2 * d + 4)
    splits = 1 + (int(np.bincount(cuts // nk).max()) if len(cuts) else 0)
    return SplitKv(units, splits, chunk, workers, pw, pw, red, "stream_k")


def causal_block_fraction(nq: int, nk: int, block_q: int, block_kv: int) -> float:
    """Return the fraction of the ``ceil(nq / block_q) x ceil(nk / block_kv)`` score blocks a causal kernel
    computes: the queries are the last ``nq`` of ``nk`` positions, and Q block ``j`` needs the K/V blocks
    up to its last row's position (blocks on the diagonal run in full, masked inside)."""
    for f, v in (("nq", nq), ("nk", nk), ("block_q", block_q), ("block_kv", block_kv)):
        require_positive_int(f, v)
    tr, tc = _cdiv(nq, block_q), _cdiv(nk, block_kv)
    last = np.minimum(nq, (np.arange(tr, dtype=np.int64) + 1) * block_q)   # rows covered, 1-based last row
    keys = nk - nq + last
    blocks = -(-keys // block_kv)
    return float(blocks.sum()) / (tr * tc)
