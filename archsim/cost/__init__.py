"""Energy and area: action counts x cited per-action energies at a technology node; area per part.

Public API::

    ops_priced, summary = archsim.cost.price(ops, design.components(), node_nm=28, seconds=t, tokens=n)
    result = archsim.cost.price_result(design.run(trace), design.components(), design.node_nm, tokens=n)

Component kinds (one small class each, hwcomponents style): ``mac_array``,
``vector_unit``, ``sram``, ``register_file``, ``noc``, ``dram``, ``pim``,
``controller``, ``other``.  Sources and method: docs/cost.md.
"""

from archsim.cost._arith import mac_area_um2, mac_energy_pj, precision_costs
from archsim.cost._components import MODELS, CostModel, build_model
from archsim.cost._price import build_models, price, price_result
from archsim.cost._rtl import calibrate_from_rtl, clear_rtl_calibration, rtl_calibration
from archsim.cost._scaling import area_factor, energy_factor, leakage_w_per_mm2, sram_mm2_per_mib
from archsim.cost._tables import ALL_TABLES, Entry
from archsim.cost.link import LINK_PJ_PER_BIT, LinkEnergy

__all__ = [
    "ALL_TABLES",
    "MODELS",
    "CostModel",
    "Entry",
    "LINK_PJ_PER_BIT",
    "LinkEnergy",
    "area_factor",
    "build_model",
    "build_models",
    "calibrate_from_rtl",
    "clear_rtl_calibration",
    "energy_factor",
    "leakage_w_per_mm2",
    "mac_area_um2",
    "mac_energy_pj",
    "precision_costs",
    "price",
    "price_result",
    "rtl_calibration",
    "sram_mm2_per_mib",
]
