"""The timing checker finds injected violations, and the controller makes none (>= 10^6 commands)."""

import numpy as np
import pytest

from archsim.memory.dram import DramSystem, TimingChecker, get_spec, list_specs, run_trace
from archsim.memory.dram._commands import ACT, PRE, RD, REF, REFB, WR

PRESETS = list_specs()


def _check(system, refresh):
    chk = TimingChecker(system.spec, refresh)
    out = []
    for ch, log in enumerate(system.logs):
        out += chk.check(log, ch)
    return out


def _log_of(spec, addrs, writes=None, cycles=None, **cfg):
    _, system = run_trace(spec, addrs, writes, cycles, record=True, **cfg)
    return system


def test_checker_accepts_a_clean_hand_written_log():
    s = get_spec("ddr4")
    log = [(0, ACT, 0, 0, 0, 5), (s.tRCD, RD, 0, 0, 0, 5), (s.tRAS, PRE, 0, 0, 0, -1),
           (s.tRAS + s.tRP, ACT, 0, 0, 0, 6)]
    assert TimingChecker(s).check(log) == []


def _target(spec, level):
    """(bank A of the earlier command, bank B of the later one) related by ``level``."""
    a = (0, 0, 0)
    if level == "bank":
        return a, a
    if level == "bankgroup":
        return a, (0, 0, 1) if spec.banks_per_group > 1 else a
    if level == "other_ranks":
        return a, (1, 0, 0)
    return a, (0, 1, 0) if spec.bank_groups > 1 else ((0, 0, 1) if spec.banks_per_group > 1 else a)


def _planted_log(spec, pre, fol, level, gap):
    """A log with ``pre`` at bank A, ``fol`` at bank B ``gap`` tCK later, banks opened/closed so both are legal
    where the pair allows it (other violations may come along; the test looks for the planted one)."""
    A, B = _target(spec, level)
    t0 = 100_000
    log = []
    if pre in (RD, WR, PRE):
        log.append((10, ACT, *A, 7))
    if fol in (RD, WR, PRE) and B != A:
        log.append((20, ACT, *B, 7))
    if pre == ACT and fol in (ACT, REF, REFB) and B == A or (pre == ACT and fol == REF):
        log.append((t0 + spec.tRAS, PRE, *A, -1))  # close A again before the later ACT/REF
    if pre == REF:
        log.append((t0, REF, A[0], -1, -1, -1))
    else:
        log.append((t0, pre, *A, 7))
    tf = t0 + gap
    log.append((tf, REF, B[0], -1, -1, -1) if fol == REF else (tf, fol, *B, 7))
    log.sort(key=lambda c: c[0])
    return log


def _constraint_cases():
    from archsim.memory.dram._timing import CODES, constraints

    for name, over in (("ddr4", {"ranks": 2}), ("hbm2", {}), ("gddr6", {"tPPD": 2, "t32AW": 420})):
        s = get_spec(name, **over)
        for c in constraints(s):
            if c.window or c.value(s) <= 0 or (c.level == "other_ranks" and s.ranks == 1):
                continue  # vacuous: a non-positive gap cannot be broken; no other rank to switch to
            for p in c.preceding:
                for f in c.following:
                    yield pytest.param(s, c, CODES[p], CODES[f], id=f"{s.name}:{p}->{f}:{c.level}:{c.latency}")


@pytest.mark.parametrize("spec,cons,pre,fol", list(_constraint_cases()))
def test_each_declared_constraint_is_caught_when_planted(spec, cons, pre, fol):
    """Every declared constraint: one tCK too early is reported under its name; exactly on time it is not."""
    gap = cons.value(spec)
    level = "rank" if REF in (pre, fol) and cons.level in ("bank", "bankgroup") else cons.level
    early = TimingChecker(spec).check(_planted_log(spec, pre, fol, level, gap - 1))
    on_time = TimingChecker(spec).check(_planted_log(spec, pre, fol, level, gap))
    assert any(v.kind == cons.name for v in early), early
    assert not any(v.kind == cons.name for v in on_time), on_time


