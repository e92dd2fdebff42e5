"""Cited tables behind every energy and area number in :mod:`archsim.cost`.

Each entry is an :class:`Entry` (value, unit, source).  ``source`` names the
paper/datasheet, the table or figure and the row; derived entries say how they
were derived.  ``verified`` tells whether we re-read the number in a stored copy
of the source while writing this module (``True``) or transcribed it from the
publication as we know it (``False``); docs/cost.md lists which is which.

Nothing here computes anything: the models in ``_arith``, ``_scaling``,
``_components`` and ``_dram`` read these tables.  ``ALL_TABLES`` lists every
table so a test can check that each entry carries its source.
"""

from __future__ import annotations

from dataclasses import dataclass

from archsim.core.vocab import NUMBER_FORMATS


@dataclass(frozen=True)
class Entry:
    """One published (or derived) number with its unit and provenance."""

    value: float | str
    unit: str
    source: str
    verified: bool = False


# ---------------------------------------------------------------------------
# Arithmetic at 45 nm, 0.9 V.  Horowitz, "Computing's energy problem (and what
# we can do about it)", ISSCC 2014, Fig. 1.1.9 (energy, pJ, and area, um^2, per
# operation).  Only 8/32-bit integer and 16/32-bit float points are published;
# other widths are derived in archsim/cost/_arith.py (power law through the two
# published points; see docs/cost.md).
# ---------------------------------------------------------------------------
_H = "Horowitz, ISSCC 2014, Fig. 1.1.9, 45 nm 0.9 V"
HOROWITZ_ENERGY_PJ: dict[str, Entry] = {
    "int_add_8": Entry(0.03, "pJ", f"{_H}: 8-bit integer add"),
    "int_add_32": Entry(0.1, "pJ", f"{_H}: 32-bit integer add"),
    "int_mult_8": Entry(0.2, "pJ", f"{_H}: 8-bit integer multiply"),
    "int_mult_32": Entry(3.1, "pJ", f"{_H}: 32-bit integer multiply"),
    "fp_add_16": Entry(0.4, "pJ", f"{_H}: 16-bit FP add"),
    "fp_add_32": Entry(0.9, "pJ", f"{_H}: 32-bit FP add"),
    "fp_mult_16": Entry(1.1, "pJ", f"{_H}: 16-bit FP multiply"),
    "fp_mult_32": Entry(3.7, "pJ", f"{_H}: 32-bit FP multiply"),
}
HOROWITZ_AREA_UM2: dict[str, Entry] = {
    "int_add_8": Entry(36.0, "um^2", f"{_H}: 8-bit integer add, area"),
    "int_add_32": Entry(137.0, "um^2", f"{_H}: 32-bit integer add, area"),
    "int_mult_8": Entry(282.0, "um^2", f"{_H}: 8-bit integer multiply, area"),
    "int_mult_32": Entry(3495.0, "um^2", f"{_H}: 32-bit integer multiply, area"),
    "fp_add_16": Entry(1360.0, "um^2", f"{_H}: 16-bit FP add, area"),
    "fp_add_32": Entry(4184.0, "um^2", f"{_H}: 32-bit FP add, area"),
    "fp_mult_16": Entry(1640.0, "um^2", f"{_H}: 16-bit FP multiply, area"),
    "fp_mult_32": Entry(7700.0, "um^2", f"{_H}: 32-bit FP multiply, area"),
}
# Cache/SRAM energy per 64-bit access, same figure: the data points of the
# CACTI-style capacity fit in archsim/cost/_components.py (Sram).
HOROWITZ_SRAM_64B_PJ: dict[str, Entry] = {
    "8192": Entry(10.0, "pJ per 64-bit access", f"{_H}: 8 KB cache/SRAM, 64-bit access"),
    "32768": Entry(20.0, "pJ per 64-bit access", f"{_H}: 32 KB cache/SRAM, 64-bit access"),
    "1048576": Entry(100.0, "pJ per 64-bit access", f"{_H}: 1 MB cache/SRAM, 64-bit access"),
}

