"""Regression tests of issue 15's failure classes (types and ranges, numpy scalars, missing extras,
--version, python -m archsim)."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

import archsim
from archsim.core.errors import ConfigError
from archsim.core.fields import load_yaml_text, plain_scalars, short_repr


def test_numpy_integers_are_integers_everywhere():
    op = archsim.Op("g", "gemm", np.int64(64), np.int32(8), np.uint16(16), batch=np.int8(2))
    assert (op.M, op.K, op.N, op.batch) == (64, 8, 16, 2) and type(op.M) is int
    design = archsim.load_design("sa128-bf16", rows=np.int64(64))
    assert design.rows == 64 and type(design.rows) is int
    assert archsim.load_design({"preset": "sa128-bf16", "cols": np.int64(32)}).cols == 32
    assert plain_scalars({"a": [np.float32(1.5), (np.bool_(True),)]}) == {"a": [1.5, (True,)]}


@pytest.mark.parametrize("value", [2**63, 10**63, -1, 0, True, 1.0, "64", {"a": 1}, [64], float("nan")])
def test_op_dimension_out_of_range_is_config_error(value):
    with pytest.raises(ConfigError, match=r"^M must be a positive integer"):
        archsim.Op("g", "gemm", value, 8, 8)


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"rows": 2**63}, r"rows must be a positive integer <= "),
        ({"freq_mhz": 1e-12}, r"freq_mhz must be a positive number in \[1e-06"),
        ({"memory_bandwidth_gbps": 1e-300}, r"memory_bandwidth_gbps must be a positive number in"),
        ({"freq_mhz": {"a": 1}}, r"freq_mhz must be a (positive )?number, not \{'a': 1\}"),
    ],
)
def test_design_fields_that_crashed_later_are_refused_up_front(overrides, message):
    with pytest.raises(ConfigError, match=message):
        archsim.load_design("sa128-bf16", **overrides)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"preset": {"a": 1}}, r"^preset must be one of"),
        ({"type": {"a": 1}}, r"^type must be one of .*, not \{'a': 1\}"),
        ({"type": "npu", "cores": 2**40}, r"^cores must be a positive integer <= 1,048,576"),
    ],
)
def test_design_dicts(data, message):
    with pytest.raises(ConfigError, match=message):
        archsim.load_design(data)


def test_long_file_names_and_deep_yaml(tmp_path):
    with pytest.raises(ConfigError, match="5005-character string"):
        archsim.load_design("x" * 5000 + ".yaml")
    with pytest.raises(ConfigError, match="does not exist"):
        archsim.load_design("x" * 300 + ".yaml")  # longer than the file system's name limit
    deep = tmp_path / "deep.yaml"
    deep.write_text("a: " + "[" * 5000 + "]" * 5000 + "\n")
    with pytest.raises(ConfigError, match="nested deeper than"):
        archsim.load_design(str(deep))
    with pytest.raises(ConfigError, match="nested deeper than 32 levels"):
        load_yaml_text("[" * 40 + "]" * 40, "x")
    nested: list = []
    for _ in range(5000):
        nested = [nested]
    assert len(short_repr(nested)) <= 80  # formatting the error message must not recurse


def test_dram_organization_bounded_up_front():
    from archsim.memory.dram import get_spec

    with pytest.raises(ConfigError, match=r"^bank_groups must be a positive integer <= 1,024"):
        get_spec("HBM2-2Gbps").replace(bank_groups=2**40)
    with pytest.raises(ConfigError, match=r"must be at most 1,048,576 \(the models keep state per bank"):
        get_spec("HBM2-2Gbps").replace(channels=4096, bank_groups=512)


def test_missing_extra_is_one_line(monkeypatch, capsys):
    import importlib.util

    from archsim.core.extras import missing_extra_error, require_parquet

    assert str(missing_extra_error("amaranth.hdl")) == 'amaranth is not installed: pip install "archsim[rtl]"'
    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name in ("pyarrow", "fastparquet")
                        else real(name, *a))
    with pytest.raises(ConfigError, match=r'pip install "archsim\[io\]"'):
        require_parquet()
    from archsim.cli import main

    assert main(["run", "--design", "sa128-bf16", "--gemm", "8,8,8", "-o", "x.parquet"]) == 2
    assert capsys.readouterr().err == ('archsim: error: pyarrow is not installed (needed for .parquet files): '
                                       'pip install "archsim[io]"\n')


def test_version_and_python_m_archsim():
    out = subprocess.run([sys.executable, "-m", "archsim", "--version"], capture_output=True, text=True)
    assert out.returncode == 0 and out.stdout.strip() == f"archsim {archsim.__version__}"


def test_import_archsim_does_not_load_pandas():
    code = ("import sys, archsim, archsim.cli; archsim.cli.build_parser(); "
            "print('pandas' in sys.modules or 'amaranth' in sys.modules)")  # what `archsim --help` loads
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.stdout.strip() == "False", out.stderr


def test_precision_mismatch_warns():
    """Regression (issue 15): int8 presets ran bf16 traces with no warning."""
    from archsim._simulate import PrecisionMismatchWarning
    from archsim.workloads import PrecisionPlan

    with pytest.warns(PrecisionMismatchWarning, match=r"'tpu-v1' has int8xint8 PEs .* bf16xbf16"):
        archsim.simulate(archsim.load_design("tpu-v1"), archsim.build_trace("gpt2", phase="decode", context=8))
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error", PrecisionMismatchWarning)
        trace = archsim.build_trace("gpt2", phase="decode", context=8, precision=PrecisionPlan(*["int8"] * 4))
        archsim.simulate(archsim.load_design("tpu-v1"), trace)


def test_exact_must_be_a_bool():
    with pytest.raises(ConfigError, match="exact must be True or False, not 'yes'"):
        archsim.simulate(archsim.load_design("gemmini"), archsim.Op("g", "gemm", 4, 4, 4), exact="yes")


def test_json_has_no_nan():
    from archsim.core.fields import finite_json

    text = finite_json({"a": float("nan"), "b": [np.float64("inf")], "c": np.int64(3)})
    assert text == '{"a": null, "b": [null], "c": 3}'


def test_pim_col_interval_below_the_physical_floor_is_refused():
    with pytest.raises(ConfigError, match=r"col_interval_tck must be 0 \(derived\) or at least 4 tCK"):
        archsim.load_design("hbm-pim", col_interval_tck=1)
    from archsim.memory.pim._rules import pim_rules

    pim = archsim.load_design("gddr6-aim")._pim
    assert pim.min_col_interval == max(pim.dram.tCCD_S, pim.unit_period_tck)
    assert any(name for *_, name in pim_rules(pim))


def test_dram_memory_options_checked_at_construction():
    """Regression (issue 15): memory={kind: dram, spek: ...} was validated only at run time (a TypeError)."""
    with pytest.raises(ConfigError, match=r"memory kind 'dram' needs a 'spec'"):
        archsim.load_design("sa128-bf16", memory={"kind": "dram", "spek": "HBM2-2Gbps"})
    with pytest.raises(ConfigError, match=r"unknown DRAM memory field 'bogus'"):
        archsim.load_design("sa128-bf16", memory={"kind": "dram", "spec": "HBM2-2Gbps", "bogus": 1})


def test_npu_scratchpad_bandwidth_bounds_compute():
    """Regression (issue 15): NpuDesign.scratchpad_gbps had no effect on any result.  The arrays' operand
    buffers fill through the scratchpad port, so a slow port stretches compute; the default (1e6 GB/s)
    is never the bound, so every preset's result is unchanged."""
    op = archsim.Op("g", "gemm", 2048, 2048, 2048)

    def cycles(**kw):
        return archsim.simulate(archsim.load_design("tpu-v4-like", **kw), op).summary["total_cycles"]

    default, fast, slow, slower = cycles(), cycles(scratchpad_gbps=1e5), cycles(scratchpad_gbps=100.0), \
        cycles(scratchpad_gbps=10.0)
    assert default == fast < slow < slower
    assert slower > 5 * default


