"""PIM-enabled DRAM: a :class:`~archsim.memory.dram.DramSpec` plus the processing units placed next to its banks.

:class:`PimSpec` describes where the units sit (one per ``banks_per_unit`` banks of every
(pseudo-)channel), how wide they are (``lanes`` multipliers of ``precision``), their clock, their register
files (``grf_entries`` input-vector registers and ``acc_entries`` partial-sum registers of ``lanes``
elements each) and the PIM timing the DRAM spec does not have:

* ``col_interval_tck``: minimum distance between two MAC column commands to the same unit (tCK);
  0 derives it as ``max(tCCD_L, ceil(unit period / tCK))``.
* ``tFAW_AB``: power limit of all-bank activation, the minimum distance between an all-bank ACT and
  the next activation of the channel (tCK); 0 derives ``banks / 4 x tFAW`` (the window JEDEC's
  four-activate rule needs for as many single-bank ACTs; an assumption where the paper gives none).
* ``row_buffers``: ``blocked`` (one row buffer per bank: PIM and normal traffic exclude each other)
  or ``dual`` (NeuPIMs-style second row buffer: both proceed, sharing only the command bus and the
  activation power budget; Heo et al., ASPLOS 2024).
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from typing import Any

from archsim.core.errors import (
    ConfigError,
    require_choice,
    require_nonneg_int,
    require_positive_int,
    require_positive_number,
)
from archsim.core.fields import replace_checked
from archsim.memory.dram._spec import DramSpec, load_spec
from archsim.workloads.op import PRECISION_BYTES

PIM_PRECISIONS = ("fp16", "bf16", "int8")
ACC_PRECISIONS = ("fp16", "bf16", "fp32", "int32")
REDUCTIONS = ("host", "in_unit")
ROW_BUFFERS = ("blocked", "dual")


def ns_to_tck(ns: float, tck_ns: float) -> int:
    """Return ``ns`` nanoseconds rounded up to whole tCK (1 ps slack against float error), at least 1."""
    return max(1, math.ceil((ns - 0.001) / tck_ns))


#: Largest MAC interval (and unit clock period) of a PIM unit, tCK.
MAX_COL_INTERVAL_TCK = 2**16


@dataclass(frozen=True)
class PimSpec:
    """A DRAM organisation with bank-level PIM units (all times in tCK of ``dram`` unless named otherwise).

    Attributes:
        dram: the DRAM spec (preset name, dict or :class:`DramSpec`); single rank only.
        banks_per_unit: banks sharing one unit (1: AiM, 2: HBM-PIM bank pairs).
        lanes: SIMD multipliers per unit; one MAC command feeds each unit ``lanes`` weight elements.
        precision: weight/input format of the multipliers (fp16, bf16, int8).
        acc_precision: partial-sum format (fp16 for HBM-PIM, fp32 for AiM, int32 for int8).
        unit_freq_mhz: unit clock, MHz.
        grf_entries: input-vector registers per unit (each ``lanes`` elements).
        acc_entries: partial-sum registers per unit (each ``lanes`` lanes, or one scalar with in-unit
            reduction).
        pipeline_depth: unit cycles from a MAC command to its result in the accumulator.
        reduce: ``host`` (the lanes of a partial sum are read out and added by the host/controller) or
            ``in_unit`` (an adder tree reduces the lanes: one scalar per output is read out).
        col_interval_tck, tFAW_AB, row_buffers: see the module docstring.
    """

    dram: Any = "hbm2"
    banks_per_unit: int = 2
    lanes: int = 16
    precision: str = "fp16"
    acc_precision: str = "fp16"
    unit_freq_mhz: float = 300.0
    grf_entries: int = 8
    acc_entries: int = 8
    pipeline_depth: int = 4
    reduce: str = "host"
    col_interval_tck: int = 0
    tFAW_AB: int = 0
    row_buffers: str = "blocked"

    def __post_init__(self) -> None:
        spec = load_spec(self.dram)
        object.__setattr__(self, "dram", spec)
        if spec.ranks != 1:
            raise ConfigError(f"dram.ranks must be 1 for PIM, not {spec.ranks!r}")
        require_positive_int("banks_per_unit", self.banks_per_unit)
        if spec.banks % self.banks_per_unit:
            raise ConfigError(f"banks_per_unit must divide the banks per channel ({spec.banks}), "
                              f"not {self.banks_per_unit!r}")
        require_positive_int("lanes", self.lanes)
        require_choice("precision", self.precision, PIM_PRECISIONS)
        require_choice("acc_precision", self.acc_precision, ACC_PRECISIONS)
        require_positive_number("unit_freq_mhz", self.unit_freq_mhz)
        require_positive_int("grf_entries", self.grf_entries)
        require_positive_int("acc_entries", self.acc_entries)
        require_positive_int("pipeline_depth", self.pipeline_depth)
        require_choice("reduce", self.reduce, REDUCTIONS)
        # a unit slower than 2^16 tCK per cycle is no hardware, and between MAC commands that far apart the
        # channel would step one refresh per tREFI (the run's time grew with the gap: 1e-6 MHz hung)
        require_nonneg_int("col_interval_tck", self.col_interval_tck, MAX_COL_INTERVAL_TCK)
        if self.unit_period_tck > MAX_COL_INTERVAL_TCK:
            raise ConfigError(
                f"unit_freq_mhz must be at least {spec.freq_mhz / MAX_COL_INTERVAL_TCK:.4g} MHz (a unit period of at "
                f"most {MAX_COL_INTERVAL_TCK:,} DRAM tCK), not {self.unit_freq_mhz!r}")
        if self.col_interval_tck and self.col_interval_tck < self.min_col_interval:
            raise ConfigError(
                f"col_interval_tck must be 0 (derived) or at least {self.min_col_interval} tCK (the unit clock period, "
                f"{self.unit_period_tck} tCK, and tCCD_S, {spec.tCCD_S} tCK: a unit cannot take MAC commands faster), "
                f"not {self.col_interval_tck!r}")
        require_nonneg_int("tFAW_AB", self.tFAW_AB)
        require_choice("row_buffers", self.row_buffers, ROW_BUFFERS)
        if self.col_bytes > spec.access_bytes:
            raise ConfigError(f"lanes must fit one column access ({spec.access_bytes} bytes = "
                              f"{int(spec.access_bytes // PRECISION_BYTES[self.precision])} {self.precision}), "
                              f"not {self.lanes!r}")

    # ------------------------------------------------------------- derived
    @property
    def elem_bytes(self) -> float:
        """Bytes per weight/input element."""
        return PRECISION_BYTES[self.precision]

    @property
    def acc_bytes(self) -> float:
        """Bytes per partial-sum element."""
        return PRECISION_BYTES[self.acc_precision]

    @property
    def col_bytes(self) -> float:
        """Bytes one unit reads from its bank per MAC command (``lanes`` elements)."""
        return self.lanes * self.elem_bytes

    @property
    def units_per_channel(self) -> int:
        """PIM units per (pseudo-)channel."""
        return self.dram.banks // self.banks_per_unit

    @property
    def n_units(self) -> int:
        """PIM units in the whole system."""
        return self.units_per_channel * self.dram.n_channels

    @property
    def cols_per_row(self) -> int:
        """MAC column accesses per bank row (row bytes / column access bytes)."""
        return self.dram.row_bytes // self.dram.access_bytes

    @property
    def macs_per_row_window(self) -> int:
        """MAC commands one all-bank activation serves (every bank of a unit's group, one row each)."""
        return self.cols_per_row * self.banks_per_unit

    @property
    def unit_period_tck(self) -> int:
        """Unit clock period in whole tCK (rounded up)."""
        return max(1, math.ceil(self.dram.freq_mhz / self.unit_freq_mhz - 1e-9))

    @property
    def min_col_interval(self) -> int:
        """Physical floor of the MAC command spacing to one unit, tCK: ``max(tCCD_S, unit period)`` (a unit
        accepts one MAC per unit cycle; the column bus one command per tCCD_S).  Independent of
        ``col_interval_tck``, so the timing checker holds overrides to it."""
        return max(self.dram.tCCD_S, self.unit_period_tck)

    @property
    def col_interval(self) -> int:
        """tCK between MAC commands to one unit (``col_interval_tck`` or its derivation)."""
        if self.col_interval_tck:
            return self.col_interval_tck
        return max(self.dram.tCCD_L, self.unit_period_tck)

    @property
    def faw_ab(self) -> int:
        """All-bank activation window in tCK (``tFAW_AB`` or ``banks / 4 x tFAW``)."""
        return self.tFAW_AB or math.ceil(self.dram.banks / 4 * self.dram.tFAW)

    @property
    def mac_to_read(self) -> int:
        """tCK from the last MAC command until its partial sum can be read out (unit pipeline)."""
        return math.ceil(self.pipeline_depth * self.dram.freq_mhz / self.unit_freq_mhz - 1e-9)

    @property
    def peak_flops(self) -> float:
        """First-principles peak: units x lanes x 2 FLOP x unit clock (FLOP/s)."""
        return self.n_units * self.lanes * 2 * self.unit_freq_mhz * 1e6

    @property
    def command_bound_flops(self) -> float:
        """Peak when all-bank MAC commands issue every ``col_interval`` tCK (FLOP/s)."""
        return self.n_units * self.lanes * 2 / (self.col_interval * self.dram.tCK_ns * 1e-9)

    @property
    def internal_bandwidth_gbps(self) -> float:
        """Bytes per second the units read from their banks at the MAC command rate, in GB/s."""
        return self.n_units * self.col_bytes / (self.col_interval * self.dram.tCK_ns)

    # ------------------------------------------------------------------ I/O
    def to_dict(self) -> dict[str, Any]:
        """Return the fields as a plain dict (the DRAM spec as its own dict)."""
        d = {f.name: getattr(self, f.name) for f in dataclasses.fields(self)}
        d["dram"] = self.dram.to_dict()
        return d

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> PimSpec:
        """Build from a dict with the field names; unknown keys raise ConfigError."""
        if not isinstance(data, dict):
            raise ConfigError(f"PIM spec must be a mapping of field names, not {type(data).__name__}")
        names = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(data) - names)
        if unknown:
            raise ConfigError(f"unknown PIM spec field {unknown[0]!r}; allowed: {', '.join(sorted(names))}")
        return cls(**data)

    def replace(self, **changes: Any) -> PimSpec:
        """Return a copy with some fields changed (validated again)."""
        return replace_checked(self, changes, "PIM spec")


def derive_spec(base: DramSpec | str, tck_ns: float, name: str) -> DramSpec:
    """Return ``base`` re-clocked at ``tck_ns``: every timing converted to ns at the base tCK and rounded up
    again (assumes the array timings in ns do not change with the interface clock)."""
    b = load_spec(base)
    conv = {}
    for f in ("CL", "CWL", "tRCDRD", "tRCDWR", "tRP", "tRAS", "tRRD_S", "tRRD_L", "tFAW", "tWR", "tWTR_S",
              "tWTR_L", "tRTP", "tRFC", "tREFI", "tRFCb", "tREFIb"):
        v = getattr(b, f)
        conv[f] = ns_to_tck(v * b.tCK_ns, tck_ns) if v else 0
    conv["tRCD"] = conv["tRCDRD"]
    conv["tRC"] = conv["tRAS"] + conv["tRP"]
    return b.replace(name=name, tCK_ns=tck_ns, **conv)
