"""Sweeps: design points x workloads, evaluated on a backend, stored point by point.

The sweeping process builds every design (cheap: a frozen dataclass), hashes the
full configuration of every (design, workload) point, reads the points already
in the store, and sends only the missing ones to the backend.  Each point that
finishes is written to the store at once, in the sweeping process, so killing
any process at any moment loses at most the points that were running.
"""

from __future__ import annotations

import dataclasses
import hashlib
import os
import sys
import time
import traceback
from collections import deque
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from archsim.core.errors import ConfigError
from archsim.study._space import grid_points
from archsim.study._store import ResultStore, canonical_json, config_hash, impossible_metric, roundtrip_row

BACKENDS = ("local", "dask")
#: Columns every sweep row has besides the parameters and the metrics.
WORKLOAD_COLUMN = "workload"
ERROR_COLUMN = "error"
KEY_COLUMN = "key"
#: How many times a point may be running alone in a worker that dies before it is recorded as failed.
_ALONE_CRASHES = 2

Metrics = Callable[[Any], Mapping[str, Any]]


# ---------------------------------------------------------------------------
# what a worker does
# ---------------------------------------------------------------------------
@dataclass
class _Context:
    """What every worker needs: the workloads and how to evaluate a point."""

    workloads: dict[str, Any]
    exact: bool = False
    metrics: Metrics | None = None
    evaluate: Callable[[Any, Any, bool], Any] | None = None

    def trace(self, name: str) -> Any:
        """Return the Trace of workload ``name`` (a spec is built once per process)."""
        workload = self.workloads[name]
        if not isinstance(workload, Mapping):
            return workload
        key = canonical_json(workload)
        cached = _SPEC_TRACES.get(key)
        if cached is None:
            cached = _build_workload(workload)
            if len(_SPEC_TRACES) >= 64:
                _SPEC_TRACES.pop(next(iter(_SPEC_TRACES)))
            _SPEC_TRACES[key] = cached
        return cached

    def only(self, name: str) -> _Context:
        """Return this context with only workload ``name`` (what one Dask task carries)."""
        return _Context({name: self.workloads[name]}, self.exact, self.metrics, self.evaluate)


#: Traces built from workload specs in this process, by canonical spec JSON.
_SPEC_TRACES: dict[str, Any] = {}
_WORKER_CONTEXT: _Context | None = None


def _init_worker(context: _Context, parent_pid: int | None = None) -> None:
    global _WORKER_CONTEXT
    _WORKER_CONTEXT = context
    if parent_pid is not None:
        _die_with_parent(parent_pid)


def _die_with_parent(parent_pid: int) -> None:
    """Make this worker process exit when the sweeping process dies (even by SIGKILL), so no orphan keeps
    computing: Linux ``prctl(PR_SET_PDEATHSIG, SIGKILL)``, elsewhere a daemon thread polling the parent."""
    import signal
    import threading

    if sys.platform.startswith("linux"):
        try:
            import ctypes

            libc = ctypes.CDLL(None, use_errno=True)
            if libc.prctl(1, int(signal.SIGKILL), 0, 0, 0) == 0:  # 1 = PR_SET_PDEATHSIG
                if os.getppid() != parent_pid:  # the parent died before prctl took effect
                    os._exit(1)
                return
        except (OSError, AttributeError):
            pass

    def watch() -> None:
        while True:
            time.sleep(1.0)
            if os.getppid() != parent_pid:
                os._exit(1)

    threading.Thread(target=watch, name="archsim-parent-watch", daemon=True).start()


def _pool_point(design: Any, workload: str) -> tuple[dict[str, Any], str | None, float]:
    if _WORKER_CONTEXT is None:  # pragma: no cover - the initializer always runs first
        raise RuntimeError("sweep worker has no context")
    return run_point(design, workload, _WORKER_CONTEXT)


