"""A controller with a transaction queue in front of per-bank command queues (``queue_structure="per_bank"``).

The structure of DRAMsim3's ``Controller`` + ``CommandQueue`` (src/controller.cc, src/command_queue.cc), written
from its description, not its code:

* requests enter a read or a write transaction queue (``read_queue``/``write_queue`` entries);
* each tCK at most one transaction moves to its bank's command queue (``cmd_queue`` entries per bank): the first
  one, in arrival order, whose bank queue has room;
* write drain (``write_policy="dramsim3"``): the write queue feeds the command queues instead of the read queue
  once it is full, or holds more than ``write_drain_min`` writes while every command queue is empty, until that
  many writes have moved;
* each tCK one command issues (two on a ``dual_command_bus``: one row and one column command): bank queues are
  visited round robin from the one after the last that issued; in a queue the first request (in order) whose next
  command (ACT, PRE, RD, WR) is ready wins; a PRE is only for the queue's head and only when no queued request hits
  the open row or the row has served ``row_hit_cap`` column commands;
* refresh: a due REF (or its PREs) goes first when ready; the refreshing rank's queues wait meanwhile.

Event-driven: the loop jumps to the next cycle at which a transaction can move, a command can issue or refresh
falls due; the per-bank choices are cached and re-derived only when that bank's queue or row changes; issue times
are lower bounds kept in a heap and refined lazily (horizons only move forward).
"""

from __future__ import annotations

import heapq
from collections import deque
from collections.abc import Callable

from archsim.core.errors import ConfigError
from archsim.memory.dram._bank import BankStates
from archsim.memory.dram._commands import ACT, PRE, RD, REF, WR
from archsim.memory.dram._config import ControllerConfig
from archsim.memory.dram._refresh import REFRESHERS
from archsim.memory.dram._spec import DramSpec

INF = 1 << 62


