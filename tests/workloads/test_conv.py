"""The conv op kind: geometry, im2col shape, trace round trips, CNN presets, SCALE-Sim conv import."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from archsim.core.errors import ConfigError
from archsim.workloads.cnn import CNN_MODELS, cnn_macs, cnn_trace
from archsim.workloads.op import ConvShape, Op, conv_op
from archsim.workloads.scalesim import read_scalesim_conv
from archsim.workloads.trace import Trace


def _direct_conv(x, wt, shape: ConvShape):
    """Reference convolution by explicit loops over output pixels (numpy over channels)."""
    n, c, h, w = x.shape
    g, P, Q = shape.groups, shape.p, shape.q
    xp = np.pad(x, ((0, 0), (0, 0), (shape.padding,) * 2, (shape.padding,) * 2))
    out = np.zeros((n, shape.k, P, Q), dtype=np.int64)
    cg, kg = c // g, shape.k // g
    for gi in range(g):
        for p in range(P):
            for q in range(Q):
                for r in range(shape.r):
                    for s in range(shape.s):
                        hh = p * shape.stride + r * shape.dilation
                        ww = q * shape.stride + s * shape.dilation
                        patch = xp[:, gi * cg:(gi + 1) * cg, hh, ww]  # n x cg
                        out[:, gi * kg:(gi + 1) * kg, p, q] += patch @ wt[gi * kg:(gi + 1) * kg, :, r, s].T
    return out


def _im2col_conv(x, wt, shape: ConvShape):
    """The same conv as the per-group GEMM whose shape conv ops carry (M, K, N, batch)."""
    M, K, N, g = shape.gemm()
    xp = np.pad(x, ((0, 0), (0, 0), (shape.padding,) * 2, (shape.padding,) * 2))
    cg = shape.c // g
    out = np.zeros((shape.n, shape.k, shape.p, shape.q), dtype=np.int64)
    for gi in range(g):
        cols = np.empty((M, K), dtype=np.int64)
        m = 0
        for b in range(shape.n):
            for p in range(shape.p):
                for q in range(shape.q):
                    hs = p * shape.stride + np.arange(shape.r) * shape.dilation
                    ws = q * shape.stride + np.arange(shape.s) * shape.dilation
                    cols[m] = xp[b, gi * cg:(gi + 1) * cg][:, hs][:, :, ws].ravel()
                    m += 1
        B = wt[gi * N:(gi + 1) * N].reshape(N, K).T
        out[:, gi * N:(gi + 1) * N] = (cols @ B).reshape(shape.n, shape.p, shape.q, N).transpose(0, 3, 1, 2)
    return out


@settings(max_examples=25, deadline=None)
@given(st.integers(1, 2), st.integers(1, 3), st.integers(3, 7), st.integers(3, 7), st.integers(1, 3),
       st.integers(1, 3), st.integers(1, 3), st.integers(1, 2), st.integers(0, 2), st.integers(1, 2),
       st.booleans(), st.integers(0, 1000))
def test_im2col_shape_computes_the_conv(n, cg, h, w, kg, r, s, stride, pad, dil, grouped, seed):
    g = 2 if grouped else 1
    try:
        shape = ConvShape(n, cg * g, h, w, kg * g, r, s, stride, pad, g, dil)
    except ConfigError:
        return  # filter larger than the padded input
    rng = np.random.default_rng(seed)
    x = rng.integers(-8, 8, (n, shape.c, h, w))
    wt = rng.integers(-8, 8, (shape.k, cg, r, s))
    np.testing.assert_array_equal(_im2col_conv(x, wt, shape), _direct_conv(x, wt, shape))
    M, K, N, b = shape.gemm()
    assert M * K * N * b == shape.macs == n * shape.k * shape.p * shape.q * cg * r * s


def test_conv_op_round_trips_csv_and_parquet(tmp_path):
    ops = [conv_op("dw", 2, 32, 14, 14, 32, 3, 3, stride=2, padding=1, groups=32, a_precision="int8"),
           conv_op("c", 1, 3, 9, 11, 8, 3, 5, dilation=2, padding=2, count=3),
           Op("g", "gemm", 4, 5, 6)]
    t = Trace.from_ops(ops)
    for suffix in (".csv", ".parquet"):
        path = tmp_path / f"t{suffix}"
        t.write(path)
        back = Trace.read(path)
        assert back == t
        assert list(back) == ops
    assert list(t)[0].conv.groups == 32 and list(t)[2].conv is None


def test_old_trace_without_conv_column_reads(tmp_path):
    t = Trace.from_ops([Op("g", "gemm", 4, 5, 6)])
    df = t.df.drop(columns=["conv"])
    assert Trace.from_frame(df) == t


@pytest.mark.parametrize("bad, match", [
    (dict(kind="conv", M=1, K=1, N=1), "needs its conv geometry"),
    (dict(kind="conv", M=1, K=1, N=1, conv="n=1;c=1;h=3;w=3;k=1;r=3;s=3"), "im2col shape"),
    (dict(kind="gemm", M=1, K=9, N=1, conv="n=1;c=1;h=3;w=3;k=1;r=3;s=3"), "only conv ops"),
    (dict(kind="conv", M=1, K=9, N=1, conv="n=1;c=1;h=3;w=3;k=1;r=3;z=3"), "unknown key"),
    (dict(kind="conv", M=1, K=9, N=1, conv="c=1 h=3"), "must look like"),
])
def test_bad_conv_ops_are_config_errors(bad, match):
    with pytest.raises(ConfigError, match=match):
        Op(name="x", **bad)


def test_bad_conv_geometry():
    with pytest.raises(ConfigError, match="groups"):
        ConvShape(1, 6, 8, 8, 4, 3, 3, groups=4)
    with pytest.raises(ConfigError, match="larger than"):
        ConvShape(1, 1, 2, 2, 1, 5, 5)
    with pytest.raises(ConfigError, match="padding"):
        ConvShape(1, 1, 8, 8, 1, 3, 3, padding=-1)


def test_bad_conv_row_in_trace_file(tmp_path):
    path = tmp_path / "t.csv"
    Trace.from_ops([conv_op("c", 1, 3, 9, 9, 8, 3, 3)]).write(path)
    text = path.read_text().replace("n=1;c=3", "n=1;c=4")
    path.write_text(text)
    with pytest.raises(ConfigError, match="row 1"):
        Trace.read(path)


@pytest.mark.parametrize("name", [n for n, v in CNN_MODELS.items() if v[2]])
def test_cnn_presets_match_published_mult_adds(name):
    """Total multiply-adds within 2 % of the paper's figure (which is itself rounded: 569 M, 300 M, 3.8e9)."""
    published = CNN_MODELS[name][2]
    assert abs(cnn_macs(name) - published) / published < 0.02