def run_point(design: Any, workload: str, context: _Context) -> tuple[dict[str, Any], str | None, float]:
    """Return (metrics, error message or None, wall seconds) of ``design`` on ``workload``; never raises."""
    start = time.perf_counter()
    try:
        trace = context.trace(workload)
        if context.evaluate is not None:
            result = context.evaluate(design, trace, context.exact)
        else:
            result = _simulate(design, trace, context.exact)
        metrics = summary_metrics(result)
        if context.metrics is not None:
            metrics.update(context.metrics(result))
        return metrics, None, time.perf_counter() - start
    except Exception as exc:  # a failing point is a result, not a crash
        tb = traceback.extract_tb(exc.__traceback__)
        where = f" (at {Path(tb[-1].filename).name}:{tb[-1].lineno})" if tb else ""
        return {}, f"{type(exc).__name__}: {exc}{where}", time.perf_counter() - start


def _simulate(design: Any, trace: Any, exact: bool) -> Any:
    """Run ``design`` on ``trace`` and price it (``archsim.simulate``)."""
    from archsim import simulate

    return simulate(design, trace, exact=exact)


def _build_workload(workload: Any) -> Any:
    if isinstance(workload, Mapping):
        from archsim.workloads import build_trace  # lazy: only the worker needs the trace builder

        spec = dict(workload)
        model = spec.pop("model")
        return build_trace(model, **spec)
    return workload


def summary_metrics(result: Any) -> dict[str, Any]:
    """Return the scalar metrics of a Result: its summary (dicts flattened one level as ``key_sub``),
    plus, when the per-op table has them and the summary does not: ``utilization`` (cycle-weighted
    mean over ops) and ``energy_<component>_pj`` totals."""
    metrics: dict[str, Any] = {}
    for key, value in result.summary.items():
        if isinstance(value, Mapping):
            for sub, v in value.items():
                if _is_scalar(v):
                    metrics[f"{key}_{sub}"] = _scalar(v)
        elif _is_scalar(value):
            metrics[key] = _scalar(value)
    ops = result.ops
    if "utilization" not in metrics and {"utilization", "cycles"} <= set(ops.columns):
        cycles = ops["cycles"].astype(float)
        total = float(cycles.sum())
        metrics["utilization"] = float((ops["utilization"].astype(float) * cycles).sum() / total) if total else 0.0
    for col in ops.columns:
        if col.startswith("energy_") and col.endswith("_pj") and col != "energy_pj" and col not in metrics:
            metrics[col] = float(ops[col].astype(float).sum())
    return metrics


def _is_scalar(value: Any) -> bool:
    return value is None or isinstance(value, (bool, int, float, str)) or (
        hasattr(value, "item") and getattr(value, "ndim", 1) == 0
    )


def _scalar(value: Any) -> Any:
    return value.item() if hasattr(value, "item") else value


# ---------------------------------------------------------------------------
# the sweep
# ---------------------------------------------------------------------------
@dataclass
class _Point:
    index: int
    params: dict[str, Any]
    workload: str
    key: str
    config: dict[str, Any]
    design: Any = None
    error: str | None = None  # the design could not be built
    crashes: int = 0


