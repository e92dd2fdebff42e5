"""FPGA device presets: programmable-logic resources and off-chip memory of named boards."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from archsim.core.errors import ConfigError, require_choice, require_positive_int, require_positive_number
from archsim.core.vocab import DRAM_STANDARDS

#: Off-chip memory standards a device may name (the DRAM standards of archsim.core.vocab).
OFFCHIP_KINDS = DRAM_STANDARDS


@dataclass(frozen=True)
class FpgaDevice:
    """Resources of one FPGA device and its off-chip memory.

    Attributes:
        name: preset name (``zcu104``, ``u250``, ``u280``).
        part: device part (e.g. ``xcu280``).
        dsp, bram36, uram, lut, ff: available DSP48E2 slices, 36 Kb block RAMs, 288 Kb UltraRAMs,
            6-input LUTs and flip-flops.
        offchip: off-chip memory standard (``ddr4`` / ``hbm2``).
        offchip_gbps: peak off-chip bandwidth, GB/s (1e9 bytes/s).
        offchip_latency_ns: load-to-use latency of one request, ns (model assumption per preset).
        source: where the numbers come from.
    """

    name: str
    part: str
    dsp: int
    bram36: int
    uram: int
    lut: int
    ff: int
    offchip: str
    offchip_gbps: float
    offchip_latency_ns: float = 100.0
    source: str = ""

    def __post_init__(self) -> None:
        for f in ("dsp", "bram36", "lut", "ff"):
            require_positive_int(f, getattr(self, f))
        if isinstance(self.uram, bool) or not isinstance(self.uram, int) or self.uram < 0:
            raise ConfigError(f"uram must be a non-negative integer, not {self.uram!r}")
        require_choice("offchip", self.offchip, OFFCHIP_KINDS)
        require_positive_number("offchip_gbps", self.offchip_gbps)
        require_positive_number("offchip_latency_ns", self.offchip_latency_ns)

    def budget(self, fraction: float = 1.0) -> dict[str, float]:
        """Return the resource budget ``{dsp, bram36, uram, lut, ff}`` scaled by ``fraction``."""
        return {k: fraction * getattr(self, k) for k in ("dsp", "bram36", "uram", "lut", "ff")}

    def to_dict(self) -> dict[str, Any]:
        """Return the device as a plain dict (same field names)."""
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> FpgaDevice:
        """Return a device from a dict with the field names of this class."""
        unknown = set(data) - set(cls.__dataclass_fields__)
        if unknown:
            raise ConfigError(f"unknown device field(s): {', '.join(sorted(map(str, unknown)))}")
        missing = [f for f in cls.__dataclass_fields__ if f not in data]
        if missing:
            raise ConfigError(f"device needs the field(s) {', '.join(missing)} (a device dict has every field)")
        return cls(**data)


#: Device presets.  Resource counts are the vendor product-table figures; the latency is an
#: order-of-magnitude model assumption (override it, or pass a cycle-level DRAM MemoryPort).
DEVICES: dict[str, FpgaDevice] = {
    "zcu104": FpgaDevice(
        # Xilinx DS891 (Zynq UltraScale+ MPSoC Overview), device table, XCZU7EV: 230,400 LUTs,
        # 460,800 FFs, 312 BRAM36 (11.0 Mb), 96 URAM (27.0 Mb), 1,728 DSP slices.
        # Off-chip: ZCU104 (UG1267) 64-bit DDR4 SODIMM; 2400 MT/s x 8 B = 19.2 GB/s peak.
        name="zcu104", part="xczu7ev", dsp=1728, bram36=312, uram=96, lut=230_400, ff=460_800,
        offchip="ddr4", offchip_gbps=19.2, offchip_latency_ns=100.0,
        source="Xilinx DS891 (XCZU7EV) and UG1267 (ZCU104 board)"),
    "u250": FpgaDevice(
        # Xilinx DS962 (Alveo U200/U250 data sheet), Table 1, U250: 1,728K LUTs, 3,456K registers,
        # 12,288 DSP slices, 2,688 BRAM36 (54 MB internal SRAM incl. 1,280 URAM);
        # 4 x DDR4-2400 72-bit channels, 77 GB/s (UG1393, "HBM Configuration and Use").
        name="u250", part="xcu250", dsp=12_288, bram36=2688, uram=1280, lut=1_728_000, ff=3_456_000,
        offchip="ddr4", offchip_gbps=77.0, offchip_latency_ns=100.0,
        source="Xilinx DS962 (Alveo U250) and UG1393"),
    "u280": FpgaDevice(
        # Xilinx DS963 (Alveo U280 data sheet), Table 1: 1,304K LUTs, 2,607K registers, 9,024 DSP
        # slices, 2,016 BRAM36, 960 URAM; 8 GB HBM2, 460 GB/s (UG1393: 32 pseudo channels x
        # 14.375 GB/s).
        name="u280", part="xcu280", dsp=9024, bram36=2016, uram=960, lut=1_304_000, ff=2_607_000,
        offchip="hbm2", offchip_gbps=460.0, offchip_latency_ns=110.0,
        source="Xilinx DS963 (Alveo U280) and UG1393"),
}


def get_device(name_or_device: str | FpgaDevice | dict) -> FpgaDevice:
    """Return the :class:`FpgaDevice` named ``name_or_device`` (case-insensitive), or the device given."""
    if isinstance(name_or_device, FpgaDevice):
        return name_or_device
    if isinstance(name_or_device, dict):
        return FpgaDevice.from_dict(name_or_device)
    key = name_or_device.lower() if isinstance(name_or_device, str) else None
    if key not in DEVICES:
        from archsim.core.fields import short_repr

        raise ConfigError(f"device must be one of {', '.join(DEVICES)}, not {short_repr(name_or_device)}")
    return DEVICES[key]
