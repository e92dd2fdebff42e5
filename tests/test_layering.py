"""Layering: walk every import of archsim's source (module-level and inside functions) and check that nothing
upstream imports anything downstream, and that no ``_private`` module is imported from outside its package.

Order (docs/architecture.md): core -> workloads -> dataflow -> arch -> cost -> serving -> study -> cli.
``pe``, ``memory`` and ``network`` sit beside dataflow as arch's inputs; ``rtl`` sits beside cost (it checks
the arch models against the RTL); the top package (``archsim/__init__.py``, ``archsim/_simulate.py``:
``simulate`` = run + cost) sits after cost.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import archsim

ROOT = Path(archsim.__file__).parent

#: package -> the packages it may import (itself always allowed)
_BASE = {"core"}
ALLOWED: dict[str, set[str]] = {"core": set(), "workloads": {"core"}}
ALLOWED["dataflow"] = _BASE | {"workloads"}
for _p in ("pe", "memory", "network"):  # arch's inputs: beside dataflow, may use each other
    ALLOWED[_p] = _BASE | {"workloads", "dataflow", "pe", "memory", "network"}
ALLOWED["arch"] = ALLOWED["pe"] | {"arch"}
ALLOWED["cost"] = ALLOWED["arch"]
ALLOWED["rtl"] = ALLOWED["arch"]
ALLOWED["<top>"] = ALLOWED["arch"] | {"cost"}
ALLOWED["serving"] = ALLOWED["<top>"] | {"rtl", "<top>"}
ALLOWED["study"] = ALLOWED["serving"] | {"serving"}
ALLOWED["cli"] = ALLOWED["study"] | {"study"}


def _module(path: Path) -> str:
    parts = list(path.relative_to(ROOT.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _package(module: str) -> str:
    """The layer of a module: its top-level sub-package of archsim, ``<top>`` for archsim itself and its
    top-level private modules (``archsim._simulate``)."""
    parts = module.split(".")
    if module == "archsim.__main__":  # `python -m archsim` is the command line's entry point
        return "cli"
    if len(parts) == 1 or parts[1].startswith("_"):
        return "<top>"
    return parts[1]


def _imports(path: Path) -> list[tuple[int, str]]:
    """Return ``(line, module)`` for every absolute archsim import in ``path`` (``from a import b`` gives ``a.b``
    when ``a.b`` is a module, else ``a``)."""
    out = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            out += [(node.lineno, a.name) for a in node.names if a.name.split(".")[0] == "archsim"]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module \
                and node.module.split(".")[0] == "archsim":
            out.append((node.lineno, node.module))
            for a in node.names:
                sub = f"{node.module}.{a.name}"
                if _is_module(sub):
                    out.append((node.lineno, sub))
        elif isinstance(node, ast.ImportFrom) and node.level:
            raise AssertionError(f"{path}:{node.lineno}: relative import (use absolute archsim.* imports)")
    return out


def _is_module(name: str) -> bool:
    rel = Path(*name.split(".")[1:])
    return (ROOT / rel).with_suffix(".py").exists() or (ROOT / rel / "__init__.py").exists()


def _private_owner(module: str) -> str | None:
    """Return the part of archsim that owns the first ``_private`` component of ``module`` (``archsim.memory``
    for ``archsim.memory.dram._spec``; ``archsim`` for a top-level private module such as ``archsim._simulate``),
    None if it has none.  Inside one part (``memory.pim`` using ``memory.dram``) private modules are shared;
    other parts go through the part's public ``__init__``."""
    parts = module.split(".")
    for i, p in enumerate(parts[1:], start=1):
        if p.startswith("_") and not p.startswith("__"):
            return "archsim" if i == 1 else ".".join(parts[:2])
    return None


def _inside(module: str, owner: str) -> bool:
    if owner == "archsim":  # top-level private modules: only the top package itself
        return _package(module) == "<top>"
    return module == owner or module.startswith(owner + ".")


SOURCES = sorted(p for p in ROOT.rglob("*.py"))


def violations() -> tuple[list[str], list[str]]:
    """Return (upstream-imports-downstream violations, cross-package private imports)."""
    layer, private = [], []
    for path in SOURCES:
        me = _module(path)
        mine = _package(me)
        assert mine in ALLOWED, f"package {mine!r} of {me} has no place in the layering (add it to ALLOWED)"
        for line, target in _imports(path):
            theirs = _package(target)
            if theirs != mine and theirs not in ALLOWED[mine]:
                layer.append(f"{path.relative_to(ROOT.parent)}:{line}: {mine} imports {target} ({theirs})")
            owner = _private_owner(target)
            if owner is not None and not _inside(me, owner):
                private.append(f"{path.relative_to(ROOT.parent)}:{line}: imports {target} from outside {owner}")
    return layer, private


def test_nothing_upstream_imports_downstream():
    layer, _ = violations()
    assert layer == []


def test_no_private_module_imported_across_packages():
    _, private = violations()
    assert private == []


def test_models_never_import_the_cli():
    for path in SOURCES:
        if _package(_module(path)) == "cli":
            continue
        assert not [t for _, t in _imports(path) if t.startswith("archsim.cli")], path


def test_the_walker_sees_violations(tmp_path):
    """The check can fail: a function-level import of cost from dataflow and a private import are caught."""
    bad = tmp_path / "bad.py"
    bad.write_text("def f():\n    from archsim.cost import price\n    import archsim.memory.dram._spec\n")
    found = _imports(bad)
    assert (2, "archsim.cost") in found and (3, "archsim.memory.dram._spec") in found
    assert "cost" not in ALLOWED["dataflow"]
    assert _private_owner("archsim.memory.dram._spec") == "archsim.memory"
    assert not _inside("archsim.arch.pim._design", "archsim.memory")
    assert not _inside("archsim.study._sweep", "archsim")


@pytest.mark.parametrize("pkg", sorted(p.name for p in ROOT.iterdir() if (p / "__init__.py").exists()))
def test_every_package_has_a_layer(pkg):
    assert pkg in ALLOWED


def test_no_reference_to_documents_outside_the_repository():
    """Docs and code point at docs/architecture.md, never at a file outside the repository."""
    import re

    repo = ROOT.parent
    bad = re.compile(r"DESIGN\.md|contracts\.md|/work/|/home/|/Users/")
    hits = []
    for sub in ("archsim", "docs", "benchmarks", "examples", "validation"):
        for path in (repo / sub).rglob("*"):
            if path.suffix in (".py", ".md", ".yaml", ".yml", ".toml") and path.is_file():
                for n, line in enumerate(path.read_text(errors="replace").splitlines(), 1):
                    if bad.search(line):
                        hits.append(f"{path.relative_to(repo)}:{n}: {line.strip()[:80]}")
    for name in ("README.md", "pyproject.toml"):
        for n, line in enumerate((repo / name).read_text().splitlines(), 1):
            if bad.search(line):
                hits.append(f"{name}:{n}")
    assert hits == []
