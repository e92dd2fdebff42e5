"""Request schedulers, registered by name (``ControllerConfig.scheduler``).

A scheduler looks at the queued requests of the current mode (reads or writes) and returns the one
command to issue next together with the cycle it can issue: ``(cycle, kind, bank, index)`` where
``kind`` is ACT, PRE, RD or WR and ``index`` the request's position in its bank queue (-1 for a
close-page PRE).  Cycle-equivalence: choosing the minimum earliest-issue cycle, ties broken by
priority, is what a per-cycle scheduler would pick on that cycle, so the controller can skip idle
cycles.  Adding a policy = a new class decorated with :func:`register_scheduler`.
"""

from __future__ import annotations

import heapq
from typing import TYPE_CHECKING

from archsim.memory.dram._commands import ACT, PRE, RD, WR

if TYPE_CHECKING:
    from archsim.memory.dram._controller import ChannelController

SCHEDULERS: dict[str, type] = {}
INF = 1 << 62


def register_scheduler(name: str):
    """Class decorator adding a scheduler under ``name``."""
    def deco(cls):
        SCHEDULERS[name] = cls
        cls.name = name
        return cls
    return deco


@register_scheduler("frfcfs")
class FrFcfs:
    """First-ready FCFS (Rixner et al., ISCA 2000): among commands ready on the earliest cycle, row hits
    (column commands) first, then the oldest request; a close-page PRE ranks just above ACT/PRE of
    waiting requests."""

    hit_first = True

    def choose(self, q: list, orow: int, col: int) -> tuple[int, int, int, int]:
        """Per-bank choice ``(kind, index, priority, arrival)`` for queue ``q`` with open row ``orow``."""
        if orow >= 0:
            if self.hit_first:
                for i, req in enumerate(q):
                    if req[2] == orow:
                        return (col, i, 0, req[0])
            elif q[0][2] == orow:
                return (col, 0, 1, q[0][0])
            return (PRE, 0, 1, q[0][0])
        return (ACT, 0, 1, q[0][0])

    def push(self, c: ChannelController, b: int, writing: bool) -> None:
        """(Re)compute bank ``b``'s candidate for one mode and push it on that mode's heap.

        Heap entries are ``(cycle, priority, arrival, bank, version, kind, index)``; ``cycle`` is only a lower
        bound once other commands have issued (issue horizons never move back), which :meth:`pick` uses to
        find the exact winner lazily.
        """
        if writing:
            ver, q, heap, col, b_col = c.wver, c.wq[b], c.wheap, WR, c.banks.b_wr
        else:
            ver, q, heap, col, b_col = c.rver, c.rq[b], c.rheap, RD, c.banks.b_rd
        v = ver[b] = ver[b] + 1
        if not q:
            return
        bs = c.banks
        orow = bs.open_row[b]
        # the key's cycle is a cheap lower bound (bank-level horizon); pick() refines it lazily
        if orow < 0:
            t = bs.b_act[b]
            entry = (ACT, 0, 1, q[0][0])
        elif self.hit_first:
            for i, req in enumerate(q):
                if req[2] == orow:
                    t = b_col[b]
                    entry = (col, i, 0, req[0])
                    break
            else:
                t = bs.b_pre[b]
                entry = (PRE, 0, 1, q[0][0])
        else:
            entry = self.choose(q, orow, col)
            t = b_col[b] if entry[0] == col else bs.b_pre[b]
        if t < bs.cmd_ok:
            t = bs.cmd_ok
        heapq.heappush(heap, (t, entry[2], entry[3], b, v, entry[0], entry[1]))

    def pick(self, c: ChannelController, writing: bool, floor: int) -> tuple[int, int, int, int] | None:
        """Return ``(cycle, kind, bank, index)`` of the next command of this mode, or None."""
        heap, ver = (c.wheap, c.wver) if writing else (c.rheap, c.rver)
        blocked = c.blocked
        bs = c.banks
        bank_bg, bank_rank = bs.bank_bg, bs.bank_rank
        if writing:
            b_col, g_col, r_col, col = bs.b_wr, bs.g_wr, bs.r_wr, WR
        else:
            b_col, g_col, r_col, col = bs.b_rd, bs.g_rd, bs.r_rd, RD
        b_act, g_act, r_act, r_faw, tfaw = bs.b_act, bs.g_act, bs.r_act, bs.r_faw, c.spec.tFAW
        heappop, heapreplace = heapq.heappop, heapq.heapreplace
        best = None
        while heap:
            e = heap[0]
            b = e[3]
            if e[4] != ver[b] or (blocked and b in blocked):
                heappop(heap)  # stale, or waiting for refresh (re-pushed when the refresh issues)
                continue
            kind = e[5]
            # earliest issue cycle of this candidate (inlined BankStates.ready)
            if kind == col:
                t = b_col[b]
                v = g_col[bank_bg[b]]
                if v > t:
                    t = v
                v = r_col[bank_rank[b]]
                if v > t:
                    t = v
            elif kind == PRE:
                t = bs.ready(PRE, b)  # tPPD: rank-level PRE->PRE
            else:
                r = bank_rank[b]
                t = b_act[b]
                v = g_act[bank_bg[b]]
                if v > t:
                    t = v
                v = r_act[r]
                if v > t:
                    t = v
                f = r_faw[r]
                if len(f) == 4 and f[0] + tfaw > t:
                    t = f[0] + tfaw
            if t < floor:
                t = floor
            if t == e[0]:
                best = (t, kind, b, e[6], e[1], e[2])
                break
            heapreplace(heap, (t,) + e[1:])
        if c.to_close:
            for b in c.to_close:
                if blocked and b in blocked:
                    continue
                t = bs.ready(PRE, b)
                if t < floor:
                    t = floor
                if best is None or t < best[0] or (t == best[0] and best[4] >= 1):
                    best = (t, PRE, b, -1, 1, -1)
        return best


@register_scheduler("fcfs")
class Fcfs(FrFcfs):
    """In-order per bank: each bank serves its oldest request first (no row-hit reordering); across banks
    the earliest-ready, then oldest, command goes first."""

    hit_first = False
