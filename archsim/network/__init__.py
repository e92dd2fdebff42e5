"""Interconnect: links, topologies (switch, bus, ring, torus, two-level fabrics) and collectives with
contention on shared links.  See docs/network.md.

Public API::

    from archsim.network import Switch, Link, collective
    nvl = Switch(num_devices=8, link=Link(450.0, efficiency=0.82, latency_us=1.0))
    r = collective(nvl, "all_reduce", 1 << 30, ranks=8)    # auto: fastest algorithm the topology allows
    r.seconds, r.busbw_gbps, r.algorithm, r.bytes_sent_per_device, r.link_bytes
"""

from archsim.network.collectives import (
    BUS_FACTOR,
    OPS,
    CollectiveResult,
    Phase,
    candidates,
    choose,
    collective,
)
from archsim.network.link import Link
from archsim.network.topology import (
    ALGORITHMS,
    TOPOLOGY_KINDS,
    Bus,
    Ring,
    Switch,
    Topology,
    Torus,
    TwoLevel,
    topology_from_dict,
)

__all__ = [
    "ALGORITHMS",
    "BUS_FACTOR",
    "OPS",
    "TOPOLOGY_KINDS",
    "Bus",
    "CollectiveResult",
    "Link",
    "Phase",
    "Ring",
    "Switch",
    "Topology",
    "Torus",
    "TwoLevel",
    "candidates",
    "choose",
    "collective",
    "topology_from_dict",
]
