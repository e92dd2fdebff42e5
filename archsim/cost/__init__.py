"""Energy and area: action counts x cited per-action energies at a technology node; area per part.

Public API::

    ops_priced, summary = archsim.cost.price(ops, design.components(), node_nm=28, seconds=t, tokens=n)
    result = archsim.cost.price_result(design.run(trace), design.components(), design.node_nm, tokens=n)

Component kinds (one small class each, hwcomponents style): ``mac_array``,
``vector_unit``, ``sram``, ``register_file``, ``noc``, ``dram``, ``pim``,
``controller``, ``other``.  Sources and method: docs/cost.md.
"""

from archsim.core.lazy import lazy_names

# Imported on first use (the pricing modules pull in pandas; ``archsim dram`` only needs dram_energy).
__getattr__, __dir__ = lazy_names(__name__, {
    "mac_area_um2": "archsim.cost._arith", "mac_energy_pj": "archsim.cost._arith",
    "precision_costs": "archsim.cost._arith", "MODELS": "archsim.cost._components",
    "CostModel": "archsim.cost._components", "build_model": "archsim.cost._components",
    "build_models": "archsim.cost._price", "price": "archsim.cost._price", "price_result": "archsim.cost._price",
    "calibrate_from_rtl": "archsim.cost._rtl", "clear_rtl_calibration": "archsim.cost._rtl",
    "rtl_calibration": "archsim.cost._rtl", "area_factor": "archsim.cost._scaling",
    "energy_factor": "archsim.cost._scaling", "leakage_w_per_mm2": "archsim.cost._scaling",
    "sram_mm2_per_mib": "archsim.cost._scaling", "ALL_TABLES": "archsim.cost._tables", "Entry": "archsim.cost._tables",
    "dram_energy": "archsim.cost._dram", "IDD_CURRENTS": "archsim.cost._dram",
    "command_energies_pj": "archsim.cost._dram",
    "LINK_PJ_PER_BIT": "archsim.cost.link", "LinkEnergy": "archsim.cost.link"})

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
    "dram_energy",
    "command_energies_pj",
    "IDD_CURRENTS",
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