@pytest.mark.parametrize(("preset", "overrides", "message"), [
    ("sa128-bf16", {"node_nm": 500}, r"^node_nm must be a number between 5 and 130 \(nm\), not 500$"),
    ("sa128-bf16", {"dram_standard": "ddr9"}, r"^dram_standard must be one of ddr3, .*, not 'ddr9'$"),
    ("h100-sxm5-80gb", {"node_nm": 1e-9}, r"^node_nm must be a number between 5 and 130"),
    ("h100-sxm5-80gb", {"dram_standard": "x"}, r"^dram_standard must be one of"),
    ("hbm-pim", {"node_nm": 200}, r"^node_nm must be a number between 5 and 130"),
    ("fpga-u280-dataflow", {"node_nm": 1}, r"^node_nm must be a number between 5 and 130"),
])
def test_node_and_dram_standard_checked_at_construction(preset, overrides, message):
    """Regression (issue 15): node_nm and dram_standard were validated only after the whole run."""
    with pytest.raises(ConfigError, match=message):
        archsim.load_design(preset, **overrides)


def test_op_work_is_bounded_up_front():
    """Regression (issue 15): an op of 2^140 MACs (dims each legal) crashed in numpy (ValueError) or overflowed."""
    with pytest.raises(ConfigError, match=r"^op 'g': 1048576 x 1048576 x 1048576 x batch 1024 x count 1024 is beyond "):
        archsim.Op("g", "gemm", 2**20, 2**20, 2**20, batch=2**10, count=2**10)
    archsim.Op("g", "gemm", 100000, 4000000, 4000000)  # bench_big_gemm's largest (1.6e18 MACs) stays legal