# Significand bits (incl. hidden bit) and integer widths: the variable of the
# power-law derivations.  Format definitions, not measurements.
FORMAT_BITS: dict[str, Entry] = {  # from the one number-format table (archsim.core.vocab), with its sources
    n: Entry(f.mantissa_bits, "bits" if f.kind == "int" else "significand bits", f.source)
    for n, f in NUMBER_FORMATS.items()
}
# Accumulator of a MAC by multiplier format (the adder of MAC = mult + add).
ACCUMULATOR: dict[str, Entry] = {
    p: Entry("int32", "format", "convention: integer MACs accumulate in int32 (e.g. Jouppi et al., ISCA 2017, TPU v1 "
             "8-bit MACs with 32-bit accumulators)")
    for p, f in NUMBER_FORMATS.items() if f.kind == "int"
} | {
    p: Entry("fp32", "format", "convention: FP MACs accumulate in fp32 (NVIDIA tensor cores: fp16/bf16/fp8/tf32 "
             "inputs, fp32 accumulate; NVIDIA A100 whitepaper 2020, H100 whitepaper 2022)")
    for p, f in NUMBER_FORMATS.items() if f.kind == "float"
}

# ---------------------------------------------------------------------------
# Register file, PE-to-PE network: Eyeriss normalized access energies.
# Chen, Emer, Sze, "Eyeriss: a spatial architecture for energy-efficient dataflow
# for CNNs", ISCA 2016, Table IV / Fig. 1 (65 nm, 16-bit): ALU (MAC) 1x, RF
# (0.5 kB) 1x, PE array NoC 2x, global buffer 6x, DRAM 200x.
# We anchor 1x to the 16-bit integer MAC derived from Horowitz at 45 nm.
# ---------------------------------------------------------------------------
_E = "Chen, Emer & Sze, Eyeriss, ISCA 2016, Table IV (normalized energy, 16-bit)"
EYERISS_RELATIVE: dict[str, Entry] = {
    "rf_access_16b": Entry(1.0, "x 16-bit MAC", f"{_E}: RF (0.5 kB) access = 1x MAC"),
    "rf_bytes": Entry(512, "bytes", f"{_E}: the RF of that row holds 0.5 kB (256 x 16-bit entries)"),
    "noc_hop_16b": Entry(2.0, "x 16-bit MAC", f"{_E}: inter-PE (array NoC) transfer = 2x MAC"),
}

# ---------------------------------------------------------------------------
# Technology scaling.  Stillmaker & Baas, "Scaling equations for the accurate
# prediction of CMOS device performance from 180 nm to 7 nm", Integration, the
# VLSI Journal 58 (2017) 74-81.  Area: the paper's area scaling-factor table,
# row "from 45 nm".  Energy: the per-node quadratic fits E(V) = a V^2 + b V + c.
# Values as transcribed in Accelergy's hwcomponents (techscaling), which we read;
# we did not re-read them in the paper itself (see docs/cost.md).
# ---------------------------------------------------------------------------
_S = "Stillmaker & Baas, Integration 58 (2017)"
_SH = "; transcription in Accelergy hwcomponents techscaling"
STILLMAKER_AREA_FROM_45: dict[float, Entry] = {
    n: Entry(v, "x area at 45 nm", f"{_S}, area scaling table, row 45 nm, column {n:g} nm{_SH}", True)
    for n, v in ((130, 6.4), (90, 2.8), (65, 1.5), (45, 1.0), (32, 0.46), (20, 0.21), (16, 0.19), (14, 0.17),
                 (10, 0.1), (7, 0.059))
}
STILLMAKER_ENERGY_FIT: dict[float, tuple[Entry, Entry, Entry]] = {
    n: tuple(Entry(c, "energy factor coefficient", f"{_S}, energy fit a*V^2+b*V+c, {n:g} nm, coefficient {k}{_SH}",
                   True) for k, c in zip("abc", coeffs, strict=True))  # type: ignore[misc]
    for n, coeffs in (
        (130, (7.171, -6.709, 2.904)),
        (90, (4.762, -4.781, 2.092)),
        (65, (3.755, -4.398, 1.975)),
        (45, (1.103, -0.362, 0.2767)),
        (32, (0.9559, -0.7823, 0.471)),
        (20, (0.373, -0.1582, 0.04104)),
        (16, (0.2958, -0.1241, 0.03024)),
        (14, (0.2363, -0.09675, 0.02239)),
        (10, (0.2068, -0.09311, 0.02375)),
        (7, (0.1776, -0.09097, 0.02447)),
    )
}
SCALING_RULES: dict[str, Entry] = {
    "vdd": Entry(0.8, "V", "supply at which the Stillmaker energy fits are compared across nodes (hwcomponents "
                 "default); one voltage for all nodes keeps the factor a pure technology ratio", True),
    "below_7nm_area": Entry(1.0, "exponent", "below 7 nm: area scales linearly with node (hwcomponents rule, "
                            "after IRDS 2016/2017 predicted SoC area)", True),
    "below_7nm_energy": Entry(0.5, "exponent", "below 7 nm: energy scales with sqrt(node) (hwcomponents rule, "
                              "after IRDS 2016/2017 predicted fJ/switch)", True),
}

