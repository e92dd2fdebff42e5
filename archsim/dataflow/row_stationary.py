"""Row-stationary (RS) convolution mapping (Eyeriss) on an ``rows x cols`` PE array, and its fast timing.

Source: Chen, Emer, Sze, "Eyeriss: A Spatial Architecture for Energy-Efficient Dataflow for
Convolutional Neural Networks", ISCA 2016, Sec. IV (the 1-D convolution primitive and PE sets)
and Chen et al., JSSC 2017 (Eyeriss v1 chip).  What is modelled (assumptions labelled):

* **1-D primitive** (Sec. IV-A): a PE keeps one filter row (``s`` weights) stationary and slides
  it over one padded input row, producing one row of ``q`` partial sums: ``q * s`` MACs, one per
  cycle.
* **PE set** (Sec. IV-B): ``r`` PE rows (one per filter row) x ``e`` PE columns (one per output
  row, ``e = min(p, cols)``; taller outputs are cut into ``ceil(p / e)`` strips).  The ``r``
  partial-sum rows of a column are added along the column: the bottom row's finished psum moves
  up one PE per cycle, each PE adding its own (kept in its psum scratchpad until the psum from
  below arrives).
* **Replication** (Sec. IV-C, "folding/replication"): ``rows // r`` sets stacked vertically and
  ``cols // e`` side by side run at once, each on its own *unit*: one (image, output channel,
  input channel of its group, output strip).  Units are processed in passes of that many sets.
* Assumptions: ideal memory and NoC (inputs, weights and psum accumulation across input
  channels at the global buffer cost no cycles; scratchpads hold a whole filter row and the
  psums of a row), and a pass starts when the previous one has drained (no overlap).  So one
  pass takes ``q * s + r - 1`` cycles: the last MAC at cycle ``q*s - 1`` and ``r - 1`` cycles of
  vertical accumulation.  The exact model (:func:`archsim.arch.rs_exact_conv`) steps these
  cycles with real values; property tests hold the two equal.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from archsim.core.errors import ConfigError, require_positive_int
from archsim.dataflow.registry import cdiv
from archsim.workloads.op import ConvShape


@dataclass(frozen=True)
class RsPlan:
    """The RS mapping of one conv on a ``rows x cols`` array.

    Attributes:
        shape: the convolution; rows, cols: array size (PEs).
        e: PE columns (output rows) per set; strips: output-row strips ``ceil(p / e)``.
        sets: sets running at once (``(rows // r) * (cols // e)``); units: 2-D units to run
            (``n * k * (c / groups) * strips``); passes: ``ceil(units / sets)``.
    """

    shape: ConvShape
    rows: int
    cols: int

    def __post_init__(self) -> None:
        require_positive_int("rows", self.rows)
        require_positive_int("cols", self.cols)
        if self.shape.r > self.rows:
            raise ConfigError(f"row stationary needs the filter height ({self.shape.r}) <= array rows ({self.rows})")

    @property
    def e(self) -> int:
        return min(self.shape.p, self.cols)

    @property
    def strips(self) -> int:
        return cdiv(self.shape.p, self.e)

    @property
    def sets_v(self) -> int:
        return self.rows // self.shape.r

    @property
    def sets_h(self) -> int:
        return self.cols // self.e

    @property
    def sets(self) -> int:
        return self.sets_v * self.sets_h

    @property
    def units(self) -> int:
        sh = self.shape
        return sh.n * sh.k * (sh.c // sh.groups) * self.strips

    @property
    def passes(self) -> int:
        return cdiv(self.units, self.sets)

    @property
    def pass_cycles(self) -> int:
        """Cycles of one pass: ``q * s`` MACs per PE plus ``r - 1`` of vertical accumulation."""
        return self.shape.q * self.shape.s + self.shape.r - 1

    def cycles(self) -> int:
        """Cycles of the whole conv (fast model, closed form)."""
        return self.passes * self.pass_cycles

    def utilization(self) -> float:
        """MACs / (PEs x cycles)."""
        return self.shape.macs / (self.rows * self.cols * self.cycles())

    def unit_index(self) -> np.ndarray:
        """``units x 4`` int64 array of (image, output channel, input channel within the group, strip), issue order."""
        sh = self.shape
        idx = np.indices((sh.n, sh.k, sh.c // sh.groups, self.strips)).reshape(4, -1).T
        return idx.astype(np.int64)


def plan_rs(shape: ConvShape, rows: int, cols: int) -> RsPlan:
    """Return the :class:`RsPlan` of ``shape`` on a ``rows x cols`` array."""
    if not isinstance(shape, ConvShape):
        raise ConfigError(f"row stationary maps conv ops (a ConvShape), not {type(shape).__name__}")
    return RsPlan(shape, rows, cols)


def rs_cycles(shape: ConvShape, rows: int, cols: int) -> int:
    """Cycles of ``shape`` on a ``rows x cols`` RS array with ideal memory (fast model)."""
    return plan_rs(shape, rows, cols).cycles()


def op_conv_shape(op) -> ConvShape:
    """The convolution an op runs as on an RS array: its own geometry for ``conv``; a matrix op
    ``C[M,N] = A[M,K] @ B[K,N]`` (x batch) as a 1x1 conv of ``batch * M`` images of ``K`` channels
    to ``N`` (assumption: FC layers as 1x1 convs, as Eyeriss runs them)."""
    if op.kind == "conv":
        return op.conv
    if not op.is_matrix:
        raise ConfigError(f"op {op.name!r}: row stationary maps matrix and conv ops, not {op.kind!r}")
    return ConvShape(op.batch * op.M, op.K, 1, 1, op.N, 1, 1)
