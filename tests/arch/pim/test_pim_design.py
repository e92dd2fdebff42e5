"""PIM designs: published peak throughput from first principles, run() fast == exact, fallback, I/O, cost."""

from __future__ import annotations

import warnings

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from archsim.arch.pim import PimDesign, get_pim_design, list_pim_designs
from archsim.core.errors import ConfigError
from archsim.cost import price
from archsim.dataflow.gemv_pim import plan_gemv
from archsim.workloads.op import Op
from archsim.workloads.trace import Trace


def test_hbm_pim_peak_is_published_1_2_tflops():
    """Samsung HBM-PIM (Aquabolt-XL), 1.2 TFLOPS per stack (Kwon et al., ISSCC 2021, title).

    Units: 8 channels x 2 pseudo-channels x 16 banks / 2 banks per unit = 128 units (one per bank pair,
    Lee et al., ISCA 2021).  Each unit: 16 FP16 lanes, one multiply-add (2 FLOP) per lane per 300 MHz
    cycle.  128 x 16 x 2 x 300e6 = 1.2288e12 FLOP/s = 1.2 TFLOPS.  The DRAM runs at 2.4 Gb/s (CK
    1.2 GHz): an all-bank MAC every tCCD_L = 4 tCK is exactly the 300 MHz unit rate, so the command bus
    sustains the same peak.
    """
    d = get_pim_design("hbm-pim")
    assert d.n_units == 128
    assert d.peak_flops == pytest.approx(1.2288e12, rel=1e-12)
    assert round(d.peak_flops / 1e12, 1) == 1.2
    assert d.pim.command_bound_flops == pytest.approx(d.peak_flops, rel=1e-9)


def test_gddr6_aim_peak_is_published_1_tflops():
    """SK hynix GDDR6-AiM, ~1 TFLOPS per chip (Lee et al., ISSCC 2022, title "supporting 1TFLOPS").

    Units: 2 channels x 16 banks, one unit per bank = 32 units.  Each: 16 BF16 multipliers (adder tree),
    2 FLOP per multiplier per 1 GHz cycle.  32 x 16 x 2 x 1e9 = 1.024e12 FLOP/s ~ 1 TFLOPS.  All-bank MACs
    every 2 tCK at the 2 GHz command clock (1 ns) keep the same rate.
    """
    d = get_pim_design("gddr6-aim")
    assert d.n_units == 32
    assert d.peak_flops == pytest.approx(1.024e12, rel=1e-12)
    assert round(d.peak_flops / 1e12) == 1
    assert d.pim.command_bound_flops == pytest.approx(d.peak_flops, rel=1e-9)


def test_every_preset_cites_a_source_and_builds():
    for name in list_pim_designs():
        d = get_pim_design(name)
        assert d.source and d.peak_flops > 0
        assert d.internal_bandwidth_gbps > d.external_bandwidth_gbps


def _trace(ops):
    return Trace.from_ops([Op(name=f"op{i}", kind=k, M=1 if k == "gemv" else m, K=kk, N=n, batch=b, a_precision="fp16",
                              b_precision="fp16", out_precision="fp16", count=c)
                           for i, (k, m, kk, n, b, c) in enumerate(ops)])


@settings(max_examples=10, deadline=None)
@given(name=st.sampled_from(["hbm-pim", "gddr6-aim", "hbm-pim-dual"]),
       mode=st.sampled_from(["all_bank", "single_bank"]),
       ops=st.lists(st.tuples(st.sampled_from(["gemv", "bmm"]), st.integers(1, 2), st.integers(1, 300),
                              st.integers(1, 300), st.integers(1, 4), st.integers(1, 3)), min_size=1, max_size=3))
def test_run_fast_equals_exact(name, mode, ops):
    """design.run: the fast path gives the exact path's per-op cycles and actions."""
    d = get_pim_design(name)
    if mode == "single_bank":
        d = d.replace(row_buffers="blocked", mode=mode)
    tr = _trace(ops)
    fast, exact = d.run(tr), d.run(tr, exact=True)
    assert fast.ops.equals(exact.ops)
    assert fast.summary.pop("exact") is False and exact.summary.pop("exact") is True
    assert fast.summary == exact.summary


def test_pim_gemv_beats_external_read_by_internal_bandwidth():
    """A large GEMV on HBM-PIM is faster than reading its weights over the external interface, and no
    faster than the internal (in-bank) bandwidth allows."""
    d = get_pim_design("hbm-pim")
    r = d.run(_trace([("gemv", 1, 4096, 11008, 1, 1)]))
    wbytes = 4096 * 11008 * 2
    t = r.summary["seconds"]
    assert t >= wbytes / (d.internal_bandwidth_gbps * 1e9)
    assert t < wbytes / (d.external_bandwidth_gbps * 1e9)
    assert r.ops["useful_macs"].iloc[0] == 4096 * 11008


def test_single_bank_mode_is_command_bus_bound():
    """Single-bank mode needs one command per unit per MAC: slower than all-bank mode."""
    d = get_pim_design("hbm-pim")
    tr = _trace([("gemv", 1, 4096, 4096, 1, 1)])
    ab = d.run(tr).summary["total_cycles"]
    sb = d.replace(mode="single_bank").run(tr).summary["total_cycles"]
    assert sb > 1.5 * ab


