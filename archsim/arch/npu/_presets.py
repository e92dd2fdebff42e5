"""Named NPU configurations with their published sources (every number next to its source).

Values a source does not state are marked ``assumption``; every field is overridable
(``NPU_PRESETS[name].replace(field=value)`` or ``load_design(name, field=value)`` once registered).
"""

from __future__ import annotations

from archsim.arch.npu._design import NpuDesign

KiB, MiB = 1 << 10, 1 << 20

#: DRAM latency seen by a kernel streaming from HBM (first reads to last writes), ns, measured: device-to-device
#: copies of 16..256 MiB (bandwidth.csv) lie on t = 2.136 us + bytes / 3032 GB/s (residuals <= 0.03 us); the
#: fixed 2.136 us is a tiny kernel's floor (1.136 us, launch.csv tiny_add) plus this latency.
H100_MEMORY_LATENCY_NS = 2136.0 - 1136.0
#: Device-side fixed time of a matrix/attention kernel on the H100, ns, in CUDA-graph replay (grid launch,
#: prologue, epilogue): fitted on the fit half of validation/data/h100/gemm.csv together with
#: H100_MAC_EFFICIENCY (validation/h100.py:fit_parameters; one value for every shape and precision).
#: Corroborated by launch.csv: a 64^3 bf16 torch.mm replays at 2972 ns, the model's own 1008 ns for it plus a
#: 1964 ns floor.
H100_KERNEL_FLOOR_NS = 2500.0
#: The same for elementwise/norm kernels, ns: measured, launch.csv: a 256-element add_ replays at 1.14 us.
H100_VECTOR_FLOOR_NS = 1140.0
#: Achievable fraction of the H100's 3.35 TB/s, measured: a 4 GiB read stream (torch.sum) moved 3080 GB/s
#: (validation/data/h100/bandwidth.csv; decode attention reached 3107 GB/s in attention.csv): 3080 / 3350.
#: (A 1-4 GiB device-to-device copy moves only 2430 GB/s read + write; 256 MiB copies 2996 GB/s.)
H100_MEMORY_EFFICIENCY = 0.919
#: Host launch gap per kernel in PyTorch eager on the H100, ns (eager execution only), measured: a 64^3 bf16
#: torch.mm issued eagerly back to back takes 20.0 us per op vs 2.97 us replayed (launch.csv); the gap
#: is the difference.  (A tiny add_ takes 9.06 us eager: non-GEMM ops dispatch faster.)
H100_EAGER_LAUNCH_NS = 20016.0 - 2972.0

#: Achievable fraction of the H100's datasheet tensor-core rate per precision in cuBLAS GEMMs: one value per
#: precision, fitted jointly with H100_KERNEL_FLOOR_NS on the fit half of validation/data/h100/gemm.csv by
#: coordinate descent, each minimising the median |log(predicted / measured)| (validation/h100.py:fit_parameters;
#: the held-out half is never used).  The data show it directly: bf16 8192^3 runs at 688 TFLOP/s (70 % of 989)
#: and fp8 at 1264 (64 % of 1979), fp8 is 1.84x bf16, not 2x (1.70x at 8192x12288x12288: 3448 vs 2023 us).
#: Likely causes (not isolated by these data): clocks held below the 1830 MHz of the datasheet figures under the
#: 700 W power limit (more so at fp8's doubled rate) and WGMMA issue gaps.  Applied to matrix kernels only (not
#: to fused attention: not measured here).  fp8_e5m2 takes e4m3's value (same tensor-core path; assumption);
#: int8 is not measured (1).
H100_MAC_EFFICIENCY = {"bf16": 0.75, "fp16": 0.70, "fp8_e4m3": 0.63, "fp8_e5m2": 0.63, "tf32": 0.72}
#: Hopper thread-block clusters with TMA multicast: the CTAs of a cluster fetch a shared operand tile from L2
#: once (H100 whitepaper, "Thread Block Clusters" and "Tensor Memory Accelerator"; CUTLASS 3
#: examples/48_hopper_warp_specialized_gemm uses a 4x2 cluster).  Cluster size 2 (two CTAs share one tile:
#: assumption, the smallest cluster cuBLAS's SM90 kernels use).
H100_CLUSTER_MULTICAST = 2

