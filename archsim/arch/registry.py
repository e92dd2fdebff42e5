"""Design registry: named presets, YAML/JSON design files, overrides.

``load_design(name_or_path, **overrides)`` returns a design object.  A design file is a mapping
with the design's field names and an optional ``type`` (default ``systolic``) choosing the design
class among :data:`DESIGN_TYPES`; ``preset: NAME`` in a file starts from a preset.  Other parts
(NPU, PIM, FPGA designs) call :func:`register_design_type` / :func:`register_preset`.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from archsim.arch.presets import PRESETS
from archsim.arch.systolic import SystolicArray
from archsim.core.errors import ConfigError
from archsim.core.fields import short_repr

#: design type name -> ``from_dict`` constructor
DESIGN_TYPES: dict[str, Callable[[dict], Any]] = {"systolic": SystolicArray.from_dict}
#: preset name -> (design, source)
_PRESETS: dict[str, tuple[Any, str]] = {name: (d, d.source) for name, d in PRESETS.items()}


def register_design_type(name: str, from_dict: Callable[[dict], Any]) -> None:
    """Make ``type: <name>`` in design files build designs with ``from_dict``."""
    DESIGN_TYPES[name] = from_dict


def register_preset(name: str, design: Any, source: str) -> None:
    """Add a named, cited design preset."""
    _PRESETS[name] = (design, source)


def list_designs() -> list[dict[str, str]]:
    """Return ``[{"name", "type", "source"}]`` for every preset."""
    return [{"name": n, "type": type(d).__name__, "source": s} for n, (d, s) in _PRESETS.items()]


def _with(design: Any, overrides: dict) -> Any:
    if not overrides:
        return design
    if hasattr(design, "replace"):
        return design.replace(**overrides)
    import dataclasses

    return dataclasses.replace(design, **overrides)


def load_design(name_or_path: Any, **overrides: Any) -> Any:
    """Return the design named ``name_or_path`` (a preset, a ``.yaml``/``.json`` file, a dict or a
    design object) with ``overrides`` (field=value) applied; numpy scalars count as Python scalars."""
    from archsim.core.fields import plain_scalars

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