def test_huge_op_on_hetero_keeps_exact_counts():
    """Regression (issue 15): a 2^62-MAC GEMM on duplex-h100 died in an int64 cast (OverflowError)."""
    r = archsim.simulate(archsim.load_design("duplex-h100"), archsim.Op("g", "gemm", 2**20, 2**20, 2**22))
    assert r.summary["total_cycles"] > 0 and int(r.ops["rf_access_count"].sum()) > 2**63


@pytest.mark.parametrize(("preset", "overrides", "op", "message"), [
    ("hbm-pim", {}, ("g", "gemv", 1, 2**28, 2**28), r"^GEMV K=268435456 x N=268435456 needs .* steps per PIM unit"),
    ("hbm-pim", {}, ("g", "gemv", 1, 4096, 4096, 1, "fp16", "fp16", "fp16", "weight", -1, "none", 2**30),
     r"^op 'g': 1,073,741,824 repetitions x 8 PIM tiles = .* tile runs, more than the 1,048,576"),
])
def test_pim_runs_beyond_the_budget_are_refused_with_an_estimate(preset, overrides, op, message):
    """Regression (issue 15): PIM GEMVs of 2^56 MACs or 2^30 repetitions hung."""
    with pytest.raises(ConfigError, match=message):
        archsim.simulate(archsim.load_design(preset, **overrides), archsim.Op(*op))


def test_pim_clocks_that_hung_are_refused():
    """Regression (issue 15): a PIM unit at 1e-6 MHz, or a DRAM tCK of 1e-300 ns, hung the refresh loop."""
    with pytest.raises(ConfigError, match=r"^unit_freq_mhz must be at least 0\.01831 MHz"):
        archsim.load_design("hbm-pim", unit_freq_mhz=1e-6)
    dram = archsim.load_design("hbm-pim").to_dict()["dram"]
    with pytest.raises(ConfigError, match=r"^tCK_ns must be a positive number in \[0\.01, "):
        archsim.load_design("hbm-pim", dram={**dram, "tCK_ns": 1e-300})
    with pytest.raises(ConfigError, match=r"^col_interval_tck must be a non-negative integer <= 65,536"):
        archsim.load_design("hbm-pim", col_interval_tck=2**40)


