"""Timing checker for logs with PIM commands: the DRAM checker, extended (not edited).

:class:`PimTimingChecker` runs the DRAM engineer's :class:`~archsim.memory.dram._checker.TimingChecker` on
the standard commands of the log (codes below 16) and then replays the whole log, PIM commands included,
against :func:`~archsim.memory.pim._rules.pim_rules`: pairwise distances (against the most recent earlier
command in each scope; an all-bank command is in every bank's scope), one command per tCK, the
four-activate window, and bank-state legality of the all-bank commands (ACT_AB only with every bank
closed, MAC_AB only with every bank open, REF only with every bank of both row buffers closed).
"""

from __future__ import annotations

from collections import defaultdict, deque
from collections.abc import Iterable

from archsim.memory.dram._checker import TimingChecker, Violation
from archsim.memory.pim._commands import (
    ACT,
    ACT_AB,
    ALL_BANK,
    MAC_AB,
    MAC_SB,
    PRE,
    PRE_AB,
    RD,
    REF,
    WR,
    command_name,
)
from archsim.memory.pim._rules import BANK, BG, CHANNEL, UNIT, pim_rules
from archsim.memory.pim._spec import PimSpec


class PimTimingChecker:
    """Checks PIM command logs; :meth:`check` returns every :class:`Violation` (DRAM rules and PIM rules)."""

    def __init__(self, pim: PimSpec, refresh: str = "none") -> None:
        self.pim = pim
        self.dram_checker = TimingChecker(pim.dram, refresh=refresh)
        self.rules = pim_rules(pim, physical=True)

    def check(self, commands: Iterable[tuple], channel: int = 0) -> list[Violation]:
        """Return the violations in one channel's log of ``(cycle, cmd, rank, bg, bank, row)`` tuples."""
        log = list(commands)
        std = [c for c in log if c[1] < 16 and not (self.pim.row_buffers == "dual" and False)]
        out = list(self.dram_checker.check(std, channel))
        out.extend(self._check_pim(log, channel))
        return sorted(out, key=lambda v: v.cycle)

    def _check_pim(self, log: list[tuple], channel: int) -> list[Violation]:
        pim, s = self.pim, self.pim.dram
        nb, bpg = s.banks, s.banks_per_group
        bpu = pim.banks_per_unit
        dual = pim.row_buffers == "dual"
        out: list[Violation] = []
        last: dict[tuple, int] = {}
        open_h: dict[int, int] = {}
        open_p: dict[int, int] = open_h if not dual else {}
        acts: deque[int] = deque(maxlen=4)
        prev = -1

        def bad(cycle: int, msg: str) -> None:
            out.append(Violation(channel, cycle, msg))

        by_later: dict[int, list] = defaultdict(list)
        for e, later, scope, gap, name in self.rules:
            by_later[later].append((e, scope, gap, name))
        for cycle, cmd, _rank, bg, bank, row in log:
            name = command_name(cmd)
            if cycle <= prev:
                bad(cycle, f"{name} on the same command-bus cycle as (or before) the previous command")
            prev = cycle
            flat = bg * bpg + bank if bg >= 0 else -1
            touched = range(nb) if cmd in ALL_BANK or cmd == REF else ([flat] if flat >= 0 else [])
            unit = flat // bpu if cmd == MAC_SB else -1
            # state legality
            if cmd == ACT_AB:
                if open_p:
                    bad(cycle, f"ACT_AB with open banks {sorted(open_p)}")
                for b in range(nb):
                    open_p[b] = row
            elif cmd == MAC_AB:
                if len(open_p) != nb or any(r != row for r in open_p.values()):
                    bad(cycle, f"MAC_AB to row {row} while the open banks are {dict(open_p)}")
                if not 0 <= bank < bpu:
                    bad(cycle, f"MAC_AB bank-of-unit must be in 0..{bpu - 1}, not {bank}")
            elif cmd == PRE_AB:
                open_p.clear()
            elif cmd == ACT:
                if flat in open_h or (not dual and flat in open_p):
                    bad(cycle, f"ACT to open bank {flat}")
                open_h[flat] = row
                if len(acts) == 4 and cycle - acts[0] < s.tFAW:
                    bad(cycle, f"tFAW: 5th ACT {cycle - acts[0]} < {s.tFAW} after the 4th previous")
                acts.append(cycle)
            elif cmd in (MAC_SB, RD, WR):
                if open_h.get(flat) != row:
                    bad(cycle, f"{name} to row {row} of bank {flat} whose open row is {open_h.get(flat)}")
            elif cmd == PRE:
                open_h.pop(flat, None)
            elif cmd == REF:
                if open_h or open_p:
                    bad(cycle, "REF with open banks")
            # pairwise rules
            for e, scope, gap, rname in by_later.get(cmd, ()):
                if scope == CHANNEL:
                    keys = [(e, CHANNEL)]
                elif scope == UNIT:
                    if cmd != MAC_SB:
                        continue
                    keys = [(e, UNIT, unit)]
                elif scope == BG:
                    if flat < 0:
                        continue
                    keys = [(e, BG, flat // bpg)]
                else:
                    keys = [(e, BANK, b) for b in touched]
                for k in keys:
                    p = last.get(k)
                    if p is not None and cycle - p < gap:
                        bad(cycle, f"{rname}: {command_name(e)}->{name} in {scope} {cycle - p} < {gap}")
                        break
            last[(cmd, CHANNEL)] = cycle
            for b in touched:
                last[(cmd, BANK, b)] = cycle
            if flat >= 0:
                last[(cmd, BG, flat // bpg)] = cycle
            if unit >= 0:
                last[(cmd, UNIT, unit)] = cycle
        return out
