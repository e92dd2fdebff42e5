"""The iteration-level discrete-event engine.

Events (a heap ordered by time, ties by insertion): a request arrives; an instance finishes an iteration; a
KV cache arrives over a link (disaggregated serving).  An idle instance with work asks its scheduler for the
next batch (request ids, tokens each runs, which are decode steps), the batch's cost comes from the design
(:class:`~archsim.serving.iteration.IterationCost`), and the iteration ends after that many seconds.

Token accounting (every token is emitted by exactly one iteration): a request is (re)prefilled up to
``target = prompt + generated`` tokens; the iteration that completes the prefill emits one token (the first,
or the next after a recompute); each decode step feeds the last token (KV length ``ctx`` -> ``ctx + 1``) and
emits one.  A request finishes when it has emitted ``output_tokens``.
"""

from __future__ import annotations

import heapq
from collections import deque
from dataclasses import dataclass, field

import numpy as np

from archsim.core.errors import SimulationError
from archsim.core.progress import tick
from archsim.serving.iteration import IterationCost
from archsim.serving.kv import PagedKV

WAITING, RUNNING, DONE, REJECTED, SWAPPED, FUTURE, TRANSFER = range(7)


@dataclass
class Batch:
    """What one iteration runs: ``ids`` (request ids), ``q`` (tokens each runs), ``decode`` (decode steps),
    ``extra_s`` (seconds added to the iteration, e.g. KV swaps over the host link)."""

    ids: np.ndarray
    q: np.ndarray
    decode: np.ndarray
    extra_s: float = 0.0
    note: str = ""


@dataclass
class Instance:
    """One device (or tensor-parallel group) running a scheduler.

    Attributes:
        name: lane name in the timeline.
        role: ``both`` (colocated), ``prefill`` or ``decode`` (disaggregated pools).
        cost: iteration costs of its design.
        kv: its paged KV cache.
        policy: the scheduler policy object choosing its batches.
    """

    name: str
    role: str
    cost: IterationCost
    kv: PagedKV
    policy: object
    waiting: deque = field(default_factory=deque)
    running: list = field(default_factory=list)
    swapped: deque = field(default_factory=deque)
    incoming: deque = field(default_factory=deque)
    busy: bool = False
    batch: Batch | None = None
    start_s: float = 0.0
    link_free_s: float = 0.0
    window: tuple | None = None
    last_dt: float = 0.0
    kv_bytes_per_token: float = 0.0
    host_bytes_per_s: float = 32e9

    def load(self) -> int:
        """Requests queued or resident on this instance."""
        return len(self.waiting) + len(self.running) + len(self.swapped) + len(self.incoming)


