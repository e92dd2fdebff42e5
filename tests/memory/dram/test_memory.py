"""DramMemory: the MemoryPort protocol on the cycle-level DRAM."""

import json
import subprocess
import sys

import numpy as np
import pytest

from archsim.core.clock import Clock
from archsim.core.errors import ConfigError
from archsim.memory.dram import DramMemory, get_spec, write_trace

ACTION_KEYS = {"dram_read_bytes", "dram_write_bytes", "dram_act_count", "dram_rd_count", "dram_wr_count",
               "dram_pre_count", "dram_ref_count"}


@pytest.mark.parametrize("exact", [True, False])
def test_idle_read_converted_to_core_cycles(exact):
    s = get_spec("hbm2")  # tCK 1 ns
    core = Clock(700.0)    # 700 MHz core: 1 core cycle = 1.428... ns
    mem = DramMemory(s, core, exact=exact)
    start = 10             # 14.29 ns -> DRAM cycle 15 (rounded up)
    done = mem.transfer(start, 0, s.access_bytes, write=False)
    dram_done = 15 + s.tRCDRD + s.CL + s.burst_cycles
    assert done == 32  # 45 ns / (1000/700 ns) = 31.5 -> 32 core cycles (rounded up)
    assert done == int(np.ceil(dram_done * 700 / 1000))


def test_protocol_surface_and_actions():
    s = get_spec("ddr4")
    for exact in (True, False):
        mem = DramMemory(s, Clock(1000.0), exact=exact)
        t1 = mem.transfer(0, 0, 4096, False)
        t2 = mem.transfer(0, 1 << 20, 1024, True)
        assert t2 > t1 > 0
        acts = mem.actions()
        assert set(acts) == ACTION_KEYS
        assert acts["dram_read_bytes"] == 4096 and acts["dram_write_bytes"] == 1024
        assert acts["dram_rd_count"] == 64 and acts["dram_wr_count"] == 16
        assert acts["dram_act_count"] >= 2
        mem.reset()
        assert all(v == 0 for v in mem.actions().values())
        assert mem.transfer(5, 0, 0, False) == 5


@pytest.mark.parametrize("name", ["HBM2-2Gbps", "DDR4-3200", "GDDR6-16Gbps"])
def test_exact_and_fast_agree_on_a_tile_sequence(name):
    """Prefetch-style sequence (each tile requested when the previous arrived): contiguous 64 KiB tiles in
    and across rows, small mixed read/write tiles, an idle gap with refreshes, then a 2 MiB stream (composed
    from chunks)."""
    s = get_spec(name)
    core = Clock(940.0)
    ends, acts = [], []
    for exact in (True, False):
        mem = DramMemory(s, core, exact=exact)
        t = 0
        for k in range(8):
            t = mem.transfer(t, k * 65536 + (k % 3) * (1 << 26), 65536, False)
        for k in range(8):
            t = mem.transfer(t + 50, (1 << 28) + k * 4096, 4096, k % 2 == 0)
        for k in range(8):
            t = mem.transfer(t, (1 << 29) + k * 65536, 65536, False)
        t = mem.transfer(t + 20000, 0, 2 << 20, False)
        ends.append(t)
        acts.append(mem.actions())
    assert abs(ends[0] - ends[1]) <= 0.02 * ends[0], ends
    for k in ("dram_act_count", "dram_pre_count", "dram_ref_count"):
        assert abs(acts[0][k] - acts[1][k]) <= 0.04 * acts[0][k], (k, acts)
    for k in ("dram_read_bytes", "dram_write_bytes", "dram_rd_count", "dram_wr_count"):
        assert acts[0][k] == acts[1][k]


def test_transfer_order_and_arguments_checked():
    mem = DramMemory(get_spec("ddr4"), Clock(1000.0))
    mem.transfer(100, 0, 64, False)
    with pytest.raises(ConfigError, match=r"^start_cycle must be non-decreasing, not 50 after 100$"):
        mem.transfer(50, 0, 64, False)
    with pytest.raises(ConfigError, match=r"^nbytes must be a non-negative integer, not -1$"):
        mem.transfer(200, 0, -1, False)
    with pytest.raises(ConfigError, match=r"^core_clock must be an archsim.core.clock.Clock, not float$"):
        DramMemory(get_spec("ddr4"), 1000.0)


def test_memory_port_protocol_if_available():
    iface = pytest.importorskip("archsim.memory.interface")
    port = getattr(iface, "MemoryPort", None)
    if port is None:
        pytest.skip("MemoryPort not defined yet")
    mem = DramMemory(get_spec("hbm2"), Clock(1000.0))
    for name in ("transfer", "reset", "actions"):
        assert callable(getattr(mem, name))
    if getattr(port, "_is_runtime_protocol", False):
        assert isinstance(mem, port)


