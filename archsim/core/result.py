"""The Result of running a trace on a design.

``Result.ops`` is a pandas DataFrame with one row per op; ``Result.summary`` a
dict of totals.  Units are in the names: ``*_cycles``, ``*_bytes``, ``*_pj``,
``*_mm2``, ``seconds``, ``energy_j``, ``power_w``.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

SUMMARY_KEYS = ("total_cycles", "seconds", "energy_j", "area_mm2")


@dataclass
class Result:
    """Per-op table and summary of one simulation.

    Attributes:
        ops: one row per op: ``name``, ``cycles``, stall cycles by cause
            (``stall_<cause>_cycles``), ``utilization``, ``macs``, bytes per
            memory level (``<level>_read_bytes`` ...), energy per component (``*_pj``).
        summary: ``total_cycles``, ``seconds``, ``energy_j``, ``power_w``,
            ``area_mm2``, ``throughput_tops`` and design-specific extras.
        schedule: the busy intervals of the run (columns ``lane``, ``name``, ``start_s``, ``dur_s``,
            optional ``cat``), written as a Perfetto timeline by :meth:`write_timeline`; None if the
            design gives none.
    """

    ops: pd.DataFrame
    summary: dict[str, Any] = field(default_factory=dict)
    #: per-op schedule (lane, name, start_s, dur_s[, cat]) for :func:`archsim.core.timeline.write_perfetto`
    schedule: pd.DataFrame | None = None

    @property
    def total_cycles(self) -> int:
        """Total cycles of the run (design clock)."""
        return int(self.summary["total_cycles"])

    @property
    def seconds(self) -> float:
        """Wall-clock time of the run on the simulated hardware, in seconds."""
        return float(self.summary["seconds"])

    def to_json(self) -> str:
        """Return the summary as one JSON object (numpy scalars converted)."""
        return json.dumps({k: _plain(v) for k, v in self.summary.items()}, sort_keys=True, allow_nan=False)

    def write(self, path: str) -> None:
        """Write the per-op table to ``path`` (``.csv`` or ``.parquet``)."""
        from archsim.core.errors import ConfigError

        if path.endswith(".csv"):
            self.ops.to_csv(path, index=False)
        elif path.endswith(".parquet"):
            from archsim.core.extras import require_parquet

            require_parquet()
            self.ops.to_parquet(path, index=False)
        else:
            raise ConfigError(f"output path must end in .csv or .parquet, not {path!r}")


    def write_timeline(self, path: str, process_name: str | None = None) -> dict[str, Any]:
        """Write :attr:`schedule` to ``path`` as Chrome trace-event JSON (Perfetto); return the object written."""
        from archsim.core.errors import ConfigError
        from archsim.core.timeline import write_perfetto

        if self.schedule is None:
            raise ConfigError("this result has no schedule to write as a timeline")
        return write_perfetto(self.schedule, path, process_name or str(self.summary.get("design", "archsim")))


def build_result(ops: pd.DataFrame, *, design: str, total_cycles: int, seconds: float, exact: bool,
                 schedule: pd.DataFrame | None = None, **extra: Any) -> Result:
    """Return the Result of a design's run: the one place the summary's shared keys are set.

    ``total_cycles`` (int, the design's own clock), ``seconds`` (float) and ``exact`` are checked;
    ``energy_j``, ``power_w`` and ``area_mm2`` start as None (unknown until :mod:`archsim.cost` prices the
    run: ``archsim.simulate``).  ``extra`` holds the family's own keys.  ``schedule`` is the per-op
    timeline (see :mod:`archsim.core.timeline`).
    """
    from archsim.core.errors import SimulationError

    if isinstance(total_cycles, bool) or not float(total_cycles).is_integer() or total_cycles < 0:
        raise SimulationError(f"total_cycles must be a non-negative integer, not {total_cycles!r}")
    seconds = float(seconds)
    if not seconds >= 0 or seconds == float("inf"):
        raise SimulationError(f"seconds must be a finite non-negative number, not {seconds!r}")
    summary: dict[str, Any] = {"design": str(design), "total_cycles": int(total_cycles), "seconds": seconds,
                               "energy_j": None, "power_w": None, "area_mm2": None}
    summary.update(extra)
    summary["exact"] = bool(exact)
    if schedule is not None:
        from archsim.core.timeline import check_schedule

        check_schedule(schedule)
    return Result(ops=ops, summary=summary, schedule=schedule)


def _plain(value: Any) -> Any:
    """JSON-safe value: numpy scalars as Python numbers, NaN/inf as None (JSON has neither)."""
    if hasattr(value, "item"):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value
