"""The result store: one row per finished sweep point, keyed by a configuration hash.

The store is a SQLite database in WAL mode.  Each finished point is written in
its own transaction the moment it finishes (``INSERT OR IGNORE`` on the key),
so a process killed at any instant leaves either the whole row or nothing, and
re-running the sweep finds every finished point again.  With WAL and
``synchronous=NORMAL`` a committed row survives the death of the process (a
power cut may lose the last few commits but never corrupts the file).

Only the sweeping process writes; workers return rows to it.  Several sweeps
may share one store file (rows of other configurations are simply not read).
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
import time
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from archsim.core.errors import ConfigError

_SCHEMA = """
CREATE TABLE IF NOT EXISTS points (
    key TEXT PRIMARY KEY,
    row TEXT NOT NULL,
    config TEXT NOT NULL,
    finished_at REAL NOT NULL
)
"""


def canonical_json(obj: Any) -> str:
    """Return ``obj`` as canonical JSON (sorted keys, no spaces); numpy scalars and tuples made plain."""
    return json.dumps(_plain(obj), sort_keys=True, separators=(",", ":"), allow_nan=True)


def config_hash(config: Any) -> str:
    """Return the SHA-256 hex digest of the canonical JSON of ``config`` (stable across runs and machines)."""
    return hashlib.sha256(canonical_json(config).encode()).hexdigest()


def _plain(obj: Any) -> Any:
    """Return ``obj`` with numpy scalars, tuples, sets and paths turned into JSON types."""
    if isinstance(obj, dict):
        return {str(k): _plain(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_plain(v) for v in obj]
    if isinstance(obj, (set, frozenset)):
        return sorted((_plain(v) for v in obj), key=repr)
    if obj is None or isinstance(obj, (bool, int, str)):
        return obj
    if isinstance(obj, float):
        return obj
    if hasattr(obj, "item") and callable(obj.item):  # numpy scalar
        return _plain(obj.item())
    if isinstance(obj, Path):
        return str(obj)
    return repr(obj)


class ResultStore:
    """A SQLite (WAL) file mapping configuration hash -> finished row.

    Args:
        path: database file; created (with its parent directory) if missing.

    A store that cannot be read (not SQLite, truncated, wrong schema, a row that is not a JSON object,
    unreadable file) raises a one-line :class:`ConfigError` naming the store and what to do.
    """

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        try:
            if self.path.is_dir():
                raise ConfigError(f"store {str(self.path)!r} is a directory; pass a file path (--store FILE.sqlite)")
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._db = sqlite3.connect(str(self.path), timeout=60.0, isolation_level=None)
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=NORMAL")
            self._db.execute(_SCHEMA)
            cols = [r[1] for r in self._db.execute("PRAGMA table_info(points)")]
            if cols[:4] != ["key", "row", "config", "finished_at"]:
                raise sqlite3.DatabaseError(f"table 'points' has columns {cols}, not key, row, config, finished_at")
        except (sqlite3.Error, OSError) as exc:
            raise self._corrupt(exc) from None

    def _corrupt(self, exc: BaseException) -> ConfigError:
        what = " ".join(str(exc).split())[:200] or type(exc).__name__
        return ConfigError(
            f"store {str(self.path)!r} cannot be used ({what}); delete it (its points are recomputed) "
            f"or pass another --store"
        )

    def get_many(self, keys: Iterable[str]) -> dict[str, dict[str, Any]]:
        """Return the stored rows of ``keys`` that exist, as key -> row dict."""
        keys = list(keys)
        found: dict[str, dict[str, Any]] = {}
        try:
            for start in range(0, len(keys), 500):
                chunk = keys[start : start + 500]
                marks = ",".join("?" * len(chunk))
                for key, row in self._db.execute(f"SELECT key, row FROM points WHERE key IN ({marks})", chunk):
                    value = json.loads(row)
                    if not isinstance(value, dict):
                        raise ValueError(f"row {key[:12]} is a {type(value).__name__}, not a JSON object")
                    found[key] = value
        except (sqlite3.Error, ValueError, TypeError, RecursionError) as exc:
            raise self._corrupt(exc) from None
        return found

    def put(self, key: str, row: dict[str, Any], config: dict[str, Any]) -> None:
        """Store ``row`` under ``key`` (committed before returning; an existing key is kept)."""
        try:
            self._db.execute(
                "INSERT OR IGNORE INTO points (key, row, config, finished_at) VALUES (?, ?, ?, ?)",
                (key, dump_row(row), canonical_json(config), time.time()),
            )
        except sqlite3.Error as exc:
            raise self._corrupt(exc) from None

    def delete(self, keys: Iterable[str]) -> None:
        """Remove the rows of ``keys`` (e.g. to retry failed points)."""
        try:
            self._db.executemany("DELETE FROM points WHERE key = ?", [(k,) for k in keys])
        except sqlite3.Error as exc:
            raise self._corrupt(exc) from None

    def __len__(self) -> int:
        try:
            return int(self._db.execute("SELECT COUNT(*) FROM points").fetchone()[0])
        except sqlite3.Error as exc:
            raise self._corrupt(exc) from None

    def close(self) -> None:
        """Close the database."""
        self._db.close()

    def __enter__(self) -> ResultStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


#: Metric names (and name suffixes) that are counts, times, energies, powers, areas or bytes: a NaN,
#: infinite or negative value is impossible.  Ratios such as ``tops_per_mm2`` may be NaN (area 0).
_PHYSICAL = ("total_cycles", "seconds", "energy_j", "area_mm2", "power_w", "macs")
_PHYSICAL_SUFFIXES = ("_cycles", "_j", "_pj", "_bytes", "_s", "_w", "_mm2")


def impossible_metric(row: dict[str, Any], params: Iterable[str] = ()) -> str | None:
    """Return ``"name=value"`` of the first metric of ``row`` (a key not in ``params``) that no simulation
    can produce — a count, time, energy, power, area or byte total that is NaN, infinite or negative, or a
    ``utilization`` outside [0, 1] — or None when every metric is possible.  Rows recording an error are
    not checked."""
    if row.get("error") is not None:
        return None
    skip = set(params) | {"workload", "error", "key"}
    for name, value in row.items():
        if name in skip or isinstance(value, bool) or not isinstance(value, (int, float)):
            continue
        finite = value == value and value not in (float("inf"), float("-inf"))
        if name in _PHYSICAL or name.endswith(_PHYSICAL_SUFFIXES):
            if not finite or value < 0:
                return f"{name}={value!r}"
        elif name.endswith("utilization") and (not finite or not 0 <= value <= 1 + 1e-9):
            return f"{name}={value!r}"
    return None


def dump_row(row: dict[str, Any]) -> str:
    """Return ``row`` as JSON preserving key order (floats round-trip exactly, NaN allowed)."""
    return json.dumps(_plain(row), allow_nan=True)


def roundtrip_row(row: dict[str, Any]) -> dict[str, Any]:
    """Return ``row`` as it will read back from the store (so fresh and resumed rows are identical)."""
    return json.loads(dump_row(row))
