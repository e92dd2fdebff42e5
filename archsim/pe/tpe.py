"""Bit-weight-transformed dot-product units (TPE, Wu et al., HPCA 2025): golden models.

Source: Q. Wu et al., "Exploring the Performance Improvement of Tensor Processing Engines through
Transformation in the Bit-weight Dimension of MACs", HPCA 2025 (arXiv:2503.06342).  The paper
writes a MAC's multiply as a sum over the bit-weight dimension ``j`` of ``b`` (partial products
``b_j * a * 2^j``) and moves work along that dimension.  **Our reading** (the paper's full text
and Verilog were not available offline; the abstract and the group's EN-T paper,
arXiv:2404.11887, were): two transformations we implement exactly, in RTL and here --

* **carry-save accumulation** (no carry-propagate adder inside the accumulation loop): every
  partial-product row of every lane *and* the accumulator, kept as a redundant pair ``(S, C)``,
  go through one 3:2-compressor (carry-save) tree; ``S + C`` is added only when a dot product
  leaves the unit;
* **merged bit-weight reduction across lanes** (multiplier-adder tree / 3D-cube): the ``lanes x
  b_bits`` partial-product rows of all lanes are reduced by one compressor tree instead of
  ``lanes`` multipliers (each with its own final adder) followed by an adder tree.

Signed operands: Baugh-Wooley rows without sign extension (:func:`partial_product_rows`): each
row is ``a_bits`` wide at its bit weight, the sign handling folded into one constant row; the
carry-save pair is ``acc_bits`` wide and arithmetic wraps modulo ``2**acc_bits``.

:class:`CsaDot` computes a dot product through exactly the rows and the compression order of the
RTL (:class:`archsim.rtl.tpe.CsaTreePE`); cycles: ``ceil(k / lanes)`` (one beat per cycle, the
result visible in the cycle after the last beat's registers are written), the same as the
single-cycle baseline ``AdderTreeDot(lanes, pipeline_depth=1)``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from archsim.core.errors import ConfigError, require_positive_int
from archsim.pe.bitserial import _check_bits, _check_operands, _wrap_signed

__all__ = ["CsaDot", "compress_rows", "partial_product_rows"]


def partial_product_rows(a: Sequence[int], a_bits: int, b: Sequence[int], b_bits: int, width: int) -> list[int]:
    """Return the unsigned ``width``-bit rows whose sum (mod ``2**width``) is ``sum(a_i * b_i)``.

    Baugh-Wooley rows without sign extension: with ``m = 2**(a_bits-1)``, row ``j < b_bits - 1`` of a
    lane is ``(b_j ? a ^ m : m) << j`` (``a_bits`` wide: the AND array with a NAND in the top bit) and
    stands for ``(row - m) << j``; the sign row is ``~(b_n ? a ^ m : m)`` (``a_bits`` wide) ``<< (n-1)``
    and stands for ``-(b_n a)`` up to a constant.  Every lane's constants add up to one fixed row,
    ``lanes * (2**(n-1) - m * (2**n - 1))`` mod ``2**width``, appended last.
    """
    wmask, amask, n = (1 << width) - 1, (1 << a_bits) - 1, b_bits
    m = 1 << (a_bits - 1)
    rows = []
    for x, y in zip(a, b, strict=True):
        ybits, u0 = y & ((1 << n) - 1), (x & amask) ^ m
        for j in range(n - 1):
            rows.append((u0 if (ybits >> j) & 1 else m) << j)
        u = u0 if (ybits >> (n - 1)) & 1 else m
        rows.append(((~u) & amask) << (n - 1))
    rows.append((len(rows) // n * ((1 << (n - 1)) - m * ((1 << n) - 1))) & wmask)
    return rows


def compress_rows(rows: list[int], width: int) -> tuple[int, int]:
    """Reduce ``rows`` to a carry-save pair with 3:2 compressors, in the RTL's order.

    Each step takes the first three rows ``x, y, z`` and appends ``x ^ y ^ z`` and
    ``maj(x, y, z) << 1`` (mod ``2**width``) at the end, until two rows remain.
    """
    mask = (1 << width) - 1
    rows = list(rows)
    while len(rows) < 2:
        rows.append(0)
    while len(rows) > 2:
        x, y, z = rows[0], rows[1], rows[2]
        rows = rows[3:] + [x ^ y ^ z, (((x & y) | (x & z) | (y & z)) << 1) & mask]
    return rows[0], rows[1]


@dataclass(frozen=True)
class CsaDot:
    """Dot-product unit with a carry-save accumulator and one compressor tree over all lanes.

    Attributes:
        lanes: operand pairs per beat (1 = the systolic-array MAC PE), 1..64.
        a_bits, b_bits: signed operand widths (bits, 2..32); acc_bits: accumulator width (bits).
    """

    lanes: int = 1
    a_bits: int = 8
    b_bits: int = 8
    acc_bits: int = 32

    def __post_init__(self) -> None:
        if isinstance(self.lanes, bool) or not isinstance(self.lanes, int) or not 1 <= self.lanes <= 64:
            raise ConfigError(f"lanes must be an integer in 1..64, not {self.lanes!r}")
        _check_bits("a_bits", self.a_bits, 2, 32)
        _check_bits("b_bits", self.b_bits, 2, 32)
        _check_bits("acc_bits", self.acc_bits, self.a_bits + self.b_bits, 64)

    def cycles(self, k: int) -> int:
        """Cycles from the first beat to the result visible (``ceil(k / lanes)``)."""
        require_positive_int("k", k)
        return -(-k // self.lanes)

    def issue_cycles(self, k: int) -> int:
        """Cycles a length-``k`` dot product occupies the input (``ceil(k / lanes)``)."""
        return self.cycles(k)

    def beat_state(self, a: Sequence[int] | np.ndarray, b: Sequence[int] | np.ndarray) -> list[tuple[int, int]]:
        """Return the registered ``(S, C)`` pair after every beat (what the RTL's accumulator registers hold)."""
        av = _check_operands("a", a, self.a_bits).tolist()
        bv = _check_operands("b", b, self.b_bits).tolist()
        if len(av) != len(bv) or not av:
            raise ConfigError(f"a and b must be non-empty and of equal length, not {len(av)} and {len(bv)}")
        L, W = self.lanes, self.acc_bits
        pad = (-len(av)) % L
        av, bv = av + [0] * pad, bv + [0] * pad
        s = c = 0
        states = []
        for i in range(0, len(av), L):
            rows = partial_product_rows(av[i:i + L], self.a_bits, bv[i:i + L], self.b_bits, W) + [s, c]
            s, c = compress_rows(rows, W)
            states.append((s, c))
        return states

    def dot(self, a: Sequence[int] | np.ndarray, b: Sequence[int] | np.ndarray) -> int:
        """Return the ``acc_bits`` two's-complement dot product, computed through the carry-save datapath."""
        s, c = self.beat_state(a, b)[-1]
        return _wrap_signed(s + c, self.acc_bits)
