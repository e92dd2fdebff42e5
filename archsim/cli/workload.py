"""``archsim models`` and ``archsim workload``."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from archsim.core.errors import ConfigError
from archsim.core.fields import finite_json

#: position in ``archsim --help``
HELP_ORDER = 10


def add_workload_options(p: argparse.ArgumentParser) -> None:
    """Add the transformer workload options shared by ``workload`` and ``run``."""
    p.add_argument("--phase", default="prefill", choices=["prefill", "decode", "chunked"],
                   help="prefill (batch x seq prompt), decode (one token per sequence, KV cache of --context), "
                        "chunked (a --seq prefill chunk batched with --decode-batch ongoing decodes)")
    p.add_argument("--batch", type=int, default=1, help="sequences in the batch (default 1)")
    p.add_argument("--seq", type=int, default=None, help="prompt / chunk length in tokens (prefill, chunked)")
    p.add_argument("--context", type=int, default=None, help="KV-cache length in tokens (decode, chunked)")
    p.add_argument("--decode-batch", type=int, default=None, help="ongoing decodes batched with the chunk")
    p.add_argument("--tp", type=int, default=1, help="tensor-parallel degree (trace is per device)")
    p.add_argument("--precision", default="bf16", help="bf16, fp16, fp32, fp8, w8a8, w4a16 ...")
    p.add_argument("--kv-precision", default=None, help="KV-cache precision (default: the activations')")
    p.add_argument("--prefix", type=int, default=None, help="chunked: tokens of the prompt already cached")
    p.add_argument("--lm-head", action="store_true", help="include the LM head GEMM")
    p.add_argument("--routing", default=None, help="MoE token routing: balanced (default), zipf, dirichlet")
    p.add_argument("--routing-seed", type=int, default=None, help="seed of skewed MoE routing")
    p.add_argument("--no-collapse", action="store_true", help="one row per layer (no `count` collapsing)")


def workload_kwargs(args: argparse.Namespace) -> dict:
    """Return the keyword arguments of :func:`archsim.workloads.build_trace` given on the command line."""
    kw = {"phase": args.phase, "batch": args.batch, "tp": args.tp, "precision": args.precision,
          "lm_head": args.lm_head}
    if args.no_collapse:
        kw["collapse_layers"] = False
    for name in ("seq", "context", "decode_batch", "kv_precision", "prefix", "routing", "routing_seed"):
        value = getattr(args, name)
        if value is not None:
            kw[name] = value
    return kw


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("models", help="list model presets with their source")
    p.add_argument("--json", action="store_true", help="print a JSON list")
    p.set_defaults(func=_models)

    p = sub.add_parser("workload", help="generate a transformer trace and summarize it")
    p.add_argument("model", help="model preset name (see `archsim models`; CNN presets: mobilenet-v1, "
                   "mobilenet-v2, resnet-50, vit-b16-patch) or a Hugging Face config.json")
    add_workload_options(p)
    p.add_argument("-o", "--output", help="write the trace (.csv, .parquet) or a SCALE-Sim topology (.scalesim.csv)")
    p.add_argument("--json", action="store_true", help="print totals as one JSON object")
    p.add_argument("--all-ops", action="store_true", help="print every op (default: first layer + totals)")
    p.set_defaults(func=_workload)


def model_trace(args: argparse.Namespace):
    """Return ``(name, trace)`` of ``--model``: a CNN preset (``archsim.workloads.cnn``: conv ops, ``--batch``
    images at ``--precision``) or a transformer preset / config.json (``build_trace`` with the workload options)."""
    from archsim.workloads.cnn import CNN_MODELS, cnn_trace

    if args.model in CNN_MODELS:
        return args.model, cnn_trace(args.model, batch=args.batch, precision=args.precision or "int8")
    from archsim.workloads import build_trace

    model = resolve_model(args.model)
    return model.name, build_trace(model, **workload_kwargs(args))


def resolve_model(name: str):
    """Return the ModelConfig named ``name`` (a preset) or read from a local config.json path."""
    from archsim.workloads import get_model

    return get_model(name)


def _models(args: argparse.Namespace) -> int:
    from archsim.workloads.models import models_table

    rows = models_table()
    if args.json:
        print(finite_json(rows))
        return 0
    width = max(len(r["name"]) for r in rows)
    print(f"{'name':<{width}}  {'layers':>6} {'hidden':>6} {'heads':>5} {'kv':>3} {'experts':>7} {'params':>8}  source")
    for r in rows:
        print(f"{r['name']:<{width}}  {r['layers']:>6} {r['hidden']:>6} {r['heads']:>5} {r['kv_heads']:>3} "
              f"{r['experts'] or '-':>7} {r['published_params'] / 1e9:>7.3g}B  {r['source']}")
    from archsim.workloads.cnn import CNN_MODELS

    print("\nCNN presets (conv ops; --batch images at --precision):")
    for name, (_, source, _) in CNN_MODELS.items():
        print(f"{name:<{width}}  {source}")
    return 0


def _check_output_dir(path: str) -> None:
    """Raise :class:`ConfigError` (before any work) if the directory of output ``path`` does not exist."""
    parent = Path(path).parent
    if not parent.is_dir():
        raise ConfigError(f"output directory {str(parent)!r} does not exist")


def _workload(args: argparse.Namespace) -> int:
    import pandas as pd

    from archsim.workloads import summarize, totals

    if args.output:
        _check_output_dir(args.output)
    model_name, trace = model_trace(args)
    if args.output:
        out = args.output
        if out.endswith(".scalesim.csv"):
            from archsim.workloads.scalesim import write_scalesim_gemm

            write_scalesim_gemm(trace, out)
        elif out.endswith((".csv", ".parquet")):
            trace.write(out)
        else:
            raise ConfigError(f"output must end in .csv, .parquet or .scalesim.csv, not {out!r}")
        print(f"wrote {len(trace)} ops to {out}", file=sys.stderr)
    tot = totals(trace)
    if args.json:
        print(finite_json({"model": model_name, **tot}))
        return 0
    s = summarize(trace)
    df = trace.df
    table = pd.concat([df[["name", "kind", "M", "K", "N", "batch", "count"]], s[["flops", "total_bytes",
                       "intensity_flop_per_byte"]]], axis=1)
    if not args.all_ops:
        first = df["layer"] <= df["layer"][df["layer"] >= 0].min() if (df["layer"] >= 0).any() else df["layer"] < 1e9
        table = table[first.to_numpy() | (df["layer"] < 0).to_numpy()]
    with pd.option_context("display.max_rows", 500, "display.width", 160):
        print(table.to_string(index=False, formatters={"flops": "{:.3e}".format, "total_bytes": "{:.3e}".format,
                                                       "intensity_flop_per_byte": "{:.1f}".format}))
    print()
    print(f"model {model_name}: {len(trace)} ops, {tot['flops']:.4e} FLOPs, weights {tot['weight_bytes'] / 2**30:.3f} "
          f"GiB, KV {tot['kv_bytes'] / 2**30:.3f} GiB, activations {tot['act_bytes'] / 2**30:.3f} GiB, "
          f"intensity {tot['intensity_flop_per_byte']:.1f} FLOP/B")
    return 0