class BankQueueController:
    """One (pseudo-)channel: transaction queues, per-bank command queues, round-robin first-ready issue.

    Same interface as :class:`~archsim.memory.dram._controller.ChannelController` (``enqueue``, ``run``,
    ``idle``, ``counts``, ``finish``, ``log``), plus :meth:`accept` for the trace front end.
    """

    def __init__(self, spec: DramSpec, config: ControllerConfig, channel: int = 0,
                 finish: list[int] | None = None, log: list | None = None,
                 callback: Callable[[int, int], None] | None = None) -> None:
        if config.page_policy != "open":
            raise ConfigError("page_policy must be 'open' with queue_structure 'per_bank', not 'closed'")
        self.spec = spec
        self.config = config
        self.channel = channel
        self.banks = bs = BankStates(spec)
        nb = bs.n_banks
        self.nb = nb
        self.cq: list[list[tuple]] = [[] for _ in range(nb)]   # (accept, rid, row, is_write)
        self.cq_total = 0
        self.tq_r: list[tuple] = []   # (accept, rid, bank, row, is_write)
        self.tq_w: list[tuple] = []
        self.draining = 0
        self.move_dirty = False
        self.flushing = False
        self.rr = 0
        self.plan: list[tuple | None] = [None] * nb
        self.lb = [0] * nb  # per bank: a lower bound of the tick its next command can issue
        self.ver = [0] * nb
        self.heap: list[tuple[int, int, int]] = []
        self.blocked: set[int] = set()
        self.pending: deque[tuple] = deque()
        self.finish = finish if finish is not None else []
        self.log = log
        self.callback = callback
        self.now = 0
        self.counts = [0] * 6
        self.refresh = REFRESHERS[config.refresh](self)
        self.to_close: set[int] = set()  # interface parity with ChannelController (closed page unsupported)
        s = spec
        self._bg_of = [(b // s.banks_per_group) % s.bank_groups for b in range(nb)]
        self._ba_of = [b % s.banks_per_group for b in range(nb)]
        self._g = bs.bank_bg
        self._r = bs.bank_rank
        self._hb, self._hg, self._hr = bs.hb, bs.hg, bs.hr
        self._win = bs.windows
        self._cq_len = [0] * nb  # len(self.cq[b]), kept in step (read in the transaction move's scan)
        self.ref_due = self.refresh.next_due()

    # ------------------------------------------------------------------ API
    def enqueue(self, arrival: int, rid: int, bank: int, row: int, is_write: bool) -> None:
        """Add a request arriving at ``arrival`` (tCK; non-decreasing); it enters its queue when there is room."""
        self.pending.append((arrival, rid, bank, row, is_write))

    @property
    def idle(self) -> bool:
        """True when no request is queued or waiting to enter a queue."""
        return not self.pending and not self.tq_r and not self.tq_w and self.cq_total == 0

    def has_room(self, is_write: bool) -> bool:
        """True when the transaction queue of that direction has a free entry (pending arrivals counted)."""
        if self.pending:
            return False
        return len(self.tq_w) < self.config.write_queue if is_write else len(self.tq_r) < self.config.read_queue

    def accept(self, cycle: int, is_write: bool) -> int:
        """Simulate through tick ``cycle`` and later ticks until a ``is_write`` request fits; return the first
        tick at which it fits (the request is accepted after that tick's transaction move, so it enters its
        queue at the returned cycle + 1)."""
        self.run(cycle)
        self.flushing = False
        while not self.has_room(is_write):
            t = self._next_event(self.now)
            if t >= INF:  # pragma: no cover - a full queue always has work
                raise RuntimeError("DRAM controller is stuck with a full queue")
            self._tick(t)
            self.now = t + 1
            if t > cycle:
                cycle = t
        return cycle

    # ------------------------------------------------------------- internals
    def _replan(self, b: int) -> None:
        """Re-derive bank ``b``'s options ``((index, kind), ...)`` and push it on the heap."""
        q = self.cq[b]
        v = self.ver[b] = self.ver[b] + 1
        if not q:
            self.plan[b] = None
            return
        bs = self.banks
        orow = bs.open_row[b]
        if orow < 0:
            plan: tuple = ((0, ACT),)
        else:
            frd = fwr = -1
            for i, e in enumerate(q):
                if e[2] == orow:
                    if e[3]:
                        if fwr < 0:
                            fwr = i
                    elif frd < 0:
                        frd = i
                    if frd >= 0 and fwr >= 0:
                        break
            opts = []
            if q[0][2] != orow and ((frd < 0 and fwr < 0) or bs.hit_count[b] >= self.config.row_hit_cap):
                opts.append((0, PRE))
            if frd >= 0:
                opts.append((frd, RD))
            if fwr >= 0:
                opts.append((fwr, WR))
            opts.sort()
            plan = tuple(opts)
        self.plan[b] = plan
        e = self.lb[b] = self._earliest(b, plan)
        heapq.heappush(self.heap, (e, b, v))

    def _earliest(self, b: int, plan: tuple) -> int:
        """Earliest tick any of the bank's options is ready (timing only, inlined for speed)."""
        g = self._g[b]
        r = self._r[b]
        hb, hg, hr = self._hb, self._hg, self._hr
        best = INF
        for _, k in plan:
            t = hb[k][b]
            v = hg[k][g]
            if v > t:
                t = v
            v = hr[k][r]
            if v > t:
                t = v
            if k == ACT:
                for cnt, lat, f in self._win:
                    q = f[r]
                    if len(q) == cnt and q[0] + lat > t:
                        t = q[0] + lat
            if t < best:
                best = t
        return best

    def _choice(self, b: int, t: int) -> tuple[int, int] | None:
        """The bank's command at tick ``t``: first option (in queue order) ready by ``t``; None if none."""
        g = self._g[b]
        r = self._r[b]
        hb, hg, hr = self._hb, self._hg, self._hr
        for opt in self.plan[b]:
            k = opt[1]
            if hb[k][b] > t or hg[k][g] > t or hr[k][r] > t:
                continue
            if k == ACT:
                late = False
                for cnt, lat, f in self._win:
                    q = f[r]
                    if len(q) == cnt and q[0] + lat > t:
                        late = True
                if late:
                    continue
            return opt
        return None

    def _heap_min(self, floor: int) -> int:
        """Exact earliest tick (>= floor) at which some unblocked bank has a command ready."""
        heap, ver, plan, blocked, lb = self.heap, self.ver, self.plan, self.blocked, self.lb
        hb, hg, hr, gg, rr, win = self._hb, self._hg, self._hr, self._g, self._r, self._win
        while heap:
            key, b, v = heap[0]
            pl = plan[b]
            if v != ver[b] or pl is None:
                heapq.heappop(heap)
                continue
            if blocked and b in blocked:
                heapq.heappop(heap)  # re-planned when its refresh issues
                continue
            g = gg[b]
            r = rr[b]
            best = INF
            for _, k in pl:  # self._earliest(b, pl), inlined
                t = hb[k][b]
                x = hg[k][g]
                if x > t:
                    t = x
                x = hr[k][r]
                if x > t:
                    t = x
                if k == ACT:
                    for cnt, lat, f in win:
                        q = f[r]
                        if len(q) == cnt and q[0] + lat > t:
                            t = q[0] + lat
                if t < best:
                    best = t
            lb[b] = best
            if best < floor:
                best = floor
            if best == key:
                return best
            heapq.heapreplace(heap, (best, b, v))
        return INF

    def _next_event(self, now: int) -> int:
        t = INF
        if self.pending:
            arr, _, _, _, w = self.pending[0]
            if (len(self.tq_w) < self.config.write_queue) if w else (len(self.tq_r) < self.config.read_queue):
                t = arr if arr > now else now
        if self.move_dirty and (self.tq_r or self.tq_w):
            return now
        tc = self._heap_min(now)
        if tc < t:
            t = tc
        rf = self.refresh
        d = self.ref_due
        if d < t:
            t = d if d > now else now
        if rf.pending:
            rc = rf.candidate(now)
            if rc is not None and rc[0] < t:
                t = rc[0]
        return t

    def _pick(self, t: int) -> tuple[int, int, int, int] | None:
        """Round robin over the banks with a command ready at ``t``: ``(bank, kind, index, version)``; advances
        the pointer.  Banks whose lower bound ``lb`` lies after ``t`` are skipped without a look."""
        plan, blocked, lb, nb = self.plan, self.blocked, self.lb, self.nb
        b = self.rr
        for _ in range(nb):
            b += 1
            if b == nb:
                b = 0
            pl = plan[b]
            if lb[b] > t or pl is None or (blocked and b in blocked):
                continue
            if len(pl) == 1:  # one option: ready iff its earliest tick has come
                e = self._earliest(b, pl)
                if e <= t:
                    self.rr = b
                    return b, pl[0][1], pl[0][0], self.ver[b]
                lb[b] = e
                continue
            ch = self._choice(b, t)
            if ch is not None:
                self.rr = b
                return b, ch[1], ch[0], self.ver[b]
            lb[b] = self._earliest(b, pl)
        return None

    def _issue(self, t: int, b: int, kind: int, idx: int) -> None:
        bs = self.banks
        row = -1
        rid = -1
        if kind == RD or kind == WR:
            e = self.cq[b].pop(idx)
            self._cq_len[b] -= 1
            self.cq_total -= 1
            self.move_dirty = True
            row, rid = e[2], e[1]
            done = t + (bs.read_latency if kind == RD else bs.write_latency)
            self.finish[rid] = done
            if self.callback is not None:
                self.callback(rid, done)
        elif kind == ACT:
            row = self.cq[b][idx][2]
        bs.issue(kind, t, b, row)
        self.counts[kind] += 1
        if self.log is not None:
            self.log.append((t, kind, bs.bank_rank[b], self._bg_of[b], self._ba_of[b], row, rid))
        self._replan(b)

    def _issue_refresh(self, t: int, cmd: int, target: int) -> None:
        bs = self.banks
        bs.issue(cmd, t, target)
        self.refresh.on_issue(cmd, target, t)
        self.ref_due = self.refresh.next_due()
        self.counts[cmd] += 1
        if self.log is not None:
            if cmd == REF:
                self.log.append((t, REF, target, -1, -1, -1, -1))
            else:
                self.log.append((t, cmd, bs.bank_rank[target], self._bg_of[target], self._ba_of[target], -1, -1))
        for bb in (bs.rank_banks[target] if cmd == REF else (target,)):
            self._replan(bb)

    def _move(self) -> None:
        """Move at most one transaction to its bank's command queue (write drain as configured)."""
        cfg = self.config
        if self.draining == 0 and cfg.write_policy == "dramsim3":
            nw = len(self.tq_w)
            if nw >= cfg.write_queue or (nw > cfg.write_drain_min and self.cq_total == 0):
                self.draining = nw
            elif self.flushing and nw and not self.tq_r and not self.pending and self.cq_total == 0:
                self.draining = nw  # end of the run: DRAMsim3 would leave <= write_drain_min writes unserved
        elif self.draining == 0:  # watermarks
            nw = len(self.tq_w)
            if nw >= cfg.write_high or (nw and not self.tq_r):
                self.draining = nw - cfg.write_low if nw > cfg.write_low else nw
        q = self.tq_w if self.draining > 0 else self.tq_r
        cq, cap, ln = self.cq, cfg.cmd_queue, self._cq_len
        for i, tr in enumerate(q):
            b = tr[2]
            if ln[b] < cap:
                ln[b] += 1
                del q[i]
                if tr[4]:
                    self.draining -= 1
                qb = cq[b]
                qb.append((tr[0], tr[1], tr[3], tr[4]))
                self.cq_total += 1
                if len(qb) == 1:
                    self._replan(b)
                    return
                # appended behind others: the options change only if it hits the open row and is the first hit
                # of its kind (the head, the first hits and hence a PRE option are otherwise unchanged)
                orow = self.banks.open_row[b]
                if orow >= 0 and tr[3] == orow:
                    kind = WR if tr[4] else RD
                    for _, k in self.plan[b]:
                        if k == kind:
                            return
                    self._replan(b)
                return
        self.move_dirty = False

    def _tick(self, t: int) -> None:
        pending = self.pending
        cfg = self.config
        while pending:
            arr, rid, b, row, w = pending[0]
            if arr > t:
                break
            q = self.tq_w if w else self.tq_r
            if len(q) >= (cfg.write_queue if w else cfg.read_queue):
                break
            q.append((arr, rid, b, row, w))
            pending.popleft()
            self.move_dirty = True
        rf = self.refresh
        if self.ref_due <= t:
            rf.on_time(t)
            self.ref_due = rf.next_due()
        first = -1
        if rf.pending:
            rc = rf.candidate(t)
            if rc is not None and rc[0] <= t:
                self._issue_refresh(t, rc[1], rc[2])
                first = rc[1]
        heap = self.heap  # its smallest key is a lower bound of every unblocked bank's next command: none before
        if first < 0 and heap and heap[0][0] <= t:
            p = self._pick(t)
            if p is not None:
                self._issue(t, p[0], p[1], p[2])
                first = p[1]
        if first >= 0 and self.banks.dual and heap and heap[0][0] <= t:
            p = self._pick(t)
            if p is not None and (p[1] in (RD, WR)) != (first in (RD, WR)):
                self._issue(t, p[0], p[1], p[2])  # same bus: not issued this tick (DRAMsim3 looks no further)
        if self.move_dirty:
            self._move()

    def run(self, until: int = INF) -> None:
        """Simulate ticks up to cycle ``until`` included (default: until every request is served; refresh is
        then only kept up while work remains)."""
        now = self.now
        self.flushing = until == INF
        while True:
            if until == INF and self.idle:
                break
            t = self._next_event(now)
            if t > until or t >= INF:
                break
            self._tick(t)
            now = t + 1
        self.now = now
