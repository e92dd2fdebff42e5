"""Multi-chip system presets, every number next to its source; assumptions marked ``assumption``.

Calibrated (physical) link parameters, one set per link type:
* efficiency: usable fraction of the line rate.  NVLink 4: NCCL reaches an effective 370 GB/s of the
  450 GB/s line rate (~20 % protocol overhead), seen as nccl-tests busBw of non-all-reduce ops or
  all-reduce with NCCL_ALGO=RING (S. Jeaugey, NCCL maintainer, NVIDIA/nccl-tests issue #212, 2024-05-06):
  370 / 450 = 0.822.  The same fraction is assumed for NVLink 3 and the other fabrics.
* latency_us / step_overhead_us / launch_us: assumptions (0.5 us per NVLink hop, 1.5 us per algorithm step,
  8 us per collective launch) until validation/gpu/collectives.py measures them (issue 22).
"""

from __future__ import annotations

from archsim.arch.npu import NPU_PRESETS
from archsim.arch.system._design import SystemDesign
from archsim.network import Bus, Link, Switch, Torus, TwoLevel
from archsim.network.link import LINK_ENERGY_PJ_PER_BIT

_SERDES = LINK_ENERGY_PJ_PER_BIT["serdes_112g"][0]  # pJ/bit, Ali et al. ISSCC 2020 (see the table)
_NCCL_EFF = 370.0 / 450.0  # NVIDIA/nccl-tests#212 (maintainer): 370 GB/s effective of NVLink 4's 450 GB/s

NVLINK4 = Link(
    bandwidth_gbps=450.0,  # [H100-WP] 18 NVLink 4 links x 25 GB/s per direction = 450 GB/s (900 GB/s bidirectional)
    efficiency=_NCCL_EFF, latency_us=0.5, pj_per_bit=_SERDES, name="nvlink4",
    source="NVIDIA H100 whitepaper (2022): 900 GB/s NVLink 4 per GPU; efficiency: NVIDIA/nccl-tests#212; "
           "latency: assumption; pJ/bit: Ali et al. ISSCC 2020 SerDes (assumption for NVLink)")
NVLINK3 = Link(
    bandwidth_gbps=300.0,  # [A100-WP] 12 NVLink 3 links x 25 GB/s per direction = 300 GB/s (600 GB/s bidirectional)
    efficiency=_NCCL_EFF, latency_us=0.5, pj_per_bit=_SERDES, name="nvlink3",
    source="NVIDIA A100 whitepaper (2020): 600 GB/s NVLink 3 per GPU; efficiency as NVLink 4 (assumption)")
ICI_V4 = Link(
    bandwidth_gbps=50.0,  # [TPUv4] 6 ICI links per chip, 50 GB/s each (taken per direction: assumption)
    efficiency=_NCCL_EFF, latency_us=1.0, pj_per_bit=_SERDES, name="ici-v4",
    source="Jouppi et al., TPU v4, ISCA 2023 (6 ICI links/chip); per-direction reading, latency and "
           "efficiency: assumptions")
UB_DIE = Link(
    bandwidth_gbps=196.0,  # [CM384] UB: 392 GB/s unidirectional per Ascend 910C = 196 GB/s per die (assumption:
    #                        split evenly over the package's 2 dies; each die is one NPU)
    efficiency=_NCCL_EFF, latency_us=1.0, pj_per_bit=_SERDES, name="ub",
    source="Zuo et al., Serving LLMs on Huawei CloudMatrix384, arXiv 2506.12708 (2025): UB network; per-die "
           "split, efficiency, latency: assumptions")

#: one Ascend 910C die as a chip (assumption-heavy: the NPU preset closest to it, scaled).  [CM384] reports
#: 910C as two dies; per die taken here: 376 TFLOPS bf16 (752 TOPS int8), 64 GB HBM at 1.6 TB/s (values as
#: recalled from [CM384] Sec. 3, not re-verified: assumption).
ASCEND_910C_DIE = NPU_PRESETS["ascend-910-like"].replace(
    name="ascend-910c-die-like",
    cores=24,                      # assumption: 24 AI cube cores per die
    arrays_per_core=16,            # 16 x (16 x 16) = one 16^3 cube per core, as the 910 preset
    freq_mhz=1500.0,               # assumption: 24 x 4096 MAC x 2 x 1.5 GHz ~ 295 TFLOPS; see mac_rate
    mac_rate={"fp16": 1.275, "bf16": 1.275, "int8": 2.55},  # scales the peak to 376 / 752 T (assumption)
    memory_bandwidth_gbps=1600.0,  # assumption (see above)
    l2_bytes=96 << 20,             # assumption
    source="one Ascend 910C die (assumptions from Zuo et al., arXiv 2506.12708, 2025; and ascend-910-like)",
)

