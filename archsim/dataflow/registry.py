"""Systolic dataflows as registered objects: one class per dataflow, looked up by name.

A dataflow answers every question the systolic mapping, the controller timing, the cycle-stepped
array and the RTL check ask about it (fold loops, stream, per-fold pieces, reuse scopes, buffer
needs, fold timing, edge operands), so no other module branches on the dataflow's name.

Adding a dataflow = one module in :mod:`archsim.dataflow.flows` defining a
:class:`SystolicDataflow` subclass decorated with :func:`register_dataflow`, plus its property
tests (fast == exact).  Every module of that package is imported on the first lookup.

Notation (``docs/microarch.md``): ``C[M, N] = A[M, K] @ B[K, N]`` (x ``batch``) on an ``R x C``
array; a *fold* is one pass of one ``R x C`` tile; its *stream* is the dimension fed one element
per cycle per array row.
"""

from __future__ import annotations

import importlib
import pkgutil
from typing import TYPE_CHECKING, ClassVar

import numpy as np

from archsim.core.errors import ConfigError

if TYPE_CHECKING:  # pragma: no cover
    from archsim.dataflow.systolic import FoldPlan

_REGISTRY: dict[str, SystolicDataflow] = {}
_LOADED = False


def cdiv(a: int, b: int) -> int:
    """Ceiling division of non-negative integers."""
    return -(-a // b)


class SystolicDataflow:
    """One systolic dataflow.  Subclasses set the class attributes and implement the methods.

    Class attributes:
        name: the name designs use (``dataflow: <name>``).
        hardware: the array variant of ``docs/microarch.md`` it runs on: ``os`` (accumulators in
            the PEs, both operands streamed) or ``stationary`` (double-buffered weight registers
            preloaded from the top edge).
        stationary: the operand preloaded into the PEs, ``"a"`` or ``"b"``; None when outputs stay.
        blocked: the streamed operand the ``blocked`` buffer schedule keeps resident (``"a"`` in the
            ifmap buffer, ``"b"`` in the filter buffer), None when blocking does not apply.
        summary: one line for docs and ``describe()``.
        rank: listing position (lower first; ties by name).
    """

    name: ClassVar[str] = ""
    hardware: ClassVar[str] = ""
    stationary: ClassVar[str | None] = None
    blocked: ClassVar[str | None] = None
    summary: ClassVar[str] = ""
    rank: ClassVar[int] = 100

    # -- mapping -----------------------------------------------------------
    @property
    def preload(self) -> bool:
        """True if folds preload a stationary tile."""
        return self.stationary is not None

    def stream(self, M: int, K: int, N: int) -> int:
        """Full stream length of the op (elements)."""
        raise NotImplementedError

    def loops(self, R: int, C: int, M: int, K: int, N: int, chunks: int) -> tuple[int, int, int]:
        """Trip counts of the three fold loops inside ``batch`` (outer .. inner)."""
        raise NotImplementedError

    def fold_fields(self, plan: FoldPlan, b: np.ndarray, i1: np.ndarray, i2: np.ndarray,
                    i3: np.ndarray) -> dict[str, np.ndarray]:
        """Per-fold arrays from the loop indices (see :attr:`FoldPlan.fold_arrays` for the keys)."""
        raise NotImplementedError

    def scope_elems(self, plan: FoldPlan, fa: dict[str, np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
        """Per-fold elements of the A and B reuse scopes of the ``default`` loop order."""
        raise NotImplementedError

    def swapped_scope_elems(self, plan: FoldPlan, fa: dict[str, np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
        """Reuse scopes of the ``swapped`` order: the operand indexed by the new outer loop is reused per tile."""
        return np.full_like(fa["b"], plan.M * plan.K), plan.K * fa["c"]

    def padded_shape(self, R: int, C: int, M: int, K: int, N: int,
                     loops: tuple[int, int, int]) -> tuple[int, int, int]:
        """``(Mp, Kp, Np)``: operand sizes zero-padded so every fold is a full ``R x C`` tile."""
        raise NotImplementedError

    # -- buffers ------------------------------------------------------------
    def buffer_needs(self, R: int, C: int, a_bytes: float, b_bytes: float,
                     acc_bytes: float) -> list[tuple[str, float, str]]:
        """``(buffer, bytes, what)`` the smallest fold needs in half of each buffer."""
        raise NotImplementedError

    def stream_limits(self, R: int, C: int, a_bytes: float, b_bytes: float, acc_bytes: float,
                      halves: dict[str, int]) -> list[float]:
        """Longest stream (elements) each buffer half allows, given ``halves`` (buffer -> half bytes)."""
        raise NotImplementedError

    # -- timing (docs/microarch.md) -----------------------------------------
    def fold_tail(self, R: int, C: int, mac_depth: int, L: int) -> int:
        """Cycles from a fold's start ``S_f`` to one past its last valid output (stream ``L``)."""
        raise NotImplementedError

    def scalesim_fold_cycles(self, R: int, C: int, M: int, K: int, N: int) -> int:
        """SCALE-Sim v3's cycles per fold (``scalesim/compute/systolic_compute_*.py``)."""
        raise NotImplementedError

    # -- edge operands (exact model, stationary hardware) ------------------
    def stationary_tile(self, Ap: np.ndarray, Bp: np.ndarray, b: int, m0: int, k0: int, n0: int,
                        R: int, C: int, L: int) -> tuple[np.ndarray, np.ndarray]:
        """``(stat R x C, stream R x L)``: the tile preloaded into the PEs and the left-edge stream."""
        raise NotImplementedError

    def output_index(self, m0: int, n0: int, ll: np.ndarray, jj: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """``(m, n)`` of ``Cmat`` that column ``jj`` outputs for stream step ``ll`` (stationary hardware)."""
        raise NotImplementedError

    def __repr__(self) -> str:
        return f"<dataflow {self.name}>"


def register_dataflow(cls: type[SystolicDataflow]) -> type[SystolicDataflow]:
    """Class decorator: register one instance of ``cls`` under ``cls.name``."""
    if not cls.name or cls.hardware not in ("os", "stationary"):
        raise ValueError(f"dataflow class {cls.__name__} needs a name and hardware 'os' or 'stationary'")
    _REGISTRY[cls.name] = cls()
    order = sorted(_REGISTRY.values(), key=lambda d: (d.rank, d.name))
    _REGISTRY.clear()
    _REGISTRY.update((d.name, d) for d in order)
    return cls


def _load() -> None:
    global _LOADED
    if _LOADED:
        return
    _LOADED = True
    import archsim.dataflow.flows as pkg

    for mod in pkgutil.iter_modules(pkg.__path__):
        if not mod.name.startswith("_"):
            importlib.import_module(f"{pkg.__name__}.{mod.name}")


def dataflow_names() -> tuple[str, ...]:
    """Names of the registered systolic dataflows (registration order)."""
    _load()
    return tuple(_REGISTRY)


def get_dataflow(name: str) -> SystolicDataflow:
    """Return the registered dataflow ``name`` (ConfigError listing the names if unknown)."""
    _load()
    try:
        return _REGISTRY[name]
    except (KeyError, TypeError):
        raise ConfigError(f"dataflow must be one of {', '.join(_REGISTRY)}, not {name!r}") from None
