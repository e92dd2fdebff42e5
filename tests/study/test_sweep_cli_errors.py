"""``archsim sweep``: bad input is a one-line ConfigError (exit 2) before the first point runs;
a sweep whose every point fails at run time exits 1."""

from __future__ import annotations

import pytest

from archsim.cli import main


def test_sweep_of_a_directory_exits_2(tmp_path, capsys) -> None:
    assert main(["sweep", str(tmp_path), "--quiet"]) == 2
    assert capsys.readouterr().err == f"archsim: error: sweep file {str(tmp_path)!r} is a directory, not a YAML file\n"


@pytest.mark.parametrize(
    ("head", "message"),
    [
        ("design: tpu-v9\ngrid: {rows: [8]}\n", r"design point \(rows=8\): design must be one of"),
        ("design: sa128-bf16\ngrid: {rowz: [8, 16]}\n", r"design point \(rowz=8\): unknown design field 'rowz'"),
        ("design: sa128-bf16\nbase: {freq_mhz: -1}\ngrid: {rows: [8]}\n", r"design point \(rows=8\): freq_mhz"),
        ("design: sa128-bf16\ngrid: {rows: [8, oops]}\n", r"design point \(rows='oops'\): rows must be"),
    ],
)
def test_bad_grid_or_base_exits_2_before_any_point(tmp_path, capsys, head, message) -> None:
    """Regression (issue 15): a grid typo or a bad base value was found only after every point had failed."""
    cfg = tmp_path / "bad.yaml"
    cfg.write_text(head + "workloads:\n  tiny: {model: gpt2, phase: decode, context: 8}\n")
    store = tmp_path / "s.sqlite"
    assert main(["sweep", str(cfg), "-o", str(tmp_path / "out.csv"), "--store", str(store), "--quiet"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    import re

    assert re.search(message, err), err
    assert not store.exists()  # nothing ran


def test_bad_workload_spec_exits_2(tmp_path, capsys) -> None:
    cfg = tmp_path / "bad.yaml"
    cfg.write_text("design: sa128-bf16\ngrid: {rows: [8]}\nworkloads:\n  t: {model: gpt2, phase: prefill, seq: 4096}\n")
    assert main(["sweep", str(cfg), "-o", str(tmp_path / "o.csv"), "--store", str(tmp_path / "s.sqlite")]) == 2
    assert "workloads.t: seq must be <= max_positions" in capsys.readouterr().err


def test_sweep_where_every_point_fails_at_run_time_exits_1(tmp_path, capsys):
    cfg = tmp_path / "bad.yaml"
    cfg.write_text("design: sa128-bf16\ngrid: {rows: [8]}\nexact: true\n"
                   "workloads:\n  tiny: {model: gpt2, phase: prefill, seq: 1024}\n")
    assert main(["sweep", str(cfg), "-o", str(tmp_path / "out.csv"), "--store", str(tmp_path / "s.sqlite")]) == 1
    assert "every point failed" in capsys.readouterr().err


def test_class_restricted_to_registered_designs(tmp_path, capsys) -> None:
    """Regression (issue 15): design.class could import and call any Python callable."""
    cfg = tmp_path / "evil.yaml"
    cfg.write_text("design: {class: os.system, params: {}}\ngrid: {command: ['echo pwned']}\n"
                   "workloads:\n  tiny: {model: gpt2, phase: decode, context: 8}\n")
    assert main(["sweep", str(cfg), "--quiet", "--store", str(tmp_path / "s.sqlite")]) == 2
    err = capsys.readouterr().err
    assert "is not a registered archsim design" in err and "--allow-code" in err
    cfg.write_text("design: {class: archsim.core.fields.load_yaml_text}\ngrid: {text: ['a']}\n"
                   "workloads:\n  tiny: {model: gpt2, phase: decode, context: 8}\n")
    assert main(["sweep", str(cfg), "--quiet", "--store", str(tmp_path / "s.sqlite")]) == 2
    cfg.write_text("design: {class: archsim.arch.SystolicArray, params: {cols: 8}}\ngrid: {rows: [8]}\n"
                   "workloads:\n  tiny: {model: gpt2, phase: decode, context: 8}\n")
    assert main(["sweep", str(cfg), "--quiet", "--json", "--store", str(tmp_path / "s.sqlite"),
                 "-o", str(tmp_path / "o.csv")]) == 0


def test_unwritable_output_and_worker_bounds_exit_2_before_any_point(tmp_path, capsys) -> None:
    """Regression (issue 15): an unwritable -o was a traceback after every point had run; --workers 0 was
    taken as the default and 10^5 accepted (one process each)."""
    cfg = tmp_path / "s.yaml"
    cfg.write_text("design: sa128-bf16\ngrid: {rows: [8]}\nworkloads:\n  t: {model: gpt2, phase: decode, context: 8}\n")
    store = tmp_path / "s.sqlite"
    (tmp_path / "out.csv").mkdir()  # a folder where the table should go
    for extra, message in [(["-o", str(tmp_path / "out.csv")], "output .* cannot be written"),
                           (["--workers", "0"], r"workers must be a positive integer <= 1024"),
                           (["--workers", "100000"], r"workers must be a positive integer <= 1024")]:
        assert main(["sweep", str(cfg), "--quiet", "--store", str(store), *extra]) == 2
        import re

        err = capsys.readouterr().err
        assert re.search(message, err) and err.count("\n") == 1, err
        assert not store.exists()
