"""DRAM standards: the :class:`DramSpec` dataclass and named, cited presets.

Every timing is an integer number of DRAM command-clock cycles (tCK), except
``tCK_ns`` itself.  ``data_rate`` is the number of data transfers per tCK on
each pin (2 for DDR4/DDR5/HBM2, 4 for HBM3 at CK = data/4, 8 for LPDDR5 and
GDDR6 whose data clock runs 4x CK), so one burst occupies
``burst_length / data_rate`` cycles of the data bus.

Organization: ``channels`` independent channels, each ``bus_width`` bits wide
and split into ``pseudo_channels`` pseudo-channels (HBM); each (pseudo-)channel
has ``ranks`` ranks of ``bank_groups`` x ``banks_per_group`` banks of ``rows``
rows; a row has ``columns`` column addresses, each ``device_width`` bits per
device, and the devices of a rank together fill the (pseudo-)channel bus.  One
access (one column command) moves ``burst_length`` x bus bits.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

from archsim.core.errors import ConfigError, require_nonneg_int, require_positive_int, require_positive_number
from archsim.core.fields import replace_checked

_COUNT_FIELDS = ("channels", "pseudo_channels", "ranks", "bank_groups", "banks_per_group", "rows", "columns")
#: Upper bounds of the organization fields (far above any JEDEC part: HBM3 has 16 channels x 2
#: pseudo-channels x 16 banks); the timing model keeps per-bank state, so counts like 2^40 would
#: exhaust memory before the first command.
_COUNT_MAX = {"channels": 4096, "pseudo_channels": 64, "ranks": 256, "bank_groups": 1024, "banks_per_group": 1024,
              "rows": 2**32, "columns": 2**24, "burst_length": 2**16, "device_width": 2**16, "bus_width": 2**20,
              "data_rate": 64}
#: Largest timing constraint (tCK) and refresh interval: JEDEC parts stay far below (DDR5 32 Gb tRFC1 410 ns
#: = 985 tCK at 4800 MT/s; tREFI 3.9 us = 9,375 tCK); a constraint of 2^31 tCK made the controller step
#: hundreds of thousands of refreshes per request (a hang).
MAX_TIMING_TCK = 2**16
MAX_REFRESH_INTERVAL_TCK = 2**24
#: Most banks (all channels, pseudo-channels, ranks) one spec may describe.
MAX_BANKS = 2**20
_POSITIVE_TIMINGS = ("CL", "CWL", "tRP", "tRAS", "tRC", "tCCD_S", "tCCD_L", "tRRD_S", "tRRD_L", "tFAW", "tWR",
                     "tWTR_S", "tWTR_L", "tRTP", "tRFC", "tREFI")


@dataclass(frozen=True)
class DramSpec:
    """One DRAM device/system organization and its JEDEC timing, in tCK cycles.

    ``tRCD`` may be given alone (then ``tRCDRD = tRCDWR = tRCD``) or split into
    ``tRCDRD``/``tRCDWR``.  ``tRFCb``/``tREFIb`` (per-bank refresh) are 0 for
    standards without per-bank refresh (DDR4).

    Optional constraints (0 / None / False = not modelled): ``rtw_turnaround`` (tCK added to
    RL + BL - WL between a RD and a later WR; JESD79-4 tRTW note: 2, DRAMsim3 uses tRTRS), ``tRTRS_WW``
    (rank-to-rank WR->WR gap beyond the burst; None = tRTRS, DRAMsim3: 0), ``tPPD`` (PRE to PRE in a rank,
    JESD250 GDDR6), ``t32AW`` (at most 32 ACTs per rank in this window, JESD250 GDDR6),
    ``dual_command_bus`` (HBM: separate row and column command buses, JESD235, so one row and one
    column command may issue in the same tCK).  The timing rules themselves are declared once in
    :mod:`archsim.memory.dram._timing`.
    """

    name: str
    standard: str
    tCK_ns: float
    CL: int
    CWL: int
    tRP: int
    tRAS: int
    tRC: int
    tCCD_S: int
    tCCD_L: int
    tRRD_S: int
    tRRD_L: int
    tFAW: int
    tWR: int
    tWTR_S: int
    tWTR_L: int
    tRTP: int
    tRFC: int
    tREFI: int
    burst_length: int
    device_width: int
    bus_width: int
    bank_groups: int
    banks_per_group: int
    rows: int
    columns: int
    tRCD: int = 0
    tRCDRD: int = 0
    tRCDWR: int = 0
    tRTRS: int = 1
    tRFCb: int = 0
    tREFIb: int = 0
    data_rate: int = 2
    channels: int = 1
    pseudo_channels: int = 1
    ranks: int = 1
    rtw_turnaround: int = 2
    tRTRS_WW: int | None = None
    tPPD: int = 0
    t32AW: int = 0
    dual_command_bus: bool = False

    def __post_init__(self) -> None:
        if not isinstance(self.name, str) or not self.name:
            raise ConfigError(f"name must be a non-empty string, not {self.name!r}")
        if not isinstance(self.standard, str) or not self.standard:
            raise ConfigError(f"standard must be a non-empty string, not {self.standard!r}")
        require_positive_number("tCK_ns", self.tCK_ns, 0.01)  # 100 GHz: far above any DRAM command clock
        for f in _POSITIVE_TIMINGS:
            require_positive_int(f, getattr(self, f), MAX_REFRESH_INTERVAL_TCK if f == "tREFI" else MAX_TIMING_TCK)
        for f in ("tRCD", "tRCDRD", "tRCDWR", "tRTRS", "tRFCb", "tREFIb", "rtw_turnaround", "tPPD", "t32AW"):
            require_nonneg_int(f, getattr(self, f), MAX_REFRESH_INTERVAL_TCK if f == "tREFIb" else MAX_TIMING_TCK)
        # refresh must leave time between refreshes (tREFI <= tRFC: the device only refreshes; the controller
        # livelocked on it)
        if self.tREFI <= self.tRFC:
            raise ConfigError(f"tREFI must be greater than tRFC ({self.tRFC} tCK), not {self.tREFI!r}")
        for f in ("burst_length", "device_width", "bus_width", "data_rate") + _COUNT_FIELDS:
            object.__setattr__(self, f, require_positive_int(f, getattr(self, f), _COUNT_MAX.get(f, 2**53)))
        banks = self.channels * self.pseudo_channels * self.ranks * self.bank_groups * self.banks_per_group
        if banks > MAX_BANKS:
            raise ConfigError(
                f"channels x pseudo_channels x ranks x bank_groups x banks_per_group must be at most {MAX_BANKS:,} "
                f"(the models keep state per bank: {banks:,} banks would need about {banks * 200 / 2**30:.3g} GiB), "
                f"not {banks:,}"
            )
        for f in _COUNT_FIELDS + ("burst_length",):
            v = getattr(self, f)
            if v & (v - 1):
                raise ConfigError(f"{f} must be a power of two, not {v!r}")
        if self.tRTRS_WW is not None:
            require_nonneg_int("tRTRS_WW", self.tRTRS_WW)
        if not isinstance(self.dual_command_bus, bool):
            raise ConfigError(f"dual_command_bus must be true or false, not {self.dual_command_bus!r}")
        if self.tRCD == 0 and (self.tRCDRD == 0 or self.tRCDWR == 0):
            raise ConfigError("tRCD must be a positive integer (or give both tRCDRD and tRCDWR), not 0")
        if self.tRCDRD == 0:
            object.__setattr__(self, "tRCDRD", self.tRCD)
        if self.tRCDWR == 0:
            object.__setattr__(self, "tRCDWR", self.tRCD)
        if self.tRCD == 0:
            object.__setattr__(self, "tRCD", self.tRCDRD)
        if self.burst_length % self.data_rate:
            raise ConfigError(f"burst_length must be a multiple of data_rate ({self.data_rate}), "
                              f"not {self.burst_length!r}")
        if self.tCCD_S < self.burst_cycles:
            raise ConfigError(f"tCCD_S must be at least the burst duration ({self.burst_cycles} cycles), "
                              f"not {self.tCCD_S!r}")
        if self.tCCD_L < self.tCCD_S:
            raise ConfigError(f"tCCD_L must be at least tCCD_S ({self.tCCD_S}), not {self.tCCD_L!r}")
        if self.tRC < self.tRAS:
            raise ConfigError(f"tRC must be at least tRAS ({self.tRAS}), not {self.tRC!r}")
        if self.bus_width % self.pseudo_channels:
            raise ConfigError(f"bus_width must be a multiple of pseudo_channels ({self.pseudo_channels}), "
                              f"not {self.bus_width!r}")
        if self.columns % self.burst_length:
            raise ConfigError(f"columns must be a multiple of burst_length ({self.burst_length}), "
                              f"not {self.columns!r}")
        if (self.tRFCb == 0) != (self.tREFIb == 0):
            raise ConfigError("tRFCb and tREFIb must both be 0 (no per-bank refresh) or both positive, "
                              f"not {self.tRFCb!r} and {self.tREFIb!r}")

    # ----------------------------------------------------------------- derived
    @property
    def burst_cycles(self) -> int:
        """Cycles (tCK) one burst occupies the data bus."""
        return self.burst_length // self.data_rate

    @property
    def pc_bus_width(self) -> int:
        """Data bus width of one pseudo-channel, in bits."""
        return self.bus_width // self.pseudo_channels

    @property
    def access_bytes(self) -> int:
        """Bytes moved by one column command (one burst on one pseudo-channel)."""
        return self.pc_bus_width * self.burst_length // 8

    @property
    def row_bytes(self) -> int:
        """Row-buffer size of one bank of one pseudo-channel, in bytes."""
        return self.columns * self.pc_bus_width // 8

    @property
    def banks(self) -> int:
        """Banks per rank."""
        return self.bank_groups * self.banks_per_group

    @property
    def n_channels(self) -> int:
        """Independent command/data channels simulated (channels x pseudo-channels)."""
        return self.channels * self.pseudo_channels

    @property
    def capacity_bytes(self) -> int:
        """Total capacity in bytes."""
        return self.n_channels * self.ranks * self.banks * self.rows * self.row_bytes

    @property
    def peak_bandwidth_bytes_per_cycle(self) -> float:
        """Peak data bandwidth of the whole system in bytes per tCK."""
        return self.n_channels * self.access_bytes / self.burst_cycles

    @property
    def peak_bandwidth_gbps(self) -> float:
        """Peak data bandwidth of the whole system in GB/s (10^9 bytes/s)."""
        return self.peak_bandwidth_bytes_per_cycle / self.tCK_ns

    @property
    def freq_mhz(self) -> float:
        """Command clock frequency in MHz."""
        return 1000.0 / self.tCK_ns

    # ------------------------------------------------------------------ I/O
    def to_dict(self) -> dict[str, Any]:
        """Return every field as a plain dict (YAML/JSON ready)."""
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> DramSpec:
        """Build a spec from a dict with the field names; unknown keys raise ConfigError."""
        if not isinstance(data, dict):
            raise ConfigError(f"DRAM spec must be a mapping of field names, not {type(data).__name__}")
        names = {f.name for f in fields(cls)}
        unknown = sorted(set(data) - names)
        if unknown:
            raise ConfigError(f"unknown DRAM spec field {unknown[0]!r}; allowed: {', '.join(sorted(names))}")
        required = [f.name for f in fields(cls) if f.default is dataclasses.MISSING]
        missing = [n for n in required if n not in data]
        if missing:
            raise ConfigError(f"DRAM spec is missing field {missing[0]!r}")
        return cls(**data)

    def replace(self, **changes: Any) -> DramSpec:
        """Return a copy with some fields changed (validated again)."""
        return replace_checked(self, changes, "DRAM spec")


def _ns(ns: float, tck_ns: float) -> int:
    """Round a time in ns up to whole tCK cycles (JEDEC rounding, with 1 ps slack)."""
    import math
    return max(1, math.ceil((ns - 0.001) / tck_ns))


# ---------------------------------------------------------------------------
# Presets.  Sources:
#   [D3] DRAMsim3 configs (umd-memsys/DRAMsim3, configs/*.ini), values in tCK
#   [R2] Ramulator 2.0 (CMU-SAFARI/ramulator2, src/dram/impl/*.cpp) timing/org presets
#   [J]  JEDEC standards as named next to the value (JESD79-4 DDR4, JESD79-5 DDR5, JESD209-5 LPDDR5,
#        JESD250 GDDR6, JESD235 HBM2/2E, JESD238 HBM3)
# "(derived)" marks a value converted from ns at the preset's tCK with _ns(); "(assumed)" marks a
# value with no public source found: change it with spec.replace(...) if you have the datasheet.
# ---------------------------------------------------------------------------

def _ddr4_3200() -> DramSpec:
    return DramSpec(
        name="DDR4-3200", standard="ddr4",
        tCK_ns=0.625,        # [J] JESD79-4 DDR4-3200: tCK(avg) 0.625 ns ([D3] DDR4_8Gb_x8_3200.ini rounds to 0.63)
        CL=22, CWL=16,       # [D3] DDR4_8Gb_x8_3200.ini: CL 22, CWL 16 (tCK)
        tRCD=22, tRP=22,     # [D3] tRCD 22, tRP 22 (tCK) = 13.75 ns, speed bin 3200AA (22-22-22)
        tRAS=52,             # [D3] tRAS 52 tCK (32 ns)
        tRC=74,              # tRAS + tRP (JESD79-4 tRC = tRAS + tRP), tCK
        tCCD_S=4, tCCD_L=8,  # [D3] tCCD_S 4, tCCD_L 8 (tCK)
        tRRD_S=4, tRRD_L=8,  # [D3] tRRD_S 4, tRRD_L 8 (tCK, x8 page 1 KB)
        tFAW=34,             # [D3] tFAW 34 tCK (x8)
        tWR=24,              # [D3] tWR 24 tCK (15 ns)
        tWTR_S=4, tWTR_L=12,  # [D3] tWTR_S 4, tWTR_L 12 (tCK)
        tRTP=12,             # [D3] tRTP 12 tCK (7.5 ns)
        tRTRS=1,             # [D3] tRTRS 1 tCK
        tRFC=560,            # [D3] tRFC 560 tCK (350 ns, 8 Gb, 1x mode)
        tREFI=12480,         # [D3] tREFI 12480 tCK (7.8 us)
        tRFCb=0, tREFIb=0,   # DDR4 has no per-bank refresh
        burst_length=8, data_rate=2,  # [D3] BL 8, DDR
        device_width=8, bus_width=64,  # [D3] device_width 8, bus_width 64 (x8 devices, 8 per rank)
        bank_groups=4, banks_per_group=4,  # [D3] bankgroups 4, banks_per_group 4
        rows=65536, columns=1024,  # [D3] rows 65536, columns 1024 (8 Gb x8)
        channels=1, ranks=1,
    )


def _ddr5_4800() -> DramSpec:
    t = 0.416  # [J] JESD79-5 DDR5-4800: tCK(avg) 0.416 ns (4800 MT/s)
    return DramSpec(
        name="DDR5-4800", standard="ddr5", tCK_ns=t,
        CL=40, tRCD=40, tRP=40,  # [J] JESD79-5 speed bin DDR5-4800B: 40-40-40 (tCK) = 16.67 ns
        CWL=38,                  # [J] JESD79-5: CWL = CL - 2 (tCK)
        tRAS=_ns(32.0, t),       # [J] JESD79-5 tRAS 32 ns (derived -> 77 tCK)
        tRC=_ns(32.0, t) + 40,   # tRAS + tRP (tCK)
        tCCD_S=8,                # [R2] DDR5.cpp nCCDS 8 tCK (BL16 burst)
        tCCD_L=_ns(5.0, t),      # [J] JESD79-5 tCCD_L max(8 nCK, 5 ns) (derived -> 13)
        tRRD_S=8,                # [R2] DDR5.cpp nRRDS 8 tCK
        tRRD_L=_ns(5.0, t),      # [J] JESD79-5 tRRD_L max(8 nCK, 5 ns) (derived)
        tFAW=32,                 # [R2] DDR5.cpp nFAW table x8: 32 tCK
        tWR=_ns(30.0, t),        # [J] JESD79-5 tWR 30 ns (derived)
        tWTR_S=_ns(2.5, t), tWTR_L=_ns(10.0, t),  # [J] JESD79-5 tWTR_S 2.5 ns, tWTR_L 10 ns (derived)
        tRTP=_ns(7.5, t),        # [J] JESD79-5 tRTP 7.5 ns (derived)
        tRTRS=2,                 # [R2] DDR5.cpp nCS 2 tCK (rank switch), used as tRTRS
        tRFC=_ns(295.0, t),      # [R2] DDR5.cpp tRFC1 16 Gb: 295 ns (derived)
        tREFI=_ns(3900.0, t),    # [R2] DDR5.cpp tREFI base 3900 ns (derived)
        tRFCb=_ns(130.0, t),     # [R2] DDR5.cpp tRFCsb 16 Gb: 130 ns (derived)
        tREFIb=_ns(3900.0, t) // 32,  # one REFb per tREFI/32 so each of the 32 banks is refreshed every tREFI
        burst_length=16, data_rate=2,  # [J] JESD79-5 BL16, DDR
        device_width=8, bus_width=32,  # [R2] DDR5 channel_width 32 (one DIMM sub-channel), x8 devices
        bank_groups=8, banks_per_group=4,  # [R2] DDR5_16Gb_x8: Bg 8, Ba 4
        rows=65536, columns=1024,  # [R2] DDR5_16Gb_x8: Ro 1<<16, Co 1<<10
        channels=2, ranks=1,     # two 32-bit sub-channels per DIMM
    )


def _lpddr5_6400() -> DramSpec:
    t = 1.25  # [R2] LPDDR5.cpp LPDDR5_6400 tCK_ps 1250 (CK 800 MHz, WCK:CK 4:1)
    return DramSpec(
        name="LPDDR5-6400", standard="lpddr5", tCK_ns=t,
        CL=20, CWL=11,           # [R2] LPDDR5_6400 nCL 20, nCWL 11 (tCK)
        tRCD=15, tRP=17,         # [R2] nRCD 15, nRPab 17 (tCK; all-bank tRP used for every PRE)
        tRAS=34,                 # [R2] nRAS 34 (tCK)
        tRC=34 + 17,             # tRAS + tRP (tCK); [R2]'s nRC 30 is below tRAS + tRP
        tCCD_S=2,                # BL16 at 8 transfers/tCK = 2 tCK ([J] JESD209-5 BG mode tCCD 2 nCK)
        tCCD_L=4,                # [J] JESD209-5 BG mode tCCD_L 4 nCK (BL16)
        tRRD_S=4, tRRD_L=4,      # [R2] nRRD 4 (tCK)
        tFAW=16,                 # [R2] nFAW 16 (tCK)
        tWR=28,                  # [R2] nWR 28 (tCK)
        tWTR_S=5, tWTR_L=10,     # [R2] nWTRS 5, nWTRL 10 (tCK)
        tRTP=4,                  # [R2] nRTP 4 (tCK)
        tRTRS=2,                 # [R2] nCS 2 (tCK), used as rank switch
        tRFC=_ns(210.0, t),      # [R2] tRFCab 8 Gb: 210 ns (derived)
        tREFI=_ns(3906.0, t),    # [R2] tREFI base 3906 ns (derived)
        tRFCb=_ns(120.0, t),     # [R2] tRFCpb 8 Gb: 120 ns (derived)
        tREFIb=_ns(3906.0, t) // 16,  # tREFI / 16 banks
        burst_length=16, data_rate=8,  # [J] JESD209-5 BL16; 6400 MT/s at 800 MHz CK = 8 transfers/tCK
        device_width=16, bus_width=16,  # [R2] LPDDR5_8Gb_x16 DQ 16 per channel
        bank_groups=4, banks_per_group=4,  # [R2] Bg 4, Ba 4 (BG mode)
        rows=32768, columns=1024,  # [R2] LPDDR5_8Gb_x16: Ro 1<<15, Co 1<<10
        channels=4, ranks=1,     # a x64 package = 4 x16 channels
    )


def _gddr6_16() -> DramSpec:
    t = 0.5  # 16 Gb/s per pin at 8 transfers per CK -> CK 2 GHz, tCK 0.5 ns ([J] JESD250 WCK = 2 x CK, QDR)
    r = 0.570  # [R2] GDDR6.cpp GDDR6_2000_1350mV presets are in tCK of 0.570 ns; converted via ns below
    return DramSpec(
        name="GDDR6-16Gbps", standard="gddr6", tCK_ns=t,
        CL=_ns(24 * r, t),       # [R2] nCL 24 (x0.570 ns, derived)
        CWL=_ns(6 * r, t),       # [R2] nCWL 6 (derived)
        tRCDRD=_ns(26 * r, t),   # [R2] nRCDRD 26 (derived)
        tRCDWR=_ns(16 * r, t),   # [R2] nRCDWD 16 (derived)
        tRP=_ns(26 * r, t),      # [R2] nRP 26 (derived)
        tRAS=_ns(53 * r, t),     # [R2] nRAS 53 (derived)
        tRC=_ns(79 * r, t),      # [R2] nRC 79 (derived)
        tCCD_S=2,                # BL16 at 8 transfers/tCK = 2 tCK
        tCCD_L=_ns(6 * r, t),    # [R2] nCCDL 6 (derived)
        tRRD_S=_ns(7 * r, t), tRRD_L=_ns(7 * r, t),  # [R2] nRRDS 7, nRRDL 7 (derived)
        tFAW=_ns(28 * r, t),     # [R2] nFAW 28 (derived)
        tWR=_ns(26 * r, t),      # [R2] nWR 26 (derived)
        tWTR_S=_ns(9 * r, t), tWTR_L=_ns(11 * r, t),  # [R2] nWTRS 9, nWTRL 11 (derived)
        tRTP=_ns(4 * r, t),      # [R2] nRTP 4 (derived)
        tRTRS=1,                 # single rank; (assumed)
        tRFC=_ns(360.0, t),      # [R2] tRFC 8 Gb normal refresh 360 ns (derived)
        tREFI=_ns(7800.0, t),    # [R2] GDDR6.cpp set_timing_vals: nREFI = tREFI_BASE 7800 ns (overrides the
                                 # preset's 3333 tCK), derived
        tRFCb=_ns(105 * r, t),   # [R2] nRFCpb 105 (derived)
        tREFIb=_ns(7800.0, t) // 16,  # tREFI / 16 banks
        burst_length=16, data_rate=8,  # [J] JESD250 BL16
        device_width=16, bus_width=16,  # [R2] GDDR6_8Gb_x16: 2 channels x 16 DQ
        bank_groups=4, banks_per_group=4,  # [R2] Bg 4, Ba 4
        rows=16384, columns=1024,  # [R2] GDDR6_8Gb_x16: Ro 1<<14, Co 1<<10
        channels=2, ranks=1,     # one x32 device = 2 independent x16 channels
    )


def _hbm2_2() -> DramSpec:
    return DramSpec(
        name="HBM2-2Gbps", standard="hbm2",
        tCK_ns=1.0,              # [D3] HBM2_8Gb_x128.ini tCK 1 ns (2 Gb/s DDR)
        CL=14, CWL=4,            # [D3] CL 14, CWL 4 (tCK)
        tRCDRD=14, tRCDWR=14,    # [D3] tRCDRD 14, tRCDWR 14
        tRP=14, tRAS=34,         # [D3] tRP 14, tRAS 34
        tRC=48,                  # tRAS + tRP (tCK)
        tCCD_S=2,                # BL4 DDR burst = 2 tCK ([D3] lists 1, below the burst; bus occupancy rules)
        tCCD_L=4,                # (assumed) 2 x tCCD_S; [D3] keeps tCCD_L = 2 x tCCD_S
        tRRD_S=4, tRRD_L=6,      # [D3] tRRD_S 4, tRRD_L 6
        tFAW=30,                 # [D3] tFAW 30
        tWR=16,                  # [D3] tWR 16
        tWTR_S=6, tWTR_L=8,      # [D3] tWTR_S 6, tWTR_L 8
        tRTP=6,                  # [D3] tRTP_L 6 (tRTP_S 4); the larger one is used
        tRTRS=1,                 # single rank (unused)
        tRFC=260,                # [D3] tRFC 260
        tREFI=3900,              # [D3] tREFI 3900
        tRFCb=160,               # [R2] HBM2.cpp nRFCSB 160 (ns at tCK 1 ns)
        tREFIb=128,              # [D3] tREFIb 128
        burst_length=4, data_rate=2,  # [D3] BL 4 (pseudo-channel mode, [J] JESD235)
        device_width=64, bus_width=128, pseudo_channels=2,  # [D3] bus_width 128; [R2] HBM2 Pch 2
        bank_groups=4, banks_per_group=4,  # [D3] bankgroups 4, banks_per_group 4
        rows=32768, columns=128,  # [D3] rows 32768; 1 KB page per pseudo-channel ([R2] Co 64 x 128 DQ = 1 KB)
        channels=8, ranks=1,     # [D3] channels 8
    )


def _hbm2e_32() -> DramSpec:
    t = 0.625  # [J] JESD235D HBM2E 3.2 Gb/s per pin, DDR -> CK 1.6 GHz
    # Array timings: the HBM2 ns values of [D3] HBM2_8Gb_x128.ini (tCK 1 ns) re-rounded at 0.625 ns
    # (derived; assumes the core timings in ns did not change from HBM2 to HBM2E).
    return DramSpec(
        name="HBM2E-3.2Gbps", standard="hbm2e", tCK_ns=t,
        CL=_ns(14, t), CWL=_ns(4, t), tRCDRD=_ns(14, t), tRCDWR=_ns(14, t), tRP=_ns(14, t),
        tRAS=_ns(34, t), tRC=_ns(34, t) + _ns(14, t),
        tCCD_S=2, tCCD_L=4,      # BL4 DDR burst = 2 tCK; tCCD_L (assumed) 2 x tCCD_S
        tRRD_S=_ns(4, t), tRRD_L=_ns(6, t), tFAW=_ns(30, t), tWR=_ns(16, t),
        tWTR_S=_ns(6, t), tWTR_L=_ns(8, t), tRTP=_ns(6, t), tRTRS=1,
        tRFC=_ns(350, t),        # [R2] HBM2.cpp tRFC table 8 Gb: 350 ns (derived)
        tREFI=_ns(3900, t),      # [D3] tREFI 3.9 us (derived)
        tRFCb=_ns(160, t), tREFIb=_ns(128, t),  # [R2] nRFCSB 160 ns, [D3] tREFIb 128 ns (derived)
        burst_length=4, data_rate=2,
        device_width=64, bus_width=128, pseudo_channels=2,
        bank_groups=4, banks_per_group=4, rows=32768, columns=128, channels=8, ranks=1,
    )


def _hbm3_64() -> DramSpec:
    t = 0.625  # [J] JESD238 HBM3 6.4 Gb/s per pin with CK 1.6 GHz -> 4 transfers per tCK
    # Array timings as for HBM2E (derived from [D3] HBM2 ns values at tCK 0.625 ns).
    return DramSpec(
        name="HBM3-6.4Gbps", standard="hbm3", tCK_ns=t,
        CL=_ns(14, t), CWL=_ns(4, t), tRCDRD=_ns(14, t), tRCDWR=_ns(14, t), tRP=_ns(14, t),
        tRAS=_ns(34, t), tRC=_ns(34, t) + _ns(14, t),
        tCCD_S=2, tCCD_L=4,      # BL8 at 4 transfers/tCK = 2 tCK; tCCD_L (assumed) 2 x tCCD_S
        tRRD_S=_ns(4, t), tRRD_L=_ns(6, t), tFAW=_ns(30, t), tWR=_ns(16, t),
        tWTR_S=_ns(6, t), tWTR_L=_ns(8, t), tRTP=_ns(6, t), tRTRS=1,
        tRFC=_ns(350, t),        # [R2] HBM3.cpp tRFC table 8 Gb: 350 ns (derived)
        tREFI=_ns(3900, t),      # [R2] HBM3.cpp nREFI 3900 ns (derived)
        tRFCb=_ns(160, t), tREFIb=_ns(128, t),  # [R2] nRFCSB 160 ns; [D3] tREFIb 128 ns (derived)
        burst_length=8, data_rate=4,  # [J] JESD238 BL8 in pseudo-channel mode
        device_width=32, bus_width=64, pseudo_channels=2,  # [J] JESD238: 16 channels x 64 bit, 2 PC of 32 bit
        bank_groups=4, banks_per_group=4,  # [R2] HBM3 Bg 4, Ba 4
        rows=32768, columns=256,  # [R2] HBM3_8Gb Ro 1<<15; 1 KB page per pseudo-channel
        channels=16, ranks=1,
    )


_PRESETS = {
    "ddr4-3200": _ddr4_3200,
    "ddr5-4800": _ddr5_4800,
    "lpddr5-6400": _lpddr5_6400,
    "gddr6-16gbps": _gddr6_16,
    "hbm2-2gbps": _hbm2_2,
    "hbm2e-3.2gbps": _hbm2e_32,
    "hbm3-6.4gbps": _hbm3_64,
}
_ALIASES = {"ddr4": "ddr4-3200", "ddr5": "ddr5-4800", "lpddr5": "lpddr5-6400", "gddr6": "gddr6-16gbps",
            "hbm2": "hbm2-2gbps", "hbm2e": "hbm2e-3.2gbps", "hbm3": "hbm3-6.4gbps"}


def list_specs() -> list[str]:
    """Return the preset names (canonical spelling)."""
    return [_PRESETS[k]().name for k in _PRESETS]


def get_spec(name: str, **overrides: Any) -> DramSpec:
    """Return the preset ``name`` (case-insensitive, e.g. ``"HBM2-2Gbps"`` or ``"hbm2"``), fields overridden."""
    key = str(name).lower()
    key = _ALIASES.get(key, key)
    if key not in _PRESETS:
        raise ConfigError(f"DRAM spec must be one of {', '.join(list_specs())}, not {name!r}")
    spec = _PRESETS[key]()
    return spec.replace(**overrides) if overrides else spec


def load_spec(name_or_path: str | Path | DramSpec | dict) -> DramSpec:
    """Return a spec from a preset name, a YAML file path, a dict or a spec.

    A YAML file holds the DramSpec field names; it may instead hold ``base: PRESET`` plus the fields
    to override.
    """
    if isinstance(name_or_path, DramSpec):
        return name_or_path
    if isinstance(name_or_path, dict):
        return _from_mapping(name_or_path)
    if not isinstance(name_or_path, (str, Path)):
        from archsim.core.fields import short_repr

        raise ConfigError(f"DRAM spec must be a preset name, a YAML file, a dict or a DramSpec, "
                          f"not {short_repr(name_or_path)}")
    text = str(name_or_path)
    from archsim.core.fields import load_yaml_text, short_repr

    if len(text) > 4096:
        raise ConfigError(f"DRAM spec must be a preset name or a file path, not a {len(text)}-character string")
    try:
        is_file = Path(text).is_file()
    except OSError:  # a name longer than the file system allows
        is_file = False
    if text.lower().endswith((".yaml", ".yml")) or is_file:
        path = Path(text)
        if not is_file:
            raise ConfigError(f"DRAM spec file {short_repr(text)} does not exist")
        try:
            raw = path.read_text()
        except (OSError, UnicodeDecodeError) as exc:
            raise ConfigError(f"DRAM spec file {short_repr(text)} cannot be read: {exc}") from None
        return _from_mapping(load_yaml_text(raw, f"DRAM spec file {short_repr(text)}"))
    return get_spec(text)


def _from_mapping(data: Any) -> DramSpec:
    if not isinstance(data, dict):
        raise ConfigError(f"DRAM spec must be a mapping of field names, not {type(data).__name__}")
    if "base" in data:
        rest = {k: v for k, v in data.items() if k != "base"}
        base = get_spec(data["base"])
        names = {f.name for f in fields(DramSpec)}
        unknown = sorted(set(rest) - names)
        if unknown:
            raise ConfigError(f"unknown DRAM spec field {unknown[0]!r}; allowed: {', '.join(sorted(names))}")
        return base.replace(**rest)
    return DramSpec.from_dict(data)
