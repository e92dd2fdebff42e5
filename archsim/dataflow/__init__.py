"""Dataflow mappings: how ops are folded and ordered onto hardware.

Systolic dataflows are registered objects (:mod:`archsim.dataflow.registry`; one module each in
:mod:`archsim.dataflow.flows`): look one up with :func:`get_dataflow`.
"""

from archsim.dataflow._timing import fold_starts
from archsim.dataflow.registry import SystolicDataflow, dataflow_names, get_dataflow, register_dataflow
from archsim.dataflow.systolic import (
    DATAFLOWS,
    FoldPlan,
    max_stream_chunk,
    plan_folds,
    scalesim_compute_cycles,
    systolic_compute_cycles,
)

__all__ = [
    "DATAFLOWS",
    "FoldPlan",
    "SystolicDataflow",
    "dataflow_names",
    "fold_starts",
    "get_dataflow",
    "max_stream_chunk",
    "plan_folds",
    "register_dataflow",
    "scalesim_compute_cycles",
    "systolic_compute_cycles",
]
