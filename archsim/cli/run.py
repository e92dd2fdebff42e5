"""``archsim run``: a workload on a design, priced by archsim.cost (``archsim.simulate``)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from archsim.core.errors import ConfigError
from archsim.core.fields import parse_option_value

#: position in ``archsim --help``
HELP_ORDER = 20


def register(sub: argparse._SubParsersAction) -> None:
    """Add the ``run`` sub-command."""
    p = sub.add_parser("run", help="run a workload on a design")
    p.add_argument("--design", required=True, help="preset name (see `archsim designs`) or a .yaml/.json file")
    p.add_argument("--set", action="append", default=[], metavar="KEY=VALUE", help="override a design field")
    src = p.add_mutually_exclusive_group(required=True)
    src.add_argument("--model", help="transformer model preset (see `archsim models`) or HF config.json")
    src.add_argument("--gemm", help="M,K,N[,BATCH]: one GEMM (bmm when BATCH > 1)")
    src.add_argument("--trace", help="a trace file (.csv / .parquet)")
    try:
        from archsim.cli.workload import add_workload_options
    except ImportError:  # pragma: no cover - workloads CLI not present
        p.add_argument("--precision", default=None)
    else:
        add_workload_options(p)
    p.set_defaults(precision=None)  # --gemm: the design's precision; --model: bf16
    p.add_argument("--exact", action="store_true", help="cycle-stepped exact model (small shapes only)")
    p.add_argument("--json", action="store_true", help="print the summary as one JSON object")
    p.add_argument("--quiet", action="store_true", help="no progress bar (shown on stderr, when it is a terminal, "
                   "for runs over a few seconds)")
    p.add_argument("-o", "--output", help="write the per-op table (.csv or .parquet)")
    par = p.add_argument_group("multi-chip systems (e.g. dgx-h100; --tp is the workload's)")
    par.add_argument("--pp", type=int, default=None, help="pipeline stages")
    par.add_argument("--ep", type=int, default=None, help="expert-parallel degree (MoE)")
    par.add_argument("--micro-batches", type=int, default=None, help="micro-batches per pipeline step")
    par.add_argument("--overlap", type=float, default=None, help="fraction of communication hidden (0..1)")
    p.add_argument("--timeline", metavar="OUT.json",
                   help="write the run's schedule as a Perfetto / Chrome trace-event timeline (ui.perfetto.dev)")
    p.set_defaults(func=_run)


def parse_sets(items: list[str]) -> dict[str, Any]:
    """Return ``{key: value}`` from ``KEY=VALUE`` strings (values parsed as YAML scalars)."""
    out: dict[str, Any] = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise ConfigError(f"--set must be KEY=VALUE, not {item!r}")
        out[key.strip()] = parse_option_value(value, f"--set {key.strip()[:40]}")
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
    if args.timeline:
        if not args.timeline.endswith(".json"):
            raise ConfigError(f"timeline path must end in .json, not {args.timeline!r}")
        _check_output_dir(args.timeline)
    design = load_design(args.design, **parse_sets(args.set))
    parallel = {k: v for k, v in (("pp", getattr(args, "pp", None)), ("ep", getattr(args, "ep", None)),
                                  ("micro_batches", getattr(args, "micro_batches", None)),
                                  ("overlap", getattr(args, "overlap", None))) if v is not None}
    if parallel:
        if not hasattr(design, "topology"):
            flags = ", ".join("--" + k.replace("_", "-") for k in parallel)
            raise ConfigError(f"{flags} apply to multi-chip systems (e.g. dgx-h100), not {args.design!r}")
        design = design.replace(**parallel)
    if args.gemm:
        trace = _gemm_trace(args.gemm, args.precision, getattr(design, "a_precision", "bf16"))
    elif args.trace:
        from archsim.workloads import Trace

        trace = Trace.read(args.trace)
    else:
        from archsim.cli.workload import model_trace
        from archsim.workloads.cnn import CNN_MODELS

        if args.precision is None and args.model not in CNN_MODELS:
            args.precision = "bf16"
        _, trace = model_trace(args)
    print(f"running {len(trace)} ops on {getattr(design, 'name', 'design')}"
          f"{' (exact)' if args.exact else ''}", file=sys.stderr)
    from archsim import simulate
    from archsim.core.progress import progress

    with progress(len(trace), "run", unit="op", enabled=not args.quiet):
        result = simulate(design, trace, exact=args.exact)
    if args.output:
        result.write(args.output)
        print(f"wrote {len(result.ops)} rows to {args.output}", file=sys.stderr)
    if args.timeline:
        events = result.write_timeline(args.timeline)
        print(f"wrote {len(events['traceEvents'])} timeline events to {args.timeline}", file=sys.stderr)
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
