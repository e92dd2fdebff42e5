"""Layer -> pipeline-stage mapping for FPGA dataflow engines: PE x SIMD folding, resources, auto-folding.

A matrix op ``C[M, N] = A[M, K] @ B[K, N]`` (repeated ``batch`` times) becomes a
matrix-vector unit (MVAU, as in FINN / hls4ml) with ``simd`` input lanes and
``pe`` output lanes: one input vector takes ``ceil(K / simd) * ceil(N / pe)``
folds, one fold per ``ii`` cycles (FINN: Umuroglu et al., FPGA 2017, Sec. 4;
Blott et al., TRETS 2018, Sec. 4.2).  Rows are grouped ``rows_per_token`` at a
time into one pipeline *token*; a token takes

    interval = ii * batch * rows_per_token * ceil(K / simd) * ceil(N / pe)   cycles.

When weights stream from off-chip memory, a token is split into
``batch * ceil(N / pe)`` *chunks* (one slice of ``K x pe`` weights each, reused
for all rows of the token), so weight traffic is ``ceil(M / rows_per_token)``
times the weight bytes.  Vector ops (eltwise / act / norm / softmax) use
``pe`` lanes over the ``N`` elements of a row, with ``passes`` sweeps per row.

Everything here takes plain parameters (no design or device objects): resource
budgets are dicts ``{"dsp": ..., "bram36": ..., "uram": ..., "lut": ..., "ff": ...}``.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace

from archsim.core.errors import ConfigError, require_positive_int
from archsim.workloads.op import MATRIX_KINDS

#: Resource kinds, in table order.
RESOURCES = ("dsp", "bram36", "uram", "lut", "ff")

#: Bits per element of each precision (``PRECISION_BYTES`` x 8).
PRECISION_BITS = {"int4": 4, "int8": 8, "int16": 16, "int32": 32, "fp8_e4m3": 8, "fp8_e5m2": 8,
                  "fp16": 16, "bf16": 16, "fp32": 32}

#: Sweeps over a row per vector kind (model assumption: softmax = max, exp+sum, scale;
#: norm = statistics, normalize; eltwise/act one pass).
VECTOR_PASSES = {"eltwise": 1, "act": 1, "norm": 2, "softmax": 3}

# --- Memory primitives (UltraScale+) ----------------------------------------------------------
#: BRAM36 aspect ratios (width bits, depth): Xilinx UG573 (UltraScale Memory Resources), Table 1-4
#: (RAMB36E2: 32Kx1 ... 1Kx36 true dual port, 512x72 simple dual port; 36 Kb per block).
BRAM36_SHAPES = ((1, 32768), (2, 16384), (4, 8192), (9, 4096), (18, 2048), (36, 1024), (72, 512))
BRAM36_BITS = 36 * 1024
#: URAM288: 4K x 72 bits (288 Kb) per block, UG573 Chapter 2 ("UltraRAM").
URAM_WIDTH, URAM_DEPTH = 72, 4096
#: Buffers of at least this many bits go to URAM when the device has it (model assumption).
URAM_MIN_BITS = 64 * 1024
#: Distributed RAM: one LUT6 stores 64 x 1 bits (UG574, CLB User Guide, "Distributed RAM").
LUTRAM_BITS_PER_LUT = 64
#: FIFOs up to this many bits go to LUTRAM, larger ones to BRAM36 (model assumption, as in
#: Vivado's default inference for small memories).
LUTRAM_MAX_BITS = 16 * 1024

# --- Compute primitives ---------------------------------------------------------------------------
#: Multipliers per DSP48E2 by operand class.  int8 (and narrower): two MACs per DSP when two
#: products share one operand (Xilinx WP486, "Deep Learning with INT8 Optimization on Xilinx
#: Devices", 2017: "two INT8 multiply-accumulate operations ... per DSP48E2").  16-bit integer and
#: fp16/bf16 mantissas fit the 27x18 multiplier once (UG579, DSP48E2 27x18 two's complement
#: multiplier); a 24x24 fp32 mantissa product needs two 27x18 multipliers.
MACS_PER_DSP = {"packed8": 2.0, "int16": 1.0, "half": 1.0, "fp32": 0.5}

#: LUTs / FFs per MAC lane and per stage (adder tree, accumulators, pipeline registers, control).
#: MODEL ASSUMPTIONS, not published figures: calibrate against your synthesis reports.  Floating-
#: point adders are built from fabric logic, hence the larger numbers.
LUT_PER_LANE = {"packed8": 24, "int16": 40, "half": 160, "fp32": 300}
FF_PER_LANE = {"packed8": 40, "int16": 70, "half": 220, "fp32": 400}
LUT_PER_VECTOR_LANE = {"eltwise": 60, "act": 250, "norm": 200, "softmax": 300}  # assumption, 16-bit
FF_PER_VECTOR_LANE = {"eltwise": 80, "act": 300, "norm": 260, "softmax": 360}  # assumption, 16-bit
DSP_PER_VECTOR_LANE = {"eltwise": 0, "act": 1, "norm": 1, "softmax": 1}  # assumption: one multiply
LUT_PER_STAGE, FF_PER_STAGE = 400, 600  # stream control, address generators (assumption)
#: Pipeline depth (cycles after the last fold until the output is in the FIFO): multiplier
#: latency + adder tree + accumulate/output register.  DSP48E2 fully pipelined multiply-add
#: uses A/B, M and P registers (UG579); the floating-point latencies are assumptions.
MULT_LATENCY = {"packed8": 4, "int16": 4, "half": 8, "fp32": 10}
VECTOR_LATENCY = 8
#: Upper bound on streamed-weight chunks per token (simulation granularity).
MAX_CHUNKS = 16
#: Largest off-chip burst buffered per prefetch slot (AXI4 max burst: 256 beats x 512 bit = 16 KB,
#: AMBA AXI spec; we size stream FIFOs for 4 KB bursts, a model assumption).
BURST_BYTES = 4096


def operand_class(a_precision: str, b_precision: str) -> str:
    """Return the MAC class of two operand precisions: ``packed8``, ``int16``, ``half`` or ``fp32``."""
    bits = max(PRECISION_BITS[a_precision], PRECISION_BITS[b_precision])
    is_float = a_precision.startswith(("fp", "bf")) or b_precision.startswith(("fp", "bf"))
    if bits <= 8:
        return "packed8"
    if bits <= 16:
        return "half" if is_float else "int16"
    return "fp32"


@dataclass(frozen=True)
class StageFold:
    """One op mapped onto one pipeline stage.

    Attributes:
        name: op name.
        kind: op kind (``gemm``/``gemv``/``bmm`` -> MVAU; vector kinds -> vector unit).
        M, K, N, batch: op shape (elements).
        a_precision, b_precision, out_precision: element formats.
        b_tensor: ``weight`` / ``kv`` / ``act`` / ``none``.
        simd: input lanes (1 for vector kinds).
        pe: output lanes.
        ii: cycles per fold (1 = fully pipelined).
        rows_per_token: rows of A per pipeline token.
    """

    name: str
    kind: str
    M: int
    K: int
    N: int
    batch: int = 1
    a_precision: str = "bf16"
    b_precision: str = "bf16"
    out_precision: str = "bf16"
    b_tensor: str = "weight"
    simd: int = 1
    pe: int = 1
    ii: int = 1
    rows_per_token: int = 1

    def __post_init__(self) -> None:
        for f in ("M", "K", "N", "batch", "simd", "pe", "ii", "rows_per_token"):
            require_positive_int(f, getattr(self, f))
        if not self.is_matrix and self.simd != 1:
            raise ConfigError(f"simd must be 1 for a {self.kind} stage, not {self.simd!r}")

    @property
    def is_matrix(self) -> bool:
        """True for MVAU stages (gemm/gemv/bmm, and conv through its im2col shape)."""
        return self.kind in MATRIX_KINDS

    @property
    def lanes(self) -> int:
        """Parallel MAC (or vector) lanes: ``simd * pe``."""
        return self.simd * self.pe

    @property
    def tokens(self) -> int:
        """Pipeline tokens: ``ceil(M / rows_per_token)``."""
        return math.ceil(self.M / self.rows_per_token)

    @property
    def folds(self) -> int:
        """Folds per token: ``batch * rows * ceil(K/simd) * ceil(N/pe)`` (vector: ``x passes``, no K)."""
        if self.is_matrix:
            return self.batch * self.rows_per_token * math.ceil(self.K / self.simd) * math.ceil(self.N / self.pe)
        return VECTOR_PASSES[self.kind] * self.batch * self.rows_per_token * math.ceil(self.N / self.pe)

    @property
    def interval_cycles(self) -> int:
        """Cycles per token when never stalled: ``ii * folds``."""
        return self.ii * self.folds

    @property
    def busy_cycles(self) -> int:
        """Cycles to process all tokens at full rate: ``tokens * interval``."""
        return self.tokens * self.interval_cycles

    @property
    def depth_cycles(self) -> int:
        """Pipeline latency after the last fold of a token (cycles)."""
        if not self.is_matrix:
            return VECTOR_LATENCY
        cls = operand_class(self.a_precision, self.b_precision)
        return MULT_LATENCY[cls] + max(0, math.ceil(math.log2(self.simd))) + 1

    @property
    def b_bytes(self) -> int:
        """Bytes of the B operand of one execution (weights / KV / activation), rounded up."""
        if not self.is_matrix:
            return 0
        return math.ceil(self.K * self.N * self.batch * PRECISION_BITS[self.b_precision] / 8)

    @property
    def chunks(self) -> int:
        """Chunks per token when B streams from memory.

        A token has ``G = batch * ceil(N / pe)`` weight slices; they are grouped
        into the largest divisor of ``G`` not above :data:`MAX_CHUNKS` chunks
        (coarser events keep the simulation fast; a chunk is still fetched
        while the previous ones compute).
        """
        if not self.is_matrix:
            return 1
        g = self.batch * math.ceil(self.N / self.pe)
        return max(d for d in range(1, min(g, MAX_CHUNKS) + 1) if g % d == 0)

    @property
    def chunk_bytes(self) -> int:
        """Streamed B bytes per chunk (``ceil(b_bytes / chunks)``)."""
        return math.ceil(self.b_bytes / self.chunks) if self.is_matrix else 0

    @property
    def in_token_bytes(self) -> int:
        """Bytes of one input token (``rows x K`` of A per batch; vector: ``rows x N``)."""
        width = self.K if self.is_matrix else self.N
        return math.ceil(self.rows_per_token * width * self.batch * PRECISION_BITS[self.a_precision] / 8)

    @property
    def out_token_bytes(self) -> int:
        """Bytes of one output token (``rows x N x batch`` elements)."""
        return math.ceil(self.rows_per_token * self.N * self.batch * PRECISION_BITS[self.out_precision] / 8)

    @property
    def macs(self) -> int:
        """MACs of one execution (0 for vector kinds)."""
        return self.M * self.K * self.N * self.batch if self.is_matrix else 0


def fold_op(op: object, simd: int = 1, pe: int = 1, *, ii: int = 1, rows_per_token: int = 1) -> StageFold:
    """Return the :class:`StageFold` of ``op`` (an :class:`archsim.workloads.Op`) at the given folding."""
    is_matrix = op.kind in MATRIX_KINDS  # type: ignore[attr-defined]
    return StageFold(
        name=op.name, kind=op.kind, M=op.M, K=op.K, N=op.N, batch=op.batch,  # type: ignore[attr-defined]
        a_precision=op.a_precision, b_precision=op.b_precision,  # type: ignore[attr-defined]
        out_precision=op.out_precision, b_tensor=op.b_tensor,  # type: ignore[attr-defined]
        simd=min(simd, op.K) if is_matrix else 1, pe=min(pe, op.N), ii=ii,  # type: ignore[attr-defined]
        rows_per_token=min(rows_per_token, op.M))  # type: ignore[attr-defined]


def _bram_for(width_bits: int, depth: int) -> int:
    """Return BRAM36 blocks for a ``width_bits x depth`` memory (best UG573 aspect ratio)."""
    if width_bits <= 0 or depth <= 0:
        return 0
    return min(math.ceil(width_bits / w) * math.ceil(depth / d) for w, d in BRAM36_SHAPES)


def _uram_for(width_bits: int, depth: int) -> int:
    if width_bits <= 0 or depth <= 0:
        return 0
    return math.ceil(width_bits / URAM_WIDTH) * math.ceil(depth / URAM_DEPTH)


def buffer_resources(nbytes: int, use_uram: bool = False, uram_min_bits: int | None = None) -> dict[str, int]:
    """Return LUT, BRAM36 or URAM for a FIFO/buffer of ``nbytes``.

    LUTRAM up to :data:`LUTRAM_MAX_BITS`; URAM (when ``use_uram``) for buffers of
    at least half a URAM288 (:data:`URAM_MIN_BITS`); BRAM36 otherwise (capacity-bound).
    """
    bits = int(nbytes) * 8
    if bits <= 0:
        return {}
    if bits <= LUTRAM_MAX_BITS:
        return {"lut": math.ceil(bits / LUTRAM_BITS_PER_LUT)}
    if use_uram and bits >= (URAM_MIN_BITS if uram_min_bits is None else uram_min_bits):
        return {"uram": math.ceil(bits / (URAM_WIDTH * URAM_DEPTH))}
    return {"bram36": math.ceil(bits / BRAM36_BITS)}


def stage_resources(fold: StageFold, *, weights_onchip: bool, fifo_depth: int = 2, prefetch: int = 2,
                    use_uram: bool = True, uram_min_depth: int = 2048,
                    uram_min_bits: int = URAM_MIN_BITS) -> dict[str, int]:
    """Return ``{dsp, bram36, uram, lut, ff}`` of one stage (its compute, B storage and input FIFO).

    On-chip weights are stored as a ``(simd*pe*bits) x folds`` memory, in URAM when
    ``use_uram`` and the depth is at least ``uram_min_depth`` words, else BRAM36;
    streamed B operands need a ``prefetch``-chunk buffer.  The input FIFO holds
    ``fifo_depth`` input tokens.  Buffers of at least ``uram_min_bits`` go to URAM
    (when ``use_uram``), smaller ones to BRAM36 or LUTRAM.
    """
    res = dict.fromkeys(RESOURCES, 0)
    if fold.is_matrix:
        cls = operand_class(fold.a_precision, fold.b_precision)
        res["dsp"] = math.ceil(fold.lanes / MACS_PER_DSP[cls])
        res["lut"] = LUT_PER_LANE[cls] * fold.lanes + LUT_PER_STAGE
        res["ff"] = FF_PER_LANE[cls] * fold.lanes + FF_PER_STAGE
        onchip_b = fold.b_tensor == "weight" and weights_onchip
        if onchip_b:
            width = fold.lanes * PRECISION_BITS[fold.b_precision]
            depth = fold.batch * math.ceil(fold.K / fold.simd) * math.ceil(fold.N / fold.pe)
            if use_uram and depth >= uram_min_depth:
                res["uram"] += _uram_for(width, depth)
            else:
                res["bram36"] += _bram_for(width, depth)
        elif fold.b_tensor in ("weight", "kv") or (fold.b_tensor == "act" and not weights_onchip):
            # streamed operand: a stream FIFO of `prefetch` bursts (of at most BURST_BYTES), at least one
            # port wide.  The timing model fetches whole chunks; see docs/fpga.md on this approximation.
            width = fold.simd * PRECISION_BITS[fold.b_precision] * fold.pe
            bits = prefetch * min(fold.chunk_bytes, BURST_BYTES) * 8
            if use_uram and bits >= uram_min_bits:
                res["uram"] += max(math.ceil(width / URAM_WIDTH), math.ceil(bits / (URAM_WIDTH * URAM_DEPTH)))
            else:
                res["bram36"] += max(math.ceil(width / 72), math.ceil(bits / BRAM36_BITS))
    else:
        kind = fold.kind
        res["dsp"] = DSP_PER_VECTOR_LANE[kind] * fold.pe
        res["lut"] = LUT_PER_VECTOR_LANE[kind] * fold.pe + LUT_PER_STAGE
        res["ff"] = FF_PER_VECTOR_LANE[kind] * fold.pe + FF_PER_STAGE
        if VECTOR_PASSES[kind] > 1:  # row buffer for multi-pass kinds
            for k, v in buffer_resources(fold.out_token_bytes, use_uram, uram_min_bits).items():
                res[k] += v
    for k, v in buffer_resources(fifo_depth * fold.in_token_bytes, use_uram, uram_min_bits).items():
        res[k] += v
    return res


def add_resources(total: dict[str, int], part: dict[str, int], times: int = 1) -> dict[str, int]:
    """Return ``total + times * part`` (resource dicts)."""
    out = dict(total)
    for k, v in part.items():
        out[k] = out.get(k, 0) + times * v
    return out


def overflow(used: dict[str, int], budget: dict[str, float]) -> list[str]:
    """Return ``"DSP 10000 > 9024"``-style entries for each resource over budget (empty if it fits)."""
    return [f"{k.upper()} {used.get(k, 0)} > {int(budget[k])}" for k in RESOURCES
            if k in budget and used.get(k, 0) > budget[k]]


@dataclass(frozen=True)
class FoldPlan:
    """Folding chosen for a set of stages.

    Attributes:
        folds: one :class:`StageFold` per distinct stage, in input order.
        copies: how many copies of each stage the pipeline holds.
        resources: total resources of all copies.
        bottleneck: index (into ``folds``) of the stage with the largest busy cycles.
        limited_by: why the bottleneck could not be unfolded further
            (``"budget: DSP ..."``, ``"fully unfolded"``).
    """

    folds: tuple[StageFold, ...]
    copies: tuple[int, ...]
    resources: dict[str, int]
    bottleneck: int
    limited_by: str

    @property
    def bottleneck_cycles(self) -> int:
        """Busy cycles of the bottleneck stage (tokens x interval)."""
        return self.folds[self.bottleneck].busy_cycles


def _grow(fold: StageFold) -> StageFold | None:
    """Return ``fold`` with the next larger parallelism (the cheaper of doubling simd or pe), or None."""
    options = []
    if fold.is_matrix and fold.simd < fold.K:
        options.append(replace(fold, simd=min(2 * fold.simd, fold.K)))
    if fold.pe < fold.N:
        options.append(replace(fold, pe=min(2 * fold.pe, fold.N)))
    if not options:
        return None
    return min(options, key=lambda f: (f.interval_cycles, f.lanes))


def auto_fold(folds: Sequence[StageFold], budget: dict[str, float], *, copies: Iterable[int] | None = None,
              weights_onchip: bool = False, fifo_depths: Sequence[int] | None = None, prefetch: int = 2,
              use_uram: bool = True, uram_min_bits: int = URAM_MIN_BITS,
              fixed: dict[str, int] | None = None) -> FoldPlan:
    """Return a :class:`FoldPlan` balancing stage throughput under ``budget``.

    Greedy, as FINN's folding passes do: start every stage at ``simd = pe = 1``,
    then repeatedly double the parallelism of the stage with the most busy
    cycles while the whole design (all ``copies`` of every stage, plus the
    ``fixed`` resources) stays within ``budget``.  Stops when the bottleneck
    stage cannot grow; that stage is reported.
    """
    folds = [replace(f, simd=1, pe=1) for f in folds]
    cps = list(copies) if copies is not None else [1] * len(folds)
    depths = list(fifo_depths) if fifo_depths is not None else [2] * len(folds)
    if len(cps) != len(folds) or len(depths) != len(folds):
        raise ConfigError("copies and fifo_depths must give one value per stage")

    def res_of(i: int, f: StageFold) -> dict[str, int]:
        return stage_resources(f, weights_onchip=weights_onchip, fifo_depth=depths[i], prefetch=prefetch,
                               use_uram=use_uram, uram_min_bits=uram_min_bits)

    per = [res_of(i, f) for i, f in enumerate(folds)]
    total = dict(fixed or {})
    for i, r in enumerate(per):
        total = add_resources(total, r, cps[i])
    over = overflow(total, budget)
    if over:
        raise ConfigError("design does not fit even fully folded (simd = pe = 1): " + ", ".join(over))
    frozen: dict[int, str] = {}
    while True:
        live = [i for i in range(len(folds)) if i not in frozen]
        if not live:
            break
        i = max(live, key=lambda j: (folds[j].busy_cycles, -j))
        top = max(range(len(folds)), key=lambda j: (folds[j].busy_cycles, -j))
        if folds[top].busy_cycles > folds[i].busy_cycles:
            break  # the true bottleneck is frozen: growing others does not help
        grown = _grow(folds[i])
        if grown is None:
            frozen[i] = "fully unfolded"
            continue
        new_r = res_of(i, grown)
        trial = add_resources(add_resources(total, per[i], -cps[i]), new_r, cps[i])
        over = overflow(trial, budget)
        if over:
            frozen[i] = "budget (next step needs " + ", ".join(over) + ")"
            continue
        folds[i], per[i], total = grown, new_r, trial
    b = max(range(len(folds)), key=lambda j: (folds[j].busy_cycles, -j))
    return FoldPlan(tuple(folds), tuple(cps), total, b, frozen.get(b, "budget"))