def test_serve_request_count_is_bounded(capsys):
    """Regression (issue 15): --requests 10^14 died in a numpy MemoryError traceback."""
    from archsim.cli import main

    assert main(["serve", "--design", "h100-sxm5-80gb", "--model", "gpt2", "--rate", "4",
                 "--requests", str(10**14)]) == 2
    assert capsys.readouterr().err == (
        "archsim: error: requests must be a positive integer <= 10,000,000, not 100000000000000\n")


@pytest.mark.parametrize(("field", "value", "message"), [
    ("CL", 2**31, r"^CL must be a positive integer <= 65,536, not 2147483648$"),
    ("tREFI", 64, r"^tREFI must be greater than tRFC \(\d+ tCK\), not 64$"),
    ("tREFI", 2**40, r"^tREFI must be a positive integer <= 16,777,216"),
])
def test_dram_timings_that_hung_are_refused(field, value, message):
    """Regression (issue 15, found by the fuzz suite): a 2^31-tCK timing or tREFI <= tRFC hung the controller."""
    from archsim.memory.dram import get_spec

    with pytest.raises(ConfigError, match=message):
        get_spec("DDR4-3200").replace(**{field: value})


@pytest.mark.parametrize("argv", [
    ["workload", "x" * 5000],
    ["run", "--design", "sa128-bf16", "--trace", "x" * 5000 + ".csv"],
    ["run", "--design", "sa128-bf16", "--gemm", "8,8,8", "-o", "x" * 5000 + ".csv"],
    ["dram", "--spec", "HBM2-2Gbps", "--trace", "x" * 5000],
    ["sweep", "x" * 5000 + ".yaml"],
    ["run", "--design", "sa128-bf16", "--gemm", "8,8,8", "--set", "rows=" + "[" * 5000],
])
def test_long_paths_and_deep_option_values_are_one_line(argv, capsys):
    """Regression (issue 15): 5,000-character file names (OSError) and 5,000-deep --set values
    (RecursionError) were tracebacks."""
    from archsim.cli import main

    assert main(argv) == 2
    last = capsys.readouterr().err.rstrip("\n").split("\n")[-1]  # after progress lines such as "running 1 ops"
    assert last.startswith("archsim: error: ") and len(last) < 400


def test_api_trace_readers_refuse_unusable_paths():
    from archsim.memory.dram import run_trace
    from archsim.workloads import Trace

    for bad in ("x" * 5000 + ".csv", "a\x00b.csv", "y" * 300 + ".csv"):
        with pytest.raises(ConfigError, match=r"^trace file "):
            Trace.read(bad)
    with pytest.raises(ConfigError, match=r"^trace file "):
        run_trace("HBM2-2Gbps", "x" * 5000)


def test_trace_cell_unicode_digit_is_config_error(tmp_path):
    """Regression (found by the fuzz suite's long run): a trace cell '²' passed str.isdigit and crashed int()."""
    from archsim.workloads import Trace

    p = tmp_path / "t.csv"
    p.write_text("name,kind,M,K,N,batch,a_precision,b_precision,out_precision,b_tensor,layer,phase,count\n"
                 "g,gemm,\u00b2,8,8,1,bf16,bf16,bf16,weight,-1,none,1\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"row 1, column M: must be a positive integer <= 2\^53, not '\u00b2'$"):
        Trace.read(p)


def test_pim_peak_includes_a_faster_host_fallback():
    """Regression (found by the fuzz suite's long run): a GEMM on the host fallback of a PIM design with many
    host lanes ran above peaks()['flops_per_s'], which counted the PIM units only."""
    design = archsim.load_design("gddr6-aim", host_lanes=1171)
    op = archsim.Op("g", "gemm", 16, 16, 16)
    r = archsim.simulate(design, op)
    assert op.flops / r.summary["seconds"] <= max(design.peaks()["flops_per_s"].values())
    assert archsim.load_design("gddr6-aim").peaks()["flops_per_s"] == {"bf16": 1.024e12}  # presets unchanged
