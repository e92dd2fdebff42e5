"""``archsim validate``: the paper-reproduction table (validation/reproductions.py).

Prints one row per published headline: paper, metric, published, archsim, error, verdict (failing rows stay,
with their reason).  ``--json`` prints a list of objects with those keys (plus unit, tolerance, setup,
source, reason).  The suite lives in the source checkout's ``validation/`` folder.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import sys
from pathlib import Path

from archsim.core.errors import ConfigError


def _suite():
    path = Path(__file__).resolve().parents[2] / "validation" / "reproductions.py"
    if not path.is_file():
        raise ConfigError(f"the reproduction suite is not installed ({path} is missing): run from a source checkout")
    spec = importlib.util.spec_from_file_location("archsim_validation_reproductions", path)
    mod = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = mod
    spec.loader.exec_module(mod)
    return mod


def register(sub: argparse._SubParsersAction) -> None:
    """Add the ``validate`` sub-command."""
    p = sub.add_parser("validate", help="reproduce published headline numbers (paper-reproduction table)",
                       description=__doc__.splitlines()[0])
    p.add_argument("--only", default="", help="comma-separated reproduction keys (default: all)")
    p.add_argument("--list", action="store_true", help="list the reproduction keys and exit")
    p.add_argument("--json", action="store_true", help="print a JSON list of row objects on stdout")
    p.set_defaults(func=_handler)


def _fmt(v, unit: str = "") -> str:
    if v is None:
        return "-"
    return f"{v:.3g}{(' ' + unit) if unit else ''}"


def _handler(args: argparse.Namespace) -> int:
    mod = _suite()
    keys = [k for k in args.only.split(",") if k] or None
    known = [r.key for r in mod.REPRODUCTIONS]
    if keys:
        bad = [k for k in keys if k not in known]
        if bad:
            raise ConfigError(f"--only must name reproductions among {', '.join(known)}, not {', '.join(bad)}")
    if args.list:
        for r in mod.REPRODUCTIONS:
            print(f"{r.key:<16} {r.paper}: {r.metric}")
        return 0
    rows = mod.run_all(keys)
    if args.json:
        out = [{k: r[k] for k in ("key", "paper", "metric", "published", "archsim", "error", "verdict", "unit",
                                  "tolerance", "setup", "source", "reason")} for r in rows]
        print(json.dumps(out))
        return 0
    print(f"{'paper':<48} {'metric':<46} {'published':>11} {'archsim':>11} {'error':>8}  verdict")
    for r in rows:
        err = "-" if r["error"] is None else f"{r['error']:+.1%}"
        print(f"{r['paper'][:48]:<48} {r['metric'][:46]:<46} {_fmt(r['published'], r['unit']):>11} "
              f"{_fmt(r['archsim'], r['unit']):>11} {err:>8}  {r['verdict']}"
              + (f"  ({r['reason']})" if r["verdict"] != "pass" else ""))
    n = sum(r["verdict"] == "pass" for r in rows)
    print(f"\n{n} of {len(rows)} reproduced within tolerance")
    return 0
