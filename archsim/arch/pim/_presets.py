"""Named PIM designs with their sources.  ``(assumed)`` marks a value no public source gave us."""

from __future__ import annotations

from typing import Any

from archsim.arch.pim._design import PimDesign
from archsim.core.errors import ConfigError
from archsim.core.fields import short_repr
from archsim.memory.pim import derive_spec

# [HBMPIM-ISSCC] Y.-C. Kwon et al., "A 20nm 6GB Function-In-Memory DRAM, Based on HBM2 with a 1.2TFLOPS
#     Programmable Computing Unit Using Bank-Level Parallelism, for Machine Learning Applications",
#     ISSCC 2021, paper 25.4.
# [HBMPIM-ISCA] S. Lee et al., "Hardware Architecture and Software Stack for PIM Based on Commercial DRAM
#     Technology", ISCA 2021 (Samsung HBM-PIM / Aquabolt-XL).
# [AIM-ISSCC] S. Lee et al., "A 1ynm 1.25V 8Gb 16Gb/s/pin GDDR6-based Accelerator-in-Memory supporting
#     1TFLOPS MAC Operation and Various Activation Functions for Deep-Learning Applications", ISSCC 2022.
# [AIM-HC] SK hynix, "GDDR6-AiM", Hot Chips 34 (2022) (Kwon et al.).
# [PIMGPT] Y. Wu et al., "PIM-GPT: A Hybrid Process-in-Memory Accelerator for Autoregressive
#     Transformers", npj Unconventional Computing 2024 (arXiv:2310.09385).
# [DUPLEX] S. Yun et al., "Duplex: A Device for Large Language Models with Mixture of Experts, Grouped
#     Query Attention, and Continuous Batching", MICRO 2024.
# [NEUPIMS] G. Heo et al., "NeuPIMs: NPU-PIM Heterogeneous Acceleration for Batched LLM Inferencing",
#     ASPLOS 2024 (dual row buffers).


def _hbm_pim() -> PimDesign:
    return PimDesign(
        name="hbm-pim",
        # [HBMPIM-ISSCC]: HBM2 at 2.4 Gb/s per pin -> tCK 1/1.2 ns; array timings of the HBM2 preset
        # re-rounded at that clock (derived).
        dram=derive_spec("hbm2", 1 / 1.2, "HBM2-PIM-2.4Gbps").to_dict(),
        banks_per_unit=2,        # [HBMPIM-ISCA] Sec. 3: one PIM unit per two banks (8 units per pseudo-channel)
        lanes=16,                # [HBMPIM-ISCA] 16-wide FP16 SIMD per unit (256-bit column)
        precision="fp16", acc_precision="fp16",  # [HBMPIM-ISCA] FP16 multiply and add
        unit_freq_mhz=300.0,     # [HBMPIM-ISSCC] PIM units run at 300 MHz (DRAM core clock = CK/4)
        grf_entries=8, acc_entries=8,  # [HBMPIM-ISCA] GRF: 16 x 256-bit registers, GRF_A (8) and GRF_B (8)
        pipeline_depth=4,        # (assumed) unit pipeline stages
        reduce="host",           # [HBMPIM-ISCA] GEMV: the host adds the 16 lane partial sums
        mode="all_bank",         # [HBMPIM-ISCA] AB-PIM mode: one command drives all units of a pseudo-channel
        host_lanes=64, host_freq_mhz=1000.0,  # (assumed) host/GPU vector lanes for reductions and other ops
        source="Kwon et al., ISSCC 2021 (25.4); Lee et al., ISCA 2021",
    )


