"""Sweep files: the YAML front door of :func:`archsim.study.sweep`.

.. code-block:: yaml

    design: tpu-v1                  # a preset name or design YAML file (load_design), or
    # design: {class: archsim.arch.SystolicArray, params: {rows: 128, cols: 128}}  (a registered design
    #   class; any other Python class only with ``allow_code``/``--allow-code``: that imports and runs code)
    base: {freq_mhz: 700}           # fixed overrides for every point (optional)
    grid:                           # cartesian product ... or
      rows: [64, 128, 256]
      cols: [64, 128, 256]
    # sample: {n: 100, seed: 0, space: {rows: [64, 128], freq_mhz: {low: 500, high: 1000}}}
    workloads:
      prefill: {model: llama2-7b, phase: prefill, seq: 512}
      decode: {model: llama2-7b, phase: decode, context: 512}
      mine: {trace: my_trace.csv}   # a trace file
    backend: local                  # or dask (+ scheduler: tcp://host:8786)
    workers: 2
    store: sweep.sqlite             # resume store (default: this file with suffix .sqlite)
    output: results.parquet         # or .csv
    exact: false

Relative paths in the file are relative to the file's directory.

The whole file is checked before the first point runs: every design point is built (a bad grid
value or base field is a ConfigError naming the point) and every workload spec is built once.
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from archsim.core.errors import ConfigError

_KEYS = ("design", "base", "grid", "sample", "workloads", "backend", "scheduler", "workers", "store", "output",
         "exact")
_SAMPLE_KEYS = ("n", "seed", "space")
_DESIGN_KEYS = ("class", "params")


@dataclass(frozen=True)
class DesignFactory:
    """A picklable ``factory(**params) -> design``: a preset (or design file) through ``load_design``,
    or a design class (``"package.module.Class"``), with ``base`` parameters under each point's."""

    target: str
    base: dict[str, Any] = field(default_factory=dict)
    kind: str = "preset"  # "preset" | "class"

    def __call__(self, **params: Any) -> Any:
        merged = {**self.base, **params}
        if self.kind == "class":
            cls = import_object(self.target)
            from_dict = getattr(cls, "from_dict", None)
            return from_dict(merged) if callable(from_dict) else cls(**merged)
        return _load_design()(self.target, **merged)


def _load_design() -> Any:
    try:
        from archsim import load_design
    except ImportError:
        raise ConfigError("design presets need archsim.load_design, which is not available") from None
    return load_design


def registered_design_classes() -> dict[str, type]:
    """Return ``{"module.Class": class}`` of every registered archsim design (preset classes and the
    classes behind registered ``type:`` names), under their defining and public module names."""
    from archsim.arch import registry

    classes: set[type] = set()
    for design, _ in getattr(registry, "_PRESETS", {}).values():
        classes.add(type(design))
    for from_dict in getattr(registry, "DESIGN_TYPES", {}).values():
        owner = getattr(from_dict, "__self__", None)
        if isinstance(owner, type):
            classes.add(owner)
    names: dict[str, type] = {}
    for cls in classes:
        names[f"{cls.__module__}.{cls.__qualname__}"] = cls
        parts = cls.__module__.split(".")
        for i in range(1, len(parts)):  # public re-exports: archsim.arch.SystolicArray
            module = importlib.import_module(".".join(parts[:i]))
            if getattr(module, cls.__name__, None) is cls:
                names[f"{'.'.join(parts[:i])}.{cls.__name__}"] = cls
    return names


def _public(names: dict[str, type]) -> list[str]:
    return sorted(n for n in names if "._" not in n)


def import_object(dotted: str, allow_code: bool = True) -> Any:
    """Return the object named ``"package.module.Name"`` or ``"package.module:Name"``.

    With ``allow_code=False`` only registered archsim design classes are accepted (checked before
    anything is imported): a sweep file must not run arbitrary code unless the user opts in.
    """
    if not isinstance(dotted, str) or len(dotted) > 300:
        raise ConfigError(f"design.class must be 'package.module.Class', not {_short(dotted)}")
    module_name, sep, attr = dotted.replace(":", ".").rpartition(".")
    if not sep or not module_name:
        raise ConfigError(f"design.class must be 'package.module.Class', not {dotted!r}")
    if not allow_code:
        if module_name != "archsim" and not module_name.startswith("archsim."):
            raise ConfigError(
                f"design.class {dotted!r} is not a registered archsim design; importing it would run its code: "
                f"pass --allow-code (sweep(..., allow_code=True)) to allow that, or use one of "
                f"{', '.join(_public(registered_design_classes()))}"
            )
        registered = registered_design_classes()
        if dotted.replace(":", ".") not in registered:
            raise ConfigError(
                f"design.class {dotted!r} is not a registered archsim design (allowed: {', '.join(_public(registered))}"
                f"; any other class needs --allow-code)"
            )
        return registered[dotted.replace(":", ".")]
    try:
        module = importlib.import_module(module_name)
        return getattr(module, attr)
    except (ImportError, AttributeError):
        raise ConfigError(f"design.class {dotted!r} cannot be imported") from None