#: CUTLASS 2.x SM80 threadblock tile shapes (M x N) used by its default GEMM kernels
#: (cutlass/include/cutlass/gemm/device/default_gemm_configuration.h and the profiler's kernel list).
GPU_TILES = ((256, 128), (128, 256), (128, 128), (256, 64), (64, 256), (128, 64), (64, 128), (64, 64))

A100_SXM4_80GB = NpuDesign(
    name="a100-sxm4-80gb",
    # [A100-WP] NVIDIA A100 Tensor Core GPU Architecture whitepaper (2020); [A100-DS] A100 80GB datasheet (2021)
    cores=108,                     # [A100-WP] Table 1: 108 SMs
    arrays_per_core=4,             # [A100-WP] 4 third-generation Tensor Cores per SM
    core_rows=16, core_cols=16,    # [A100-WP] 256 dense FP16 FMA/clock per Tensor Core = 16 x 16 MACs
    dataflow="ws",                 # modelling choice: B fragment held, A rows streamed
    a_precision="fp16", b_precision="fp16",
    # [A100-WP] Table 1 peak dense TFLOPS: FP16/BF16 312, TF32 156, INT8 624, INT4 1248 (ratios 1, 1/2, 2, 4)
    # tf32 runs on the tensor cores at half the fp16 rate; true fp32 (PyTorch's default fp32 matmul) runs on
    # the CUDA cores (fp32_on_vector): 64 FMA/clk/SM = 19.5 TFLOPS [A100-WP Table 1]
    mac_rate={"fp16": 1, "bf16": 1, "tf32": 0.5, "int8": 2, "int4": 4},
    fp32_on_vector=True,
    freq_mhz=1410.0,               # [A100-WP] Table 1: boost clock 1410 MHz
    scratchpad_bytes=164 * KiB,    # [A100-WP] up to 164 KB shared memory per SM
    vector_lanes=64,               # [A100-WP] 64 FP32 CUDA cores per SM
    l2_bytes=40 * MiB,             # [A100-WP] 40 MB L2
    l2_bandwidth_gbps=5120 * 1.41,  # 5120 B/clk (LLMCompass configs/GA100.json global_buffer_bandwidth) x 1.41 GHz
    l2_latency_ns=150.0,           # assumption: ~200 core cycles L2 hit latency
    noc="crossbar",                # [A100-WP] crossbar between SMs and the two L2 partitions
    noc_hop_cycles=0,              # the crossbar latency is part of the L2 latency above
    noc_link_gbps=128 * 1.41,      # assumption: 128 B/clk per SM (the L1 line fill width)
    dma_engines=1, dma_gbps=128 * 1.41,  # cp.async/TMA-less A100: the SM's load path (assumption, as above)
    memory_bandwidth_gbps=2039.0,  # [A100-DS] 2,039 GB/s HBM2e (SXM4 80GB)
    memory_latency_ns=500.0,       # assumption: ~700 cycles DRAM latency seen by an SM
    # [A100-DS] 5 active HBM2e stacks (5120-bit bus); cycle-level stacks at 3.2 Gb/s/pin (= 2048 GB/s)
    memory={"kind": "dram", "spec": "HBM2E-3.2Gbps", "stacks": 5},
    dram_standard="hbm2e",         # [A100-DS] HBM2e: priced only where archsim.cost has an HBM2E figure
    tile_shapes=GPU_TILES,
    max_split_k=16,
    execution="graph",             # CUDA-graph replay / serving engines: no host launch cost (eager: see below)
    kernel_floor_ns=H100_KERNEL_FLOOR_NS,  # assumption: the device-side kernel floors measured on the H100
    vector_kernel_floor_ns=H100_VECTOR_FLOOR_NS,
    # eager: LLMCompass hardware_model/compute_module.py overhead_dict["A100"].matmul = 2.1e-5 s per op in PyTorch
    # eager (its total fixed cost, so the device floor is taken out of the host gap)
    launch_overhead_ns=21000.0 - H100_KERNEL_FLOOR_NS,  # eager only
    memory_bytes=80 << 30,         # [A100-DS] 80 GB HBM2e
    node_nm=7.0,                   # [A100-WP] TSMC 7 nm
    source="NVIDIA A100 Tensor Core GPU Architecture whitepaper (2020); A100 80GB datasheet; "
           "LLMCompass (Zhang et al., ISCA 2024) A100 overheads",
)

