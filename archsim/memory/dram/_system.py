"""A whole DRAM system: address mapping, one controller per channel, the request API, the trace runner."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from archsim.core.errors import ConfigError
from archsim.memory.dram._commands import NAMES
from archsim.memory.dram._config import ControllerConfig
from archsim.memory.dram._controller import ChannelController
from archsim.memory.dram._mapping import AddressMapper
from archsim.memory.dram._spec import DramSpec, load_spec


class DramSystem:
    """Cycle-level DRAM: ``channels x pseudo_channels`` independent controllers behind one address map.

    Request API (times in tCK of ``spec``)::

        sys = DramSystem(get_spec("hbm2"))
        rid = sys.submit(0x1000, write=False, cycle=0, callback=lambda rid, done: ...)
        sys.drain()                      # or sys.run(until=cycle)
        sys.completion(rid)              # cycle the last data beat arrived
        done = sys.access(0x2000, False, cycle=500)   # submit + simulate until it completes

    ``record=True`` keeps every command per channel in :attr:`logs` for the timing checker.
    """

    def __init__(self, spec: DramSpec | str, config: ControllerConfig | None = None, *, record: bool = False,
                 **config_fields: Any) -> None:
        self.spec = load_spec(spec)
        if config is None:
            config = ControllerConfig(**config_fields)
        elif config_fields:
            config = ControllerConfig(**{**config.to_dict(), **config_fields})
        self.config = config
        self.mapper = AddressMapper(self.spec, config.mapping)
        self.finish: list[int] = []
        self.arrival: list[int] = []
        self.is_write: list[bool] = []
        self.address: list[int] = []  # byte address of each request (the checker derives bank and row from it)
        self.logs: list[list[tuple]] | None = [[] for _ in range(self.spec.n_channels)] if record else None
        self._callbacks: dict[int, Callable[[int, int], None]] = {}
        if config.queue_structure == "per_bank":
            from archsim.memory.dram._bankqueue import BankQueueController as ctrl_cls
        else:
            ctrl_cls = ChannelController
        self.controllers = [
            ctrl_cls(self.spec, config, ch, self.finish, self.logs[ch] if record else None, None)
            for ch in range(self.spec.n_channels)]
        s = self.spec
        self._bank_of = lambda rank, bg, ba: (rank * s.bank_groups + bg) * s.banks_per_group + ba

    # ------------------------------------------------------------- request API
    def submit(self, address: int, write: bool, cycle: int,
               callback: Callable[[int, int], None] | None = None) -> int:
        """Queue one access (one burst of ``spec.access_bytes``) arriving at ``cycle``; return its id.

        ``callback(request_id, completion_cycle)`` is called when the request's column command issues.
        Requests of one channel must arrive in non-decreasing cycle order; one arriving before the
        channel's current time is served from the current time (its latency still counts from ``cycle``).
        """
        ch, rank, bg, ba, row, _ = self.mapper.decode(int(address))
        rid = len(self.finish)
        self.finish.append(-1)
        self.arrival.append(int(cycle))
        self.is_write.append(bool(write))
        self.address.append(int(address))
        c = self.controllers[ch]
        if c.pending and c.pending[-1][0] > cycle:
            raise ConfigError(f"cycle must be non-decreasing per channel, not {cycle} after {c.pending[-1][0]}")
        if callback is not None:
            self._callbacks[rid] = callback
            c.callback = self._dispatch
        c.enqueue(int(cycle), rid, self._bank_of(rank, bg, ba), row, bool(write))
        return rid

    def _dispatch(self, rid: int, done: int) -> None:
        cb = self._callbacks.pop(rid, None)
        if cb is not None:
            cb(rid, done)

    def run(self, until: int = 1 << 62) -> None:
        """Simulate every channel up to cycle ``until`` (default: until all requests are served)."""
        for c in self.controllers:
            c.run(until)

    def drain(self) -> None:
        """Simulate until every submitted request has completed, then bring every channel's refresh up to the
        last completion cycle (idle channels refresh too)."""
        self.run()
        end = max(self.finish, default=-1)
        if end > 0:
            self.run(until=end)

    def access(self, address: int, write: bool, cycle: int) -> int:
        """Submit one access and simulate until it completes; return its completion cycle (tCK)."""
        rid = self.submit(address, write, cycle)
        ch = self.mapper.decode(int(address))[0]
        self.controllers[ch].run()
        return self.finish[rid]

    def completion(self, rid: int) -> int:
        """Completion cycle of request ``rid`` (-1 while not yet served)."""
        return self.finish[rid]

    # ------------------------------------------------------------------ results
    def command_counts(self) -> dict[str, int]:
        """Commands issued so far, summed over channels: ``{"ACT": n, "PRE": ..., "RD", "WR", "REF", "REFB"}``."""
        tot = [0] * 6
        for c in self.controllers:
            for i, v in enumerate(c.counts):
                tot[i] += v
        return {NAMES[i]: tot[i] for i in range(6)}

    def stats(self) -> dict[str, Any]:
        """Summary of all served requests (the keys of ``archsim dram --json``, docs/dram.md)."""
        out = summarize(self.spec, np.asarray(self.arrival, dtype=np.int64),
                        np.asarray(self.finish, dtype=np.int64), np.asarray(self.is_write, dtype=bool),
                        self.command_counts())
        out["rank_active_cycles"] = sum(c.banks.rank_active_cycles(out["total_cycles"]) for c in self.controllers)
        return out

    @property
    def n_commands(self) -> int:
        """Total commands issued."""
        return sum(sum(c.counts) for c in self.controllers)


def summarize(spec: DramSpec, arrival: np.ndarray, finish: np.ndarray, is_write: np.ndarray,
              counts: dict[str, int]) -> dict[str, Any]:
    """Return the summary dict: cycles (tCK), seconds, bandwidth (GB/s), latency (tCK and ns), counts."""
    served = finish >= 0
    n = int(served.sum())
    total = int(finish.max()) if n else 0
    lat = (finish - arrival)[served]
    seconds = total * spec.tCK_ns * 1e-9
    nbytes = n * spec.access_bytes
    col = counts["RD"] + counts["WR"]
    out: dict[str, Any] = {
        "spec": spec.name,
        "total_cycles": total,
        "seconds": seconds,
        "energy_j": 0.0,   # priced by archsim.cost from the command counts
        "area_mm2": 0.0,
        "bandwidth_gbps": nbytes / seconds / 1e9 if seconds else 0.0,
        "peak_bandwidth_gbps": spec.peak_bandwidth_gbps,
        "avg_latency_cycles": float(lat.mean()) if n else 0.0,
        "avg_latency_ns": float(lat.mean()) * spec.tCK_ns if n else 0.0,
        "p99_latency_cycles": float(np.percentile(lat, 99)) if n else 0.0,
        "row_hit_rate": max(0.0, 1.0 - counts["ACT"] / col) if col else 0.0,
        "reads": int((~is_write[served]).sum()),
        "writes": int(is_write[served].sum()),
        "bytes": nbytes,
    }
    rd = served & ~is_write
    rlat = (finish - arrival)[rd]
    out["avg_read_latency_cycles"] = float(rlat.mean()) if rlat.size else 0.0
    out["p99_read_latency_cycles"] = float(np.sort(rlat)[min(rlat.size - 1, int(0.99 * (rlat.size - 1) + 0.5))]) \
        if rlat.size else 0.0   # nearest rank
    out["last_read_return_cycle"] = int(finish[rd].max()) if rlat.size else 0
    out["last_accept_cycle"] = int(arrival.max()) if arrival.size else 0
    for name in ("ACT", "PRE", "RD", "WR", "REF", "REFB"):
        out[f"{name.lower()}_count"] = counts[name]
    return out


# ---------------------------------------------------------------------- traces
def read_trace(path: str | Path) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Read a trace of lines ``0xADDR READ|WRITE cycle`` (``#`` comments allowed).

    Returns (addresses, is_write, cycles) as numpy arrays.
    """
    from archsim.core.fields import path_exists

    if not path_exists(path, "trace file", file=True):
        raise ConfigError(f"trace file {str(path)!r} does not exist")
    p = Path(path)
    addrs: list[int] = []
    writes: list[bool] = []
    cycles: list[int] = []
    kinds = {"READ": False, "R": False, "RD": False, "WRITE": True, "W": True, "WR": True}
    with p.open() as fh:
        for lineno, line in enumerate(fh, 1):
            line = line.split("#", 1)[0].strip()
            if not line:
                continue
            parts = line.split()
            if len(parts) != 3:
                raise ConfigError(f"{p.name}:{lineno}: expected '0xADDR READ|WRITE cycle', not {line!r}")
            try:
                a = int(parts[0], 0)
                c = int(parts[2], 0)
            except ValueError:
                raise ConfigError(f"{p.name}:{lineno}: address and cycle must be integers, not {line!r}") from None
            k = kinds.get(parts[1].upper())
            if k is None:
                raise ConfigError(f"{p.name}:{lineno}: kind must be READ or WRITE, not {parts[1]!r}")
            if a < 0 or c < 0 or a >= 2**62 or c >= 2**62:
                raise ConfigError(f"{p.name}:{lineno}: address and cycle must be integers in [0, 2^62), "
                                  f"not {line[:80]!r}")
            addrs.append(a)
            writes.append(k)
            cycles.append(c)
    return np.array(addrs, dtype=np.int64), np.array(writes, dtype=bool), np.array(cycles, dtype=np.int64)


