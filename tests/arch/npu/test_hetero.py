"""NPU + PIM heterogeneous decode: modes, sub-batch interleaving, blocked vs dual row buffers."""

import pytest

from archsim.arch.npu import NpuPimDesign, chrome_trace
from archsim.core.errors import ConfigError
from archsim.workloads import build_trace

TRACE = build_trace("llama2-7b", phase="decode", batch=32, context=512)


def _no_overlap(df, resource):
    t = df[df.resource == resource].sort_values("start_s")
    ends = (t.start_s + t.seconds).to_numpy()
    starts = t.start_s.to_numpy()
    return all(starts[i + 1] >= ends[i] - 1e-15 for i in range(len(t) - 1))


def test_npu_mode_is_the_npu_alone_on_the_pim_memory():
    d = NpuPimDesign(mode="npu")
    assert d.npu.memory_bandwidth_gbps == pytest.approx(4 * d.pim.external_bandwidth_gbps)
    assert d.run(TRACE).seconds == pytest.approx(d.npu.run(TRACE).seconds)


def test_one_sub_batch_is_serial():
    r = NpuPimDesign(mode="npu+pim", sub_batches=1).run(TRACE)
    df = r.ops.sort_values("start_s")
    ends = (df.start_s + df.seconds).to_numpy()
    assert all(df.start_s.to_numpy()[1:] >= ends[:-1] - 1e-15)
    assert r.seconds == pytest.approx(df.seconds.sum())


def test_interleaving_overlaps_and_resources_are_exclusive():
    for pim in ("hbm-pim", "hbm-pim-dual"):
        r = NpuPimDesign(mode="npu+pim", pim=pim, sub_batches=2).run(TRACE)
        assert _no_overlap(r.ops, "npu") and _no_overlap(r.ops, "pim")
        serial = r.summary["npu_busy_s"] + r.summary["pim_busy_s"]
        if pim == "hbm-pim-dual":
            assert r.seconds < 0.95 * serial  # attention of one sub-batch hides under the other's GEMMs
        else:  # blocked: memory-bound decode GEMMs cannot overlap PIM, so (almost) nothing is hidden
            assert r.seconds <= serial * (1 + 1e-12)
        assert r.summary["tokens_per_s"] == pytest.approx(32 / r.seconds)


def test_dual_row_buffers_never_slower_than_blocked():
    blocked = NpuPimDesign(mode="npu+pim", pim="hbm-pim", sub_batches=2).run(TRACE)
    dual = NpuPimDesign(mode="npu+pim", pim="hbm-pim-dual", sub_batches=2).run(TRACE)
    assert blocked.summary["row_buffers"] == "blocked" and dual.summary["row_buffers"] == "dual"
    assert dual.seconds < blocked.seconds


def test_pim_mode_and_timeline():
    small = build_trace("llama2-7b", phase="decode", batch=4, context=256)
    r = NpuPimDesign(mode="pim").run(small)
    assert r.summary["npu_busy_s"] == 0 and r.seconds > 0
    t = chrome_trace(NpuPimDesign(sub_batches=2).run(small))
    assert {e["args"]["name"] for e in t["traceEvents"] if e["name"] == "thread_name"} == {"npu", "pim"}


def test_errors():
    with pytest.raises(ConfigError, match=r"^mode must be one of npu, pim, npu\+pim, not 'gpu'$"):
        NpuPimDesign(mode="gpu")
    with pytest.raises(ConfigError, match=r"^sub_batches must be a positive integer, not 0$"):
        NpuPimDesign(sub_batches=0)