def sweep(
    design_factory: Callable[..., Any],
    space: Mapping[str, Any] | Sequence[Mapping[str, Any]],
    workloads: Mapping[str, Any] | Sequence[Mapping[str, Any]],
    *,
    backend: str = "local",
    scheduler: str | None = None,
    store: str | Path | None = None,
    workers: int | None = None,
    progress: bool = True,
    exact: bool = False,
    metrics: Metrics | None = None,
    evaluate: Callable[[Any, Any, bool], Any] | None = None,
    retry_errors: bool = False,
) -> pd.DataFrame:
    """Return one row per (design point, workload): the parameters, ``workload``, the summary metrics
    (``total_cycles``, ``seconds``, ``energy_j``, ``area_mm2`` ...), ``error`` (None, or the message of
    the exception the point raised) and ``key`` (the configuration hash).

    Args:
        design_factory: called as ``design_factory(**params)`` for each point; returns a design with
            ``run(trace, exact=False) -> Result`` (a design class, ``functools.partial(load_design,
            "tpu-v1")`` ...).  Must be picklable for the process and Dask backends.
        space: a grid ``{param: [values, ...]}`` (cartesian product, last parameter fastest) or an
            explicit list of points, e.g. :func:`random_sample` output.
        workloads: ``{name: Trace | spec}`` where a spec is a dict ``{model, phase, batch, seq,
            context, ...}`` passed to :func:`archsim.workloads.build_trace` in the worker; or a list of
            specs (named ``model-phase`` plus the other fields).
        backend: ``"local"`` (process pool; in-process when ``workers == 1``) or ``"dask"``.
        scheduler: Dask scheduler address; ``None`` starts a ``LocalCluster`` with ``workers`` workers.
        store: SQLite result store; every finished point is committed at once and a re-run with the
            same store skips every stored point.  ``None``: no persistence.
        workers: worker processes (default: ``min(2, cpu count)``).
        progress: show a progress bar on stderr.
        exact: run the exact (cycle-stepped) model instead of the fast one.
        metrics: optional ``f(result) -> {name: scalar}`` adding columns to each row.
        evaluate: optional ``f(design, trace, exact) -> Result`` replacing ``archsim.simulate``.
        retry_errors: re-run points stored with an error instead of reusing them.

    A metric named like a parameter is dropped (the parameter's column wins).
    Row order is deterministic: design points in ``space`` order, workloads fastest.  Points whose
    full configuration (design class and every field, parameters, workload, archsim version, exact)
    is identical are evaluated once and appear once.  ``DataFrame.attrs`` holds ``computed``,
    ``reused``, ``failed`` and ``wall_s``.
    """
    start = time.perf_counter()
    if backend not in BACKENDS:
        raise ConfigError(f"backend must be one of {', '.join(BACKENDS)}, not {backend!r}")
    if workers is not None and (isinstance(workers, bool) or not isinstance(workers, int) or not 0 < workers <= 1024):
        raise ConfigError(f"workers must be a positive integer <= 1024 (one process each), not {workers!r}")
    if scheduler is not None and backend != "dask":
        raise ConfigError(f"scheduler needs backend 'dask', not {backend!r}")
    n_workers = workers or max(1, min(2, os.cpu_count() or 1))
    named = _named_workloads(workloads)
    param_sets = _param_sets(space)
    points = _make_points(design_factory, param_sets, named, exact, metrics, evaluate)

    rows: dict[str, dict[str, Any]] = {}
    db = ResultStore(store) if store is not None else None
    try:
        if db is not None:
            stored = db.get_many(p.key for p in points)
            params_of = {p.key: p.params for p in points}
            impossible = {k: bad for k, r in stored.items() if (bad := impossible_metric(r, params_of[k]))}
            if impossible:  # a tampered or corrupted row: never trusted, recomputed
                sys.stderr.write(
                    f"sweep: store {str(store)!r}: {len(impossible)} stored row(s) with an impossible metric "
                    f"(first: {next(iter(impossible.values()))}) are ignored and recomputed\n"
                )
                db.delete(impossible)
                for k in impossible:
                    del stored[k]
            if retry_errors:
                failed = [k for k, r in stored.items() if r.get(ERROR_COLUMN) is not None]
                db.delete(failed)
                for k in failed:
                    del stored[k]
            rows.update(stored)
        todo = [p for p in points if p.key not in rows]
        reused = len(points) - len(todo)

        if progress:
            where = backend if backend == "local" else f"dask {scheduler or 'LocalCluster'}"
            workers_txt = f" x{n_workers}" if scheduler is None else ""
            sys.stderr.write(
                f"sweep: {len(points)} points, {reused} from store, {len(todo)} to run on {where}{workers_txt}\n"
            )
        bar = _progress_bar(len(points), reused, progress)
        failed_count = 0

        def finish(point: _Point, metrics_row: dict[str, Any], error: str | None) -> None:
            nonlocal failed_count
            extra = {k: v for k, v in metrics_row.items() if k not in point.params and k != ERROR_COLUMN}
            row = {**point.params, WORKLOAD_COLUMN: point.workload, **extra, ERROR_COLUMN: error}
            bad = impossible_metric(row, point.params)
            if bad is not None:  # a model produced a number no hardware can: a failed point, not a result
                row = {**point.params, WORKLOAD_COLUMN: point.workload,
                       ERROR_COLUMN: f"SimulationError: impossible metric {bad}"}
                error = row[ERROR_COLUMN]
            row = roundtrip_row(row)
            rows[point.key] = row
            if db is not None:
                db.put(point.key, row, point.config)
            failed_count += error is not None
            if bar is not None:
                bar.update(1)
                if failed_count:
                    bar.set_postfix(failed=failed_count, refresh=False)

        runnable = []
        for p in todo:
            if p.error is not None:
                finish(p, {}, p.error)
            else:
                runnable.append(p)
        context = _Context({name: spec for name, spec in named.items()}, exact, metrics, evaluate)
        if runnable:
            if backend == "dask":
                _run_dask(runnable, context, finish, scheduler, n_workers)
            elif n_workers == 1:
                for p in runnable:
                    m, err, _ = run_point(p.design, p.workload, context)
                    finish(p, m, err)
            else:
                _run_pool(runnable, context, finish, n_workers)
        if bar is not None:
            bar.close()
    finally:
        if db is not None:
            db.close()

    df = _frame(points, rows)
    df.attrs.update(
        computed=len(todo),
        reused=reused,
        failed=int(df[ERROR_COLUMN].notna().sum()),
        wall_s=time.perf_counter() - start,
    )
    return df