def write_trace(path: str | Path, addresses, is_write, cycles) -> None:
    """Write a trace file in the ``0xADDR READ|WRITE cycle`` format."""
    with Path(path).open("w") as fh:
        for a, w, c in zip(np.asarray(addresses).tolist(), np.asarray(is_write).tolist(),
                           np.asarray(cycles).tolist(), strict=True):
            fh.write(f"{a:#x} {'WRITE' if w else 'READ'} {c}\n")


def run_trace(spec: DramSpec | str, addresses, is_write=None, cycles=None, config: ControllerConfig | None = None,
              *, record: bool = False, **config_fields: Any) -> tuple[dict[str, Any], DramSystem]:
    """Simulate a whole trace (arrays, or a trace file path as ``addresses``) and drain it.

    Returns (summary dict as :func:`summarize`, the :class:`DramSystem` holding logs and per-request times).
    """
    if isinstance(addresses, (str, Path)):
        addresses, is_write, cycles = read_trace(addresses)
    a = np.asarray(addresses, dtype=np.int64)
    n = a.size
    w = np.zeros(n, dtype=bool) if is_write is None else np.asarray(is_write, dtype=bool)
    c = np.zeros(n, dtype=np.int64) if cycles is None else np.asarray(cycles, dtype=np.int64)
    if w.size != n or c.size != n:
        raise ConfigError(f"is_write and cycles must have one entry per address ({n}), not {w.size} and {c.size}")
    order = np.argsort(c, kind="stable")
    a, w, c = a[order], w[order], c[order]
    system = DramSystem(spec, config, record=record, **config_fields)
    s = system.spec
    d = system.mapper.decode_array(a)
    bank = (d["rank"] * s.bank_groups + d["bg"]) * s.banks_per_group + d["bank"]
    system.finish.extend([-1] * n)
    system.arrival.extend(c.tolist())
    system.is_write.extend(w.tolist())
    system.address.extend(a.tolist())
    rid = np.arange(n, dtype=np.int64)
    ch = d["channel"]
    for k, ctrl in enumerate(system.controllers):
        sel = ch == k
        if not sel.any():
            continue
        ctrl.pending.extend(zip(c[sel].tolist(), rid[sel].tolist(), bank[sel].tolist(), d["row"][sel].tolist(),
                                w[sel].tolist(), strict=True))
    system.drain()
    return system.stats(), system


