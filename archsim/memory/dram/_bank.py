"""Bank state machines and the timing table of one channel.

Each bank is closed (``open_row == -1``) or holds an open row.  For every command kind the state keeps
the earliest cycle it may issue at bank, bank-group and rank level (``next_*`` lists); issuing a command
moves those horizons forward by the JEDEC delays (the same scheme as Ramulator's timing table, flattened
into lists for speed).  All times are in tCK.
"""

from __future__ import annotations

from collections import deque

from archsim.memory.dram._commands import ACT, PRE, RD, REF, REFB, WR
from archsim.memory.dram._spec import DramSpec


class BankStates:
    """Open rows and next-issue horizons of every bank of one (pseudo-)channel.

    The horizons are compiled from the one constraint table (:func:`~archsim.memory.dram._timing.constraints`):
    issuing a command applies that command's rules (``hb``/``hg``/``hr``: per command code, the earliest
    cycle at each bank, bank group and rank).  ``b_act``, ``g_rd``, ``r_wr`` ... are the same lists under
    short names.  With ``spec.dual_command_bus`` (HBM) row commands (ACT, PRE, REF, REFB) and column
    commands (RD, WR) have their own command bus: ``row_ok``/``col_ok``.
    """

    def __init__(self, spec: DramSpec) -> None:
        from archsim.memory.dram._timing import compile_updates

        s = spec
        self.spec = spec
        nbg = s.ranks * s.bank_groups
        nb = nbg * s.banks_per_group
        self.n_banks = nb
        self.bank_bg = [b // s.banks_per_group for b in range(nb)]  # global bank-group index
        self.bank_rank = [b // s.banks for b in range(nb)]
        self.rank_banks = [list(range(r * s.banks, (r + 1) * s.banks)) for r in range(s.ranks)]
        self.open_row = [-1] * nb
        self.hit_count = [0] * nb  # column commands since the row was opened
        self.hb = [[0] * nb for _ in range(6)]
        self.hg = [[0] * nbg for _ in range(6)]
        self.hr = [[0] * s.ranks for _ in range(6)]
        self.b_act, self.b_pre, self.b_rd, self.b_wr = self.hb[ACT], self.hb[PRE], self.hb[RD], self.hb[WR]
        self.g_act, self.g_rd, self.g_wr = self.hg[ACT], self.hg[RD], self.hg[WR]
        self.r_act, self.r_rd, self.r_wr = self.hr[ACT], self.hr[RD], self.hr[WR]
        upd, windows = compile_updates(s)
        kinds = {"bank": 0, "bankgroup": 1, "rank": 2, "other_ranks": 3, "channel": 4}
        self.prog = [[((self.hb, self.hg, self.hr, self.hr, self.hr)[kinds[lv]][f], kinds[lv], lat)
                      for lv, f, lat in upd[c]] for c in range(6)]
        # the same program split by level, for issue(): (horizon list, latency) per level
        self._prog_b = [[(a, lat) for a, k, lat in self.prog[c] if k == 0] for c in range(6)]
        self._prog_g = [[(a, lat) for a, k, lat in self.prog[c] if k == 1] for c in range(6)]
        self._prog_r = [[(a, lat) for a, k, lat in self.prog[c] if k == 2] for c in range(6)]
        self._prog_x = [[(a, k, lat) for a, k, lat in self.prog[c] if k > 2] for c in range(6)]
        self.windows = [(cnt, lat, [deque(maxlen=cnt) for _ in range(s.ranks)]) for f, cnt, lat in windows
                        if f == ACT]
        self.r_faw = self.windows[0][2] if self.windows else [deque(maxlen=4) for _ in range(s.ranks)]
        self.dual = bool(s.dual_command_bus)
        self.cmd_ok = 0  # command bus: one command per tCK (row and column bus when dual)
        self.row_ok = 0
        self.col_ok = 0
        self.open_count = [0] * s.ranks
        self.active_cycles = [0] * s.ranks  # rank-cycles with at least one row open (closed intervals so far)
        self.active_since = [0] * s.ranks
        bl = s.burst_cycles
        self.read_latency = s.CL + bl
        self.write_latency = s.CWL + bl

    def act_ready(self, b: int) -> int:
        """Earliest cycle an ACT may issue to bank ``b`` (tRC, tRP, tRRD_S/L, tFAW/t32AW, tRFC)."""
        return max(self.ready(ACT, b), self.row_ok if self.dual else self.cmd_ok)

    def ready(self, kind: int, b: int) -> int:
        """Earliest cycle command ``kind`` may issue to bank ``b`` (rank index for REF), command bus aside."""
        if kind == REF:
            return self.hr[REF][b]
        r = self.bank_rank[b]
        t = self.hb[kind][b]
        v = self.hg[kind][self.bank_bg[b]]
        if v > t:
            t = v
        v = self.hr[kind][r]
        if v > t:
            t = v
        if kind == ACT:
            for cnt, lat, f in self.windows:
                q = f[r]
                if len(q) == cnt and q[0] + lat > t:
                    t = q[0] + lat
        return t

    def col_ready(self, b: int, write: bool) -> int:
        """Earliest cycle a RD (``write`` False) or WR may issue to bank ``b``."""
        return max(self.ready(WR if write else RD, b), self.col_ok if self.dual else self.cmd_ok)

    def issue(self, cmd: int, t: int, b: int, row: int = -1) -> None:
        """Apply command ``cmd`` issued at cycle ``t`` to bank ``b`` (rank index for REF)."""
        if self.dual:
            if cmd == RD or cmd == WR:
                self.col_ok = t + 1
            else:
                self.row_ok = t + 1
            self.cmd_ok = self.row_ok if self.row_ok < self.col_ok else self.col_ok
        else:
            self.cmd_ok = t + 1
        if cmd == REF:
            r = b
            g = -1
        else:
            r = self.bank_rank[b]
            g = self.bank_bg[b]
        if cmd != REF:
            for arr, lat in self._prog_b[cmd]:
                v = t + lat
                if v > arr[b]:
                    arr[b] = v
            for arr, lat in self._prog_g[cmd]:
                v = t + lat
                if v > arr[g]:
                    arr[g] = v
        for arr, lat in self._prog_r[cmd]:
            v = t + lat
            if v > arr[r]:
                arr[r] = v
        for arr, kind, lat in self._prog_x[cmd]:
            v = t + lat
            for rr in range(len(arr)):
                if (kind == 4 or rr != r) and v > arr[rr]:
                    arr[rr] = v
        if cmd == ACT:
            self.open_row[b] = row
            self.hit_count[b] = 0
            if self.open_count[r] == 0:
                self.active_since[r] = t
            self.open_count[r] += 1
            for _, _, f in self.windows:
                f[r].append(t)
        elif cmd == PRE:
            self.open_row[b] = -1
            self.open_count[r] -= 1
            if self.open_count[r] == 0:
                self.active_cycles[r] += t - self.active_since[r]
        elif cmd == RD or cmd == WR:
            self.hit_count[b] += 1

    def rank_active_cycles(self, end: int) -> int:
        """Rank-cycles (summed over ranks) with at least one row open, up to cycle ``end``."""
        tot = sum(self.active_cycles)
        for r, n in enumerate(self.open_count):
            if n and end > self.active_since[r]:
                tot += end - self.active_since[r]
        return tot

    def ref_ready(self, rank: int) -> int:
        """Earliest cycle an all-bank REF may issue to ``rank`` (all banks must already be closed)."""
        return max(self.hr[REF][rank], self.row_ok if self.dual else self.cmd_ok)

    def refb_ready(self, b: int) -> int:
        """Earliest cycle a per-bank REFB may issue to bank ``b`` (the bank must already be closed)."""
        return max(self.ready(REFB, b), self.row_ok if self.dual else self.cmd_ok)