# ---------------------------------------------------------------------------
# SRAM density.  6T high-density bit-cell areas by node and the density of a
# real accelerator's SRAM at 28 nm (bit cells plus periphery), scaled by the
# bit-cell ratio to other nodes.
# ---------------------------------------------------------------------------
SRAM_BITCELL_UM2: dict[float, Entry] = {
    45: Entry(0.346, "um^2", "Mistry et al., IEDM 2007, Intel 45 nm HK/MG: 0.346 um^2 6T cell"),
    32: Entry(0.171, "um^2", "Natarajan et al., IEDM 2008, Intel 32 nm: 0.171 um^2 6T cell"),
    28: Entry(0.127, "um^2", "TSMC 28 nm HP/HPM high-density 6T cell, 0.127 um^2 (WikiChip, 28 nm lithography)"),
    22: Entry(0.092, "um^2", "Intel 22 nm HD 6T cell 0.092 um^2 (WikiChip table in fuse.wikichip.org/news/3398)",
              True),
    16: Entry(0.074, "um^2", "16 nm FinFET HD 6T cell 0.074 um^2 (WikiChip table, fuse.wikichip.org/news/3398)", True),
    14: Entry(0.064, "um^2", "14 nm FinFET HD 6T cell 0.064 um^2 (WikiChip table, fuse.wikichip.org/news/3398)", True),
    10: Entry(0.042, "um^2", "10 nm HD 6T cell 0.042 um^2 (WikiChip table, fuse.wikichip.org/news/3398)", True),
    7: Entry(0.027, "um^2", "TSMC N7 HD 6T cell 0.027 um^2 (WikiChip table, fuse.wikichip.org/news/3398)", True),
    5: Entry(0.021, "um^2", "TSMC N5 HD 6T cell 0.021 um^2 (WikiChip, 'TSMC details 5 nm', news/3398)", True),
}
SRAM_DENSITY: dict[str, Entry] = {
    "mm2_per_mib_28nm": Entry(
        0.29 * 331.0 / 24.0, "mm^2 per MiB at 28 nm",
        "Jouppi et al., ISCA 2017 (TPU v1, 28 nm): 24 MiB Unified Buffer = 29 % of the floor plan (Fig. 2) of a "
        "<= 331 mm^2 die (Table 2): 0.29 * 331 / 24 mm^2/MiB, periphery included"),
}

# ---------------------------------------------------------------------------
# Leakage.  Default: the idle power density of a real 28 nm accelerator, TPU v1
# (Jouppi et al., ISCA 2017, Table 2: idle 28 W per die; die <= 331 mm^2).  Idle
# power includes clock and I/O, not only leakage, and the die bound makes the
# density approximate: an estimate of static power for a busy-idle accelerator.
# For comparison: McPAT's 45 nm in-order core (via Lumos, Wang & Skadron, IEEE
# Micro 2013, Tech.py: static 1.058 W over 7.65 mm^2, HP devices) is 0.138 W/mm^2.
# Other nodes: times (energy factor / area factor) relative to the reference
# node (hwcomponents scales leakage power like energy).
# ---------------------------------------------------------------------------
LEAKAGE: dict[str, Entry] = {
    "w_per_mm2_28nm": Entry(28.0 / 331.0, "W/mm^2 at 28 nm",
                            "Jouppi et al., ISCA 2017 (TPU v1, 28 nm), Table 2: idle power 28 W per die, die "
                            "<= 331 mm^2"),
    "mcpat_w_per_mm2_45nm": Entry(1.058 / 7.65, "W/mm^2 at 45 nm",
                                  "McPAT via Lumos (Wang & Skadron, IEEE Micro 2013) Tech.py: in-order core at "
                                  "45 nm, static power 1.058 W, area 7.65 mm^2 (reference only)", True),
}

# ---------------------------------------------------------------------------
# DRAM.  IDD-current method of Micron TN-40-07 ("Calculating memory power for
# DDR4 SDRAM") applied to datasheet IDD values; pJ/bit per standard otherwise.
# ---------------------------------------------------------------------------
_M4 = "Micron MT40A1G8 (8Gb x8 DDR4-2400, -083E) datasheet IDD table, as transcribed in DRAMsim3 " \
      "configs/DDR4_8Gb_x8_2400.ini"
