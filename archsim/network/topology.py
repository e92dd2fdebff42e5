"""Topologies: which directed links a message from one device to another crosses.

Every topology numbers its directed links ``0 .. num_links-1``; :meth:`Topology.route` maps flows
(``src``, ``dst`` device arrays) to the links they cross (vectorized), so a collective's bytes land on
links and contention (several flows on one link) is counted.  Kinds (``kind`` in dicts):

* ``switch``: every device has one port (up and down link) into a non-blocking switch (NVSwitch); a
  message crosses 2 links (device -> switch -> device).
* ``bus``: a flat high-radix fabric (CloudMatrix384's unified bus): routed like ``switch``, its own
  default algorithms (direct exchanges are cheap on it).
* ``ring``: a bidirectional ring, shortest direction.
* ``torus``: 2D/3D torus with wrap-around, dimension-order routing (TPU v4 ICI).
* ``two_level``: nodes of ``per_node`` devices on an intra-node switch, plus one NIC per device into a
  non-blocking scale-out fabric; ``rail_optimized`` sends inter-node data over the NIC of the GPU whose
  local rank matches the destination's (PXN: first an intra-node hop).
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar

import numpy as np

from archsim.core.errors import ConfigError, require_positive_int
from archsim.network.link import Link

ALGORITHMS = ("ring", "ring_bidir", "tree", "direct", "hierarchical")


def _check_common(t: Topology) -> None:
    for f in ("step_overhead_us", "launch_us"):
        v = getattr(t, f)
        if isinstance(v, bool) or not isinstance(v, (int, float)) or not 0 <= v < float("inf"):
            raise ConfigError(f"topology {f} must be a non-negative number, not {v!r}")
    algos = tuple(t.algorithms)
    if not algos or any(a not in ALGORITHMS for a in algos):
        raise ConfigError(f"topology algorithms must be a non-empty list of {', '.join(ALGORITHMS)}, not {algos!r}")
    object.__setattr__(t, "algorithms", algos)


@dataclass(frozen=True)
class Topology:
    """Base of every topology (see the module docstring).

    Attributes shared by every kind:
        step_overhead_us: fixed cost of one algorithm step (synchronization, protocol), microseconds.
        launch_us: fixed cost of one collective (kernel launch, setup), microseconds.
        algorithms: algorithms the chooser may use on this topology.
    """

    kind: ClassVar[str] = ""

    @property
    def devices(self) -> int:
        """Number of devices."""
        raise NotImplementedError

    @property
    def num_links(self) -> int:
        """Number of directed links."""
        raise NotImplementedError

    def link_of(self) -> tuple[list[Link], np.ndarray]:
        """Return (link classes, class index of every directed link)."""
        raise NotImplementedError

    def route(self, src: np.ndarray, dst: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Return (flow index per crossing, link id per crossing, latency in seconds per flow)."""
        raise NotImplementedError

    def relays(self, crossings: np.ndarray) -> np.ndarray:
        """Return the store-and-forward relays of flows that cross ``crossings`` links (devices in between)."""
        return np.maximum(crossings - 1, 0)

    def levels(self, p: int) -> list[int]:
        """Return group sizes (innermost first) whose product is ``p``, for hierarchical algorithms; [] if none."""
        return []

    def device_port_bytes_per_s(self) -> float:
        """Return the usable bandwidth of one device's links in one direction, bytes/s (all its ports)."""
        raise NotImplementedError

    # -- (de)serialization ---------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        """Return the topology as a plain dict (``kind`` plus the fields; links as dicts)."""
        d: dict[str, Any] = {"kind": self.kind}
        for f in dataclasses.fields(self):
            v = getattr(self, f.name)
            d[f.name] = v.to_dict() if isinstance(v, Link) else (list(v) if isinstance(v, tuple) else v)
        return d

    def check_devices(self, devs: np.ndarray) -> None:
        """Raise ConfigError unless every device id is in range."""
        if devs.size and (devs.min() < 0 or devs.max() >= self.devices):
            raise ConfigError(f"devices must be in 0..{self.devices - 1} for this {self.kind} topology")


def _link_field(obj: Any, name: str) -> None:
    object.__setattr__(obj, name, Link.from_dict(getattr(obj, name)))