def test_cli_json(tmp_path, capsys):
    s = get_spec("ddr4")
    n = 2000
    p = tmp_path / "t.trace"
    write_trace(p, np.arange(n) * 64, np.arange(n) % 4 == 0, np.arange(n) * 4)
    from archsim.cli.dram import _handler, register

    assert main_dram(["--spec", "DDR4-3200", "--trace", str(p), "--json"], register, _handler) == 0
    d = json.loads(capsys.readouterr().out)
    for k in ("total_cycles", "seconds", "energy_j", "area_mm2", "bandwidth_gbps", "avg_latency_cycles",
              "avg_latency_ns", "p99_latency_cycles", "row_hit_rate", "reads", "writes", "act_count", "pre_count",
              "rd_count", "wr_count", "ref_count"):
        assert k in d
    assert d["reads"] == 1500 and d["writes"] == 500
    assert d["seconds"] == pytest.approx(d["total_cycles"] * s.tCK_ns * 1e-9)


def main_dram(argv, register, handler):
    """Parse ``archsim dram`` arguments with the sub-command's own parser and run it (in-process)."""
    import argparse

    parser = argparse.ArgumentParser(prog="archsim")
    register(parser.add_subparsers())
    args = parser.parse_args(["dram", *argv])
    return args.func(args)


def test_cli_bad_input_exits_2(tmp_path):
    p = tmp_path / "bad.trace"
    p.write_text("0x40 READ 0\n0x80 FETCH 3\n")
    out = subprocess.run([sys.executable, "-m", "archsim.cli", "dram", "--spec", "hbm2", "--trace", str(p)],
                         capture_output=True, text=True)
    assert out.returncode == 2
    assert out.stderr.strip() == "archsim: error: bad.trace:2: kind must be READ/WRITE (or R/W), not 'FETCH'"


@pytest.mark.parametrize("name", ["HBM2-2Gbps", "LPDDR5-6400"])
def test_exact_and_fast_agree_with_per_bank_refresh(name):
    """Per-bank refresh on the fast path: per REFB inside a transfer, the bubble (and re-opened rows) of that
    transfer's shape averaged over eight refresh phases (StreamModel.refresh_cost).  Measured: time +0.28 %
    on HBM2 and -0.06 % on LPDDR5 (the long-stream average bubble it replaced gave -1.0 % and -0.26 %),
    ACT/PRE within 1.0 %, REFB counts equal."""
    s = get_spec(name)
    out = []
    for exact in (True, False):
        mem = DramMemory(s, Clock(1000.0), exact=exact, refresh="per_bank")
        t = 0
        for k in range(6):
            t = mem.transfer(t, k << 20, 1 << 19, False)
        out.append((t, mem.actions()))
    (te, ae), (tf, af) = out
    assert abs(te - tf) <= 0.01 * te, (te, tf)
    for k in ("dram_act_count", "dram_pre_count", "dram_ref_count"):
        assert abs(ae[k] - af[k]) <= 0.02 * ae[k], (k, ae[k], af[k])


def test_fast_equals_exact_for_a_long_idle_stream_without_refresh():
    """A single 3 MiB stream (extrapolated from its periodic steady state) through DramMemory on an idle
    DDR4 channel, refresh off: the fast path must equal the exact model in cycles and every action."""
    s = get_spec("DDR4-3200")
    clk = Clock(1000.0 / s.tCK_ns)  # core clock = DRAM clock
    out = []
    for exact in (True, False):
        mem = DramMemory(s, clk, exact=exact, refresh="none")
        out.append((mem.transfer(7, 4096 + 192, (3 << 20) + 100, False), mem.actions()))
    assert out[0] == out[1]
    assert any(k[0] == "period" for k in mem.stream_model._memo)  # the fast path extrapolated it


@pytest.mark.parametrize("refresh", ["all_bank", "per_bank"])
def test_fast_path_counts_refreshes_over_an_idle_gap_in_closed_form(refresh):
    """A one-burst read after an idle gap of 10^11 tCK: every refresh due in the gap is counted (one channel
    touched: gap // interval of them), without visiting them one by one."""
    import time

    s = get_spec("hbm2")
    mem = DramMemory(s, Clock(1000.0 / s.tCK_ns), refresh=refresh)
    mem.transfer(0, 0, s.access_bytes, False)
    assert mem.actions()["dram_ref_count"] == 0
    gap = 10**11
    t = time.process_time()
    end = mem.transfer(gap, 0, s.access_bytes, False)
    assert time.process_time() - t < 0.5
    step = s.tREFIb if refresh == "per_bank" else s.tREFI
    assert mem.actions()["dram_ref_count"] == gap // step + (1 if (gap // step + 1) * step < end else 0)
