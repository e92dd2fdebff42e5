import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from study_toy import ToyArray, decode_trace, toy_trace

from archsim.core import ConfigError
from archsim.study import (
    op_group,
    op_table,
    pareto_front,
    plot_energy_breakdown,
    plot_pareto,
    plot_roofline,
    plot_timeline,
    plot_utilization,
    roofline_peaks,
)


def test_pareto_front_small_example():
    df = pd.DataFrame({"lat": [1, 2, 3, 2, 1, 4], "energy": [5, 3, 1, 4, 6, 1], "error": [None] * 6})
    assert list(pareto_front(df, ["lat", "energy"]).index) == [0, 1, 2]
    assert list(pareto_front(df, ["lat"], ["energy"]).index) == [4]  # fastest, then most energy
    df.loc[0, "error"] = "boom"
    assert list(pareto_front(df, ["lat", "energy"]).index) == [1, 2, 4]


def test_pareto_front_by_group():
    df = pd.DataFrame({"w": ["a", "b", "a", "b"], "x": [1, 1, 2, 0.5], "y": [1, 1, 0.5, 2]})
    assert list(pareto_front(df, ["x", "y"], by="w").index) == [0, 1, 2, 3]
    assert list(pareto_front(df, ["x", "y"]).index) == [0, 1, 2, 3]
    with pytest.raises(ConfigError, match=r"^pareto_front metric\(s\) 'z' not in the table"):
        pareto_front(df, ["z"])


@settings(max_examples=40, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 20), st.integers(0, 20), st.integers(0, 20)), min_size=1, max_size=60))
def test_pareto_front_is_exactly_the_non_dominated_set(points):
    df = pd.DataFrame(points, columns=["a", "b", "c"])
    front = set(pareto_front(df, ["a", "b"], ["c"]).index)
    v = df.to_numpy() * np.array([1, 1, -1])
    for i in range(len(df)):
        dominated = any((v[j] <= v[i]).all() and (v[j] < v[i]).any() for j in range(len(df)))
        assert (i in front) == (not dominated)


def test_op_table_times_and_groups():
    trace = toy_trace(n_layers=3)
    result = ToyArray(rows=8, cols=8).run(trace)
    t = op_table(trace, result)
    assert list(t["start_cycle"][1:]) == list(t["end_cycle"][:-1])
    assert t["end_cycle"].iloc[-1] == result.summary["total_cycles"]
    g = op_table(trace, result, group=True)
    assert list(g["name"]) == ["qkv", "scores", "softmax", "proj"]
    assert g["cycles"].sum() == result.summary["total_cycles"]
    assert g["flops"].sum() == t["flops"].sum()
    # cycle-weighted utilization of a group equals total MACs / (PEs x total cycles)
    qkv = g.set_index("name").loc["qkv"]
    assert qkv["utilization"] == pytest.approx(qkv["macs"] / (64 * qkv["cycles"]), rel=1e-12)
    assert op_group("L12.attn.qkv") == op_group("L0-31.attn.qkv") == "attn.qkv" and op_group("lm_head") == "lm_head"


def test_roofline_peaks():
    d = ToyArray(rows=4, cols=4, freq_mhz=500.0, bandwidth_bytes_per_cycle=16.0)
    assert roofline_peaks(d) == (2 * 16 * 500e6, 16 * 500e6)

    class Parts:
        freq_mhz = 1000.0

        def components(self):
            return [{"kind": "mac_array", "count": 256}, {"kind": "dram", "interface_bytes_per_s": 34e9}]

    assert roofline_peaks(Parts()) == (2 * 256 * 1e9, 34e9)
    with pytest.raises(ConfigError, match=r"^cannot find the peak compute and bandwidth of object"):
        roofline_peaks(object())


def test_plots_write_png_and_svg(tmp_path):
    trace = toy_trace(n_layers=2)
    d = ToyArray(rows=8, cols=8)
    result = d.run(trace)
    flops, bw = roofline_peaks(d)
    plot_roofline(trace, peak_flops_per_s=flops, peak_bandwidth_bytes_per_s=bw, result=result,
                  path=tmp_path / "roof.png")
    plot_roofline(decode_trace(), peak_flops_per_s=flops, peak_bandwidth_bytes_per_s=bw, path=tmp_path / "r.svg")
    plot_utilization(trace, result, path=tmp_path / "util.png")
    plot_timeline(trace, result, path=tmp_path / "tl.svg")
    plot_energy_breakdown(op_table(trace, result), label="name", path=tmp_path / "e.png")
    df = pd.DataFrame({"seconds": [1.0, 2.0, 3.0], "area_mm2": [3.0, 2.0, 2.5], "rows": [1, 2, 3]})
    plot_pareto(df, "seconds", "area_mm2", label="rows", path=tmp_path / "p.png")
    for name in ("roof.png", "r.svg", "util.png", "tl.svg", "e.png", "p.png"):
        data = (tmp_path / name).read_bytes()
        assert data.startswith(b"\x89PNG") if name.endswith(".png") else b"<svg" in data[:2000]
    with pytest.raises(ConfigError, match=r"^plot path must end in \.png, \.svg, \.pdf, not 'x\.jpg'$"):
        plot_utilization(trace, result, path="x.jpg")
    with pytest.raises(ConfigError, match=r"^the table has no energy_<component>_pj columns to stack$"):
        plot_energy_breakdown(df)


def test_timeline_unrolls_repeated_layers():
    import pandas as pd

    from archsim.study._plots import _timeline_bars

    table = pd.DataFrame({"lane": ["emb", "a", "b", "out"], "cycles": [5, 30, 60, 7], "count": [1, 3, 3, 1]})
    bars = _timeline_bars(table, unroll=True)
    assert [b[0] for b in bars] == ["emb", "a", "b", "a", "b", "a", "b", "out"]
    assert [b[1] for b in bars] == [0, 5, 15, 35, 45, 65, 75, 95]
    assert bars[-1][1] + bars[-1][2] == 102  # total cycles preserved
    assert [b[0] for b in _timeline_bars(table, unroll=False)] == ["emb", "a", "b", "out"]


def test_plot_pareto_default_axes_are_readable():
    """Regression (issue 15): raw column names as labels, overlapping log tick labels."""
    import numpy as np

    from archsim.study import plot_pareto
    from archsim.study._plots import axis_label

    assert [axis_label(c) for c in ("seconds", "energy_j", "area_mm2", "dram_read_bytes", "rows")] == [
        "latency (s)", "energy (J)", "area (mm²)", "dram read (bytes)", "rows"]
    rng = np.random.default_rng(0)
    df = pd.DataFrame({"seconds": 10 ** rng.uniform(-4, -1, 40), "energy_j": rng.uniform(0.011, 0.019, 40)})
    fig = plot_pareto(df, "seconds", "energy_j")
    ax = fig.axes[0]
    fig.canvas.draw()
    assert (ax.get_xlabel(), ax.get_ylabel()) == ("latency (s)", "energy (J)")
    lo, hi = ax.get_xlim()
    shown = [t for t in ax.xaxis.get_majorticklabels() if t.get_text() and lo <= t.get_position()[0] <= hi]
    assert [t.get_text() for t in shown] == ["0.0001", "0.001", "0.01", "0.1"]  # one per decade over 3 decades
    assert not any(t.get_text() for t in ax.xaxis.get_minorticklabels())