@dataclass
class SweepConfig:
    """A parsed sweep file: the arguments of :func:`archsim.study.sweep` plus the output path."""

    factory: DesignFactory
    space: Any
    workloads: dict[str, Any]
    backend: str = "local"
    scheduler: str | None = None
    workers: int | None = None
    store: Path | None = None
    output: Path | None = None
    exact: bool = False


def _short(value: Any, limit: int = 80) -> str:
    from archsim.core.fields import short_repr

    return short_repr(value, limit)


def load_sweep_config(path: str | Path, *, allow_code: bool = False, check: bool = True) -> SweepConfig:
    """Return the :class:`SweepConfig` of the YAML file at ``path``; ConfigError names the bad key.

    ``allow_code``: accept any importable ``design.class`` (runs its module's code); default: only
    registered archsim designs.  ``check``: build every design point and workload now (see
    :func:`check_sweep_config`), so a bad value is a ConfigError before the first point runs.
    """
    from archsim.core.fields import load_yaml_text

    path = Path(path)
    src = f"sweep file {_short(str(path))}"
    if len(str(path)) > 4096:
        raise ConfigError(f"{src}: path is longer than 4096 characters")
    if not path.exists():
        raise ConfigError(f"{src} does not exist")
    if path.is_dir():
        raise ConfigError(f"{src} is a directory, not a YAML file")
    try:
        text = path.read_text()
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{src} cannot be read: {exc}") from None
    data = load_yaml_text(text, src)
    cfg = parse_sweep_config(data, source=src, root=path.parent, allow_code=allow_code)
    if check:
        check_sweep_config(cfg, src)
    return cfg


def check_sweep_config(cfg: SweepConfig, source: str = "sweep config") -> None:
    """Build every design point and every workload spec of ``cfg`` once; raise ConfigError naming the
    first point or workload that cannot be built (instead of a sweep whose every point fails)."""
    from archsim.study._space import grid_points

    points = grid_points(cfg.space) if isinstance(cfg.space, Mapping) else list(cfg.space)
    seen: set[str] = set()
    for params in points:
        key = repr(sorted(params.items(), key=lambda kv: kv[0]))
        if key in seen:
            continue
        seen.add(key)
        try:
            cfg.factory(**params)
        except ConfigError as exc:
            where = ", ".join(f"{k}={_short(v, 40)}" for k, v in params.items())
            raise ConfigError(f"{source}: design point ({where}): {exc}") from None
        except (TypeError, ValueError, ArithmeticError, RecursionError) as exc:
            where = ", ".join(f"{k}={_short(v, 40)}" for k, v in params.items())
            raise ConfigError(f"{source}: design point ({where}) cannot be built: {type(exc).__name__}: "
                              f"{_short(str(exc), 200)}") from None
    for name, spec in cfg.workloads.items():
        if isinstance(spec, Mapping):
            from archsim.workloads import build_trace

            args = dict(spec)
            model = args.pop("model")
            try:
                build_trace(model, **args)
            except ConfigError as exc:
                raise ConfigError(f"{source}: workloads.{name}: {exc}") from None
            except TypeError as exc:
                raise ConfigError(f"{source}: workloads.{name}: {_short(str(exc), 200)}") from None


