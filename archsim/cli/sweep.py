"""``archsim sweep FILE.yaml``."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from archsim.core.errors import ConfigError
from archsim.core.fields import finite_json

#: position in ``archsim --help``
HELP_ORDER = 50

#: Metrics printed on the terminal (every column is in the output file).
_SHOWN = ("total_cycles", "seconds", "utilization", "energy_j", "power_w", "area_mm2")


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("sweep", help="run a design-space sweep described in a YAML file (resumable)")
    p.add_argument("file", help="sweep file (YAML): design, grid or sample, workloads, ...")
    p.add_argument("--backend", choices=["local", "dask"], default=None, help="override the file's backend")
    p.add_argument("--scheduler", default=None, help="Dask scheduler address (default: a LocalCluster)")
    p.add_argument("--workers", type=int, default=None, help="worker processes (default 2)")
    p.add_argument("--store", default=None, help="result store (SQLite); default: the file's, else FILE.sqlite")
    p.add_argument("-o", "--output", default=None, help="results table (.parquet or .csv)")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.add_argument("--json", action="store_true", help="print one JSON object (counts, output path) on stdout")
    p.add_argument(
        "--allow-code",
        action="store_true",
        help="let design.class name any Python class: this IMPORTS AND RUNS the code it names "
        "(default: registered archsim designs only)",
    )
    p.set_defaults(func=_sweep)


def _sweep(args: argparse.Namespace) -> int:
    from archsim.core.progress import bar_enabled
    from archsim.study import load_sweep_config, sweep

    if Path(args.file).is_dir():
        raise ConfigError(f"sweep file {args.file!r} is a directory, not a YAML file")
    cfg = load_sweep_config(args.file, allow_code=args.allow_code)
    backend = args.backend or cfg.backend
    scheduler = args.scheduler or cfg.scheduler
    if scheduler is not None and backend != "dask":
        if args.scheduler is not None and args.backend is None:
            backend = "dask"  # --scheduler alone implies the Dask backend
        else:
            raise ConfigError(f"--scheduler needs --backend dask, not {backend!r}")
    output = Path(args.output) if args.output else cfg.output
    if output is None:  # .parquet needs pyarrow (the io extra); without it the default table is CSV
        import importlib.util

        output = Path(args.file).with_suffix(".parquet" if importlib.util.find_spec("pyarrow") else ".csv")
    if output.suffix not in (".parquet", ".csv"):
        raise ConfigError(f"output must end in .parquet or .csv, not {str(output)!r}")
    if output.suffix == ".parquet":
        from archsim.core.extras import require_parquet

        require_parquet()
    store = Path(args.store) if args.store else cfg.store or Path(args.file).with_suffix(".sqlite")
    _check_writable(output)  # before the first point, not after the last
    df = sweep(
        cfg.factory,
        cfg.space,
        cfg.workloads,
        backend=backend,
        scheduler=scheduler,
        store=store,
        workers=args.workers if args.workers is not None else cfg.workers,
        progress=bar_enabled(not args.quiet),  # off with --quiet or when stderr is not a terminal
        exact=cfg.exact,
    )
    try:
        if output.suffix == ".csv":
            df.to_csv(output, index=False)
        else:
            df.to_parquet(output, index=False)
    except OSError as exc:
        raise ConfigError(f"output {str(output)!r} cannot be written ({exc.strerror or exc}); every point is in the "
                          f"store {str(store)!r}: re-run with another -o") from None
    info = {
        "points": len(df),
        "computed": df.attrs["computed"],
        "reused": df.attrs["reused"],
        "failed": df.attrs["failed"],
        "wall_s": round(df.attrs["wall_s"], 3),
        "output": str(output),
        "store": str(store),
    }
    if args.json:
        print(finite_json(info))
    else:
        sys.stderr.write(
            f"sweep: {info['points']} rows ({info['computed']} computed, {info['reused']} from store, "
            f"{info['failed']} failed) in {info['wall_s']} s -> {output}\n"
        )
        metrics = [c for c in _SHOWN if c in df.columns]
        params = list(df.columns[: df.columns.get_loc("workload") + 1])
        shown = df[params + metrics + ["error"]]
        if shown["error"].isna().all():
            shown = shown.drop(columns="error")
        print(shown.head(20).to_string(index=False))
        if len(df) > 20:
            print(f"... {len(df) - 20} more rows in {output}")
    if len(df) and df["error"].notna().all():
        first = " ".join(str(df["error"].iloc[0]).split())
        sys.stderr.write(f"archsim: error: every point failed (first: {first})\n")
        return 1
    return 0


def _check_writable(output: Path) -> None:
    """Raise ConfigError unless ``output`` can be created (its folder made if missing) and written."""
    import os

    try:
        output.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ConfigError(f"output {str(output)!r}: its folder cannot be made ({exc.strerror or exc})") from None
    if output.is_dir() or not os.access(output.parent, os.W_OK) or (output.exists() and not os.access(output, os.W_OK)):
        raise ConfigError(f"output {str(output)!r} cannot be written (a folder, or no write permission)")
    if not output.exists():  # some file systems (/proc) pass the access check and refuse the file
        try:
            output.open("x").close()
            output.unlink()
        except OSError as exc:
            raise ConfigError(f"output {str(output)!r} cannot be written ({exc.strerror or exc})") from None
