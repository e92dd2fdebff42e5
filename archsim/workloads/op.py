"""The Op: one row of a trace.

Shapes follow ``C[M, N] = A[M, K] @ B[K, N]``, repeated ``batch`` times (each
with its own operands), and the whole op repeated ``count`` times (identical
layers are collapsed into one row with ``count`` > 1).

Operand classes: ``A`` is always an activation; ``B`` is a weight, a KV-cache
tensor or another activation (``b_tensor``).  Elementwise ops (``eltwise``,
``softmax``, ``norm``, ``act``) work on ``batch x M x N`` elements with ``K = 1``.
"""

from __future__ import annotations

import numbers
from dataclasses import asdict, dataclass
from typing import Any

from archsim.core.errors import ConfigError, require_choice, require_positive_int

#: Op kinds.  Matrix kinds multiply; the others are elementwise over M x N.
MATRIX_KINDS = ("gemm", "gemv", "bmm")
VECTOR_KINDS = ("eltwise", "softmax", "norm", "act")
KINDS = MATRIX_KINDS + VECTOR_KINDS

#: Bytes per element of each precision.
PRECISION_BYTES: dict[str, float] = {
    "int4": 0.5,
    "int8": 1.0,
    "int16": 2.0,
    "int32": 4.0,
    "fp8_e4m3": 1.0,
    "fp8_e5m2": 1.0,
    "fp16": 2.0,
    "bf16": 2.0,
    "fp32": 4.0,
}
PRECISIONS = tuple(PRECISION_BYTES)

#: What operand B is.
B_TENSORS = ("weight", "kv", "act", "none")
PHASES = ("prefill", "decode", "mixed", "none")

#: FLOPs per output element of vector kinds (a convention: add/mul = 1 FLOP;
#: softmax = max, sub, exp, sum, div; norm = mean, var, sub, mul, scale).
VECTOR_FLOPS_PER_ELEMENT = {"eltwise": 1, "act": 4, "softmax": 5, "norm": 5}

#: Column order of a trace table.
COLUMNS = (
    "name",
    "kind",
    "M",
    "K",
    "N",
    "batch",
    "a_precision",
    "b_precision",
    "out_precision",
    "b_tensor",
    "layer",
    "phase",
    "count",
)
INT_COLUMNS = ("M", "K", "N", "batch", "layer", "count")
#: Largest M, K, N, batch, count (and layer): 2^53, so MAC and byte totals (products of them) stay
#: exact Python ints and every column fits int64; the fast models' time does not grow with the sizes.
MAX_DIM = 2**53
#: Longest op name (characters).
MAX_NAME_LEN = 1024


@dataclass(frozen=True)
class Op:
    """One operation of a workload.

    Attributes:
        name: unique-ish label, e.g. ``"L3.attn.qkv"``.
        kind: one of :data:`KINDS`.
        M, K, N: matrix dimensions (elements); K = 1 for vector kinds.
        batch: number of independent matrix products (e.g. batch x heads).
        a_precision, b_precision, out_precision: element formats (:data:`PRECISIONS`).
        b_tensor: what operand B is (``weight`` / ``kv`` / ``act`` / ``none``).
        layer: transformer layer index (-1 for none).
        phase: ``prefill`` / ``decode`` / ``mixed`` / ``none``.
        count: how many times this op runs (identical ops collapsed).
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
    layer: int = -1
    phase: str = "none"
    count: int = 1

    def __post_init__(self) -> None:
        from archsim.core.fields import bounded_str

        bounded_str("name", self.name, maximum=MAX_NAME_LEN)
        require_choice("kind", self.kind, KINDS)
        for dim in ("M", "K", "N", "batch", "count"):  # numpy integers accepted, stored as int
            object.__setattr__(self, dim, require_positive_int(dim, getattr(self, dim), MAX_DIM))
        if self.kind == "gemv" and self.M != 1:
            raise ConfigError(f"M must be 1 for a gemv, not {self.M!r}")
        for field in ("a_precision", "b_precision", "out_precision"):
            require_choice(field, getattr(self, field), PRECISIONS)
        require_choice("b_tensor", self.b_tensor, B_TENSORS)
        require_choice("phase", self.phase, PHASES)
        from archsim.core.fields import short_repr

        layer = self.layer
        if isinstance(layer, bool) or type(layer).__name__ == "bool_" or not isinstance(layer, numbers.Integral) \
                or not -1 <= int(layer) <= MAX_DIM:
            raise ConfigError(f"layer must be an integer >= -1, not {short_repr(layer)}")
        object.__setattr__(self, "layer", int(layer))

    @property
    def is_matrix(self) -> bool:
        """True for gemm/gemv/bmm."""
        return self.kind in MATRIX_KINDS

    @property
    def macs(self) -> int:
        """Multiply-accumulates of one execution times ``count`` (0 for vector ops)."""
        if not self.is_matrix:
            return 0
        return self.M * self.K * self.N * self.batch * self.count

    @property
    def flops(self) -> int:
        """Floating-point (or integer) operations, all ``count`` executions included."""
        if self.is_matrix:
            return 2 * self.macs
        return VECTOR_FLOPS_PER_ELEMENT[self.kind] * self.M * self.N * self.batch * self.count

    def to_dict(self) -> dict[str, Any]:
        """Return the op as a plain dict with the trace column names."""
        return asdict(self)
