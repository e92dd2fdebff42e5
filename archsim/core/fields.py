"""Field checks shared by every frozen design/spec dataclass (``from_dict``, ``replace``)."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any, TypeVar

from archsim.core.errors import ConfigError

T = TypeVar("T")


def check_field_names(cls: type, data: Mapping[str, Any], what: str = "design", ignore: tuple[str, ...] = ()) -> None:
    """Raise ConfigError naming the first key of ``data`` that is not a field of dataclass ``cls``."""
    if not isinstance(data, Mapping):
        raise ConfigError(f"{what} must be a mapping of field names, not {type(data).__name__}")
    names = [f.name for f in dataclasses.fields(cls)]
    extra = [k for k in data if k not in names and k not in ignore]
    if extra:
        raise ConfigError(f"unknown {what} field {extra[0]!r}; allowed: {', '.join(sorted(names))}")


def replace_checked(obj: T, overrides: Mapping[str, Any], what: str = "design") -> T:
    """Return a copy of dataclass ``obj`` with ``overrides`` applied and validated again.

    Unknown field names raise ConfigError listing the allowed ones (plain
    ``dataclasses.replace`` would raise a bare TypeError).
    """
    check_field_names(type(obj), overrides, what)
    return dataclasses.replace(obj, **overrides)


# ---------------------------------------------------------------------------
# value checks: one validation path for design fields, op fields, trace cells, YAML and CLI values
# ---------------------------------------------------------------------------
#: Longest repr shown in an error message (values are truncated with "...").
REPR_LIMIT = 80
#: Longest string accepted as a name or file path (a 5,000-character "file name" is refused up front).
MAX_STR_LEN = 4096
#: Deepest nesting accepted in a YAML/JSON document (deeper ones hit Python's recursion limit downstream).
MAX_YAML_DEPTH = 32
#: Largest integer a size field may hold unless the field documents a tighter bound: 2^53, the largest
#: integer a float64 (pandas, numpy cost arithmetic) still represents exactly; values >= 2^63 overflow int64.
MAX_INT = 2**53


def short_repr(value: Any, limit: int = REPR_LIMIT) -> str:
    """Return ``repr(value)`` cut to ``limit`` characters (never raises, even on deeply nested values)."""
    try:
        text = repr(value)
    except RecursionError:
        text = f"<deeply nested {type(value).__name__}>"
    except Exception:  # a hostile __repr__
        text = f"<{type(value).__name__}>"
    if len(text) > limit:
        text = text[: max(limit - 3, 1)] + "..."
    return text


def _is_int(value: Any) -> bool:
    import numbers

    return isinstance(value, numbers.Integral) and not isinstance(value, bool) and type(value).__name__ != "bool_"


def positive_int(field: str, value: Any, *, maximum: int = MAX_INT, minimum: int = 1, why: str = "") -> int:
    """Return ``value`` as a Python int if it is an integer (numpy integers included) in
    ``[minimum, maximum]``, else raise ConfigError naming ``field``, the (truncated) value and the range.

    ``why`` documents the upper bound in the message (e.g. "memory grows with rows x cols")."""
    if not _is_int(value):
        what = "a positive integer" if minimum == 1 else f"an integer >= {minimum}"
        raise ConfigError(f"{field} must be {what}, not {short_repr(value)}")
    v = int(value)
    if v < minimum:
        what = "a positive integer" if minimum == 1 else f"an integer >= {minimum}"
        raise ConfigError(f"{field} must be {what}, not {short_repr(value)}")
    if v > maximum:
        because = f" ({why})" if why else ""
        raise ConfigError(f"{field} must be at most {maximum:,}{because}, not {short_repr(value)}")
    return v


def nonneg_int(field: str, value: Any, *, maximum: int = MAX_INT, why: str = "") -> int:
    """Return ``value`` as int if it is an integer >= 0 and <= ``maximum`` (see :func:`positive_int`)."""
    return positive_int(field, value, maximum=maximum, minimum=0, why=why)


def positive_float(field: str, value: Any, *, minimum: float = 0.0, maximum: float = 1e30, why: str = "") -> float:
    """Return ``value`` as float if it is a finite real number > ``minimum`` and <= ``maximum``
    (numpy floats and ints accepted; bools, strings, NaN and infinities refused)."""
    import math
    import numbers

    if isinstance(value, bool) or type(value).__name__ == "bool_" or not isinstance(value, numbers.Real):
        raise ConfigError(f"{field} must be a finite number > {minimum:g}, not {short_repr(value)}")
    try:
        v = float(value)
    except (OverflowError, ValueError):
        raise ConfigError(f"{field} must be a finite number > {minimum:g}, not {short_repr(value)}") from None
    if not math.isfinite(v) or not v > minimum:
        raise ConfigError(f"{field} must be a finite number > {minimum:g}, not {short_repr(value)}")
    if v > maximum:
        because = f" ({why})" if why else ""
        raise ConfigError(f"{field} must be at most {maximum:g}{because}, not {short_repr(value)}")
    return v


def bounded_str(field: str, value: Any, *, maximum: int = MAX_STR_LEN, allow_empty: bool = False) -> str:
    """Return ``value`` if it is a string of at most ``maximum`` characters (non-empty unless allowed)."""
    if not isinstance(value, str) or (not value and not allow_empty):
        raise ConfigError(f"{field} must be a non-empty string, not {short_repr(value)}")
    if len(value) > maximum:
        raise ConfigError(f"{field} must be at most {maximum} characters, not a {len(value)}-character string "
                          f"{short_repr(value, 40)}")
    return value


def strict_bool(field: str, value: Any) -> bool:
    """Return ``value`` if it is exactly True or False (numpy bools accepted; "yes", 1 refused)."""
    if isinstance(value, bool):
        return value
    if type(value).__name__ == "bool_":
        return bool(value)
    raise ConfigError(f"{field} must be True or False, not {short_repr(value)}")


def nesting_depth(obj: Any, limit: int = MAX_YAML_DEPTH) -> int:
    """Return the nesting depth of dicts/lists in ``obj``, stopping (iteratively) once it exceeds ``limit``."""
    deepest = 0
    stack: list[tuple[Any, int]] = [(obj, 0)]
    seen: set[int] = set()
    while stack:
        item, depth = stack.pop()
        if depth > deepest:
            deepest = depth
            if deepest > limit:
                return deepest
        if isinstance(item, (dict, list, tuple)):
            if id(item) in seen:  # YAML anchors may alias (even cyclically); count each container once
                continue
            seen.add(id(item))
            children = item.values() if isinstance(item, dict) else item
            if isinstance(item, dict):
                stack.extend((k, depth + 1) for k in item.keys() if isinstance(k, tuple))
            stack.extend((c, depth + 1) for c in children)
    return deepest


def _bracket_depth(text: str) -> int:
    """Return the deepest flow-collection nesting (``[``/``{``) of ``text``, quotes ignored (an upper bound)."""
    import re

    depth = deepest = 0
    for ch in re.sub(r"[^\[\]{}]", "", text):
        depth = depth + 1 if ch in "[{" else max(0, depth - 1)
        deepest = max(deepest, depth)
    return deepest


def load_yaml_text(text: str, source: str, *, max_depth: int = MAX_YAML_DEPTH) -> Any:
    """Return ``yaml.safe_load(text)``; ConfigError (one line, naming ``source``) for a parse error or a
    document nested deeper than ``max_depth`` (which would exhaust Python's recursion limit later)."""
    import yaml

    if _bracket_depth(text) > 4 * max_depth:  # refuse before PyYAML spends seconds composing it
        raise ConfigError(f"{source} is nested deeper than {max_depth} levels")
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise ConfigError(f"{source} is not valid YAML: {' '.join(str(exc).split())[:300]}") from None
    except RecursionError:
        raise ConfigError(f"{source} is nested deeper than {max_depth} levels") from None
    if nesting_depth(data, max_depth) > max_depth:
        raise ConfigError(f"{source} is nested deeper than {max_depth} levels")
    return data


def path_exists(path: Any, what: str, *, file: bool = False) -> bool:
    """Return whether ``path`` exists (``file=True``: is a regular file); ConfigError naming ``what`` for a
    path the system cannot even look up (longer than it allows, a NUL byte) instead of an OSError."""
    from pathlib import Path

    text = str(path)
    if len(text) > 4096 or "\x00" in text:
        raise ConfigError(f"{what} must be a file path, not {short_repr(text)}")
    try:
        return Path(text).is_file() if file else Path(text).exists()
    except OSError as exc:
        raise ConfigError(f"{what} {short_repr(text)} cannot be used ({exc.strerror or exc})") from None


def parse_option_value(text: str, source: str) -> Any:
    """Return a ``KEY=VALUE`` option's value parsed as YAML (``64`` -> 64, ``{kind: dram}`` -> a dict), the
    text itself where it is not valid YAML, and a ConfigError (naming ``source``) where it nests deeper
    than :data:`MAX_YAML_DEPTH` (a RecursionError traceback otherwise)."""
    if not text.strip():
        return text
    if _bracket_depth(text) > 4 * MAX_YAML_DEPTH:
        raise ConfigError(f"{source} is nested deeper than {MAX_YAML_DEPTH} levels")
    try:
        return load_yaml_text(text, source)
    except ConfigError as exc:
        if "is not valid YAML" in str(exc):
            return text
        raise


def plain_scalars(obj: Any, _depth: int = 0) -> Any:
    """Return ``obj`` with numpy scalars (``np.int64(64)``, ``np.float32``, ``np.bool_``) made Python
    scalars, inside dicts, lists and tuples too (so a sweep built on ``np.arange`` gives the same designs,
    hashes and YAML as plain ints).  Nesting deeper than :data:`MAX_YAML_DEPTH` is a ConfigError."""
    if _depth > MAX_YAML_DEPTH:
        raise ConfigError(f"value is nested deeper than {MAX_YAML_DEPTH} levels")
    if isinstance(obj, dict):
        return {plain_scalars(k, _depth + 1): plain_scalars(v, _depth + 1) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return type(obj)(plain_scalars(v, _depth + 1) for v in obj)
    if type(obj).__module__ == "numpy" and hasattr(obj, "item") and getattr(obj, "ndim", 1) == 0:
        return obj.item()
    return obj


def finite_json(obj: Any, **kwargs: Any) -> str:
    """Return ``json.dumps(obj)`` that is valid JSON: NaN and infinities become ``null`` (JSON has no NaN),
    numpy scalars become Python scalars; ``kwargs`` go to :func:`json.dumps` (e.g. ``sort_keys``)."""
    import json
    import math

    def clean(v: Any, depth: int = 0) -> Any:
        if depth > 64:
            return str(v)
        if isinstance(v, dict):
            return {str(k): clean(x, depth + 1) for k, x in v.items()}
        if isinstance(v, (list, tuple)):
            return [clean(x, depth + 1) for x in v]
        if type(v).__module__ == "numpy" and hasattr(v, "item") and getattr(v, "ndim", 1) == 0:
            v = v.item()
        if isinstance(v, float) and not math.isfinite(v):
            return None
        return v

    return json.dumps(clean(obj), allow_nan=False, **kwargs)
