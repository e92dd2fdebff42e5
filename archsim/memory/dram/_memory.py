"""``DramMemory``: the cycle-level DRAM behind the ``MemoryPort`` protocol (archsim.memory.interface).

Requesters speak in their own clock's cycles; this port converts to DRAM tCK and back exactly with
:class:`archsim.core.clock.Clock` (integer picoseconds / exact fractions, rounding up).
"""

from __future__ import annotations

import copy
import math
from fractions import Fraction
from typing import Any

import numpy as np

from archsim.core.clock import Clock
from archsim.core.errors import MAX_INT, ConfigError, SimulationError, require_nonneg_int
from archsim.core.fields import check_field_names
from archsim.memory.dram._bank import BankStates
from archsim.memory.dram._commands import PRE, RD, REF, REFB, WR
from archsim.memory.dram._config import ControllerConfig
from archsim.memory.dram._refresh import initial_dues
from archsim.memory.dram._spec import DramSpec, load_spec
from archsim.memory.dram._stream import StreamModel, stream_addresses
from archsim.memory.dram._system import DramSystem
from archsim.memory.dram._transfer import ChannelTransitions, _store

_TRANSITIONS: dict[tuple, ChannelTransitions] = {}


def _transitions(spec: DramSpec, config: ControllerConfig) -> ChannelTransitions:
    """The memoized transition table of ``spec`` and ``config``, shared by every port (ops, layers, sweeps)."""
    key = (spec, config)
    hit = _TRANSITIONS.get(key)
    if hit is None:
        hit = _TRANSITIONS[key] = ChannelTransitions(spec, config)
    return hit


