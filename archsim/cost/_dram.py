"""DRAM energy from datasheet IDD currents (Micron TN-40-07 method).

Per device, with VDD in V, currents in mA and times in ns (mA x ns x V = pJ):

* ACT+PRE pair:  E = VDD * (IDD0 * tRC - (IDD3N * tRAS + IDD2N * (tRC - tRAS)))
* RD burst:      E = VDD * (IDD4R - IDD3N) * BL/2 * tCK
* WR burst:      E = VDD * (IDD4W - IDD3N) * BL/2 * tCK
* REF command:   E = VDD * (IDD5B - IDD3N) * tRFC
* background:    P = VDD * IDD3N (active standby; banks assumed open while streaming)

TN-40-07 covers the core (VDD) power; DQ termination is added per bit from the
JEDEC driver/ODT values: DDR4 POD12 draws VDDQ^2/(Ron+Rtt) while driving a 0
(half the bits), DDR3 SSTL draws VDDQ*(VDDQ/2)/(Ron+Rtt) in both states.  VPP
(DDR4 wordline pump) current is not in our IDD transcription and is omitted.
A rank has bus_width / device_width devices that all see every command.
"""

from __future__ import annotations

from dataclasses import dataclass

from archsim.cost._tables import DDR3_8GB_X8_1600, DDR4_8GB_X8_2400, Entry


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
    vddq: float
    ron_ohm: float
    rtt_ohm: float
    data_rate_mts: float
    termination: str  # "pod" (DDR4) or "sstl" (DDR3)

    @classmethod
    def from_table(cls, name: str, table: dict[str, Entry], termination: str) -> IddDevice:
        """Build a device from a cited table (``_tables.DDR4_8GB_X8_2400`` ...)."""
        return cls(name=name, termination=termination, **{k: e.value for k, e in table.items()})  # type: ignore[arg-type]

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
        return self.vdd * (self.idd4r - self.idd3n) * self.bl / 2 * self.tck_ns

    def write_burst_pj(self) -> float:
        """Return the core energy of one WR burst on one device, in pJ."""
        return self.vdd * (self.idd4w - self.idd3n) * self.bl / 2 * self.tck_ns

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
        rate = self.data_rate_mts * 1e6
        if self.termination == "pod":
            watts = 0.5 * self.vddq**2 / (self.ron_ohm + self.rtt_ohm)
        else:
            watts = self.vddq * (self.vddq / 2) / (self.ron_ohm + self.rtt_ohm)
        return watts / rate * 1e12


DEVICES: dict[str, IddDevice] = {
    "ddr4": IddDevice.from_table("Micron MT40A1G8 DDR4-2400 8Gb x8", DDR4_8GB_X8_2400, "pod"),
    "ddr3": IddDevice.from_table("DDR3L-1600 8Gb x8", DDR3_8GB_X8_1600, "sstl"),
}


# ---------------------------------------------------------------------------------------------------------------
# Command-based DRAM energy for every DRAM spec preset (DRAMPower-style, Chandrasekar et al., DATE 2012 / TN-40-07):
# per command from IDD currents, plus background by state.  Currents in mA, VDD in V, times in ns -> pJ.
#   ACT (+ its PRE): VDD (IDD0 tRC - (IDD3N tRAS + IDD2N tRP))     RD: VDD (IDD4R - IDD3N) tBURST
#   WR: VDD (IDD4W - IDD3N) tBURST      REF: VDD (IDD5AB - IDD3N) tRFC      REFB: VDD (IDD5PB - IDD3N) tRFCb
#   background: VDD (IDD3N x rank-cycles with a row open + IDD2N x rank-cycles all banks closed) tCK
# each x devices per rank (bus width of a (pseudo-)channel / device width), as DRAMsim3's Config::InitPowerParams.
# Power-down/self-refresh (IDD2P/IDD3P/IDD6) are never entered by the controller, so they add nothing.
# Core VDD only: VPP and DQ/termination (VDDQ) energy are not in these currents (see the per-bit cross-check).
# ---------------------------------------------------------------------------------------------------------------
_D3 = "DRAMsim3 configs/{} [power] (umd-memsys/DRAMsim3)"
_DP = ("DRAMPower tests/tests_drampower/resources/{} mempowerspec (tukl-msd/DRAMPower): a test memspec, not a "
       "datasheet (assumption: representative)")