def test_vit_patch_embedding_is_a_196_token_gemm():
    (op,) = list(cnn_trace("vit-b16-patch"))
    assert (op.M, op.K, op.N, op.batch) == (196, 768, 768, 1)  # 14x14 patches, 3*16*16 -> 768


def test_mobilenet_depthwise_im2col_shape():
    ops = {o.name: o for o in cnn_trace("mobilenet-v1", batch=2)}
    dw = ops["dw1"]
    assert (dw.M, dw.K, dw.N, dw.batch) == (2 * 112 * 112, 9, 1, 32)
    assert ops["fc"].kind == "gemm" and ops["fc"].M == 2


def test_scalesim_conv_import(tmp_path):
    path = tmp_path / "net.csv"
    path.write_text("Layer name, IFMAP Height, IFMAP Width, Filter Height, Filter Width, Channels, Num Filter, "
                    "Strides,\nConv1, 230, 230, 7, 7, 3, 64, 2,\nCB2a_1, 56, 56, 1, 1, 64, 64, 1,\n")
    ops = list(read_scalesim_conv(path))
    assert [o.conv.p for o in ops] == [112, 56]
    assert ops[0].macs == 112 * 112 * 64 * 3 * 49
    path.write_text("Layer name, IFMAP Height\nx, 3\n")
    with pytest.raises(ConfigError, match="header"):
        read_scalesim_conv(path)
    path.write_text("Layer name, IFMAP Height, IFMAP Width, Filter Height, Filter Width, Channels, Num Filter, "
                    "Strides,\nC, 3, 3, 5, 5, 1, 1, 1,\n")
    with pytest.raises(ConfigError, match="row 1"):
        read_scalesim_conv(path)