def run_frontend(spec: DramSpec | str, addresses, is_write=None, cycles=None,
                 config: ControllerConfig | None = None, *, record: bool = False,
                 **config_fields: Any) -> tuple[dict[str, Any], DramSystem]:
    """Simulate a trace through the front end of ``archsim dram`` and drain it.

    Arrival semantics (DRAMsim3's trace front end, ``TraceBasedCPU``): requests are offered in trace order,
    request ``i`` at cycle ``max(cycles[i], offer of i-1 + 1)`` (at most one per cycle); it is accepted after
    the memory's tick of that cycle if its channel's queue has room, otherwise the trace stalls (later requests
    wait too) until it fits.  A request accepted after tick ``c`` enters its queue at ``c + 1``, its
    *acceptance cycle*; latency = completion (last data beat) - acceptance.  Channels are simulated lazily
    (each only as far as the front end needs), which is exact because they share nothing but the front end.

    Returns (summary dict as :func:`summarize`, the :class:`DramSystem`; ``system.arrival`` holds the
    acceptance cycles, ``system.offered`` the trace cycles).
    """
    a = np.asarray(addresses, dtype=np.int64)
    n = a.size
    w = np.zeros(n, dtype=bool) if is_write is None else np.asarray(is_write, dtype=bool)
    c = np.zeros(n, dtype=np.int64) if cycles is None else np.asarray(cycles, dtype=np.int64)
    if w.size != n or c.size != n:
        raise ConfigError(f"is_write and cycles must have one entry per address ({n}), not {w.size} and {c.size}")
    system = DramSystem(spec, config, record=record, **config_fields)
    s = system.spec
    d = system.mapper.decode_array(a)
    bank = ((d["rank"] * s.bank_groups + d["bg"]) * s.banks_per_group + d["bank"]).tolist()
    ch = d["channel"].tolist()
    row = d["row"].tolist()
    del d
    wl = w.tolist()
    system.finish.extend([-1] * n)
    system.is_write.extend(wl)
    system.address = a  # numpy (not a list: peak memory of 10^5-request traces)
    acc = [0] * n
    ctrls = system.controllers
    t = -1
    for i in range(n):
        cyc = int(c[i])  # not c.tolist(): one more list of 10^5 ints at the peak
        t = cyc if cyc > t else t
        k = ctrls[ch[i]]
        wi = wl[i]
        if not k.has_room(wi):
            t = k.accept(t, wi)
        acc[i] = t + 1
        k.enqueue(t + 1, i, bank[i], row[i], wi)
        t += 1
    system.arrival = acc  # the acceptance cycles (a list, as DramSystem keeps them)
    del bank, ch, row
    system.offered = c
    system.drain()
    return system.stats(), system


def closed_page_random_ceiling(spec: DramSpec) -> float:
    """Upper bound on column accesses per tCK per channel when every access needs its own ACT.

    Per rank: at most one ACT every tRRD_S, four per tFAW; per bank one per tRC.  Returned in
    accesses per tCK for one channel (all ranks): ``ranks x min(1/tRRD_S, 4/tFAW, banks/tRC)``.
    """
    s = spec
    per_rank = min(1 / s.tRRD_S, 4 / s.tFAW, s.banks / s.tRC)
    return min(s.ranks * per_rank, 1 / s.burst_cycles)