def _gddr6_aim() -> PimDesign:
    return PimDesign(
        name="gddr6-aim",
        dram="gddr6",            # [AIM-ISSCC] 16 Gb/s/pin GDDR6, 8 Gb, 2 channels x 16 banks
        banks_per_unit=1,        # [AIM-ISSCC] one processing unit per bank
        lanes=16,                # [AIM-ISSCC] 16 BF16 multipliers per unit (256-bit column)
        precision="bf16", acc_precision="fp32",  # [AIM-ISSCC] BF16 MAC (adder tree, FP32 accumulation)
        unit_freq_mhz=1000.0,    # [AIM-ISSCC] 1 GHz MAC operation
        col_interval_tck=2,      # all-bank MAC every 1 ns (= 2 tCK at 2 GHz CK): the published 1 GHz MAC rate
        grf_entries=64,          # [AIM-HC] 2 KB global buffer per channel = 64 x 16 BF16 input elements
        acc_entries=1,           # [AIM-ISSCC] one MAC result register per bank
        pipeline_depth=4,        # (assumed)
        reduce="in_unit",        # [AIM-ISSCC] adder tree reduces the 16 products per bank
        mode="all_bank",
        host_lanes=64, host_freq_mhz=1000.0,  # (assumed)
        source="Lee et al., ISSCC 2022; SK hynix GDDR6-AiM, Hot Chips 2022",
    )


def _pim_gpt() -> PimDesign:
    return PimDesign(
        name="pim-gpt",
        # [PIMGPT]: GEMVs in AiM-style GDDR6 PIM channels, everything else on a small ASIC.  Channel count
        # (8 chips x 2 channels) (assumed, PIM-GPT-style; see the paper for its exact configuration).
        dram={"base": "gddr6", "channels": 16},
        banks_per_unit=1, lanes=16, precision="bf16", acc_precision="fp32",  # AiM-like bank units [PIMGPT]
        unit_freq_mhz=1000.0, col_interval_tck=2, grf_entries=64, acc_entries=1, reduce="in_unit",
        pipeline_depth=4,        # (assumed)
        mode="all_bank",
        host_lanes=256, host_freq_mhz=1000.0,  # ASIC vector lanes and clock for non-GEMV ops (assumed)
        source="Wu et al., PIM-GPT, npj Unconventional Computing 2024 (style; sizes assumed)",
    )


def _logic_die() -> PimDesign:
    return PimDesign(
        name="logic-die-pim",
        dram="hbm3",             # [DUPLEX] Logic-PIM on the base die of an HBM3 stack
        placement="logic_die",
        units_per_channel=1,     # (assumed) one unit per pseudo-channel (32 per stack)
        lanes=64, precision="fp16", acc_precision="fp32", unit_freq_mhz=1000.0,  # (assumed)
        # [DUPLEX] adds TSVs so the base die sees more than the external bandwidth; 4x the 1024 data TSVs
        # at the HBM3 6.4 Gb/s pin rate (assumed factor): 3.28 TB/s per stack.
        tsv_count=4096, tsv_gbps=6.4,
        host_lanes=256, host_freq_mhz=1000.0,
        source="Yun et al., Duplex, MICRO 2024 (style; TSV count and units assumed)",
    )


def _hbm_pim_dual() -> PimDesign:
    # [NEUPIMS] dual row buffers on the HBM-PIM organisation
    return _hbm_pim().replace(name="hbm-pim-dual", row_buffers="dual",
                              source="HBM-PIM with NeuPIMs dual row buffers (Heo et al., ASPLOS 2024)")


PIM_PRESETS = {"hbm-pim": _hbm_pim, "gddr6-aim": _gddr6_aim, "pim-gpt": _pim_gpt, "logic-die-pim": _logic_die,
               "hbm-pim-dual": _hbm_pim_dual}


def list_pim_designs() -> list[str]:
    """Return the PIM preset names."""
    return list(PIM_PRESETS)


def get_pim_design(name: str, **overrides: Any) -> PimDesign:
    """Return the PIM preset ``name`` (case-insensitive) with fields overridden."""
    key = str(name).lower()
    if key not in PIM_PRESETS:
        raise ConfigError(f"PIM design must be one of {', '.join(PIM_PRESETS)}, not {short_repr(name)}")
    d = PIM_PRESETS[key]()
    return d.replace(**overrides) if overrides else d
