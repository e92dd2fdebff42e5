"""``archsim dram --spec NAME|FILE.yaml --trace FILE [--json]``: run a DRAM trace and report."""

from __future__ import annotations

import argparse
import sys

from archsim.core.errors import ConfigError
from archsim.core.fields import finite_json


def register(subparsers) -> None:
    """Add the ``dram`` sub-command."""
    p = subparsers.add_parser("dram", help="simulate a DRAM request trace (lines: 0xADDR READ|WRITE cycle)",
                              description="Cycle-level DRAM simulation of a trace; prints bandwidth, latency, "
                                          "row-buffer hit rate and command counts.")
    p.add_argument("--spec", required=True, help="preset name (e.g. HBM2-2Gbps, DDR4-3200) or a YAML file")
    p.add_argument("--trace", required=True, help="trace file: one '0xADDR READ|WRITE cycle' per line")
    p.add_argument("--json", action="store_true", help="print one JSON object on stdout")
    p.add_argument("--mapping", default=None, help="address field order, e.g. rorabgbachco")
    p.add_argument("--page-policy", default=None, choices=("open", "closed"))
    p.add_argument("--refresh", default=None, choices=("all_bank", "per_bank", "none"))
    p.add_argument("--scheduler", default=None, help="scheduler name (frfcfs, fcfs)")
    p.set_defaults(func=_handler)


def _handler(args: argparse.Namespace) -> int:
    from archsim.memory.dram._config import ControllerConfig
    from archsim.memory.dram._spec import load_spec
    from archsim.memory.dram._system import read_trace, run_trace

    spec = load_spec(args.spec)
    fields = {k: v for k, v in (("mapping", args.mapping), ("page_policy", args.page_policy),
                                ("refresh", args.refresh), ("scheduler", args.scheduler)) if v is not None}
    if fields.get("refresh") == "per_bank" and spec.tREFIb == 0:
        raise ConfigError(f"refresh must be all_bank or none for {spec.name} (no per-bank refresh), not 'per_bank'")
    config = ControllerConfig(**fields)
    addrs, writes, cycles = read_trace(args.trace)
    print(f"archsim dram: {spec.name}, {addrs.size} requests from {args.trace}", file=sys.stderr)
    stats, _ = run_trace(spec, addrs, writes, cycles, config)
    stats.update(_energy(spec, stats))
    if args.json:
        print(finite_json(stats, sort_keys=True))
    else:
        width = max(len(k) for k in stats)
        for k, v in stats.items():
            print(f"{k:<{width}}  {v:.6g}" if isinstance(v, float) else f"{k:<{width}}  {v}")
    return 0


def _energy(spec, stats: dict) -> dict:
    """Return ``energy_j`` (dynamic commands + background over the run) priced by :mod:`archsim.cost`.

    The CLI is a composition point, so it may use the downstream cost model; the
    DRAM model itself never does.  Standards the cost tables lack give ``None``.
    """
    import pandas as pd

    from archsim.cost import price
    from archsim.cost._components import DRAM_STANDARDS

    standard = spec.standard.lower()
    if standard not in DRAM_STANDARDS or not stats["seconds"]:
        return {"energy_j": None, "energy_note": f"no energy table for {spec.standard}"}
    counts = {f"dram_{k}_count": stats[f"{k}_count"] for k in ("act", "pre", "rd", "wr", "ref")}
    ops = pd.DataFrame([{**counts, "dram_read_bytes": stats["reads"] * spec.access_bytes,
                         "dram_write_bytes": stats["writes"] * spec.access_bytes, "cycles": stats["total_cycles"]}])
    component = {"name": "dram", "kind": "dram", "standard": standard,
                 "interface_bytes_per_s": spec.peak_bandwidth_gbps * 1e9}
    _, summary = price(ops, [component], seconds=stats["seconds"])
    return {"energy_j": summary["energy_j"]}
