"""Convolution lowering: im2col operands of a ``conv`` op and the inverse reshape of its output.

A :class:`~archsim.workloads.op.ConvShape` runs on any GEMM engine as ``groups`` GEMMs
``C[M, N] = A[M, K] @ B[K, N]`` with ``M = n p q`` (output pixels), ``K = (c/g) r s`` (taps of one
group) and ``N = k / g`` (its output channels): the shape a ``conv`` op carries.  Row ``m`` of
``A`` is the receptive field of output pixel ``m``, zero where it falls in the padding; ``B`` is
the group's filters, one per column.  The native alternative is the loop nest of
:mod:`archsim.dataflow.row_stationary`.
"""

from __future__ import annotations

import numpy as np

from archsim.core.errors import ConfigError
from archsim.workloads.op import ConvShape


def im2col(x: np.ndarray, shape: ConvShape) -> np.ndarray:
    """Return ``A`` (``groups x M x K``) of input ``x`` (``n x c x h x w``); K ordered (channel, r, s)."""
    x = np.asarray(x)
    if x.shape != (shape.n, shape.c, shape.h, shape.w):
        raise ConfigError(f"input must be {(shape.n, shape.c, shape.h, shape.w)} (n, c, h, w), not {x.shape}")
    pad, st, dil = shape.padding, shape.stride, shape.dilation
    xp = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    hh = (np.arange(shape.p) * st)[:, None] + (np.arange(shape.r) * dil)[None, :]  # p x r
    ww = (np.arange(shape.q) * st)[:, None] + (np.arange(shape.s) * dil)[None, :]  # q x s
    # n x c x p x r x q x s -> n, p, q, c, r, s
    cols = xp[:, :, hh[:, :, None, None], ww[None, None, :, :]]
    cols = cols.transpose(0, 2, 4, 1, 3, 5)
    g, cg = shape.groups, shape.c // shape.groups
    cols = cols.reshape(shape.n * shape.p * shape.q, g, cg * shape.r * shape.s)
    return np.ascontiguousarray(cols.transpose(1, 0, 2))


def filter_matrix(wt: np.ndarray, shape: ConvShape) -> np.ndarray:
    """Return ``B`` (``groups x K x N``) of filters ``wt`` (``k x c/groups x r x s``)."""
    wt = np.asarray(wt)
    cg, kg = shape.c // shape.groups, shape.k // shape.groups
    if wt.shape != (shape.k, cg, shape.r, shape.s):
        raise ConfigError(f"filters must be {(shape.k, cg, shape.r, shape.s)} (k, c/groups, r, s), not {wt.shape}")
    return np.ascontiguousarray(wt.reshape(shape.groups, kg, cg * shape.r * shape.s).transpose(0, 2, 1))


def col2im(out: np.ndarray, shape: ConvShape) -> np.ndarray:
    """Return the ``n x k x p x q`` output from the GEMM results (``groups x M x N``)."""
    g, kg = shape.groups, shape.k // shape.groups
    o = np.asarray(out).reshape(g, shape.n, shape.p, shape.q, kg)
    return np.ascontiguousarray(o.transpose(1, 0, 4, 2, 3).reshape(shape.n, shape.k, shape.p, shape.q))
