"""Collectives over a modelled topology: algorithms as phases of concurrent flows, priced link by link.

An algorithm is a list of :class:`Phase` s; a phase is a set of flows (``src``, ``dst``, bytes) that run
together, repeated ``repeat`` times (e.g. the ``2(p-1)`` identical steps of a ring all-reduce).  A phase
takes

    max over links (bytes on the link / its usable bandwidth)      # contention: flows sharing a link add up
  + max over flows (hops x link latency)                           # alpha: wire + switch latency
  + relays x chunk / slowest link bandwidth                       # devices forwarding the first chunk
  + the topology's step overhead                                   # synchronization / protocol per step

and a collective is the sum over phases plus the topology's launch cost.  Sizes follow nccl-tests
(``size_bytes``): the all-reduce buffer, the all-gather *output*, the reduce-scatter *input*, the
all-to-all per-rank send buffer, the send/recv message.  Bus bandwidth uses nccl-tests' factors
(all-reduce ``2(p-1)/p``, the others ``(p-1)/p``).

Algorithms: ``ring`` (NCCL's ring: reduce-scatter then all-gather, ``p-1`` steps each; on a two-level
fabric one ring per local rank, each leaving the nodes through a different NIC, as NCCL's channels do),
``ring_bidir`` (half the data each way round the ring: both directions of ring/torus links),
``tree`` (double binary tree, pipelined in chunks: ``2(depth + chunks - 1)`` stages), ``direct`` (every
rank exchanges with every other in one phase: all-to-all, two-shot all-reduce), ``hierarchical``
(reduce-scatter level by level - within nodes, then across them / along each torus dimension - then
all-gather back: NCCL's intra/inter-node split, TPU's multi-dimensional rings).  ``auto`` evaluates
every algorithm the topology allows and keeps the fastest (:func:`choose` shows the table).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from archsim.core.errors import ConfigError, require_choice, require_positive_int
from archsim.network.topology import ALGORITHMS, Topology

OPS = ("all_reduce", "all_gather", "reduce_scatter", "all_to_all", "send_recv")
#: nccl-tests bus-bandwidth factor per op (NVIDIA/nccl-tests doc/PERFORMANCE.md), p = ranks
BUS_FACTOR = {
    "all_reduce": lambda p: 2.0 * (p - 1) / p,
    "all_gather": lambda p: (p - 1) / p,
    "reduce_scatter": lambda p: (p - 1) / p,
    "all_to_all": lambda p: (p - 1) / p,
    "send_recv": lambda p: 1.0,
}
#: algorithms that implement each op
_VALID = {
    "all_reduce": ("ring", "ring_bidir", "tree", "direct", "hierarchical"),
    "all_gather": ("ring", "ring_bidir", "direct", "hierarchical"),
    "reduce_scatter": ("ring", "ring_bidir", "direct", "hierarchical"),
    "all_to_all": ("direct",),
    "send_recv": ("direct",),
}
DEFAULT_CHUNK_BYTES = 512 * 1024  # NCCL Simple-protocol chunk: NCCL_BUFFSIZE 4 MiB / 8 steps (assumption)


@dataclass(frozen=True)
class Phase:
    """Concurrent flows (device ids, bytes per flow) repeated ``repeat`` times in a row."""

    src: np.ndarray
    dst: np.ndarray
    nbytes: np.ndarray
    repeat: int = 1
    label: str = ""


@dataclass
class CollectiveResult:
    """The predicted cost of one collective.

    Attributes:
        op, algorithm, ranks: what ran, how, on how many devices.
        size_bytes: nccl-tests size (see the module docstring), bytes.
        seconds: predicted time, s.
        algbw_gbps, busbw_gbps: size / time and nccl-tests bus bandwidth, GB/s (1e9 B/s).
        bytes_sent_per_device: the most bytes any rank sends, bytes.
        link_bytes: bytes x links crossed, summed over every link (what link energy is priced on).
        link_pj: link energy, pJ (each link's pJ/bit x its bits).
        link_bytes_by_class: ``link_bytes`` split by the topology's link classes (``link_of``).
        max_link_utilization: busiest link's busy time / ``seconds``.
        phases: (label, repeat, seconds per repetition) of each phase.
        candidates: seconds of every algorithm considered (``auto``), the chosen one included.
    """

    op: str
    algorithm: str
    ranks: int
    size_bytes: int
    seconds: float
    algbw_gbps: float
    busbw_gbps: float
    bytes_sent_per_device: float
    link_bytes: float
    link_pj: float
    max_link_utilization: float
    link_bytes_by_class: list = field(default_factory=list)
    phases: list = field(default_factory=list)
    candidates: dict = field(default_factory=dict)

    def to_dict(self) -> dict:
        """Return the result as a JSON-ready dict (no NaN)."""
        d = {k: getattr(self, k) for k in ("op", "algorithm", "ranks", "size_bytes", "seconds", "algbw_gbps",
                                            "busbw_gbps", "bytes_sent_per_device", "link_bytes", "link_pj",
                                            "max_link_utilization")}
        d["bus_bandwidth_gbps"] = self.busbw_gbps
        d["candidates_seconds"] = dict(self.candidates)
        return {k: (float(v) if isinstance(v, (np.floating, np.integer)) else v) for k, v in d.items()}


# ---------------------------------------------------------------------------
# phase evaluation


class _Net:
    """Per-link arrays of one topology (bandwidth, energy) for phase evaluation."""

    def __init__(self, topo: Topology) -> None:
        classes, idx = topo.link_of()
        self.topo = topo
        self.bw = np.array([c.bytes_per_s for c in classes])[idx]
        self.pj_bit = np.array([c.pj_per_bit for c in classes])[idx]
        self.step_s = topo.step_overhead_us * 1e-6
        self.cls_idx, self.ncls = idx, len(classes)

    def phase(self, ph: Phase, chunk: float) -> tuple[float, np.ndarray]:
        """Return (seconds of one repetition, bytes on every link in one repetition)."""
        load = np.zeros(self.bw.size)
        if ph.src.size == 0:
            return 0.0, load
        fi, li, lat = self.topo.route(ph.src, ph.dst)
        np.add.at(load, li, ph.nbytes[fi])
        busy = float(np.max(load / self.bw))
        relays = self.topo.relays(np.bincount(fi, minlength=ph.src.size))
        first = 0.0
        if relays.max() > 0:
            minbw = np.full(ph.src.size, np.inf)
            np.minimum.at(minbw, fi, self.bw[li])
            first = float(np.max(relays * np.minimum(chunk, ph.nbytes) / minbw))
        return busy + float(lat.max()) + first + self.step_s, load


def _ring_flows(devs: np.ndarray, nbytes: float, bidir: bool) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    nxt = np.roll(devs, -1)
    if not bidir:
        return devs, nxt, np.full(devs.size, nbytes)
    prv = np.roll(devs, 1)
    return (np.concatenate([devs, devs]), np.concatenate([nxt, prv]), np.full(2 * devs.size, nbytes / 2))


def _ring(devs: np.ndarray, per_step: float, steps: int, bidir: bool, label: str,
          orders: list[np.ndarray] | None = None) -> list[Phase]:
    """Ring steps; ``orders``: several rings (NCCL channels) sharing the data, each its own rank order."""
    if steps == 0 or devs.size < 2:
        return []
    orders = orders or [devs]
    flows = [_ring_flows(o, per_step / len(orders), bidir) for o in orders]
    s, d, b = (np.concatenate([f[i] for f in flows]) for i in range(3))
    return [Phase(s, d, b, steps, label)]


def _channels(devs: np.ndarray, levels: list[int]) -> list[np.ndarray] | None:
    """Return NCCL-style ring channels over a two-level group: channel c leaves every node from local rank c.

    One ring per local rank, each visiting a node's ranks rotated by c, so every NIC carries one channel's
    inter-node traffic (a single ring would put it all on one NIC).  None for one-level groups.
    """
    if len(levels) != 2:
        return None
    per, nodes = levels
    grid = devs.reshape(nodes, per)
    return [np.concatenate([np.roll(row, -(c + 1)) for row in grid]) for c in range(per)]


def _direct(devs: np.ndarray, matrix: np.ndarray, label: str) -> list[Phase]:
    """One phase: rank i sends matrix[i, j] bytes to rank j (diagonal ignored)."""
    p = devs.size
    i, j = np.nonzero(~np.eye(p, dtype=bool) & (matrix > 0))
    if i.size == 0:
        return []
    return [Phase(devs[i], devs[j], matrix[i, j].astype(np.float64), 1, label)]


def _groups(devs: np.ndarray, levels: list[int], k: int) -> list[np.ndarray]:
    """Return the rank groups of level k: ranks that differ only in digit k of the mixed-radix index."""
    shape = tuple(reversed(levels))  # row-major: innermost level varies fastest
    grid = devs.reshape(shape)
    axis = len(levels) - 1 - k
    moved = np.moveaxis(grid, axis, -1)
    return list(moved.reshape(-1, levels[k]))


def _level_flows(devs, levels, k, nbytes, bidir):
    gs = _groups(devs, levels, k)
    src = np.concatenate([np.asarray(g) for g in gs])
    dst = np.concatenate([np.roll(g, -1) for g in gs])
    if bidir:
        src = np.concatenate([src, src])
        dst = np.concatenate([dst, np.concatenate([np.roll(g, 1) for g in gs])])
        nbytes = nbytes / 2
    return src, dst, np.full(src.size, nbytes)


def _hier(devs, levels, size, op, bidir: bool = False) -> list[Phase]:
    """Reduce-scatter over each level innermost first (data shrinking), then all-gather back.

    ``bidir``: each level's ring runs half the data each way (torus dimensions have links both ways).  On a
    torus whose dimensions are all equal (``bidir`` with ``d`` equal levels) the buffer is cut in ``d``
    parts that run the levels in ``d`` rotated orders at once (part r starts on dimension r), so every
    dimension's links work in every stage (the multi-dimensional ring all-reduce of TPU pods).
    """
    d = len(levels)
    rotate = bidir and d > 1 and len(set(levels)) == 1
    parts = list(range(d)) if rotate else [0]
    share = size / len(parts)
    rs, ag = [], []
    for stage in range(d):
        n = levels[stage]  # equal levels when rotating
        srcs, dsts, nbs = [], [], []
        for r in parts:
            k = (r + stage) % d
            data = share / math.prod(levels[(r + j) % d] for j in range(stage)) if rotate else \
                share / math.prod(levels[:stage])
            src, dst, nb = _level_flows(devs, levels, k if rotate else stage, data / levels[k if rotate else stage],
                                        bidir)
            srcs.append(src)
            dsts.append(dst)
            nbs.append(nb)
        src, dst, nb = np.concatenate(srcs), np.concatenate(dsts), np.concatenate(nbs)
        rs.append(Phase(src, dst, nb, n - 1, f"rs stage {stage} ({n})"))
        ag.append(Phase(src, dst, nb, n - 1, f"ag stage {stage} ({n})"))
    if op == "all_reduce":
        phases = rs + ag[::-1]
    elif op == "reduce_scatter":
        phases = rs
    else:  # all-gather: the reverse of the reduce-scatter, data growing level by level
        phases = ag[::-1]
    return [ph for ph in phases if ph.repeat > 0]


def _tree_time(net: _Net, devs: np.ndarray, size: float) -> tuple[float, list[Phase], float]:
    """Return (seconds, phases for byte accounting, chunks) of a pipelined double-binary-tree all-reduce.

    Two binary trees over the ranks (the second mirrored, so a rank inner in one is a leaf in the other)
    each reduce half the buffer up and broadcast it down, in ``k`` chunks: ``2 (depth + k - 1)`` pipeline
    stages of one chunk each; ``k`` is the best power of two (<= 4096).
    """
    p = devs.size
    r = np.arange(1, p)
    parent = (r - 1) // 2
    src = np.concatenate([devs[r], devs[p - 1 - r]])
    dst = np.concatenate([devs[parent], devs[p - 1 - parent]])
    depth = max(1, math.ceil(math.log2(p + 1)) - 1)

    def stage(chunk: float) -> float:
        return net.phase(Phase(src, dst, np.full(src.size, chunk / 2)), chunk)[0]

    t0 = stage(0.0)
    slope = (stage(float(1 << 20)) - t0) / float(1 << 20)
    ks = 2.0 ** np.arange(0, 13)
    times = 2 * (depth + ks - 1) * (t0 + slope * size / ks)
    k = float(ks[int(np.argmin(times))])
    # byte accounting: reduce (child -> parent) and broadcast (parent -> child), half the buffer per tree
    up = Phase(src, dst, np.full(src.size, size / 2), 1, "tree reduce")
    down = Phase(dst, src, np.full(src.size, size / 2), 1, "tree broadcast")
    return float(times.min()), [up, down], k


def _phases(op: str, algo: str, devs: np.ndarray, size: float, levels: list[int],
            counts: np.ndarray | None, bidir_levels: bool = False,
            channels: list[np.ndarray] | None = None) -> list[Phase]:
    p = devs.size
    if op == "send_recv":
        return [Phase(devs[:1], devs[1:2], np.array([size]), 1, "send")]
    if op == "all_to_all":
        m = counts if counts is not None else np.full((p, p), size / p)
        return _direct(devs, m, "all-to-all")
    if algo in ("ring", "ring_bidir"):
        bidir = algo == "ring_bidir"
        steps = {"all_reduce": 2 * (p - 1), "all_gather": p - 1, "reduce_scatter": p - 1}[op]
        return _ring(devs, size / p, steps, bidir, f"{algo} step", orders=channels)
    if algo == "direct":
        m = np.full((p, p), size / p / p)
        if op == "all_reduce":  # two-shot: reduce-scatter then all-gather, each one direct exchange
            return _direct(devs, m, "direct reduce-scatter") + _direct(devs, m, "direct all-gather")
        return _direct(devs, m, f"direct {op}")
    if algo == "hierarchical":
        return _hier(devs, levels, size, op, bidir=bidir_levels)
    raise ConfigError(f"algorithm {algo!r} does not implement {op}")


def _ranks(topo: Topology, ranks: int | Sequence[int] | None) -> np.ndarray:
    if ranks is None:
        devs = np.arange(topo.devices)
    elif isinstance(ranks, (int, np.integer)) and not isinstance(ranks, bool):
        require_positive_int("ranks", int(ranks))
        if ranks > topo.devices:
            raise ConfigError(f"ranks must be at most the topology's {topo.devices} devices, not {ranks}")
        devs = np.arange(int(ranks))
    else:
        devs = np.asarray(list(ranks), dtype=np.int64)
        if devs.size == 0 or np.unique(devs).size != devs.size:
            raise ConfigError("ranks must be a non-empty list of distinct device ids")
        topo.check_devices(devs)
    return devs


def candidates(topo: Topology, op: str, p: int) -> list[str]:
    """Return the algorithms ``auto`` considers for ``op`` on ``p`` ranks of ``topo``."""
    out = [a for a in topo.algorithms if a in _VALID[op]]
    if op in ("all_to_all", "send_recv"):
        return ["direct"]
    if "hierarchical" in out and len(topo.levels(p)) < 2:
        out.remove("hierarchical")
    return out or ["ring"]


def collective(topo: Topology, op: str, size_bytes: int | float, ranks: int | Sequence[int] | None = None,
               algorithm: str = "auto", *, counts: np.ndarray | Sequence[Sequence[float]] | None = None,
               chunk_bytes: float = DEFAULT_CHUNK_BYTES) -> CollectiveResult:
    """Return the predicted cost of one collective on ``topo``.

    Args:
        topo: the topology.
        op: one of :data:`OPS`.
        size_bytes: nccl-tests size in bytes (module docstring); for ``all_to_all`` with ``counts`` it is
            the largest per-rank send total.
        ranks: number of ranks (the first devices) or explicit device ids; default every device.
        algorithm: ``auto`` or one of :data:`archsim.network.topology.ALGORITHMS`.
        counts: all-to-all only: ``[p, p]`` bytes rank i sends rank j (uneven MoE dispatch).
        chunk_bytes: pipelining chunk, bytes (store-and-forward over multi-hop paths).
    """
    require_choice("op", op, OPS)
    if algorithm != "auto":
        require_choice("algorithm", algorithm, ALGORITHMS)
    if isinstance(size_bytes, bool) or not isinstance(size_bytes, (int, float, np.integer, np.floating)) \
            or not 0 <= size_bytes < float("inf"):
        raise ConfigError(f"bytes must be a non-negative number, not {size_bytes!r}")
    devs = _ranks(topo, ranks)
    p = devs.size
    if op == "send_recv" and p != 2:
        raise ConfigError(f"send_recv needs exactly 2 ranks, not {p}")
    m = None
    if counts is not None:
        if op != "all_to_all":
            raise ConfigError("counts applies to all_to_all only")
        m = np.asarray(counts, dtype=np.float64)
        if m.shape != (p, p) or not np.all(np.isfinite(m)) or np.any(m < 0):
            raise ConfigError(f"counts must be a {p} x {p} matrix of non-negative bytes, not shape {m.shape}")
        size_bytes = float(m.sum(axis=1).max())
    net = _Net(topo)
    levels = topo.levels(p)
    if algorithm == "auto":
        algos = candidates(topo, op, p)
    else:
        if algorithm not in _VALID[op]:
            raise ConfigError(f"algorithm for {op} must be one of {', '.join(_VALID[op])}, not {algorithm!r}")
        if algorithm == "hierarchical" and len(levels) < 2:
            raise ConfigError(f"hierarchical needs a multi-level topology (two_level, torus) and a group that "
                              f"spans its levels; {p} ranks of this {topo.kind} have none")
        algos = [algorithm]
    best = None
    table = {}
    for algo in algos:
        r = _evaluate(net, op, algo, devs, float(size_bytes), levels, m, chunk_bytes)
        table[algo] = r.seconds
        if best is None or r.seconds < best.seconds:
            best = r
    best.candidates = table
    return best


def _evaluate(net: _Net, op: str, algo: str, devs: np.ndarray, size: float, levels: list[int],
              m: np.ndarray | None, chunk: float) -> CollectiveResult:
    topo = net.topo
    p = devs.size
    load = np.zeros(net.bw.size)
    sent = np.zeros(topo.devices)
    seconds = topo.launch_us * 1e-6
    rows = []
    if p == 1 or size == 0:
        phases: list[Phase] = []
    elif algo == "tree" and op == "all_reduce":
        t, phases, k = _tree_time(net, devs, size)
        seconds += t
        rows.append((f"tree ({int(k)} chunks)", 1, t))
    else:
        chans = _channels(devs, levels) if topo.kind == "two_level" else None
        phases = _phases(op, algo, devs, size, levels, m, bidir_levels="ring_bidir" in topo.algorithms,
                         channels=chans)
    for ph in phases:
        t, ld = net.phase(ph, chunk)
        load += ld * ph.repeat
        np.add.at(sent, ph.src, ph.nbytes * ph.repeat)
        if algo != "tree":
            seconds += t * ph.repeat
            rows.append((ph.label, ph.repeat, t))
    algbw = size / seconds / 1e9 if seconds > 0 else 0.0
    busy = float(np.max(load / net.bw)) if load.any() else 0.0
    return CollectiveResult(
        op=op, algorithm=algo if p > 1 else "none", ranks=p, size_bytes=int(size), seconds=seconds,
        algbw_gbps=algbw, busbw_gbps=algbw * BUS_FACTOR[op](p) if p > 1 else 0.0,
        bytes_sent_per_device=float(sent.max()), link_bytes=float(load.sum()),
        link_pj=float((load * 8 * net.pj_bit).sum()),
        max_link_utilization=busy / seconds if seconds > 0 else 0.0,
        link_bytes_by_class=[float(x) for x in np.bincount(net.cls_idx, weights=load, minlength=net.ncls)],
        phases=rows)


def choose(topo: Topology, op: str, size_bytes: float, ranks: int | Sequence[int] | None = None) -> list[dict]:
    """Return every candidate algorithm's predicted time, fastest first: ``[{algorithm, seconds, busbw_gbps}]``.

    The chooser is the minimum of this table: it explains ``auto``'s pick (e.g. tree beats ring below a
    size where ring's ``2(p-1)`` latency-bound steps cost more than the tree's ``2 log2 p`` stages).
    """
    out = []
    p = _ranks(topo, ranks).size
    for algo in candidates(topo, op, p):
        r = collective(topo, op, size_bytes, ranks, algo)
        out.append({"algorithm": algo, "seconds": r.seconds, "busbw_gbps": r.busbw_gbps})
    return sorted(out, key=lambda d: d["seconds"])