def test_t32aw_window():
    from archsim.memory.dram._timing import constraints

    s = get_spec("gddr6", t32AW=420, tFAW=4, tRRD_S=1, tRRD_L=1, ranks=1, bank_groups=4, banks_per_group=16)
    name = next(c.name for c in constraints(s) if c.latency == "t32AW")
    log = []
    t = 0
    for i in range(32):  # 32 ACTs to 32 different banks, one per tCK (tFAW = 4 allows 4 in any 4 tCK: none later)
        log.append((t, ACT, 0, i // 16, i % 16, 1))
        t += 1
    # 33rd ACT: within 420 of the first -> violation; at 420 -> clean
    early = TimingChecker(s).check(log + [(s.t32AW - 1, ACT, 0, 2, 0, 1)])
    ok = TimingChecker(s).check(log + [(s.t32AW, ACT, 0, 2, 0, 1)])
    assert any(v.kind == name for v in early), early
    assert not any(v.kind == name for v in ok)


def test_four_activate_window():
    from archsim.memory.dram._timing import constraints

    s = get_spec("ddr4")
    name = next(c.name for c in constraints(s) if c.latency == "tFAW")
    log = [(i * s.tRRD_L, ACT, 0, i % 4, i // 4, 1) for i in range(4)]
    early = TimingChecker(s).check(log + [(s.tFAW - 1, ACT, 0, 0, 2, 1)])
    ok = TimingChecker(s).check(log + [(s.tFAW, ACT, 0, 0, 2, 1)])
    assert any(v.kind == name for v in early) and not any(v.kind == name for v in ok)


@pytest.mark.parametrize("log,kind,text", [
    ([(0, ACT, 0, 0, 0, 5), (100, ACT, 0, 0, 0, 6)], "state", "ACT to open bank"),
    ([(0, PRE, 0, 0, 0, -1)], "state", "PRE to closed bank"),
    ([(0, RD, 0, 0, 0, 5)], "state", "RD to closed bank"),
    ([(0, ACT, 0, 0, 0, 5), (100, REF, 0, -1, -1, -1)], "state", "REF to rank 0 with open banks"),
    ([(0, ACT, 0, 0, 0, 5), (0, ACT, 0, 1, 0, 5)], "command bus", "same command-bus cycle"),
    ([(0, ACT, 0, 0, 0, 5), (40, RD, 0, 0, 0, 5), (41, RD, 0, 1, 0, 5)], "data bus", "data bus overlap"),
])
def test_legality_violations_are_caught(log, kind, text):
    s = get_spec("ddr4")
    found = TimingChecker(s).check(log)
    assert any(v.kind == kind and text in v.rule for v in found), found


def test_dual_command_bus_allows_one_row_and_one_column_command_per_cycle():
    s = get_spec("hbm2", dual_command_bus=True)
    base = [(0, ACT, 0, 0, 0, 5), (0 + s.tRRD_S, ACT, 0, 1, 0, 5)]
    ok = base + [(s.tRCDRD + s.tRRD_S, RD, 0, 0, 0, 5), (s.tRCDRD + s.tRRD_S, PRE, 0, 1, 0, -1)]
    assert not [v for v in TimingChecker(s).check(sorted(ok)) if v.kind == "command bus"]
    two_rows = base + [(40, ACT, 0, 2, 0, 5), (40, ACT, 0, 3, 0, 5)]
    assert any(v.kind == "command bus" for v in TimingChecker(s).check(two_rows))


def _requests_run(spec, n=400, **cfg):
    rng = np.random.default_rng(5)
    a = rng.integers(0, spec.capacity_bytes // spec.access_bytes, n) * spec.access_bytes
    w = rng.random(n) < 0.3
    from archsim.memory.dram import run_frontend

    _, system = run_frontend(spec, a, w, np.arange(n), record=True, **cfg)
    return system


@pytest.mark.parametrize("queue_structure", ["per_channel", "per_bank"])
def test_requests_tie_to_commands_and_planted_request_faults_are_caught(queue_structure):
    s = get_spec("ddr4")
    system = _requests_run(s, queue_structure=queue_structure)
    chk = TimingChecker(s, "all_bank")
    assert chk.check_system(system) == []
    log = system.logs[0]
    i = next(k for k, e in enumerate(log) if e[1] == RD)
    rid = log[i][6]
    # 1. the request's address names another row: the open row no longer matches what its address says
    system.address[rid] ^= 1 << (system.mapper.shift["ro"])
    assert any(v.kind == "request" and "row" in v.rule for v in chk.check_system(system))
    system.address[rid] ^= 1 << (system.mapper.shift["ro"])
    # 2. served twice
    log.insert(i + 1, (log[i][0] + 100_000_000,) + tuple(log[i][1:]))
    assert any("served again" in v.rule for v in chk.check_system(system))
    del log[i + 1]
    # 3. never served
    gone = log.pop(i)
    assert any("never served" in v.rule for v in chk.check_system(system))
    log.insert(i, gone)
    # 4. completion reported for another cycle than the command returns data
    system.finish[rid] -= 1
    assert any("reported complete" in v.rule for v in chk.check_system(system))
    system.finish[rid] += 1
    # 5. a read served by a WR
    log[i] = (log[i][0], WR) + tuple(log[i][2:])
    assert any("serves a read request" in v.rule for v in chk.check_system(system))


def test_checker_catches_a_shifted_command_in_a_real_log():
    s = get_spec("hbm2")
    system = _log_of(s, np.random.default_rng(3).integers(0, 1 << 24, 3000) * 32)
    log = max(system.logs, key=len)
    assert TimingChecker(s, "all_bank").check(log) == []
    # move the first RD that follows an ACT one cycle earlier than its tRCD allows
    for i, (t, cmd, *_rest) in enumerate(log):
        if cmd == ACT:
            j = next(k for k in range(i + 1, len(log)) if log[k][1] == RD and log[k][2:5] == log[i][2:5])
            if log[j][0] == t + s.tRCDRD and all(log[k][0] != t + s.tRCDRD - 1 for k in range(len(log))):
                bad = list(log)
                bad[j] = (t + s.tRCDRD - 1,) + log[j][1:]
                bad.sort(key=lambda c: c[0])
                assert any("tRCDRD" in v.kind for v in TimingChecker(s).check(bad))
                return
    pytest.fail("no ACT->RD pair at exactly tRCD found")


def test_checker_flags_missing_refresh():
    s = get_spec("ddr4")
    log = [(0, ACT, 0, 0, 0, 1), (s.tRCD, RD, 0, 0, 0, 1), (10 * s.tREFI, RD, 0, 0, 0, 1)]
    assert any("not refreshed" in str(v) for v in TimingChecker(s, "all_bank").check(log))


def _traffic(spec, kind, n, rng):
    """Random and adversarial address/kind/cycle streams."""
    ab = spec.access_bytes
    cap = spec.capacity_bytes // ab
    if kind == "random_rw":
        a = rng.integers(0, cap, n) * ab
        return a, rng.random(n) < 0.5, np.sort(rng.integers(0, n * 2, n))
    if kind == "row_conflicts":  # few banks, many rows: PRE/ACT/tRC/tRAS/tRP bound
        a = (rng.integers(0, 4, n) + rng.integers(0, 1 << 12, n) * 1024 * 1024) * ab
        return a, rng.random(n) < 0.3, np.arange(n)
    if kind == "rw_turnaround":  # alternating RD/WR on open rows: tWTR, RD->WR, tCCD_L
        a = (np.arange(n) % 64) * ab
        return a, np.arange(n) % 2 == 1, np.arange(n)
    if kind == "act_storm":  # every bank, new row every time: tRRD/tFAW
        a = (np.arange(n) * 7919 % cap) * ab
        return a, np.zeros(n, dtype=bool), np.zeros(n, dtype=np.int64)
    raise ValueError(kind)


KINDS = ("random_rw", "row_conflicts", "rw_turnaround", "act_storm")


def _variants():
    for name in PRESETS:
        s = get_spec(name)
        yield s, {"page_policy": "open"}
        yield s, {"page_policy": "closed"}
        yield s, {"queue_structure": "per_bank"}
        if s.tREFIb:
            yield s, {"refresh": "per_bank"}
    yield get_spec("ddr4", ranks=2), {"mapping": "rorabacochbg"}  # two ranks: tRTRS, rank switching
    yield get_spec("ddr4", ranks=2), {"mapping": "rorabacochbg", "queue_structure": "per_bank"}
    yield get_spec("ddr5", ranks=2), {"mapping": "robarabgcoch", "page_policy": "closed"}
    yield get_spec("gddr6", tPPD=2, t32AW=420, tFAW=16), {"queue_structure": "per_bank"}
    yield get_spec("hbm2", dual_command_bus=True), {"queue_structure": "per_bank"}


def _soak(n, rng, variants):
    """Return (commands per standard, failures) over every variant x traffic kind, requests tied to commands."""
    from archsim.memory.dram import run_frontend

    total: dict[str, int] = {}
    failures = []
    for spec, cfg in variants:
        for kind in KINDS:
            a, w, c = _traffic(spec, kind, n, rng)
            _, system = run_frontend(spec, a, w, c, record=True, **cfg)
            v = TimingChecker(spec, cfg.get("refresh", "all_bank")).check_system(system)
            total[spec.standard] = total.get(spec.standard, 0) + system.n_commands
            if v:
                failures.append((spec.name, cfg, kind, [str(x) for x in v[:3]]))
    return total, failures


def test_zero_violations_with_requests_tied_to_commands():
    total, failures = _soak(400, np.random.default_rng(2026), _variants())
    assert failures == []
    assert min(total.values()) > 1000, total


@pytest.mark.slow
def test_zero_violations_over_a_million_commands_per_standard():
    """>= 10^6 commands per standard (every preset's standard), checker with requests tied to commands."""
    rng = np.random.default_rng(99)
    variants = list(_variants())
    total: dict[str, int] = {}
    n = 6000
    while not total or min(total.values()) < 1_000_000:
        t, failures = _soak(n, rng, variants)
        assert failures == []
        for k, v in t.items():
            total[k] = total.get(k, 0) + v
        variants = [(s, c) for s, c in variants if total[s.standard] < 1_000_000]
    print("commands per standard:", total)
    assert min(total.values()) >= 1_000_000


def test_idle_channel_still_refreshes():  # noqa: D103
    s = get_spec("hbm2")
    system = DramSystem(s, record=True)
    system.submit(0, False, 10 * s.tREFI)
    system.drain()
    counts = [sum(1 for c in log if c[1] == REF) for log in system.logs]
    assert counts == [10] * s.n_channels
    assert _check(system, "all_bank") == []
    assert WR not in {c[1] for log in system.logs for c in log} and PRE not in {c[1] for c in system.logs[1]}
