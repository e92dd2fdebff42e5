"""The timing rules of PIM-enabled DRAM: the JEDEC rules extended to all-bank and PIM commands.

One table of ``(earlier, later, scope, min_gap_tck, name)`` serves the command engine (earliest issue
cycle of each command) and the checker (replaying a log).  Scopes: ``bank`` (the same bank; an all-bank
command touches every bank), ``bg`` (same bank group), ``unit`` (same PIM unit), ``channel``.
With ``row_buffers="dual"`` bank-scoped rules between the host row buffer (ACT, PRE, RD, WR) and the PIM
row buffer (ACT_AB, PRE_AB, MAC_AB) are dropped: the two buffers work independently, sharing the command
bus, the data bus and the activation power budget.
"""

from __future__ import annotations

from collections.abc import Callable

from archsim.core.errors import ConfigError
from archsim.memory.pim._commands import (
    ACT,
    ACT_AB,
    MAC_AB,
    MAC_SB,
    PRE,
    PRE_AB,
    RD,
    RDACC,
    REF,
    WR,
    WRGRF,
)
from archsim.memory.pim._spec import PimSpec

BANK, BG, UNIT, CHANNEL = "bank", "bg", "unit", "channel"
SCOPES = (BANK, BG, UNIT, CHANNEL)
#: extra rule sources: ``fn(pim) -> [(earlier, later, scope, gap_tck, name), ...]`` (see :func:`register_rules`)
RULE_SOURCES: list[Callable[[PimSpec], list[tuple[int, int, str, int, str]]]] = []


def register_rules(source: Callable[[PimSpec], list[tuple[int, int, str, int, str]]]):
    """Add a rule source (a new constraint or command kind) used by both the engine and the checker.

    Usable as a decorator; returns ``source``.  Remove it again with ``RULE_SOURCES.remove(source)``.
    """
    RULE_SOURCES.append(source)
    return source
_HOST_BUF = {ACT, PRE, RD, WR}
_PIM_BUF = {ACT_AB, PRE_AB, MAC_AB}


def pim_rules(pim: PimSpec, physical: bool = False) -> list[tuple[int, int, str, int, str]]:
    """Return every rule ``(earlier, later, scope, gap_tck, name)`` of ``pim``.

    ``physical``: MAC spacing at the device's floor (``pim.min_col_interval``: unit period, tCCD_S) instead
    of the configured ``col_interval``; the timing checker uses it, so a configured interval cannot make
    its own schedule look legal."""
    s = pim.dram
    bl = s.burst_cycles
    ci = pim.min_col_interval if physical else pim.col_interval
    acts, pres = (ACT, ACT_AB), (PRE, PRE_AB)
    cols_rd = (RD, MAC_AB, MAC_SB)
    rules: list[tuple[int, int, str, int, str]] = []
    for a in acts:
        for c in cols_rd:
            rules.append((a, c, BANK, s.tRCDRD, "tRCDRD"))
        rules.append((a, WR, BANK, s.tRCDWR, "tRCDWR"))
        for p in pres:
            rules.append((a, p, BANK, s.tRAS, "tRAS"))
            rules.append((p, a, BANK, s.tRP, "tRP"))
        for a2 in acts:
            rules.append((a, a2, BANK, s.tRC, "tRC"))
        rules.append((a, REF, CHANNEL, s.tRC, "tRC before REF"))
        rules.append((REF, a, CHANNEL, s.tRFC, "tRFC"))
    for p in pres:
        for c in cols_rd:
            rules.append((c, p, BANK, s.tRTP, "tRTP"))
        rules.append((WR, p, BANK, s.CWL + bl + s.tWR, "CWL+BL+tWR"))
        rules.append((p, REF, CHANNEL, s.tRP, "tRP before REF"))
    rules.append((REF, REF, CHANNEL, s.tRFC, "tRFC"))
    # host column path vs in-bank MAC reads of the same bank (one bank I/O)
    for m in (MAC_AB, MAC_SB):
        rules.append((RD, m, BANK, s.tCCD_L, "tCCD_L (RD->MAC)"))
        rules.append((m, RD, BANK, s.tCCD_L, "tCCD_L (MAC->RD)"))
    # activation rate and power
    rules.append((ACT, ACT, CHANNEL, s.tRRD_S, "tRRD_S"))
    rules.append((ACT, ACT, BG, s.tRRD_L, "tRRD_L"))
    rules.append((ACT_AB, ACT_AB, CHANNEL, pim.faw_ab, "tFAW_AB"))
    rules.append((ACT_AB, ACT, CHANNEL, pim.faw_ab, "tFAW_AB"))
    rules.append((ACT, ACT_AB, CHANNEL, s.tFAW, "tFAW before ACT_AB"))
    # unit issue rate
    rules.append((MAC_AB, MAC_AB, CHANNEL, ci, "MAC interval"))
    rules.append((MAC_AB, MAC_SB, CHANNEL, ci, "MAC interval"))
    rules.append((MAC_SB, MAC_AB, CHANNEL, ci, "MAC interval"))
    rules.append((MAC_SB, MAC_SB, UNIT, ci, "MAC interval"))
    # data bus: RD-like (RD, RDACC) and WR-like (WR, WRGRF) transfers
    for r in (RD, RDACC):
        for r2 in (RD, RDACC):
            rules.append((r, r2, CHANNEL, s.tCCD_S, "tCCD_S"))
        for w in (WR, WRGRF):
            rules.append((r, w, CHANNEL, s.CL + bl + 2 - s.CWL, "CL+BL+2-CWL"))
            rules.append((w, r, CHANNEL, s.CWL + bl + s.tWTR_S, "CWL+BL+tWTR_S"))
    for w in (WR, WRGRF):
        for w2 in (WR, WRGRF):
            rules.append((w, w2, CHANNEL, s.tCCD_S, "tCCD_S"))
    rules.append((RD, RD, BG, s.tCCD_L, "tCCD_L"))
    rules.append((WR, WR, BG, s.tCCD_L, "tCCD_L"))
    rules.append((WR, RD, BG, s.CWL + bl + s.tWTR_L, "CWL+BL+tWTR_L"))
    # register files: GRF written before the MACs that read it; partial sums read after the pipeline
    for m in (MAC_AB, MAC_SB):
        rules.append((WRGRF, m, CHANNEL, s.CWL + bl, "CWL+BL (GRF loaded)"))
        rules.append((m, WRGRF, CHANNEL, ci, "MAC interval (GRF in use)"))
        rules.append((m, RDACC, CHANNEL, pim.mac_to_read, "unit pipeline"))
    for source in RULE_SOURCES:
        for rule in source(pim):
            if len(rule) != 5 or rule[2] not in SCOPES or not isinstance(rule[3], int) or rule[3] < 0:
                raise ConfigError(f"rule must be (earlier, later, scope in {', '.join(SCOPES)}, gap >= 0, name), "
                                  f"not {rule!r}")
            rules.append(tuple(rule))
    if pim.row_buffers == "dual":
        rules = [r for r in rules if not (r[2] == BANK and ((r[0] in _HOST_BUF and r[1] in _PIM_BUF)
                                                             or (r[0] in _PIM_BUF and r[1] in _HOST_BUF)))]
    return rules


def max_gap(pim: PimSpec) -> int:
    """Return the longest rule distance (tCK): older commands can no longer constrain anything."""
    return max(max(r[3] for r in pim_rules(pim)), pim.dram.tFAW)