H100_SXM5_80GB = NpuDesign(
    name="h100-sxm5-80gb",
    # [H100-WP] NVIDIA H100 Tensor Core GPU Architecture whitepaper (2022); [H100-DS] H100 datasheet (2023)
    cores=132,                     # [H100-WP] H100 SXM5: 132 SMs
    arrays_per_core=4,             # [H100-WP] 4 fourth-generation Tensor Cores per SM
    core_rows=16, core_cols=32,    # [H100-WP] 2x A100's dense FMA/clock/SM: 512 FP16 FMA/clock per Tensor Core
    dataflow="ws",
    a_precision="fp16", b_precision="fp16",
    # [H100-DS] dense TFLOPS: FP16/BF16 989.4, TF32 494.7, FP8 1978.9, INT8 1978.9
    # tf32 on the tensor cores at half the fp16 rate; true fp32 on the CUDA cores (fp32_on_vector:
    # 128 FMA/clk/SM [H100-WP])
    mac_rate={"fp16": 1, "bf16": 1, "tf32": 0.5, "fp8_e4m3": 2, "fp8_e5m2": 2, "int8": 2},
    fp32_on_vector=True,
    freq_mhz=1830.0,               # 989.4e12 / (132 SMs x 2048 FMA x 2) = 1.83 GHz (boost used for the peak figures)
    scratchpad_bytes=228 * KiB,    # [H100-WP] up to 228 KB shared memory per SM
    vector_lanes=128,              # [H100-WP] 128 FP32 CUDA cores per SM
    l2_bytes=50 * MiB,             # [H100-WP] 50 MB L2
    l2_bandwidth_gbps=5120 * 1.83,  # assumption: A100's 5120 B/clk at H100's clock (not published)
    l2_latency_ns=150.0,           # assumption
    noc="crossbar", noc_hop_cycles=0,
    noc_link_gbps=128 * 1.83, dma_engines=1, dma_gbps=128 * 1.83,  # assumption: 128 B/clk per SM
    memory_bandwidth_gbps=3350.0,  # [H100-DS] 3.35 TB/s HBM3 (SXM5 80GB)
    memory_efficiency=H100_MEMORY_EFFICIENCY,  # measured: see H100_MEMORY_EFFICIENCY
    memory_latency_ns=H100_MEMORY_LATENCY_NS,  # measured: see H100_MEMORY_LATENCY_NS
    memory_bytes=81559 << 20,      # nvidia-smi: 81559 MiB on the H100 80GB HBM3 (validation/data/h100)
    dram_standard="hbm3",          # [H100-DS] HBM3: priced only where archsim.cost has an HBM3 figure
    mac_efficiency=H100_MAC_EFFICIENCY,  # measured: see H100_MAC_EFFICIENCY
    cluster_multicast=H100_CLUSTER_MULTICAST,
    tile_shapes=GPU_TILES,
    max_split_k=16,
    # cuBLAS on Hopper picks data-parallel or stream-K kernels by heuristic: the faster modelled of the two
    gemm_schedule="auto",
    execution="graph",             # CUDA-graph replay / serving engines: no host launch cost
    kernel_floor_ns=H100_KERNEL_FLOOR_NS,
    vector_kernel_floor_ns=H100_VECTOR_FLOOR_NS,
    launch_overhead_ns=H100_EAGER_LAUNCH_NS,  # eager only
    node_nm=5.0,                   # [H100-WP] TSMC 4N (N5 family); priced at 5 nm, archsim.cost's smallest node
    source="NVIDIA H100 Tensor Core GPU Architecture whitepaper (2022); H100 SXM5 datasheet",
)

