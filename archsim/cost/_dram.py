"""DRAM energy from IDD currents, per command (DRAMPower-style; Micron TN-40-07 method).

Per device, with VDD in V, currents in mA and times in ns (mA x ns x V = pJ):

* ACT+PRE pair:  E = VDD * (IDD0 * tRC - (IDD3N * tRAS + IDD2N * (tRC - tRAS)))
* RD burst:      E = VDD * (IDD4R - IDD3N) * tBURST
* WR burst:      E = VDD * (IDD4W - IDD3N) * tBURST
* REF command:   E = VDD * (IDD5B - IDD3N) * tRFC
* background:    P = VDD * IDD3N (active standby; banks assumed open while streaming)

TN-40-07 covers the core (VDD) power.  I/O per bit where a cited figure exists: DDR4 POD12 draws
VDDQ^2/(Ron+Rtt) while driving a 0 (half the bits), DDR3 SSTL draws VDDQ*(VDDQ/2)/(Ron+Rtt) in both states
(JEDEC driver/ODT values); HBM2 the I/O share of O'Connor et al. (MICRO 2017); GDDR5/GDDR6/LPDDR4 I/O is not
modelled (no cited figure).  VPP (wordline pump) current is omitted.  A rank has bus_width / device_width
devices that all see every command.  Currents: :mod:`archsim.cost._tables` (each with its source).
"""

from __future__ import annotations

from dataclasses import dataclass

from archsim.cost._tables import (
    DDR3_8GB_X8_1600,
    DDR4_8GB_X8_2400,
    DDR4_8GB_X8_3200,
    GDDR5_8GB_X32,
    GDDR6_8GB_X16,
    HBM2_8GB_X128,
    HBM2_SPLIT_PJ_PER_BIT,
    LPDDR4_8GB_X16_2400,
    Entry,
)


@dataclass(frozen=True)
class IddDevice:
    """IDD currents (mA), VDD/VDDQ (V), timings (tCK) and I/O of one DRAM device."""

    name: str
    vdd: float
    idd0: float
    idd2n: float
    idd3n: float
    idd4r: float
    idd4w: float
    idd5b: float
    tck_ns: float
    tras_ck: int
    trp_ck: int
    trfc_ck: int
    trefi_ck: int
    bl: int
    device_width: int
    page_bytes: int
    termination: str  # "pod" (DDR4), "sstl" (DDR3), "fixed" (io_pj_bit, cited) or "none" (I/O not modelled)
    vddq: float = 0.0
    ron_ohm: float = 0.0
    rtt_ohm: float = 0.0
    data_rate_mts: float = 0.0
    idd2p: float = 0.0  # power-down currents: cited, unused (the controller never powers down)
    idd3p: float = 0.0
    idd5pb: float = 0.0
    burst_ck: float = 0.0  # tCK per burst; 0: BL/2 (DDR)
    io_pj_bit: float = 0.0  # termination "fixed": cited I/O energy per bit

    @classmethod
    def from_table(cls, name: str, table: dict[str, Entry], termination: str, io_pj_bit: float = 0.0) -> IddDevice:
        """Build a device from a cited table (``_tables.DDR4_8GB_X8_2400`` ...)."""
        return cls(name=name, termination=termination, io_pj_bit=io_pj_bit,
                   **{k: e.value for k, e in table.items()})  # type: ignore[arg-type]

    @property
    def burst_ns(self) -> float:
        """Return the duration of one burst, in ns."""
        return (self.burst_ck or self.bl / 2) * self.tck_ns

    @property
    def trc_ns(self) -> float:
        """Row cycle time tRC = tRAS + tRP, in ns."""
        return (self.tras_ck + self.trp_ck) * self.tck_ns

    def act_pre_pj(self) -> float:
        """Return the energy of one ACT+PRE pair on one device, in pJ."""
        tras = self.tras_ck * self.tck_ns
        trc = self.trc_ns
        return self.vdd * (self.idd0 * trc - (self.idd3n * tras + self.idd2n * (trc - tras)))

    def read_burst_pj(self) -> float:
        """Return the core energy of one RD burst on one device, in pJ."""
        return self.vdd * (self.idd4r - self.idd3n) * self.burst_ns

    def write_burst_pj(self) -> float:
        """Return the core energy of one WR burst on one device, in pJ."""
        return self.vdd * (self.idd4w - self.idd3n) * self.burst_ns

    def refresh_pj(self) -> float:
        """Return the energy of one REF command on one device, in pJ."""
        return self.vdd * (self.idd5b - self.idd3n) * self.trfc_ck * self.tck_ns

    def background_w(self) -> float:
        """Return the active-standby power of one device, in W."""
        return self.vdd * self.idd3n * 1e-3

    def refresh_w(self) -> float:
        """Return the average refresh power of one device (one REF per tREFI), in W."""
        return self.refresh_pj() * 1e-12 / (self.trefi_ck * self.tck_ns * 1e-9)

    def io_pj_per_bit(self) -> float:
        """Return the DQ termination energy per bit transferred, in pJ."""
        if self.termination == "fixed":
            return self.io_pj_bit
        if self.termination == "none":
            return 0.0
        rate = self.data_rate_mts * 1e6
        if self.termination == "pod":
            watts = 0.5 * self.vddq**2 / (self.ron_ohm + self.rtt_ohm)
        else:
            watts = self.vddq * (self.vddq / 2) / (self.ron_ohm + self.rtt_ohm)
        return watts / rate * 1e12