@dataclass(frozen=True)
class Switch(Topology):
    """Devices on a non-blocking switch (NVLink + NVSwitch): one port per device, 2 links per message.

    Attributes:
        num_devices: devices on the switch.
        link: one device's port (all its NVLinks together), per direction.
        hops: links a message crosses (2: device -> switch -> device).
    """

    num_devices: int = 8
    link: Link = field(default_factory=lambda: Link(450.0))
    hops: int = 2
    step_overhead_us: float = 0.0
    launch_us: float = 0.0
    algorithms: tuple = ("ring", "tree")
    kind: ClassVar[str] = "switch"

    def __post_init__(self) -> None:
        require_positive_int("topology num_devices", self.num_devices)
        require_positive_int("topology hops", self.hops)
        _link_field(self, "link")
        _check_common(self)

    @property
    def devices(self) -> int:
        return self.num_devices

    @property
    def num_links(self) -> int:
        return 2 * self.num_devices

    def link_of(self) -> tuple[list[Link], np.ndarray]:
        return [self.link], np.zeros(self.num_links, dtype=np.int64)

    def route(self, src, dst):
        f = np.arange(src.size)
        lat = np.full(src.size, self.hops * self.link.latency_us * 1e-6)
        return np.concatenate([f, f]), np.concatenate([2 * src, 2 * dst + 1]), lat

    def device_port_bytes_per_s(self) -> float:
        return self.link.bytes_per_s

    def relays(self, crossings: np.ndarray) -> np.ndarray:
        return np.zeros_like(crossings)  # the switch is cut-through: no device forwards


@dataclass(frozen=True)
class Bus(Switch):
    """A flat high-radix bus (CloudMatrix384's UB): every device reaches every other at full port bandwidth.

    Routed like :class:`Switch` (``hops`` links per message, here through the fabric's switch tiers).
    """

    algorithms: tuple = ("ring", "tree", "direct")
    kind: ClassVar[str] = "bus"


@dataclass(frozen=True)
class Torus(Topology):
    """A 1D/2D/3D torus with wrap-around links (TPU v4 ICI); dimension-order, shortest-direction routing.

    Attributes:
        dims: devices along each dimension (product = devices).
        link: one link (one neighbour, one direction).
    """

    dims: tuple = (4, 4, 4)
    link: Link = field(default_factory=lambda: Link(45.0))
    step_overhead_us: float = 0.0
    launch_us: float = 0.0
    algorithms: tuple = ("ring", "ring_bidir", "hierarchical")
    kind: ClassVar[str] = "torus"

    def __post_init__(self) -> None:
        dims = tuple(self.dims) if isinstance(self.dims, (list, tuple)) else self.dims
        if not isinstance(dims, tuple) or not 1 <= len(dims) <= 3:
            raise ConfigError(f"topology dims must be a list of 1 to 3 positive integers, not {self.dims!r}")
        for d in dims:
            require_positive_int("topology dims entry", d)
        object.__setattr__(self, "dims", dims)
        _link_field(self, "link")
        _check_common(self)

    @property
    def devices(self) -> int:
        return math.prod(self.dims)

    @property
    def num_links(self) -> int:
        return self.devices * len(self.dims) * 2

    def link_of(self):
        return [self.link], np.zeros(self.num_links, dtype=np.int64)

    def route(self, src, dst):
        dims = self.dims
        nd = len(dims)
        cs = np.array(np.unravel_index(src, dims)).reshape(nd, -1).T.copy()
        cd = np.array(np.unravel_index(dst, dims)).reshape(nd, -1).T
        fis, lis = [], []
        hops_total = np.zeros(src.size, dtype=np.int64)
        for k, n in enumerate(dims):
            delta = (cd[:, k] - cs[:, k]) % n
            fwd = delta <= n - delta
            h = np.where(fwd, delta, n - delta)
            hops_total += h
            total = int(h.sum())
            if total:
                rep = np.repeat(np.arange(src.size), h)
                step = np.arange(total) - np.repeat(np.cumsum(h) - h, h)
                sign = np.where(fwd[rep], 1, -1)
                pos = (cs[rep, k] + sign * step) % n
                coords = cs[rep].copy()
                coords[:, k] = pos
                dev = np.ravel_multi_index(tuple(coords.T), dims)
                lis.append((dev * nd + k) * 2 + np.where(fwd[rep], 0, 1))
                fis.append(rep)
            cs[:, k] = cd[:, k]
        fi = np.concatenate(fis) if fis else np.zeros(0, dtype=np.int64)
        li = np.concatenate(lis) if lis else np.zeros(0, dtype=np.int64)
        return fi, li, hops_total * self.link.latency_us * 1e-6

    def levels(self, p: int) -> list[int]:
        if p != self.devices:
            return []
        return [d for d in reversed(self.dims) if d > 1]  # innermost first: the last dimension varies fastest

    def device_port_bytes_per_s(self) -> float:
        return self.link.bytes_per_s * 2 * sum(1 for d in self.dims if d > 1)


