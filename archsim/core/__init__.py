"""Units and clocks, the Result type and errors shared by every part of archsim."""

from archsim.core.clock import Clock
from archsim.core.errors import ArchsimError, ConfigError, SimulationError


def __getattr__(name: str):
    """``Result`` is imported on first use (it pulls in pandas)."""
    if name == "Result":
        from archsim.core.result import Result

        globals()["Result"] = Result
        return Result
    raise AttributeError(f"module 'archsim.core' has no attribute {name!r}")


__all__ = ["ArchsimError", "Clock", "ConfigError", "Result", "SimulationError"]
