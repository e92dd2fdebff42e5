"""DRACO's grouping rule: depthwise convolutions become group convolutions that fill the array.

Source: Jha et al., "DRACO: Co-Optimizing Hardware Utilization, and Performance of DNNs on
Systolic Accelerator", arXiv:2006.15103 (ISVLSI 2020): depthwise layers leave most PEs of a
64x64 systolic array idle; DRACO changes the *network* (not the dataflow) so each filter sees
several input channels, raising data reuse.  Reported on MobileNetV1, 64x64 array: +41.8 %
average PE utilization and -42.6 % inference latency against row stationary (abstract).

The rule as implemented here (**assumption**: the abstract and introduction are what we could
consult, not the paper's exact group-size table): a depthwise layer (``groups == c == k``) gets
``channels_per_group`` = the smallest power of two with ``channels_per_group * r * s >= rows``
(the im2col reduction dimension ``K`` then fills the array's rows; 8 for 3x3 filters on 64
rows), capped at ``c``.  The layer's MACs grow by that factor (more weights per filter); other
layers are unchanged.
"""

from __future__ import annotations

from archsim.core.errors import require_positive_int
from archsim.workloads.op import Op, conv_op


def draco_channels_per_group(r: int, s: int, c: int, rows: int) -> int:
    """Channels per group DRACO's rule gives a depthwise ``r x s`` layer of ``c`` channels on ``rows`` rows."""
    require_positive_int("rows", rows)
    cg = 1
    while cg * r * s < rows and cg < c:
        cg *= 2
    while c % cg:  # a divisor of c (powers of two divide every MobileNet width)
        cg //= 2
    return cg


def draco_grouping(ops, rows: int) -> list[Op]:
    """Return ``ops`` with every depthwise conv regrouped by :func:`draco_channels_per_group`."""
    out = []
    for op in ops:
        sh = op.conv if op.kind == "conv" else None
        if sh is not None and sh.groups == sh.c == sh.k and sh.groups > 1:
            cg = draco_channels_per_group(sh.r, sh.s, sh.c, rows)
            op = conv_op(op.name, sh.n, sh.c, sh.h, sh.w, sh.k, sh.r, sh.s, stride=sh.stride, padding=sh.padding,
                         groups=sh.c // cg, dilation=sh.dilation, a_precision=op.a_precision,
                         b_precision=op.b_precision, out_precision=op.out_precision, b_tensor=op.b_tensor,
                         layer=op.layer, phase=op.phase, count=op.count)
        out.append(op)
    return out
