"""The ``archsim`` command line.

Every sub-command lives in a module of this package (``archsim/cli/<name>.py``) with a
``register(subparsers)`` function; this file discovers them (a new sub-command is one new file)
and dispatches.  Model code never imports this package (tests/test_layering.py).
Errors the user can cause (:class:`ConfigError`) print one line on stderr and
exit with status 2.
"""

from __future__ import annotations

import argparse
import importlib
import pkgutil
import sys

from archsim.core.errors import ArchsimError, ConfigError

#: Extra modules (outside this package) that register sub-commands: none; every sub-command is a module here.
_COMMAND_MODULES: tuple[str, ...] = ()


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # argparse's usage errors -> exit 2, one line
        sys.stderr.write(f"archsim: error: {message}\n")
        raise SystemExit(2)


def _command_modules() -> list[str]:
    """Return the modules that register sub-commands: the legacy list, then this package's modules."""
    here = [f"{__name__}.{m.name}" for m in pkgutil.iter_modules(__path__) if not m.name.startswith("_")]
    return list(_COMMAND_MODULES) + sorted(here)


def build_parser() -> argparse.ArgumentParser:
    """Return the top-level parser with every available sub-command registered."""
    from archsim import __version__

    parser = _Parser(prog="archsim", description="Cycle-exact accelerator simulator.")
    parser.add_argument("--version", action="version", version=f"archsim {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    sub.required = True
    modules = []
    for name in _command_modules():
        try:
            modules.append(importlib.import_module(name))
        except ModuleNotFoundError as exc:
            if exc.name == name:  # that part has not landed yet
                continue
            raise
    # help order: a module's HELP_ORDER (default 100), then its name
    for module in sorted(modules, key=lambda m: (getattr(m, "HELP_ORDER", 100), m.__name__)):
        module.register(sub)
    return parser


def _one_command_parser(argv: list[str]) -> argparse.ArgumentParser | None:
    """Return a parser holding only the sub-command ``argv[0]`` (``archsim/cli/<name>.py``), so that a light
    command does not import every other part at start-up; None when that is not possible."""
    import importlib.util

    if not argv or not argv[0].isidentifier() or argv[0].startswith("_"):
        return None
    name = argv[0]
    module = f"{__name__}.{name}"
    try:
        found = importlib.util.find_spec(module) is not None
    except (ImportError, ValueError):
        found = False
    if not found:
        return None
    parser = _Parser(prog="archsim", description="Cycle-exact accelerator simulator.")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    sub.required = True
    importlib.import_module(module).register(sub)
    return parser if name in sub.choices else None


def main(argv: list[str] | None = None) -> int:
    """Run the command line; return the exit status (0 ok, 2 bad input)."""
    argv = sys.argv[1:] if argv is None else list(argv)
    parser = _one_command_parser(argv) or build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except ConfigError as exc:  # one line, whatever the message (e.g. a YAML parser's) holds
        sys.stderr.write(f"archsim: error: {' '.join(str(exc).split())}\n")
        return 2
    except ArchsimError as exc:
        sys.stderr.write(f"archsim: error: {' '.join(str(exc).split())}\n")
        return 1
    except BrokenPipeError:
        return 0
    except OSError as exc:  # a path the user gave that the system refuses (too long, missing, no permission)
        if exc.filename is None:
            raise
        from archsim.core.fields import short_repr

        sys.stderr.write(f"archsim: error: file {short_repr(str(exc.filename))} cannot be used "
                         f"({exc.strerror or type(exc).__name__})\n")
        return 2
    except ModuleNotFoundError as exc:  # an optional extra (rtl, io, dask) is not installed
        from archsim.core.extras import is_missing_extra, missing_extra_error

        if not is_missing_extra(exc):
            raise
        sys.stderr.write(f"archsim: error: {missing_extra_error(exc.name or '')}\n")
        return 2


if __name__ == "__main__":
    raise SystemExit(main())
