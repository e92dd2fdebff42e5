"""Systolic-array mapping: folds, loop order, stream chunking and buffer traffic of any registered dataflow.

Written once and used by both the exact and the fast model of
:class:`archsim.arch.SystolicArray`.  Takes plain parameters (array rows/cols,
buffer bytes, element sizes), never a design object.  The micro-architecture
the timing formulas come from is ``docs/microarch.md``; the buffer policy is
``docs/systolic.md``.

Notation: ``C[M, N] = A[M, K] @ B[K, N]`` (x ``batch``) on an ``R x C`` array.
A *fold* is one pass of one ``R x C`` tile; its *stream* is the dimension fed
one element per cycle per array row.  When a stream does not fit the SRAM it is
cut into chunks (the ``q`` loop below), each chunk a fold of its own.

========  =============================  ==========  ====================================
dataflow  fold loops (outer .. inner)    stream      stationary tile (per fold)
========  =============================  ==========  ====================================
``os``    batch, m-tile, n-tile, k-chunk  ``K``       outputs (R x C accumulators)
``ws``    batch, m-chunk, n-tile, k-tile  ``M``       ``B[k-tile, n-tile]``
``is``    batch, n-chunk, m-tile, k-tile  ``N``       ``A[m-tile, k-tile]^T``
========  =============================  ==========  ====================================

Each dataflow is a registered object (:mod:`archsim.dataflow.registry`, one module per dataflow
in :mod:`archsim.dataflow.flows`); this module asks it, never branches on its name.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import cached_property

import numpy as np

from archsim.core.errors import ConfigError, require_choice, require_positive_int
from archsim.dataflow.registry import SystolicDataflow, cdiv, dataflow_names, get_dataflow

#: Names of the registered systolic dataflows (``os``, ``ws``, ``is`` and any added in dataflow/flows).
DATAFLOWS = dataflow_names()
LOOP_ORDERS = ("default", "swapped")
_cdiv = cdiv


@dataclass(frozen=True)
class FoldPlan:
    """How one matrix op maps onto a ``rows x cols`` array.

    Attributes:
        dataflow: name of a registered dataflow (``os`` | ``ws`` | ``is`` ...).
        rows, cols: array size (PEs).
        M, K, N, batch: the op's shape (elements).
        max_chunk: longest stream per fold (elements); 0 = no limit.
        order: ``default`` (loops as in the module table) or ``swapped`` (the two outer tile loops
            exchanged: OS n-tile outside m-tile, WS n-tile outside m-chunk, IS m-tile outside
            n-chunk), which changes which operand is reused between consecutive folds.
    """

    dataflow: str
    rows: int
    cols: int
    M: int
    K: int
    N: int
    batch: int = 1
    max_chunk: int = 0
    order: str = "default"

    def __post_init__(self) -> None:
        get_dataflow(self.dataflow)
        require_choice("loop_order", self.order, LOOP_ORDERS)
        for f in ("rows", "cols", "M", "K", "N", "batch"):
            require_positive_int(f, getattr(self, f))
        if isinstance(self.max_chunk, bool) or not isinstance(self.max_chunk, int) or self.max_chunk < 0:
            raise ConfigError(f"max_chunk must be a non-negative integer, not {self.max_chunk!r}")

    # -- shape of the fold loops --------------------------------------
    @property
    def flow(self) -> SystolicDataflow:
        """The registered dataflow object."""
        return get_dataflow(self.dataflow)

    @property
    def stream(self) -> int:
        """Full stream length of the op (elements): K (OS), M (WS), N (IS)."""
        return self.flow.stream(self.M, self.K, self.N)

    @property
    def chunks(self) -> int:
        """Number of stream chunks ``q``."""
        return 1 if self.max_chunk == 0 else _cdiv(self.stream, self.max_chunk)

    @property
    def chunk_len(self) -> int:
        """Stream length of every chunk but the last (balanced: ``ceil(stream / q)``)."""
        return _cdiv(self.stream, self.chunks)

    @property
    def last_chunk_len(self) -> int:
        """Stream length of the last chunk."""
        return self.stream - (self.chunks - 1) * self.chunk_len

    @property
    def loops(self) -> tuple[int, int, int]:
        """Trip counts of the three fold loops inside ``batch`` (outer .. inner)."""
        return self.flow.loops(self.rows, self.cols, self.M, self.K, self.N, self.chunks)

    @property
    def folds(self) -> int:
        """Total number of folds."""
        a, b, c = self.loops
        return self.batch * a * b * c

    @property
    def preload(self) -> bool:
        """True if folds preload a stationary tile (WS / IS)."""
        return self.flow.preload

    @property
    def uniform(self) -> bool:
        """True if every fold has the same stream length."""
        return self.last_chunk_len == self.chunk_len

    # -- timing (docs/microarch.md) -------------------------------------
    def period(self, L: int | None = None) -> int:
        """Cycles between consecutive fold starts with stream ``L`` and ideal memory."""
        return max(self.chunk_len if L is None else L, self.rows)

    def fold_tail(self, mac_depth: int, L: int | None = None) -> int:
        """Cycles from a fold's start ``S_f`` to one past its last valid output (stream ``L``)."""
        L = self.last_chunk_len if L is None else L
        return self.flow.fold_tail(self.rows, self.cols, mac_depth, L)

    def first_start(self) -> int:
        """Start cycle ``S_0`` of the first fold with ideal memory (after the first preload for WS/IS)."""
        return self.rows if self.preload else 0

    def compute_cycles(self, mac_depth: int) -> int:
        """Cycles of the whole op with ideal memory (first valid input .. last valid output, inclusive)."""
        if self.uniform:
            return self.first_start() + (self.folds - 1) * self.period() + self.fold_tail(mac_depth)
        from archsim.dataflow._timing import ideal_starts  # the recurrence of docs/microarch.md

        S = ideal_starts(self)
        return int(S[-1]) + self.fold_tail(mac_depth, int(self.fold_arrays["L"][-1]))

    # -- per-fold arrays ------------------------------------------------
    @cached_property
    def fold_arrays(self) -> dict[str, np.ndarray]:
        """Per-fold int64 arrays (length ``folds``, issue order).

        Keys: ``b, m0, k0, n0`` (origin of the fold in A/B/C, elements), ``L`` (stream length),
        ``r, c`` (array rows/cols carrying real data), ``a_key, b_key, out_key`` (piece ids),
        ``a_scope, b_scope`` (reuse-scope ids), ``out_first, out_last`` (0/1: first / last fold
        accumulating into its output piece), ``a_elems, b_elems, out_elems`` (real elements of
        the fold's A piece, B piece and output piece).
        """
        l1, l2, l3 = self.loops
        if self.order == "swapped":
            b, i2, i1, i3 = (x.ravel().astype(np.int64) for x in np.indices((self.batch, l2, l1, l3)))
        else:
            b, i1, i2, i3 = (x.ravel().astype(np.int64) for x in np.indices((self.batch, l1, l2, l3)))
        out = {"b": b}
        out.update(self.flow.fold_fields(self, b, i1, i2, i3))
        for key in ("out_first", "out_last", "L", "a_elems", "b_elems", "out_elems"):
            out[key] = np.asarray(out[key]).astype(np.int64)
        return out

    def scope_elems(self) -> tuple[np.ndarray, np.ndarray]:
        """Per-fold elements of the A and B reuse scopes (what must fit a half buffer to load once)."""
        fa = self.fold_arrays
        if self.order == "swapped":  # the operand indexed by the (new) outer loop is reused per outer tile
            return self.flow.swapped_scope_elems(self, fa)
        return self.flow.scope_elems(self, fa)


