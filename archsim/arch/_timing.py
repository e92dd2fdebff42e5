"""Controller timing of one op on the systolic array with a memory port: fast and exact.

Both functions implement the controller of ``docs/systolic.md`` (section "Controller and
memory") on top of the fold rules of ``docs/microarch.md``:

* loads of fold ``f`` are issued at ``Q_f = max(Q_{f-1}, S_{f-2} + L_{f-2})`` (``Q_0 = Q_1 = 0``:
  double buffering; fold ``f`` refills the half fold ``f-2`` has finished reading), stationary
  piece first, then the streamed piece(s); a fold's data is usable from
  ``max(Q_f, completion of its pieces)``;
* an output piece is stored when its last output has left the array; the ofmap half it uses is
  free again when the store of the piece two back has completed; a fold that starts a new output
  piece waits for that;
* memory calls are made in time order; in the same cycle stores go before loads.

:func:`fast_timing` computes the start cycles fold by fold (an event loop over memory calls,
closed-form fold rules); :func:`exact_timing` runs the same controller one cycle at a time.
Property tests hold them equal.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field

from archsim.core.errors import SimulationError
from archsim.dataflow.systolic import FoldPlan
from archsim.memory.interface import MemoryPort

A_BASE, B_BASE, C_BASE = 0, 1 << 40, 2 << 40
CAUSES = ("ifmap_load", "filter_load", "ofmap_store")


@dataclass
class Timing:
    """Outcome of one op: ``cycles`` (total), per-fold ``S``/``P``, raw stall cycles by cause."""

    cycles: int
    S: list[int]
    P: list[int]
    raw_stalls: dict[str, int] = field(default_factory=dict)
    last_output: int = 0  # one past the last valid output cycle


class _Ctx:
    """Per-op constants shared by both controllers."""

    def __init__(self, plan: FoldPlan, traffic: dict, mac_depth: int) -> None:
        fa = plan.fold_arrays
        self.F = plan.folds
        self.R = plan.rows
        self.pre = plan.preload
        self.flow = plan.flow
        self.stat_b = self.flow.stationary == "b"  # B preloaded (WS-like): B loads first, A streams
        self.L = fa["L"].tolist()
        self.tails = (fa["L"] + (plan.fold_tail(mac_depth, 0))).tolist()  # fold_tail is L + constant
        self.a_key = fa["a_key"].tolist()
        self.b_key = fa["b_key"].tolist()
        self.first = fa["out_first"].tolist()
        self.last = fa["out_last"].tolist()
        self.a_load = traffic["a_load"].tolist()
        self.b_load = traffic["b_load"].tolist()
        self.store = traffic["out_store"].tolist()
        self.a_stride = max(1, int(traffic["ifmap_read"].max()))
        self.b_stride = max(1, int(traffic["filter_read"].max()))
        self.c_stride = max(1, int(traffic["out_store"].max()))
        seq, j = [], -1
        for x in self.first:
            j += x
            seq.append(j)
        self.seq = seq
        # which operand is stationary (loaded first) / streamed, and the stall cause of each
        self.order = ("b", "a") if self.stat_b else ("a", "b")

    def tail_of(self, f: int) -> int:
        return self.tails[f]

    def issue_loads(self, f: int, t: int, port: MemoryPort, done_a: dict, done_b: dict) -> tuple[int, int]:
        """Issue fold f's loads at cycle t; return (A ready, B ready) cycles (>= t)."""
        ready = {}
        for op in self.order:
            if op == "a":
                key, nbytes, done, base, stride = self.a_key[f], self.a_load[f], done_a, A_BASE, self.a_stride
            else:
                key, nbytes, done, base, stride = self.b_key[f], self.b_load[f], done_b, B_BASE, self.b_stride
            if nbytes:
                done[key] = port.transfer(t, base + key * stride, nbytes, False)
            elif key not in done:
                raise SimulationError(f"fold {f}: operand {op.upper()} piece {key} used before it was loaded")
            ready[op] = max(t, done[key])
        return ready["a"], ready["b"]

    def stream_terms(self, a_r: int, b_r: int, out_free: int) -> list[tuple[str, int]]:
        stat = self.flow.stationary
        if stat == "b":
            return [("ifmap_load", a_r), ("ofmap_store", out_free)]
        if stat == "a":
            return [("filter_load", b_r), ("ofmap_store", out_free)]
        return [("ifmap_load", a_r), ("filter_load", b_r), ("ofmap_store", out_free)]

    @property
    def stat_cause(self) -> str:
        return "filter_load" if self.stat_b else "ifmap_load"


