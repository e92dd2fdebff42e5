"""Fuzz suite (issue 15): hostile inputs through the API, the CLI, design and sweep YAML, trace
CSV/Parquet, DRAM specs and the result store.

Every input must end in one of: a valid result (numbers possible for hardware: finite, non-negative,
utilization <= 1), a :class:`ConfigError` (CLI: one line on stderr, exit status 2), or for the CLI an
exit status 0/1 - never another exception, never a hang (each example runs under a SIGALRM limit).
The whole module is bounded to about a minute of CPU (``max_examples`` per test below; set
``ARCHSIM_FUZZ_EXAMPLES`` to scale every test, e.g. 10 for a long local run).

Every example is tallied (:data:`FUZZ_TALLY`: inputs tried, refused with a ConfigError, accepted, results
checked, uncaught exceptions, hangs, accepted-but-impossible results); ``tests/fuzz/conftest.py`` prints
the table at the end of the run and ``benchmarks/bench_fuzz.py`` runs the suite and prints it too.
"""

from __future__ import annotations

import collections
import functools
import math
import os
import signal
import sqlite3
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import archsim
from archsim.core.errors import ConfigError

SCALE = float(os.environ.get("ARCHSIM_FUZZ_EXAMPLES", "1"))
HANG_S = 20  # an example taking longer is a hang


def cfg(n: int):
    return settings(max_examples=max(1, int(n * SCALE)), deadline=None, derandomize=True,
                    suppress_health_check=list(HealthCheck))


@contextmanager
def no_hang(seconds: int = HANG_S):
    """Fail a call running over ``seconds`` (counted as a hang); count any other escaping exception as uncaught."""
    def boom(*_):
        raise TimeoutError(f"hang: more than {seconds} s")

    old = signal.signal(signal.SIGALRM, boom)
    signal.alarm(seconds)
    try:
        yield
    except TimeoutError:
        record("hang")
        raise
    except Exception:
        record("uncaught")
        raise
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, old)


# -- hostile values -------------------------------------------------------------------------------
def _deep(n: int):
    v: object = 1
    for _ in range(n):
        v = [v]
    return v


SPECIAL = st.sampled_from([
    0, -1, 1, 2, 3, 7, 64, 2**31, 2**40, 2**53 + 1, 2**63, 2**64, 10**63, -(2**63),
    0.0, -0.0, 1e-300, 1e-12, 1e-7, 0.5, 1.5, 1e12, 1e300, float("nan"), float("inf"), float("-inf"),
    True, False, None, "", "x" * 5000, "yes", "auto", "ws", "os", "int8", "bf16", "dram", "bandwidth", "64",
    "1e3", "nan", "../../etc/passwd", "\x00", "é", {}, [], {"a": 1}, {"kind": "dram", "spek": "HBM2"},
    {"kind": "dram", "spec": "HBM2-2Gbps"}, [1, 2], [[64, 64]], _deep(200),
    np.int64(64), np.int32(-3), np.float64("nan"), np.float32(2.5), np.bool_(True), np.uint64(2**63),
])
VALUES = st.one_of(SPECIAL, st.integers(-(2**70), 2**70), st.floats(allow_nan=True, allow_infinity=True),
                   st.text(max_size=30), st.lists(st.integers(-5, 300), max_size=3))

PRESETS = [d["name"] for d in archsim.list_designs()]
SMALL_OP = archsim.Op("g", "gemm", 16, 16, 16)


#: Per test: Counter of outcomes (``inputs`` = examples tried; ``refused``/``accepted`` = calls that raised a
#: one-line ConfigError / returned; ``checked`` = results held to hardware limits; ``uncaught``, ``hang``,
#: ``impossible`` = failures, each of which also fails the test).
FUZZ_TALLY: dict[str, collections.Counter] = collections.defaultdict(collections.Counter)


def _test_name() -> str:
    return os.environ.get("PYTEST_CURRENT_TEST", "?").split("::")[-1].split(" ")[0].split("[")[0]