def _progress_bar(total: int, initial: int, enabled: bool) -> Any:
    if not enabled:
        return None
    from tqdm import tqdm

    return tqdm(total=total, initial=initial, file=sys.stderr, unit="pt", desc="sweep", dynamic_ncols=True)


def _named_workloads(workloads: Any) -> dict[str, Any]:
    from archsim.workloads import Trace

    if isinstance(workloads, Trace) or isinstance(workloads, Mapping) and "model" in workloads:
        raise ConfigError("workloads must be a mapping of name -> Trace or spec, or a list of specs, not a single one")
    if isinstance(workloads, Mapping):
        items = list(workloads.items())
    elif isinstance(workloads, Sequence) and not isinstance(workloads, str):
        items = [(_spec_name(w), w) for w in workloads]
    else:
        raise ConfigError(f"workloads must be a mapping of name -> Trace or spec, not {workloads!r}")
    if not items:
        raise ConfigError("workloads must not be empty")
    named: dict[str, Any] = {}
    for name, w in items:
        if not isinstance(name, str) or not name:
            raise ConfigError(f"workload names must be non-empty strings, not {name!r}")
        if name in named:
            raise ConfigError(f"workload name {name!r} appears twice")
        if isinstance(w, Mapping):
            if "model" not in w:
                raise ConfigError(f"workloads.{name} must have a 'model' key, not {dict(w)!r}")
            named[name] = dict(w)
        elif isinstance(w, Trace) or isinstance(getattr(w, "df", None), pd.DataFrame):
            named[name] = w  # a Trace, or a workload object for a custom evaluate (identified by its .df table)
        else:
            raise ConfigError(f"workloads.{name} must be a Trace or a spec dict with 'model', not {type(w).__name__}")
    return named


def _spec_name(spec: Any) -> str:
    if not isinstance(spec, Mapping) or "model" not in spec:
        raise ConfigError(f"each workload in a list must be a spec dict with 'model', not {spec!r}")
    parts = [str(spec["model"])]
    if "phase" in spec:
        parts.append(str(spec["phase"]))
    parts += [f"{k}{v}" for k, v in spec.items() if k not in ("model", "phase")]
    return "-".join(parts)


def _param_sets(space: Any) -> list[dict[str, Any]]:
    if isinstance(space, Mapping):
        sets = grid_points(space)
    elif isinstance(space, Sequence) and not isinstance(space, str):
        sets = [dict(p) for p in space]
        if not sets or not all(isinstance(p, Mapping) for p in space):
            raise ConfigError("space must be a grid mapping or a non-empty list of parameter dicts")
    else:
        raise ConfigError(f"space must be a grid mapping or a list of parameter dicts, not {space!r}")
    for p in sets:
        for reserved in (WORKLOAD_COLUMN, ERROR_COLUMN, KEY_COLUMN):
            if reserved in p:
                raise ConfigError(f"parameter name {reserved!r} is reserved for the sweep table")
    return sets