@dataclass(frozen=True)
class Ring(Torus):
    """A bidirectional ring of ``num_devices`` (a 1D torus)."""

    num_devices: int = 8
    dims: tuple = ()
    algorithms: tuple = ("ring", "ring_bidir")
    kind: ClassVar[str] = "ring"

    def __post_init__(self) -> None:
        require_positive_int("topology num_devices", self.num_devices)
        object.__setattr__(self, "dims", (self.num_devices,))
        super().__post_init__()

    def to_dict(self) -> dict[str, Any]:
        d = super().to_dict()
        d.pop("dims")
        return d


@dataclass(frozen=True)
class TwoLevel(Topology):
    """Nodes of ``per_node`` devices on an intra-node switch plus a scale-out fabric (one NIC per device).

    Attributes:
        nodes: number of nodes.
        per_node: devices per node.
        intra: a device's intra-node port (e.g. NVLink 4 through NVSwitch), per direction.
        inter: a device's NIC (e.g. 400 Gb/s InfiniBand NDR), per direction.
        inter_hops: links an inter-node message crosses in the fabric (NIC -> leaf -> spine -> leaf -> NIC: 4).
        rail_optimized: inter-node data leaves through the NIC of the local GPU whose rank matches the
            destination's local rank (an intra-node hop first when they differ), as on rail-optimized fabrics.
    """

    nodes: int = 2
    per_node: int = 8
    intra: Link = field(default_factory=lambda: Link(450.0))
    inter: Link = field(default_factory=lambda: Link(50.0))
    inter_hops: int = 4
    rail_optimized: bool = True
    step_overhead_us: float = 0.0
    launch_us: float = 0.0
    algorithms: tuple = ("ring", "tree", "hierarchical")
    kind: ClassVar[str] = "two_level"

    def __post_init__(self) -> None:
        require_positive_int("topology nodes", self.nodes)
        require_positive_int("topology per_node", self.per_node)
        require_positive_int("topology inter_hops", self.inter_hops)
        if not isinstance(self.rail_optimized, bool):
            raise ConfigError(f"topology rail_optimized must be true or false, not {self.rail_optimized!r}")
        _link_field(self, "intra")
        _link_field(self, "inter")
        _check_common(self)

    @property
    def devices(self) -> int:
        return self.nodes * self.per_node

    @property
    def num_links(self) -> int:
        return 4 * self.devices

    def link_of(self):
        cls = np.tile(np.array([0, 0, 1, 1]), self.devices)
        return [self.intra, self.inter], cls

    def route(self, src, dst):
        f = np.arange(src.size)
        same = src // self.per_node == dst // self.per_node
        intra_lat = 2 * self.intra.latency_us * 1e-6
        inter_lat = self.inter_hops * self.inter.latency_us * 1e-6
        fi = [f[same], f[same]]
        li = [4 * src[same], 4 * dst[same] + 1]
        lat = np.where(same, intra_lat, inter_lat)
        x = ~same
        s, d, fx = src[x], dst[x], f[x]
        if self.rail_optimized:
            relay = (s // self.per_node) * self.per_node + d % self.per_node
            hop = relay != s
            fi += [fx[hop], fx[hop]]
            li += [4 * s[hop], 4 * relay[hop] + 1]
            lat = lat.copy()
            lat[fx[hop]] += intra_lat
            s = relay
        fi += [fx, fx]
        li += [4 * s + 2, 4 * d + 3]
        return np.concatenate(fi), np.concatenate(li), lat

    def relays(self, crossings: np.ndarray) -> np.ndarray:
        return (crossings > 2).astype(crossings.dtype)  # a PXN relay through a local GPU

    def levels(self, p: int) -> list[int]:
        if p <= self.per_node or p % self.per_node:
            return []
        return [self.per_node, p // self.per_node]

    def device_port_bytes_per_s(self) -> float:
        return self.intra.bytes_per_s


TOPOLOGY_KINDS: dict[str, type[Topology]] = {c.kind: c for c in (Switch, Bus, Ring, Torus, TwoLevel)}


def topology_from_dict(data: Mapping[str, Any] | Topology) -> Topology:
    """Return a topology from a dict with ``kind`` and that kind's fields (or the topology itself)."""
    if isinstance(data, Topology):
        return data
    if not isinstance(data, Mapping):
        raise ConfigError(f"topology must be a mapping with a kind, not {type(data).__name__}")
    data = dict(data)
    kind = data.pop("kind", None)
    if kind not in TOPOLOGY_KINDS:
        raise ConfigError(f"topology kind must be one of {', '.join(TOPOLOGY_KINDS)}, not {kind!r}")
    cls = TOPOLOGY_KINDS[kind]
    known = {f.name for f in dataclasses.fields(cls)}
    bad = sorted(set(data) - known)
    if bad:
        raise ConfigError(f"unknown {kind} topology field(s) {', '.join(bad)}; allowed: {', '.join(sorted(known))}")
    for k, v in list(data.items()):
        if isinstance(v, list):
            data[k] = tuple(v)
    return cls(**data)
