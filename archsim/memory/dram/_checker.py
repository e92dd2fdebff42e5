"""Timing checker: replays command logs against the declared constraints and lists every violation.

Independent of the controller's bookkeeping: it reads the declarations of
:func:`~archsim.memory.dram._timing.constraints` (the same table the controller compiles) and checks each
command pairwise against the latest earlier command in every scope the rule names, plus:

* bank-state legality: ACT only to a closed bank, PRE only to an open one, REF only with every bank of the
  rank closed, REFB only to a closed bank;
* requests (when given, as with :meth:`TimingChecker.check_system`): each RD/WR names the request it serves;
  the request's bank and row are derived from its *address* (the address map), and must be the command's bank
  and the row the checker itself saw opened there; a read is served by a RD, a write by a WR, each exactly once,
  and the completion the model reported equals the command cycle + CL (CWL) + burst;
* the command bus: one command per tCK (with ``dual_command_bus``: one row and one column command);
* rolling windows (tFAW, t32AW), data-bus overlap between bursts, and the refresh interval (at most
  9 x tREFI between REFs of a rank, JEDEC allows 8 postponed; 9 x tREFIb x banks per bank for REFB).
"""

from __future__ import annotations

from collections import defaultdict, deque
from collections.abc import Iterable
from dataclasses import dataclass

from archsim.memory.dram._commands import ACT, NAMES, PRE, RD, REF, REFB, WR
from archsim.memory.dram._spec import DramSpec
from archsim.memory.dram._timing import CODES, constraints

# legality kinds (Violation.kind for checks that are not a declared constraint)
STATE, REQUEST, BUS, DATA_BUS, REFRESH_INTERVAL = "state", "request", "command bus", "data bus", "refresh interval"


@dataclass(frozen=True)
class Violation:
    """One broken rule: the later command's cycle, a readable description and the rule's kind (a constraint's
    :attr:`~archsim.memory.dram._timing.TimingConstraint.name`, or state / request / command bus / data bus /
    refresh interval)."""

    channel: int
    cycle: int
    rule: str
    kind: str = ""

    def __str__(self) -> str:
        return f"ch{self.channel} @{self.cycle}: {self.rule}"


def timing_rules(spec: DramSpec) -> list[tuple[int, int, str, int, str]]:
    """Return the declared pairwise rules ``(earlier, later, level, min_gap_tck, name)`` for ``spec`` (windows
    excluded): a flat view of :func:`~archsim.memory.dram._timing.constraints`."""
    out = []
    for c in constraints(spec):
        if c.window:
            continue
        v = c.value(spec)
        for p in c.preceding:
            for f in c.following:
                out.append((CODES[p], CODES[f], c.level, v, c.name))
    return out


