"""Conformance: every registered design preset (and a few random valid overrides of each) honours the Design
contract of archsim.core.design (docs/architecture.md).

Checks per design: dict and YAML round trip; ``run`` with an Op, a list and a Trace (same cycles);
fast == exact on a small op where the family has an exact model; ``archsim.simulate`` leaves no action
unpriced; ``peaks()``; the timeline export passes a strict Chrome trace-event schema check (integer pid/tid,
``M`` metadata events, numeric ts/dur) and ends within the run; ``describe()``; ``memory_capacity_bytes()``;
an unknown override and a wrongly typed value are ConfigErrors, and through the CLI exit 2 with one line.
"""

from __future__ import annotations

import dataclasses
import json
import random
import warnings

import pandas as pd
import pytest
import yaml

import archsim
from archsim.arch.registry import load_design, presets, type_name
from archsim.cli import main
from archsim.core.design import Design, check_peaks
from archsim.core.errors import ConfigError
from archsim.core.timeline import validate_trace_events, write_perfetto
from archsim.workloads import Op, Trace

PRESETS = presets()


def _small_ops(design) -> list[Op]:
    """Two small ops every family runs: a weight GEMM with a few rows (GEMV-like: PIM runs it) and a norm."""
    p = "fp16" if type_name(design) in ("pim", "npu_pim", "hetero") else getattr(design, "a_precision", "int8")
    return [Op("fc", "gemm", 4, 64, 64, a_precision=p, b_precision=p, out_precision=p),
            Op("fc2", "gemm", 4, 64, 32, a_precision=p, b_precision=p, out_precision=p)]


def _int_field(design) -> str | None:
    for f in dataclasses.fields(design):
        v = getattr(design, f.name)
        if f.init and not f.name.startswith("_") and isinstance(v, int) and not isinstance(v, bool):
            return f.name
    return None


