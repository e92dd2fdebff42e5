"""On-chip SRAM buffers (scratchpads) of a design: capacity, port width, double buffering."""

from __future__ import annotations

from dataclasses import dataclass

from archsim.core.errors import ConfigError, require_positive_int


@dataclass(frozen=True)
class SramBuffer:
    """A double-buffered SRAM scratchpad.

    Attributes:
        name: ``ifmap`` | ``filter`` | ``ofmap`` (the action columns use it: ``sram_<name>_read_bytes``).
        capacity_bytes: total capacity (both halves), bytes.
        width_bits: port width (bits read or written per cycle).
        double_buffered: one half is filled while the other is used.
    """

    name: str
    capacity_bytes: int
    width_bits: int
    double_buffered: bool = True

    def __post_init__(self) -> None:
        if not isinstance(self.name, str) or not self.name:
            raise ConfigError(f"name must be a non-empty string, not {self.name!r}")
        require_positive_int(f"{self.name}_sram_bytes", self.capacity_bytes)
        require_positive_int("width_bits", self.width_bits)

    @property
    def half_bytes(self) -> int:
        """Bytes usable by one fold's data (half the capacity when double-buffered)."""
        return self.capacity_bytes // 2 if self.double_buffered else self.capacity_bytes

    def component(self) -> dict:
        """Return the part description for ``archsim.cost`` (docs/architecture.md)."""
        return {
            "name": f"{self.name}_sram",
            "kind": "sram",
            "capacity_bytes": self.capacity_bytes,
            "width_bits": self.width_bits,
            "buffer": self.name,
        }
