"""The Design contract every design family conforms to, and a base giving the parts shared by all.

A design is a frozen dataclass of parameters, validated at construction, that answers::

    design.run(trace, exact=False) -> Result    # trace: an Op, an iterable of Ops or a Trace
    design.components() -> list[dict]           # its parts, for archsim.cost
    design.to_dict() / Family.from_dict(d)      # YAML round trip, ``type`` names the family
    design.replace(**fields)                    # checked: unknown field / wrong type -> ConfigError
    design.describe() -> DataFrame              # field, value, unit, source
    design.peaks() -> {"flops_per_s": {precision: FLOP/s}, "dram_bytes_per_s": B/s}
    design.memory_capacity_bytes() -> int | None  # None: not modelled

:class:`DesignBase` implements ``to_dict``, ``from_dict``, ``replace``, ``describe`` and
``memory_capacity_bytes`` from the dataclass fields; a family sets ``design_type`` and writes ``run``,
``components`` and ``peaks``.  Units and sources of a field go in its metadata
(``field(default=..., metadata={"unit": "MHz", "source": "..."})``); without them the unit is read from the
name's suffix (``_mhz``, ``_bytes``, ``_gbps`` ...).  Families register with
:mod:`archsim.arch.registry`.  See docs/architecture.md.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any, ClassVar, Protocol, TypeVar, runtime_checkable

import numpy as np
import pandas as pd

from archsim.core.errors import ConfigError
from archsim.core.fields import short_repr
from archsim.core.result import Result

T = TypeVar("T", bound="DesignBase")

#: Unit of a field read from the suffix of its name (when its metadata gives none).
UNIT_SUFFIXES: tuple[tuple[str, str], ...] = (
    ("_mhz", "MHz"), ("_ghz", "GHz"), ("_gbps", "GB/s"), ("_ns", "ns"), ("_bytes", "bytes"), ("_bits", "bits"),
    ("_nm", "nm"), ("_cycles", "cycles"), ("_tck", "tCK"), ("_mm2", "mm^2"), ("_w", "W"), ("_pj", "pJ"),
    ("_s", "s"),
)
#: Names of the keys of :meth:`Design.peaks`.
PEAK_KEYS = ("flops_per_s", "dram_bytes_per_s")


@runtime_checkable
class Design(Protocol):
    """What every archsim design answers (families: systolic, npu, npu_pim, pim, fpga ...)."""

    def run(self, trace: Any, exact: bool = False) -> Result:
        """Return the Result of running ``trace`` (an Op, an iterable of Ops or a Trace)."""

    def components(self) -> list[dict]:
        """Return the design's parts as plain dicts for :mod:`archsim.cost`."""

    def to_dict(self) -> dict[str, Any]:
        """Return the design as a YAML-safe dict (``type`` plus every field)."""

    def replace(self, **fields: Any) -> Design:
        """Return a copy with ``fields`` changed (ConfigError for an unknown field or a bad value)."""

    def describe(self) -> pd.DataFrame:
        """Return the parameters as a table: field, value, unit, source."""

    def peaks(self) -> dict[str, Any]:
        """Return ``{"flops_per_s": {precision: FLOP/s}, "dram_bytes_per_s": bytes/s}``."""

    def memory_capacity_bytes(self) -> int | None:
        """Return the capacity of the design's main memory in bytes, or None where it is not modelled."""


