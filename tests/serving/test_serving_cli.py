"""archsim serve: --json keys, one-line errors."""

import json
import math
import subprocess
import sys

import pytest

from archsim.cli import main
from archsim.cli.serve import JSON_KEYS


def test_serve_json_has_the_contract_keys(capsys):
    rc = main(["serve", "--design", "h100-sxm5-80gb", "--model", "llama2-7b", "--rate", "20", "--requests", "30",
               "--scheduler", "sarathi", "--chunk", "256", "--slo-ttft", "1", "--slo-tpot", "0.1",
               "--prompt-tokens", "64", "--output-tokens", "8", "--seed", "3", "--json"])
    assert rc == 0
    out = capsys.readouterr().out
    assert out.count("\n") == 1
    obj = json.loads(out)
    for k in JSON_KEYS:
        assert k in obj
    assert obj["requests"] == 30 and obj["arrival_rate"] == 20
    assert all(not (isinstance(v, float) and not math.isfinite(v)) for v in obj.values())
    assert "NaN" not in out


def test_serve_trace_replay_with_azure_columns(tmp_path, capsys):
    f = tmp_path / "t.csv"
    f.write_text("TIMESTAMP,ContextTokens,GeneratedTokens\n2023-11-16 18:15:46.68,74,4\n"
                 "2023-11-16 18:15:47.18,91,6\n2023-11-16 18:15:47.20,60,3\n")
    assert main(["serve", "--design", "h100-sxm5-80gb", "--model", "llama2-7b", "--trace", str(f), "--json"]) == 0
    obj = json.loads(capsys.readouterr().out)
    assert obj["requests"] == 3 and obj["generated_tokens"] == 13


@pytest.mark.parametrize("args,msg", [
    (["--rate", "-2"], "--rate must be a positive number of requests/s, not -2.0"),
    (["--rate", "1", "--slo-tpot", "0"], "slo_tpot_s must be a positive number of seconds, not 0.0"),
    (["--rate", "1", "--prompt-tokens", "5000"], "prompt + output tokens must be <= the model's context (4096)"),
    (["--rate", "1", "--memory-bytes", "1e9"], "cannot hold the weights of llama2-7b"),
])
def test_serve_bad_input_exits_2_with_one_line(args, msg):
    p = subprocess.run([sys.executable, "-m", "archsim.cli", "serve", "--design", "h100-sxm5-80gb", "--model",
                        "llama2-7b", "--requests", "5", *args], capture_output=True, text=True)
    assert p.returncode == 2
    assert p.stdout == ""
    assert p.stderr.count("\n") == 1 and msg in p.stderr


def test_perfetto_timeline_uses_the_shared_exporter(tmp_path):
    pytest.importorskip("archsim.core.timeline")
    from archsim.serving import serve

    res = serve("h100-sxm5-80gb", "llama2-7b", {"requests": 5, "rate": 10, "prompt_tokens": 32, "output_tokens": 4},
                "disagg")
    out = tmp_path / "t.json"
    res.write_perfetto(out)
    data = json.loads(out.read_text())
    events = data["traceEvents"] if isinstance(data, dict) else data
    assert sum(1 for e in events if e.get("ph") == "X") == len(res.schedule)