DDR4_8GB_X8_2400: dict[str, Entry] = {
    "vdd": Entry(1.2, "V", f"{_M4}: VDD", True),
    "idd0": Entry(48.0, "mA", f"{_M4}: IDD0 (one-bank ACT-PRE)", True),
    "idd2p": Entry(25.0, "mA", f"{_M4}: IDD2P (precharge power-down)", True),
    "idd2n": Entry(34.0, "mA", f"{_M4}: IDD2N (precharge standby)", True),
    "idd3p": Entry(37.0, "mA", f"{_M4}: IDD3P (active power-down)", True),
    "idd3n": Entry(43.0, "mA", f"{_M4}: IDD3N (active standby)", True),
    "idd4r": Entry(135.0, "mA", f"{_M4}: IDD4R (burst read)", True),
    "idd4w": Entry(123.0, "mA", f"{_M4}: IDD4W (burst write)", True),
    "idd5b": Entry(250.0, "mA", f"{_M4}: IDD5B (burst refresh)", True),
    "tck_ns": Entry(0.833, "ns", f"{_M4}: tCK (DDR4-2400)", True),
    "tras_ck": Entry(39, "tCK", f"{_M4}: tRAS", True),
    "trp_ck": Entry(16, "tCK", f"{_M4}: tRP", True),
    "trfc_ck": Entry(420, "tCK", f"{_M4}: tRFC (350 ns, 8 Gb)", True),
    "trefi_ck": Entry(9364, "tCK", f"{_M4}: tREFI (7.8 us)", True),
    "bl": Entry(8, "beats", f"{_M4}: burst length BL8", True),
    "device_width": Entry(8, "bits", f"{_M4}: x8 device", True),
    "page_bytes": Entry(1024, "bytes per device row", f"{_M4}: 1024 columns x 8 bits", True),
    "vddq": Entry(1.2, "V", "JEDEC JESD79-4 DDR4: VDDQ = 1.2 V"),
    "ron_ohm": Entry(34.0, "ohm", "JEDEC JESD79-4 DDR4: output driver RZQ/7 = 34 ohm"),
    "rtt_ohm": Entry(48.0, "ohm", "JEDEC JESD79-4 DDR4: ODT RTT RZQ/5 = 48 ohm (POD12 termination to VDDQ)"),
    "data_rate_mts": Entry(2400.0, "MT/s", f"{_M4}: DDR4-2400"),
}
_M3 = "DDR3L 8Gb x8 DDR3-1600 IDD values as transcribed in DRAMsim3 configs/DDR3_8Gb_x8_1600.ini (Micron datasheet)"
DDR3_8GB_X8_1600: dict[str, Entry] = {
    "vdd": Entry(1.35, "V", f"{_M3}: VDD", True),
    "idd0": Entry(67.0, "mA", f"{_M3}: IDD0", True),
    "idd2p": Entry(11.0, "mA", f"{_M3}: IDD2P", True),
    "idd2n": Entry(36.0, "mA", f"{_M3}: IDD2N", True),
    "idd3p": Entry(36.0, "mA", f"{_M3}: IDD3P", True),
    "idd3n": Entry(51.0, "mA", f"{_M3}: IDD3N", True),
    "idd4r": Entry(125.0, "mA", f"{_M3}: IDD4R", True),
    "idd4w": Entry(125.0, "mA", f"{_M3}: IDD4W", True),
    "idd5b": Entry(245.0, "mA", f"{_M3}: IDD5B", True),
    "tck_ns": Entry(1.25, "ns", f"{_M3}: tCK (DDR3-1600)", True),
    "tras_ck": Entry(28, "tCK", f"{_M3}: tRAS", True),
    "trp_ck": Entry(11, "tCK", f"{_M3}: tRP", True),
    "trfc_ck": Entry(280, "tCK", f"{_M3}: tRFC", True),
    "trefi_ck": Entry(6240, "tCK", f"{_M3}: tREFI", True),
    "bl": Entry(8, "beats", f"{_M3}: BL8", True),
    "device_width": Entry(8, "bits", f"{_M3}: x8 device", True),
    "page_bytes": Entry(2048, "bytes per device row", f"{_M3}: 2048 columns x 8 bits", True),
    "vddq": Entry(1.35, "V", "JEDEC JESD79-3-1 DDR3L: VDDQ = 1.35 V"),
    "ron_ohm": Entry(34.0, "ohm", "JEDEC JESD79-3 DDR3: output driver RZQ/7 = 34 ohm"),
    "rtt_ohm": Entry(60.0, "ohm", "JEDEC JESD79-3 DDR3: ODT RTT_Nom RZQ/4 = 60 ohm (SSTL, centre-tap to VDDQ/2)"),
    "data_rate_mts": Entry(1600.0, "MT/s", f"{_M3}: DDR3-1600"),
}

