"""An HBM-PIM decode pool behind an H100 prefill pool: serving on hardware that does not exist yet.

    python examples/serving_pim_decode_pool.py     # ~1 minute on 2 cores

Disaggregated serving (Splitwise/DistServe): prompts run on an H100; their KV caches cross a 25 GB/s link to a
decode device that is an H100-class NPU whose memory is 5 HBM-PIM stacks (attention runs in the DRAM banks,
weight GEMMs on the NPU; NeuPIMs-style).  Compared with the same number of H100s colocated and with an
H100 decode pool.  Decode iterations on the NPU+PIM design use the batch's mean context (the design's model);
KV lengths are rounded up to 64 tokens (``bucket=64``) to keep the run short.
"""

from __future__ import annotations

from archsim.arch.npu import NpuPimDesign
from archsim.serving import Workload, serve

H100 = "h100-sxm5-80gb"


def main() -> None:
    pim = NpuPimDesign(name="h100-hbm-pim", npu=H100, pim="hbm-pim-dual", pim_devices=5, mode="npu+pim",
                       sub_batches=1)
    wl = Workload(requests=200, rate=3.0, lengths="azure-conv", seed=1)
    setups = {
        "2 x H100 colocated": ("vllm", {"replicas": 2}),
        "H100 prefill + H100 decode": ("disagg", {}),
        "H100 prefill + NPU/HBM-PIM decode": ("disagg", {"decode_design": pim}),
    }
    print(f"{'setup':<36}{'TTFT p50':>10}{'TTFT p99':>10}{'TPOT p50':>10}{'TPOT p99':>10}{'tok/s/dev':>11}"
          f"{'J/token':>9}")
    for label, (sched, opts) in setups.items():
        s = serve(H100, "llama2-7b", wl, sched, slo_ttft_s=1.0, slo_tpot_s=0.05, bucket=64, **opts).summary
        print(f"{label:<36}{s['ttft_p50_s']:>10.4f}{s['ttft_p99_s']:>10.4f}{s['tpot_p50_s']:>10.4f}"
              f"{s['tpot_p99_s']:>10.4f}{s['throughput_tokens_per_s'] / 2:>11.1f}{s['energy_j_per_token']:>9.3f}")


if __name__ == "__main__":
    main()