def record(outcome: str) -> None:
    FUZZ_TALLY[_test_name()][outcome] += 1


def fuzz_case(fn):
    """Count each example run by hypothesis as one input tried."""

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        record("inputs")
        return fn(*args, **kwargs)

    return wrapper


def check_result(result) -> None:
    """A result must hold numbers some hardware could produce (else: counted as impossible, test fails)."""
    try:
        check_summary(result.summary)
    except AssertionError:
        record("impossible")
        raise
    record("checked")


def check_peak(design, op, result) -> None:
    """A result must not compute faster than the design's own peak (PIM once ran at 164 % of it)."""
    try:
        peaks = design.peaks().get("flops_per_s") or {}
    except ConfigError:
        return
    seconds = float(result.summary.get("seconds") or 0)
    if peaks and seconds > 0:
        achieved = op.flops / seconds
        if achieved > max(peaks.values()) * (1 + 1e-6):
            record("impossible")
            raise AssertionError(f"{achieved:.4g} FLOP/s above the peak {max(peaks.values()):.4g}")


def check_summary(s) -> None:
    assert isinstance(s["total_cycles"], (int, np.integer)) and s["total_cycles"] >= 0, s["total_cycles"]
    for key in ("seconds", "energy_j", "area_mm2", "power_w"):
        v = s.get(key)
        if v is not None:
            assert math.isfinite(float(v)) and float(v) >= 0, (key, v)
    u = s.get("utilization")
    if u is not None:
        assert 0 <= float(u) <= 1 + 1e-9, ("utilization", u)


def expect_clean(fn, *args, **kwargs):
    """Run fn: return its value, or None on ConfigError whose message is one short line."""
    with no_hang():
        try:
            value = fn(*args, **kwargs)
        except ConfigError as exc:
            msg = str(exc)
            assert msg and len(msg) < 3000, msg[:200]
            record("refused")
            return None
    record("accepted")
    return value


# -- API ------------------------------------------------------------------------------------------
@cfg(120)
@given(preset=st.sampled_from(PRESETS), data=st.data())
@fuzz_case
def test_api_design_fields(preset, data):
    base = archsim.load_design(preset)
    fields = sorted(k for k in base.to_dict() if k not in ("type", "name", "source"))
    field = data.draw(st.sampled_from(fields), label="field")
    value = data.draw(VALUES, label="value")
    design = expect_clean(archsim.load_design, preset, **{field: value})
    if design is None:
        return
    result = expect_clean(archsim.simulate, design, SMALL_OP)
    if result is not None:
        check_result(result)
        check_peak(design, SMALL_OP, result)


@cfg(150)
@given(fields=st.dictionaries(st.sampled_from(["name", "kind", "M", "K", "N", "batch", "a_precision", "b_precision",
                                               "out_precision", "b_tensor", "layer", "phase", "count"]), VALUES,
                              max_size=4))
@fuzz_case
def test_api_op_fields(fields):
    args = {"name": "g", "kind": "gemm", "M": 4, "K": 4, "N": 4, **fields}
    op = expect_clean(archsim.Op, **args)
    if op is not None:
        assert all(type(getattr(op, f)) is int for f in ("M", "K", "N", "batch", "count", "layer"))
        assert op.macs >= 0


@cfg(40)
@given(exact=VALUES)
@fuzz_case
def test_api_exact_flag(exact):
    result = expect_clean(archsim.simulate, archsim.load_design("gemmini"), archsim.Op("g", "gemm", 4, 4, 4),
                          exact=exact)
    if result is not None:
        assert exact is True or exact is False or isinstance(exact, np.bool_)
        check_result(result)


