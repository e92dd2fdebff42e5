"""Multi-core NPU designs (systolic cores + vector units + scratchpads, DMA, NoC, L2, DRAM), fused attention,
NPU + PIM heterogeneous decode, GPU-class presets.  See docs/npu.md.

Public API::

    d = get_npu_design("a100-sxm4-80gb")      # or NpuDesign(...), NpuDesign.from_dict(...)
    result = d.run(trace, exact=False)         # archsim.core.Result, cycles of the core clock
    d.components()                             # parts for archsim.cost
    chrome_trace(result, "timeline.json")      # Perfetto / chrome://tracing timeline
    NpuPimDesign(npu="tpu-v4-like", pim="hbm-pim-dual", mode="npu+pim").run(decode_trace)
"""

from archsim.arch.npu._design import NpuDesign, memory_footprint
from archsim.arch.npu._hetero import NpuPimDesign
from archsim.arch.npu._presets import NPU_PRESETS, get_npu_design
from archsim.arch.npu._timeline import chrome_trace

__all__ = ["NPU_PRESETS", "NpuDesign", "NpuPimDesign", "chrome_trace", "get_npu_design", "memory_footprint"]


def _register() -> None:
    """Make ``type: npu`` design files and the NPU presets loadable by ``archsim.arch.registry.load_design``."""
    from archsim.arch.registry import register_design_type, register_preset

    register_design_type(NpuDesign.design_type, NpuDesign.from_dict)
    register_design_type(NpuPimDesign.design_type, NpuPimDesign.from_dict)
    for _name, _design in NPU_PRESETS.items():
        register_preset(_name, _design, _design.source)
    # NPU + PIM (type: npu_pim): the reference system of docs/npu.md and examples/npu_pim_decode.py
    register_preset("tpu-v4-hbm-pim-dual", NpuPimDesign(name="tpu-v4-hbm-pim-dual", npu="tpu-v4-like",
                                                         pim="hbm-pim-dual", pim_devices=4, sub_batches=2),
                    "archsim reference NPU+PIM system, NeuPIMs-style (Heo et al., ASPLOS 2024: dual row buffers, "
                    "sub-batch interleaving): tpu-v4-like NPU over 4 hbm-pim-dual devices")


_register()