def test_every_design_family_runs_a_conv_op_through_im2col():
    """A design without a native conv mapping runs the im2col GEMM: same MACs as the conv."""
    from archsim.arch.registry import list_designs, load_design

    op = conv_op("c", 1, 4, 6, 6, 8, 3, 3, padding=1, groups=2)
    seen = set()
    for entry in list_designs():
        name = entry if isinstance(entry, str) else entry["name"]
        d = load_design(name)
        family = type(d).__name__
        if family in seen:
            continue
        seen.add(family)
        res = d.run(Trace.from_ops([op]))
        assert res.summary["total_cycles"] > 0, name
        if "macs" in res.ops:
            assert int(res.ops["macs"].sum()) == op.macs, name
    assert len(seen) >= 3


@settings(max_examples=25, deadline=None)
@given(st.integers(1, 2), st.integers(1, 3), st.integers(3, 7), st.integers(3, 7), st.integers(1, 3),
       st.integers(1, 3), st.integers(1, 3), st.integers(1, 2), st.integers(0, 2), st.integers(1, 2),
       st.booleans(), st.integers(0, 1000))
def test_dataflow_im2col_lowering(n, cg, h, w, kg, r, s, stride, pad, dil, grouped, seed):
    from archsim.dataflow.conv import col2im, filter_matrix, im2col

    g = 2 if grouped else 1
    try:
        shape = ConvShape(n, cg * g, h, w, kg * g, r, s, stride, pad, g, dil)
    except ConfigError:
        return
    rng = np.random.default_rng(seed)
    x = rng.integers(-8, 8, (n, shape.c, h, w))
    wt = rng.integers(-8, 8, (shape.k, cg, r, s))
    A, B = im2col(x, shape), filter_matrix(wt, shape)
    M, K, N, gg = shape.gemm()
    assert A.shape == (gg, M, K) and B.shape == (gg, K, N)
    np.testing.assert_array_equal(col2im(A @ B, shape), _direct_conv(x, wt, shape))


def test_summary_counts_the_conv_input_once():
    from archsim.workloads import summarize

    op = conv_op("dw", 1, 32, 112, 112, 32, 3, 3, padding=1, groups=32, a_precision="int8", b_precision="int8",
                 out_precision="int8", count=2)
    s = summarize(Trace.from_ops([op])).iloc[0]
    assert s["act_bytes"] == 2 * (32 * 112 * 112 + 32 * 112 * 112)  # input once + output, x count
    assert s["weight_bytes"] == 2 * 32 * 9


def test_cli_runs_cnn_presets(capsys):
    import json

    from archsim.cli import main

    assert main(["workload", "mobilenet-v1", "--precision", "int8", "--json"]) == 0
    tot = json.loads(capsys.readouterr().out)
    assert tot["model"] == "mobilenet-v1" and tot["flops"] == 2 * cnn_macs("mobilenet-v1")
    assert main(["run", "--design", "gemmini", "--model", "vit-b16-patch", "--json"]) == 0
    res = json.loads(capsys.readouterr().out)
    assert res["total_cycles"] > 0
    assert main(["workload", "resnet-50", "--precision", "w8a8"]) == 2
    assert "precision must be one of" in capsys.readouterr().err
