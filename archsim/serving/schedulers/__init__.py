"""Schedulers, registered by name (one module each): ``static``, ``vllm``, ``sarathi``, ``disagg``, ``neupims``.

A scheduler is a class with ``name``, validated options (``__init__(**options)``), ``pools()`` (the instances it
needs: ``[(role, count, design)]``), ``setup(design)`` and, per role, a policy with ``next_batch(inst, engine,
now) -> Batch | None``.  A new scheduler is a new module that calls :func:`register_scheduler`.
"""

from __future__ import annotations

import importlib
from typing import Any

from archsim.core.errors import ConfigError

SCHEDULERS: dict[str, type] = {}
_MODULES = ("static", "vllm", "sarathi", "disagg", "neupims")


def register_scheduler(cls: type) -> type:
    """Class decorator: make ``cls`` available under ``cls.name``."""
    SCHEDULERS[cls.name] = cls
    return cls


def _load() -> None:
    for m in _MODULES:
        importlib.import_module(f"{__name__}.{m}")


def list_schedulers() -> list[str]:
    """Return the registered scheduler names."""
    _load()
    return sorted(SCHEDULERS)


def get_scheduler(name: str, **options: Any) -> Any:
    """Return the scheduler ``name`` built with ``options`` (unknown name or option: ConfigError)."""
    _load()
    if name not in SCHEDULERS:
        raise ConfigError(f"scheduler must be one of {', '.join(sorted(SCHEDULERS))}, not {name!r}")
    return SCHEDULERS[name](**options)