class Engine:
    """State of every request and the event loop over the instances.

    Per-request arrays (index = request id): ``arrival``, ``prompt``, ``output``, ``gen`` (tokens emitted),
    ``ctx`` (tokens in the KV cache), ``target`` (prefill target), ``done_pf`` (tokens of the target prefilled),
    ``blocks`` (KV blocks held), ``first_s``, ``finish_s``, ``last_s``, ``status``, ``inst``.
    """

    def __init__(self, requests, instances: list[Instance], *, link_gbps: float = 0.0, link_latency_s: float = 0.0,
                 max_iterations: int = 50_000_000, record_gaps: bool = True, fast_forward: bool = True) -> None:
        n = len(requests)
        self.n = n
        self.arrival = np.array(requests.arrival_s, dtype=float)
        self.prompt = np.asarray(requests.prompt_tokens, dtype=np.int64)
        self.output = np.asarray(requests.output_tokens, dtype=np.int64)
        self.gen = np.zeros(n, dtype=np.int64)
        self.ctx = np.zeros(n, dtype=np.int64)
        self.target = self.prompt.copy()
        self.done_pf = np.zeros(n, dtype=np.int64)
        self.blocks = np.zeros(n, dtype=np.int64)
        self.first_s = np.full(n, np.nan)
        self.finish_s = np.full(n, np.nan)
        self.last_s = np.full(n, np.nan)
        self.status = np.full(n, FUTURE, dtype=np.int8)
        self.inst = np.full(n, -1, dtype=np.int64)
        self.preempted = np.zeros(n, dtype=np.int64)
        self.reason: dict[int, str] = {}
        self.instances = instances
        self.link_gbps = link_gbps
        self.link_latency_s = link_latency_s
        self.max_iterations = max_iterations
        self.record_gaps = record_gaps
        self.fast_forward = fast_forward
        self.gaps: list[np.ndarray] = []
        self.iters: list[tuple] = []
        self.transfers: list[tuple] = []
        self.clients = requests.clients
        self.think_s = requests.think_s
        self._next_closed = 0
        self._heap: list[tuple] = []
        self._seq = 0
        self.now = 0.0
        self.preemptions = 0

    # -- events ------------------------------------------------------------------
    def push(self, t: float, kind: int, payload: int) -> None:
        """Schedule event ``kind`` (0 arrive, 1 iteration end, 2 KV ready) at ``t`` seconds."""
        heapq.heappush(self._heap, (t, self._seq, kind, payload))
        self._seq += 1

    def run(self) -> None:
        """Run until every request has finished or been rejected."""
        if self.clients:
            for _ in range(min(self.clients, self.n)):
                self._release(0.0)
        else:
            for i in range(self.n):
                self.push(float(self.arrival[i]), 0, i)
        count = 0
        while self._heap:
            t, _, kind, p = heapq.heappop(self._heap)
            self.now = t
            if kind == 0:
                self._arrive(p)
            elif kind == 1:
                self._finish_iteration(self.instances[p])
            else:
                self._kv_ready(p)
            count += 1
            if count > self.max_iterations:
                raise SimulationError(f"serving did not finish within {self.max_iterations} events")
        left = np.flatnonzero((self.status != DONE) & (self.status != REJECTED))
        if len(left):
            raise SimulationError(f"{len(left)} requests never finished (first: {int(left[0])}, status "
                                  f"{int(self.status[left[0]])}); a scheduler stalled")

    def _release(self, t: float) -> None:
        i = self._next_closed
        if i >= self.n:
            return
        self._next_closed += 1
        self.arrival[i] = t
        self.push(t, 0, i)

    def _arrive(self, r: int) -> None:
        cands = [k for k, x in enumerate(self.instances) if x.role in ("both", "prefill")]
        k = min(cands, key=lambda j: (self.instances[j].load(), j))
        inst = self.instances[k]
        need = int(self.prompt[r] + self.output[r] - 1)
        dec = [x for x in self.instances if x.role == "decode"]
        if not inst.kv.fits_ever(max(need if inst.role == "both" else int(self.prompt[r]), 1)) or \
                (dec and not dec[0].kv.fits_ever(need)):
            self.status[r] = REJECTED
            tick(unit="request")  # progress bar of the CLI, when one is open
            self.reason[r] = (f"needs {inst.kv.need(need)} KV blocks of {inst.kv.block_tokens} tokens "
                              f"({need} tokens), the cache holds {inst.kv.blocks}")
            self._closed_next(r)
            return
        self.status[r] = WAITING
        self.inst[r] = k
        inst.waiting.append(r)
        if not inst.busy:
            self._start(inst)

    def _closed_next(self, r: int) -> None:
        if self.clients:
            self._release(self.now + self.think_s)

    # -- KV blocks ---------------------------------------------------------------
    def blocks_needed(self, inst: Instance, r: int, tokens_after: int) -> int:
        """Return the extra blocks request ``r`` needs to hold ``tokens_after`` tokens on ``inst``."""
        return max(0, inst.kv.need(tokens_after) - int(self.blocks[r]))

    def alloc(self, inst: Instance, r: int, tokens_after: int) -> bool:
        """Allocate blocks so ``r`` holds ``tokens_after`` tokens; False (nothing allocated) if they are not free."""
        need = self.blocks_needed(inst, r, tokens_after)
        if need > inst.kv.free:
            return False
        inst.kv.free -= need
        self.blocks[r] += need
        return True

    def free(self, inst: Instance, r: int) -> None:
        """Free every block of ``r`` on ``inst``."""
        inst.kv.free += int(self.blocks[r])
        self.blocks[r] = 0

    def preempt(self, inst: Instance, r: int, mode: str) -> float:
        """Preempt running request ``r`` (``recompute``: drop its KV, prefill again later; ``swap``: copy its KV
        to host memory over the host link).  Returns the seconds the swap-out takes (0 for recompute)."""
        self.preemptions += 1
        self.preempted[r] += 1
        inst.running.remove(r)
        self.free(inst, r)
        if mode == "swap":
            self.status[r] = SWAPPED
            inst.swapped.appendleft(r)
            return float(self.ctx[r]) * inst.kv_bytes_per_token / inst.host_bytes_per_s
        self.status[r] = WAITING
        self.target[r] = self.prompt[r] + self.gen[r]
        self.done_pf[r] = 0
        self.ctx[r] = 0
        inst.waiting.appendleft(r)
        return 0.0

    # -- iterations ----------------------------------------------------------------
    def _start(self, inst: Instance) -> None:
        pre = self.preemptions
        b = inst.policy.next_batch(inst, self, self.now)  # type: ignore[attr-defined]
        if b is None or len(b.ids) == 0:
            inst.busy = False
            return
        if (self.fast_forward and b.note == "decode" and b.extra_s == 0 and self.preemptions == pre
                and len(b.ids) == len(inst.running) and self._window(inst, b)):
            return
        ids, q, dec = b.ids, b.q, b.decode
        cached = self.ctx[ids]
        emit = dec | (self.done_pf[ids] + q >= self.target[ids])
        cost = inst.cost(q, cached, dec, int(emit.sum()))
        dt = cost.seconds + b.extra_s
        if not dt > 0:
            raise SimulationError(f"iteration of {len(ids)} requests on {inst.name} takes {dt} s")
        inst.busy = True
        inst.batch = b
        inst.start_s = self.now
        inst.last_dt = dt
        kv_tokens = int(self.ctx[inst.running].sum() + q.sum()) if inst.running else int(q.sum())
        self.iters.append((inst.name, self.now, dt, len(ids), int((~dec).sum()), int(dec.sum()), int(q.sum()),
                           inst.kv.used, inst.kv.blocks, kv_tokens, cost.macs,
                           np.nan if cost.energy_j is None else cost.energy_j, b.extra_s, b.note, int(emit.sum())))
        self.push(self.now + dt, 1, self.instances.index(inst))

    def _window(self, inst: Instance, b: Batch) -> bool:
        """Run several decode iterations of the same requests as one event when nothing can change the batch in
        between: no request finishes before the last of them, no event (arrival, KV arrival, another instance's
        iteration end) falls before the start of the last, and the blocks they need are free (so the scheduler
        would choose the same batch at every boundary: waiting requests that do not fit now cannot fit later,
        free blocks only shrink).  Each iteration keeps its own cost, start time and timeline row, so the result
        is the one of stepping them one by one (tests/serving: ``fast_forward`` on == off)."""
        ids = b.ids
        n = len(ids)
        kmax = int(min(int((self.output[ids] - self.gen[ids]).min()), 256))
        if self._heap and inst.last_dt > 0:  # steps until the next event, from the last iteration's length
            kmax = min(kmax, int((self._heap[0][0] - self.now) / inst.last_dt) + 2)
        if kmax < 2:
            return False
        ctx = self.ctx[ids]
        res = inst.cost.decode_steps(ctx, kmax)
        if res is None:
            return False
        secs, en, macs = res
        ends = np.cumsum(np.concatenate(([self.now], secs)))[1:]
        k = kmax
        if self._heap:
            hit = np.flatnonzero(ends >= self._heap[0][0])
            if len(hit):
                k = min(k, int(hit[0]) + 1)
        bt = inst.kv.block_tokens
        blocks = self.blocks[ids]
        steps = np.arange(k)
        extra = np.maximum(0, -(-(ctx[:, None] + steps[None, :] + 1) // bt) - blocks[:, None]).sum(axis=0)
        bad = np.flatnonzero(extra > inst.kv.free)
        if len(bad):
            k = min(k, int(bad[0]))
        if k < 2:
            return False
        self.blocks[ids] = np.maximum(blocks, -(-(ctx + k) // bt))
        used0 = inst.kv.used
        inst.kv.free -= int(extra[k - 1])
        starts = np.concatenate(([self.now], ends[:k - 1]))
        durs = secs[:k]
        base = int(ctx.sum())
        e = [np.nan] * k if en is None else en[:k].tolist()
        for s_, (t0, dt, m, ej, ex) in enumerate(zip(starts.tolist(), durs.tolist(), macs[:k].tolist(), e,
                                                       extra[:k].tolist())):
            self.iters.append((inst.name, t0, dt, n, 0, n, n, used0 + ex, inst.kv.blocks, base + n * (s_ + 1), m, ej,
                               0.0, "decode", n))
        inst.busy = True
        inst.batch = b
        inst.window = (k, ends[:k])
        inst.last_dt = float(secs[k - 1])
        inst.start_s = self.now
        self.push(float(ends[k - 1]), 1, self.instances.index(inst))
        return True

    def _finish_iteration(self, inst: Instance) -> None:
        b = inst.batch
        inst.batch = None
        t = self.now
        ids, q, dec = b.ids, b.q, b.decode
        if inst.window is not None:  # k decode steps of the same requests
            k, ends = inst.window
            inst.window = None
            self.ctx[ids] += k
            if self.record_gaps:
                self.gaps.append(ends[0] - self.last_s[ids])
                self.gaps.append(np.repeat(np.diff(ends), len(ids)))
            self.gen[ids] += k
            self.last_s[ids] = t
            e = ids
        else:
            pf = ~dec
            self.done_pf[ids[pf]] += q[pf]
            self.ctx[ids] += q
            emit = dec.copy()
            emit[pf] = self.done_pf[ids[pf]] >= self.target[ids[pf]]
            e = ids[emit]
            if len(e):
                first = self.gen[e] == 0
                if self.record_gaps and (~first).any():
                    self.gaps.append(t - self.last_s[e[~first]])
                self.first_s[e[first]] = t
                self.last_s[e] = t
                self.gen[e] += 1
        if len(e):
            fin = e[self.gen[e] >= self.output[e]]
            if len(fin):
                fs = set(fin.tolist())
                inst.running = [r for r in inst.running if r not in fs]
                for r in fin.tolist():
                    self.free(inst, r)
                    self.status[r] = DONE
                    tick(unit="request")  # progress bar of the CLI, when one is open
                    self.finish_s[r] = t
                    self._closed_next(r)
            if inst.role == "prefill":
                self._handoff(inst, e[self.gen[e] < self.output[e]])
        inst.busy = False
        self._start(inst)

    # -- disaggregation ------------------------------------------------------------
    def _handoff(self, inst: Instance, ids: np.ndarray) -> None:
        """Send the KV cache of requests whose prefill finished on a prefill instance to a decode instance."""
        if not len(ids):
            return
        gone = set(ids.tolist())
        inst.running = [r for r in inst.running if r not in gone]
        dec = [k for k, x in enumerate(self.instances) if x.role == "decode"]
        for r in ids.tolist():
            k = min(dec, key=lambda j: (self.instances[j].load(), j))
            nbytes = float(self.ctx[r]) * inst.kv_bytes_per_token
            start = max(self.now, inst.link_free_s)
            dur = self.link_latency_s + (nbytes / (self.link_gbps * 1e9) if self.link_gbps else 0.0)
            inst.link_free_s = start + (dur - self.link_latency_s)
            self.free(inst, r)
            self.status[r] = TRANSFER
            self.inst[r] = k
            self.transfers.append((inst.name + ".link", start, dur, r, nbytes))
            self.instances[k].incoming.append(r)  # reserved; admitted when the KV has arrived (see policy)
            self.push(start + dur, 2, r)

    def _kv_ready(self, r: int) -> None:
        inst = self.instances[int(self.inst[r])]
        self.status[r] = WAITING
        if not inst.busy:
            self._start(inst)
