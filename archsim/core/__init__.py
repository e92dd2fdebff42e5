"""Units and clocks, the Result type and errors shared by every part of archsim."""

from archsim.core.clock import Clock
from archsim.core.errors import ArchsimError, ConfigError, SimulationError
from archsim.core.lazy import lazy_names

__all__ = ["ArchsimError", "Clock", "ConfigError", "Result", "SimulationError"]

# Result pulls in pandas: imported on first use so `archsim --help` starts fast.
__getattr__, __dir__ = lazy_names(__name__, {"Result": "archsim.core.result"})
