"""A100 preset vs measured A100 GEMM latencies (LLMCompass, ISCA 2024; benchmarks/data/llmcompass).

The preset's parameters are fixed physical values (cited in archsim/arch/npu/_presets.py); this test
fails if a model change moves the median |error| over the issue's 10 % bound.
"""

import statistics
from pathlib import Path

from archsim.arch.npu import get_npu_design
from archsim.workloads import Op

DATA = Path(__file__).resolve().parents[3] / "benchmarks" / "data" / "llmcompass" / "matmul_A100.csv"


def test_a100_gemm_median_error_within_10_percent():
    d = get_npu_design("a100-sxm4-80gb").replace(execution="eager")  # LLMCompass timed PyTorch eager
    errs = []
    for line in DATA.read_text().splitlines():
        if not line.strip():
            continue
        m, k, n, lat, _ = (x.strip() for x in line.split(","))
        measured = float(lat.removesuffix("ms")) * 1e-3
        predicted = d.run(Op("g", "gemm", int(m), int(k), int(n), 1, "fp16", "fp16", "fp16")).seconds
        errs.append(abs(predicted - measured) / measured)
    assert len(errs) == 20
    assert statistics.median(errs) <= 0.10
