import functools
import math

import pandas as pd
import pytest
from study_toy import ToyArray, decode_trace, toy_trace

import archsim
import archsim.workloads
from archsim.core import ConfigError
from archsim.study import ResultStore, random_sample, sweep

WORKLOADS = {"prefill": toy_trace(), "decode": decode_trace()}
GRID = {"rows": [4, 8, 16], "cols": [8, 16]}


def test_rows_order_and_columns():
    df = sweep(ToyArray, GRID, WORKLOADS, workers=1, progress=False)
    assert list(df.columns[:3]) == ["rows", "cols", "workload"]
    assert list(df.columns[-2:]) == ["error", "key"]
    assert len(df) == 12
    assert list(df["workload"][:2]) == ["prefill", "decode"]
    assert list(zip(df["rows"], df["cols"], strict=True))[::2] == [(4, 8), (4, 16), (8, 8), (8, 16), (16, 8), (16, 16)]
    assert df["error"].isna().all()
    assert df["key"].is_unique
    # the metrics are archsim.simulate's numbers (the design's run, priced by archsim.cost), not re-derived ones
    direct = archsim.simulate(ToyArray(rows=8, cols=16), toy_trace())
    row = df[(df.rows == 8) & (df.cols == 16) & (df.workload == "prefill")].iloc[0]
    assert row["total_cycles"] == direct.summary["total_cycles"]
    assert row["energy_j"] == direct.summary["energy_j"]
    cyc = direct.ops["cycles"]
    assert row["utilization"] == pytest.approx((direct.ops["utilization"] * cyc).sum() / cyc.sum(), rel=1e-12)
    assert row["energy_mac_pj"] == direct.ops["energy_mac_pj"].sum()


def test_pool_equals_in_process():
    a = sweep(ToyArray, GRID, WORKLOADS, workers=1, progress=False)
    b = sweep(ToyArray, GRID, WORKLOADS, workers=2, progress=False)
    pd.testing.assert_frame_equal(a, b)


def test_failing_point_is_recorded_and_sweep_goes_on(tmp_path):
    factory = functools.partial(ToyArray, fail_rows=8)
    df = sweep(factory, {"rows": [4, 8, 16, 0]}, {"d": decode_trace()}, workers=2, progress=False, store=tmp_path / "s")
    assert list(df["rows"]) == [4, 8, 16, 0]
    assert df["error"][0] is None and df["error"][2] is None
    assert df["error"][1].startswith("RuntimeError: toy failure at rows=8 (at study_toy.py:")
    assert df["error"][3] == "ConfigError: rows must be a positive integer, not 0"
    assert math.isnan(df["total_cycles"][1]) and math.isnan(df["total_cycles"][3])
    assert df.attrs["failed"] == 2
    # failed points are stored too: a re-run reuses them unless asked to retry
    again = sweep(factory, {"rows": [4, 8, 16, 0]}, {"d": decode_trace()}, progress=False, store=tmp_path / "s")
    assert again.attrs["computed"] == 0
    pd.testing.assert_frame_equal(df, again)
    retried = sweep(factory, {"rows": [4, 8, 16, 0]}, {"d": decode_trace()}, workers=1, progress=False,
                    store=tmp_path / "s", retry_errors=True)
    assert retried.attrs["computed"] == 2


def test_store_resumes_without_recomputing(tmp_path):
    log = tmp_path / "evals.log"
    factory = functools.partial(ToyArray, log_path=str(log))
    store = tmp_path / "study.sqlite"
    first = sweep(factory, {"rows": [4, 8], "cols": [8, 16]}, WORKLOADS, workers=1, progress=False, store=store)
    assert first.attrs == {**first.attrs, "computed": 8, "reused": 0}
    # a larger grid containing the first: only the new points run
    full = sweep(factory, GRID, WORKLOADS, workers=2, progress=False, store=store)
    assert full.attrs["computed"] == 4 and full.attrs["reused"] == 8
    assert len(log.read_text().splitlines()) == 12
    fresh = sweep(factory, GRID, WORKLOADS, workers=1, progress=False)
    pd.testing.assert_frame_equal(full, fresh)
    with ResultStore(store) as db:
        assert len(db) == 12


def test_key_covers_design_workload_and_version(tmp_path, monkeypatch):
    store = tmp_path / "s.sqlite"
    a = sweep(ToyArray, {"rows": [4]}, {"d": decode_trace()}, workers=1, progress=False, store=store)
    # a base field that is not a sweep parameter still changes the key
    b = sweep(functools.partial(ToyArray, freq_mhz=500.0), {"rows": [4]}, {"d": decode_trace()}, workers=1,
              progress=False, store=store)
    assert b.attrs["computed"] == 1 and a["key"][0] != b["key"][0]
    assert b["seconds"][0] == 2 * a["seconds"][0]
    # same name, different trace contents
    c = sweep(ToyArray, {"rows": [4]}, {"d": decode_trace(d=64)}, workers=1, progress=False, store=store)
    assert c.attrs["computed"] == 1
    monkeypatch.setattr("archsim.__version__", "999")
    d = sweep(ToyArray, {"rows": [4]}, {"d": decode_trace()}, workers=1, progress=False, store=store)
    assert d.attrs["computed"] == 1