IDD_CURRENTS: dict[str, dict] = {
    "ddr4": dict(vdd=1.2, idd0=57, idd2n=37, idd3n=52, idd4r=168, idd4w=150, idd5ab=250, idd5pb=0,
                 source=_D3.format("DDR4_8Gb_x8_3200.ini")),
    "ddr5": dict(vdd=1.1, idd0=56.25, idd2n=33.75, idd3n=39.5, idd4r=157.5, idd4w=135.0, idd5ab=118.0, idd5pb=110.0,
                 source=_DP.format("ddr5.json") + "; VDD 1.1 V per JESD79-5 (the memspec's 1.2 V is DDR4's)"),
    "lpddr5": dict(vdd=1.05, idd0=56.25, idd2n=33.75, idd3n=35.0, idd4r=157.5, idd4w=135.0, idd5ab=118.0,
                   idd5pb=74.0, source=_DP.format("lpddr5.json") + "; VDD2H 1.05 V per JESD209-5 (assumed rail)"),
    "gddr6": dict(vdd=1.35, idd0=71, idd2n=60, idd3n=61, idd4r=248, idd4w=231, idd5ab=286, idd5pb=45,
                  source=_D3.format("GDDR6_8Gb_x16.ini")),
    "hbm2": dict(vdd=1.2, idd0=65, idd2n=40, idd3n=55, idd4r=390, idd4w=500, idd5ab=250, idd5pb=0,
                 source=_D3.format("HBM2_8Gb_x128.ini") + "; IDD5PB not given (REFB priced at 0)"),
    "hbm2e": dict(vdd=1.2, idd0=65, idd2n=40, idd3n=55, idd4r=390, idd4w=500, idd5ab=250, idd5pb=0,
                  source=_D3.format("HBM2_8Gb_x128.ini") + " (assumption: HBM2E draws HBM2's currents)"),
    "hbm3": dict(vdd=1.1, idd0=65, idd2n=40, idd3n=55, idd4r=390, idd4w=500, idd5ab=250, idd5pb=0,
                 source=_D3.format("HBM2_8Gb_x128.ini") + " currents (assumption) at VDD 1.1 V (JESD238 HBM3)"),
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

    std = spec.standard.lower()
    if std not in IDD_CURRENTS:
        raise KeyError(f"no IDD table for DRAM standard {spec.standard!r}")
    c = IDD_CURRENTS[std]
    devices = max(1, spec.pc_bus_width // spec.device_width)
    tck = spec.tCK_ns
    vdd = c["vdd"]
    pj = 1e-12
    act = vdd * (c["idd0"] * spec.tRC - (c["idd3n"] * spec.tRAS + c["idd2n"] * spec.tRP)) * tck * devices
    rd = vdd * (c["idd4r"] - c["idd3n"]) * spec.burst_cycles * tck * devices
    wr = vdd * (c["idd4w"] - c["idd3n"]) * spec.burst_cycles * tck * devices
    ref = vdd * (c["idd5ab"] - c["idd3n"]) * spec.tRFC * tck * devices
    refb = vdd * max(0.0, c["idd5pb"] - c["idd3n"]) * spec.tRFCb * tck * devices
    rank_cycles = stats["total_cycles"] * spec.ranks * spec.n_channels
    active = min(stats.get("rank_active_cycles", 0), rank_cycles)
    bg = vdd * (c["idd3n"] * active + c["idd2n"] * (rank_cycles - active)) * tck * devices
    out = {
        "act_j": stats["act_count"] * act * pj,
        "rd_j": stats["rd_count"] * rd * pj,
        "wr_j": stats["wr_count"] * wr * pj,
        "ref_j": stats["ref_count"] * ref * pj,
        "refb_j": stats.get("refb_count", 0) * refb * pj,
        "background_j": bg * pj,
    }
    out["total_j"] = sum(out.values())
    if std in DRAM_PJ_PER_BIT:
        bits = (stats["rd_count"] + stats["wr_count"]) * spec.access_bytes * 8
        out["per_bit_j"] = bits * DRAM_PJ_PER_BIT[std].value * pj
    return out