# IDD currents of further standards, as DRAMsim3 (umd-memsys/DRAMsim3 @2981759) ships them in its configs/*.ini
# [power] sections (mA, VDD in V), with the same file's [timing]/[dram_structure] values the device formulas need.
# Used for command-based energy (archsim.cost._dram); DRAMsim3 cites no datasheet part for these files.  A standard
# not listed here has no public IDD table that we found (ddr5, lpddr5, lpddr5x, gddr7, hbm2e, hbm3, hbm3e, hbm4:
# DRAMPower's ddr5/lpddr5 test memspecs carry its DDR4 test memspec's currents, Ramulator 2 carries no currents).
_D3 = "DRAMsim3 configs/{} (umd-memsys/DRAMsim3 @2981759)"


def _dramsim3_idd(ini: str, vdd, idd0, idd2p, idd2n, idd3p, idd3n, idd4r, idd4w, idd5ab, idd5pb, tck, tras, trp,
                  trfc, trefi, bl, burst_ck, width, columns, note: str = "") -> dict[str, Entry]:
    src = _D3.format(ini) + note
    e = {"vdd": (vdd, "V", "[power] VDD"), "idd0": (idd0, "mA", "[power] IDD0"),
         "idd2p": (idd2p, "mA", "[power] IDD2P"), "idd2n": (idd2n, "mA", "[power] IDD2N"),
         "idd3p": (idd3p, "mA", "[power] IDD3P"), "idd3n": (idd3n, "mA", "[power] IDD3N"),
         "idd4r": (idd4r, "mA", "[power] IDD4R"), "idd4w": (idd4w, "mA", "[power] IDD4W"),
         "idd5b": (idd5ab, "mA", "[power] IDD5AB"), "idd5pb": (idd5pb, "mA", "[power] IDD5PB (0: not given)"),
         "tck_ns": (tck, "ns", "[timing] tCK"), "tras_ck": (tras, "tCK", "[timing] tRAS"),
         "trp_ck": (trp, "tCK", "[timing] tRP"), "trfc_ck": (trfc, "tCK", "[timing] tRFC"),
         "trefi_ck": (trefi, "tCK", "[timing] tREFI"), "bl": (bl, "beats", "[dram_structure] BL"),
         "burst_ck": (burst_ck, "tCK", "burst_cycle as DRAMsim3's Config derives it from BL and the protocol"),
         "device_width": (width, "bits", "[dram_structure] device_width"),
         "page_bytes": (columns * width // 8, "bytes per device row", "[dram_structure] columns x device_width")}
    return {k: Entry(v, u, f"{src}: {what}") for k, (v, u, what) in e.items()}


DDR4_8GB_X8_3200 = _dramsim3_idd("DDR4_8Gb_x8_3200.ini", 1.2, 57, 25, 37, 43, 52, 168, 150, 250, 0, 0.63, 52, 22,
                                 560, 12480, 8, 4, 8, 1024)
LPDDR4_8GB_X16_2400 = _dramsim3_idd("LPDDR4_8Gb_x16_2400.ini", 1.2, 80, 25, 34, 41, 47, 243, 228, 280, 0, 0.83, 32,
                                    15, 392, 8660, 16, 8, 16, 1024)
GDDR5_8GB_X32 = _dramsim3_idd("GDDR5_8Gb_x32.ini", 1.5, 71, 45, 60, 50, 61, 248, 231, 286, 45, 0.667, 56, 24, 74,
                              3800, 8, 2, 32, 128)
GDDR6_8GB_X16 = _dramsim3_idd("GDDR6_8Gb_x16.ini", 1.35, 71, 45, 60, 50, 61, 248, 231, 286, 45, 0.66, 54, 24, 126,
                              11862, 16, 1, 16, 128,
                              " (its currents equal those of its GDDR5_8Gb_x32.ini; VDD 1.35 V is GDDR6's)")
HBM2_8GB_X128 = _dramsim3_idd("HBM2_8Gb_x128.ini", 1.2, 65, 28, 40, 40, 55, 390, 500, 250, 0, 1.0, 34, 14, 260,
                              3900, 4, 2, 128, 64)

# Energy per bit transferred (device + interface), by standard.
DRAM_PJ_PER_BIT: dict[str, Entry] = {
    "hbm2": Entry(3.9, "pJ/bit", "O'Connor et al., 'Fine-grained DRAM', MICRO 2017, Sec. 2: HBM2 ~3.9 pJ/bit"),
    "gddr5": Entry(14.0, "pJ/bit", "O'Connor et al., MICRO 2017, Sec. 2: GDDR5 ~14 pJ/bit"),
    "gddr6": Entry(7.5, "pJ/bit", "Micron GDDR6X product brief (2020): GDDR6 7.5 pJ/bit vs GDDR6X 7.25 pJ/bit"),
    "lpddr5": Entry(4.0, "pJ/bit", "LPDDR5 ~4 pJ/bit: commonly quoted vendor figure (Samsung/Synopsys LPDDR5 "
                    "briefs, 2019); not re-checked, treat as approximate"),
}
# HBM2 energy per bit split into its parts, for in-bank (PIM) access vs external
# transfer.  O'Connor et al., MICRO 2017, Sec. 2 / Fig. 2 (HBM2 energy breakdown
# into row activation, on-die data movement and I/O).  Split values as we recall
# them from the figure, not re-read: see docs/cost.md.
HBM2_SPLIT_PJ_PER_BIT: dict[str, Entry] = {
    "activation": Entry(1.1, "pJ/bit", "O'Connor et al., MICRO 2017, Fig. 2: HBM2 row activation share (approx.)"),
    "on_die_movement": Entry(2.0, "pJ/bit", "O'Connor et al., MICRO 2017, Fig. 2: HBM2 on-die data movement "
                             "(bank to TSV) share (approx.)"),
    "io": Entry(0.8, "pJ/bit", "O'Connor et al., MICRO 2017, Fig. 2: HBM2 I/O (TSV + interposer) share (approx.)"),
}

# Processing in memory.
PIM: dict[str, Entry] = {
    "col_bits": Entry(256, "bits per column access", "HBM2 pseudo-channel: 32 B (256-bit) access granularity, "
                      "JEDEC JESD235A; HBM-PIM reads 256 bits per bank per column command (Lee et al., ISCA 2021)"),
    "precision": Entry("fp16", "format", "HBM-PIM (Lee et al., ISCA 2021): 16 FP16 MAC lanes per PIM unit"),
    "logic_node_nm": Entry(45.0, "nm (logic-equivalent)", "assumption: logic built in a DRAM process (few metal "
                           "layers, slow transistors) costs like ~45 nm logic; HBM-PIM places its PIM units in the "
                           "DRAM die (Lee et al., ISCA 2021). Override per design."),
}

# FPGA vs ASIC gap.  Kuon & Rose, "Measuring the gap between FPGAs and ASICs",
# IEEE TCAD 26(2), 2007 (90 nm): dynamic power ~14x an ASIC for logic in soft
# fabric, ~7.1x when hard multipliers/memories (DSP, BRAM) are used.
FPGA_GAP: dict[str, Entry] = {
    "dynamic_hard_blocks": Entry(7.1, "x ASIC dynamic energy", "Kuon & Rose, IEEE TCAD 2007: FPGA/ASIC dynamic "
                                 "power ratio with hard multipliers and block memories"),
    "dynamic_soft_logic": Entry(14.0, "x ASIC dynamic energy", "Kuon & Rose, IEEE TCAD 2007: FPGA/ASIC dynamic "
                                "power ratio, soft logic only"),
}

# ---------------------------------------------------------------------------
# FPGA fabric power (UltraScale+, 16 nm FinFET), XPE structure (Xilinx UG440):
# device static power + per used resource a dynamic power per MHz at Vivado's
# vectorless default activity (12.5 % toggle for logic/DSP, UG440 "Using the
# Logic Sheet"), scaled linearly with the toggle rate.  1 uW/MHz = 1 pJ per
# resource per clock cycle.
#
# Data points: two public Vivado ``report_power`` summaries (Vivado's power model
# is the XPE model) that we read in stored copies of public GitHub files
# (verified=True means that number was re-read there; the derived per-resource
# figures are our arithmetic on it and say so):
#   [U280] Vivado 2020.2 report_power of an Alveo U280 build (part
#          xcu280-fsvh2892-2L-e; "FSA 16x16" systolic-array SoC with HBM, dut clock
#          70 MHz, routed, typical process, vectorless, junction 33.8 C): Device
#          Static 3.575 W; DSPs 0.061 W for 320 DSP48E2; BRAM 0.407 W for 81.5
#          RAMB36; hierarchy dutDomain/fsa/fsa 3.686 W for 351,236 LUT, 35,215 FF,
#          320 DSP, 8 BRAM36 at 70 MHz.  (Public repository document "U280
#          Pre-Optimization Baseline (FSA 16x16, HBM)", section "Power Baseline".)
#   [ZCU104] Vivado report_power of a ZCU104 (XCZU7EV) design in a public README
#          (image-encryption cryptosystem, github user arthurmlima): Device Static
#          0.694 W at junction 28.6 C, confidence Medium.
# No public per-URAM figure was found: URAM is derived from BRAM36 (see below).
# Static power depends strongly on junction temperature (the values are near
# 25-35 C; at 85-100 C it is several times higher: XPE/UG440).
# ---------------------------------------------------------------------------
_U280 = ("Vivado 2020.2 report_power, Alveo U280 xcu280-fsvh2892-2L-e build (public doc 'U280 Pre-Optimization "
         "Baseline (FSA 16x16, HBM)', Power Baseline table; Tj 33.8 C, vectorless defaults; repository not named "
         "by our code-search index, stored-copy id 70766704971)")
_ZCU = ("Vivado report_power of a ZCU104 / XCZU7EV design (public README of a cryptosystem project by "
        "arthurmlima, 'Results' table; Tj 28.6 C, confidence Medium; stored-copy id 2486717203)")
FPGA_POWER_DATA: dict[str, Entry] = {
    "u280_device_static_w": Entry(3.575, "W", f"{_U280}: Device Static (W)", True),
    "u280_dsp_w": Entry(0.061, "W", f"{_U280}: On-Chip Power Breakdown, DSPs", True),
    "u280_dsp_count": Entry(320, "DSP48E2", f"{_U280}: Utilization, DSP 320", True),
    "u280_dsp_mhz": Entry(70.0, "MHz", f"{_U280}: all 320 DSPs are in the FSA core, dut clock domain 70 MHz", True),
    "u280_bram_w": Entry(0.407, "W", f"{_U280}: On-Chip Power Breakdown, BRAM (81.5 BRAM)", True),
    "u280_bram_count": Entry(81.5, "RAMB36", f"{_U280}: Utilization, RAMB36 x 80 + RAMB18 x 3", True),
    "u280_bram_mhz": Entry(250.0, "MHz", "ASSUMPTION: the report does not give the BRAMs' clock; 73.5 of the 81.5 "
                           "sit in SLR0 with the PCIe/XDMA (250 MHz AXI) and HBM logic, so we take 250 MHz (the "
                           "70 MHz dut clock would make the per-cycle figure 3.6x larger)"),
    "u280_fsa_w": Entry(3.686, "W", f"{_U280}: hierarchy dutDomain/fsa/fsa power", True),
    "u280_fsa_lut": Entry(351236, "LUT", f"{_U280}: hierarchical utilization, fsa (AXI4FSA top) LUT", True),
    "u280_fsa_bram": Entry(8, "RAMB36", f"{_U280}: hierarchical utilization, fsa BRAM", True),
    "u280_fsa_mhz": Entry(70.0, "MHz", f"{_U280}: dut clock domain (clk_out1_harnessSysPLL) 70 MHz", True),
    "zcu104_device_static_w": Entry(0.694, "W", f"{_ZCU}: Device Static (W)", True),
}


def _fpga_uw_per_mhz() -> dict[str, Entry]:
    d = {k: float(e.value) for k, e in FPGA_POWER_DATA.items()}
    bram = d["u280_bram_w"] / d["u280_bram_count"] / d["u280_bram_mhz"] * 1e6
    dsp = d["u280_dsp_w"] / d["u280_dsp_count"] / d["u280_dsp_mhz"] * 1e6
    logic_w = d["u280_fsa_w"] - d["u280_dsp_w"] - d["u280_fsa_bram"] * bram * 1e-6 * d["u280_bram_mhz"]
    lut = logic_w / d["u280_fsa_lut"] / d["u280_fsa_mhz"] * 1e6
    return {
        "dsp": Entry(dsp, "uW/MHz per DSP48E2 at default activity",
                     "derived from FPGA_POWER_DATA [U280]: 0.061 W / 320 DSP / 70 MHz (these DSPs run without "
                     "A/B/M/P pipeline registers, which XPE says raises power: an upper-side figure)"),
        "bram36": Entry(bram, "uW/MHz per RAMB36 at default activity",
                        "derived from FPGA_POWER_DATA [U280]: 0.407 W / 81.5 RAMB36 / 250 MHz (clock assumed, "
                        "see u280_bram_mhz)"),
        "lut": Entry(lut, "uW/MHz per LUT at default activity (incl. its FFs, routing, clock share)",
                     "derived from FPGA_POWER_DATA [U280]: (fsa 3.686 W - its 320 DSP - its 8 BRAM36) / 351,236 "
                     "LUT / 70 MHz; the FSA core has 0.1 FF per LUT, so its FFs and signal/clock power are inside"),
        "ff": Entry(0.2 * lut, "uW/MHz per FF at default activity",
                    "ASSUMPTION: 0.2 x the per-LUT figure (no public per-FF figure found; the LUT figure already "
                    "holds the FFs of a 0.1 FF/LUT design, this adds FFs beyond that)"),
        "uram": Entry(bram * 8.0 ** 0.47, "uW/MHz per URAM288 at default activity",
                      "derived (no public per-URAM power figure found): BRAM36 figure x 8^0.47, i.e. 8x the "
                      "capacity (288 Kb vs 36 Kb, UG573) with the capacity exponent of our CACTI-style SRAM "
                      "energy fit through Horowitz ISSCC 2014 (archsim.cost._components.SRAM_FIT, ~0.47)"),
    }


#: Dynamic power per used resource at Vivado's vectorless default activity (UltraScale+, 16 nm).
FPGA_UW_PER_MHZ: dict[str, Entry] = _fpga_uw_per_mhz()

FPGA_DEFAULTS: dict[str, Entry] = {
    "toggle": Entry(0.125, "fraction", "Xilinx UG440 (XPE user guide), 'Using the Logic Sheet': default toggle rate "
                    "12.5 %; the per-resource figures above are at this default", True),
}

#: Device static power by part, W, at the junction temperatures of the reports (near room temperature).
FPGA_STATIC_W: dict[str, Entry] = {
    "xcu280": Entry(3.575, "W", f"{_U280}: Device Static", True),
    "xczu7ev": Entry(0.694, "W", f"{_ZCU}: Device Static", True),
    "xcu250": Entry(3.575 * 1728 / 1304, "W",
                    "ASSUMPTION (no public U250 report found): xcu280 Device Static 3.575 W scaled by LUT count "
                    "1,728K / 1,304K (DS962 / DS963); same 16 nm UltraScale+ fabric, HBM excluded"),
}

# Published precision comparison the derived MAC costs are checked against.
PUBLISHED_PRECISION: dict[str, Entry] = {
    "fp8_vs_int8_low": Entry(1.5, "x INT8 MAC cost", "van Baalen et al., 'FP8 versus INT8 for efficient deep "
                             "learning inference', arXiv:2303.17951 (2023): FP8 formats 50 % less efficient (low end)"),
    "fp8_vs_int8_high": Entry(2.8, "x INT8 MAC cost", "van Baalen et al., arXiv:2303.17951 (2023): FP8 formats "
                              "180 % less efficient (high end, wide FP accumulator)"),
}

# All tables, walked by tests/cost/test_tables.py.
ALL_TABLES: dict[str, dict] = {
    "HOROWITZ_ENERGY_PJ": HOROWITZ_ENERGY_PJ,
    "HOROWITZ_AREA_UM2": HOROWITZ_AREA_UM2,
    "HOROWITZ_SRAM_64B_PJ": HOROWITZ_SRAM_64B_PJ,
    "FORMAT_BITS": FORMAT_BITS,
    "ACCUMULATOR": ACCUMULATOR,
    "EYERISS_RELATIVE": EYERISS_RELATIVE,
    "STILLMAKER_AREA_FROM_45": STILLMAKER_AREA_FROM_45,
    "STILLMAKER_ENERGY_FIT": STILLMAKER_ENERGY_FIT,
    "SCALING_RULES": SCALING_RULES,
    "SRAM_BITCELL_UM2": SRAM_BITCELL_UM2,
    "SRAM_DENSITY": SRAM_DENSITY,
    "LEAKAGE": LEAKAGE,
    "DDR4_8GB_X8_2400": DDR4_8GB_X8_2400,
    "DDR3_8GB_X8_1600": DDR3_8GB_X8_1600,
    "DDR4_8GB_X8_3200": DDR4_8GB_X8_3200,
    "LPDDR4_8GB_X16_2400": LPDDR4_8GB_X16_2400,
    "GDDR5_8GB_X32": GDDR5_8GB_X32,
    "GDDR6_8GB_X16": GDDR6_8GB_X16,
    "HBM2_8GB_X128": HBM2_8GB_X128,
    "DRAM_PJ_PER_BIT": DRAM_PJ_PER_BIT,
    "HBM2_SPLIT_PJ_PER_BIT": HBM2_SPLIT_PJ_PER_BIT,
    "PIM": PIM,
    "PUBLISHED_PRECISION": PUBLISHED_PRECISION,
    "FPGA_GAP": FPGA_GAP,
    "FPGA_POWER_DATA": FPGA_POWER_DATA,
    "FPGA_UW_PER_MHZ": FPGA_UW_PER_MHZ,
    "FPGA_DEFAULTS": FPGA_DEFAULTS,
    "FPGA_STATIC_W": FPGA_STATIC_W,
}
