"""``archsim designs``: the registered design presets with their sources; ``--describe NAME``: one design's
parameters (field, value, unit, source)."""

from __future__ import annotations

import argparse
import json

#: position in ``archsim --help``
HELP_ORDER = 15


def register(sub: argparse._SubParsersAction) -> None:
    """Add the ``designs`` sub-command."""
    p = sub.add_parser("designs", help="design presets with their sources")
    p.add_argument("--describe", metavar="NAME|FILE.yaml",
                   help="print the parameters of one design (field, value, unit, source)")
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(func=_designs)


def _designs(args: argparse.Namespace) -> int:
    from archsim.arch.registry import list_designs, load_design

    if args.describe:
        table = load_design(args.describe).describe()
        if args.json:
            print(json.dumps(table.to_dict("records")))
        else:
            print(table.to_string(index=False))
        return 0
    rows = list_designs()
    if args.json:
        print(json.dumps(rows))
        return 0
    width = max(len(r["name"]) for r in rows)
    for r in rows:
        print(f"{r['name']:<{width}}  {r['family']:<9}  {r['source']}")
    return 0
