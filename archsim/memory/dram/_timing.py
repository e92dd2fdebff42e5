"""DRAM timing constraints declared once, as data.

Each :class:`TimingConstraint` says: after a ``preceding`` command at some node of the hierarchy, a
``following`` command at a node related by ``level`` may issue no earlier than ``latency`` tCK later
(Ramulator 2's ``TimingConstraint(level, preceding, following, latency)``, python/ramulator/dram/*.py).
``latency`` is an expression over :class:`DramSpec` field names plus ``BL`` (burst cycles on the data
bus); ``window`` > 0 makes it a rolling-window constraint (at most ``window`` preceding commands in any
``latency`` cycles: tFAW, t32AW).  ``source`` names the JEDEC table (or the peer) the rule comes from.

Levels: ``bank`` (same bank), ``bankgroup`` (any bank of the same bank group, the same bank included),
``rank`` (any bank of the same rank), ``other_ranks`` (any bank of another rank of the channel),
``channel`` (any rank).  REF is a rank command: a rule whose preceding or following command is REF
applies at rank level even when declared for a bank.

The one table :func:`constraints` is read by the controller (:class:`~archsim.memory.dram._bank.BankStates`
compiles it into horizon updates) and, separately, by the timing checker, which replays command logs
pairwise against the same declarations, so the controller's bookkeeping is checked against the rules
rather than against itself.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from archsim.core.errors import ConfigError
from archsim.memory.dram._commands import ACT, NAMES, PRE, RD, REF, REFB, WR
from archsim.memory.dram._spec import DramSpec

LEVELS = ("bank", "bankgroup", "rank", "other_ranks", "channel")
CODES = {n: i for i, n in enumerate(NAMES)}


@dataclass(frozen=True)
class TimingConstraint:
    """One timing rule: ``following`` may issue ``latency`` tCK after ``preceding`` at ``level``."""

    level: str
    preceding: tuple[str, ...]
    following: tuple[str, ...]
    latency: str
    source: str
    window: int = 0

    def value(self, spec: DramSpec) -> int:
        """Return the latency in tCK for ``spec`` (the expression evaluated over its fields)."""
        names = {f: getattr(spec, f) for f in spec.__dataclass_fields__ if isinstance(getattr(spec, f), int)}
        names["BL"] = spec.burst_cycles
        names["tRTRS_WW"] = spec.tRTRS if spec.tRTRS_WW is None else spec.tRTRS_WW
        try:
            return int(eval(self.latency, {"__builtins__": {}, "max": max}, names))  # noqa: S307 - our own table
        except NameError as exc:
            raise ConfigError(f"timing constraint {self.latency!r} names an unknown field: {exc}") from None

    @property
    def name(self) -> str:
        """A readable label: ``PRE->ACT tRP``."""
        return f"{'/'.join(self.preceding)}->{'/'.join(self.following)} {self.latency}"


def _c(level: str, pre: str, fol: str, lat: str, src: str, window: int = 0) -> TimingConstraint:
    return TimingConstraint(level, tuple(pre.split()), tuple(fol.split()), lat, src, window)


_DDR4 = "JESD79-4 Table 132 (DDR4 timing parameters)"
_RTW = "JESD79-4 sec. 4.24/Table 132 note: tRTW = RL + BL/2 - WL + 2 tCK (turnaround); DRAMsim3 timing.cc uses tRTRS"


def constraints(spec: DramSpec) -> list[TimingConstraint]:
    """Return the timing constraints that apply to ``spec`` (the one table; zero-valued optional ones left out)."""
    s = spec
    out = [
        # --- bank
        _c("bank", "ACT", "ACT", "tRC", _DDR4 + ": tRC"),
        _c("bank", "ACT", "RD", "tRCDRD", _DDR4 + ": tRCD (JESD250 GDDR6 / JESD235 HBM: tRCDRD)"),
        _c("bank", "ACT", "WR", "tRCDWR", _DDR4 + ": tRCD (JESD250 GDDR6 / JESD235 HBM: tRCDWR)"),
        _c("bank", "ACT", "PRE", "tRAS", _DDR4 + ": tRAS"),
        _c("bank", "PRE", "ACT", "tRP", _DDR4 + ": tRP"),
        _c("bank", "RD", "PRE", "tRTP", _DDR4 + ": tRTP"),
        _c("bank", "WR", "PRE", "CWL + BL + tWR", _DDR4 + ": WL + BL/2 + tWR"),
        # --- bank group
        _c("bankgroup", "ACT", "ACT", "tRRD_L", _DDR4 + ": tRRD_L"),
        _c("bankgroup", "RD", "RD", "tCCD_L", _DDR4 + ": tCCD_L"),
        _c("bankgroup", "WR", "WR", "tCCD_L", _DDR4 + ": tCCD_L"),
        _c("bankgroup", "WR", "RD", "CWL + BL + tWTR_L", _DDR4 + ": WL + BL/2 + tWTR_L"),
        # --- rank
        _c("rank", "ACT", "ACT", "tRRD_S", _DDR4 + ": tRRD_S"),
        _c("rank", "ACT", "ACT", "tFAW", _DDR4 + ": tFAW (four-activate window)", window=4),
        _c("rank", "RD", "RD", "tCCD_S", _DDR4 + ": tCCD_S"),
        _c("rank", "WR", "WR", "tCCD_S", _DDR4 + ": tCCD_S"),
        _c("rank", "WR", "RD", "CWL + BL + tWTR_S", _DDR4 + ": WL + BL/2 + tWTR_S"),
        _c("channel", "RD", "WR", "CL + BL + rtw_turnaround - CWL", _RTW),
        # --- across ranks (data-bus hand-over)
        _c("other_ranks", "RD", "RD", "BL + tRTRS",
           "JESD79-4 sec. 4.23 rank-to-rank: BL/2 + tRTRS (DRAMsim3 timing.cc)"),
        _c("other_ranks", "WR", "WR", "BL + tRTRS_WW",
           "rank-to-rank WR->WR: BL/2 + tRTRS_WW (DRAMsim3 timing.cc: BL/2)"),
        _c("other_ranks", "WR", "RD", "CWL + BL + tRTRS - CL", "JESD79-4 sec. 4.23: WL + BL/2 + tRTRS - RL"),
        # --- refresh
        _c("rank", "PRE", "REF", "tRP", _DDR4 + ": tRP before REF"),
        _c("rank", "ACT", "REF", "tRC", _DDR4 + ": tRC before REF"),
        _c("rank", "REF", "ACT REF", "tRFC", _DDR4 + ": tRFC"),
    ]
    if s.tRFCb:
        out += [
            _c("bank", "REFB", "ACT", "tRFCb", "JESD235 HBM2 tRFCSB / JESD209-5 tRFCpb"),
            _c("bank", "PRE", "REFB", "tRP", "JESD235: tRP before REFSB"),
            _c("bank", "ACT", "REFB", "tRC", "JESD235: tRC before REFSB"),
            _c("rank", "REF", "REFB", "tRFC", "JESD235: tRFC"),
        ]
    if s.tPPD:
        out.append(_c("rank", "PRE", "PRE", "tPPD", "JESD250 GDDR6 tPPD (PRE to PRE, any bank); DRAMsim3 timing.cc"))
    if s.t32AW:
        out.append(_c("rank", "ACT", "ACT", "t32AW", "JESD250 GDDR6 t32AW (32-activate window)", window=32))
    return out


def compile_updates(spec: DramSpec) -> tuple[list[list[tuple[str, int, int]]], list[tuple[int, int, int]]]:
    """Return (per preceding code: [(level, following code, latency)], windows [(code, count, latency)]).

    What :class:`BankStates` applies on each issue; windows are rank-level rolling windows of ACTs.  Compiled
    once per spec (every controller the fast path builds reuses it); the result is a fresh copy (callers may
    keep it).
    """
    upd, windows = _compiled(spec)
    return [list(u) for u in upd], list(windows)


@lru_cache(maxsize=64)
def _compiled(spec: DramSpec) -> tuple[tuple[tuple[tuple[str, int, int], ...], ...], tuple[tuple[int, int, int], ...]]:
    upd: list[list[tuple[str, int, int]]] = [[] for _ in NAMES]
    windows: list[tuple[int, int, int]] = []
    for c in constraints(spec):
        if c.level not in LEVELS:
            raise ConfigError(f"timing constraint level must be one of {', '.join(LEVELS)}, not {c.level!r}")
        v = c.value(spec)
        for p in c.preceding:
            for f in c.following:
                if c.window:
                    windows.append((CODES[f], c.window, v))
                    continue
                level = c.level
                if (p == "REF" or f == "REF") and level in ("bank", "bankgroup"):
                    level = "rank"
                upd[CODES[p]].append((level, CODES[f], v))
    return tuple(tuple(u) for u in upd), tuple(windows)


__all__ = ["TimingConstraint", "constraints", "compile_updates", "LEVELS", "ACT", "PRE", "RD", "WR", "REF", "REFB"]
