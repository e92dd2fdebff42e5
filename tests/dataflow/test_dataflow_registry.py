"""The systolic dataflow registry: one registered object per dataflow, looked up by name."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from archsim.arch import SystolicArray
from archsim.core.errors import ConfigError
from archsim.dataflow import dataflow_names, get_dataflow, plan_folds
from archsim.dataflow import registry as reg
from archsim.dataflow.flows.weight_stationary import WeightStationary
from archsim.workloads.op import Op


def test_builtin_names_and_attributes():
    assert dataflow_names()[:3] == ("os", "ws", "is")
    assert get_dataflow("os").hardware == "os" and not get_dataflow("os").preload
    assert get_dataflow("ws").stationary == "b" and get_dataflow("is").stationary == "a"


@pytest.mark.parametrize("bad", ["xs", 3, None, ["ws"]])
def test_unknown_dataflow_is_config_error(bad):
    with pytest.raises(ConfigError, match="dataflow must be one of os, ws, is"):
        get_dataflow(bad)
    with pytest.raises(ConfigError):
        SystolicArray(dataflow=bad)


@settings(max_examples=40, deadline=None)
@given(st.sampled_from(("os", "ws", "is")), st.integers(1, 9), st.integers(1, 9), st.integers(1, 40),
       st.integers(1, 40), st.integers(1, 40), st.integers(1, 2), st.integers(0, 12),
       st.sampled_from(("default", "swapped")))
def test_folds_cover_every_mac_once(df, R, C, M, K, N, batch, chunk, order):
    """Every dataflow's folds tile the op: real MACs summed over folds == M*K*N*batch, pieces in range."""
    plan = plan_folds(df, R, C, M, K, N, batch, chunk, order)
    fa = plan.fold_arrays
    assert len(fa["L"]) == plan.folds
    assert int((fa["r"] * fa["c"] * fa["L"]).sum()) == M * K * N * batch
    assert (fa["out_first"].sum() == fa["out_last"].sum())
    Mp, Kp, Np = plan.flow.padded_shape(R, C, M, K, N, plan.loops)
    assert Mp >= M and Kp >= K and Np >= N


class _ToyWS(WeightStationary):
    """A new dataflow defined in one class (here: WS under another name) needs no other edit."""

    name = "toy_ws"
    rank = 50


def test_new_dataflow_is_one_class(monkeypatch):
    monkeypatch.setattr(reg, "_REGISTRY", dict(reg._REGISTRY))
    reg.register_dataflow(_ToyWS)
    assert "toy_ws" in dataflow_names()
    op = Op(name="g", kind="gemm", M=13, K=7, N=9)
    toy = SystolicArray(rows=4, cols=3, dataflow="toy_ws")
    ws = SystolicArray(rows=4, cols=3, dataflow="ws")
    fast, exact, ref = toy.run(op), toy.run(op, exact=True), ws.run(op)
    assert fast.summary["total_cycles"] == exact.summary["total_cycles"] == ref.summary["total_cycles"]
    np.testing.assert_array_equal(fast.ops["dram_read_bytes"], ref.ops["dram_read_bytes"])