def parse_sweep_config(
    data: Any, *, source: str = "sweep config", root: Path = Path(), allow_code: bool = False
) -> SweepConfig:
    """Return the :class:`SweepConfig` of an already-loaded mapping (same keys as the YAML file).

    ``allow_code``: see :func:`load_sweep_config`."""
    from archsim.workloads import Trace

    def bad(key: str, what: str, value: Any) -> ConfigError:
        return ConfigError(f"{source}: key '{key}' must be {what}, not {_short(value)}")

    if not isinstance(data, Mapping):
        raise ConfigError(f"{source} must be a mapping of keys ({', '.join(_KEYS)}), not {data!r}")
    for key in data:
        if key not in _KEYS:
            raise ConfigError(f"{source}: unknown key {_short(key)} (allowed: {', '.join(_KEYS)})")
    for key in ("design", "workloads"):
        if key not in data:
            raise ConfigError(f"{source}: key '{key}' is required")

    base = data.get("base") or {}
    if not isinstance(base, Mapping):
        raise bad("base", "a mapping of parameter -> value", base)
    design = data["design"]
    if isinstance(design, str) and design:
        target = design
        if design.endswith((".yaml", ".yml", ".json")) and not Path(design).is_absolute():
            target = str(root / design)
        factory = DesignFactory(target, dict(base), "preset")
    elif isinstance(design, Mapping):
        for key in design:
            if key not in _DESIGN_KEYS:
                raise ConfigError(f"{source}: unknown key 'design.{key}' (allowed: {', '.join(_DESIGN_KEYS)})")
        cls = design.get("class")
        if not isinstance(cls, str) or not cls:
            raise bad("design.class", "'package.module.Class'", cls)
        params = design.get("params") or {}
        if not isinstance(params, Mapping):
            raise bad("design.params", "a mapping of parameter -> value", params)
        try:
            import_object(cls, allow_code=allow_code)
        except ConfigError as exc:
            raise ConfigError(f"{source}: {exc}") from None
        factory = DesignFactory(cls, {**params, **base}, "class")
    else:
        raise bad("design", "a preset name, a design file or {class, params}", design)

    if ("grid" in data) == ("sample" in data):
        raise ConfigError(f"{source}: exactly one of the keys 'grid' and 'sample' is required")
    if "grid" in data:
        grid = data["grid"]
        if not isinstance(grid, Mapping) or not grid:
            raise bad("grid", "a mapping of parameter -> list of values", grid)
        for name, values in grid.items():
            if isinstance(values, list) and not values:
                raise bad(f"grid.{name}", "a non-empty list", values)
        space: Any = dict(grid)
    else:
        from archsim.study._space import random_sample

        sample = data["sample"]
        if not isinstance(sample, Mapping):
            raise bad("sample", "a mapping {n, seed, space}", sample)
        for key in sample:
            if key not in _SAMPLE_KEYS:
                raise ConfigError(f"{source}: unknown key 'sample.{key}' (allowed: {', '.join(_SAMPLE_KEYS)})")
        n, seed, sp = sample.get("n"), sample.get("seed", 0), sample.get("space")
        if isinstance(n, bool) or not isinstance(n, int) or n <= 0:
            raise bad("sample.n", "a positive integer", n)
        if isinstance(seed, bool) or not isinstance(seed, int):
            raise bad("sample.seed", "an integer", seed)
        if not isinstance(sp, Mapping) or not sp:
            raise bad("sample.space", "a mapping of parameter -> choices or {low, high}", sp)
        try:
            space = random_sample(sp, n, seed)
        except ConfigError as exc:
            raise ConfigError(f"{source}: sample: {exc}") from None

    wl = data["workloads"]
    if not isinstance(wl, Mapping) or not wl:
        raise bad("workloads", "a mapping of name -> {model, phase, ...} or {trace: FILE}", wl)
    workloads: dict[str, Any] = {}
    for name, spec in wl.items():
        if not isinstance(spec, Mapping):
            raise bad(f"workloads.{name}", "a mapping {model, phase, ...} or {trace: FILE}", spec)
        if "trace" in spec:
            if set(spec) != {"trace"}:
                raise ConfigError(f"{source}: key 'workloads.{name}' with 'trace' must have no other key")
            if not isinstance(spec["trace"], str) or not spec["trace"] or len(spec["trace"]) > 4096:
                raise bad(f"workloads.{name}.trace", "a file path", spec["trace"])
            tpath = Path(spec["trace"])
            workloads[str(name)] = Trace.read(tpath if tpath.is_absolute() else root / tpath)
        elif "model" in spec:
            workloads[str(name)] = dict(spec)
        else:
            raise ConfigError(f"{source}: key 'workloads.{name}' needs 'model' or 'trace'")

    backend = data.get("backend", "local")
    if backend not in ("local", "dask"):
        raise bad("backend", "one of local, dask", backend)
    scheduler = data.get("scheduler")
    if scheduler is not None and not isinstance(scheduler, str):
        raise bad("scheduler", "an address string", scheduler)
    workers = data.get("workers")
    if workers is not None and (isinstance(workers, bool) or not isinstance(workers, int) or not 0 < workers <= 1024):
        raise bad("workers", "a positive integer <= 1024", workers)
    exact = data.get("exact", False)
    if not isinstance(exact, bool):
        raise bad("exact", "true or false", exact)
    paths = {}
    for key, suffixes in (("store", None), ("output", (".parquet", ".csv"))):
        value = data.get(key)
        if value is None:
            paths[key] = None
            continue
        if not isinstance(value, str) or not value:
            raise bad(key, "a file path", value)
        if suffixes and not value.endswith(suffixes):
            raise bad(key, "a path ending in .parquet or .csv", value)
        p = Path(value)
        paths[key] = p if p.is_absolute() else root / p
    return SweepConfig(factory, space, workloads, backend, scheduler, workers, paths["store"], paths["output"], exact)
