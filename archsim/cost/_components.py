"""Energy/area models, one small class per component kind (hwcomponents/Accelergy style).

A design describes its parts as plain dicts (``{"name": ..., "kind": ...}``, see
docs/architecture.md); :func:`build_model` turns one into a model at a
technology node.  Each model:

* validates its dict and scales its per-action energies by node in ``__init__``;
* has one method per action returning pJ (``MacArray.mac``, ``Sram.read`` ...);
* prices the per-op action columns it owns (``dynamic_pj``) and lists them
  (``columns``), reports its area (``area_mm2``) and static power (``static_w``).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any, ClassVar

import numpy as np
import pandas as pd

from archsim.core import vocab as _vocab
from archsim.core.errors import ConfigError
from archsim.cost._arith import FLOAT_FORMATS, check_precision, mac_area_um2, mac_cost_45nm, op_cost_45nm
from archsim.cost._dram import DEVICES
from archsim.cost._rtl import calibrated_mac_area_um2
from archsim.cost._scaling import area_factor, check_node, energy_factor, leakage_w_per_mm2, sram_mm2_per_mib
from archsim.cost._tables import (
    DRAM_PJ_PER_BIT,
    EYERISS_RELATIVE,
    FPGA_DEFAULTS,
    FPGA_STATIC_W,
    FPGA_UW_PER_MHZ,
    HBM2_SPLIT_PJ_PER_BIT,
    HOROWITZ_SRAM_64B_PJ,
    PIM,
)

MIB = 1 << 20


def _col(ops: pd.DataFrame, name: str) -> np.ndarray:
    """Return column ``name`` as float64, or zeros if the design did not report it."""
    if name in ops.columns:
        return ops[name].to_numpy(dtype=np.float64)
    return np.zeros(len(ops))


class CostModel:
    """Base of every component model.

    Attributes:
        name: the component's name (column ``energy_<name>_pj``).
        count: number of instances (area and leakage scale with it).
        node_nm: technology node of the on-chip logic, nm.
    """

    kind: ClassVar[str] = ""
    category: ClassVar[str] = "other"
    #: keys a spec may carry besides name/kind (anything else is ignored: designs may add notes)
    on_chip: ClassVar[bool] = True

    def __init__(self, spec: Mapping[str, Any], node_nm: float) -> None:
        self.spec = dict(spec)
        self.name = str(spec["name"])
        self.node_nm = check_node(node_nm)
        self.count = self._int("count", 1)
        override = spec.get("area_mm2")
        if override is not None:
            self._number("area_mm2", override, allow_zero=True)
        self._area_override = override
        leak = spec.get("leakage_w_per_mm2")
        if leak is not None:
            self._number("leakage_w_per_mm2", leak, allow_zero=True)
        self._leak_density = leakage_w_per_mm2(self.node_nm) if leak is None else float(leak)

    # --- validation helpers -------------------------------------------------
    def _field(self, key: str) -> str:
        return f"component {self.name!r} {key}"

    def _int(self, key: str, default: int | None = None) -> int:
        value = self.spec.get(key, default)
        if value is None:
            raise ConfigError(f"{self._field(key)} is required")
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value <= 0:
            raise ConfigError(f"{self._field(key)} must be a positive integer, not {value!r}")
        return int(value)

    def _number(self, key: str, value: Any, allow_zero: bool = False) -> float:
        ok = isinstance(value, (int, float, np.number)) and not isinstance(value, bool) and math.isfinite(value)
        if not ok or value < 0 or (value == 0 and not allow_zero):
            what = "a non-negative number" if allow_zero else "a positive number"
            raise ConfigError(f"{self._field(key)} must be {what}, not {value!r}")
        return float(value)

    def _opt_number(self, key: str, default: float) -> float:
        return self._number(key, self.spec.get(key, default))

    # --- interface ------------------------------------------------------------
    def columns(self) -> tuple[str, ...]:
        """Return the action columns this component prices."""
        return ()

    def dynamic_pj(self, ops: pd.DataFrame) -> np.ndarray:
        """Return the dynamic energy of each op row in pJ."""
        return np.zeros(len(ops))

    def breakdown_pj(self, ops: pd.DataFrame) -> dict[str, np.ndarray]:
        """Return parts of ``dynamic_pj`` by sub-kind (e.g. FPGA resource kind), pJ per op; {} if not split."""
        return {}

    def model_area_mm2(self) -> float | None:
        """Return the modelled area of all instances in mm^2, or None if there is no area model."""
        return None

    def area_mm2(self) -> float:
        """Return the area of all instances in mm^2 (the spec's ``area_mm2`` overrides the model)."""
        if self._area_override is not None:
            return float(self._area_override)
        return self.model_area_mm2() or 0.0

    def has_area(self) -> bool:
        """True if the area is modelled or given."""
        return self._area_override is not None or self.model_area_mm2() is not None or not self.on_chip

    def static_w(self) -> float:
        """Return the static (leakage) power of all instances in W."""
        return self.area_mm2() * self._leak_density if self.on_chip else 0.0


class MacArray(CostModel):
    """An array of multiply-accumulate units (PEs).

    Energy per MAC: Horowitz ISSCC 2014 Fig. 1.1.9 multiply + accumulator add at
    45 nm (derived widths: :mod:`archsim.cost._arith`), times the Stillmaker &
    Baas 2017 energy factor.  The op's ``a_precision``/``b_precision`` columns pick
    the format; the component's own precisions size the area.
    Spec: ``count`` (MACs), ``a_precision``, ``b_precision``, optional ``acc_precision``; optional
    ``area_scale`` and ``energy_scale`` (default 1): a PE variant's area and energy per MAC relative to
    the usual MAC PE, applied to the node-scaled figures above (``pe``/``pe_source`` name the variant and
    the synthesis the ratios come from, e.g. ``SystolicArray(pe="tpe-csa")``).
    """

    kind = "mac_array"
    category = "compute"

    def __init__(self, spec: Mapping[str, Any], node_nm: float) -> None:
        super().__init__(spec, node_nm)
        self.a_precision = check_precision(self._field("a_precision"), spec.get("a_precision", "bf16"))
        self.b_precision = check_precision(self._field("b_precision"), spec.get("b_precision", self.a_precision))
        acc = spec.get("acc_precision")
        self.acc_precision = None if acc is None else check_precision(self._field("acc_precision"), acc)
        self.area_scale = self._opt_number("area_scale", 1.0)
        self.energy_scale = self._opt_number("energy_scale", 1.0)

    def mac(self, a_precision: str | None = None, b_precision: str | None = None) -> float:
        """Return the energy of one MAC in pJ (default: the array's own precisions)."""
        a = self.a_precision if a_precision is None else check_precision("a_precision", a_precision)
        b = self.b_precision if b_precision is None else check_precision("b_precision", b_precision)
        return mac_cost_45nm(a, b, self.acc_precision, "energy") * energy_factor(self.node_nm) * self.energy_scale

    def columns(self) -> tuple[str, ...]:
        return ("macs",)

    def dynamic_pj(self, ops: pd.DataFrame) -> np.ndarray:
        macs = _col(ops, "macs")
        n = len(ops)
        a = ops["a_precision"].astype(str).to_numpy() if "a_precision" in ops.columns else [self.a_precision] * n
        b = ops["b_precision"].astype(str).to_numpy() if "b_precision" in ops.columns else [self.b_precision] * n
        codes, pairs = pd.MultiIndex.from_arrays([a, b]).factorize()
        per_pair = np.array([self.mac(pa, pb) for pa, pb in pairs], dtype=np.float64)
        return macs * per_pair[codes] if n else macs

    def pe_area_um2(self) -> float:
        """Return one MAC's area in um^2: RTL calibration if recorded, else Horowitz; times ``area_scale``."""
        cal = calibrated_mac_area_um2(self.a_precision, self.b_precision, self.node_nm)
        if cal is None:
            cal = mac_area_um2(self.a_precision, self.b_precision, self.node_nm, self.acc_precision)
        return cal * self.area_scale

    def model_area_mm2(self) -> float:
        return self.count * self.pe_area_um2() * 1e-6


class VectorUnit(CostModel):
    """SIMD lanes for elementwise ops; one ``vector_op_count`` = one multiply + one add in ``precision``.

    Horowitz ISSCC 2014 Fig. 1.1.9 (derived widths as for MACs), node-scaled.
    Spec: ``count`` (lanes), ``precision`` (default fp32).
    """

    kind = "vector_unit"
    category = "compute"

    def __init__(self, spec: Mapping[str, Any], node_nm: float) -> None:
        super().__init__(spec, node_nm)
        self.precision = check_precision(self._field("precision"), spec.get("precision", "fp32"))

    def op(self) -> float:
        """Return the energy of one vector lane operation in pJ."""
        e = op_cost_45nm("mult", self.precision) + op_cost_45nm("add", self.precision)
        return e * energy_factor(self.node_nm)

    def columns(self) -> tuple[str, ...]:
        return ("vector_op_count",)

    def dynamic_pj(self, ops: pd.DataFrame) -> np.ndarray:
        return _col(ops, "vector_op_count") * self.op()

    def model_area_mm2(self) -> float:
        a = op_cost_45nm("mult", self.precision, "area") + op_cost_45nm("add", self.precision, "area")
        return self.count * a * area_factor(self.node_nm) * 1e-6


def _sram_fit() -> tuple[float, float]:
    """Least-squares fit log10(E64) = c0 + c1 * log10(capacity) through Horowitz's three SRAM points."""
    caps = np.array([float(k) for k in HOROWITZ_SRAM_64B_PJ])
    energies = np.array([float(e.value) for e in HOROWITZ_SRAM_64B_PJ.values()])
    c1, c0 = np.polyfit(np.log10(caps), np.log10(energies), 1)
    return float(c0), float(c1)


SRAM_FIT = _sram_fit()


def sram_access_pj_45nm(capacity_bytes: float, width_bits: float) -> float:
    """Return the 45 nm energy of one ``width_bits`` access to a ``capacity_bytes`` SRAM bank in pJ.

    CACTI-style fit: E64(C) = 10**c0 * C**c1 through Horowitz's 8 KB / 32 KB / 1 MB
    64-bit points (exponent ~0.47, the H-tree and bit-line growth with capacity).  An
    access wider than 64 bits is served by width/64 macros side by side, each 64 bits
    wide holding capacity * 64 / width bytes; a narrower access reads a fraction
    width/64 of a 64-bit word's energy.
    """
    c0, c1 = SRAM_FIT
    macros = max(1.0, width_bits / 64.0)
    macro_bytes = capacity_bytes / macros
    return macros * 10**c0 * macro_bytes**c1 * (width_bits / macros / 64.0)


class Sram(CostModel):
    """On-chip SRAM buffer (scratchpad).

    Energy per access: :func:`sram_access_pj_45nm` of one bank (width/64 macros of
    64 bits side by side), node-scaled;
    write energy taken equal to read energy (assumption, see docs/cost.md).
    Area: TPU v1 SRAM density at 28 nm (Jouppi et al. ISCA 2017) scaled by the
    6T bit-cell area of the node.  Spec: ``capacity_bytes`` (per instance),
    ``width_bits`` (default 64), ``banks`` (default 1), ``buffer`` (action columns
    ``sram_<buffer>_read_bytes``/``_write_bytes``; default the name), ``count``.
    """

    kind = "sram"
    category = "sram"

    def __init__(self, spec: Mapping[str, Any], node_nm: float) -> None:
        super().__init__(spec, node_nm)
        self.capacity_bytes = self._int("capacity_bytes")
        self.width_bits = self._int("width_bits", 64)
        self.banks = self._int("banks", 1)
        buffer = spec.get("buffer", self.name)
        if not isinstance(buffer, str) or not buffer:
            raise ConfigError(f"{self._field('buffer')} must be a non-empty string, not {buffer!r}")
        self.buffer = buffer
        bank = self.capacity_bytes / self.banks
        self._access_pj = sram_access_pj_45nm(bank, self.width_bits) * energy_factor(self.node_nm)

    def read(self, nbytes: float = 1.0) -> float:
        """Return the energy of reading ``nbytes`` (in full-width accesses' share) in pJ."""
        return self._access_pj * nbytes * 8 / self.width_bits

    def write(self, nbytes: float = 1.0) -> float:
        """Return the energy of writing ``nbytes`` in pJ (= read energy)."""
        return self.read(nbytes)

    def columns(self) -> tuple[str, ...]:
        return (f"sram_{self.buffer}_read_bytes", f"sram_{self.buffer}_write_bytes")

    def dynamic_pj(self, ops: pd.DataFrame) -> np.ndarray:
        rd, wr = self.columns()
        return _col(ops, rd) * self.read(1.0) + _col(ops, wr) * self.write(1.0)

    def model_area_mm2(self) -> float:
        return self.count * self.capacity_bytes / MIB * sram_mm2_per_mib(self.node_nm)


def _mac16_45nm() -> float:
    """Energy of a 16-bit fixed-point MAC at 45 nm (Eyeriss' unit of normalized energy), pJ."""
    return mac_cost_45nm("int16", "int16", "int16", "energy")


class RegisterFile(CostModel):
    """PE-local registers / register file; ``rf_access_count`` counts reads + writes of ``width_bits``.

    Energy: Eyeriss (Chen et al. ISCA 2016, Table IV) 0.5 kB RF access = 1x a 16-bit
    MAC (the MAC from Horowitz at 45 nm), linear in width, and scaled to the RF's size
    (``entries`` x ``width_bits``) with the capacity exponent of the SRAM fit (~0.47):
    an extrapolation, e.g. a single 16-bit pipeline register costs 0.07x the Eyeriss RF.
    Node-scaled.  No area model (give ``area_mm2``).  Spec: ``width_bits`` (16),
    ``entries`` (1: a systolic PE's pipeline/weight registers; Eyeriss' RF is 256), ``count``.
    """

    kind = "register_file"
    category = "rf"

    def __init__(self, spec: Mapping[str, Any], node_nm: float) -> None:
        super().__init__(spec, node_nm)
        self.width_bits = self._int("width_bits", 16)
        self.entries = self._int("entries", 1)

    def access(self) -> float:
        """Return the energy of one register-file access in pJ."""
        rel = float(EYERISS_RELATIVE["rf_access_16b"].value)
        size = self.entries * self.width_bits / 8 / float(EYERISS_RELATIVE["rf_bytes"].value)
        return rel * _mac16_45nm() * self.width_bits / 16 * size ** SRAM_FIT[1] * energy_factor(self.node_nm)

    def columns(self) -> tuple[str, ...]:
        return ("rf_access_count",)

    def dynamic_pj(self, ops: pd.DataFrame) -> np.ndarray:
        return _col(ops, "rf_access_count") * self.access()


class Noc(CostModel):
    """On-chip network; ``noc_hop_bytes`` = bytes x hops.

    Energy: Eyeriss (ISCA 2016, Table IV) inter-PE transfer of 16 bits = 2x a
    16-bit MAC, i.e. one 16-bit MAC per byte-hop; node-scaled.  No area model.
    """

    kind = "noc"
    category = "noc"

    def hop(self, nbytes: float = 1.0) -> float:
        """Return the energy of moving ``nbytes`` over one hop in pJ."""
        rel = float(EYERISS_RELATIVE["noc_hop_16b"].value)
        return rel * _mac16_45nm() / 2 * nbytes * energy_factor(self.node_nm)

    def columns(self) -> tuple[str, ...]:
        return ("noc_hop_bytes",)

    def dynamic_pj(self, ops: pd.DataFrame) -> np.ndarray:
        return _col(ops, "noc_hop_bytes") * self.hop(1.0)


#: The DRAM standard names (one list, archsim.core.vocab); those without an energy figure here are reported in
#: the summary's ``energy_not_modelled`` and their actions stay unpriced (never priced as another standard).
DRAM_STANDARDS = _vocab.DRAM_STANDARDS
_CMD_COLUMNS = ("dram_act_count", "dram_rd_count", "dram_wr_count", "dram_pre_count", "dram_ref_count")


class Dram(CostModel):
    """Off-chip DRAM (not on the die: no area, no leakage; background power instead).

    Standards with a cited IDD table (ddr3, ddr4, lpddr4, gddr5, gddr6, hbm2; :mod:`archsim.cost._dram`):
    Micron TN-40-07 / DRAMPower IDD method per command when the design reports ``dram_act/rd/wr/ref_count``
    (PRE is part of the ACT pair), plus I/O per bit where a cited figure exists (DDR termination, HBM2 I/O
    share); with bytes only, the same per-burst energies with one ACT per ``bursts_per_activate`` bursts
    (default: a whole row, i.e. streaming).  Standards without an IDD table but with a cited per-bit figure
    (:data:`archsim.cost._tables.DRAM_PJ_PER_BIT`: lpddr5): bytes x pJ/bit.  Others: unpriced, said so.
    Spec: ``standard``, ``channels`` (default: ``interface_bytes_per_s`` over one channel's peak, else 1),
    ``ranks`` (per channel, default 1), ``bus_width_bits`` (default 64 for DDR, else the device width),
    ``bursts_per_activate``.
    """

    kind = "dram"
    category = "dram"
    on_chip = False

    def __init__(self, spec: Mapping[str, Any], node_nm: float) -> None:
        super().__init__(spec, node_nm)
        std = str(spec.get("standard", "")).lower()
        if std not in DRAM_STANDARDS:
            raise ConfigError(
                f"{self._field('standard')} must be one of {', '.join(DRAM_STANDARDS)}, not {spec.get('standard')!r}"
            )
        self.standard = std
        #: None, or why this standard's energy is not priced (no cited figure: say so, never relabel)
        self.not_modelled = None if (std in DEVICES or std in DRAM_PJ_PER_BIT) else (
            f"{self.name}: no energy figure for DRAM standard {std!r}; its actions are left unpriced")
        self.ranks = self._int("ranks", 1)
        self.device = DEVICES.get(std)
        channels = 1
        if self.device is not None:
            dev = self.device
            self.bus_width_bits = self._int("bus_width_bits", 64 if std.startswith("ddr") else dev.device_width)
            self.devices_per_rank = max(1, self.bus_width_bits // dev.device_width)
            self.burst_bytes = self.bus_width_bits // 8 * dev.bl
            iface = float(spec.get("interface_bytes_per_s") or 0.0)
            if iface > 0 and "channels" not in spec:  # as many channels as the stated bandwidth needs
                channels = max(1, math.ceil(iface / (self.burst_bytes / (dev.burst_ns * 1e-9)) - 1e-9))
        self.channels = self._int("channels", channels)
        if self.device is not None:
            row_bursts = self.device.page_bytes * self.devices_per_rank // self.burst_bytes
            self.bursts_per_activate = self._int("bursts_per_activate", row_bursts)

    # actions (rank-level commands: every device of the rank takes part)
    def act(self) -> float:
        """Return the energy of one ACT+PRE pair on a rank in pJ."""
        return self._need_idd().act_pre_pj() * self.devices_per_rank

    def rd(self) -> float:
        """Return the core energy of one RD burst on a rank in pJ (I/O excluded)."""
        return self._need_idd().read_burst_pj() * self.devices_per_rank

    def wr(self) -> float:
        """Return the core energy of one WR burst on a rank in pJ (I/O excluded)."""
        return self._need_idd().write_burst_pj() * self.devices_per_rank

    def ref(self) -> float:
        """Return the energy of one REF command on a rank in pJ."""
        return self._need_idd().refresh_pj() * self.devices_per_rank

    def io_per_bit(self) -> float:
        """Return the interface energy per bit in pJ (DDR termination; 0 for pJ/bit standards)."""
        return self.device.io_pj_per_bit() if self.device is not None else 0.0

    def per_bit(self, write: bool = False) -> float:
        """Return the energy per bit transferred when only bytes are known, in pJ."""
        if self.device is None:
            return float(DRAM_PJ_PER_BIT[self.standard].value)
        burst = self.wr() if write else self.rd()
        return (burst + self.act() / self.bursts_per_activate) / (self.burst_bytes * 8) + self.io_per_bit()

    def _need_idd(self):
        if self.device is None:
            only = ", ".join(DEVICES)
            raise ConfigError(f"{self._field('standard')} {self.standard!r} has no IDD model (only {only})")
        return self.device

    def uses_commands(self, ops: pd.DataFrame) -> bool:
        """True if the IDD method prices commands for these ops (an IDD table, RD/WR counts reported; ACT counts
        alone, as PIM designs report for in-bank compute, leave the bytes priced per burst)."""
        return self.device is not None and any(c in ops.columns for c in _CMD_COLUMNS[1:3])

    def columns(self) -> tuple[str, ...]:
        if self.not_modelled:
            return ()
        return self.unmodelled_columns()

    def unmodelled_columns(self) -> tuple[str, ...]:
        """The action columns this component would price (left unpriced while ``not_modelled``)."""
        return ("dram_read_bytes", "dram_write_bytes") + _CMD_COLUMNS

    def dynamic_pj(self, ops: pd.DataFrame) -> np.ndarray:
        if self.not_modelled:
            return np.zeros(len(ops))
        rd_b, wr_b = _col(ops, "dram_read_bytes"), _col(ops, "dram_write_bytes")
        if not self.uses_commands(ops):
            return rd_b * 8 * self.per_bit(False) + wr_b * 8 * self.per_bit(True)
        act, rd, wr, ref = (_col(ops, c) for c in ("dram_act_count", "dram_rd_count", "dram_wr_count",
                                                    "dram_ref_count"))
        bits = (rd_b + wr_b) * 8
        if "dram_read_bytes" not in ops.columns and "dram_write_bytes" not in ops.columns:
            bits = (rd + wr) * self.burst_bytes * 8
        return act * self.act() + rd * self.rd() + wr * self.wr() + ref * self.ref() + bits * self.io_per_bit()

    def background_w(self, ops: pd.DataFrame | None = None) -> float:
        """Return standby (+ refresh, unless REF commands are priced) power of all devices, in W."""
        if self.device is None:
            return 0.0
        n = self.devices_per_rank * self.ranks * self.channels
        power = self.device.background_w()
        if ops is None or "dram_ref_count" not in ops.columns or not self.uses_commands(ops):
            power += self.device.refresh_w()
        return n * power

    def model_area_mm2(self) -> float:
        return 0.0


class PimUnit(CostModel):
    """Processing-in-memory units next to DRAM banks (HBM-PIM / AiM style).

    ``pim_mac_count``: MAC energy in ``precision`` (default fp16, accumulate in the
    same format as HBM-PIM does) at ``logic_node_nm`` (DRAM-process logic,
    default 45 nm-equivalent: an assumption).  ``pim_col_access_count``: an
    in-bank column access of ``col_bits`` costs the HBM2 row-activation share per
    bit only (O'Connor et al. MICRO 2017): no on-die global movement, no I/O.
    ``placement="logic_die"`` adds the on-die movement share (HBM logic-die PIM).
    Spec: ``count`` (units), ``unit_area_mm2`` (per unit, optional), ``placement``
    (bank | logic_die), ``acc_precision`` (default: ``precision`` for floats).
    """

    kind = "pim"
    category = "pim"

    def __init__(self, spec: Mapping[str, Any], node_nm: float) -> None:
        super().__init__(spec, node_nm)
        self.precision = check_precision(self._field("precision"), spec.get("precision", PIM["precision"].value))
        self.col_bits = self._int("col_bits", int(PIM["col_bits"].value))
        self.logic_node_nm = check_node(spec.get("logic_node_nm", PIM["logic_node_nm"].value),
                                        self._field("logic_node_nm"))
        placement = spec.get("placement", "bank")
        if placement not in ("bank", "logic_die"):
            raise ConfigError(f"{self._field('placement')} must be one of bank, logic_die, not {placement!r}")
        self.placement = placement
        acc = spec.get("acc_precision")
        self.acc_precision = None if acc is None else check_precision(self._field("acc_precision"), acc)
        ua = spec.get("unit_area_mm2")
        self.unit_area_mm2 = None if ua is None else self._number("unit_area_mm2", ua)
        self._leak_density = leakage_w_per_mm2(self.logic_node_nm) if spec.get("leakage_w_per_mm2") is None \
            else self._leak_density

    def mac(self) -> float:
        """Return the energy of one PIM MAC in pJ."""
        acc = self.acc_precision
        if acc is None:
            acc = self.precision if self.precision in FLOAT_FORMATS else None
        return mac_cost_45nm(self.precision, self.precision, acc, "energy") * energy_factor(self.logic_node_nm)

    def col_access(self) -> float:
        """Return the energy of one column access feeding the PIM unit in pJ.

        ``bank`` placement: row-activation share only; ``logic_die``: plus the on-die
        movement to the TSVs (the data leaves the bank but not the stack).
        """
        parts = ("activation",) if self.placement == "bank" else ("activation", "on_die_movement")
        return self.col_bits * sum(float(HBM2_SPLIT_PJ_PER_BIT[p].value) for p in parts)

    def external_col_access(self) -> float:
        """Return the energy of moving the same bits off the HBM2 stack in pJ (for comparison)."""
        return self.col_bits * sum(float(e.value) for e in HBM2_SPLIT_PJ_PER_BIT.values())

    def tsv_bit(self) -> float:
        """Return the energy of moving one bit through the TSVs to the logic die in pJ (logic-die PIM).

        Upper bound: O'Connor et al.'s HBM2 I/O share covers the TSVs *and* the interposer; the TSV part alone
        is not split out there.
        """
        return float(HBM2_SPLIT_PJ_PER_BIT["io"].value)

    def columns(self) -> tuple[str, ...]:
        return ("pim_mac_count", "pim_col_access_count", "pim_tsv_bytes")

    def dynamic_pj(self, ops: pd.DataFrame) -> np.ndarray:
        return (_col(ops, "pim_mac_count") * self.mac() + _col(ops, "pim_col_access_count") * self.col_access()
                + _col(ops, "pim_tsv_bytes") * 8 * self.tsv_bit())

    def model_area_mm2(self) -> float | None:
        return None if self.unit_area_mm2 is None else self.count * self.unit_area_mm2


FPGA_RESOURCES = ("dsp", "bram36", "uram", "lut", "ff")


class FpgaFabric(CostModel):
    """FPGA fabric (UltraScale+, 16 nm): device static power + dynamic power per used resource (XPE structure).

    Dynamic energy of an op row = sum over resource kinds of (resources the row's stage
    holds, op column ``<kind>``) x (cycles it holds them, column ``cycles``; divided by the
    ``copies_column`` when the row's resources and cycles both add up over that many resident
    copies of the stage, as in FPGA dataflow mode) x the
    per-resource figure in uW/MHz = pJ per resource-cycle
    (:data:`archsim.cost._tables.FPGA_UW_PER_MHZ`, from public Vivado report_power data at
    Vivado's default activity) x ``toggle`` / 12.5 %.  Frequency cancels: power =
    count x MHz x uW/MHz, energy = power x cycles / MHz.  A stage is charged for its whole
    span (it is clocked while resident), as XPE charges the resources a design uses.
    ``macs`` and ``vector_op_count`` are covered by this resource-time model (their energy
    is the DSP/LUT activity), not priced again.

    Static power: ``static_w`` if given, else :data:`~archsim.cost._tables.FPGA_STATIC_W`
    by ``part`` (Vivado Device Static near room temperature).  No area (the device is
    bought, not drawn); the node is the FPGA's (the figures are 16 nm), the price() node
    is ignored.  Spec: ``part``, ``toggle`` (default 0.125), ``static_w``,
    ``time_column`` (default ``cycles``), ``copies_column`` (default none); other keys (freq_mhz, ``<kind>_available``,
    ``<kind>_used``) are informational.
    """

    kind = "fpga_fabric"
    category = "compute"

    def __init__(self, spec: Mapping[str, Any], node_nm: float) -> None:
        super().__init__(spec, node_nm)
        toggle = spec.get("toggle", FPGA_DEFAULTS["toggle"].value)
        if not (isinstance(toggle, (int, float)) and not isinstance(toggle, bool) and 0 < toggle <= 1):
            raise ConfigError(f"{self._field('toggle')} must be in (0, 1], not {toggle!r}")
        self.toggle = float(toggle)
        self.part = str(spec.get("part", "")).lower()
        sw = spec.get("static_w")
        if sw is not None:
            self._static_w = self._number("static_w", sw, allow_zero=True)
        elif self.part in FPGA_STATIC_W:
            self._static_w = float(FPGA_STATIC_W[self.part].value)
        else:
            raise ConfigError(f"{self._field('part')} must be one of {', '.join(FPGA_STATIC_W)} (or give static_w), "
                              f"not {spec.get('part')!r}")
        self.time_column = str(spec.get("time_column", "cycles"))
        self.copies_column = spec.get("copies_column")

    def pj_per_cycle(self, resource: str) -> float:
        """Return the dynamic energy of one used ``resource`` for one clock cycle at this toggle rate, in pJ."""
        if resource not in FPGA_UW_PER_MHZ:
            raise ConfigError(f"resource must be one of {', '.join(FPGA_RESOURCES)}, not {resource!r}")
        return float(FPGA_UW_PER_MHZ[resource].value) * self.toggle / float(FPGA_DEFAULTS["toggle"].value)

    def power_w(self, used: Mapping[str, float], freq_mhz: float) -> dict[str, float]:
        """Return ``{"<kind>_w", "dynamic_w", "static_w"}`` of ``used`` resources clocked at ``freq_mhz``, in W."""
        out = {f"{k}_w": float(used.get(k, 0)) * self.pj_per_cycle(k) * freq_mhz * 1e-6 for k in FPGA_RESOURCES}
        out["dynamic_w"] = sum(out.values())
        out["static_w"] = self._static_w
        return out

    def columns(self) -> tuple[str, ...]:
        return ("macs", "vector_op_count")

    def breakdown_pj(self, ops: pd.DataFrame) -> dict[str, np.ndarray]:
        """Return the dynamic energy of each op row per resource kind, pJ."""
        t = _col(ops, self.time_column)
        if self.copies_column is not None and self.copies_column in ops.columns:
            t = t / np.maximum(_col(ops, self.copies_column), 1.0)
        return {k: _col(ops, k) * t * self.pj_per_cycle(k) for k in FPGA_RESOURCES}

    def dynamic_pj(self, ops: pd.DataFrame) -> np.ndarray:
        return sum(self.breakdown_pj(ops).values(), np.zeros(len(ops)))

    def model_area_mm2(self) -> float:
        return 0.0

    def has_area(self) -> bool:
        return True

    def static_w(self) -> float:
        return self._static_w


class Other(CostModel):
    """A part priced by area only (controller, PHY, glue logic): spec ``area_mm2`` required."""

    kind = "other"
    category = "other"

    def __init__(self, spec: Mapping[str, Any], node_nm: float) -> None:
        super().__init__(spec, node_nm)
        if spec.get("area_mm2") is None:
            raise ConfigError(f"{self._field('area_mm2')} is required for kind {spec.get('kind')!r}")


class Controller(Other):
    """Memory/array controller: area (``area_mm2``) and its leakage only."""

    kind = "controller"


MODELS: dict[str, type[CostModel]] = {
    m.kind: m for m in (MacArray, VectorUnit, Sram, RegisterFile, Noc, Dram, PimUnit, FpgaFabric, Controller, Other)
}


def build_model(spec: Mapping[str, Any], node_nm: float, index: int = 0) -> CostModel:
    """Return the cost model for one component dict at ``node_nm``."""
    if not isinstance(spec, Mapping):
        raise ConfigError(f"components[{index}] must be a dict, not {type(spec).__name__}")
    name = spec.get("name")
    if not isinstance(name, str) or not name or not name.replace("_", "a").isalnum():
        raise ConfigError(f"components[{index}].name must be a non-empty identifier (letters, digits, _), not {name!r}")
    kind = spec.get("kind")
    if kind not in MODELS:
        _load_models()
    if kind not in MODELS:
        raise ConfigError(f"component {name!r} kind must be one of {', '.join(MODELS)}, not {kind!r}")
    return MODELS[kind](spec, node_nm)


def _load_models() -> None:
    """Import every public module of archsim.cost once: cost models defined there (``link`` ...) register
    themselves in :data:`MODELS` at import (a new component kind is one module, no edit here)."""
    import importlib
    import pkgutil

    import archsim.cost as cost

    for m in pkgutil.iter_modules(cost.__path__):
        if not m.name.startswith("_"):
            importlib.import_module(f"{cost.__name__}.{m.name}")