# -- CLI --------------------------------------------------------------------------------------------
ARG_VALUES = st.one_of(st.sampled_from(["64,64,64", "1,1,1", "0,1,1", "-1,2,3", "9" * 30 + ",1,1", "a,b,c", "64,64",
                                        "100000,100000,100000", "1,1,1,1,1", "", "x" * 5000, "nan", "1e3", "64,64,64,0",
                                        "sa128-bf16", "tpu-v1", "nope", "rows=0", "rows=64", "dataflow=xx",
                                        "memory={kind: dram, spek: x}", "freq_mhz=1e-30", "rows=2**63",
                                        "rows=" + "9" * 40, "int8", "bf16", "fp7", "prefill", "decode", "gpt2",
                                        "llama2-7b",
                                        "/nonexistent.csv",
                                        "{a: [[[[[[[]]]]]]]}"]),
                       st.text(max_size=12))


@cfg(80)
@given(data=st.data())
@fuzz_case
def test_cli_argv(data, capsys):
    from archsim.cli import main

    cmd = data.draw(st.sampled_from(["run", "workload", "models", "designs", "dram", "sweep"]), label="cmd")
    options = {
        "run": ["--design", "--gemm", "--set", "--precision", "--model", "--phase", "--seq", "--context", "--batch",
                "--trace", "--json", "--exact"],
        "workload": ["--phase", "--batch", "--seq", "--context", "--tp", "--json", "--precision"],
        "dram": ["--spec", "--trace", "--json"],
        "sweep": ["--workers", "--json", "--quiet", "--backend"],
        "models": ["--json"], "designs": ["--json"],
    }[cmd]
    argv = [cmd]
    if cmd in ("workload", "sweep"):
        argv.append(data.draw(ARG_VALUES, label="positional"))
    for _ in range(data.draw(st.integers(0, 4), label="n_opts")):
        opt = data.draw(st.sampled_from(options), label="opt")
        argv.append(opt)
        if opt not in ("--json", "--exact", "--quiet"):
            argv.append(data.draw(ARG_VALUES, label="val"))
    if cmd == "run" and "--design" not in argv:
        argv += ["--design", "gemmini"]
    if cmd == "run" and not {"--gemm", "--model", "--trace"} & set(argv):
        argv += ["--gemm", "8,8,8"]
    with no_hang():
        try:
            rc = main(argv)
        except SystemExit as exc:  # argparse: usage errors exit 2 after one line
            rc = exc.code
    out, err = capsys.readouterr()
    assert rc in (0, 1, 2), (argv, rc)
    record("refused" if rc == 2 else "accepted")
    if rc == 2:  # progress lines may come first; the error is the last line, one line
        last = err.rstrip("\n").split("\n")[-1]
        assert last.startswith("archsim: error:") or "usage:" in err, err[-500:]
    if rc == 0 and "--json" in argv and out.strip():
        import json

        doc = json.loads(out)  # valid JSON: no NaN
        if cmd == "run" and isinstance(doc, dict) and "total_cycles" in doc:
            try:
                check_summary(doc)
            except AssertionError:
                record("impossible")
                raise
            record("checked")


# -- design and sweep YAML ------------------------------------------------------------------------------
YAML_VALUES = st.recursive(st.one_of(st.none(), st.booleans(), st.integers(-(2**70), 2**70), st.floats(),
                                     st.text(max_size=10)),
                           lambda kids: st.one_of(st.lists(kids, max_size=3),
                                                  st.dictionaries(st.text(max_size=8), kids, max_size=3)),
                           max_leaves=8)


@cfg(60)
@given(data=st.data())
@fuzz_case
def test_design_yaml(tmp_path_factory, data):
    keys = ["preset", "type", "rows", "cols", "dataflow", "freq_mhz", "memory", "cores", "spec", "name",
            "a_precision", "mode", "device", "x"]
    doc = data.draw(st.dictionaries(st.sampled_from(keys), st.one_of(SPECIAL.filter(_yamlable), YAML_VALUES),
                                    max_size=4), label="doc")
    path = tmp_path_factory.mktemp("y") / "d.yaml"
    text = data.draw(st.sampled_from(["dump", "raw", "deep"]), label="how")
    if text == "dump":
        path.write_text(yaml.safe_dump(doc))
    elif text == "raw":
        path.write_text(data.draw(st.text(max_size=60), label="raw"))
    else:
        path.write_text("rows: " + "[" * 1000 + "]" * 1000)
    design = expect_clean(archsim.load_design, str(path))
    if design is not None:
        result = expect_clean(archsim.simulate, design, SMALL_OP)
        if result is not None:
            check_result(result)
            check_peak(design, SMALL_OP, result)