def _identity(obj: Any) -> Any:
    """Return a stable, JSON-able name of a callable: ``module.qualname``; a ``functools.partial``
    adds its arguments (callables among them named the same way, never by their memory address)."""
    target = obj
    while hasattr(target, "func") and hasattr(target, "args"):  # functools.partial
        target = target.func
    name = getattr(target, "__qualname__", None) or type(target).__qualname__
    module = getattr(target, "__module__", None) or type(target).__module__
    ident = f"{module}.{name}"
    if target is obj:
        return ident
    args = [_identity(a) if callable(a) else a for a in getattr(obj, "args", ())]
    kwargs = {k: _identity(v) if callable(v) else v for k, v in getattr(obj, "keywords", {}).items()}
    return {"callable": ident, "args": args, "kwargs": kwargs}


def _design_fields(design: Any) -> Any:
    to_dict = getattr(design, "to_dict", None)
    if callable(to_dict):
        return to_dict()
    if dataclasses.is_dataclass(design) and not isinstance(design, type):
        return dataclasses.asdict(design)
    return repr(design)


def _workload_identity(workload: Any) -> dict[str, Any]:
    if isinstance(workload, Mapping):
        return {"spec": dict(workload)}
    digest = hashlib.sha256(workload.df.to_csv(index=False).encode()).hexdigest()
    return {"trace_sha256": digest}


def _make_points(factory, param_sets, named, exact, metrics, evaluate) -> list[_Point]:
    import archsim

    wl_ids = {name: _workload_identity(w) for name, w in named.items()}
    points: list[_Point] = []
    seen: set[str] = set()
    for params in param_sets:
        design, error = None, None
        try:
            design = factory(**params)
            design_id: dict[str, Any] = {"class": _identity(type(design)), "fields": _design_fields(design)}
        except Exception as exc:  # a point whose design cannot be built is recorded as failed
            error = f"{type(exc).__name__}: {exc}"
            design_id = {"factory": _identity(factory)}
        for name in named:
            config = {
                "design": design_id,
                "params": params,
                "workload": {"name": name, **wl_ids[name]},
                "archsim_version": archsim.__version__,
                "exact": bool(exact),
                "metrics": None if metrics is None else _identity(metrics),
                "evaluate": None if evaluate is None else _identity(evaluate),
            }
            key = config_hash(config)
            if key in seen:
                continue
            seen.add(key)
            points.append(_Point(len(points), params, name, key, config, design, error))
    return points


def _frame(points: list[_Point], rows: dict[str, dict[str, Any]]) -> pd.DataFrame:
    records = []
    columns: dict[str, None] = {}
    for p in points:
        for name in p.params:
            columns.setdefault(name, None)
    columns.setdefault(WORKLOAD_COLUMN, None)
    for p in points:
        row = rows[p.key]
        for name in row:
            columns.setdefault(name, None)
        records.append({**row, KEY_COLUMN: p.key})
    columns.pop(ERROR_COLUMN, None)
    order = [*columns, ERROR_COLUMN, KEY_COLUMN]
    df = pd.DataFrame.from_records(records, columns=order)
    for col in df.columns:
        if col not in (ERROR_COLUMN, KEY_COLUMN):
            df[col] = _typed(df[col])
    df[ERROR_COLUMN] = df[ERROR_COLUMN].astype(object).where(df[ERROR_COLUMN].notna(), None)
    return df


def _typed(column: pd.Series) -> pd.Series:
    """Return ``column`` with one value type, so CSV and Parquet writers accept it: ints and floats mixed
    become floats; any other mix (e.g. a grid of ``[64, "auto"]``, lists, dicts) becomes strings (JSON
    for containers); missing values stay missing."""
    if column.dtype != object:
        return column
    values = column[column.notna()]
    kinds = {type(v) for v in values}
    if len(kinds) <= 1 and not kinds & {list, dict}:
        return column
    if kinds <= {int, float}:
        return column.astype(float)
    import json

    def text(v: Any) -> Any:
        if v is None or (isinstance(v, float) and v != v):
            return None
        return json.dumps(v, sort_keys=True, default=str) if isinstance(v, (list, dict)) else str(v)

    return column.map(text).astype(object)


