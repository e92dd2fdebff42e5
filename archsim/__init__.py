"""archsim: cycle-exact simulation of hardware accelerators.

Public API (kept small)::

    import archsim
    design = archsim.load_design("sa128-bf16", rows=64)          # a preset, a YAML/JSON file or a dict
    trace = archsim.build_trace("llama2-7b", phase="decode", batch=8, context=4096)
    result = archsim.simulate(design, trace)                     # run + energy/area pricing
    result.ops, result.summary

Names are imported on first use (``import archsim`` and ``archsim --help`` do not load pandas).
"""

from archsim.core.errors import ConfigError
from archsim.core.lazy import lazy_names

__version__ = "0.1.0"

_LAZY = {
    "Op": "archsim.workloads",
    "Result": "archsim.core.result",
    "Trace": "archsim.workloads",
    "build_trace": "archsim.workloads",
    "get_model": "archsim.workloads",
    "list_designs": "archsim.arch.registry",
    "list_models": "archsim.workloads",
    "load_design": "archsim.arch.registry",
    "simulate": "archsim._simulate",
}

__all__ = ["ConfigError", "__version__", *sorted(_LAZY)]

__getattr__, __dir__ = lazy_names(__name__, _LAZY)
