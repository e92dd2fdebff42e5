"""The Result of running a trace on a design.

``Result.ops`` is a pandas DataFrame with one row per op; ``Result.summary`` a
dict of totals.  Units are in the names: ``*_cycles``, ``*_bytes``, ``*_pj``,
``*_mm2``, ``seconds``, ``energy_j``, ``power_w``.
"""

from __future__ import annotations

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
    """

    ops: pd.DataFrame
    summary: dict[str, Any] = field(default_factory=dict)

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
        from archsim.core.fields import finite_json

        return finite_json({k: _plain(v) for k, v in self.summary.items()}, sort_keys=True)

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


def _plain(value: Any) -> Any:
    if hasattr(value, "item"):
        return value.item()
    return value
