"""archsim: cycle-exact simulation of hardware accelerators.

Public API (kept small)::

    import archsim
    design = archsim.load_design("sa128-bf16", rows=64)          # a preset, a YAML/JSON file or a dict
    trace = archsim.build_trace("llama2-7b", phase="decode", batch=8, context=4096)
    result = archsim.simulate(design, trace)                     # run + energy/area pricing
    result.ops, result.summary
"""

from archsim.core.errors import ConfigError
from archsim.core.lazy import lazy_names

# Imported on first use, so that light entry points (``archsim dram``) do not pay for pandas at start-up.
__getattr__, __dir__ = lazy_names(__name__, {
    "simulate": "archsim._simulate", "list_designs": "archsim.arch.registry", "load_design": "archsim.arch.registry",
    "Result": "archsim.core.result", "Op": "archsim.workloads", "Trace": "archsim.workloads",
    "build_trace": "archsim.workloads", "get_model": "archsim.workloads", "list_models": "archsim.workloads"})

__version__ = "0.1.0"

__all__ = [
    "ConfigError",
    "Op",
    "Result",
    "Trace",
    "__version__",
    "build_trace",
    "get_model",
    "list_designs",
    "list_models",
    "load_design",
    "simulate",
]
