"""Technology-node scaling factors (relative to 45 nm, the node of Horowitz 2014).

Stillmaker & Baas 2017 give area factors between their nodes (130, 90, 65, 45,
32, 20, 16, 14, 10, 7 nm) and per-node quadratic energy-vs-VDD fits.  Between
table nodes we interpolate linearly in the node (as hwcomponents does); below
7 nm area scales linearly and energy with the square root of the node
(hwcomponents' IRDS-based rule).  All factors are monotone in the node.
"""

from __future__ import annotations

import math

from archsim.core.errors import ConfigError
from archsim.core.vocab import NODE_MAX_NM, NODE_MIN_NM, check_node  # noqa: F401  (one range, designs check it too)
from archsim.cost._tables import (
    LEAKAGE,
    SCALING_RULES,
    SRAM_BITCELL_UM2,
    SRAM_DENSITY,
    STILLMAKER_AREA_FROM_45,
    STILLMAKER_ENERGY_FIT,
)

REFERENCE_NODE_NM = 45.0


def _energy_at(node: float) -> float:
    a, b, c = (e.value for e in STILLMAKER_ENERGY_FIT[node])
    v = float(SCALING_RULES["vdd"].value)
    return a * v * v + b * v + c  # type: ignore[operator]


def _interp(node: float, table: dict[float, float]) -> float:
    """Linear interpolation in node between the two table nodes around ``node``."""
    nodes = sorted(table)
    if node in table:
        return table[node]
    for lo, hi in zip(nodes[:-1], nodes[1:], strict=True):
        if lo < node < hi:
            t = (node - lo) / (hi - lo)
            return table[lo] + t * (table[hi] - table[lo])
    raise ConfigError(f"node_nm must be between {nodes[0]:g} and {nodes[-1]:g} (nm), not {node!r}")


_ENERGY = {n: _energy_at(n) for n in STILLMAKER_ENERGY_FIT}
_AREA = {n: float(e.value) for n, e in STILLMAKER_AREA_FROM_45.items()}
_SMALLEST = min(_ENERGY)


def energy_factor(node_nm: float) -> float:
    """Return dynamic energy per operation at ``node_nm`` relative to 45 nm (dimensionless)."""
    node = check_node(node_nm)
    if node < _SMALLEST:
        exp = float(SCALING_RULES["below_7nm_energy"].value)
        return _ENERGY[_SMALLEST] / _ENERGY[45.0] * (node / _SMALLEST) ** exp
    return _interp(node, _ENERGY) / _ENERGY[45.0]


def area_factor(node_nm: float) -> float:
    """Return logic area at ``node_nm`` relative to 45 nm (dimensionless)."""
    node = check_node(node_nm)
    if node < _SMALLEST:
        exp = float(SCALING_RULES["below_7nm_area"].value)
        return _AREA[_SMALLEST] * (node / _SMALLEST) ** exp
    return _interp(node, _AREA)


def leakage_w_per_mm2(node_nm: float) -> float:
    """Return static power density at ``node_nm`` in W/mm^2 (TPU v1 28 nm idle density, scaled)."""
    ref = energy_factor(28.0) / area_factor(28.0)
    return float(LEAKAGE["w_per_mm2_28nm"].value) * energy_factor(node_nm) / area_factor(node_nm) / ref


def sram_bitcell_um2(node_nm: float) -> float:
    """Return the 6T bit-cell area at ``node_nm`` in um^2 (log-log interpolation between cited nodes)."""
    node = check_node(node_nm)
    cells = {n: float(e.value) for n, e in SRAM_BITCELL_UM2.items()}
    if node in cells:
        return cells[node]
    top = max(cells)
    if node > top:  # older than 45 nm: scale like logic area
        return cells[top] * area_factor(node) / area_factor(top)
    nodes = sorted(cells)
    for lo, hi in zip(nodes[:-1], nodes[1:], strict=True):
        if lo < node < hi:
            t = (math.log(node) - math.log(lo)) / (math.log(hi) - math.log(lo))
            return math.exp(math.log(cells[lo]) + t * (math.log(cells[hi]) - math.log(cells[lo])))
    raise ConfigError(f"node_nm must be between {nodes[0]:g} and {NODE_MAX_NM:g} (nm), not {node!r}")


def sram_mm2_per_mib(node_nm: float) -> float:
    """Return SRAM macro area in mm^2 per MiB at ``node_nm`` (TPU v1 28 nm density x bit-cell ratio)."""
    return float(SRAM_DENSITY["mm2_per_mib_28nm"].value) * sram_bitcell_um2(node_nm) / sram_bitcell_um2(28.0)
