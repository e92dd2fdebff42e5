"""Serving on NPU+PIM designs (NeuPIMs-style) and disaggregated pools with different designs."""

import pytest

from archsim.arch.npu import NpuPimDesign
from archsim.core.errors import ConfigError
from archsim.serving import serve

WL = {"requests": 16, "rate": 1e4, "lengths": "fixed", "prompt_tokens": 128, "output_tokens": 16}


def _pim(mode, sb):
    return NpuPimDesign(name=f"p-{mode}-{sb}", npu="h100-sxm5-80gb", pim="hbm-pim-dual", pim_devices=5, mode=mode,
                        sub_batches=sb)


def test_neupims_decode_iterations_run_on_the_heterogeneous_design():
    res = serve(_pim("npu+pim", 2), "llama2-7b", WL, "neupims", max_num_seqs=8, bucket=64)
    s = res.summary
    assert s["completed"] == 16 and s["uniform_context"] is True
    assert s["kv"]["both"]["memory_source"] == "datasheet fallback: 6 GiB per HBM-PIM stack"
    # decode steps of NPU+PIM differ from NPU-only on the same NPU (attention moved to PIM)
    npu = serve(_pim("npu", 1), "llama2-7b", WL, "neupims", max_num_seqs=8, bucket=64).summary
    assert s["tpot_p50_s"] != npu["tpot_p50_s"]


def test_npu_pim_refuses_mixed_batches():
    with pytest.raises(ConfigError, match=r"^an NPU\+PIM design runs decode-only or prefill-only iterations"):
        serve(_pim("npu+pim", 1), "llama2-7b", {**WL, "rate": 50}, "sarathi", chunk=64)


def test_disaggregated_pools_with_a_pim_decode_pool():
    res = serve("h100-sxm5-80gb", "llama2-7b", WL, "disagg", decode_design=_pim("npu+pim", 1), link_gbps=25.0,
                bucket=64)
    s, tr = res.summary, res.transfers
    assert s["completed"] == 16 and len(tr) == 16
    # every KV transfer carries the prompt's KV bytes: 128 tokens x 512 KiB (Llama-2-7B, bf16)
    assert (tr["bytes"] == 128 * 524288).all()
    assert set(res.iterations["instance"]) == {"prefill0", "decode0"}
    sched = res.schedule
    assert {"lane", "name", "start_s", "dur_s", "cat"} <= set(sched.columns)
    assert set(sched["lane"]) == {"prefill0", "decode0", "prefill0.link"}
