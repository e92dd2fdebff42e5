"""Fuzz suite summary: after the run, a table of inputs tried and outcomes per test (from the test module's
``FUZZ_TALLY``); with ``ARCHSIM_FUZZ_REPORT=path.json`` the same figures are written as JSON."""

from __future__ import annotations

import collections
import json
import os
import sys

COLUMNS = ("inputs", "refused", "accepted", "checked", "uncaught", "hang", "impossible")


def fuzz_tally() -> dict[str, collections.Counter]:
    """Return the tally of the fuzz module that ran (empty when it did not)."""
    for module in list(sys.modules.values()):
        tally = getattr(module, "FUZZ_TALLY", None)
        if isinstance(tally, dict) and getattr(module, "__name__", "").endswith("test_fuzz"):
            return tally
    return {}


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    tally = fuzz_tally()
    if not tally:
        return
    total = collections.Counter()
    rows = []
    for name in sorted(tally):
        c = tally[name]
        total.update(c)
        rows.append([name] + [c.get(k, 0) for k in COLUMNS])
    rows.append(["total"] + [total.get(k, 0) for k in COLUMNS])
    width = max(len(r[0]) for r in rows)
    tr = terminalreporter
    tr.write_sep("-", "fuzz summary (inputs tried and outcomes)")
    tr.write_line(f"{'test':<{width}} " + " ".join(f"{k:>10}" for k in COLUMNS))
    for r in rows:
        tr.write_line(f"{r[0]:<{width}} " + " ".join(f"{v:>10}" for v in r[1:]))
    path = os.environ.get("ARCHSIM_FUZZ_REPORT")
    if path:
        with open(path, "w") as fh:
            json.dump({"tests": {r[0]: dict(zip(COLUMNS, r[1:], strict=True)) for r in rows[:-1]},
                       "total": dict(zip(COLUMNS, rows[-1][1:], strict=True)), "exit_status": int(exitstatus),
                       "examples_scale": float(os.environ.get("ARCHSIM_FUZZ_EXAMPLES", "1"))}, fh, indent=1)