DGX_H100 = SystemDesign(
    name="dgx-h100", chip=NPU_PRESETS["h100-sxm5-80gb"],
    topology=Switch(num_devices=8, link=NVLINK4, hops=2, step_overhead_us=1.5, launch_us=8.0,
                    algorithms=("ring", "tree")),  # NCCL without NVLink SHARP (NCCL_NVLS_ENABLE=0)
    source="NVIDIA DGX H100 user guide: 8 x H100 SXM5, 4 NVSwitch (NVLink 4, 900 GB/s per GPU); "
           "link parameters: see archsim/arch/system/_presets.py",
)
DGX_A100 = SystemDesign(
    name="dgx-a100", chip=NPU_PRESETS["a100-sxm4-80gb"],
    topology=Switch(num_devices=8, link=NVLINK3, hops=2, step_overhead_us=1.5, launch_us=8.0,
                    algorithms=("ring", "tree")),
    source="NVIDIA DGX A100 user guide: 8 x A100 SXM4, 6 NVSwitch (NVLink 3, 600 GB/s per GPU)",
)
TPU_V4_64 = SystemDesign(
    name="tpu-v4-64", chip=NPU_PRESETS["tpu-v4-like"],
    topology=Torus(dims=(4, 4, 4), link=ICI_V4, step_overhead_us=1.0, launch_us=5.0),
    source="Jouppi et al., TPU v4, ISCA 2023: 4x4x4 cube (64 chips) of a 3D-torus ICI slice",
)
CLOUDMATRIX384 = SystemDesign(
    name="cloudmatrix384", chip=ASCEND_910C_DIE,
    # 384 Ascend 910C = 768 dies on the UB fabric; a message crosses NPU -> L1 UB switch -> L2 -> L1 -> NPU
    # (4 links: assumption) at the die's full port bandwidth (non-blocking: [CM384]).
    topology=Bus(num_devices=768, link=UB_DIE, hops=4, step_overhead_us=2.0, launch_us=10.0,
                 algorithms=("ring", "tree", "direct")),
    source="Zuo et al., Serving Large Language Models on Huawei CloudMatrix384, arXiv 2506.12708 (2025); "
           "dies as NPUs, link and chip numbers partly assumptions (see _presets.py)",
)

IB_NDR = Link(
    bandwidth_gbps=50.0,  # ConnectX-7 NDR: 400 Gb/s = 50 GB/s per direction per GPU (one NIC per GPU in DGX H100)
    efficiency=48.5 / 50.0,  # "CX-7 NICs at NDR rate (400Gbps) should achieve up to 48-49GB/s per NIC" (NVIDIA,
    #                         NVIDIA/nccl-tests issue #267, 2025-01-23)
    latency_us=1.0, pj_per_bit=_SERDES, name="ib-ndr",
    source="NVIDIA DGX H100 user guide (8 x ConnectX-7 400 Gb/s); efficiency: NVIDIA/nccl-tests#267; latency "
           "per hop and pJ/bit (electrical SerDes, optics excluded): assumptions")
DGX_H100_X2 = SystemDesign(
    name="dgx-h100x2", chip=NPU_PRESETS["h100-sxm5-80gb"],
    topology=TwoLevel(nodes=2, per_node=8, intra=NVLINK4, inter=IB_NDR, inter_hops=4, rail_optimized=True,
                      step_overhead_us=1.5, launch_us=8.0, algorithms=("ring", "tree", "hierarchical")),
    source="2 x NVIDIA DGX H100 on a rail-optimized NDR InfiniBand fabric (DGX SuperPOD reference architecture)",
)

SYSTEM_PRESETS: dict[str, SystemDesign] = {d.name: d for d in (DGX_H100, DGX_A100, DGX_H100_X2, TPU_V4_64,
                                                               CLOUDMATRIX384)}
