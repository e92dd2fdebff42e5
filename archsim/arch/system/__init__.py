"""Multi-chip systems: N x any single-chip design + an archsim.network topology, TP/PP/EP/DP.
See docs/network.md.

Public API::

    from archsim.arch.system import SystemDesign, SYSTEM_PRESETS
    dgx = SYSTEM_PRESETS["dgx-h100"]                              # or load_design("dgx-h100")
    r = dgx.run(build_trace("llama2-70b", phase="decode", batch=8, context=2048, tp=8))
    r.summary["compute_seconds"], r.summary["exposed_communication_seconds"], r.schedule
"""

from archsim.arch.system._design import SystemDesign
from archsim.arch.system._presets import SYSTEM_PRESETS

__all__ = ["SYSTEM_PRESETS", "SystemDesign"]


def _register() -> None:
    from archsim.arch.registry import register_design_type, register_preset

    register_design_type("system", SystemDesign.from_dict)
    for _name, _design in SYSTEM_PRESETS.items():
        register_preset(_name, _design, _design.source)


_register()
