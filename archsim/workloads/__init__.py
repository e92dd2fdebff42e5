"""Workloads: ops, traces, transformer trace generation and model presets."""

from archsim.workloads.models import ModelConfig, get_model, list_models, load_hf_config, models_table
from archsim.workloads.op import KINDS, PRECISION_BYTES, PRECISIONS, Op
from archsim.workloads.summary import summarize, totals
from archsim.workloads.trace import Trace, as_ops, as_trace
from archsim.workloads.transformer import PRECISION_PRESETS, PrecisionPlan, build_trace

__all__ = ["KINDS", "PRECISIONS", "PRECISION_BYTES", "Op", "Trace", "as_ops", "as_trace", "summarize", "totals"]
__all__ += ["ModelConfig", "get_model", "list_models", "load_hf_config", "models_table", "build_trace"]
__all__ += ["PrecisionPlan", "PRECISION_PRESETS"]
