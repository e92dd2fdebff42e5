"""Whole accelerator designs composed from pe + memory + dataflow (systolic arrays, presets)."""

from archsim.arch._array import ArrayOutput, EdgeSchedule, simulate_array, systolic_schedule
from archsim.arch.systolic import SystolicArray, register_memory_kind
from archsim.dataflow.systolic import systolic_compute_cycles

__all__ = [
    "ArrayOutput",
    "EdgeSchedule",
    "SystolicArray",
    "register_memory_kind",
    "simulate_array",
    "systolic_compute_cycles",
    "systolic_schedule",
]

# Importing the design families registers their types and presets with the registry
# (``archsim designs``, ``archsim run --design NAME``, ``type: npu|pim|fpga`` in design files).
from archsim.arch import (  # noqa: E402,F401
    fpga,
    hetero,  # noqa: E402,F401,I001  (after npu and pim: its presets use theirs)
    npu,
    pim,
)
from archsim.arch.fpga import FpgaEngine  # noqa: E402
from archsim.arch.npu import NpuDesign, NpuPimDesign  # noqa: E402
from archsim.arch.pim import PimDesign  # noqa: E402

__all__ += ["FpgaEngine", "NpuDesign", "NpuPimDesign", "PimDesign"]
from archsim.arch import system  # noqa: E402,F401
from archsim.arch.system import SystemDesign  # noqa: E402

__all__ += ["SystemDesign"]