def _yamlable(v) -> bool:
    try:
        yaml.safe_dump(v)
        return not isinstance(v, np.generic)
    except Exception:
        return False


@cfg(60)
@given(data=st.data())
@fuzz_case
def test_sweep_yaml(tmp_path_factory, data):
    from archsim.study._config import load_sweep_config

    doc = {
        "design": data.draw(st.one_of(st.sampled_from(["sa128-bf16", "gemmini", "nope", "x.yaml"]),
                                      st.fixed_dictionaries({"class": st.sampled_from(
                                          ["archsim.arch.SystolicArray", "os.system", "builtins.eval", "archsim",
                                           "archsim.core.fields.load_yaml_text", "x" * 400])}), YAML_VALUES),
                            label="design"),
        "grid": data.draw(st.one_of(st.dictionaries(st.sampled_from(["rows", "cols", "rowz", "dataflow", "freq_mhz"]),
                                                    st.lists(SPECIAL.filter(_yamlable), max_size=3), max_size=2),
                                    YAML_VALUES), label="grid"),
        "workloads": data.draw(st.one_of(
            st.just({"t": {"model": "gpt2", "phase": "decode", "context": 8}}),
            st.dictionaries(st.text(max_size=4), st.one_of(
                st.fixed_dictionaries({"model": st.sampled_from(["gpt2", "nope", 3])},
                                      optional={"phase": VALUES.filter(_yamlable), "seq": VALUES.filter(_yamlable)}),
                st.fixed_dictionaries({"trace": st.sampled_from(["/nonexistent.csv", "x" * 5000, "a.parquet"])}),
                YAML_VALUES), max_size=2)), label="workloads"),
    }
    extra = data.draw(st.dictionaries(st.sampled_from(["base", "workers", "exact", "store", "output", "backend", "zz"]),
                                      SPECIAL.filter(_yamlable), max_size=2), label="extra")
    doc.update(extra)
    path = tmp_path_factory.mktemp("s") / "s.yaml"
    path.write_text(yaml.safe_dump(doc))
    expect_clean(load_sweep_config, path)


# -- traces --------------------------------------------------------------------------------------------
@cfg(60)
@given(data=st.data())
@fuzz_case
def test_trace_csv_and_parquet(tmp_path_factory, data):
    from archsim.workloads import Trace
    from archsim.workloads.op import COLUMNS

    row = {"name": "g", "kind": "gemm", "M": 8, "K": 8, "N": 8, "batch": 1, "a_precision": "bf16",
           "b_precision": "bf16", "out_precision": "bf16", "b_tensor": "weight", "layer": -1, "phase": "none",
           "count": 1}
    for col in data.draw(st.lists(st.sampled_from(list(COLUMNS)), max_size=3, unique=True), label="cols"):
        row[col] = data.draw(st.one_of(SPECIAL, st.text(max_size=8)).filter(lambda v: not isinstance(v, (dict, list))),
                             label=col)
    if data.draw(st.booleans(), label="drop"):
        row.pop(data.draw(st.sampled_from(list(COLUMNS)), label="dropped"), None)
    d = tmp_path_factory.mktemp("t")
    df = pd.DataFrame([row])
    csv = d / "t.csv"
    df.to_csv(csv, index=False)
    trace = expect_clean(Trace.read, csv)
    if trace is not None:
        result = expect_clean(archsim.simulate, archsim.load_design("sa128-bf16"), trace)
        if result is not None:
            check_result(result)
    pq = d / "t.parquet"
    try:
        df.astype(str).to_parquet(pq, index=False)
    except Exception:
        return
    expect_clean(Trace.read, pq)


