"""``archsim serve``: request-level LLM serving on a design (see docs/serving.md)."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from archsim.core.errors import ConfigError
from archsim.core.fields import finite_json, parse_option_value

#: keys every --json object has (the issue's contract), in this order first
JSON_KEYS = ("requests", "arrival_rate", "throughput_tokens_per_s", "ttft_p50_s", "ttft_p99_s", "tpot_p50_s",
             "tpot_p99_s", "e2e_p50_s", "e2e_p99_s", "goodput_rps", "mean_in_system", "energy_j_per_token")


def register(sub: argparse._SubParsersAction) -> None:
    """Add the ``serve`` sub-command."""
    p = sub.add_parser("serve", help="simulate LLM serving (requests, batching, TTFT/TPOT) on a design")
    p.add_argument("--design", help="design preset or .yaml/.json file")
    p.add_argument("--set", action="append", default=[], metavar="KEY=VALUE", help="override a design field")
    p.add_argument("--model", help="model preset (a decoder), e.g. llama2-7b")
    p.add_argument("--scenario", help="a YAML scenario file (see docs/serving.md); other flags override it")
    p.add_argument("--rate", type=float, help="arrival rate, requests/s")
    p.add_argument("--requests", type=int, help="number of requests (default 1000; with --trace: the first N)")
    p.add_argument("--arrival", default=None, help="poisson (default) | gamma | uniform")
    p.add_argument("--cv", type=float, default=None, help="coefficient of variation of gamma arrivals")
    p.add_argument("--clients", type=int, default=None, help="closed loop: this many clients (no --rate)")
    p.add_argument("--think", type=float, default=None, help="closed-loop think time, s")
    p.add_argument("--trace", help="replay a CSV (arrival_s,prompt_tokens,output_tokens or the Azure trace columns)")
    p.add_argument("--lengths", default=None, help="fixed | uniform | zipf | azure-conv | azure-code")
    p.add_argument("--prompt-tokens", type=int, default=None, help="prompt length (fixed) or mean")
    p.add_argument("--output-tokens", type=int, default=None, help="output length (fixed) or mean")
    p.add_argument("--seed", type=int, default=None, help="seed of arrivals and lengths (default 0)")
    p.add_argument("--scheduler", default=None, help="static | vllm | sarathi | disagg | neupims (default vllm)")
    p.add_argument("--chunk", type=int, default=None, help="sarathi: token budget per iteration")
    p.add_argument("--batch", type=int, default=None, help="static: requests per batch")
    p.add_argument("--max-num-seqs", type=int, default=None, help="most resident requests")
    p.add_argument("--preempt", default=None, help="recompute | swap")
    p.add_argument("--prefill-instances", type=int, default=None, help="disagg: prefill pool size")
    p.add_argument("--decode-instances", type=int, default=None, help="disagg: decode pool size")
    p.add_argument("--prefill-design", default=None, help="disagg: design of the prefill pool")
    p.add_argument("--decode-design", default=None, help="disagg: design of the decode pool")
    p.add_argument("--link-gbps", type=float, default=None, help="disagg: KV link bandwidth, GB/s")
    p.add_argument("--slo-ttft", type=float, default=None, help="TTFT SLO, s")
    p.add_argument("--slo-tpot", type=float, default=None, help="TPOT SLO, s")
    p.add_argument("--tp", type=int, default=None, help="tensor-parallel degree")
    p.add_argument("--precision", default=None, help="bf16 | fp16 | w8a8 | w4a16 | fp8 ...")
    p.add_argument("--replicas", type=int, default=None, help="identical instances (colocated)")
    p.add_argument("--memory-bytes", type=float, default=None, help="memory per device, bytes")
    p.add_argument("--block-tokens", type=int, default=None, help="tokens per KV block (default 16)")
    p.add_argument("--bucket", type=int, default=None, help="round KV lengths up to a multiple (approximation)")
    p.add_argument("--capacity", action="store_true", help="search the highest rate meeting the SLOs (90%%)")
    p.add_argument("--perfetto", help="write the iteration timeline (Chrome trace JSON)")
    p.add_argument("-o", "--output", help="write the per-request table (.csv or .parquet)")
    p.add_argument("--json", action="store_true", help="print the summary as one JSON object")
    p.add_argument("--quiet", action="store_true", help="no progress bar (shown on stderr, when it is a terminal, "
                   "for runs over a few seconds)")
    p.set_defaults(func=_serve)


def _sets(items: list[str]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise ConfigError(f"--set must be KEY=VALUE, not {item!r}")
        out[key.strip()] = parse_option_value(value, f"--set {key.strip()[:40]}")
    return out


def _serve(args: argparse.Namespace) -> int:
    from archsim.arch.registry import load_design
    from archsim.serving import capacity_search, read_trace, serve
    from archsim.serving.scenario import load_scenario

    sc: dict[str, Any] = load_scenario(args.scenario) if args.scenario else {}
    if sc.get("sweep"):
        raise ConfigError("--scenario with a sweep: use archsim.serving.run_scenario (or drop 'sweep')")
    design_name = args.design or sc.get("design")
    model = args.model or sc.get("model")
    if not design_name:
        raise ConfigError("--design is required (or a --scenario with design)")
    if not model:
        raise ConfigError("--model is required (or a --scenario with model)")
    design = load_design(design_name, **_sets(args.set))
    wl: dict[str, Any] = dict(sc.get("workload") or {})
    for flag, key in (("rate", "rate"), ("requests", "requests"), ("arrival", "arrival"), ("cv", "cv"),
                      ("clients", "clients"), ("think", "think_s"), ("lengths", "lengths"),
                      ("prompt_tokens", "prompt_tokens"), ("output_tokens", "output_tokens"), ("seed", "seed")):
        v = getattr(args, flag)
        if v is not None:
            wl[key] = v
    for k in ("rate",):
        if k in wl and wl[k] is not None and not wl[k] > 0:
            raise ConfigError(f"--rate must be a positive number of requests/s, not {wl[k]!r}")
    if args.prompt_tokens is not None or args.output_tokens is not None:
        wl.setdefault("lengths", "fixed")
    sched_opts: dict[str, Any] = dict(sc.get("scheduler_options") or {})
    for flag in ("chunk", "batch", "max_num_seqs", "preempt", "prefill_instances", "decode_instances",
                 "prefill_design", "decode_design", "link_gbps"):
        v = getattr(args, flag)
        if v is not None:
            sched_opts[flag] = v
    opts: dict[str, Any] = dict(sc.get("options") or {})
    for flag, key in (("tp", "tp"), ("precision", "precision"), ("replicas", "replicas"),
                      ("memory_bytes", "memory_bytes"), ("block_tokens", "block_tokens"), ("bucket", "bucket")):
        v = getattr(args, flag)
        if v is not None:
            opts[key] = v
    slo = sc.get("slo") or {}
    slo_ttft = args.slo_ttft if args.slo_ttft is not None else slo.get("ttft_s")
    slo_tpot = args.slo_tpot if args.slo_tpot is not None else slo.get("tpot_s")
    scheduler = args.scheduler or sc.get("scheduler") or "vllm"
    if args.trace:
        from archsim.workloads import get_model

        workload: Any = read_trace(args.trace, limit=wl.get("requests"), max_total=get_model(model).max_positions)
    else:
        if "rate" not in wl and not wl.get("clients"):
            raise ConfigError("--rate (requests/s) or --clients or --trace is required")
        wl.setdefault("requests", 1000)
        workload = wl
    if args.capacity:
        if args.trace:
            raise ConfigError("--capacity varies the arrival rate; it does not apply to --trace")
        wl.pop("rate", None)
        out = capacity_search(design, model, wl, scheduler, slo_ttft_s=slo_ttft, slo_tpot_s=slo_tpot,
                              **opts, **sched_opts)
        if args.json:
            print(finite_json(out))
        else:
            print(f"capacity: {out['capacity_rps']:.3f} requests/s")
            for p in out["points"]:
                print(f"  rate {p['rate']:.3f}: SLO attainment {p['slo_attainment']}")
        return 0
    from archsim.core.progress import progress

    n_requests = workload.get("requests") if isinstance(workload, dict) else len(workload)
    with progress(n_requests, "serve", unit="request", enabled=not args.quiet):
        res = serve(design, model, workload, scheduler, slo_ttft_s=slo_ttft, slo_tpot_s=slo_tpot, **opts,
                    **sched_opts)
    if args.perfetto:
        res.write_perfetto(args.perfetto)
        print(f"wrote {args.perfetto}", file=sys.stderr)
    if args.output:
        if args.output.endswith(".csv"):
            res.requests.to_csv(args.output, index=False)
        elif args.output.endswith(".parquet"):
            res.requests.to_parquet(args.output, index=False)
        else:
            raise ConfigError(f"output path must end in .csv or .parquet, not {args.output!r}")
    s = res.summary
    if args.json:
        obj = json.loads(res.to_json())
        ordered = {k: obj.get(k) for k in JSON_KEYS}
        ordered.update({k: v for k, v in obj.items() if k not in ordered})
        print(finite_json(ordered))
        return 0
    print(f"{s['design']} serving {s['model']} with {s['scheduler']}: {s['completed']}/{s['requests']} requests "
          f"({s['rejected']} rejected) in {s['duration_s']:.2f} s")
    for k in JSON_KEYS[1:] + ("slo_attainment", "kv_utilization_mean", "preemptions", "iterations"):
        v = s.get(k)
        print(f"  {k:<26} {v:.6g}" if isinstance(v, float) else f"  {k:<26} {v}")
    for note in s.get("energy_not_modelled") or ():
        print(f"  energy not priced: {note}")
    return 0