def test_duplicate_points_appear_once():
    df = sweep(ToyArray, [{"rows": 4}, {"rows": 8}, {"rows": 4}], {"d": decode_trace()}, workers=1, progress=False)
    assert list(df["rows"]) == [4, 8]


def test_random_sample_space():
    pts = random_sample({"rows": [4, 8, 16, 32], "cols": [4, 8, 16, 32]}, 5, seed=1)
    df = sweep(ToyArray, pts, {"d": decode_trace()}, workers=1, progress=False)
    assert [{"rows": r, "cols": c} for r, c in zip(df.rows, df.cols, strict=True)] == pts


def test_workload_specs_are_built_in_the_worker(monkeypatch):
    calls = []

    def fake_build_trace(model, *, phase="prefill", seq=64, **kw):
        calls.append((model, phase, seq, kw))
        return toy_trace(seq=seq)

    monkeypatch.setattr(archsim.workloads, "build_trace", fake_build_trace, raising=False)
    specs = [{"model": "toy", "phase": "prefill", "seq": 32}, {"model": "toy", "phase": "prefill", "seq": 64}]
    df = sweep(ToyArray, {"rows": [4, 8]}, specs, workers=1, progress=False)
    assert list(df["workload"]) == ["toy-prefill-seq32", "toy-prefill-seq64"] * 2
    assert len(calls) == 2  # built once per process, not once per point
    expect = ToyArray(rows=8).run(toy_trace(seq=32)).summary["total_cycles"]
    assert df["total_cycles"][2] == expect


def test_a_point_that_kills_its_worker_is_recorded(tmp_path):
    factory = functools.partial(ToyArray, crash_rows=16, sleep_s=0.02)
    df = sweep(factory, {"rows": [4, 8, 16, 32, 64]}, {"d": decode_trace()}, workers=2, progress=False)
    assert df["error"][2].startswith("WorkerDied: the worker process died while running this point 2 times")
    assert df["error"].drop(index=2).isna().all()
    ok = sweep(ToyArray, {"rows": [4, 8, 32, 64]}, {"d": decode_trace()}, workers=1, progress=False)
    assert list(df["total_cycles"].drop(index=2)) == list(ok["total_cycles"])


def test_bad_arguments():
    with pytest.raises(ConfigError, match=r"^backend must be one of local, dask, not 'ray'$"):
        sweep(ToyArray, GRID, WORKLOADS, backend="ray")
    with pytest.raises(ConfigError, match=r"^workers must be a positive integer <= 1024 \(one process each\), not 0$"):
        sweep(ToyArray, GRID, WORKLOADS, workers=0)
    with pytest.raises(ConfigError, match=r"^workers must be a positive integer <= 1024 \(one process each\), "
                                          r"not 100000$"):
        sweep(ToyArray, GRID, WORKLOADS, workers=100000)
    with pytest.raises(ConfigError, match=r"^workloads\.x must have a 'model' key"):
        sweep(ToyArray, GRID, {"x": {"phase": "decode"}})
    with pytest.raises(ConfigError, match=r"^parameter name 'workload' is reserved"):
        sweep(ToyArray, {"workload": [1]}, WORKLOADS)
    with pytest.raises(ConfigError, match=r"^scheduler needs backend 'dask', not 'local'$"):
        sweep(ToyArray, GRID, WORKLOADS, scheduler="tcp://x:1")


def test_summary_metrics_flattens_and_derives():
    import numpy as np

    from archsim.core import Result
    from archsim.study import summary_metrics

    ops = pd.DataFrame({"cycles": [10, 30], "utilization": [1.0, 0.5], "energy_mac_pj": [1.0, 2.0],
                        "energy_pj": [1.0, 2.0]})
    r = Result(ops, {"total_cycles": np.int64(40), "seconds": 4e-8, "energy_j": 3e-12, "area_mm2": 1.0,
                     "by_level": {"sram_j": 1.0, "dram_j": 2.0}, "notes": ["x"]})
    m = summary_metrics(r)
    assert m == {"total_cycles": 40, "seconds": 4e-8, "energy_j": 3e-12, "area_mm2": 1.0, "by_level_sram_j": 1.0,
                 "by_level_dram_j": 2.0, "utilization": (10 * 1.0 + 30 * 0.5) / 40, "energy_mac_pj": 3.0}
    assert type(m["total_cycles"]) is int


def test_callable_identity_has_no_memory_address():
    from archsim.study._sweep import _identity

    ident = _identity(functools.partial(sweep, ToyArray, fail_rows=3))
    assert ident == {"callable": "archsim.study._sweep.sweep", "args": ["study_toy.ToyArray"],
                     "kwargs": {"fail_rows": 3}}
    assert "0x" not in repr(ident)