def test_trace_garbage_files(tmp_path):
    from archsim.workloads import Trace

    for name, blob in [("a.csv", b"\xff\xfe\x00garbage"), ("b.csv", b""), ("c.parquet", b"PAR1 nope"),
                       ("d.csv", b"name,kind\n" + b"x," * 10000), ("e.txt", b"x")]:
        (tmp_path / name).write_bytes(blob)
        record("inputs")
        expect_clean(Trace.read, tmp_path / name)


# -- DRAM specs ------------------------------------------------------------------------------------------
@cfg(80)
@given(data=st.data())
@fuzz_case
def test_dram_spec_fields(data):
    from archsim.memory.dram import get_spec, list_specs, run_trace

    names = [s if isinstance(s, str) else s.get("name") for s in list_specs()]
    spec = get_spec(data.draw(st.sampled_from(names), label="spec"))
    field = data.draw(st.sampled_from(sorted(vars(spec))), label="field")
    value = data.draw(VALUES, label="value")
    new = expect_clean(spec.replace, **{field: value})
    if new is None:
        return
    out = expect_clean(run_trace, new, np.arange(0, 64 * 16, 64), None, np.arange(16) * 4)
    if out is not None:
        summary, _ = out
        bad = {k: v for k, v in summary.items() if isinstance(v, float) and not (math.isfinite(v) and v >= 0)}
        record("impossible" if bad else "checked")
        assert not bad, bad


def test_dram_garbage_trace_file(tmp_path):
    from archsim.memory.dram import run_trace

    for text in ["0xZZ READ 1\n", "0x10 FLY 1\n", "0x10 READ -5\n", "0x10 READ " + "9" * 40 + "\n", "\x00\x01",
                 "READ 0x10 5\n", "0x" + "f" * 40 + " READ 1\n"]:
        p = tmp_path / "t.txt"
        p.write_text(text)
        record("inputs")
        expect_clean(run_trace, "HBM2-2Gbps", str(p))


# -- result store --------------------------------------------------------------------------------------------
@cfg(30)
@given(data=st.data())
@fuzz_case
def test_result_store_corruption(tmp_path_factory, data):
    from study_toy import ToyArray, toy_trace

    from archsim.study import sweep

    d = tmp_path_factory.mktemp("st")
    store = d / "s.sqlite"
    wl = {"t": toy_trace(n_layers=1, seq=8, d=16)}
    sweep(ToyArray, {"rows": [4]}, wl, workers=1, progress=False, store=store)
    kind = data.draw(st.sampled_from(["bytes", "row", "flip"]), label="kind")
    if kind == "bytes":
        store.write_bytes(data.draw(st.binary(max_size=200), label="blob"))
    elif kind == "flip":
        blob = bytearray(store.read_bytes())
        for _ in range(data.draw(st.integers(1, 50), label="flips")):
            i = data.draw(st.integers(0, len(blob) - 1), label="at")
            blob[i] ^= 0xFF
        store.write_bytes(bytes(blob))
    else:
        import json

        row = data.draw(st.one_of(st.text(max_size=20), YAML_VALUES.map(lambda v: json.dumps(v, allow_nan=True)),
                                  st.just('{"total_cycles": -1, "error": null}'),
                                  st.just('{"total_cycles": NaN, "seconds": 1.0, "error": null}')), label="row")
        with sqlite3.connect(store) as db:
            db.execute("UPDATE points SET row = ?", (row,))
    for extra in d.glob("s.sqlite-*"):
        extra.unlink()
    df = expect_clean(sweep, ToyArray, {"rows": [4]}, wl, workers=1, progress=False, store=store)
    if df is not None:
        ok = df[df["error"].isna()]
        good = bool((ok["total_cycles"] >= 0).all() and ok["total_cycles"].notna().all())
        record("checked" if good else "impossible")
        assert good, ok["total_cycles"].tolist()


@pytest.fixture(autouse=True)
def _study_toy_on_path(monkeypatch):
    monkeypatch.syspath_prepend(str(Path(__file__).parent.parent / "study"))
