"""price(): per-op action counts x per-action energy, plus static energy and area."""

from __future__ import annotations

import math
import warnings
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from archsim.core.errors import ConfigError
from archsim.core.vocab import is_action
from archsim.cost._components import CostModel, Dram, build_model
from archsim.cost._scaling import check_node

CATEGORIES = ("compute", "rf", "sram", "noc", "dram", "pim", "other")
#: The action-column vocabulary (archsim.core.vocab): a non-zero action no component prices is reported.
_is_action = is_action


def _op_seconds(ops: pd.DataFrame, seconds: Any) -> tuple[float, np.ndarray | None]:
    """Return (total seconds, per-op seconds or None)."""
    n = len(ops)
    if seconds is None:
        if "seconds" not in ops.columns:
            raise ConfigError("seconds must be given (run time in s, or one value per op) when ops has no "
                              "'seconds' column")
        seconds = ops["seconds"].to_numpy(dtype=np.float64)
    if isinstance(seconds, (int, float, np.number)) and not isinstance(seconds, bool):
        total = float(seconds)
        if not (math.isfinite(total) and total > 0):
            raise ConfigError(f"seconds must be a positive number, not {seconds!r}")
        if "cycles" in ops.columns and n:
            cyc = ops["cycles"].to_numpy(dtype=np.float64)
            if cyc.sum() > 0:
                return total, total * cyc / cyc.sum()
        return total, None
    per_op = np.asarray(seconds, dtype=np.float64)
    if per_op.shape != (n,):
        raise ConfigError(f"seconds must be a number or have one value per op ({n}), not shape {per_op.shape}")
    if not np.all(np.isfinite(per_op)) or np.any(per_op < 0) or per_op.sum() <= 0:
        raise ConfigError("seconds per op must be finite, non-negative and not all zero")
    return float(per_op.sum()), per_op


def build_models(components: Sequence[Mapping[str, Any]], node_nm: float) -> list[CostModel]:
    """Return one cost model per component dict, checking that names are unique."""
    node = check_node(node_nm)
    if isinstance(components, Mapping) or not isinstance(components, Sequence):
        raise ConfigError(f"components must be a list of dicts, not {type(components).__name__}")
    models = [build_model(spec, node, i) for i, spec in enumerate(components)]
    seen: set[str] = set()
    for m in models:
        if m.name in seen:
            raise ConfigError(f"component names must be unique, {m.name!r} appears twice")
        seen.add(m.name)
    return models


