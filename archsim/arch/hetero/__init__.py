"""Heterogeneous designs: an xPU (GPU/NPU-class) beside PIM in its own memory, with per-op placement.

Public API::

    d = archsim.load_design("duplex-h100")                 # or HeteroDesign(xpu=..., pim=..., placement=...)
    r = archsim.simulate(d, archsim.build_trace("mixtral-8x7b", phase="decode", batch=64, context=2048))
    r.ops[["name", "device", "start_s", "seconds"]]
    placement_table(d, trace)                               # per op class: device, Op/B, times, why

See docs/hetero.md.
"""

from archsim.arch.hetero._design import HeteroDesign, placement_table
from archsim.arch.hetero._presets import HETERO_PRESETS, get_hetero_design

__all__ = ["HETERO_PRESETS", "HeteroDesign", "get_hetero_design", "placement_table"]


def _register() -> None:
    """Make ``type: hetero`` design files and the presets loadable by ``archsim.load_design``."""
    from archsim.arch.registry import register_design_type, register_preset

    register_design_type("hetero", HeteroDesign.from_dict)
    for name, make in HETERO_PRESETS.items():
        d = make()
        register_preset(name, d, d.source)


_register()
