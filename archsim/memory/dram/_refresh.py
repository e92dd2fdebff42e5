"""Refresh managers, registered by name (``ControllerConfig.refresh``).

``all_bank``: every rank gets a REF each tREFI (ranks staggered by tREFI / ranks); when one falls due the
rank stops taking new activations, its open banks are precharged and REF issues as soon as tRP/tRC/tRFC
allow.  ``per_bank``: one REFB every tREFIb per rank, banks in round robin; only the target bank is
blocked.  ``none``: no refresh (for studies that ignore it).  Due times advance by exactly tREFI
(tREFIb) so the average refresh rate is the JEDEC one whatever the delays.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from archsim.core.errors import ConfigError
from archsim.memory.dram._commands import PRE, REF, REFB

if TYPE_CHECKING:
    from archsim.memory.dram._controller import ChannelController

INF = 1 << 62
REFRESHERS: dict[str, type] = {}


def register_refresh(name: str):
    """Class decorator adding a refresh manager under ``name``."""
    def deco(cls):
        REFRESHERS[name] = cls
        cls.name = name
        return cls
    return deco


def initial_dues(spec, refresh: str) -> list[int]:
    """First refresh due cycle (tCK) of each rank: ``all_bank`` ranks staggered as DRAMsim3's
    RANK_LEVEL_STAGGERED (rank r due at (r+1) tREFI/ranks; tREFI for one rank), ``per_bank`` at
    tREFIb + r tREFIb/ranks.  The controller and the fast transfer path both start from these."""
    if refresh == "per_bank":
        return [spec.tREFIb + r * spec.tREFIb // spec.ranks for r in range(spec.ranks)]
    return [(r + 1) * (spec.tREFI // spec.ranks) for r in range(spec.ranks)]


@register_refresh("none")
class NoRefresh:
    """Never refreshes."""

    pending: tuple | list | dict = ()

    def __init__(self, c: ChannelController) -> None:
        self.c = c

    def next_due(self) -> int:
        return INF

    def on_time(self, now: int) -> None:
        pass

    def candidate(self, floor: int) -> tuple[int, int, int] | None:
        return None

    def on_issue(self, cmd: int, target: int, t: int) -> None:
        pass


@register_refresh("all_bank")
class AllBankRefresh(NoRefresh):
    """REF to each rank every tREFI."""

    def __init__(self, c: ChannelController) -> None:
        super().__init__(c)
        s = c.spec
        self.due = initial_dues(s, "all_bank")
        self.pending: list[int] = []

    def next_due(self) -> int:
        best = INF
        for r, d in enumerate(self.due):
            if d < best and r not in self.pending:
                best = d
        return best

    def on_time(self, now: int) -> None:
        for r, d in enumerate(self.due):
            if d <= now and r not in self.pending:
                self.pending.append(r)
                self.c.blocked.update(self.c.banks.rank_banks[r])

    def candidate(self, floor: int) -> tuple[int, int, int] | None:
        bs = self.c.banks
        best = None
        for r in self.pending:
            if bs.open_count[r]:
                for b in bs.rank_banks[r]:
                    if bs.open_row[b] >= 0:
                        t = max(bs.ready(PRE, b), bs.cmd_ok, floor)
                        if best is None or t < best[0]:
                            best = (t, PRE, b)
            else:
                t = max(bs.ref_ready(r), floor)
                if best is None or t < best[0]:
                    best = (t, REF, r)
        return best

    def on_issue(self, cmd: int, target: int, t: int) -> None:
        if cmd == REF:
            self.pending.remove(target)
            self.due[target] += self.c.spec.tREFI
            self.c.blocked.difference_update(self.c.banks.rank_banks[target])


@register_refresh("per_bank")
class PerBankRefresh(NoRefresh):
    """REFB to one bank per rank every tREFIb, round robin over the rank's banks."""

    def __init__(self, c: ChannelController) -> None:
        super().__init__(c)
        s = c.spec
        if s.tREFIb == 0:
            raise ConfigError(f"refresh must be all_bank or none for {s.name} (no per-bank refresh: tREFIb is 0), "
                              "not 'per_bank'")
        self.due = initial_dues(s, "per_bank")
        self.next_bank = [0] * s.ranks
        self.pending: dict[int, int] = {}  # rank -> flat bank

    def next_due(self) -> int:
        best = INF
        for r, d in enumerate(self.due):
            if d < best and r not in self.pending:
                best = d
        return best

    def on_time(self, now: int) -> None:
        bs = self.c.banks
        for r, d in enumerate(self.due):
            if d <= now and r not in self.pending:
                b = bs.rank_banks[r][self.next_bank[r]]
                self.pending[r] = b
                self.c.blocked.add(b)

    def candidate(self, floor: int) -> tuple[int, int, int] | None:
        bs = self.c.banks
        best = None
        for b in self.pending.values():
            if bs.open_row[b] >= 0:
                t, cmd = max(bs.ready(PRE, b), bs.cmd_ok, floor), PRE
            else:
                t, cmd = max(bs.refb_ready(b), floor), REFB
            if best is None or t < best[0]:
                best = (t, cmd, b)
        return best

    def on_issue(self, cmd: int, target: int, t: int) -> None:
        if cmd == REFB:
            r = self.c.banks.bank_rank[target]
            del self.pending[r]
            self.due[r] += self.c.spec.tREFIb
            self.next_bank[r] = (self.next_bank[r] + 1) % self.c.spec.banks
            self.c.blocked.discard(target)
