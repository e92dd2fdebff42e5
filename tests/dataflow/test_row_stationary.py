"""Row stationary (Eyeriss) on a PE array: exact stepping == closed form; DRACO's grouping rule."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from archsim.arch.row_stationary import reference_conv, rs_exact_conv
from archsim.core.errors import ConfigError
from archsim.dataflow.draco import draco_channels_per_group, draco_grouping
from archsim.dataflow.row_stationary import op_conv_shape, plan_rs, rs_cycles
from archsim.workloads.cnn import cnn_trace
from archsim.workloads.op import ConvShape, Op, conv_op


@settings(max_examples=30, deadline=None)
@given(st.integers(1, 2), st.integers(1, 3), st.integers(3, 9), st.integers(3, 9), st.integers(1, 3),
       st.integers(1, 3), st.integers(1, 3), st.integers(1, 2), st.integers(0, 2), st.integers(1, 2),
       st.booleans(), st.integers(1, 9), st.integers(1, 9), st.integers(0, 99))
def test_rs_exact_equals_fast(n, cg, h, w, kg, r, s, stride, pad, dil, grouped, rows, cols, seed):
    """Fast (closed form) == exact (stepped) cycles, exact output == direct convolution, MACs counted."""
    g = 2 if grouped else 1
    try:
        shape = ConvShape(n, cg * g, h, w, kg * g, r, s, stride, pad, g, dil)
        plan = plan_rs(shape, rows, cols)
    except ConfigError:
        return  # filter larger than the input or than the array
    ex = rs_exact_conv(shape, rows, cols, seed=seed)
    assert ex.cycles == plan.cycles() == rs_cycles(shape, rows, cols)
    assert ex.macs == shape.macs
    assert plan.utilization() <= 1.0


def test_rs_exact_output_is_the_convolution():
    shape = ConvShape(1, 4, 8, 8, 4, 3, 3, stride=2, padding=1, groups=4)
    rng = np.random.default_rng(3)
    x = rng.integers(-128, 128, (1, 4, 8, 8))
    wt = rng.integers(-128, 128, (4, 1, 3, 3))
    np.testing.assert_array_equal(rs_exact_conv(shape, 6, 4, x, wt).output, reference_conv(x, wt, shape))


def test_rs_known_layer():
    """MobileNetV1 dw1 on 64x64: e = 64 of 112 output rows (2 strips), 21 sets of 3 rows x 1 column,
    32 channels x 2 strips = 64 units -> 4 passes of 112 * 3 + 2 cycles."""
    (dw1,) = [o for o in cnn_trace("mobilenet-v1") if o.name == "dw1"]
    p = plan_rs(dw1.conv, 64, 64)
    assert (p.e, p.strips, p.sets, p.units, p.passes, p.pass_cycles) == (64, 2, 21, 64, 4, 338)


def test_rs_gemm_as_1x1_conv_and_errors():
    shape = op_conv_shape(Op("fc", "gemm", 3, 5, 7))
    assert shape.macs == 3 * 5 * 7 and (shape.r, shape.s, shape.p) == (1, 1, 1)
    with pytest.raises(ConfigError, match="filter height"):
        plan_rs(ConvShape(1, 1, 20, 20, 1, 9, 9), 8, 8)
    with pytest.raises(ConfigError, match="not 'softmax'"):
        op_conv_shape(Op("sm", "softmax", 2, 1, 4))


def test_draco_rule():
    assert draco_channels_per_group(3, 3, 512, 64) == 8   # 8 * 9 = 72 >= 64 rows
    assert draco_channels_per_group(3, 3, 4, 64) == 4     # capped at c
    assert draco_channels_per_group(1, 1, 96, 64) == 32   # 64 does not divide 96: largest power-of-two divisor
    ops = draco_grouping([conv_op("dw", 1, 32, 8, 8, 32, 3, 3, padding=1, groups=32),
                          conv_op("pw", 1, 32, 8, 8, 64, 1, 1)], rows=64)
    assert ops[0].conv.groups == 4 and ops[0].macs == 8 * conv_op("d", 1, 32, 8, 8, 32, 3, 3, padding=1,
                                                                   groups=32).macs
    assert ops[1].conv.groups == 1
