"""The Op: one row of a trace.

Shapes follow ``C[M, N] = A[M, K] @ B[K, N]``, repeated ``batch`` times (each
with its own operands), and the whole op repeated ``count`` times (identical
layers are collapsed into one row with ``count`` > 1).

Operand classes: ``A`` is always an activation; ``B`` is a weight, a KV-cache
tensor or another activation (``b_tensor``).  Elementwise ops (``eltwise``,
``softmax``, ``norm``, ``act``) work on ``batch x M x N`` elements with ``K = 1``.

A ``conv`` op carries its convolution geometry (:class:`ConvShape`) and its
im2col GEMM shape per group: ``M = n * P * Q`` output pixels, ``K = (c / groups) * r * s``,
``N = k / groups`` output channels, ``batch = groups`` (so a depthwise layer is ``c``
GEMMs of ``N = 1``).  A design without a native conv mapping runs that GEMM (im2col
lowering: the ``A`` matrix is the unrolled input, ``r * s / stride^2`` times larger).
"""

from __future__ import annotations

import numbers
import re
from dataclasses import asdict, dataclass, fields
from typing import Any

from archsim.core import vocab as _vocab
from archsim.core.errors import ConfigError, require_choice, require_positive_int

#: Op kinds.  Matrix kinds multiply; the others are elementwise over M x N.
MATRIX_KINDS = ("gemm", "gemv", "bmm", "conv")
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
    "conv",
)
#: Columns a trace file may omit (older files): name -> value filled in.
OPTIONAL_COLUMNS = {"conv": ""}
INT_COLUMNS = ("M", "K", "N", "batch", "layer", "count")
#: Largest M, K, N, batch, count (and layer): 2^53, so MAC and byte totals (products of them) stay
#: exact Python ints and every column fits int64; the fast models' time does not grow with the sizes.
MAX_DIM = 2**53
#: Largest work of one op row, all ``batch`` and ``count`` executions included: 2^62 (4.6e18) MACs and
#: 2^56 (7.2e16) elements of any one operand (vector ops: of the M x N operand), so cycle and byte totals
#: stay inside int64 (the 100,000 x 4e6 x 4e6 GEMM of benchmarks/bench_big_gemm.py is 1.6e18 MACs).
MAX_OP_MACS = 2**62
MAX_OP_ELEMENTS = 2**56
#: Longest op name (characters).
MAX_NAME_LEN = 1024


