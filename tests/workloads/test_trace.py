"""Op and Trace: validation, lossless CSV/Parquet round trips, malformed files."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from archsim.core.errors import ConfigError
from archsim.workloads import Op, Trace
from archsim.workloads.op import B_TENSORS, COLUMNS, PHASES, PRECISIONS

dims = st.integers(min_value=1, max_value=10**7)


def _bounded_op(**kw) -> Op:
    """Op(**kw), its largest size divided down until the op is within archsim's per-op work bound
    (2^62 MACs, 2^56 elements per operand: op.MAX_OP_MACS / MAX_OP_ELEMENTS)."""
    for _ in range(200):
        try:
            return Op(**kw)
        except ConfigError:
            d = max(("M", "K", "N", "batch", "count"), key=kw.get)
            kw[d] = max(1, kw[d] // 16)
    return Op(**kw)


ops = st.builds(
    _bounded_op,
    name=st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")), min_size=1, max_size=20),
    kind=st.sampled_from(["gemm", "bmm", "eltwise", "softmax", "norm", "act"]),
    M=dims,
    K=dims,
    N=dims,
    batch=st.integers(1, 4096),
    a_precision=st.sampled_from(PRECISIONS),
    b_precision=st.sampled_from(PRECISIONS),
    out_precision=st.sampled_from(PRECISIONS),
    b_tensor=st.sampled_from(B_TENSORS),
    layer=st.integers(-1, 200),
    phase=st.sampled_from(PHASES),
    count=st.integers(1, 200),
)


@settings(max_examples=60, deadline=None)
@given(st.lists(ops, min_size=1, max_size=12), st.sampled_from([".csv", ".parquet"]))
def test_round_trip_is_lossless(tmp_path_factory, op_list, suffix):
    path = tmp_path_factory.mktemp("rt") / f"trace{suffix}"
    trace = Trace.from_ops(op_list)
    trace.write(path)
    back = Trace.read(path)
    assert back == trace
    assert list(back) == op_list


def test_ops_iterate_as_ops():
    op = Op("x", "gemm", 2, 3, 4, batch=5, layer=1, phase="prefill", count=2)
    (back,) = list(Trace.from_ops([op]))
    assert back == op
    assert back.macs == 2 * 3 * 4 * 5 * 2
    assert back.flops == 2 * back.macs


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"M": 0}, r"^M must be a positive integer, not 0$"),
        ({"K": -3}, r"^K must be a positive integer, not -3$"),
        ({"N": 2.5}, r"^N must be a positive integer, not 2.5$"),
        ({"kind": "conv3d"}, r"^kind must be one of gemm, gemv, bmm, conv, .*, not 'conv3d'$"),
        ({"a_precision": "int3"}, r"^a_precision must be one of int4, .*, not 'int3'$"),
        ({"kind": "gemv", "M": 4}, r"^M must be 1 for a gemv, not 4$"),
        ({"layer": -2}, r"^layer must be an integer >= -1, not -2$"),
    ],
)
def test_bad_op_names_field_and_value(kwargs, message):
    base = {"name": "x", "kind": "gemm", "M": 1, "K": 1, "N": 1}
    base.update(kwargs)
    with pytest.raises(ConfigError, match=message):
        Op(**base)


def _write_csv(path, rows):
    header = ",".join(COLUMNS)
    path.write_text(header + "\n" + "\n".join(rows) + "\n")


GOOD_ROW = "a,gemm,2,3,4,1,bf16,bf16,bf16,weight,0,prefill,1"


@pytest.mark.parametrize(
    "bad_row, column",
    [
        ("a,gemm,-2,3,4,1,bf16,bf16,bf16,weight,0,prefill,1", "M"),
        ("a,gemm,2,3.5,4,1,bf16,bf16,bf16,weight,0,prefill,1", "K"),
        ("a,gemm,2,3,x,1,bf16,bf16,bf16,weight,0,prefill,1", "N"),
        ("a,conv3d,2,3,4,1,bf16,bf16,bf16,weight,0,prefill,1", "kind"),
        ("a,gemm,2,3,4,1,int3,bf16,bf16,weight,0,prefill,1", "a_precision"),
        ("a,gemm,2,3,4,1,bf16,bf16,bf16,weight,0,training,1", "phase"),
        ("a,gemm,2,3,4,0,bf16,bf16,bf16,weight,0,prefill,1", "batch"),
    ],
)
def test_malformed_csv_names_file_row_and_column(tmp_path, bad_row, column):
    path = tmp_path / "bad.csv"
    _write_csv(path, [GOOD_ROW, GOOD_ROW, bad_row])
    with pytest.raises(ConfigError, match=rf"bad\.csv.*row 3, column {column}:"):
        Trace.read(path)


def test_missing_column_is_named(tmp_path):
    path = tmp_path / "missing.csv"
    path.write_text("name,kind,M,K\na,gemm,1,2\n")
    with pytest.raises(ConfigError, match=r"missing\.csv: missing column\(s\) N, batch"):
        Trace.read(path)


def test_malformed_parquet_is_rejected(tmp_path):
    path = tmp_path / "bad.parquet"
    df = Trace.from_ops([Op("a", "gemm", 2, 3, 4)]).df
    df.loc[0, "M"] = -1
    df.to_parquet(path)
    with pytest.raises(ConfigError, match=r"bad\.parquet: row 1, column M"):
        Trace.read(path)


def test_unreadable_file_gives_config_error(tmp_path):
    path = tmp_path / "t.parquet"
    path.write_bytes(b"not parquet")
    with pytest.raises(ConfigError, match="cannot be parsed"):
        Trace.read(path)
    with pytest.raises(ConfigError, match="does not exist"):
        Trace.read(tmp_path / "nope.csv")