def _blame(terms: list[tuple[str, int]]) -> str:
    best, when = terms[0]
    for name, t in terms[1:]:
        if t > when:
            best, when = name, t
    return best


def fast_timing(plan: FoldPlan, traffic: dict, port: MemoryPort, mac_depth: int) -> Timing:
    """Return the :class:`Timing` of one op without stepping cycles (event loop over folds and memory calls).

    Per fold: the closed-form rules of docs/microarch.md; memory: one call per fetched piece and per
    stored output piece, issued in time order (the loop jumps from event to event).
    """
    c = _Ctx(plan, traffic, mac_depth)
    F, R, L, pre = c.F, c.R, c.L, c.pre
    ws = c.stat_b  # B stationary: B is the preloaded piece, A the streamed one
    a_key, b_key, a_load, b_load = c.a_key, c.b_key, c.a_load, c.b_load
    first, last, seq, store = c.first, c.last, c.seq, c.store
    tails = c.tails
    a_stride, b_stride, c_stride = c.a_stride, c.b_stride, c.c_stride
    xfer = port.transfer
    S = [0] * F
    P = [-1] * F
    Q = [0] * F
    a_ready = [0] * F
    b_ready = [0] * F
    done_a: dict[int, int] = {}
    done_b: dict[int, int] = {}
    pending: deque = deque()  # (ready cycle, bytes, out seq)
    store_done: dict[int, int] = {}
    r_if = r_fi = r_of = 0  # raw stall cycles: ifmap_load, filter_load, ofmap_store
    nl = ns = 0
    while ns < F:
        f = ns
        if nl > f:
            j = seq[f]
            need = first[f] and j >= 2
            if not need or (j - 2) in store_done:
                out_free = store_done[j - 2] if need else 0
                ar, br = a_ready[f], b_ready[f]
                if pre:
                    p_nm = 0 if f == 0 else P[f - 1] + R
                    if f >= 2:
                        x = S[f - 2] + L[f - 2] - 1
                        if x > p_nm:
                            p_nm = x
                    stat_r = br if ws else ar
                    if stat_r > p_nm:
                        if ws:
                            r_fi += stat_r - p_nm
                        else:
                            r_if += stat_r - p_nm
                        p = stat_r
                    else:
                        p = p_nm
                    P[f] = p
                    s_nm = p + R if f == 0 else max(S[f - 1] + L[f - 1], p + R)
                    m1 = ar if ws else br  # streamed operand
                    if m1 >= out_free:
                        mem, cause = m1, (0 if ws else 1)
                    else:
                        mem, cause = out_free, 2
                else:
                    s_nm = 0 if f == 0 else S[f - 1] + max(L[f - 1], L[f - 1] - L[f] + R)
                    if ar >= br and ar >= out_free:
                        mem, cause = ar, 0
                    elif br >= out_free:
                        mem, cause = br, 1
                    else:
                        mem, cause = out_free, 2
                if mem > s_nm:
                    if cause == 0:
                        r_if += mem - s_nm
                    elif cause == 1:
                        r_fi += mem - s_nm
                    else:
                        r_of += mem - s_nm
                    s = mem
                else:
                    s = s_nm
                S[f] = s
                if last[f]:
                    pending.append((s + tails[f], store[f], j))
                ns += 1
                continue
        # issue the earliest memory call (stores first on ties)
        can_load = nl < F and (nl < 2 or nl - 2 < ns)
        if can_load:
            q = 0 if nl < 2 else max(Q[nl - 1], S[nl - 2] + L[nl - 2])
        if pending and (not can_load or pending[0][0] <= q):
            r, nbytes, j = pending.popleft()
            store_done[j] = xfer(r, C_BASE + j * c_stride, nbytes, True)
        elif can_load:
            g = nl
            Q[g] = q
            ka, kb = a_key[g], b_key[g]
            if ws:
                if b_load[g]:
                    done_b[kb] = xfer(q, B_BASE + kb * b_stride, b_load[g], False)
                if a_load[g]:
                    done_a[ka] = xfer(q, A_BASE + ka * a_stride, a_load[g], False)
            else:
                if a_load[g]:
                    done_a[ka] = xfer(q, A_BASE + ka * a_stride, a_load[g], False)
                if b_load[g]:
                    done_b[kb] = xfer(q, B_BASE + kb * b_stride, b_load[g], False)
            try:
                da, db = done_a[ka], done_b[kb]
            except KeyError:  # pragma: no cover - the mapping always fetches a piece before reuse
                raise SimulationError(f"fold {g}: an operand piece is used before it was loaded") from None
            a_ready[g] = da if da > q else q
            b_ready[g] = db if db > q else q
            nl += 1
        else:  # pragma: no cover - the rules above cannot deadlock
            raise SimulationError(f"controller deadlock at fold {ns}")
    last_out = S[-1] + tails[F - 1]
    end = last_out
    while pending:
        r, nbytes, j = pending.popleft()
        store_done[j] = xfer(r, C_BASE + j * c_stride, nbytes, True)
        end = max(end, store_done[j])
    raw = {"ifmap_load": r_if, "filter_load": r_fi, "ofmap_store": r_of + end - last_out}
    return Timing(end, S, P, raw, last_out)


