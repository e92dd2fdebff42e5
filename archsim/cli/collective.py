"""``archsim collective``: predicted time and bus bandwidth of one collective on a system's topology."""

from __future__ import annotations

import argparse
import sys

from archsim.core.errors import ConfigError
from archsim.core.fields import finite_json


def register(sub: argparse._SubParsersAction) -> None:
    """Add the ``collective`` sub-command."""
    from archsim.network import ALGORITHMS, OPS

    p = sub.add_parser("collective", help="predict one collective (all-reduce, all-gather ...) on a system")
    p.add_argument("--system", required=True, help="multi-chip system preset (e.g. dgx-h100) or .yaml file")
    p.add_argument("--op", required=True, choices=OPS)
    p.add_argument("--bytes", required=True, help="nccl-tests size in bytes (suffixes K, M, G = 2^10, 2^20, 2^30)")
    p.add_argument("--gpus", type=int, default=None, help="ranks (the first devices; default all)")
    p.add_argument("--algorithm", default="auto", choices=("auto",) + ALGORITHMS)
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.set_defaults(func=_run)


def _bytes(text: str) -> int:
    t = text.strip().upper().removesuffix("IB").removesuffix("B")
    scale = {"K": 1 << 10, "M": 1 << 20, "G": 1 << 30, "T": 1 << 40}.get(t[-1:], 1)
    digits = t[:-1] if scale > 1 else t
    if not digits.isdigit():
        raise ConfigError(f"bytes must be a non-negative integer (suffix K, M, G allowed), not {text!r}")
    return int(digits) * scale


def _run(args: argparse.Namespace) -> int:
    from archsim.arch.registry import load_design
    from archsim.network import choose, collective

    system = load_design(args.system)
    topo = getattr(system, "topology", None)
    if topo is None or not hasattr(topo, "route"):
        raise ConfigError(f"system must be a multi-chip system (e.g. dgx-h100), not {args.system!r}")
    size = _bytes(args.bytes)
    if args.gpus is not None and args.gpus < 1:
        raise ConfigError(f"gpus must be a positive integer, not {args.gpus}")
    r = collective(topo, args.op, size, args.gpus, args.algorithm)
    out = r.to_dict()
    out["system"] = getattr(system, "name", args.system)
    if args.json:
        print(finite_json(out, sort_keys=True))
        return 0
    for k in ("system", "op", "ranks", "size_bytes", "algorithm", "seconds", "algbw_gbps", "bus_bandwidth_gbps",
              "bytes_sent_per_device", "link_bytes", "max_link_utilization"):
        print(f"{k:>22}: {out[k]}")
    if args.algorithm == "auto":
        print("\nalgorithm choice (fastest first):", file=sys.stdout)
        for c in choose(topo, args.op, size, args.gpus):
            print(f"  {c['algorithm']:>12}: {c['seconds'] * 1e6:10.1f} us  busbw {c['busbw_gbps']:7.1f} GB/s")
    return 0