@dataclass(frozen=True)
class ConvShape:
    """Geometry of a 2-D convolution (NCHW input, KCRS filter), all in elements.

    Attributes:
        n: images; c: input channels; h, w: input height, width; k: output channels;
        r, s: filter height, width; stride; padding (each side, zeros); groups (``c`` and ``k``
        divisible by it; ``groups == c == k`` is depthwise); dilation (filter tap spacing).
    """

    n: int
    c: int
    h: int
    w: int
    k: int
    r: int
    s: int
    stride: int = 1
    padding: int = 0
    groups: int = 1
    dilation: int = 1

    def __post_init__(self) -> None:
        for f in ("n", "c", "h", "w", "k", "r", "s", "stride", "groups", "dilation"):
            require_positive_int(f"conv {f}", getattr(self, f))
        p = self.padding
        if isinstance(p, bool) or not isinstance(p, int) or p < 0:
            raise ConfigError(f"conv padding must be a non-negative integer, not {p!r}")
        if self.c % self.groups or self.k % self.groups:
            raise ConfigError(f"conv groups ({self.groups}) must divide c ({self.c}) and k ({self.k})")
        if self.p < 1 or self.q < 1:
            raise ConfigError(f"conv filter {self.r}x{self.s} (dilation {self.dilation}) is larger than the "
                              f"padded {self.h}x{self.w} input")

    @property
    def p(self) -> int:
        """Output height (elements)."""
        return (self.h + 2 * self.padding - self.dilation * (self.r - 1) - 1) // self.stride + 1

    @property
    def q(self) -> int:
        """Output width (elements)."""
        return (self.w + 2 * self.padding - self.dilation * (self.s - 1) - 1) // self.stride + 1

    def gemm(self) -> tuple[int, int, int, int]:
        """The im2col GEMM ``(M, K, N, batch)``: per group, output pixels x (c/g r s) @ (c/g r s) x k/g."""
        g = self.groups
        return self.n * self.p * self.q, (self.c // g) * self.r * self.s, self.k // g, g

    @property
    def macs(self) -> int:
        """Multiply-accumulates of the convolution."""
        M, K, N, g = self.gemm()
        return M * K * N * g

    def to_str(self) -> str:
        """Compact text form for trace files: ``n=1;c=3;h=224;...``."""
        return ";".join(f"{f.name}={getattr(self, f.name)}" for f in fields(self))

    @classmethod
    def parse(cls, text: str) -> ConvShape:
        """Inverse of :meth:`to_str` (ConfigError on a malformed string)."""
        vals = {}
        for part in text.split(";"):
            m = re.fullmatch(r"\s*(\w+)\s*=\s*(\d+)\s*", part)
            if not m:
                raise ConfigError(f"conv geometry must look like 'n=1;c=3;h=224;w=224;k=64;r=7;s=7;...', not {text!r}")
            vals[m.group(1)] = int(m.group(2))
        names = {f.name for f in fields(cls)}
        unknown = sorted(set(vals) - names)
        if unknown:
            raise ConfigError(f"conv geometry has unknown key(s) {', '.join(unknown)}; allowed: {', '.join(names)}")
        try:
            return cls(**vals)
        except TypeError:
            raise ConfigError(f"conv geometry {text!r} needs n, c, h, w, k, r, s") from None


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
        conv: ``conv`` ops: the :class:`ConvShape` (or its :meth:`ConvShape.to_str` text); M, K, N,
            batch must be its im2col GEMM (see :func:`conv_op`).  None / ``""`` for other kinds.
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
    conv: ConvShape | str | None = None

    def __post_init__(self) -> None:
        from archsim.core.fields import bounded_str, short_repr

        bounded_str("name", self.name, maximum=MAX_NAME_LEN)
        require_choice("kind", self.kind, KINDS)
        for dim in ("M", "K", "N", "batch", "count"):  # numpy integers accepted, stored as int
            object.__setattr__(self, dim, require_positive_int(dim, getattr(self, dim), MAX_DIM))
        reps = self.batch * self.count
        elements = max(self.M * self.K, self.K * self.N, self.M * self.N) if self.kind in MATRIX_KINDS \
            else self.M * self.N
        if elements * reps > MAX_OP_ELEMENTS or (self.kind in MATRIX_KINDS and
                                                 self.M * self.K * self.N * reps > MAX_OP_MACS):
            raise ConfigError(
                f"op {short_repr(self.name)}: {self.M} x {self.K} x {self.N} x batch {self.batch} x count {self.count} "
                f"is beyond what archsim simulates per op (2^62 MACs, 2^56 elements per operand: cycle and byte "
                f"counts would overflow 64-bit integers); split it into several ops")
        if self.kind == "gemv" and self.M != 1:
            raise ConfigError(f"M must be 1 for a gemv, not {self.M!r}")
        for field in ("a_precision", "b_precision", "out_precision"):
            require_choice(field, getattr(self, field), PRECISIONS)
        require_choice("b_tensor", self.b_tensor, B_TENSORS)
        require_choice("phase", self.phase, PHASES)

        layer = self.layer
        if isinstance(layer, bool) or type(layer).__name__ == "bool_" or not isinstance(layer, numbers.Integral) \
                or not -1 <= int(layer) <= MAX_DIM:
            raise ConfigError(f"layer must be an integer >= -1, not {short_repr(layer)}")
        object.__setattr__(self, "layer", int(layer))
        cv = self.conv
        if isinstance(cv, str):
            cv = ConvShape.parse(cv) if cv.strip() else None
        elif cv is not None and not isinstance(cv, ConvShape):
            raise ConfigError(f"conv must be a ConvShape, its text form or None, not {short_repr(cv)}")
        object.__setattr__(self, "conv", cv)
        if self.kind == "conv":
            if cv is None:
                raise ConfigError(f"op {self.name!r}: a conv op needs its conv geometry")
            if (self.M, self.K, self.N, self.batch) != cv.gemm():
                raise ConfigError(f"op {self.name!r}: M, K, N, batch must be the im2col shape {cv.gemm()} of "
                                  f"its conv geometry, not {(self.M, self.K, self.N, self.batch)}")
        elif cv is not None:
            raise ConfigError(f"op {self.name!r}: only conv ops carry a conv geometry, not kind {self.kind!r}")

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
        """Return the op as a plain dict with the trace column names (``conv`` as text, ``""`` if none)."""
        d = asdict(self)
        d["conv"] = self.conv.to_str() if self.conv is not None else ""
        return d


def conv_op(name: str, n: int, c: int, h: int, w: int, k: int, r: int, s: int, *, stride: int = 1,
            padding: int = 0, groups: int = 1, dilation: int = 1, **op_fields: Any) -> Op:
    """Return a ``conv`` :class:`Op` with its im2col shape filled in (``op_fields``: precisions, layer, count ...)."""
    shape = ConvShape(n, c, h, w, k, r, s, stride, padding, groups, dilation)
    M, K, N, g = shape.gemm()
    return Op(name, "conv", M, K, N, batch=g, conv=shape, **op_fields)
