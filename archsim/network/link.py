"""A link: bandwidth per direction, latency per hop, energy per bit."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from archsim.core.errors import ConfigError, require_positive_number

#: Energy per bit of one link hop: name -> (pJ/bit, source).  Defined here, with the links, so designs can use
#: it without importing archsim.cost (which prices ``link`` components with the same table).
LINK_ENERGY_PJ_PER_BIT: dict[str, tuple[float, str]] = {
    # Ali et al., "A 460 mW 112 Gb/s DSP-Based Transceiver With 38 dB Loss Compensation for Next-Generation
    # Data Centers in 7 nm FinFET Technology", ISSCC 2020: 460 mW / 112 Gb/s = 4.1 pJ/bit (TX + RX).
    # Used for NVLink 4 (100G PAM4 SerDes) and InfiniBand NDR electrical links: an assumption (NVIDIA does
    # not publish NVLink pJ/bit); optics, retimers and the switch core are not included.
    "serdes_112g": (4.1, "Ali et al., ISSCC 2020, 112 Gb/s DSP transceiver, 7 nm: 460 mW / 112 Gb/s"),
    # NVIDIA Grace Hopper Superchip Architecture whitepaper (2022): NVLink-C2C at 1.3 pJ/bit (on-package).
    "nvlink_c2c": (1.3, "NVIDIA Grace Hopper Superchip Architecture whitepaper (2022), NVLink-C2C"),
}


@dataclass(frozen=True)
class Link:
    """One directed link class of a topology (every link of that class is alike).

    Attributes:
        bandwidth_gbps: line rate per direction, GB/s (1e9 bytes/s).
        efficiency: fraction of the line rate data can use (protocol headers, flow control), 0 < e <= 1.
        latency_us: latency of one hop (wire + switch traversal), microseconds.
        pj_per_bit: energy per bit per hop, pJ (priced by ``archsim.cost`` kind ``link``).
        name: label (``nvlink4``, ``ib-ndr`` ...).
        source: citation of the numbers.
    """

    bandwidth_gbps: float
    efficiency: float = 1.0
    latency_us: float = 1.0
    pj_per_bit: float = 5.0
    name: str = "link"
    source: str = ""

    def __post_init__(self) -> None:
        require_positive_number("link bandwidth_gbps", self.bandwidth_gbps)
        e = self.efficiency
        if isinstance(e, bool) or not isinstance(e, (int, float)) or not 0 < e <= 1:
            raise ConfigError(f"link efficiency must be a number in (0, 1], not {e!r}")
        for f in ("latency_us", "pj_per_bit"):
            v = getattr(self, f)
            if isinstance(v, bool) or not isinstance(v, (int, float)) or not 0 <= v < float("inf"):
                raise ConfigError(f"link {f} must be a non-negative number, not {v!r}")

    @property
    def bytes_per_s(self) -> float:
        """Usable bandwidth per direction, bytes/s (line rate x efficiency)."""
        return self.bandwidth_gbps * 1e9 * self.efficiency

    def to_dict(self) -> dict[str, Any]:
        """Return the link as a plain dict (field names)."""
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any] | Link) -> Link:
        """Return a Link from a dict with the field names (or the Link itself)."""
        if isinstance(data, Link):
            return data
        if not isinstance(data, Mapping):
            raise ConfigError(f"link must be a mapping of field names, not {type(data).__name__}")
        known = {f.name for f in dataclasses.fields(cls)}
        bad = sorted(set(data) - known)
        if bad:
            raise ConfigError(f"unknown link field(s) {', '.join(bad)}; allowed: {', '.join(sorted(known))}")
        if "bandwidth_gbps" not in data:
            raise ConfigError("link needs bandwidth_gbps")
        return cls(**data)
