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

# Families register their types and presets when imported; archsim.arch.registry imports every sub-module of
# this package on its first lookup, so a new family needs no line here.  These imports give the public names
# (and keep the systolic presets first in `archsim designs`).
from archsim.arch import presets  # noqa: E402,F401
from archsim.arch.fpga import FpgaEngine  # noqa: E402
from archsim.arch.npu import NpuDesign, NpuPimDesign  # noqa: E402
from archsim.arch.pim import PimDesign  # noqa: E402

__all__ += ["FpgaEngine", "NpuDesign", "NpuPimDesign", "PimDesign"]
from archsim.arch import system  # noqa: E402,F401
from archsim.arch.system import SystemDesign  # noqa: E402

__all__ += ["SystemDesign"]