def _random_overrides(name: str, design, n: int = 1) -> list[dict]:
    """Return up to ``n`` valid overrides of ``design``: an integer field doubled or halved (seeded per preset),
    kept only where the design accepts it."""
    rng = random.Random(name)
    cands = [f.name for f in dataclasses.fields(design) if f.init and not f.name.startswith("_")
             and isinstance(getattr(design, f.name), int) and not isinstance(getattr(design, f.name), bool)
             and getattr(design, f.name) > 1]
    rng.shuffle(cands)
    out = []
    for f in cands:
        v = getattr(design, f)
        for new in (v * 2, v // 2):
            try:
                design.replace(**{f: new}).run(_small_ops(design))
            except ConfigError:
                continue
            out.append({f: new})
            break
        if len(out) >= n:
            break
    return out


CASES = [(n, {}) for n in PRESETS]
CASES += [(n, o) for n in PRESETS for o in _random_overrides(n, PRESETS[n][0])]
CASES += [("gemmini", {"pe": "tpe-csa"}), ("gemmini", {"pe": "tpe-csa4"})]  # PE options (archsim.pe.array_pe)
IDS = [n + "".join(f"-{k}={v}" for k, v in o.items()) for n, o in CASES]

_RESULTS: dict[str, archsim.Result] = {}


@pytest.fixture(params=CASES, ids=IDS)
def case(request):
    name, overrides = request.param
    design = load_design(name, **overrides)
    return name, overrides, design


def _simulated(key: str, design) -> archsim.Result:
    if key not in _RESULTS:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # unpriced actions are asserted on, not warned about
            _RESULTS[key] = archsim.simulate(design, _small_ops(design))
    return _RESULTS[key]


def _key(name, overrides) -> str:
    return name + repr(sorted(overrides.items()))


def test_protocol_and_round_trip(case):
    name, _, d = case
    assert isinstance(d, Design)
    data = d.to_dict()
    assert data["type"] == type_name(d)
    back = type(d).from_dict(data)
    assert back == d and back.to_dict() == data
    text = yaml.safe_dump(data)  # YAML-safe: plain types only
    again = load_design(yaml.safe_load(text))
    assert again == d and again.to_dict() == data


def test_run_accepts_op_list_and_trace(case):
    _, _, d = case
    ops = _small_ops(d)
    one = d.run(ops[0])
    many = d.run(ops)
    tr = d.run(Trace.from_ops(ops))
    assert one.total_cycles > 0
    assert many.total_cycles == tr.total_cycles > 0
    assert many.summary["seconds"] == tr.summary["seconds"]
    assert len(many.ops) == len(tr.ops)


def test_fast_equals_exact_on_small_trace(case):
    name, _, d = case
    fam = type_name(d)
    if fam == "hetero":
        pytest.skip("hetero runs its parts' fast models only (exact is not passed down; summary exact=False)")
    if fam in ("npu", "npu_pim") and getattr(getattr(d, "npu", d), "memory", None):
        pytest.skip("exact cycle-level DRAM per request: slow, covered by tests/arch/npu")
    ops = [Op("g", "gemm", 4, 16, 16, a_precision=_small_ops(d)[0].a_precision,
              b_precision=_small_ops(d)[0].b_precision, out_precision=_small_ops(d)[0].out_precision)]
    fast, exact = d.run(ops), d.run(ops, exact=True)
    assert fast.total_cycles == exact.total_cycles
    assert fast.summary["exact"] is False and exact.summary["exact"] is True


def test_simulate_prices_every_action(case):
    name, overrides, d = case
    r = _simulated(_key(name, overrides), d)
    for k in ("total_cycles", "seconds", "energy_j", "area_mm2"):
        assert r.summary[k] is not None, k
    assert r.summary["energy_j"] > 0 and r.summary["seconds"] > 0
    missing = r.summary["energy_not_modelled"]
    if missing:  # a DRAM standard without an energy figure: visible, with its reason
        assert r.summary["unpriced_actions"], "a component that prices nothing must leave its actions unpriced"
        pytest.xfail("; ".join(missing))
    assert r.summary["unpriced_actions"] == []


def test_peaks(case):
    _, _, d = case
    p = check_peaks(d.peaks())
    assert all(k in archsim.workloads.PRECISIONS for k in p["flops_per_s"])
    from archsim.study import roofline_peaks  # the roofline plots read the same contract

    assert roofline_peaks(d) == (max(p["flops_per_s"].values()), p["dram_bytes_per_s"])


def test_timeline_schema(case, tmp_path):
    name, overrides, d = case
    r = _simulated(_key(name, overrides), d)
    assert isinstance(r.schedule, pd.DataFrame) and len(r.schedule) > 0
    out = write_perfetto(r.schedule, tmp_path / "t.json", name)
    data = json.loads((tmp_path / "t.json").read_text())
    assert data == json.loads(json.dumps(out))
    n = validate_trace_events(data)
    assert n == len(r.schedule)
    xs = [e for e in data["traceEvents"] if e["ph"] == "X"]
    assert min(e["ts"] for e in xs) >= 0
    assert max(e["ts"] + e["dur"] for e in xs) <= r.summary["seconds"] * 1e6 * (1 + 1e-9)
    assert {e["args"]["name"] for e in data["traceEvents"] if e["name"] == "thread_name"} == set(r.schedule["lane"])


def test_describe_and_capacity(case):
    _, _, d = case
    t = d.describe()
    assert list(t.columns) == ["field", "value", "unit", "source"]
    assert {k for k in d.to_dict() if k != "type"} <= set(t["field"])
    assert t["source"].map(lambda s: isinstance(s, str) and s != "").all()
    cap = d.memory_capacity_bytes()
    assert cap is None or (isinstance(cap, int) and cap > 0)


def test_bad_overrides_are_config_errors(case):
    _, _, d = case
    with pytest.raises(ConfigError, match=r"^unknown design field 'bogus_field'; allowed: "):
        d.replace(bogus_field=1)
    f = _int_field(d)
    assert f is not None
    with pytest.raises(ConfigError, match=rf"^{f} must be "):
        d.replace(**{f: "abc"})


@pytest.mark.parametrize("name", list(PRESETS))
def test_cli_bad_override_exits_2_with_one_line(name, capsys):
    assert main(["run", "--design", name, "--set", "bogus_field=1", "--gemm", "4,16,16"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("archsim: error: unknown design field 'bogus_field'")
