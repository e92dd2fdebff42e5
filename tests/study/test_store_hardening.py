"""Result-store hardening (issue 15): corrupted stores are one-line ConfigErrors naming the store and
what to do; impossible stored rows are not trusted; mixed-type grids give typed output columns; pool
workers die with the sweeping process."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pandas as pd
import pytest
from study_toy import ToyArray, toy_trace

from archsim.core import ConfigError
from archsim.study import sweep

WL = {"t": toy_trace(n_layers=1, seq=8, d=16)}


def _make_store(path: Path) -> None:
    sweep(ToyArray, {"rows": [4, 8]}, WL, workers=1, progress=False, store=path)


def _corrupt(kind: str, path: Path) -> None:
    if kind == "text":
        path.write_text("this is not a database\n" * 50)
    elif kind == "truncated":
        data = path.read_bytes()
        path.write_bytes(data[: len(data) // 3])
    elif kind == "zeroed":
        data = bytearray(path.read_bytes())
        data[100:4096] = bytes(len(data[100:4096]))
        path.write_bytes(bytes(data))
    elif kind == "bad_json":
        with sqlite3.connect(path) as db:
            db.execute("UPDATE points SET row = '{not json'")
    elif kind == "not_object":
        with sqlite3.connect(path) as db:
            db.execute("UPDATE points SET row = '[1, 2, 3]'")
    elif kind == "wrong_schema":
        with sqlite3.connect(path) as db:
            db.execute("DROP TABLE points")
            db.execute("CREATE TABLE points (a INTEGER)")
    elif kind == "directory":
        for p in path.parent.glob(path.name + "*"):
            p.unlink()
        path.mkdir()
    elif kind == "deep_json":
        with sqlite3.connect(path) as db:
            db.execute("UPDATE points SET row = ?", ("[" * 100000 + "]" * 100000,))
    elif kind == "null_row":
        with sqlite3.connect(path) as db:
            db.execute("UPDATE points SET row = 'null'")
    else:
        raise AssertionError(kind)


@pytest.mark.parametrize(
    "kind", ["text", "truncated", "zeroed", "bad_json", "not_object", "wrong_schema", "directory", "deep_json",
             "null_row"]
)
def test_corrupted_store_is_one_line_config_error(tmp_path, kind):
    store = tmp_path / "s.sqlite"
    _make_store(store)
    for extra in tmp_path.glob("s.sqlite-*"):  # checkpoint state lives in the main file after close
        extra.unlink()
    _corrupt(kind, store)
    with pytest.raises(ConfigError) as info:
        sweep(ToyArray, {"rows": [4, 8]}, WL, workers=1, progress=False, store=store)
    msg = str(info.value)
    assert str(store) in msg and "delete it" in msg or "directory" in msg
    assert "\n" not in msg


def test_corrupted_store_cli_exits_2(tmp_path, capsys):
    from archsim.cli import main

    store = tmp_path / "s.sqlite"
    store.write_text("garbage" * 100)
    cfg = tmp_path / "s.yaml"
    cfg.write_text("design: sa128-bf16\ngrid: {rows: [8]}\nworkloads:\n  t: {model: gpt2, phase: decode, context: 8}\n")
    assert main(["sweep", str(cfg), "--store", str(store), "--quiet", "-o", str(tmp_path / "o.csv")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("archsim: error: store ") and err.count("\n") == 1


@pytest.mark.parametrize("bad", [-5, float("nan"), float("inf")])
def test_impossible_stored_row_is_recomputed(tmp_path, capsys, bad):
    store = tmp_path / "s.sqlite"
    good = sweep(ToyArray, {"rows": [4, 8]}, WL, workers=1, progress=False, store=store)
    with sqlite3.connect(store) as db:
        key, row = db.execute("SELECT key, row FROM points LIMIT 1").fetchone()
        row = json.loads(row)
        row["total_cycles"] = bad
        db.execute("UPDATE points SET row = ? WHERE key = ?", (json.dumps(row), key))
    again = sweep(ToyArray, {"rows": [4, 8]}, WL, workers=1, progress=False, store=store)
    assert "impossible metric" in capsys.readouterr().err
    assert again.attrs["computed"] == 1
    pd.testing.assert_frame_equal(good, again)


def test_impossible_fresh_metric_is_a_failed_point(tmp_path):
    from archsim.core import Result

    class Broken(ToyArray):
        def run(self, trace, exact=False):
            r = super().run(trace, exact)
            # (a design's own energy_j is replaced by archsim.simulate's pricing: break a number it keeps)
            return Result(r.ops, {**r.summary, "total_cycles": -1})

    df = sweep(Broken, {"rows": [4]}, WL, workers=1, progress=False)
    assert df["error"].iloc[0].startswith("SimulationError: impossible metric total_cycles=-1")


def test_mixed_type_grid_writes_typed_columns(tmp_path):
    """Regression: a grid mixing ints and strings crashed the Parquet writer after every point was stored."""
    df = sweep(lambda rows, tag: ToyArray(rows=rows), {"rows": [4, 8.0], "tag": [1, "a", [1, 2]]}, WL,
               workers=1, progress=False)
    assert df["rows"].dtype == float
    assert set(df["tag"]) == {"1", "a", "[1, 2]"}
    df.to_parquet(tmp_path / "o.parquet")
    df.to_csv(tmp_path / "o.csv")


def test_pool_workers_die_with_their_parent(tmp_path):
    """Regression: pool workers orphaned by a SIGKILLed sweeping process stayed alive."""
    if not sys.platform.startswith("linux"):
        pytest.skip("checked through /proc")
    here = Path(__file__).parent.resolve()
    script = textwrap.dedent(f"""
        import sys
        sys.path.insert(0, {str(here)!r})
        from study_toy import ToyArray, toy_trace
        from archsim.study import sweep
        sweep(lambda **p: ToyArray(sleep_s=60.0, **p), {{"rows": [4, 8, 16]}}, {{"t": toy_trace()}},
              workers=2, progress=False)
    """)
    parent = subprocess.Popen([sys.executable, "-c", script])
    kids: list[str] = []
    for _ in range(100):
        time.sleep(0.1)
        kids = subprocess.run(["pgrep", "-P", str(parent.pid)], capture_output=True, text=True).stdout.split()
        if len(kids) >= 2:
            break
    time.sleep(0.5)
    os.kill(parent.pid, signal.SIGKILL)
    parent.wait()
    deadline = time.time() + 10
    alive = kids
    while alive and time.time() < deadline:
        time.sleep(0.1)
        alive = [k for k in kids if Path(f"/proc/{k}").exists() and open(f"/proc/{k}/stat").read().split()[2] != "Z"]
    assert kids and not alive