DEVICES: dict[str, IddDevice] = {
    "ddr4": IddDevice.from_table("Micron MT40A1G8 DDR4-2400 8Gb x8", DDR4_8GB_X8_2400, "pod"),
    "ddr3": IddDevice.from_table("DDR3L-1600 8Gb x8", DDR3_8GB_X8_1600, "sstl"),
    "lpddr4": IddDevice.from_table("DRAMsim3 LPDDR4 8Gb x16 2400", LPDDR4_8GB_X16_2400, "none"),
    "gddr5": IddDevice.from_table("DRAMsim3 GDDR5 8Gb x32", GDDR5_8GB_X32, "none"),
    "gddr6": IddDevice.from_table("DRAMsim3 GDDR6 8Gb x16", GDDR6_8GB_X16, "none"),
    "hbm2": IddDevice.from_table("DRAMsim3 HBM2 8Gb x128", HBM2_8GB_X128, "fixed",
                                 float(HBM2_SPLIT_PJ_PER_BIT["io"].value)),
}


# ---------------------------------------------------------------------------------------------------------------
# Command-based DRAM energy for the cycle-level model (DRAMPower-style, Chandrasekar et al., DATE 2012 / TN-40-07):
# per command from IDD currents, plus background by state.  Currents in mA, VDD in V, times in ns -> pJ.
#   ACT (+ its PRE): VDD (IDD0 tRC - (IDD3N tRAS + IDD2N tRP))     RD: VDD (IDD4R - IDD3N) tBURST
#   WR: VDD (IDD4W - IDD3N) tBURST      REF: VDD (IDD5AB - IDD3N) tRFC      REFB: VDD (IDD5PB - IDD3N) tRFCb
#   background: VDD (IDD3N x rank-cycles with a row open + IDD2N x rank-cycles all banks closed) tCK
# each x devices per rank (bus width of a (pseudo-)channel / device width), as DRAMsim3's Config::InitPowerParams.
# Power-down/self-refresh (IDD2P/IDD3P/IDD6) are never entered by the controller, so they add nothing.
# Core VDD only: VPP and DQ/termination (VDDQ) energy are not in these currents (see the per-bit cross-check).
# The timings are the simulated spec's; the currents one cited table per standard (_tables.py).  Standards without
# a public IDD table (ddr5, lpddr5, hbm2e, hbm3, ...) are absent: never priced with another standard's currents.
# ---------------------------------------------------------------------------------------------------------------
_IDD_TABLES: dict[str, dict[str, Entry]] = {
    "ddr3": DDR3_8GB_X8_1600, "ddr4": DDR4_8GB_X8_3200, "lpddr4": LPDDR4_8GB_X16_2400, "gddr5": GDDR5_8GB_X32,
    "gddr6": GDDR6_8GB_X16, "hbm2": HBM2_8GB_X128,
}
_CURRENTS = ("vdd", "idd0", "idd2p", "idd2n", "idd3p", "idd3n", "idd4r", "idd4w")
IDD_CURRENTS: dict[str, dict] = {
    std: {**{k: float(t[k].value) for k in _CURRENTS}, "idd5ab": float(t["idd5b"].value),
          "idd5pb": float(t["idd5pb"].value) if "idd5pb" in t else 0.0,
          "source": t["idd0"].source.split(":")[0]}
    for std, t in _IDD_TABLES.items()
}


