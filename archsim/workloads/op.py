"""The Op: one row of a trace.

Shapes follow ``C[M, N] = A[M, K] @ B[K, N]``, repeated ``batch`` times (each
with its own operands), and the whole op repeated ``count`` times (identical
layers are collapsed into one row with ``count`` > 1).

Operand classes: ``A`` is always an activation; ``B`` is a weight, a KV-cache
tensor or another activation (``b_tensor``).  Elementwise ops (``eltwise``,
``softmax``, ``norm``, ``act``) work on ``batch x M x N`` elements with ``K = 1``.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from archsim.core import vocab as _vocab
from archsim.core.errors import ConfigError, require_choice, require_positive_int

#: Op kinds.  Matrix kinds multiply; the others are elementwise over M x N.
MATRIX_KINDS = ("gemm", "gemv", "bmm")
VECTOR_KINDS = ("eltwise", "softmax", "norm", "act")
KINDS = MATRIX_KINDS + VECTOR_KINDS

#: Bytes per element of each precision, and the precision names: the number formats of archsim.core.vocab.
PRECISION_BYTES = _vocab.PRECISION_BYTES
PRECISIONS = _vocab.PRECISIONS

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
        if not isinstance(self.name, str) or not self.name:
            raise ConfigError(f"name must be a non-empty string, not {self.name!r}")
        require_choice("kind", self.kind, KINDS)
        for dim in ("M", "K", "N", "batch", "count"):
            require_positive_int(dim, getattr(self, dim))
        if self.kind == "gemv" and self.M != 1:
            raise ConfigError(f"M must be 1 for a gemv, not {self.M!r}")
        for field in ("a_precision", "b_precision", "out_precision"):
            require_choice(field, getattr(self, field), PRECISIONS)
        require_choice("b_tensor", self.b_tensor, B_TENSORS)
        require_choice("phase", self.phase, PHASES)
        if isinstance(self.layer, bool) or not isinstance(self.layer, int) or self.layer < -1:
            raise ConfigError(f"layer must be an integer >= -1, not {self.layer!r}")

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
