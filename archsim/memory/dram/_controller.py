"""The controller of one (pseudo-)channel: queues, scheduling, refresh, command issue.

Event-driven: instead of ticking every tCK, each step asks the scheduler for the command that can issue
earliest (ties by priority) and jumps straight to that cycle, unless a request arrival or a refresh
deadline comes first.  This issues exactly the commands a per-cycle FR-FCFS controller would, because
issue horizons only move forward.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable

from archsim.memory.dram._bank import BankStates
from archsim.memory.dram._commands import ACT, PRE, RD, REF, WR
from archsim.memory.dram._config import ControllerConfig
from archsim.memory.dram._refresh import REFRESHERS
from archsim.memory.dram._scheduler import SCHEDULERS
from archsim.memory.dram._spec import DramSpec

INF = 1 << 62


class ChannelController:
    """Read/write queues and FR-FCFS scheduling for one channel.

    Requests are ``(arrival_cycle, request_id, flat_bank, row, is_write)``; flat bank =
    ``(rank * bank_groups + bg) * banks_per_group + bank``.  Completion cycles are written to the shared
    ``finish`` list at ``request_id`` (reads: last data beat returned; writes: last beat written).
    """

    def __init__(self, spec: DramSpec, config: ControllerConfig, channel: int = 0,
                 finish: list[int] | None = None, log: list | None = None,
                 callback: Callable[[int, int], None] | None = None) -> None:
        self.spec = spec
        self.config = config
        self.channel = channel
        self.banks = BankStates(spec)
        nb = self.banks.n_banks
        self.rq: list[list[tuple]] = [[] for _ in range(nb)]
        self.wq: list[list[tuple]] = [[] for _ in range(nb)]
        self.rbanks: set[int] = set()
        self.wbanks: set[int] = set()
        self.nr = 0
        self.nw = 0
        self.to_close: set[int] = set()
        # scheduler heaps of per-bank candidates (lazy: entries carry a version per bank)
        self.rheap: list[tuple] = []
        self.wheap: list[tuple] = []
        self.rver = [0] * nb
        self.wver = [0] * nb
        self.blocked: set[int] = set()
        self.pending: deque[tuple] = deque()
        self.finish = finish if finish is not None else []
        self.log = log
        self.callback = callback
        self.now = 0
        self._stop_after_col = False
        self.writing = False
        self.counts = [0] * 6
        self.scheduler = SCHEDULERS[config.scheduler]()
        self.refresh = REFRESHERS[config.refresh](self)
        self.closed_page = config.page_policy == "closed"
        s = spec
        self._bg_of = [(b // s.banks_per_group) % s.bank_groups for b in range(nb)]
        self._ba_of = [b % s.banks_per_group for b in range(nb)]

    # ------------------------------------------------------------------ API
    def enqueue(self, arrival: int, rid: int, bank: int, row: int, is_write: bool) -> None:
        """Add a request arriving at ``arrival`` (tCK); arrivals must be added in non-decreasing order."""
        self.pending.append((arrival, rid, bank, row, is_write))

    def has_room(self, is_write: bool) -> bool:
        """True when the queue of that direction has a free entry (pending arrivals counted)."""
        if self.pending:
            return False
        return self.nw < self.config.write_queue if is_write else self.nr < self.config.read_queue

    def accept(self, cycle: int, is_write: bool) -> int:
        """Simulate through tick ``cycle`` (and on, one tCK at a time) until a request of that direction fits;
        return that tick."""
        self.run(cycle)
        while not self.has_room(is_write):
            self._stop_after_col = True  # run on to the next column command: it frees a queue entry
            try:
                self.run()
            finally:
                self._stop_after_col = False
            cycle = max(cycle, self.now)
        return cycle

    @property
    def idle(self) -> bool:
        """True when no request is queued or waiting to enter a queue."""
        return not self.pending and self.nr == 0 and self.nw == 0

    def run(self, until: int = INF) -> None:
        """Simulate until every request is served (``until`` infinite), or up to cycle ``until`` included:
        with a finite ``until`` refreshes keep being issued on an idle channel."""
        bs = self.banks
        cfg = self.config
        rcap, wcap, whi, wlo = cfg.read_queue, cfg.write_queue, cfg.write_high, cfg.write_low
        pending = self.pending
        rq, wq, rbanks, wbanks = self.rq, self.wq, self.rbanks, self.wbanks
        refresh = self.refresh
        pick = self.scheduler.pick
        finish = self.finish
        counts = self.counts
        log = self.log
        rlat, wlat = bs.read_latency, bs.write_latency
        closed = self.closed_page
        to_close = self.to_close
        open_row = bs.open_row
        issue = bs.issue
        callback = self.callback
        push = self.scheduler.push
        rver, wver = self.rver, self.wver
        now = self.now
        ref_due = refresh.next_due()
        while True:
            # admit arrivals that have come and fit
            while pending:
                arr, rid, b, row, w = pending[0]
                if arr > now:
                    break
                if w:
                    if self.nw >= wcap:
                        break
                    wq[b].append((arr, rid, row))
                    wbanks.add(b)
                    push(self, b, True)
                    self.nw += 1
                else:
                    if self.nr >= rcap:
                        break
                    rq[b].append((arr, rid, row))
                    rbanks.add(b)
                    push(self, b, False)
                    self.nr += 1
                pending.popleft()
            if now >= ref_due:
                refresh.on_time(now)
                ref_due = refresh.next_due()
            nr, nw = self.nr, self.nw
            if self.writing:
                if nw == 0 or (nw <= wlo and nr > 0):
                    self.writing = False
            elif nw >= whi or (nr == 0 and nw > 0):
                self.writing = True
            floor = now if now > bs.cmd_ok else bs.cmd_ok
            cand = pick(self, self.writing, floor) if (nr or nw or to_close) else None
            rc = refresh.candidate(floor) if refresh.pending else None
            if rc is not None and (cand is None or rc[0] <= cand[0]):
                t_next = rc[0]
            elif cand is not None:
                t_next = cand[0]
                rc = None
            else:
                t_next = INF
            # next external event
            ev = ref_due
            if pending:
                arr, _, _, _, w = pending[0]
                if (self.nw < wcap) if w else (self.nr < rcap):
                    if arr < ev:
                        ev = arr
            if ev <= t_next:
                if ev > until or (until == INF and t_next == INF and not pending and nr == 0 and nw == 0):
                    break  # nothing left before ``until`` (when draining: no work, only refreshes would remain)
                now = ev
                continue
            if t_next > until:
                break
            t = t_next
            now = t
            if rc is not None:
                cmd, target = rc[1], rc[2]
                issue(cmd, t, target)
                if cmd == PRE:
                    to_close.discard(target)
                refresh.on_issue(cmd, target, t)
                for bb in (bs.rank_banks[target] if cmd == REF else (target,)):
                    push(self, bb, False)
                    push(self, bb, True)
                ref_due = refresh.next_due()
                counts[cmd] += 1
                if log is not None:
                    if cmd == REF:
                        log.append((t, REF, target, -1, -1, -1))
                    else:
                        log.append((t, cmd, bs.bank_rank[target], self._bg_of[target], self._ba_of[target], -1))
                continue
            kind, b, idx = cand[1], cand[2], cand[3]
            if kind == RD or kind == WR:
                if kind == RD:
                    q = rq[b]
                    req = q.pop(idx)
                    if not q:
                        rbanks.discard(b)
                    self.nr -= 1
                    done = t + rlat
                else:
                    q = wq[b]
                    req = q.pop(idx)
                    if not q:
                        wbanks.discard(b)
                    self.nw -= 1
                    done = t + wlat
                row = open_row[b]
                issue(kind, t, b)
                finish[req[1]] = done
                if callback is not None:
                    callback(req[1], done)
                if closed:
                    hit = False
                    for r2 in rq[b]:
                        if r2[2] == row:
                            hit = True
                            break
                    if not hit:
                        for r2 in wq[b]:
                            if r2[2] == row:
                                hit = True
                                break
                    if not hit:
                        to_close.add(b)
            elif kind == ACT:
                row = (wq[b] if self.writing else rq[b])[idx][2]
                issue(ACT, t, b, row)
            else:  # PRE
                row = -1
                issue(PRE, t, b)
                to_close.discard(b)
            if rq[b]:
                push(self, b, False)
            else:
                rver[b] += 1
            if wq[b]:
                push(self, b, True)
            else:
                wver[b] += 1
            counts[kind] += 1
            if log is not None:
                log.append((t, kind, bs.bank_rank[b], self._bg_of[b], self._ba_of[b], row,
                            req[1] if kind == RD or kind == WR else -1))
            if self._stop_after_col and (kind == RD or kind == WR):
                break
        self.now = now
