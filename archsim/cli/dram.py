"""``archsim dram --spec NAME|FILE.yaml --trace FILE [--json]``: argument parsing and printing only.

The command's logic is :func:`archsim.memory.dram.run_dram_command`; the energy of the run's commands is
priced here (:func:`archsim.cost.dram_energy`): the CLI composes the DRAM model and the cost model, the DRAM
model itself never imports archsim.cost.
"""

from __future__ import annotations

import argparse
from typing import Any

from archsim.core.fields import finite_json

#: position in ``archsim --help``
HELP_ORDER = 30



def register(subparsers) -> None:
    """Add the ``dram`` sub-command."""
    p = subparsers.add_parser(
        "dram", help="simulate a DRAM request trace (DRAMsim3 '0xADDR READ cycle' or Ramulator '0xADDR R' lines)",
        description="Cycle-level DRAM simulation of a trace; prints bandwidth, latency, row-buffer hit rate, "
                    "command counts and energy.  Requests are offered at their trace cycle, at most one per cycle "
                    "in order; the trace stalls while the target queue is full; latency = return - acceptance.")
    p.add_argument("--spec", required=True, help="preset name (e.g. HBM2-2Gbps, DDR4-3200) or a YAML file")
    p.add_argument("--trace", required=True,
                   help="trace file: DRAMsim3 lines '0xADDR READ|WRITE CYCLE' (CYCLE in DRAM clock cycles, tCK of "
                   "--spec) or Ramulator lines '0xADDR R|W' (no cycle: offered as soon as possible); "
                   "printed cycles are tCK too")
    p.add_argument("--format", default="auto", choices=("auto", "dramsim3", "ramulator"),
                   help="trace format (auto: from the first line)")
    p.add_argument("--controller", default=None, help="YAML file of controller fields (queue_structure, ...)")
    p.add_argument("--json", action="store_true", help="print one JSON object on stdout")
    p.add_argument("--mapping", default=None, help="address field order, e.g. rorabgbachco")
    p.add_argument("--page-policy", default=None, choices=("open", "closed"))
    p.add_argument("--refresh", default=None, choices=("all_bank", "per_bank", "none"))
    p.add_argument("--scheduler", default=None, help="scheduler name (frfcfs, fcfs)")
    p.add_argument("--queue-structure", default=None, choices=("per_channel", "per_bank"))
    p.add_argument("--log-commands", default=None, metavar="FILE", help="write the command log to FILE")
    p.add_argument("--check", action="store_true", help="verify the command log with the timing checker")
    p.set_defaults(func=_handler)


def _handler(args: argparse.Namespace) -> int:
    from archsim.memory.dram import load_spec, run_dram_command

    stats = run_dram_command(args.spec, args.trace, fmt=args.format, controller=args.controller,
                             log_commands=args.log_commands, check=args.check, mapping=args.mapping,
                             page_policy=args.page_policy, refresh=args.refresh, scheduler=args.scheduler,
                             queue_structure=args.queue_structure)
    stats.update(energy_from_counts(load_spec(args.spec), stats))
    if args.json:
        print(finite_json(stats, sort_keys=True))
    else:
        width = max(len(k) for k in stats)
        for k, v in stats.items():
            print(f"{k:<{width}}  {v:.6g}" if isinstance(v, float) else f"{k:<{width}}  {v}")
    return 0


def energy_from_counts(spec, stats: dict[str, Any]) -> dict[str, Any]:
    """Return ``energy_j`` (and its parts) priced from the run's command counts; None where no IDD table exists."""
    from archsim.cost import dram_energy

    try:
        e = dram_energy(spec, stats, stats["seconds"])
    except KeyError as exc:
        return {"energy_j": None, "energy_note": str(exc.args[0])}
    return {"energy_j": e["total_j"], "energy_breakdown_j": e}
