"""Arithmetic energy and area per number format, derived from Horowitz (ISSCC 2014).

Horowitz publishes 8/32-bit integer and 16/32-bit floating-point add and multiply
at 45 nm.  Other formats are derived with a power law through the two published
points of the same operator family, in the width that sets the datapath:

* integers: cost = c8 * (bits / 8) ** p, p from the 8- and 32-bit points
  (multiply: p = 1.98 for energy, near the quadratic of an array multiplier);
* floats: cost = c16 * (sig / 11) ** p in significand bits (hidden bit
  included), p from the fp16 and fp32 points; bf16 (8), fp8 e4m3 (4) and
  e5m2 (3) follow.  Exponent logic is ignored (a known underestimate for fp8).

A MAC is one multiply plus one add in the accumulator format
(:data:`archsim.cost._tables.ACCUMULATOR`).  Mixed operands: two integers cost the
geometric mean of the two square multipliers (array multiplier ~ width_a *
width_b); if either operand is a float the product is computed in the float
format (the wider float if both), as dequantize-then-multiply hardware does.
"""

from __future__ import annotations

import math

import pandas as pd

from archsim.core.errors import ConfigError
from archsim.core.vocab import FLOAT_FORMATS, INT_FORMATS
from archsim.cost._scaling import area_factor, energy_factor
from archsim.cost._tables import ACCUMULATOR, FORMAT_BITS, HOROWITZ_AREA_UM2, HOROWITZ_ENERGY_PJ

#: Number formats archsim.cost prices: every format of archsim.core.vocab (ints narrowest first, floats by
#: significand width).
FORMATS = INT_FORMATS + FLOAT_FORMATS


def check_precision(field: str, fmt: object) -> str:
    """Return ``fmt`` if archsim.cost can price it, else raise ConfigError naming ``field``."""
    if fmt not in FORMATS:
        raise ConfigError(f"{field} must be one of {', '.join(FORMATS)}, not {fmt!r}")
    return fmt  # type: ignore[return-value]


def _table(what: str) -> dict:
    if what == "energy":
        return HOROWITZ_ENERGY_PJ
    if what == "area":
        return HOROWITZ_AREA_UM2
    raise ConfigError(f"what must be one of energy, area, not {what!r}")


def _power_law(x: float, x0: float, y0: float, x1: float, y1: float) -> float:
    p = math.log(y1 / y0) / math.log(x1 / x0)
    return y0 * (x / x0) ** p


def op_cost_45nm(op: str, fmt: str, what: str = "energy") -> float:
    """Return the 45 nm cost of one ``op`` ("add" | "mult") in ``fmt``: pJ (energy) or um^2 (area)."""
    if op not in ("add", "mult"):
        raise ConfigError(f"op must be one of add, mult, not {op!r}")
    check_precision("precision", fmt)
    t = _table(what)
    bits = float(FORMAT_BITS[fmt].value)
    if fmt in INT_FORMATS:
        lo, hi = t[f"int_{op}_8"].value, t[f"int_{op}_32"].value
        return _power_law(bits, 8.0, lo, 32.0, hi)
    lo, hi = t[f"fp_{op}_16"].value, t[f"fp_{op}_32"].value
    return _power_law(bits, float(FORMAT_BITS["fp16"].value), lo, float(FORMAT_BITS["fp32"].value), hi)


def product_format(a: str, b: str) -> str | None:
    """Return the float format a mixed product is computed in, or None for an int x int product."""
    floats = [f for f in (a, b) if f in FLOAT_FORMATS]
    if not floats:
        return None
    return max(floats, key=lambda f: (float(FORMAT_BITS[f].value), FLOAT_FORMATS.index(f)))


def mult_cost_45nm(a: str, b: str, what: str = "energy") -> float:
    """Return the 45 nm cost of one a x b multiply: pJ or um^2."""
    check_precision("a_precision", a)
    check_precision("b_precision", b)
    fmt = product_format(a, b)
    if fmt is not None:
        return op_cost_45nm("mult", fmt, what)
    return math.sqrt(op_cost_45nm("mult", a, what) * op_cost_45nm("mult", b, what))


def accumulator_for(a: str, b: str) -> str:
    """Return the default accumulator format of an a x b MAC."""
    fmt = product_format(a, b) or (a if FORMAT_BITS[a].value >= FORMAT_BITS[b].value else b)
    return str(ACCUMULATOR[fmt].value)


def mac_cost_45nm(a: str, b: str, acc: str | None = None, what: str = "energy") -> float:
    """Return the 45 nm cost of one MAC = multiply(a, b) + add(acc): pJ or um^2."""
    acc = accumulator_for(a, b) if acc is None else check_precision("acc_precision", acc)
    return mult_cost_45nm(a, b, what) + op_cost_45nm("add", acc, what)


def mac_energy_pj(a: str, b: str, node_nm: float, acc: str | None = None) -> float:
    """Return the energy of one MAC at ``node_nm`` in pJ."""
    return mac_cost_45nm(a, b, acc, "energy") * energy_factor(node_nm)


def mac_area_um2(a: str, b: str, node_nm: float, acc: str | None = None) -> float:
    """Return the area of one MAC datapath (multiplier + accumulator adder) at ``node_nm`` in um^2."""
    return mac_cost_45nm(a, b, acc, "area") * area_factor(node_nm)


def precision_costs(node_nm: float = 45.0, formats: tuple[str, ...] = FORMATS) -> pd.DataFrame:
    """Return one row per format: MAC energy (pJ) and area (um^2) at ``node_nm``, and both relative to int8.

    Columns: ``precision``, ``accumulator``, ``mac_energy_pj``, ``mac_area_um2``,
    ``energy_vs_int8``, ``area_vs_int8``, ``mac_energy_fp16acc_pj`` (floats with an
    fp16 accumulator, the low end of van Baalen et al. 2023), ``rtl_area_um2``
    (calibrated area at ``node_nm`` if recorded, else NaN).
    """
    from archsim.cost._rtl import calibrated_mac_area_um2

    base_e = mac_energy_pj("int8", "int8", node_nm)
    base_a = mac_area_um2("int8", "int8", node_nm)
    rows = []
    for f in formats:
        e = mac_energy_pj(f, f, node_nm)
        a = mac_area_um2(f, f, node_nm)
        rtl = calibrated_mac_area_um2(f, f, node_nm)
        rows.append({
            "precision": f,
            "accumulator": accumulator_for(f, f),
            "mac_energy_pj": e,
            "mac_area_um2": a,
            "energy_vs_int8": e / base_e,
            "area_vs_int8": a / base_a,
            "mac_energy_fp16acc_pj": mac_energy_pj(f, f, node_nm, "fp16") if f in FLOAT_FORMATS else e,
            "rtl_area_um2": float("nan") if rtl is None else rtl,
        })
    return pd.DataFrame(rows)
