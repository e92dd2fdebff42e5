"""Typed errors raised by archsim.

Every error a user can cause is a :class:`ConfigError` whose message names the
field (or file/row/column), the bad value and what is allowed.  The CLI turns
it into a one-line message and exit status 2.
"""

from __future__ import annotations


class ArchsimError(Exception):
    """Base class of every error archsim raises on purpose."""


class ConfigError(ArchsimError, ValueError):
    """Bad input: a design parameter, a workload option or a malformed file."""


class SimulationError(ArchsimError, RuntimeError):
    """A model reached a state it cannot continue from (e.g. a deadlock)."""


#: Largest integer an integer field accepts (2^53: float64 arithmetic in pandas/numpy cost code is still
#: exact; 2^63 and above would overflow int64 columns).  Fields with a tighter bound document it.
MAX_INT = 2**53


def _short(value: object, limit: int = 80) -> str:
    try:
        text = repr(value)
    except Exception:  # RecursionError on deeply nested values, hostile __repr__
        text = f"<{type(value).__name__}>"
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _as_int(value: object) -> int | None:
    import numbers

    if isinstance(value, bool) or type(value).__name__ == "bool_" or not isinstance(value, numbers.Integral):
        return None
    return int(value)


def require_positive_int(field: str, value: object, maximum: int = MAX_INT) -> int:
    """Return ``value`` as a Python int if it is an integer (numpy integers included) in [1, ``maximum``],
    else raise ConfigError naming ``field``, the (truncated) value and what is allowed."""
    v = _as_int(value)
    if v is None or v <= 0:
        raise ConfigError(f"{field} must be a positive integer, not {_short(value)}")
    if v > maximum:
        raise ConfigError(f"{field} must be a positive integer <= {maximum:,}, not {_short(value)}")
    return v


def require_nonneg_int(field: str, value: object, maximum: int = MAX_INT) -> int:
    """Return ``value`` as int if it is an integer >= 0 and <= ``maximum``, else raise ConfigError."""
    v = _as_int(value)
    if v is None or v < 0:
        raise ConfigError(f"{field} must be a non-negative integer, not {_short(value)}")
    if v > maximum:
        raise ConfigError(f"{field} must be a non-negative integer <= {maximum:,}, not {_short(value)}")
    return v


#: Smallest value of a clock or bandwidth field (names ending in ``mhz``, ``gbps``, ``_hz``, ``per_s``,
#: ``per_cycle``): exact clock arithmetic approximates rates by fractions with denominators up to 10^6, so a
#: smaller rate would become 0 and divide by zero (1e-6 MHz = 1 Hz; 1e-6 GB/s = 1 kB/s: no hardware).
MIN_RATE = 1e-6
_RATE_SUFFIXES = ("mhz", "gbps", "_hz", "per_s", "per_cycle")
#: Largest number such a field accepts (1e30 of any unit is no hardware either; infinities are refused).
MAX_NUMBER = 1e30


def require_positive_number(field: str, value: object, minimum: float = 0.0) -> float:
    """Return ``value`` as float if it is a finite real number (numpy included) > 0, >= ``minimum`` and
    <= 1e30, else raise ConfigError.  Clock and bandwidth fields (see :data:`MIN_RATE`) must be >= 1e-6."""
    import math
    import numbers

    if field.endswith(_RATE_SUFFIXES):
        minimum = max(minimum, MIN_RATE)
    if isinstance(value, bool) or type(value).__name__ == "bool_" or not isinstance(value, numbers.Real):
        raise ConfigError(f"{field} must be a positive number, not {_short(value)}")
    try:
        v = float(value)
    except (OverflowError, ValueError):
        raise ConfigError(f"{field} must be a positive number, not {_short(value)}") from None
    if not math.isfinite(v) or not v > 0:
        raise ConfigError(f"{field} must be a positive number, not {_short(value)}")
    if not minimum <= v <= MAX_NUMBER:
        low = f"{minimum:g}" if minimum > 0 else "0"
        raise ConfigError(f"{field} must be a positive number in [{low}, {MAX_NUMBER:g}], not {_short(value)}")
    return v


def require_choice(field: str, value: object, allowed: tuple[str, ...] | list[str]) -> str:
    """Return ``value`` if it is one of ``allowed``, else raise ConfigError listing them."""
    try:
        ok = isinstance(value, str) and value in allowed
    except TypeError:  # unhashable values (a dict as a name)
        ok = False
    if not ok and not isinstance(value, str):
        try:
            ok = value in allowed  # non-string vocabularies (ints, enums)
        except TypeError:
            ok = False
    if not ok:
        raise ConfigError(f"{field} must be one of {', '.join(map(str, allowed))}, not {_short(value)}")
    return value  # type: ignore[return-value]