def test_fallback_error_and_host():
    tr = Trace.from_ops([Op(name="sm", kind="softmax", M=1, K=1, N=1024, batch=32, a_precision="fp16",
                            b_precision="fp16", out_precision="fp16")])
    with pytest.raises(ConfigError, match=r"^op 'sm' kind 'softmax' \(M=1\) cannot run on PIM; allowed: gemv, "
                                          r"bmm/gemm with M <= 8 \(or set fallback 'host'\)$"):
        get_pim_design("hbm-pim", fallback="error").run(tr)
    r = get_pim_design("hbm-pim").run(tr)
    assert r.ops["unit"].iloc[0] == "host" and r.ops["vector_op_count"].iloc[0] == 1024 * 32 * 5
    big = _trace([("gemm", 64, 128, 128, 1, 1)])
    assert get_pim_design("hbm-pim").run(big).ops["unit"].iloc[0] == "host"


def test_design_validation_and_yaml_round_trip(tmp_path):
    with pytest.raises(ConfigError, match=r"^placement must be one of bank, logic_die, not 'die'$"):
        PimDesign(placement="die")
    with pytest.raises(ConfigError, match=r"^row_buffers 'dual' needs mode 'all_bank', not 'single_bank'$"):
        PimDesign(row_buffers="dual", mode="single_bank")
    with pytest.raises(ConfigError, match=r"^unknown design field 'lane'; allowed: "):
        PimDesign.from_dict({"lane": 3})
    for name in list_pim_designs():
        d = get_pim_design(name)
        p = tmp_path / f"{name}.yaml"
        p.write_text(yaml.safe_dump(d.to_dict()))
        assert PimDesign.from_dict(yaml.safe_load(p.read_text())) == d


def test_components_price_every_action():
    d = get_pim_design("hbm-pim")
    r = d.run(_trace([("gemv", 1, 1024, 1024, 1, 2), ("softmax", 1, 1, 256, 4, 1)]))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        ops, summary = price(r.ops, d.components(), node_nm=d.node_nm, seconds=r.seconds)
    assert summary["unpriced_actions"] == []
    assert summary["energy_pim_j"] > 0


@settings(max_examples=60, deadline=None)
@given(K=st.integers(1, 3000), N=st.integers(1, 3000), batch=st.integers(1, 40), m=st.integers(1, 3),
       ch=st.sampled_from([1, 2, 16]), u=st.sampled_from([4, 8, 16]), grf=st.integers(4, 64),
       acc=st.integers(1, 8), w=st.sampled_from([8, 32, 64]), red=st.sampled_from(["host", "in_unit"]))
def test_plan_covers_the_op(K, N, batch, m, ch, u, grf, acc, w, red):
    """Mapping invariants: MAC commands cover every useful MAC; tiles hold every MAC command once."""
    p = plan_gemv(K, N, batch, m, channels=ch, units_per_channel=u, lanes=16, grf_entries=grf, acc_entries=acc,
                  macs_per_row=w, reduce=red)
    assert p.mac_cmds * u * 16 * p.channels_used >= p.useful_macs
    assert sum(sig[0] * c for sig, c in p.tiles) == p.mac_cmds
    assert all(0 < sig[0] <= w for sig, _ in p.tiles)
    grf_in_tiles = sum(c * sum(n for _, n in sig[1]) for sig, c in p.tiles)
    rd_in_tiles = sum(c * sum(n for _, n in sig[2]) for sig, c in p.tiles)
    assert grf_in_tiles == p.grf_cmds and rd_in_tiles == p.readout_cmds


def test_command_log_of_an_op_passes_the_checker():
    from archsim.memory.pim import PimTimingChecker, command_name

    d = get_pim_design("gddr6-aim")
    op = next(iter(_trace([("gemv", 1, 2048, 512, 1, 1)])))
    log = d.command_log(op)
    assert {"ACT_AB", "MAC_AB", "PRE_AB", "WRGRF", "RDACC"} <= {command_name(c[1]) for c in log}
    assert PimTimingChecker(d.pim, refresh="all_bank").check(log) == []


def test_archsim_simulate_prices_a_pim_run():
    import archsim
    from archsim.workloads import build_trace

    if not hasattr(archsim, "simulate"):
        pytest.skip("archsim.simulate not exported yet")
    r = archsim.simulate(get_pim_design("hbm-pim"), build_trace("gpt2", phase="decode", context=128))
    assert r.summary["energy_j"] > 0 and r.summary["total_cycles"] > 0


def test_overlapped_host_reduction_is_never_slower_and_capacity_is_reported():
    tr = _trace([("bmm", 1, 128, 2048, 32, 2)])
    serial = get_pim_design("hbm-pim").run(tr)
    overlap = get_pim_design("hbm-pim", overlap_reduce=True).run(tr)
    assert serial.ops["stall_host_reduce_cycles"].iloc[0] > 0
    assert overlap.summary["total_cycles"] < serial.summary["total_cycles"]
    assert overlap.summary["total_cycles"] >= serial.summary["total_cycles"] - serial.ops[
        "stall_host_reduce_cycles"].iloc[0]
    assert serial.summary["pim_resident_bytes"] == 128 * 2048 * 32 * 2 * 2
    assert serial.summary["fits_in_memory"] is True
