"""The one timeline exporter: a Result's per-op schedule as Chrome trace-event JSON (Perfetto, chrome://tracing).

A schedule is a pandas DataFrame with one row per busy interval:

========  =====  ==========================================================
column    type   meaning
========  =====  ==========================================================
lane      str    the resource busy in the interval (``core0``, ``dram``, ``pim``, ``iteration`` ...)
name      str    what runs (an op name)
start_s   float  start time, seconds from the start of the run
dur_s     float  duration, seconds
cat       str    optional category (op kind, stage ...)
========  =====  ==========================================================

:func:`write_perfetto` writes it in the Trace Event Format (Google, "Trace Event Format" document,
2016; the JSON Perfetto's UI and trace processor load): one ``"ph": "X"`` complete event per row with
``ts``/``dur`` in microseconds, integer ``pid``/``tid`` (one tid per lane, in order of first appearance)
and ``"ph": "M"`` metadata events naming the process and each thread.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import pandas as pd

from archsim.core.errors import ConfigError

#: Columns a schedule must have (``cat`` is optional).
SCHEDULE_COLUMNS = ("lane", "name", "start_s", "dur_s")
#: The process id of every event (one process: the simulated design).
PID = 1


def empty_schedule() -> pd.DataFrame:
    """Return a schedule with no rows and the schedule columns."""
    return pd.DataFrame({"lane": pd.Series(dtype=str), "name": pd.Series(dtype=str),
                         "start_s": pd.Series(dtype=float), "dur_s": pd.Series(dtype=float),
                         "cat": pd.Series(dtype=str)})


def check_schedule(schedule: Any) -> pd.DataFrame:
    """Return ``schedule`` if it is a valid schedule DataFrame, else raise ConfigError naming the problem."""
    if not isinstance(schedule, pd.DataFrame):
        raise ConfigError(f"schedule must be a pandas DataFrame, not {type(schedule).__name__}")
    missing = [c for c in SCHEDULE_COLUMNS if c not in schedule.columns]
    if missing:
        raise ConfigError(f"schedule is missing column(s) {', '.join(missing)}; needs {', '.join(SCHEDULE_COLUMNS)}")
    if len(schedule):
        for col in ("start_s", "dur_s"):
            v = pd.to_numeric(schedule[col], errors="coerce")
            if v.isna().any() or not v.map(math.isfinite).all() or (v < 0).any():
                raise ConfigError(f"schedule column {col} must hold finite non-negative seconds")
    return schedule


def trace_events(schedule: pd.DataFrame, process_name: str = "archsim") -> dict[str, Any]:
    """Return the Trace Event Format object (``{"traceEvents": [...], "displayTimeUnit": "ns"}``) of a schedule."""
    check_schedule(schedule)
    lanes: dict[str, int] = {}
    for lane in schedule["lane"].astype(str):
        lanes.setdefault(lane, len(lanes) + 1)
    events: list[dict[str, Any]] = [
        {"name": "process_name", "ph": "M", "pid": PID, "tid": 0, "args": {"name": str(process_name)}}]
    for lane, tid in lanes.items():
        events.append({"name": "thread_name", "ph": "M", "pid": PID, "tid": tid, "args": {"name": lane}})
        events.append({"name": "thread_sort_index", "ph": "M", "pid": PID, "tid": tid, "args": {"sort_index": tid}})
    cats = schedule["cat"].astype(str) if "cat" in schedule.columns else None
    for i, (lane, name, start, dur) in enumerate(zip(schedule["lane"].astype(str), schedule["name"].astype(str),
                                                     schedule["start_s"].astype(float),
                                                     schedule["dur_s"].astype(float))):
        ev = {"name": name, "ph": "X", "pid": PID, "tid": lanes[lane], "ts": start * 1e6, "dur": dur * 1e6}
        if cats is not None:
            ev["cat"] = cats.iloc[i]
        events.append(ev)
    return {"traceEvents": events, "displayTimeUnit": "ns"}


def write_perfetto(schedule: pd.DataFrame, path: str | Path, process_name: str = "archsim") -> dict[str, Any]:
    """Write ``schedule`` to ``path`` as Chrome trace-event JSON and return the written object.

    Raises ConfigError for a malformed schedule or a path whose directory does not exist.
    """
    out = trace_events(schedule, process_name)
    p = Path(path)
    if not p.parent.is_dir():
        raise ConfigError(f"timeline directory {str(p.parent)!r} does not exist")
    with open(p, "w") as fh:
        json.dump(out, fh)
    return out


def validate_trace_events(obj: Any) -> int:
    """Return the number of ``X`` events of a Trace Event Format object; raise ConfigError where it breaks the
    format's rules this exporter promises (a strict check of what Perfetto's JSON importer reads): a
    ``traceEvents`` list; every event has ``ph`` (str), ``name`` (str), integer ``pid`` and ``tid``;
    ``M`` events are ``process_name``/``thread_name``/``thread_sort_index`` with ``args``; ``X`` events have
    finite numeric ``ts`` and ``dur`` >= 0; every tid of an ``X`` event is named by a ``thread_name`` event."""
    if not isinstance(obj, dict) or not isinstance(obj.get("traceEvents"), list):
        raise ConfigError("trace must be an object with a traceEvents list")
    named: set[tuple[int, int]] = set()
    used: set[tuple[int, int]] = set()
    n = 0
    for ev in obj["traceEvents"]:
        if not isinstance(ev, dict):
            raise ConfigError(f"event must be an object, not {ev!r}")
        for key, typ in (("ph", str), ("name", str)):
            if not isinstance(ev.get(key), typ):
                raise ConfigError(f"event {ev!r}: {key} must be a string")
        for key in ("pid", "tid"):
            v = ev.get(key)
            if isinstance(v, bool) or not isinstance(v, int):
                raise ConfigError(f"event {ev!r}: {key} must be an integer")
        if ev["ph"] == "M":
            if ev["name"] not in ("process_name", "thread_name", "thread_sort_index", "process_sort_index"):
                raise ConfigError(f"metadata event has unknown name {ev['name']!r}")
            if not isinstance(ev.get("args"), dict):
                raise ConfigError(f"metadata event {ev!r} needs args")
            if ev["name"] == "thread_name":
                named.add((ev["pid"], ev["tid"]))
        elif ev["ph"] == "X":
            for key in ("ts", "dur"):
                v = ev.get(key)
                if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v):
                    raise ConfigError(f"event {ev!r}: {key} must be a finite number")
            if ev["dur"] < 0:
                raise ConfigError(f"event {ev!r}: dur must be >= 0")
            used.add((ev["pid"], ev["tid"]))
            n += 1
        else:
            raise ConfigError(f"event phase {ev['ph']!r} is not written by archsim (X, M)")
    if used - named:
        raise ConfigError(f"threads without a thread_name metadata event: {sorted(used - named)}")
    return n




def serial_schedule(names: Any, lanes: Any, dur_s: Any, cats: Any = None, start_s: float = 0.0) -> pd.DataFrame:
    """Return the schedule of ops that run one after another: row ``i`` starts when row ``i - 1`` ends.

    ``names``, ``lanes``, ``dur_s`` (seconds) and ``cats`` are sequences of one value per op (``lanes`` may
    be a single string for all).
    """
    dur = pd.Series(dur_s, dtype=float).reset_index(drop=True)
    n = len(dur)
    lane = pd.Series([lanes] * n if isinstance(lanes, str) else list(lanes), dtype=str)
    df = pd.DataFrame({"lane": lane, "name": pd.Series(list(names), dtype=str),
                       "start_s": start_s + dur.cumsum() - dur, "dur_s": dur})
    if cats is not None:
        df["cat"] = pd.Series(list(cats), dtype=str)
    return df


__all__ = ["SCHEDULE_COLUMNS", "check_schedule", "empty_schedule", "serial_schedule", "trace_events",
           "validate_trace_events", "write_perfetto"]