def price(
    ops: pd.DataFrame,
    components: Sequence[Mapping[str, Any]],
    node_nm: float = 28.0,
    seconds: float | Sequence[float] | np.ndarray | None = None,
    *,
    tokens: int | None = None,
    leakage: bool = True,
) -> tuple[pd.DataFrame, dict[str, Any]]:
    """Return (ops with energy columns in pJ, summary) for a run of ``ops`` on a design made of ``components``.

    Args:
        ops: one row per op with the action columns of :mod:`archsim.core.vocab` (``macs``,
            ``sram_<buf>_read_bytes`` ...); every count is the row's total (the op's
            ``count`` repetitions included).  ``a_precision``/``b_precision`` pick
            the MAC format.  Missing action columns count as zero.
        components: the design's parts, ``design.components()`` (plain dicts).
        node_nm: technology node of the on-chip logic, 5..130 nm.
        seconds: run time of the whole trace (s) - static energy is spread over
            ops in proportion to their ``cycles`` if that column exists - or one
            value per op; None reads the ``seconds`` column of ``ops``.
        tokens: tokens processed by the trace, for ``pj_per_token``.
        leakage: include on-chip leakage and DRAM background energy.

    Adds columns ``energy_<component>_pj`` (dynamic), ``energy_static_pj``
    (on-chip leakage), ``energy_dram_background_pj`` and ``energy_pj`` (their
    sum); the static columns are present only when per-op time is known.
    Summary: ``energy_j``, ``energy_dynamic_j``, ``energy_static_j``,
    ``energy_dram_background_j``, ``energy_<component>_j`` (and ``energy_<component>_<part>_j`` for models
    that split it, e.g. FPGA resource kinds), ``energy_<category>_j``,
    ``power_w``, ``power_static_w``, ``area_mm2``, ``area_<component>_mm2``,
    ``throughput_tops``, ``tops_per_w``, ``tops_per_mm2``, ``pj_per_token``, ``node_nm``,
    ``unpriced_actions`` (non-zero action columns no component prices),
    ``energy_not_modelled`` (why a component prices nothing: e.g. a DRAM standard without an energy
    figure) and ``area_not_modelled`` (on-chip components without an area model or ``area_mm2``).

    Raises:
        ConfigError: unknown component kind, unsupported precision, bad node or time.
    """
    if not isinstance(ops, pd.DataFrame):
        raise ConfigError(f"ops must be a pandas DataFrame, not {type(ops).__name__}")
    models = build_models(components, node_nm)
    total_s, per_op_s = _op_seconds(ops, seconds)
    if tokens is not None and (isinstance(tokens, bool) or not isinstance(tokens, (int, np.integer)) or tokens <= 0):
        raise ConfigError(f"tokens must be a positive integer, not {tokens!r}")

    out = ops.copy()
    out.index = ops.index
    summary: dict[str, Any] = {"node_nm": float(node_nm), "seconds": total_s}
    dynamic = np.zeros(len(ops))
    by_cat = dict.fromkeys(CATEGORIES, 0.0)
    priced: set[str] = set()
    static_w = 0.0
    background_w = 0.0
    area = 0.0
    no_area = []
    for m in models:
        e = m.dynamic_pj(ops)
        out[f"energy_{m.name}_pj"] = e
        dynamic += e
        summary[f"energy_{m.name}_j"] = float(e.sum()) * 1e-12
        for part, pe in m.breakdown_pj(ops).items():
            summary[f"energy_{m.name}_{part}_j"] = float(pe.sum()) * 1e-12
        by_cat[m.category] += float(e.sum()) * 1e-12
        priced.update(m.columns())
        a = m.area_mm2()
        if m.on_chip:
            summary[f"area_{m.name}_mm2"] = a
            area += a
            if not m.has_area():
                no_area.append(m.name)
        if leakage:
            s = m.static_w()
            summary[f"power_static_{m.name}_w"] = s
            static_w += s
            if isinstance(m, Dram):
                background_w += m.background_w(ops)

    static_j = static_w * total_s
    background_j = background_w * total_s
    energy_pj = dynamic.copy()
    if per_op_s is not None:
        out["energy_static_pj"] = static_w * per_op_s * 1e12
        out["energy_dram_background_pj"] = background_w * per_op_s * 1e12
        energy_pj += out["energy_static_pj"].to_numpy() + out["energy_dram_background_pj"].to_numpy()
    out["energy_pj"] = energy_pj

    dynamic_j = float(dynamic.sum()) * 1e-12
    energy_j = dynamic_j + static_j + background_j
    summary.update(
        energy_j=energy_j,
        energy_dynamic_j=dynamic_j,
        energy_static_j=static_j,
        energy_dram_background_j=background_j,
        power_w=energy_j / total_s,
        power_static_w=static_w,
        power_dram_background_w=background_w,
        area_mm2=area,
    )
    for cat, v in by_cat.items():
        summary[f"energy_{cat}_j"] = v
    macs = float(ops["macs"].sum()) if "macs" in ops.columns else 0.0
    if "pim_mac_count" in ops.columns:
        macs += float(ops["pim_mac_count"].sum())
    tops = 2.0 * macs / total_s / 1e12
    summary["throughput_tops"] = tops
    summary["tops_per_w"] = tops / summary["power_w"] if summary["power_w"] > 0 else float("nan")
    summary["tops_per_mm2"] = tops / area if area > 0 else float("nan")
    if tokens is not None:
        summary["pj_per_token"] = energy_j * 1e12 / tokens
    unpriced = sorted(c for c in ops.columns if _is_action(c) and c not in priced and float(ops[c].sum()) != 0)
    summary["unpriced_actions"] = unpriced
    summary["area_not_modelled"] = no_area
    summary["energy_not_modelled"] = [m.not_modelled for m in models if getattr(m, "not_modelled", None)]
    # actions of a component that says why it prices nothing are reported in the summary, not warned about
    explained = {c for m in models if getattr(m, "not_modelled", None) for c in m.unmodelled_columns()}
    surprise = [c for c in unpriced if c not in explained]
    if surprise:
        warnings.warn(f"actions not priced by any component: {', '.join(surprise)}", stacklevel=2)
    return out, summary


def price_result(result: Any, components: Sequence[Mapping[str, Any]], node_nm: float = 28.0, *,
                 tokens: int | None = None, leakage: bool = True) -> Any:
    """Return a new Result: ``result.ops`` priced by :func:`price` and its summary updated with the cost keys.

    Run time: the ops' ``seconds`` column if present, else ``result.summary["seconds"]``
    (static energy spread by ``cycles``).  The design's own summary keys are kept except
    those the cost model computes (``energy_j``, ``area_mm2``, ``power_w``, ``throughput_tops`` ...).
    """
    from archsim.core.result import Result

    seconds = None if "seconds" in result.ops.columns else result.summary.get("seconds")
    ops, summary = price(result.ops, components, node_nm, seconds, tokens=tokens, leakage=leakage)
    merged = dict(result.summary)
    merged.update(summary)
    return Result(ops, merged)
