"""``archsim designs`` and ``archsim run``."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

import yaml

from archsim.core.errors import ConfigError
from archsim.core.fields import finite_json


def register(sub: argparse._SubParsersAction) -> None:
    """Add the ``designs`` and ``run`` sub-commands."""
    p = sub.add_parser("designs", help="design presets with their sources")
    p.add_argument("--json", action="store_true", help="print a JSON list")
    p.set_defaults(func=_designs)

    p = sub.add_parser("run", help="run a workload on a design")
    p.add_argument("--design", required=True, help="preset name (see `archsim designs`) or a .yaml/.json file")
    p.add_argument("--set", action="append", default=[], metavar="KEY=VALUE", help="override a design field")
    src = p.add_mutually_exclusive_group(required=True)
    src.add_argument("--model", help="transformer model preset (see `archsim models`) or HF config.json")
    src.add_argument("--gemm", help="M,K,N[,BATCH]: one GEMM (bmm when BATCH > 1)")
    src.add_argument("--trace", help="a trace file (.csv / .parquet)")
    try:
        from archsim.workloads._cli import add_workload_options
    except ImportError:  # pragma: no cover - workloads CLI not present
        p.add_argument("--precision", default=None)
    else:
        add_workload_options(p)
    p.set_defaults(precision=None)  # --gemm: the design's precision; --model: bf16
    p.add_argument("--exact", action="store_true", help="cycle-stepped exact model (small shapes only)")
    p.add_argument("--json", action="store_true", help="print the summary as one JSON object")
    p.add_argument("-o", "--output", help="write the per-op table (.csv or .parquet)")
    p.set_defaults(func=_run)


def _designs(args: argparse.Namespace) -> int:
    from archsim.arch.registry import list_designs

    rows = list_designs()
    if args.json:
        print(finite_json(rows))
        return 0
    width = max(len(r["name"]) for r in rows)
    for r in rows:
        print(f"{r['name']:<{width}}  {r['type']:<14}  {r['source']}")
    return 0


def parse_sets(items: list[str]) -> dict[str, Any]:
    """Return ``{key: value}`` from ``KEY=VALUE`` strings (values parsed as YAML scalars)."""
    out: dict[str, Any] = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise ConfigError(f"--set must be KEY=VALUE, not {item!r}")
        try:
            out[key.strip()] = yaml.safe_load(value) if value.strip() else value
        except yaml.YAMLError:
            out[key.strip()] = value
    return out


def _gemm_trace(spec: str, precision: str | None, default_precision: str):
    from archsim.workloads import PRECISIONS, Op, Trace

    parts = spec.split(",")
    try:
        dims = [int(x) for x in parts]
    except ValueError:
        raise ConfigError(f"--gemm must be M,K,N[,BATCH] of positive integers, not {spec!r}") from None
    if len(dims) not in (3, 4) or any(x <= 0 for x in dims):
        raise ConfigError(f"--gemm must be M,K,N[,BATCH] of positive integers, not {spec!r}")
    M, K, N = dims[:3]
    batch = dims[3] if len(dims) == 4 else 1
    p = precision or default_precision
    if p not in PRECISIONS:
        raise ConfigError(f"precision must be one of {', '.join(PRECISIONS)} for --gemm, not {p!r}")
    kind = "bmm" if batch > 1 else ("gemv" if M == 1 else "gemm")
    op = Op("gemm", kind, M, K, N, batch=batch, a_precision=p, b_precision=p, out_precision=p,
            b_tensor="act" if batch > 1 else "weight")
    return Trace.from_ops([op])


def simulate(design: Any, trace: Any, exact: bool = False):
    """Return ``design.run(trace, exact)`` priced by ``archsim.cost`` (``archsim.simulate`` when present)."""
    import archsim

    if hasattr(archsim, "simulate"):
        return archsim.simulate(design, trace, exact=exact)
    result = design.run(trace, exact=exact)
    try:
        from archsim.cost import price
    except ImportError:  # pragma: no cover
        return result
    ops, summ = price(result.ops, design.components(), node_nm=getattr(design, "node_nm", 28.0),
                      seconds=result.seconds)
    result.ops = ops
    for k, v in summ.items():
        if k not in ("seconds",) and not isinstance(v, (list, dict)):
            result.summary[k] = v
    return result


def _check_output_dir(path: str) -> None:
    """Raise :class:`ConfigError` (before any work) if the directory of output ``path`` does not exist."""
    parent = Path(path).parent
    if not parent.is_dir():
        raise ConfigError(f"output directory {str(parent)!r} does not exist")


def _run(args: argparse.Namespace) -> int:
    from archsim.arch.registry import load_design

    if args.output:  # fail before a possibly long run, not after it
        if not args.output.endswith((".csv", ".parquet")):
            raise ConfigError(f"output path must end in .csv or .parquet, not {args.output!r}")
        if args.output.endswith(".parquet"):
            from archsim.core.extras import require_parquet

            require_parquet()
        _check_output_dir(args.output)
    design = load_design(args.design, **parse_sets(args.set))
    if args.gemm:
        trace = _gemm_trace(args.gemm, args.precision, getattr(design, "a_precision", "bf16"))
    elif args.trace:
        from archsim.workloads import Trace

        trace = Trace.read(args.trace)
    else:
        from archsim.workloads import build_trace
        from archsim.workloads._cli import resolve_model, workload_kwargs

        if args.precision is None:
            args.precision = "bf16"
        trace = build_trace(resolve_model(args.model), **workload_kwargs(args))
    print(f"running {len(trace)} ops on {getattr(design, 'name', 'design')}"
          f"{' (exact)' if args.exact else ''}", file=sys.stderr)
    result = simulate(design, trace, exact=args.exact)
    if args.output:
        result.write(args.output)
        print(f"wrote {len(result.ops)} rows to {args.output}", file=sys.stderr)
    if args.json:
        print(result.to_json())
        return 0
    import pandas as pd

    cols = [c for c in ("name", "kind", "M", "K", "N", "batch", "count", "cycles", "compute_cycles",
                        "stall_ifmap_load_cycles", "stall_filter_load_cycles", "stall_ofmap_store_cycles",
                        "utilization", "dram_read_bytes") if c in result.ops.columns]
    with pd.option_context("display.max_rows", 60, "display.width", 200):
        print(result.ops[cols].to_string(index=False, float_format=lambda x: f"{x:.3f}"))
    s = result.summary
    print()
    for k in ("total_cycles", "seconds", "utilization", "throughput_tops", "energy_j", "power_w", "area_mm2"):
        if k in s and s[k] is not None:
            print(f"{k:>16}: {s[k]:.6g}" if isinstance(s[k], float) else f"{k:>16}: {s[k]}")
    return 0