def plain(value: Any) -> Any:
    """Return ``value`` as YAML-safe plain data (tuples -> lists, mappings -> dicts, designs -> dicts)."""
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, (str, int, float, bool)) or value is None:
        return value
    if isinstance(value, Mapping):
        return {plain(k): plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    if hasattr(value, "to_dict"):
        return plain(value.to_dict())
    raise ConfigError(f"value {value!r} of type {type(value).__name__} cannot be written to a design file")


_TYPE_CHECKS = {
    "int": (lambda v: isinstance(v, int) and not isinstance(v, bool), "an integer"),
    "float": (lambda v: isinstance(v, (int, float)) and not isinstance(v, bool), "a number"),
    "str": (lambda v: isinstance(v, str), "a string"),
    "bool": (lambda v: isinstance(v, bool), "true or false"),
}


def check_fields(cls: type, data: Mapping[str, Any], what: str = "design") -> None:
    """Raise ConfigError for a key of ``data`` that is not an init field of dataclass ``cls`` (listing the
    allowed ones) or a value whose type does not match a plain ``int``/``float``/``str``/``bool`` field."""
    if not isinstance(data, Mapping):
        raise ConfigError(f"{what} must be a mapping of field names, not {type(data).__name__}")
    fields = {f.name: f for f in dataclasses.fields(cls) if f.init and not f.name.startswith("_")}
    for key, value in data.items():
        f = fields.get(key)
        if f is None:
            raise ConfigError(f"unknown {what} field {key!r}; allowed: {', '.join(sorted(fields))}")
        ann = f.type if isinstance(f.type, str) else getattr(f.type, "__name__", "")
        check = _TYPE_CHECKS.get(ann)
        if check is not None and not check[0](value):
            raise ConfigError(f"{key} must be {check[1]}, not {short_repr(value)}")


class DesignBase:
    """Base of a frozen-dataclass design: ``to_dict``/``from_dict``/``replace``/``describe`` and
    ``memory_capacity_bytes`` (None) from the dataclass fields.

    A subclass sets ``design_type`` (its registry ``type`` name) and implements ``run``, ``components``
    and ``peaks``; it overrides ``memory_capacity_bytes`` where it knows the capacity.
    """

    design_type: ClassVar[str] = ""

    # -- construction / files ------------------------------------------------------------
    @classmethod
    def _init_fields(cls) -> list[dataclasses.Field]:
        return [f for f in dataclasses.fields(cls) if f.init and not f.name.startswith("_")]

    def to_dict(self) -> dict[str, Any]:
        """Return the design as a YAML-safe dict: ``type`` (the family) plus every field."""
        return {"type": self.design_type, **{f.name: plain(getattr(self, f.name)) for f in self._init_fields()}}

    @classmethod
    def from_dict(cls: type[T], data: Mapping[str, Any]) -> T:
        """Return a design from a dict with the field names (``type`` optional; ConfigError for bad input)."""
        if not isinstance(data, Mapping):
            raise ConfigError(f"design must be a mapping of field names, not {type(data).__name__}")
        data = dict(data)
        kind = data.pop("type", cls.design_type)
        if kind != cls.design_type:
            raise ConfigError(f"type must be {cls.design_type!r} for a {cls.__name__}, not {kind!r}")
        check_fields(cls, data)
        try:
            return cls(**data)
        except TypeError as exc:  # a value of the wrong shape reaching a check that compares it
            raise ConfigError(f"{cls.__name__}: {exc}") from None

    def replace(self: T, **fields: Any) -> T:
        """Return a copy with ``fields`` changed, validated again (unknown field or wrong type -> ConfigError)."""
        check_fields(type(self), fields)
        try:
            return dataclasses.replace(self, **fields)  # type: ignore[type-var]
        except TypeError as exc:
            raise ConfigError(f"{type(self).__name__}: {exc}") from None

    # -- description -----------------------------------------------------------------------
    def describe(self) -> pd.DataFrame:
        """Return the parameters as a table with columns field, value, unit, source.

        Unit and source come from the field's metadata; otherwise the unit is read from the name's suffix
        and the source is the design's ``source`` (a preset's citation; the preset's definition cites each
        number and marks assumptions), else ``class default`` or ``set by the user``.
        """
        fields = self._init_fields()
        own = (getattr(self, "source", "") or "") if any(f.name == "source" for f in fields) else ""
        rows = []
        for f in fields:
            value = getattr(self, f.name)
            unit = f.metadata.get("unit") or _unit_of(f.name)
            source = f.metadata.get("source")
            if source is None:
                default = f.default if f.default is not dataclasses.MISSING else (
                    f.default_factory() if f.default_factory is not dataclasses.MISSING else dataclasses.MISSING)
                source = own or ("class default" if _same(value, default) else "set by the user")
            shown = plain(value)
            rows.append({"field": f.name, "value": shown if isinstance(shown, (str, int, float, bool)) or shown is None
                         else repr(shown), "unit": unit, "source": source})
        return pd.DataFrame(rows, columns=["field", "value", "unit", "source"])

    def memory_capacity_bytes(self) -> int | None:
        """Return the main-memory capacity in bytes; None: this design does not model it."""
        return None


def _unit_of(name: str) -> str:
    for suffix, unit in UNIT_SUFFIXES:
        if name.endswith(suffix):
            return unit
    return ""


def _same(a: Any, b: Any) -> bool:
    try:
        return bool(a == b)
    except Exception:  # noqa: BLE001 - incomparable values are different
        return False


def check_peaks(peaks: Any) -> dict[str, Any]:
    """Return ``peaks`` if it has the shape of :meth:`Design.peaks`, else raise ConfigError saying what is wrong."""
    if not isinstance(peaks, Mapping) or set(PEAK_KEYS) - set(peaks):
        raise ConfigError(f"peaks must be a mapping with keys {', '.join(PEAK_KEYS)}, not {peaks!r}")
    flops = peaks["flops_per_s"]
    if not isinstance(flops, Mapping) or not flops:
        raise ConfigError(f"peaks flops_per_s must be a non-empty mapping precision -> FLOP/s, not {flops!r}")
    for k, v in flops.items():
        if not isinstance(v, (int, float)) or not v > 0:
            raise ConfigError(f"peaks flops_per_s[{k!r}] must be a positive number, not {v!r}")
    bw = peaks["dram_bytes_per_s"]
    if not isinstance(bw, (int, float)) or isinstance(bw, bool) or not bw > 0:
        raise ConfigError(f"peaks dram_bytes_per_s must be a positive number, not {bw!r}")
    return dict(peaks)


__all__ = ["PEAK_KEYS", "Design", "DesignBase", "check_fields", "check_peaks", "plain"]