def plan_folds(dataflow: str, rows: int, cols: int, M: int, K: int, N: int, batch: int = 1,
               max_chunk: int = 0, order: str = "default") -> FoldPlan:
    """Return the :class:`FoldPlan` of ``C[M,N] = A[M,K] @ B[K,N]`` (x ``batch``) on a rows x cols array."""
    return FoldPlan(dataflow, rows, cols, M, K, N, batch, max_chunk, order)


def systolic_compute_cycles(
    rows: int, cols: int, M: int, K: int, N: int, dataflow: str, mac_depth: int = 1, batch: int = 1
) -> int:
    """Return the cycles of one GEMM with ideal memory (first valid input .. last valid output, inclusive)."""
    require_positive_int("mac_depth", mac_depth)
    get_dataflow(dataflow)
    return plan_folds(dataflow, rows, cols, M, K, N, batch).compute_cycles(mac_depth)


def max_stream_chunk(
    dataflow: str, rows: int, cols: int, *, a_bytes: float, b_bytes: float, acc_bytes: float,
    ifmap_half: int, filter_half: int, ofmap_half: int,
) -> int:
    """Return the longest stream (elements) one fold may have so its pieces fit half of each buffer.

    Raises :class:`ConfigError` naming the buffer when not even one element of stream (one tile
    row) or the fixed-size stationary/output tile fits.
    """
    flow = get_dataflow(dataflow)
    halves = {"ifmap": ifmap_half, "filter": filter_half, "ofmap": ofmap_half}
    for buf, nbytes, what in flow.buffer_needs(rows, cols, a_bytes, b_bytes, acc_bytes):
        if nbytes > halves[buf]:
            raise ConfigError(
                f"{buf}_sram_bytes must be at least {2 * math.ceil(nbytes)} bytes (double-buffered {what}), "
                f"not {2 * halves[buf]}"
            )
    return int(min(flow.stream_limits(rows, cols, a_bytes, b_bytes, acc_bytes, halves)))