# ---------------------------------------------------------------------------
# backends
# ---------------------------------------------------------------------------
def _pool(n_workers: int, context: _Context) -> ProcessPoolExecutor:
    import multiprocessing

    method = "fork" if "fork" in multiprocessing.get_all_start_methods() else None
    ctx = multiprocessing.get_context(method)
    return ProcessPoolExecutor(
        max_workers=n_workers, mp_context=ctx, initializer=_init_worker, initargs=(context, os.getpid())
    )


def _run_pool(points: list[_Point], context: _Context, finish, n_workers: int) -> None:
    """Evaluate ``points`` on a process pool; a dead worker's points are retried, the one that kills its
    worker while running alone (twice) is recorded as failed."""
    pending = deque(points)
    suspects: deque[_Point] = deque()
    inflight: dict[Any, tuple[_Point, bool]] = {}
    pool = _pool(n_workers, context)
    try:
        while pending or suspects or inflight:
            if suspects:
                if not inflight:
                    p = suspects.popleft()
                    inflight[pool.submit(_pool_point, p.design, p.workload)] = (p, True)
            else:
                while pending and len(inflight) < 2 * n_workers:
                    p = pending.popleft()
                    inflight[pool.submit(_pool_point, p.design, p.workload)] = (p, False)
            done, _ = wait(list(inflight), return_when=FIRST_COMPLETED)
            broken = False
            for f in done:
                if isinstance(f.exception(), BrokenProcessPool):
                    broken = True
            if broken:  # every other in-flight future is about to fail too
                wait(list(inflight))
                done = set(inflight)
            for f in done:
                p, alone = inflight.pop(f)
                exc = f.exception()
                if isinstance(exc, BrokenProcessPool):
                    if alone:
                        p.crashes += 1
                    if p.crashes >= _ALONE_CRASHES:
                        finish(p, {}, f"WorkerDied: the worker process died while running this point "
                                      f"{_ALONE_CRASHES} times (killed, crashed or out of memory)")
                    else:
                        suspects.append(p)
                elif exc is not None:  # pickling errors and the like
                    finish(p, {}, f"{type(exc).__name__}: {exc}")
                else:
                    m, err, _ = f.result()
                    finish(p, m, err)
            if broken:
                pool.shutdown(wait=False, cancel_futures=True)
                pool = _pool(n_workers, context)
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


def _run_dask(points: list[_Point], context: _Context, finish, scheduler: str | None, n_workers: int) -> None:
    try:
        from distributed import Client, LocalCluster, as_completed
    except ImportError:
        raise ConfigError('backend "dask" needs dask.distributed: pip install "archsim[dask]"') from None
    cluster = None
    if scheduler is None:
        cluster = LocalCluster(
            n_workers=n_workers, threads_per_worker=1, processes=True, dashboard_address=None, silence_logs=40
        )
        client = Client(cluster)
    else:
        try:
            client = Client(scheduler, timeout="20s")
        except OSError as exc:
            raise ConfigError(f"scheduler {scheduler!r} cannot be reached: {exc}") from None
    try:
        _dask_loop(client, points, context, finish, as_completed)
    finally:
        client.close()
        if cluster is not None:
            cluster.close()


def _dask_loop(client: Any, points: list[_Point], context: _Context, finish, as_completed) -> None:
    # Each task carries its own (small) workload instead of a scattered copy: scattered data dies
    # with the workers holding it, while a task's arguments survive a worker's death.
    by_future = {}
    for p in points:
        f = client.submit(run_point, p.design, p.workload, context.only(p.workload), pure=False)
        by_future[f] = p
    for f in as_completed(list(by_future)):
        p = by_future.pop(f)
        try:
            m, err, _ = f.result()
        except Exception as exc:  # KilledWorker after dask's own retries, or a lost connection
            m, err = {}, f"{type(exc).__name__}: {' '.join(str(exc).split())}"
        finish(p, m, err)
        f.release()
