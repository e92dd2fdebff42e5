"""SCALE-Sim GEMM topology import/export."""

import pytest

from archsim.core.errors import ConfigError
from archsim.workloads import Op, Trace
from archsim.workloads.scalesim import read_scalesim_gemm, write_scalesim_gemm


def test_round_trip_expands_batch_and_skips_vector_ops(tmp_path):
    trace = Trace.from_ops([Op("qk", "bmm", 4, 8, 16, batch=2), Op("sm", "softmax", 4, 1, 16, b_tensor="none"),
                            Op("fc", "gemm", 3, 5, 7, count=1)])
    path = tmp_path / "topo.csv"
    assert write_scalesim_gemm(trace, path) == 3
    text = path.read_text().splitlines()
    assert text[0] == "Layer Name, M, N, K,"
    assert text[3] == "fc, 3, 7, 5,"
    back = read_scalesim_gemm(path)
    assert [(o.M, o.K, o.N) for o in back] == [(4, 8, 16), (4, 8, 16), (3, 5, 7)]


def test_bad_topology_names_row_and_column(tmp_path):
    path = tmp_path / "topo.csv"
    path.write_text("Layer Name, M, N, K,\nfc1, 3, 0, 5,\n")
    with pytest.raises(ConfigError, match=r"row 1, column N: must be a positive integer, not '0'"):
        read_scalesim_gemm(path)


def test_run_trace_accepts_scalesim_topologies(tmp_path, capsys):
    """Regression (issue 15): `archsim run --trace` rejected SCALE-Sim topologies, even the ones
    `archsim workload -o x.scalesim.csv` writes."""
    import json

    from archsim.cli import main

    (tmp_path / "s.csv").write_text("Layer Name, M, N, K,\nfc1, 64, 128, 256,\n")
    assert main(["run", "--design", "tpu-v1", "--trace", str(tmp_path / "s.csv"), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["macs"] == 64 * 128 * 256
    out = tmp_path / "w.scalesim.csv"
    assert main(["workload", "gpt2", "--phase", "decode", "--context", "8", "-o", str(out)]) == 0
    capsys.readouterr()
    assert main(["run", "--design", "tpu-v1", "--trace", str(out), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["total_cycles"] > 0


def test_readme_data_files_are_shipped(capsys):
    from pathlib import Path

    from archsim.cli import main

    root = Path(__file__).resolve().parents[2]
    assert main(["workload", str(root / "examples/data/config.json"), "--phase", "decode", "--context", "16"]) == 0
    assert main(["dram", "--spec", "HBM2-2Gbps", "--trace", str(root / "examples/data/requests.txt"), "--json"]) == 0