def command_energies_pj(spec) -> dict[str, float]:
    """Return the energy of one command on one rank of ``spec``'s standard, in pJ: ``act`` (with its PRE), ``rd``,
    ``wr``, ``ref``, ``refb``, and ``act_standby_per_ck`` / ``pre_standby_per_ck`` (background per rank-cycle).

    Currents from the standard's cited IDD table (:data:`IDD_CURRENTS`), timings from ``spec`` (a
    :class:`~archsim.memory.dram.DramSpec`).  Raises KeyError naming the standard when no IDD table exists for it.
    """
    std = spec.standard.lower()
    if std not in IDD_CURRENTS:
        raise KeyError(f"no IDD table for DRAM standard {spec.standard!r}")
    c = IDD_CURRENTS[std]
    k = c["vdd"] * spec.tCK_ns * max(1, spec.pc_bus_width // spec.device_width)  # V x ns x devices
    return {
        "act": k * (c["idd0"] * spec.tRC - (c["idd3n"] * spec.tRAS + c["idd2n"] * spec.tRP)),
        "rd": k * (c["idd4r"] - c["idd3n"]) * spec.burst_cycles,
        "wr": k * (c["idd4w"] - c["idd3n"]) * spec.burst_cycles,
        "ref": k * (c["idd5ab"] - c["idd3n"]) * spec.tRFC,
        "refb": k * max(0.0, c["idd5pb"] - c["idd3n"]) * spec.tRFCb,
        "act_standby_per_ck": k * c["idd3n"],
        "pre_standby_per_ck": k * c["idd2n"],
    }


def dram_energy(spec, stats: dict, seconds: float | None = None) -> dict[str, float]:
    """Return the energy of a DRAM run in J, by part: ``act_j, rd_j, wr_j, ref_j, refb_j, background_j,
    total_j`` (and ``per_bit_j``, the per-bit cross-check, where a per-bit figure exists).

    ``spec`` is a :class:`~archsim.memory.dram.DramSpec`; ``stats`` holds the run's ``act_count, rd_count,
    wr_count, ref_count, refb_count``, ``total_cycles`` and optionally ``rank_active_cycles`` (rank-cycles with a
    row open; without it every rank-cycle is priced as precharged standby).  Raises KeyError naming the standard
    when no IDD table exists for it.
    """
    from archsim.cost._tables import DRAM_PJ_PER_BIT

    e = command_energies_pj(spec)
    pj = 1e-12
    rank_cycles = stats["total_cycles"] * spec.ranks * spec.n_channels
    active = min(stats.get("rank_active_cycles", 0), rank_cycles)
    bg = e["act_standby_per_ck"] * active + e["pre_standby_per_ck"] * (rank_cycles - active)
    out = {
        "act_j": stats["act_count"] * e["act"] * pj,
        "rd_j": stats["rd_count"] * e["rd"] * pj,
        "wr_j": stats["wr_count"] * e["wr"] * pj,
        "ref_j": stats["ref_count"] * e["ref"] * pj,
        "refb_j": stats.get("refb_count", 0) * e["refb"] * pj,
        "background_j": bg * pj,
    }
    out["total_j"] = sum(out.values())
    std = spec.standard.lower()
    if std in DRAM_PJ_PER_BIT:
        bits = (stats["rd_count"] + stats["wr_count"]) * spec.access_bytes * 8
        out["per_bit_j"] = bits * DRAM_PJ_PER_BIT[std].value * pj
    return out
