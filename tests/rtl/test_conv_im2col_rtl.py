"""Convolution through im2col on the RTL arrays (OS and WS): RTL == exact model == fast form, output == conv."""

from __future__ import annotations

import numpy as np
import pytest

from archsim.arch.row_stationary import reference_conv
from archsim.dataflow.conv import col2im, filter_matrix, im2col
from archsim.workloads.op import ConvShape

pytestmark = pytest.mark.rtl


@pytest.mark.parametrize(("variant", "dataflow"), [("os", "os"), ("stationary", "ws")])
def test_conv_im2col_on_rtl_array(variant: str, dataflow: str) -> None:
    from archsim.rtl import ArrayCase, check_array

    shape = ConvShape(1, 4, 5, 5, 4, 3, 3, stride=2, padding=1, groups=2)  # 2 groups: M=9, K=18, N=2
    rng = np.random.default_rng(11)
    x = rng.integers(-128, 128, (1, 4, 5, 5))
    wt = rng.integers(-128, 128, (4, 2, 3, 3))
    A, B = im2col(x, shape), filter_matrix(wt, shape)
    cases = [ArrayCase(A[g], B[g], dataflow) for g in range(shape.groups)]
    results = check_array(4, 3, variant, cases)
    bad = [r.describe() for r in results if r.errors]
    assert bad == [], "\n".join(bad)
    assert all(r.rtl_cycles == r.exact_cycles == r.fast_cycles for r in results)
    np.testing.assert_array_equal(col2im(A @ B, shape), reference_conv(x, wt, shape))
