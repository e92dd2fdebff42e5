"""Multi-chip systems: one chip is the chip; TP/EP insert the collectives Megatron/GShard do."""

import numpy as np
import pandas as pd
import pytest

import archsim
from archsim.arch.system import SYSTEM_PRESETS, SystemDesign
from archsim.core.errors import ConfigError
from archsim.dataflow.parallel import device_expert_tokens
from archsim.network import Switch
from archsim.workloads import build_trace


def test_one_chip_system_equals_the_chip_exactly():
    chip = archsim.load_design("h100-sxm5-80gb")
    one = SystemDesign(name="one", chip=chip, topology=Switch(num_devices=1))
    trace = build_trace("llama2-7b", phase="decode", batch=4, context=512)
    a, b = archsim.simulate(chip, trace), archsim.simulate(one, trace)
    pd.testing.assert_frame_equal(a.ops, b.ops)
    assert a.summary == b.summary


def test_tp_inserts_two_all_reduces_per_layer_of_tokens_x_hidden():
    dgx = SYSTEM_PRESETS["dgx-h100"]
    trace = build_trace("llama2-7b", phase="decode", batch=4, context=512, tp=4)
    r = dgx.run(trace)
    coll = r.ops[r.ops["kind"] == "collective"]
    assert set(coll["collective"]) == {"all_reduce"}
    assert int(coll["count"].sum()) == 2 * 32
    assert set(coll["size_bytes"]) == {4 * 4096 * 2}
    assert set(coll["ranks"]) == {4}
    s = r.summary
    assert s["seconds"] == pytest.approx(s["compute_seconds"] + s["exposed_communication_seconds"])
    assert s["communication_seconds"] == pytest.approx(coll["comm_seconds"].sum())
    assert set(r.schedule["lane"]) == {"compute", "link"}


def test_sequence_parallel_swaps_each_all_reduce_for_reduce_scatter_plus_all_gather():
    dgx = SYSTEM_PRESETS["dgx-h100"].replace(sequence_parallel=True)
    r = dgx.run(build_trace("llama2-7b", phase="prefill", seq=512, tp=8))
    coll = r.ops[r.ops["kind"] == "collective"]
    assert sorted(set(coll["collective"])) == ["all_gather", "reduce_scatter"]
    assert coll["bytes_sent"].sum() == pytest.approx(
        SYSTEM_PRESETS["dgx-h100"].run(build_trace("llama2-7b", phase="prefill", seq=512, tp=8)).ops.query(
            "kind == 'collective'")["bytes_sent"].sum())


def test_trace_tp_must_match_the_systems():
    with pytest.raises(ConfigError, match="built with tp=2 but the system runs tp=4"):
        SYSTEM_PRESETS["dgx-h100"].replace(tp=4).run(build_trace("llama2-7b", phase="decode", tp=2))


def test_pipeline_bubble_and_step_time():
    dgx = SYSTEM_PRESETS["dgx-h100"].replace(tp=2, pp=4, micro_batches=4)
    r = dgx.run(build_trace("llama2-7b", phase="prefill", seq=256, tp=2))
    s = r.summary
    assert s["pipeline_bubble"] == pytest.approx(3 / 7)
    stage = (s["compute_seconds"] + s["exposed_communication_seconds"]) / 4
    assert s["seconds"] == pytest.approx(7 * stage + s["pipeline_send_recv_seconds"])


def test_expert_parallel_adds_dispatch_and_combine_and_keeps_the_busiest_devices_experts():
    dgx = SYSTEM_PRESETS["dgx-h100"].replace(ep=8)
    trace = build_trace("mixtral-8x7b", phase="decode", batch=16, context=512, routing="zipf", routing_seed=1)
    r = dgx.run(trace)
    coll = r.ops[r.ops["kind"] == "collective"]
    assert int(coll["count"].sum()) == 2 * 32 and set(coll["collective"]) == {"all_to_all"}
    experts = {n.split("moe.")[1].split(".")[0] for n in r.ops["name"] if ".moe.e" in n}
    assert len(experts) == 1  # 8 experts over 8 devices: one each


def test_device_expert_tokens_conserves_tokens_and_splits_copies():
    t = np.array([10, 0, 30, 20])
    assert device_expert_tokens(t, 2).tolist() == [40, 20]
    six = device_expert_tokens(t, 6)
    assert six.sum() == pytest.approx(60) and six.size == 6 and six.max() == pytest.approx(15)


def test_system_round_trips_and_checks_fields():
    d = SYSTEM_PRESETS["dgx-a100"]
    again = SystemDesign.from_dict(d.to_dict())
    assert again.to_dict() == d.to_dict()
    with pytest.raises(ConfigError, match="^unknown design field 'gpus'; allowed:"):
        d.replace(gpus=4)
    with pytest.raises(ConfigError, match=r"tp x pp \(3 x 1\) must divide the system's 8 devices"):
        d.replace(tp=3)
    assert list(d.describe().columns) == ["field", "value", "unit", "source"]


def test_simulate_prices_link_energy():
    r = archsim.simulate(SYSTEM_PRESETS["dgx-h100"], build_trace("llama2-7b", phase="decode", batch=4, tp=8))
    link = sum(v for k, v in r.summary.items() if k.startswith("energy_link_") and k.endswith("_j"))
    coll = r.ops[r.ops["kind"] == "collective"]
    assert link == pytest.approx(coll["link_0_bytes"].sum() * 8 * 4.1e-12)


def test_deepseek_v3_preset_and_hf_config_agree(tmp_path):
    from archsim.workloads import get_model, load_hf_config

    cfg = {"model_type": "deepseek_v3", "hidden_size": 7168, "num_hidden_layers": 61, "num_attention_heads": 128,
           "num_key_value_heads": 128, "q_lora_rank": 1536, "kv_lora_rank": 512, "qk_nope_head_dim": 128,
           "qk_rope_head_dim": 64, "v_head_dim": 128, "intermediate_size": 18432, "moe_intermediate_size": 2048,
           "n_routed_experts": 256, "n_shared_experts": 1, "num_experts_per_tok": 8, "first_k_dense_replace": 3,
           "vocab_size": 129280, "max_position_embeddings": 163840, "hidden_act": "silu"}
    (tmp_path / "config.json").write_text(__import__("json").dumps(cfg))
    hf, preset = load_hf_config(tmp_path), get_model("deepseek-r1")
    assert hf.param_count() == preset.param_count()
    assert abs(preset.param_count() / 671e9 - 1) < 0.01 and abs(preset.param_count(active=True) / 37e9 - 1) < 0.02
    t = build_trace(preset, phase="decode", batch=2, context=64)
    scores = t.df[t.df["name"].str.endswith("attn.scores")]
    assert set(scores["K"]) == {512 + 64}  # the latent KV cache: kv_lora_rank + RoPE key


def test_system_yaml_round_trip():
    import yaml

    from archsim.arch.registry import load_design

    d = SYSTEM_PRESETS["tpu-v4-64"]
    text = yaml.safe_dump(d.to_dict())
    again = load_design(yaml.safe_load(text))
    assert again.to_dict() == d.to_dict() and again.devices == 64


def test_cli_run_on_a_system_takes_tp_from_the_workload(capsys):
    import json

    from archsim.cli import main

    assert main(["run", "--design", "dgx-h100", "--model", "llama2-7b", "--phase", "decode", "--batch", "2",
                 "--tp", "2", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["tp"] == 2 and out["dp"] == 4 and out["exposed_communication_seconds"] > 0
    assert out["seconds"] == pytest.approx(out["compute_seconds"] + out["exposed_communication_seconds"])
