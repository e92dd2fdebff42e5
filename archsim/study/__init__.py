"""Design-space studies: sweeps that resume, a Dask backend, Pareto fronts and plots.

>>> from archsim.study import sweep, random_sample, pareto_front
"""

from __future__ import annotations

from archsim.core.lazy import lazy_names

# Names are imported on first use, so `archsim --help` and other parts do not pay for
# heavy dependencies (amaranth, matplotlib) they never touch.
_LAZY = {
    "ResultStore": "archsim.study._store",
    "config_hash": "archsim.study._store",
    "grid_points": "archsim.study._space",
    "load_sweep_config": "archsim.study._config",
    "op_group": "archsim.study._analysis",
    "op_table": "archsim.study._analysis",
    "pareto_front": "archsim.study._analysis",
    "plot_energy_breakdown": "archsim.study._plots",
    "plot_pareto": "archsim.study._plots",
    "plot_roofline": "archsim.study._plots",
    "plot_timeline": "archsim.study._plots",
    "plot_utilization": "archsim.study._plots",
    "random_sample": "archsim.study._space",
    "roofline_peaks": "archsim.study._analysis",
    "save_figure": "archsim.study._plots",
    "ServingPoint": "archsim.study._serving",
    "evaluate_serving": "archsim.study._serving",
    "serving_sweep": "archsim.study._serving",
    "summary_metrics": "archsim.study._sweep",
    "sweep": "archsim.study._sweep",
}

__all__ = sorted(_LAZY)

__getattr__, __dir__ = lazy_names(__name__, _LAZY)