class DramMemory:
    """A memory port backed by the cycle-level DRAM model.

    ``exact=True`` simulates every burst of every transfer with the FR-FCFS controllers (state carries over
    between transfers: open rows, timing, refresh).  Because each call must return its completion before
    the next transfer is known, a transfer's requests enter the queues only after the previous transfer has
    drained (overlap between transfers is limited to the controller pipeline).

    ``exact=False`` (default) uses the memoized stream fast path: each transfer's per-channel timing on an
    idle system or, when the channel is still busy with earlier transfers, the memoized cost of the same
    shape following another stream back to back; with open page the rows each transfer leaves open are
    tracked per bank (a transfer starting on an open row saves that ACT and tRCD, one starting on another
    row pays a PRE and tRP); plus refresh stalls: per all-bank REF falling inside a transfer, the average
    bubble a streaming channel loses to one REF (measured once on the exact model); per per-bank REFB, the
    bubble of that transfer's shape averaged over refresh phases (:meth:`StreamModel.refresh_cost`).
    Refresh bookkeeping is closed-form (idle gaps and long transfers cost O(1) per channel).

    Transfers are requested in non-decreasing ``start_cycle`` order (core cycles).  Each call returns the
    core cycle at which the last byte arrived (read) or was written.
    """

    def __init__(self, spec: DramSpec | str, core_clock: Clock, exact: bool = False, mapping: str | None = None,
                 config: ControllerConfig | None = None, **config_fields: Any) -> None:
        self.spec = load_spec(spec)
        fields = dict(config.to_dict() if config else {})
        fields.update(config_fields)
        if mapping is not None:
            fields["mapping"] = mapping
        check_field_names(ControllerConfig, fields, "DRAM memory")
        self.config = ControllerConfig(**fields)
        if not isinstance(core_clock, Clock):
            raise ConfigError(f"core_clock must be an archsim.core.clock.Clock, not {type(core_clock).__name__}")
        self.core_clock = core_clock
        self.dram_clock = Clock(1000.0 / self.spec.tCK_ns)
        self.exact = bool(exact)
        self._trans = _transitions(self.spec, self.config)
        self._streams = self._trans.streams
        self._refresh = None if self.config.refresh == "none" else self.config.refresh
        self._bubbles: dict[tuple, tuple[float, float, float]] = {}
        ratio = Fraction(self.core_clock.period_ps) / Fraction(self.dram_clock.period_ps)
        self._to_dram = (ratio.numerator, ratio.denominator)      # tCK = ceil(core cycles * n / d)
        self._reset_fast()
        self.reset()

    def reset(self) -> None:
        """Forget all state (idle DRAM, zero counters); the fast path's memo is kept (it is stateless)."""
        self._system = DramSystem(self.spec, self.config) if self.exact else None
        self._reset_fast()
        self._counts = {"ACT": 0, "PRE": 0, "RD": 0, "WR": 0, "REF": 0, "REFB": 0}
        self._read_bytes = 0
        self._write_bytes = 0
        self._last_start = 0

    def _reset_fast(self) -> None:
        s = self.spec
        n = s.n_channels
        self._S = self._trans.layout.initial(n)                 # per channel state vector (absolute tCK)
        self._scratch = BankStates(s)                           # refresh bookkeeping applies commands here
        self._now = np.zeros(n, dtype=np.int64)                 # per channel: cycle of its last command
        self._end = 0                                           # latest completion so far (tCK)
        self._reopen = [0.0, 0.0]                               # fractional ACT/PRE added by refreshes
        per_bank = self.config.refresh == "per_bank"
        self._ref_step = s.tREFIb if per_bank else s.tREFI
        # per channel and rank: next refresh due (the controller's own initial stagger)
        self._due = np.tile(np.asarray(initial_dues(s, "per_bank" if per_bank else "all_bank"),
                                       dtype=np.int64), (n, 1))
        self._due_min = int(self._due.min()) if self._refresh else 1 << 62
        self._next_bank = np.zeros((n, s.ranks), dtype=np.int64)
        self._stalled: dict[int, int] = {}                      # channel -> drain limit of its pending refresh

    def __deepcopy__(self, memo: dict) -> DramMemory:
        """Copy the port's state; the memoized outcomes (stateless) stay shared."""
        new = copy.copy(self)
        if self._system is not None:
            new._system = copy.deepcopy(self._system, memo)
        for k in ("_S", "_now", "_due", "_next_bank"):
            setattr(new, k, getattr(self, k).copy())
        new._reopen = list(self._reopen)
        new._stalled = dict(self._stalled)
        new._counts = dict(self._counts)
        return new

    # ------------------------------------------------------------------ protocol
    def transfer(self, start_cycle: int, address: int, nbytes: int, write: bool) -> int:
        """Move ``nbytes`` from byte ``address`` requested at core cycle ``start_cycle``; return the core cycle
        at which the last byte arrived (read) or was written (write)."""
        if not (type(start_cycle) is int and type(address) is int and type(nbytes) is int  # noqa: E721 - fast path
                and start_cycle >= 0 and address >= 0 and nbytes >= 0 and max(start_cycle, address, nbytes) <= MAX_INT):
            require_nonneg_int("start_cycle", start_cycle)
            require_nonneg_int("address", address)
            require_nonneg_int("nbytes", nbytes)
        if start_cycle < self._last_start:
            raise ConfigError(f"start_cycle must be non-decreasing, not {start_cycle} after {self._last_start}")
        self._last_start = start_cycle
        if nbytes == 0:
            return start_cycle
        n, d = self._to_dram
        t0 = -(-start_cycle * n // d)
        end = self._exact(t0, address, nbytes, write) if self.exact else self._fast(t0, address, nbytes, write)
        return max(start_cycle, -(-end * d // n))

    def min_cycles(self, nbytes: int) -> int:
        """A lower bound on the core cycles any sequence of transfers moving ``nbytes`` in total takes from cycle 0
        (every burst occupies its channel's data bus ``burst_cycles`` tCK; channels in parallel).  Used to skip
        schedules that cannot win (:meth:`archsim.arch.systolic.SystolicArray.run`)."""
        s = self.spec
        tck = (max(0, int(nbytes)) // s.access_bytes) * s.burst_cycles // s.n_channels
        n, d = self._to_dram
        return tck * d // n

    def _exact(self, t0: int, address: int, nbytes: int, write: bool) -> int:
        sysm = self._system
        s = self.spec
        addrs = stream_addresses(s, address, nbytes)
        before = sysm.command_counts()
        d = sysm.mapper.decode_array(addrs)
        bank = ((d["rank"] * s.bank_groups + d["bg"]) * s.banks_per_group + d["bank"]).tolist()
        rows = d["row"].tolist()
        first = len(sysm.finish)
        n = len(bank)
        sysm.finish.extend([-1] * n)
        sysm.arrival.extend([t0] * n)
        sysm.is_write.extend([write] * n)
        for i, ch in enumerate(d["channel"].tolist()):
            c = sysm.controllers[ch]
            c.pending.append((max(t0, c.now), first + i, bank[i], rows[i], write))
        sysm.drain()
        after = sysm.command_counts()
        for k in self._counts:
            self._counts[k] += after[k] - before[k]
        if write:
            self._write_bytes += n * s.access_bytes
        else:
            self._read_bytes += n * s.access_bytes
        return max(sysm.finish[first:])

    def _fast(self, t0: int, address: int, nbytes: int, write: bool) -> int:
        tr = self._trans
        lay = tr.layout
        shape = tr.shape(address, nbytes, write)
        chans = shape[1]
        if chans.size == 0:
            return t0
        refresh = self._refresh
        if self._stalled:
            # refreshes left pending by the last drain: the exact port completes them on every channel the next
            # time it drains; a channel this transfer uses is simulated with its refresh pending instead
            used = set(chans.tolist())
            for c, lim in list(self._stalled.items()):
                if c in used:
                    del self._stalled[c]
                else:
                    self._catch_up(c, lim, strict=False, force=True)
        full = chans.size == self._S.shape[0]       # every channel (chans is sorted): plain copies, no gathers
        a = self._now.copy() if full else self._now[chans]
        np.maximum(a, t0, out=a)
        if refresh and self._due_min < int(a.max()):
            # refreshes that fell due while a channel idled issue before the transfer's requests
            for i, c in enumerate(chans.tolist()):
                self._catch_up(c, int(a[i]), strict=True)
        S = self._S if full else self._S[chans]
        tm, (o0, o1) = lay.times, lay.open
        rel = S.copy()
        np.maximum(S[:, :tm] - a[:, None], lay.lo, out=rel[:, :tm])
        orow = S[:, o0:o1]
        if tr.streams.period:
            base = tr.streams.base_row(address)
            r = (orow - base) & tr.row_mask
            rel[:, o0:o1] = np.where(orow < 0, -1, np.where(r < shape[3], r, tr.sentinel))
        else:
            base = 0
        delay = None
        if tr.approximate_shape(shape):
            # long per-channel request lists: the outcome from the relaxed state (same open rows), started
            # when the channel's command bus and data bus (rank column horizon) allow
            a_, b_ = lay.col("hr", WR if write else RD)
            delay = np.maximum(rel[:, a_:b_].max(axis=1), rel[:, lay.cmd])
            rel[:, :tm] = lay.lo
            a = a + delay
        ends, lasts, cnt, after, tot = tr.outcomes_totals(shape, rel, address, nbytes, write)
        shift = None
        if refresh:
            last_cmd = a + lasts
            if self._due_min <= int(last_cmd.max()):
                inside = (self._due[chans] <= last_cmd[:, None]).any(axis=1)
                if inside.any():
                    ends, lasts, cnt, after = ends.copy(), lasts.copy(), cnt.copy(), after.copy()
                    shift = self._inside(chans, a, inside, shape, rel, ends, lasts, cnt, after, address, nbytes,
                                         write)
                    tot = cnt.sum(axis=0).tolist()
        new = after                                   # a fresh array (outcomes_totals / the copy above)
        off = a if shift is None else a + shift
        new[:, :tm] += off[:, None]
        o_after = after[:, o0:o1]
        if tr.streams.period:
            new[:, o0:o1] = np.where(o_after == tr.sentinel, orow,
                                     np.where(o_after < 0, -1, (o_after + base) & tr.row_mask))
        if full:
            self._S = new
            self._now = lasts + off
        else:
            self._S[chans] = new
            self._now[chans] = lasts + off
        end = int((ends + off).max())
        c = self._counts
        c["ACT"] += tot[0]
        c["PRE"] += tot[1]
        c["RD"] += tot[2]
        c["WR"] += tot[3]
        if end > self._end:
            self._end = end
        if refresh and self._due_min <= self._end:
            # the exact port drains every channel's refresh up to the latest completion (DramSystem.drain)
            for ch in np.nonzero(self._due.min(axis=1) <= self._end)[0].tolist():
                self._catch_up(ch, self._end, strict=False)
        nb = shape[4] * self.spec.access_bytes
        if write:
            self._write_bytes += nb
        else:
            self._read_bytes += nb
        return end

    # ------------------------------------------------------------------ refresh on the fast path
    def _catch_up(self, c: int, limit: int, strict: bool, force: bool = False) -> None:
        """:meth:`_catch_up_sim`, memoized on channel ``c``'s state relative to its earliest due refresh.

        The outcome is a function of: the time horizons relative to ``ref`` (the earliest due), clipped at
        the layout's floor (every command it issues is at or after a due cycle, so a horizon already passed
        cannot delay it), which banks are open and in which order they would be precharged (the controller
        sorts them by their PRE horizon, which clipping could tie), the dues and ``limit`` relative to
        ``ref``, the per-bank round-robin position, the last command cycle if at or after ``ref``, and the
        flags.  Open rows and row hits are not changed (PRE closes a bank and keeps its hit count), so they
        are restored from the input.  Replays are exact; horizons below ``ref`` come back clipped, which no
        later command can tell apart (they all issue at or after ``ref``)."""
        due = self._due[c]
        ref = int(due.min())
        bound = limit - 1 if strict else limit
        if ref > bound:        # nothing due: the state is unchanged
            if force:
                self._stalled.pop(c, None)
            return
        tr, lay = self._trans, self._trans.layout
        tm, (o0, o1) = lay.times, lay.open
        vec = self._S[c]
        rel = np.maximum(vec[:tm] - ref, lay.lo)
        rows = vec[o0:o1]
        is_open = rows >= 0
        b0, b1 = lay.b_pre
        pre = vec[b0:b1]
        perm = np.argsort(pre, kind="stable")
        order = perm[is_open[perm]]
        now0 = int(self._now[c])
        key = (rel.tobytes(), is_open.tobytes(), order.tobytes(), (due - ref).tobytes(), bound - ref,
               self._next_bank[c].tobytes(), max(now0 - ref, -1), strict, force)
        hit = tr.catch_ups.get(key)
        if hit is None:
            cnt0 = (self._counts["PRE"], self._counts["REF"], self._counts["REFB"])
            self._catch_up_sim(c, limit, strict, force)
            after = self._S[c]
            now1 = int(self._now[c])
            hit = (after[:tm] - ref, after[o0:o1] >= 0,
                   (self._counts["PRE"] - cnt0[0], self._counts["REF"] - cnt0[1], self._counts["REFB"] - cnt0[2]),
                   self._due[c] - ref, self._next_bank[c].copy(), now1 - ref if now1 != now0 else None,
                   self._stalled.get(c) == limit and c in self._stalled)
            _store(tr.catch_ups, key, hit)
            tr.catch_up_misses += 1
            return
        tr.catch_up_hits += 1
        t_after, open_after, cnt, due_after, nb_after, now_rel, stalled = hit
        new = vec.copy()
        new[:tm] = t_after + ref
        new[o0:o1] = np.where(open_after, rows, -1)
        self._S[c] = new
        self._counts["PRE"] += cnt[0]
        self._counts["REF"] += cnt[1]
        self._counts["REFB"] += cnt[2]
        self._due[c] = due_after + ref
        self._next_bank[c] = nb_after
        if now_rel is not None:
            self._now[c] = max(now0, now_rel + ref)
        if force:
            self._stalled.pop(c, None)
        elif stalled:
            self._stalled[c] = limit
        self._due_min = int(self._due.min())

    def _catch_up_sim(self, c: int, limit: int, strict: bool, force: bool = False) -> None:
        """Issue channel ``c``'s refreshes due before ``limit`` (``strict``) or at it, on an idle channel, as
        the controller's refresh manager does: the rank's (bank's) open rows are precharged one command at a
        time, then REF (REFB) issues when the timing table allows; the commands are applied with
        :meth:`BankStates.issue` (the one constraint table).  A refresh whose next command cannot issue by
        then stays pending: the next transfer is simulated with it, and on every other channel it completes
        when the next transfer is served (``force``: the exact port's drain runs each channel until its queues
        and pending refreshes are empty).  Once every bank of a rank has been
        refreshed in a gap they are closed and rested, so the refreshes between the first round and the
        last round issue on their due cycles and are counted in closed form."""
        s, lay = self.spec, self._trans.layout
        bs = self._scratch
        lay.load_banks(bs, self._S[c])
        due = self._due[c]
        per_bank = self._refresh == "per_bank"
        step = self._ref_step
        bound = limit - 1 if strict else limit          # last cycle a gap command may issue at
        kind = REFB if per_bank else REF
        for r in range(s.ranks):
            d = int(due[r])
            if d > bound:
                continue
            k = (bound - d) // step + 1
            rnd = s.banks if per_bank else 1          # refreshes per round over the rank's banks
            n1 = min(k, rnd)
            n2 = min(k - n1, rnd)
            skip = k - n1 - n2
            last_cmd = None
            for j in range(n1 + n2):
                if j == n1 and skip:
                    d += skip * step
                    self._counts["REFB" if per_bank else "REF"] += skip
                    if per_bank:
                        self._next_bank[c, r] = (self._next_bank[c, r] + skip) % s.banks
                targets = [r * s.banks + int(self._next_bank[c, r])] if per_bank else bs.rank_banks[r]
                stalled = False
                for b in sorted((b for b in targets if bs.open_row[b] >= 0), key=lambda b: bs.b_pre[b]):
                    t = max(bs.b_pre[b], bs.cmd_ok, d)
                    if t > bound and not force:   # not issued by then: the refresh stays pending
                        stalled = True
                        break
                    bs.issue(PRE, t, b)
                    self._counts["PRE"] += 1
                    last_cmd = t
                if not stalled:
                    t = max(d, bs.refb_ready(targets[0]) if per_bank else bs.ref_ready(r))
                    stalled = t > bound and not force
                if stalled:
                    if not strict:
                        self._now[c] = max(int(self._now[c]), d if last_cmd is None else last_cmd)
                        self._stalled[c] = limit
                    break
                bs.issue(kind, t, targets[0] if per_bank else r)
                if per_bank:
                    self._next_bank[c, r] = (self._next_bank[c, r] + 1) % s.banks
                self._counts["REFB" if per_bank else "REF"] += 1
                last_cmd = t
                d += step
            due[r] = d
            if not strict and last_cmd is not None:
                self._now[c] = max(int(self._now[c]), last_cmd)
        self._S[c] = lay.save_banks(bs)
        self._due_min = int(self._due.min())
        if force:
            self._stalled.pop(c, None)

    def _inside(self, chans: np.ndarray, a: np.ndarray, inside: np.ndarray, shape: tuple, rel: np.ndarray,
                ends: np.ndarray, lasts: np.ndarray, cnt: np.ndarray, after: np.ndarray, address: int, nbytes: int,
                write: bool) -> np.ndarray | None:
        """Refreshes falling due while a transfer is served (between its arrival and last command).

        Channels with up to ``REFRESH_SIM_BURSTS`` requests are simulated with the refresh at its phase (exact,
        memoized like the refresh-free outcome; ``ends``/``lasts``/``cnt``/``after`` are updated in place).
        Longer ones are priced: each refresh stalls the channel by the measured bubble (all-bank:
        :meth:`StreamModel.refresh_bubble`; per-bank: :meth:`StreamModel.refresh_cost` of the transfer's
        shape); returns that per-channel delay (None if no channel used it)."""
        tr = self._trans
        kind = "REFB" if self._refresh == "per_bank" else "REF"
        shift = None
        for i in np.nonzero(inside)[0].tolist():
            c = int(chans[i])
            ai = int(a[i])
            dues = tuple((self._due[c] - ai).tolist())
            nbk = tuple(self._next_bank[c].tolist())
            out = tr.outcome_refresh(shape, c, rel[i], dues, nbk)
            if out is not None:
                ends[i], lasts[i] = out[0], out[1]
                cnt[i] = out[2][:4]
                after[i] = out[3]
                self._counts["REF"] += out[2][4]
                self._counts["REFB"] += out[2][5]
                self._due[c] = np.asarray(out[4], dtype=np.int64) + ai
                self._next_bank[c] = out[5]
                continue
            bubble, ra, rp = self._bubble(address, nbytes, write)
            n_all = 0
            for r in range(self.spec.ranks):
                n = self._refs_inside(int(self._due[c, r]), ai + int(lasts[i]), bubble)
                if n:
                    self._due[c, r] += n * self._ref_step
                    if kind == "REFB":
                        self._next_bank[c, r] = (self._next_bank[c, r] + n) % self.spec.banks
                    n_all += n
            self._counts[kind] += n_all
            self._reopen[0] += n_all * ra
            self._reopen[1] += n_all * rp
            if shift is None:
                shift = np.zeros(chans.size, dtype=np.int64)
            shift[i] = round(n_all * bubble)
        for j, k in enumerate(("ACT", "PRE")):
            extra = int(self._reopen[j])
            self._reopen[j] -= extra
            self._counts[k] += extra
        self._due_min = int(self._due.min())
        return shift

    def _bubble(self, address: int, nbytes: int, write: bool) -> tuple[float, float, float]:
        """(tCK, extra ACT, extra PRE) one refresh inside this transfer costs (memoized per shape)."""
        key = self._trans.shape_key(address, nbytes, write)
        hit = self._bubbles.get(key)
        if hit is None:
            sm = self._trans.streams
            if self._refresh == "per_bank":
                hit = sm.refresh_cost(address, nbytes, write)
            else:
                hit = (sm.refresh_bubble(write), *sm.refresh_reopens(write))
            self._bubbles[key] = hit
        return hit

    def _refs_inside(self, due: int, end: int, bubble: float) -> int:
        """Number of refreshes (due at ``due``, every refresh interval) that fall inside a transfer whose last
        command would issue at tCK ``end`` without them.

        Each one delays the end by ``bubble`` tCK, so it is the smallest ``n >= 0`` with
        ``due + n * step > end + round(n * bubble)``: solved in closed form, then corrected for the rounding."""
        step = self._ref_step
        if due > end:
            return 0
        if bubble >= step:
            raise SimulationError(f"refresh bubble {bubble:.1f} tCK >= refresh interval {step} tCK: no progress")
        n = max(0, math.ceil((end - due) / (step - bubble)) - 2)
        while due + n * step <= end + round(n * bubble):
            n += 1
        while n > 0 and due + (n - 1) * step > end + round((n - 1) * bubble):
            n -= 1
        return n

    def actions(self) -> dict[str, int]:
        """Action counts since the last reset: bytes moved (whole bursts) and DRAM commands."""
        c = self._counts
        return {
            "dram_read_bytes": self._read_bytes,
            "dram_write_bytes": self._write_bytes,
            "dram_act_count": c["ACT"],
            "dram_rd_count": c["RD"],
            "dram_wr_count": c["WR"],
            "dram_pre_count": c["PRE"],
            "dram_ref_count": c["REF"] + c["REFB"],
        }

    @property
    def transitions(self) -> ChannelTransitions:
        """The memoized per-channel transfer outcomes used by the fast path (shared per spec and config)."""
        return self._trans

    @property
    def stream_model(self) -> StreamModel:
        """The memoized stream model used by the fast path."""
        return self._streams
