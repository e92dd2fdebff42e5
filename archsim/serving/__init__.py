"""Request-level LLM serving on any archsim design: arrivals and lengths, an iteration-level engine whose costs
come from the design itself, schedulers (static, vLLM-style, Sarathi chunked prefill, disaggregated, NeuPIMs),
paged KV, TTFT/TPOT/goodput.  See docs/serving.md.

Public API::

    from archsim.serving import serve, Workload
    res = serve("h100-sxm5-80gb", "llama2-7b", Workload(requests=2000, rate=4, lengths="azure-conv"),
                "sarathi", chunk=512, slo_ttft_s=1, slo_tpot_s=0.1)
    res.summary, res.requests, res.iterations, res.schedule
"""

from archsim.serving.api import ServeResult, serve
from archsim.serving.capacity import capacity_search
from archsim.serving.iteration import IterationCost
from archsim.serving.kv import PagedKV, kv_bytes_per_token, memory_capacity, weight_bytes
from archsim.serving.requests import EMPIRICAL, Requests, Workload, read_trace
from archsim.serving.scenario import load_scenario, run_scenario
from archsim.serving.schedulers import get_scheduler, list_schedulers, register_scheduler

__all__ = ["EMPIRICAL", "IterationCost", "PagedKV", "Requests", "ServeResult", "Workload", "capacity_search",
           "get_scheduler", "kv_bytes_per_token", "list_schedulers", "load_scenario", "memory_capacity",
           "read_trace", "register_scheduler", "run_scenario", "serve", "weight_bytes"]
