"""Design registry: design families (``type:`` names), named presets, YAML/JSON design files, overrides.

Families register themselves when their module is imported (Ramulator 2's ``impl:`` pattern)::

    register_design_type("systolic", SystolicArray.from_dict)
    register_preset("tpu-v1", TPU_V1, "Jouppi et al., ISCA 2017")

and the registry imports every sub-module of :mod:`archsim.arch` on its first lookup, so a new family is
one module (or sub-package) of ``archsim/arch`` plus its tests: no edit here, in ``archsim/arch/__init__.py``
or in the CLI.  ``load_design(name_or_path, **overrides)`` returns a design object.  A design file is a
mapping with the design's field names and ``type`` (default ``systolic``) naming the family; ``preset: NAME``
starts from a preset.  See docs/architecture.md.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

from archsim.core.errors import ConfigError
from archsim.core.fields import short_repr

#: design type name -> ``from_dict`` constructor
DESIGN_TYPES: dict[str, Callable[[dict], Any]] = {}
#: preset name -> (design, source)
_PRESETS: dict[str, tuple[Any, str]] = {}
#: design class -> its type name
_TYPE_OF_CLASS: dict[type, str] = {}
_loaded = False


def register_design_type(name: str, from_dict: Callable[[dict], Any]) -> None:
    """Make ``type: <name>`` in design files build designs with ``from_dict`` (a family's classmethod)."""
    if not isinstance(name, str) or not name:
        raise ConfigError(f"design type name must be a non-empty string, not {name!r}")
    DESIGN_TYPES[name] = from_dict
    cls = getattr(from_dict, "__self__", None)
    if isinstance(cls, type):
        _TYPE_OF_CLASS[cls] = name


def register_preset(name: str, design: Any, source: str) -> None:
    """Add a named, cited design preset."""
    if not isinstance(name, str) or not name:
        raise ConfigError(f"preset name must be a non-empty string, not {name!r}")
    _PRESETS[name] = (design, source)


def unregister(name: str) -> None:
    """Remove a preset or a design type named ``name`` (tests that register a toy family clean up with it)."""
    _PRESETS.pop(name, None)
    fn = DESIGN_TYPES.pop(name, None)
    cls = getattr(fn, "__self__", None)
    if isinstance(cls, type):
        _TYPE_OF_CLASS.pop(cls, None)


def load_families() -> None:
    """Import every sub-module of :mod:`archsim.arch` once, so every family has registered itself."""
    global _loaded
    if _loaded:
        return
    _loaded = True
    import archsim.arch as arch

    for m in pkgutil.iter_modules(arch.__path__):
        if m.name.startswith("_") or m.name == "registry":
            continue
        importlib.import_module(f"{arch.__name__}.{m.name}")


def design_types() -> dict[str, Callable[[dict], Any]]:
    """Return ``{type name: from_dict}`` of every registered family."""
    load_families()
    return dict(DESIGN_TYPES)


def presets() -> dict[str, tuple[Any, str]]:
    """Return ``{preset name: (design, source)}`` of every registered preset."""
    load_families()
    return dict(_PRESETS)


def type_name(design: Any) -> str:
    """Return the registered family name of ``design`` (its ``design_type``, else its class name)."""
    load_families()
    return _TYPE_OF_CLASS.get(type(design)) or getattr(design, "design_type", "") or type(design).__name__


def list_designs() -> list[dict[str, str]]:
    """Return ``[{"name", "type", "family", "source"}]`` for every preset (``type``: the class name)."""
    load_families()
    return [{"name": n, "type": type(d).__name__, "family": type_name(d), "source": s}
            for n, (d, s) in _PRESETS.items()]


def get_preset(name: str) -> Any:
    """Return the preset design ``name`` (ConfigError listing the presets otherwise)."""
    load_families()
    if name not in _PRESETS:
        raise ConfigError(f"preset must be one of {', '.join(_PRESETS)}, not {name!r}")
    return _PRESETS[name][0]


def _with(design: Any, overrides: dict) -> Any:
    if not overrides:
        return design
    if not hasattr(design, "replace"):
        raise ConfigError(f"{type(design).__name__} does not take overrides (no replace())")
    return design.replace(**overrides)


def load_design(name_or_path: Any, **overrides: Any) -> Any:
    """Return the design named ``name_or_path`` (a preset, a ``.yaml``/``.json`` file, a dict or a
    design object) with ``overrides`` (field=value) applied; numpy scalars count as Python scalars."""
    from archsim.core.fields import plain_scalars

    load_families()
    overrides = plain_scalars(overrides)
    if isinstance(name_or_path, dict):
        name_or_path = plain_scalars(name_or_path)
        return _with(_from_mapping(name_or_path, "<dict>"), overrides)
    if not isinstance(name_or_path, (str, Path)):
        if hasattr(name_or_path, "run"):
            return _with(name_or_path, overrides)
        raise ConfigError(f"design must be a preset name, a file or a dict, not {type(name_or_path).__name__}")
    key = str(name_or_path)
    if len(key) > 4096:
        raise ConfigError(f"design must be a preset name or a file path, not a {len(key)}-character string")
    if key in _PRESETS:
        return _with(_PRESETS[key][0], overrides)
    path = Path(key)
    if path.suffix in (".yaml", ".yml", ".json"):
        try:
            is_file = path.is_file()
        except OSError:  # e.g. a name longer than the file system allows
            is_file = False
        if not is_file:
            raise ConfigError(f"design file {short_repr(key)} does not exist")
        from archsim.core.fields import load_yaml_text

        try:
            text = path.read_text()
        except (OSError, UnicodeDecodeError) as exc:
            raise ConfigError(f"design file {short_repr(key)} cannot be read: {exc}") from None
        data = load_yaml_text(text, f"design file {short_repr(key)}")
        return _with(_from_mapping(data, key), overrides)
    raise ConfigError(f"design must be one of {', '.join(_PRESETS)} or a .yaml/.json file, not {short_repr(key)}")


def _from_mapping(data: Any, where: str) -> Any:
    if not isinstance(data, dict):
        raise ConfigError(f"design {where} must be a mapping of field names, not {type(data).__name__}")
    data = dict(data)
    preset = data.pop("preset", None)
    if preset is not None:
        if not isinstance(preset, str) or preset not in _PRESETS:
            raise ConfigError(f"preset must be one of {', '.join(_PRESETS)}, not {short_repr(preset)}")
        data.pop("type", None)
        return _with(_PRESETS[preset][0], data)
    kind = data.get("type", "systolic")
    if not isinstance(kind, str) or kind not in DESIGN_TYPES:
        raise ConfigError(f"type must be one of {', '.join(DESIGN_TYPES)}, not {short_repr(kind)}")
    return DESIGN_TYPES[kind](data)
