"""PIM-enabled DRAM: exact vs fast command engine, the extended timing checker, closed forms, validation."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from archsim.core.errors import ConfigError
from archsim.dataflow.gemv_pim import plan_gemv
from archsim.memory.dram._spec import get_spec
from archsim.memory.pim import (
    ACT_AB,
    MAC_AB,
    RULE_SOURCES,
    PimChannel,
    PimSpec,
    PimTimingChecker,
    command_name,
    derive_spec,
    register_rules,
)


def _plan(pim: PimSpec, K: int, N: int, batch: int = 1, m: int = 1):
    return plan_gemv(K, N, batch, m, channels=pim.dram.n_channels, units_per_channel=pim.units_per_channel,
                     lanes=pim.lanes, grf_entries=pim.grf_entries, acc_entries=pim.acc_entries,
                     macs_per_row=pim.macs_per_row_window, reduce=pim.reduce, acc_bytes=pim.acc_bytes,
                     access_bytes=pim.dram.access_bytes)


def _pim_spec(base, bpu, grf, acc, ci, red, dual, rows):
    kw = dict(dram=get_spec(base, rows=rows), banks_per_unit=bpu, lanes=8, precision="bf16", acc_precision="fp32",
              unit_freq_mhz=250.0, grf_entries=grf, acc_entries=acc, reduce=red,
              row_buffers="dual" if dual else "blocked")
    # an explicit interval below the physical floor (unit period, tCCD_S) is refused (issue 15): ci > 0 is
    # taken at or above it
    floor = PimSpec(**kw).min_col_interval
    return PimSpec(**kw, col_interval_tck=0 if ci == 0 else max(ci, floor))


pim_specs = st.builds(
    _pim_spec,
    st.sampled_from(["hbm2", "gddr6", "ddr4"]), st.sampled_from([1, 2, 4]), st.integers(1, 9), st.integers(1, 5),
    st.integers(0, 6), st.sampled_from(["host", "in_unit"]), st.booleans(), st.sampled_from([1024, 32768]))


@settings(max_examples=40, deadline=None)
@given(pim=pim_specs, K=st.integers(1, 1000), N=st.integers(1, 500), batch=st.integers(1, 5),
       refresh=st.booleans(), mode=st.sampled_from(["all_bank", "single_bank"]), reps=st.integers(1, 3))
def test_fast_equals_exact_cycles(pim, K, N, batch, refresh, mode, reps):
    """The memoized tile engine issues the same commands at the same cycles as per-command issue."""
    plan = _plan(pim, K, N, batch)
    exact, fast = PimChannel(pim, refresh=refresh), PimChannel(pim, refresh=refresh)
    for _ in range(reps):
        assert exact.run(list(plan.tiles), mode, exact=True) == fast.run(list(plan.tiles), mode, exact=False)
    assert exact.counts == fast.counts
    assert exact.cmd_ok == fast.cmd_ok
    assert exact.ref_cycles == fast.ref_cycles


@settings(max_examples=30, deadline=None)
@given(pim=pim_specs, n_mac=st.integers(1, 64), g=st.integers(0, 8), r=st.integers(0, 8), count=st.integers(20, 400),
       mode=st.sampled_from(["all_bank", "single_bank"]))
def test_fast_equals_exact_on_long_runs_with_refresh(pim, n_mac, g, r, count, mode):
    """Long runs of one tile (the skip-ahead case): same end, counts and refresh cycles."""
    sig = (n_mac, ((0, g),) if g else (), ((n_mac, r),) if r else ())
    exact, fast = PimChannel(pim), PimChannel(pim)
    assert exact.run([(sig, count)], mode, exact=True) == fast.run([(sig, count)], mode)
    assert exact.counts == fast.counts and exact.ref_cycles == fast.ref_cycles


def test_fast_path_jumps_over_periodic_tiles():
    """A long steady run is not visited tile by tile (skip-ahead to the next refresh), yet equals exact."""
    pim = PimSpec(dram=derive_spec("hbm2", 1 / 1.2, "HBM2-2.4"))
    plan = _plan(pim, 4096, 11008)
    fast = PimChannel(pim)
    res = fast.run(list(plan.tiles))
    assert fast.jumped_tiles > len(plan.tiles)
    exact = PimChannel(pim)
    assert res == exact.run(list(plan.tiles), exact=True)
    assert fast.ref_cycles == exact.ref_cycles and len(fast.ref_cycles) > 10


@settings(max_examples=15, deadline=None)
@given(pim=pim_specs, K=st.integers(1, 400), N=st.integers(1, 200), mode=st.sampled_from(["all_bank", "single_bank"]))
def test_exact_log_passes_timing_checker(pim, K, N, mode):
    """Every command the engine issues satisfies the DRAM checker and the PIM rules (refresh included)."""
    ch = PimChannel(pim, refresh=True, record=True)
    ch.run(list(_plan(pim, K, N).tiles), mode)
    assert PimTimingChecker(pim, refresh="none").check(ch.log) == []


def test_checker_catches_early_mac_and_closed_bank():
    pim = PimSpec(dram="hbm2")
    ch = PimChannel(pim, refresh=False, record=True)
    ch.run(list(_plan(pim, 256, 512).tiles))
    log = list(ch.log)
    assert {command_name(c[1]) for c in log} >= {"ACT_AB", "MAC_AB", "PRE_AB", "WRGRF", "RDACC"}
    macs = [i for i, c in enumerate(log) if c[1] == MAC_AB]
    i = macs[3]
    moved = log[:i] + [(log[i][0] - 1,) + log[i][1:]] + log[i + 1:]
    rules = [v.rule for v in PimTimingChecker(pim).check(moved)]
    assert any(r.startswith("MAC interval: MAC_AB->MAC_AB") for r in rules)
    first_act = next(i for i, c in enumerate(log) if command_name(c[1]) == "ACT_AB")
    no_act = log[:first_act] + log[first_act + 1:]
    assert any("MAC_AB to row" in v.rule for v in PimTimingChecker(pim).check(no_act))


@settings(max_examples=30, deadline=None)
@given(tras=st.integers(10, 60), trcd=st.integers(5, 30), trp=st.integers(5, 30), rtp=st.integers(2, 12),
       ci=st.integers(1, 8), faw_ab=st.integers(1, 400), n=st.integers(1, 64))
def test_all_bank_tile_period_closed_form(tras, trcd, trp, rtp, ci, faw_ab, n):
    """Steady-state period of ACT_AB, n x MAC_AB, PRE_AB row windows:
    P = max(max(tRAS, tRCD + (n-1) ci + tRTP) + tRP, tRC, tFAW_AB)."""
    spec = get_spec("hbm2", tRAS=tras, tRCD=0, tRCDRD=trcd, tRCDWR=trcd, tRP=trp, tRC=tras + trp, tRTP=rtp)
    ci = max(ci, PimSpec(dram=spec, tFAW_AB=faw_ab).min_col_interval)  # below the floor is refused (issue 15)
    pim = PimSpec(dram=spec, col_interval_tck=ci, tFAW_AB=faw_ab)
    ch = PimChannel(pim, refresh=False, record=True)
    ch.run([((n, (), ()), 6)], exact=True)
    acts = [c[0] for c in ch.log if command_name(c[1]) == "ACT_AB"]
    expect = max(max(tras, trcd + (n - 1) * ci + rtp) + trp, tras + trp, faw_ab)
    assert {b - a for a, b in zip(acts, acts[1:])} == {expect}


def test_dual_row_buffers_let_host_traffic_run_alongside():
    """Blocked: host reads wait for the PIM kernel; dual (NeuPIMs): they overlap it, PIM barely slowed."""
    sig = (64, ((0, 8),), ((64, 8),))
    out = {}
    for rb in ("blocked", "dual"):
        pim = PimSpec(dram=derive_spec("hbm2", 1 / 1.2, "HBM2-2.4"), row_buffers=rb)
        ch = PimChannel(pim, refresh=True, record=True)
        out[rb] = ch.run_concurrent([(sig, 16)], 1024)
        assert PimTimingChecker(pim).check(ch.log) == []
        alone = PimChannel(pim).run([(sig, 16)], exact=True)
        assert out[rb][1] >= alone[1]
    blocked, dual = out["blocked"], out["dual"]
    assert blocked[2] > blocked[1]               # host finishes after the PIM kernel
    assert dual[2] < blocked[2]                  # ... but runs alongside it with dual row buffers
    assert dual[1] - blocked[1] < 0.1 * blocked[1]


def test_pim_spec_validation_messages():
    with pytest.raises(ConfigError, match=r"^banks_per_unit must divide the banks per channel \(16\), not 3$"):
        PimSpec(dram="hbm2", banks_per_unit=3)
    with pytest.raises(ConfigError, match=r"^precision must be one of fp16, bf16, int8, not 'fp8'$"):
        PimSpec(precision="fp8")
    with pytest.raises(ConfigError, match=r"^lanes must fit one column access \(32 bytes = 16 fp16\), not 32$"):
        PimSpec(dram="hbm2", lanes=32)
    with pytest.raises(ConfigError, match=r"^unknown PIM spec field 'lane'"):
        PimSpec.from_dict({"lane": 4})
    with pytest.raises(ConfigError, match=r"^mode must be one of all_bank, single_bank, not 'x'$"):
        PimChannel(PimSpec()).run([], "x")


def test_pim_spec_dict_round_trip():
    pim = PimSpec(dram=derive_spec("hbm2", 1 / 1.2, "HBM2-2.4"), reduce="in_unit")
    assert PimSpec.from_dict(pim.to_dict()) == pim


def test_registered_rule_reaches_engine_and_checker():
    """A new constraint (here: first MAC at least 40 tCK after ACT_AB) is a registration, not an edit."""
    pim = PimSpec(dram="hbm2")
    base = PimChannel(pim, refresh=False, record=True)
    base.run([((4, (), ()), 2)], exact=True)

    @register_rules
    def slow_first_mac(p):
        return [(ACT_AB, MAC_AB, "channel", 40, "tSLOW")]

    try:
        ch = PimChannel(pim, refresh=False, record=True)
        ch.run([((4, (), ()), 2)], exact=True)
        assert ch.log[1][0] - ch.log[0][0] == 40 > base.log[1][0] - base.log[0][0]
        assert PimTimingChecker(pim).check(ch.log) == []
        assert any(v.rule.startswith("tSLOW") for v in PimTimingChecker(pim).check(base.log))
    finally:
        RULE_SOURCES.remove(slow_first_mac)
