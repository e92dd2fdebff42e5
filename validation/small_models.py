"""Whole-model decode steps of GPT-2 / OPT on the H100: measured (graph and eager) vs the h100 preset.

Data: ``validation/data/h100/small_models.csv`` (``validation/gpu/small_models.py``; never fitted).  A step is
every decoder layer plus the final norm at batch 1 (no LM head: archsim's traces stop at the final norm).
"""

from __future__ import annotations

import csv
from pathlib import Path

from archsim.workloads import build_trace

DATA = Path(__file__).resolve().parent / "data" / "h100" / "small_models.csv"


def load(path: Path = DATA) -> list[dict]:
    """Return the measured rows: ``model, context, us_graph, us_eager`` (µs per decode step)."""
    with open(path) as f:
        return [{"model": r["model"], "context": int(r["context"]), "us_graph": float(r["us_graph"]),
                 "us_eager": float(r["us_eager"])} for r in csv.DictReader(f)]


def predict_us(design, row: dict, execution: str) -> float:
    """Modelled µs of one decode step of ``row``'s model on ``design`` run with ``execution``."""
    tr = build_trace(row["model"], phase="decode", batch=1, context=row["context"])
    return design.replace(execution=execution).run(tr).seconds * 1e6


def table(design) -> list[dict]:
    """Measured vs predicted per row and execution mode (``error`` = predicted / measured - 1)."""
    out = []
    for r in load():
        for mode in ("graph", "eager"):
            p = predict_us(design, r, mode)
            m = r[f"us_{mode}"]
            out.append({"model": r["model"], "context": r["context"], "execution": mode, "measured_us": m,
                        "predicted_us": p, "error": p / m - 1})
    return out
