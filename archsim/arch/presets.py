"""Named systolic-array configurations with their published sources.

Every number is next to its source.  Where a paper does not state a parameter the value is
marked ``assumption`` (overridable like every field: ``load_design(name, field=value)``).
"""

from __future__ import annotations

from archsim.arch.systolic import SystolicArray

MiB = 1 << 20
KiB = 1 << 10

TPU_V1 = SystolicArray(
    name="tpu-v1",
    # Jouppi et al., "In-Datacenter Performance Analysis of a Tensor Processing Unit", ISCA 2017:
    rows=256, cols=256,  # Sec. 2: 256x256 matrix multiply unit of 8-bit MACs (65,536 MACs)
    dataflow="ws",  # Sec. 2: weights are staged (double-buffered) and activations stream through (systolic, WS)
    a_precision="int8", b_precision="int8",  # Sec. 2: 8-bit multiply, 32-bit accumulators
    mac_depth=1,  # assumption: single-cycle MAC stage
    freq_mhz=700.0,  # Table 2: 700 MHz clock
    ifmap_sram_bytes=24 * MiB,  # Sec. 2: 24 MiB Unified Buffer holds activations
    filter_sram_bytes=256 * KiB,  # Sec. 2: Weight FIFO, four 64 KiB tiles deep
    ofmap_sram_bytes=4 * MiB,  # Sec. 2: 4 MiB of 32-bit accumulators (4096 x 256 x 32 bit)
    memory_bandwidth_gbps=34.0,  # Sec. 2 / Table 2: 8 GiB DDR3-2133, 34 GB/s
    memory_latency_ns=100.0,  # assumption: not published
    dram_standard="ddr3",
    node_nm=28.0,  # Table 2: 28 nm
    source="Jouppi et al., In-Datacenter Performance Analysis of a Tensor Processing Unit, ISCA 2017",
)

GEMMINI = SystolicArray(
    name="gemmini",
    # Genc et al., "Gemmini: Enabling Systematic Deep-Learning Architecture Evaluation via Full-Stack
    # Integration", DAC 2021; default configuration (gemmini Configs.scala defaultConfig):
    rows=16, cols=16,  # meshRows = meshColumns = 16, tileRows = tileColumns = 1
    dataflow="ws",  # dataflow = BOTH (WS and OS at run time); WS chosen here, override with dataflow=os
    a_precision="int8", b_precision="int8",  # inputType SInt(8), accType SInt(32)
    mac_depth=1,
    freq_mhz=1000.0,  # assumption: 1 GHz (FireSim evaluations in the paper)
    ifmap_sram_bytes=128 * KiB,  # sp_capacity 256 KiB scratchpad shared by inputs and weights: half each
    filter_sram_bytes=128 * KiB,
    ofmap_sram_bytes=64 * KiB,  # acc_capacity 64 KiB accumulator
    memory_bandwidth_gbps=16.0,  # assumption: one DDR3/DDR4 channel behind the SoC bus
    memory_latency_ns=100.0,  # assumption
    dram_standard="ddr3",
    node_nm=22.0,  # DAC 2021: SoC fabricated in Intel 22FFL
    source="Genc et al., Gemmini, DAC 2021; gemmini Configs.scala defaultConfig",
)

SA128_BF16 = SystolicArray(
    name="sa128-bf16",
    rows=128, cols=128, dataflow="ws",
    a_precision="bf16", b_precision="bf16",
    mac_depth=1,
    freq_mhz=1000.0,
    ifmap_sram_bytes=8 * MiB,
    filter_sram_bytes=4 * MiB,
    ofmap_sram_bytes=8 * MiB,
    memory_bandwidth_gbps=460.0,  # two HBM2 stacks: 2 x 1024 bit x 1.8 Gb/s = 460 GB/s (JESD235B rate)
    memory_latency_ns=100.0,  # assumption
    dram_standard="hbm2",
    node_nm=7.0,
    source="archsim reference design: 128x128 bf16 WS array (TPU-v2/v3-like MXU size) with 2 HBM2 stacks",
)

PRESETS: dict[str, SystolicArray] = {d.name: d for d in (TPU_V1, GEMMINI, SA128_BF16)}


def _register() -> None:
    from archsim.arch.registry import register_preset

    for design in PRESETS.values():
        register_preset(design.name, design, design.source)


_register()