def resident_block_chunk(
    dataflow: str, rows: int, M: int, K: int, N: int, *, a_bytes: float, b_bytes: float,
    ifmap_half: int, filter_half: int, max_chunk: int = 0,
) -> int:
    """Return the stream chunk of the ``blocked`` schedule, or 0 when blocking does not apply.

    Buffer-level blocking of the default loop order (the array-level behaviour is unchanged):
    the stream dimension is cut into blocks small enough that the *streamed operand's block*
    stays resident in half its buffer while every tile of the other operand passes over it -
    WS: an ``L x K`` row block of A in the ifmap half (all n-tiles and k-tiles of the block
    reuse it, so A is read from memory once and B once per block); IS: a ``K x L`` column block
    of B in the filter half (A read once per block, B once).  The block is the largest balanced
    chunk ``ceil(stream / q)`` that fits, with ``q`` the fewest blocks.  Returns 0 for OS (its
    stream is K: a chunk does not change the reuse), when the block already fits at
    ``max_chunk`` (nothing to gain), or when the block would be shorter than ``2 * rows``: the
    next stationary tile is preloaded during the last ``R`` cycles of a fold and its fetch may
    start only when the fold before has freed its half, so a fold of ``L < 2R`` leaves less than
    ``R`` cycles to fetch each stationary tile (memory latency exposed: Llama-2-7B ``ffn.down`` on
    a 128x128 array with 187-row blocks took 31 % more cycles), and ``L < R`` is preload-bound.

    Args:
        dataflow: ``os`` | ``ws`` | ``is``; rows: array rows ``R``; M, K, N: op shape (elements).
        a_bytes, b_bytes: bytes per A / B element; ifmap_half, filter_half: half-buffer bytes.
        max_chunk: the stream limit of one fold from :func:`max_stream_chunk` (0 = none).
    """
    flow = get_dataflow(dataflow)
    if flow.blocked is None:
        return 0
    stream = flow.stream(M, K, N)
    half, nbytes = (ifmap_half, a_bytes) if flow.blocked == "a" else (filter_half, b_bytes)
    limit = stream if max_chunk == 0 else min(stream, max_chunk)
    fit = int(half // (K * nbytes))  # longest block whose K x L operand slice fits the half buffer
    if fit >= _cdiv(stream, _cdiv(stream, limit)) or fit < 2 * rows:
        return 0
    block = _cdiv(stream, _cdiv(stream, fit))
    return block if block >= 2 * rows else 0


def _loads(key: np.ndarray, scope_fits: np.ndarray) -> np.ndarray:
    """1 where a fold must fetch its piece: first use in a fitting scope, else a change of piece."""
    first = np.zeros(key.shape, dtype=bool)
    _, idx = np.unique(key, return_index=True)
    first[idx] = True
    changed = np.ones(key.shape, dtype=bool)
    changed[1:] = key[1:] != key[:-1]
    return np.where(scope_fits, first, changed)


def fold_traffic(
    plan: FoldPlan, *, a_bytes: float, b_bytes: float, acc_bytes: float, out_bytes: float,
    ifmap_half: int, filter_half: int,
) -> dict[str, np.ndarray]:
    """Return per-fold byte counts (int64 arrays, length ``plan.folds``) of the buffer policy.

    Policy (``docs/systolic.md``): A lives in the ifmap SRAM, B in the filter SRAM, partial sums
    in the ofmap SRAM (``acc_bytes`` per element).  A piece is fetched from DRAM when a fold needs
    it and it is not resident: if the piece's reuse scope fits half the buffer, each piece is
    fetched once per scope; otherwise a piece is fetched again whenever it changes between
    consecutive folds.  An output piece is stored (``out_bytes`` per element) after its last fold.

    Keys: ``a_load``, ``b_load`` (DRAM read bytes, fetched for this fold), ``out_store`` (DRAM
    write bytes after this fold), ``ifmap_read``, ``filter_read``, ``ifmap_write``,
    ``filter_write``, ``ofmap_read``, ``ofmap_write`` (SRAM bytes).
    """
    fa = plan.fold_arrays
    a_scope, b_scope = plan.scope_elems()
    a_fit = np.ceil(a_scope * a_bytes) <= ifmap_half
    b_fit = np.ceil(b_scope * b_bytes) <= filter_half
    a_piece = np.ceil(fa["a_elems"] * a_bytes).astype(np.int64)
    b_piece = np.ceil(fa["b_elems"] * b_bytes).astype(np.int64)
    a_load = np.where(_loads(fa["a_key"], a_fit), a_piece, 0)
    b_load = np.where(_loads(fa["b_key"], b_fit), b_piece, 0)
    out_acc = np.ceil(fa["out_elems"] * acc_bytes).astype(np.int64)
    out_store = np.where(fa["out_last"] == 1, np.ceil(fa["out_elems"] * out_bytes).astype(np.int64), 0)
    return {
        "a_load": a_load,
        "b_load": b_load,
        "out_store": out_store,
        "ifmap_read": a_piece,
        "filter_read": b_piece,
        "ifmap_write": a_load,
        "filter_write": b_load,
        # read-modify-write of partial sums after the first fold, plus the read for the store
        "ofmap_read": np.where(fa["out_first"] == 1, 0, out_acc) + np.where(fa["out_last"] == 1, out_acc, 0),
        "ofmap_write": out_acc,
    }


def scalesim_compute_cycles(rows: int, cols: int, M: int, K: int, N: int, dataflow: str, batch: int = 1) -> int:
    """Return SCALE-Sim v3's compute cycles for the same GEMM (its convention: folds never overlap).

    SCALE-Sim concatenates per-fold demand matrices (``scalesim/compute/systolic_compute_*.py``):
    OS ``K + R + C - 2`` cycles per fold, WS ``2R + M + C - 2``, IS ``2R + N + C - 2``, and reports
    ``F x per-fold - 1``.  Offered for comparison only (docs/systolic.md).
    """
    plan = plan_folds(dataflow, rows, cols, M, K, N, batch)
    return plan.folds * plan.flow.scalesim_fold_cycles(rows, cols, M, K, N) - 1
