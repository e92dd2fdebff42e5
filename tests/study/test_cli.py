import json

import pandas as pd
import pytest
from study_toy import ToyArray, decode_trace, toy_trace

from archsim.cli import main
from archsim.core import ConfigError
from archsim.study import random_sample, sweep
from archsim.study._config import load_sweep_config

SWEEP_YAML = """
design: {class: study_toy.ToyArray, params: {freq_mhz: 500.0}}
grid:
  rows: [4, 8]
  cols: [8, 16]
workloads:
  prefill: {trace: prefill.csv}
  decode: {trace: decode.csv}
workers: 1
output: out/results.parquet
"""


@pytest.fixture
def sweep_dir(tmp_path):
    toy_trace().write(tmp_path / "prefill.csv")
    decode_trace().write(tmp_path / "decode.csv")
    (tmp_path / "sweep.yaml").write_text(SWEEP_YAML)
    return tmp_path


def test_cli_sweep_writes_table_and_resumes(sweep_dir, capsys):
    assert main(["sweep", str(sweep_dir / "sweep.yaml"), "--quiet", "--json", "--allow-code"]) == 0
    info = json.loads(capsys.readouterr().out)
    assert info["points"] == 8 and info["computed"] == 8 and info["failed"] == 0
    out = pd.read_parquet(sweep_dir / "out" / "results.parquet")
    expect = sweep(lambda **p: ToyArray(freq_mhz=500.0, **p), {"rows": [4, 8], "cols": [8, 16]},
                   {"prefill": toy_trace(), "decode": decode_trace()}, workers=1, progress=False)
    cols = ["rows", "cols", "workload", "total_cycles", "seconds", "energy_j", "area_mm2"]
    pd.testing.assert_frame_equal(out[cols], expect[cols])
    # second run: everything from the store (default: next to the sweep file), CSV output
    argv = ["sweep", str(sweep_dir / "sweep.yaml"), "--quiet", "--json", "--allow-code", "-o", str(sweep_dir / "r.csv")]
    assert main(argv) == 0
    info = json.loads(capsys.readouterr().out)
    assert info["computed"] == 0 and info["reused"] == 8
    assert info["store"] == str(sweep_dir / "sweep.sqlite")
    assert len(pd.read_csv(sweep_dir / "r.csv")) == 8


def test_cli_sample(sweep_dir, capsys):
    text = SWEEP_YAML.replace("grid:\n  rows: [4, 8]\n  cols: [8, 16]\n",
                              "sample: {n: 3, seed: 7, space: {rows: [2, 4, 8, 16], cols: {low: 2, high: 32}}}\n")
    (sweep_dir / "s.yaml").write_text(text)
    assert main(["sweep", str(sweep_dir / "s.yaml"), "--quiet", "--json", "--allow-code"]) == 0
    out = pd.read_parquet(sweep_dir / "out" / "results.parquet")
    pts = random_sample({"rows": [2, 4, 8, 16], "cols": {"low": 2, "high": 32}}, 3, seed=7)
    assert [{"rows": r, "cols": c} for r, c in zip(out.rows[::2], out.cols[::2], strict=True)] == pts


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (("grid:", "gird:"), r"unknown key 'gird' \(allowed: design, base, grid, sample, workloads"),
        (("rows: [4, 8]", "rows: []"), r"key 'grid\.rows' must be a non-empty list, not \[\]"),
        (("workers: 1", "workers: two"), r"key 'workers' must be a positive integer <= 1024, not 'two'"),
        (("output: out/results.parquet", "output: r.txt"), r"key 'output' must be a path ending in \.parquet or"),
        (("study_toy.ToyArray", "study_toy.Nope"), r"design\.class 'study_toy\.Nope' cannot be imported"),
        (("prefill: {trace: prefill.csv}", "prefill: {phase: decode}"), r"'workloads\.prefill' needs 'model' or"),
        (("design:", "design: tpu-v1\nbackend: ray\nx:"), r"unknown key 'x'"),
        (("workers: 1", "workers: [1"), r"is not valid YAML"),
        (("workers: 1", "sample: {n: 2, space: {rows: [1]}}"), r"exactly one of the keys 'grid' and 'sample'"),
    ],
)
def test_bad_sweep_file_names_the_key(sweep_dir, capsys, edit, message):
    (sweep_dir / "bad.yaml").write_text(SWEEP_YAML.replace(*edit))
    with pytest.raises(ConfigError, match=message):
        load_sweep_config(sweep_dir / "bad.yaml", allow_code=True)
    assert main(["sweep", str(sweep_dir / "bad.yaml"), "--quiet", "--allow-code"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("archsim: error: sweep file ") and err.count("\n") == 1


def test_cli_sweep_of_a_real_preset_matches_simulate(tmp_path, capsys):
    archsim = pytest.importorskip("archsim")
    if not hasattr(archsim, "load_design"):
        pytest.skip("design presets not available")
    from archsim.workloads import Op, Trace

    Trace.from_ops([Op("g", "gemm", 64, 96, 80), Op("v", "gemv", 1, 96, 80, phase="decode")]).write(tmp_path / "t.csv")
    (tmp_path / "s.yaml").write_text(
        "design: sa128-bf16\nbase: {freq_mhz: 800.0}\ngrid: {rows: [16, 32], dataflow: [os, ws]}\n"
        "workloads: {tiny: {trace: t.csv}}\nworkers: 1\n"
    )
    assert main(["sweep", str(tmp_path / "s.yaml"), "--quiet", "--json"]) == 0
    info = json.loads(capsys.readouterr().out)
    out = pd.read_parquet(info["output"])
    assert info["failed"] == 0 and len(out) == 4
    trace = Trace.read(tmp_path / "t.csv")
    for _, row in out.iterrows():
        design = archsim.load_design("sa128-bf16", freq_mhz=800.0, rows=int(row["rows"]), dataflow=row["dataflow"])
        expect = archsim.simulate(design, trace).summary
        assert row["total_cycles"] == expect["total_cycles"]
        assert row["energy_j"] == expect["energy_j"]
        assert row["area_mm2"] == expect["area_mm2"]