def exact_timing(plan: FoldPlan, traffic: dict, port: MemoryPort, mac_depth: int) -> Timing:
    """Return the :class:`Timing` of one op by running the controller one cycle at a time."""
    c = _Ctx(plan, traffic, mac_depth)
    F, R, L, pre = c.F, c.R, c.L, c.pre
    S: list = [None] * F
    P: list = [None] * F
    nmS: list = [None] * F
    nmP: list = [None] * F
    a_ready = [0] * F
    b_ready = [0] * F
    done_a: dict[int, int] = {}
    done_b: dict[int, int] = {}
    pending: deque = deque()
    store_done: dict[int, int] = {}
    raw = dict.fromkeys(CAUSES, 0)
    stat_cause = c.stat_cause
    nl = npre = ns = 0
    t = 0
    last_out = None
    end = None
    while True:
        # 1. stores whose data has left the array this cycle
        while pending and pending[0][0] == t:
            r, nbytes, j = pending.popleft()
            store_done[j] = port.transfer(t, C_BASE + j * c.c_stride, nbytes, True)
        # 2. loads into the half freed by fold nl-2
        while nl < F and (nl < 2 or (S[nl - 2] is not None and t >= S[nl - 2] + L[nl - 2])):
            a_ready[nl], b_ready[nl] = c.issue_loads(nl, t, port, done_a, done_b)
            nl += 1
        # 3. start streaming fold ns
        if ns < F:
            f = ns
            if pre:
                ok = P[f] is not None and t >= P[f] + R and (f == 0 or t >= S[f - 1] + L[f - 1])
            else:
                ok = f == 0 or t >= S[f - 1] + max(L[f - 1], L[f - 1] - L[f] + R)
            if ok:
                if nmS[f] is None:
                    nmS[f] = t
                j = c.seq[f]
                need = c.first[f] and j >= 2
                out_free = store_done.get(j - 2) if need else 0
                if f < nl and out_free is not None:
                    terms = c.stream_terms(a_ready[f], b_ready[f], out_free)
                    if all(x <= t for _, x in terms):
                        if t > nmS[f]:
                            raw[_blame(terms)] += t - nmS[f]
                        S[f] = t
                        if c.last[f]:
                            pending.append((t + c.tail_of(f), c.store[f], j))
                        ns += 1
                        if ns == F:
                            last_out = t + c.tail_of(f)
        # 4. preload fold npre
        if pre and npre < F:
            f = npre
            ok = (f == 0 or t >= P[f - 1] + R) and (f < 2 or (S[f - 2] is not None and t >= S[f - 2] + L[f - 2] - 1))
            if ok:
                if nmP[f] is None:
                    nmP[f] = t
                stat_r = b_ready[f] if c.stat_b else a_ready[f]
                if f < nl and stat_r <= t:
                    raw[stat_cause] += t - nmP[f]
                    P[f] = t
                    npre += 1
        if last_out is not None and not pending:
            end = max([last_out] + list(store_done.values()))
            if t + 1 >= end:
                break
        t += 1
        if t > 10**8:  # pragma: no cover
            raise SimulationError("exact controller did not finish")
    raw["ofmap_store"] += end - last_out
    return Timing(end, [int(x) for x in S], [-1 if x is None else int(x) for x in P], raw, last_out)
