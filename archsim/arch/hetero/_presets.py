"""Heterogeneous design presets (cited; assumptions marked)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from archsim.arch.hetero._design import HeteroDesign
from archsim.core.errors import ConfigError

DUPLEX = "Yun et al., Duplex: A Device for LLMs with MoE, GQA and Continuous Batching, MICRO 2024 (arXiv:2409.01141)"


def _duplex_pim() -> Any:
    from archsim.arch.pim import get_pim_design

    # [DUPLEX] Logic-PIM on the base die of each HBM3 stack.  Unit count and width (assumed): 32 units (one per
    # pseudo-channel) x 256 fp16 lanes at 1 GHz = 16.4 TFLOP/s per stack, i.e. the units keep pace with the
    # per-bank-group internal stream (1.64 TB/s DRAM-side peak, archsim.memory.pim.logic_die) up to Op/B ~ 10:
    # Duplex targets "Op/B ranging from few to a few dozens" (abstract).  max_m 64 (assumed): input rows the
    # units buffer per weight pass.
    return get_pim_design("logic-die-pim").replace(name="duplex-logic-pim", lanes=256, max_m=64,
                                                   source=DUPLEX + " (Logic-PIM; unit count/width assumed)")


def _duplex() -> HeteroDesign:
    return HeteroDesign(
        name="duplex-h100",
        xpu="h100-sxm5-80gb",   # [DUPLEX] xPU: an H100-class GPU (the paper's xPU is modelled on H100)
        pim=_duplex_pim(),
        pim_devices=5,          # H100 SXM5: 5 active HBM3 stacks (80 GB), NVIDIA H100 whitepaper (2022)
        placement="opb",        # [DUPLEX] per-layer processor selection by Op/B
        opb_threshold="auto",   # (assumed) the Logic-PIM balance point, not a figure from the paper
        pim_classes=("attention", "expert"),  # [DUPLEX] expert and attention co-processing
        source=DUPLEX + "; xPU = archsim's calibrated H100 preset",
    )


def _h100_hbm_pim() -> HeteroDesign:
    return HeteroDesign(name="h100-hbm-pim", xpu="h100-sxm5-80gb", pim="hbm-pim-dual", pim_devices=5,
                        placement="greedy", pim_classes=("attention",),
                        source="H100 with bank-level HBM-PIM (dual row buffers, NeuPIMs) stacks; "
                               "illustrative combination, not a published system")


HETERO_PRESETS: dict[str, Callable[[], HeteroDesign]] = {"duplex-h100": _duplex, "h100-hbm-pim": _h100_hbm_pim}


def get_hetero_design(name: str, **overrides: Any) -> HeteroDesign:
    """Return the heterogeneous preset ``name`` with fields overridden."""
    if name not in HETERO_PRESETS:
        raise ConfigError(f"heterogeneous design must be one of {', '.join(HETERO_PRESETS)}, not {name!r}")
    d = HETERO_PRESETS[name]()
    return d.replace(**overrides) if overrides else d