TPU_V4_LIKE = NpuDesign(
    name="tpu-v4-like",
    # [TPUv4] Jouppi et al., "TPU v4: An Optically Reconfigurable Supercomputer ...", ISCA 2023;
    # [TPUv4i] Jouppi et al., "Ten Lessons From Three Generations ...", ISCA 2021
    cores=2,                       # [TPUv4] 2 TensorCores per chip
    arrays_per_core=4,             # [TPUv4] 4 MXUs per TensorCore
    core_rows=128, core_cols=128,  # [TPUv4] 128 x 128 MXUs
    dataflow="ws",
    a_precision="bf16", b_precision="bf16",
    mac_rate={"bf16": 1, "fp16": 1, "int8": 1},  # [TPUv4] 275 TFLOPS bf16 and int8 (same rate)
    freq_mhz=1050.0,               # [TPUv4] 1050 MHz (2 x 4 x 16384 x 2 x 1.05 GHz = 275 TFLOPS)
    scratchpad_bytes=16 * MiB,     # [TPUv4i] 16 MiB VMEM per core (taken for v4: assumption)
    vector_lanes=8 * 128,          # [TPUv4i] VPU: 8 x 128 lanes (assumption for v4)
    l2_bytes=128 * MiB,            # [TPUv4] 128 MiB CMEM
    l2_bandwidth_gbps=2400.0,      # assumption: 2x the HBM bandwidth
    l2_latency_ns=100.0,           # assumption
    noc="crossbar", noc_hop_cycles=2, noc_link_gbps=1200.0,
    dma_engines=4, dma_gbps=400.0,  # assumption
    memory_bandwidth_gbps=1200.0,  # [TPUv4] 32 GiB HBM2 at 1200 GB/s
    memory_latency_ns=300.0,       # assumption
    dram_standard="hbm2",
    tile_shapes=((512, 512), (256, 512), (512, 256), (256, 256), (128, 512), (128, 128)),
    max_split_k=4,
    launch_overhead_ns=1000.0,     # assumption: per-op dispatch inside an XLA program
    node_nm=7.0,                   # [TPUv4] 7 nm
    source="Jouppi et al., TPU v4, ISCA 2023; Jouppi et al., TPUv4i, ISCA 2021",
)

ASCEND_910_LIKE = NpuDesign(
    name="ascend-910-like",
    # [Ascend] Liao et al., "Ascend: a Scalable and Unified Architecture for Ubiquitous Deep Neural Network
    # Computing", HPCA 2021; [DaVinci] Liao et al., "DaVinci: A Scalable Architecture for Neural Network
    # Computing", Hot Chips 31 (2019)
    cores=32,                      # [Ascend] Ascend 910: 32 DaVinci cores
    arrays_per_core=16,            # [DaVinci] Cube unit: 16 x 16 x 16 fp16 MACs/cycle = 4096, modelled
    core_rows=16, core_cols=16,    #   as 16 arrays of 16 x 16 (same MACs/cycle; modelling choice)
    dataflow="os",                 # the cube accumulates C in its L0C buffer (output stationary)
    a_precision="fp16", b_precision="fp16",
    mac_rate={"fp16": 1, "int8": 2},  # [Ascend] 256 TFLOPS fp16, 512 TOPS int8
    freq_mhz=1000.0,               # 32 x 4096 x 2 x 1.0 GHz = 262 TFLOPS ~ 256 TFLOPS published (assumption: 1 GHz)
    scratchpad_bytes=1 * MiB,      # [DaVinci] L1 buffer 1 MB per core (assumption: exact size varies by version)
    vector_lanes=128,              # [DaVinci] vector unit 2048 bit = 128 fp16 lanes
    l2_bytes=32 * MiB,             # [Ascend] 32 MB on-chip L2
    l2_bandwidth_gbps=4000.0,      # assumption
    l2_latency_ns=100.0,           # assumption
    noc="mesh",                    # [Ascend] 2D mesh NoC
    noc_hop_cycles=1,
    noc_link_gbps=256.0,           # [Ascend] 1024-bit links at 2 GHz = 256 GB/s per direction
    dma_engines=2, dma_gbps=128.0,  # assumption
    memory_bandwidth_gbps=1200.0,  # [Ascend] 4 HBM2 stacks, 1.2 TB/s
    memory_latency_ns=300.0,       # assumption
    dram_standard="hbm2",
    tile_shapes=((256, 256), (128, 256), (256, 128), (128, 128), (64, 128), (64, 64)),
    max_split_k=8,
    launch_overhead_ns=5000.0,     # assumption
    node_nm=7.0,                   # [Ascend] 7 nm+ EUV
    source="Liao et al., Ascend, HPCA 2021; Liao et al., DaVinci, Hot Chips 31 (2019)",
)

NPU_PRESETS: dict[str, NpuDesign] = {d.name: d for d in (A100_SXM4_80GB, H100_SXM5_80GB, TPU_V4_LIKE,
                                                          ASCEND_910_LIKE)}


def get_npu_design(name: str) -> NpuDesign:
    """Return the NPU preset ``name``."""
    from archsim.core.errors import ConfigError
    from archsim.core.fields import short_repr

    if name not in NPU_PRESETS:
        raise ConfigError(f"npu preset must be one of {', '.join(NPU_PRESETS)}, not {short_repr(name)}")
    return NPU_PRESETS[name]