class TimingChecker:
    """Checks command logs against ``spec``; :meth:`check` returns every :class:`Violation`.

    ``refresh`` (``all_bank``, ``per_bank`` or ``none``) says which refresh the log must show at the JEDEC
    rate.  ``mapping`` is the address map used to derive a request's bank and row from its address.
    """

    def __init__(self, spec: DramSpec, refresh: str = "none", mapping: str | None = None) -> None:
        self.spec = spec
        self.refresh = refresh
        self.mapping = mapping
        self.by_later: dict[int, list[tuple[int, str, int, str, str]]] = defaultdict(list)
        self.windows: list[tuple[int, int, str]] = []
        for c in constraints(spec):
            v = c.value(spec)
            for p in c.preceding:
                for f in c.following:
                    if c.window:
                        self.windows.append((c.window, v, c.name))
                        continue
                    level = c.level
                    if (p == "REF" or f == "REF") and level in ("bank", "bankgroup"):
                        level = "rank"  # REF is a rank command
                    self.by_later[CODES[f]].append((CODES[p], level, v, c.name, c.source))

    def check_system(self, system) -> list[Violation]:
        """Check every channel's log of a recorded :class:`DramSystem` run, requests included."""
        from archsim.memory.dram._mapping import AddressMapper

        if system.logs is None:
            raise ValueError("the system was not run with record=True")
        mapper = AddressMapper(self.spec, self.mapping or system.config.mapping)
        out: list[Violation] = []
        addr = system.address
        n = len(system.finish)
        by_ch: dict[int, dict[int, tuple]] = defaultdict(dict)
        if addr is not None and len(addr) == n:
            import numpy as np

            d = mapper.decode_array(np.asarray(addr, dtype=np.int64))
            cols = [d[k].tolist() for k in ("channel", "rank", "bg", "bank", "row")]
            for rid in range(n):
                by_ch[cols[0][rid]][rid] = (cols[1][rid], cols[2][rid], cols[3][rid], cols[4][rid],
                                            bool(system.is_write[rid]), system.finish[rid])
        for ch, log in enumerate(system.logs):
            out += self.check(log, ch, requests=by_ch.get(ch, {}) if addr is not None else None)
        return out

    def check(self, commands: Iterable[tuple], channel: int = 0,
              requests: dict[int, tuple] | None = None) -> list[Violation]:
        """Return the violations in one channel's log of ``(cycle, cmd, rank, bg, bank, row[, request])`` tuples.

        ``requests`` maps request id -> ``(rank, bg, bank, row, is_write, completion_cycle)`` as derived from the
        request's address; given, every request of the channel must be served exactly once by a matching command.
        """
        s = self.spec
        bl = s.burst_cycles
        out: list[Violation] = []
        last: dict[tuple, int] = {}
        open_rows: dict[tuple, int] = {}
        acts: dict[int, deque] = defaultdict(lambda: deque(maxlen=max([w for w, _, _ in self.windows] or [4])))
        last_cycle = -1
        last_row_cycle = last_col_cycle = -1
        bus_end = -1
        bus_rank = -1
        last_ref: dict[int, int] = {}
        last_refb: dict[tuple, int] = {}
        served: dict[int, int] = {}
        dual = s.dual_command_bus
        ranks = range(s.ranks)

        def bad(cycle: int, msg: str, kind: str) -> None:
            out.append(Violation(channel, cycle, msg, kind))

        for entry in commands:
            cycle, cmd, rank, bg, bank, row = entry[:6]
            rid = entry[6] if len(entry) > 6 else -1
            name = NAMES[cmd]
            col = cmd in (RD, WR)
            if dual:
                prev = last_col_cycle if col else last_row_cycle
                if cycle <= prev:
                    bad(cycle, f"{name}: two {'column' if col else 'row'} commands on one command-bus cycle", BUS)
                if col:
                    last_col_cycle = cycle
                else:
                    last_row_cycle = cycle
                if cycle < last_cycle:
                    bad(cycle, f"{name} issued before the previous command ({last_cycle})", BUS)
            elif cycle <= last_cycle:
                bad(cycle, f"{name} on the same command-bus cycle as (or before) the previous command", BUS)
            last_cycle = max(last_cycle, cycle)
            key_bank = (rank, bg, bank)
            # --- bank state
            if cmd == ACT:
                if key_bank in open_rows:
                    bad(cycle, f"ACT to open bank {key_bank}", STATE)
                open_rows[key_bank] = row
                q = acts[rank]
                for w, lat, wname in self.windows:
                    if len(q) >= w and cycle - q[-w] < lat:
                        bad(cycle, f"{wname}: ACT {cycle - q[-w]} tCK after the {w}th previous ACT (< {lat})", wname)
                q.append(cycle)
            elif col:
                orow = open_rows.get(key_bank)
                if orow is None:
                    bad(cycle, f"{name} to closed bank {key_bank}", STATE)
                start = cycle + (s.CL if cmd == RD else s.CWL)
                gap_needed = s.tRTRS if bus_rank not in (-1, rank) else 0
                if start < bus_end + gap_needed:
                    bad(cycle, f"data bus overlap: burst at {start} before {bus_end + gap_needed}", DATA_BUS)
                if start + bl > bus_end:
                    bus_end, bus_rank = start + bl, rank
                if requests is None:
                    if orow is not None and orow != row:
                        bad(cycle, f"{name} to row {row} of bank {key_bank} whose open row is {orow}", STATE)
                else:
                    req = requests.get(rid)
                    if req is None:
                        bad(cycle, f"{name} serves request {rid}, which is not a request of this channel", REQUEST)
                    else:
                        r_rank, r_bg, r_bank, r_row, r_w, r_done = req
                        served[rid] = served.get(rid, 0) + 1
                        if served[rid] > 1:
                            bad(cycle, f"request {rid} served again by {name}", REQUEST)
                        if (r_rank, r_bg, r_bank) != key_bank:
                            bad(cycle, f"{name} to bank {key_bank} serves request {rid} of bank "
                                       f"{(r_rank, r_bg, r_bank)}", REQUEST)
                        elif orow is not None and orow != r_row:
                            bad(cycle, f"{name} serves request {rid} (row {r_row} by its address) while row {orow} "
                                       f"is open in bank {key_bank}", REQUEST)
                        if r_w != (cmd == WR):
                            bad(cycle, f"{name} serves a {'write' if r_w else 'read'} request {rid}", REQUEST)
                        want = start + bl
                        if r_done != want:
                            bad(cycle, f"request {rid} reported complete at {r_done}, its {name} returns data at "
                                       f"{want}", REQUEST)
            elif cmd == PRE:
                if key_bank not in open_rows:
                    bad(cycle, f"PRE to closed bank {key_bank}", STATE)
                open_rows.pop(key_bank, None)
            elif cmd == REF:
                opened = [k for k in open_rows if k[0] == rank]
                if opened:
                    bad(cycle, f"REF to rank {rank} with open banks {opened}", STATE)
                if self.refresh != "none":
                    prev = last_ref.get(rank, 0)
                    if cycle - prev > 9 * s.tREFI:
                        bad(cycle, f"refresh interval {cycle - prev} > 9 x tREFI", REFRESH_INTERVAL)
                last_ref[rank] = cycle
            elif cmd == REFB:
                if key_bank in open_rows:
                    bad(cycle, f"REFB to open bank {key_bank}", STATE)
                if self.refresh != "none":
                    prev = last_refb.get(key_bank, 0)
                    if cycle - prev > 9 * s.tREFIb * s.banks:
                        bad(cycle, f"per-bank refresh interval {cycle - prev} > 9 x tREFIb x banks",
                            REFRESH_INTERVAL)
                last_refb[key_bank] = cycle
            # --- declared pairwise constraints
            for earlier, level, gap, cname, _src in self.by_later[cmd]:
                if level == "other_ranks":
                    keys = [(earlier, "r", r2) for r2 in ranks if r2 != rank]
                elif level == "rank":
                    keys = [(earlier, "r", rank)]
                elif level == "channel":
                    keys = [(earlier, "c")]
                elif level == "bankgroup":
                    keys = [(earlier, "g", rank, bg)]
                else:
                    keys = [(earlier, "b", rank, bg, bank)]
                for k in keys:
                    p = last.get(k)
                    if p is not None and cycle - p < gap:
                        bad(cycle, f"{cname}: {NAMES[earlier]}->{name} at {level} distance {cycle - p} < {gap}",
                            cname)
            last[(cmd, "r", rank)] = cycle
            last[(cmd, "c")] = cycle
            if cmd != REF:
                last[(cmd, "b", rank, bg, bank)] = cycle
                last[(cmd, "g", rank, bg)] = cycle
        if requests is not None:
            for rid in requests:
                if rid not in served:
                    bad(last_cycle, f"request {rid} never served", REQUEST)
        if self.refresh == "all_bank":
            for r in ranks:
                if last_cycle - last_ref.get(r, 0) > 9 * s.tREFI:
                    bad(last_cycle, f"rank {r} not refreshed for {last_cycle - last_ref.get(r, 0)} > 9 x tREFI",
                        REFRESH_INTERVAL)
        elif self.refresh == "per_bank":
            for r in ranks:
                for g in range(s.bank_groups):
                    for b in range(s.banks_per_group):
                        gap = last_cycle - last_refb.get((r, g, b), 0)
                        if gap > 9 * s.tREFIb * s.banks:
                            bad(last_cycle, f"bank {(r, g, b)} not refreshed for {gap} > 9 x tREFIb x banks",
                                REFRESH_INTERVAL)
        return out
