"""The paper-reproduction suite (validation/reproductions.py) as tests.

Rows archsim does not reproduce stay visible as strict xfails carrying the reason; a row that starts
passing (or a passing row that breaks) fails the suite.
"""

import os

import pytest

from validation.reproductions import REPRODUCTIONS, evaluate

#: rows archsim currently misses, with the reason (also printed by ``archsim validate``)
KNOWN_FAILING = {
    "neupims-naive": "serial NPU->PIM baseline: with Llama-2-7B at batch 256 the NPU GEMMs dominate (1.10x vs 1.6x)",
    "lean-512k": "the per-SM link (128 B/clk) lets 16 SMs saturate HBM, so an unsplit FA2 decode is not "
                 "latency-bound in the model (1.0x vs 8.33x)",
    "longctx-ratio": "the paper's peak analysis counts attention FLOPs differently (its 50K figure implies "
                     "~3 s of attention at peak; causal 4 L N^2 d / 2 is ~7 s)",
    "pim-gpt": "the paper's GPU baseline is not identified; against our measured H100 in PyTorch eager the preset "
               "gives 10.7x at the low end (vs 41x)",
}
SLOW = {"longctx-ratio"}


def _params():
    out = []
    for r in REPRODUCTIONS:
        marks = []
        if r.key in KNOWN_FAILING:
            marks.append(pytest.mark.xfail(strict=True, reason=KNOWN_FAILING[r.key]))
        if r.key in SLOW:
            marks.append(pytest.mark.skipif(not os.environ.get("ARCHSIM_SLOW"), reason="slow: set ARCHSIM_SLOW=1"))
        out.append(pytest.param(r, id=r.key, marks=marks))
    return out


@pytest.mark.parametrize("rep", _params())
def test_reproduction(rep):
    row = evaluate(rep)
    assert row["archsim"] is not None, row["reason"]
    assert row["verdict"] == "pass", f"{rep.key}: archsim {row['archsim']:.4g} vs published {rep.published:.4g}"


def test_every_row_cites_its_source_and_tolerance():
    for r in REPRODUCTIONS:
        assert r.paper and r.source and r.setup and r.metric
        assert r.tolerance >= 0
    assert sum(r.key not in KNOWN_FAILING for r in REPRODUCTIONS) >= 10
