"""Trace: an ordered table of ops, backed by a pandas DataFrame.

Dependency order is row order.  Traces round-trip through CSV and Parquet
without loss (same columns, dtypes and values).  Reading a malformed file
raises :class:`ConfigError` naming the file, the row (1-based data row) and the
column; nothing half-read is returned.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path

import numpy as np
import pandas as pd

from archsim.core.errors import ConfigError
from archsim.core.fields import short_repr
from archsim.workloads.op import (
    B_TENSORS,
    COLUMNS,
    INT_COLUMNS,
    KINDS,
    MAX_DIM,
    MAX_NAME_LEN,
    OPTIONAL_COLUMNS,
    PHASES,
    PRECISIONS,
    Op,
)

_CHOICES = {
    "kind": KINDS,
    "a_precision": PRECISIONS,
    "b_precision": PRECISIONS,
    "out_precision": PRECISIONS,
    "b_tensor": B_TENSORS,
    "phase": PHASES,
}


class Trace:
    """An ordered table of :class:`Op` rows.

    Build one with :meth:`from_ops`, :meth:`from_frame` or :meth:`read`; the
    table is available as :attr:`df` (a copy-on-read DataFrame with the columns
    of :data:`archsim.workloads.op.COLUMNS`).
    """

    def __init__(self, df: pd.DataFrame, *, source: str = "<frame>", meta: dict | None = None) -> None:
        self._df = _validated(df, source)
        self.meta: dict = dict(meta or {})

    # -- construction -------------------------------------------------
    @classmethod
    def from_ops(cls, ops: Iterable[Op], meta: dict | None = None) -> Trace:
        """Return a trace of ``ops`` in order."""
        rows = [op.to_dict() for op in ops]
        df = pd.DataFrame(rows, columns=list(COLUMNS))
        return cls(df, source="<ops>", meta=meta)

    @classmethod
    def from_frame(cls, df: pd.DataFrame, source: str = "<frame>") -> Trace:
        """Return a trace from a DataFrame with the trace columns (validated)."""
        return cls(df, source=source)

    @classmethod
    def read(cls, path: str | Path, precision: str | None = None) -> Trace:
        """Return the trace stored at ``path`` (``.csv`` or ``.parquet``).

        A CSV whose header is a SCALE-Sim topology (``Layer Name, M, N, K,`` GEMMs or ``Layer name,
        IFMAP Height, ...`` convolutions, e.g. a ``.scalesim.csv`` written by ``archsim workload``) is read
        with :mod:`archsim.workloads.scalesim`, its operands in ``precision`` (default int8, SCALE-Sim's
        1-byte words)."""
        from archsim.core.fields import path_exists

        if not path_exists(path, "trace file"):
            raise ConfigError(f"trace file {str(path)!r} does not exist")
        path = Path(path)
        if path.suffix == ".parquet":
            from archsim.core.extras import require_parquet

            require_parquet()
        scalesim = _scalesim_kind(path)
        if scalesim is not None:  # a SCALE-Sim topology (what `archsim workload -o x.scalesim.csv` writes)
            from archsim.workloads import scalesim as _ss

            reader = _ss.read_scalesim_gemm if scalesim == "gemm" else _ss.read_scalesim_conv
            return reader(path, precision=precision or "int8")
        try:
            if path.suffix == ".parquet":
                df = pd.read_parquet(path)
            elif path.suffix == ".csv":
                df = pd.read_csv(path, dtype=str, keep_default_na=False)
            else:
                raise ConfigError(f"trace file {str(path)!r} must end in .csv or .parquet")
        except ConfigError:
            raise
        except Exception as exc:  # parser errors of every kind
            raise ConfigError(f"trace file {str(path)!r} cannot be parsed: {exc}") from None
        return cls(df, source=str(path))

    # -- output -------------------------------------------------------
    def write(self, path: str | Path) -> None:
        """Write the trace to ``path`` (``.csv`` or ``.parquet``)."""
        path = Path(path)
        if path.suffix == ".parquet":
            from archsim.core.extras import require_parquet

            require_parquet()
            self._df.to_parquet(path, index=False)
        elif path.suffix == ".csv":
            self._df.to_csv(path, index=False)
        else:
            raise ConfigError(f"trace file {str(path)!r} must end in .csv or .parquet")

    # -- access -------------------------------------------------------
    @property
    def df(self) -> pd.DataFrame:
        """The op table (a copy: editing it does not change the trace)."""
        return self._df.copy()

    def __len__(self) -> int:
        return len(self._df)

    def __iter__(self) -> Iterator[Op]:
        for row in self._df.itertuples(index=False):
            yield Op(**{c: _py(getattr(row, c)) for c in COLUMNS})

    def __getitem__(self, i: int) -> Op:
        row = self._df.iloc[i]
        return Op(**{c: _py(row[c]) for c in COLUMNS})

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Trace) and self._df.equals(other._df)

    def __repr__(self) -> str:
        return f"Trace({len(self)} ops)"

    def concat(self, other: Trace) -> Trace:
        """Return this trace followed by ``other``."""
        return Trace(pd.concat([self._df, other._df], ignore_index=True), meta=self.meta)

    def summary(self) -> pd.DataFrame:
        """Return FLOPs, bytes and arithmetic intensity per op (see :func:`summarize`)."""
        from archsim.workloads.summary import summarize

        return summarize(self)


def as_ops(trace: Trace | Iterable[Op] | Op) -> list[Op]:
    """Return the ops of ``trace`` (a Trace, one Op or an iterable of Ops) as a non-empty list; ConfigError
    otherwise.  The one coercion every design's ``run`` uses (see also :func:`as_trace`)."""
    if isinstance(trace, Op):
        return [trace]
    if isinstance(trace, Trace):
        ops = list(trace)
    else:
        if isinstance(trace, (str, bytes)) or isinstance(trace, Mapping):
            raise ConfigError(f"trace must be a Trace, an Op or a list of Ops, not {type(trace).__name__}")
        try:
            ops = list(trace)  # type: ignore[arg-type]
        except TypeError:
            raise ConfigError(f"trace must be a Trace, an Op or a list of Ops, not {type(trace).__name__}") from None
        for o in ops:
            if not isinstance(o, Op):
                raise ConfigError(f"trace must contain Ops, not {type(o).__name__}")
    if not ops:
        raise ConfigError("trace must contain at least one op")
    return ops


def as_trace(trace: Trace | Iterable[Op] | Op) -> Trace:
    """Return ``trace`` as a non-empty :class:`Trace` (a Trace is returned as is, keeping its ``meta``)."""
    if isinstance(trace, Trace):
        as_ops(trace)
        return trace
    return Trace.from_ops(as_ops(trace))


def _py(value: object) -> object:
    return value.item() if isinstance(value, np.generic) else value


def _validated(df: pd.DataFrame, source: str) -> pd.DataFrame:
    if any(c not in df.columns for c in OPTIONAL_COLUMNS):
        df = df.copy()
        for c, default in OPTIONAL_COLUMNS.items():
            if c not in df.columns:
                df[c] = default
    missing = [c for c in COLUMNS if c not in df.columns]
    if missing:
        raise ConfigError(f"{source}: missing column(s) {', '.join(missing)}")
    out = pd.DataFrame(index=pd.RangeIndex(len(df)))
    for col in COLUMNS:
        values = df[col].tolist()
        if col in INT_COLUMNS:
            lowest = -1 if col == "layer" else 1
            out[col] = np.array([_parse_int(source, i, col, v, lowest) for i, v in enumerate(values)], dtype=np.int64)
        else:
            parsed = [_parse_str(source, i, col, v) for i, v in enumerate(values)]
            out[col] = pd.Series(parsed, dtype=object)
    bad_gemv = (out["kind"] == "gemv") & (out["M"] != 1)
    if bad_gemv.any():
        i = int(np.flatnonzero(bad_gemv.to_numpy())[0])
        raise ConfigError(f"{source}: row {i + 1}, column M: a gemv needs M = 1, not {out['M'][i]}")
    conv_rows = np.flatnonzero((out["kind"] == "conv").to_numpy() | (out["conv"] != "").to_numpy())
    if conv_rows.size:
        from archsim.workloads.op import Op

        for i in conv_rows:
            try:
                Op(**{c: _py(out[c][i]) for c in COLUMNS})
            except ConfigError as exc:
                raise ConfigError(f"{source}: row {i + 1}, column conv: {exc}") from None
    return out


def _parse_int(source: str, i: int, col: str, value: object, lowest: int) -> int:
    if isinstance(value, (bool, np.bool_)):
        parsed = None
    elif isinstance(value, (int, np.integer)):
        parsed = int(value)
    elif isinstance(value, (float, np.floating)) and np.isfinite(value) and float(value).is_integer():
        parsed = int(value)
    elif isinstance(value, str) and len(value) <= 40 and value.strip().lstrip("-").isascii() \
            and value.strip().lstrip("-").isdecimal():  # not "²" (isdigit, but int() refuses it)
        parsed = int(value.strip())
    else:
        parsed = None
    if parsed is None or parsed < lowest or parsed > MAX_DIM:
        what = "a positive integer" if lowest == 1 else "an integer >= -1"
        raise ConfigError(f"{source}: row {i + 1}, column {col}: must be {what} <= 2^53, not {short_repr(value)}")
    return parsed


def _parse_str(source: str, i: int, col: str, value: object) -> str:
    if col == "conv":
        if not isinstance(value, str) or len(value) > MAX_NAME_LEN:
            raise ConfigError(f"{source}: row {i + 1}, column conv: must be a string, not {short_repr(value)}")
        if value:
            from archsim.workloads.op import ConvShape

            try:
                ConvShape.parse(value)
            except ConfigError as exc:
                raise ConfigError(f"{source}: row {i + 1}, column conv: {exc}") from None
        return value
    if not isinstance(value, str) or (col == "name" and not value) or len(value) > MAX_NAME_LEN:
        raise ConfigError(f"{source}: row {i + 1}, column {col}: must be a non-empty string of at most "
                          f"{MAX_NAME_LEN} characters, not {short_repr(value)}")
    allowed = _CHOICES.get(col)
    if allowed is not None and value not in allowed:
        raise ConfigError(f"{source}: row {i + 1}, column {col}: must be one of {', '.join(allowed)}, "
                          f"not {short_repr(value)}")
    return value


def _scalesim_kind(path: Path) -> str | None:
    """``"gemm"`` / ``"conv"`` if ``path`` is a CSV starting with a SCALE-Sim topology header, else None."""
    if path.suffix != ".csv":
        return None
    try:
        with path.open(encoding="utf-8", errors="replace") as fh:
            head = fh.readline(4096).strip().lower().replace(" ", "")
    except OSError:
        return None
    if head.startswith("layername,m,n,k"):
        return "gemm"
    if head.startswith("layername,ifmapheight"):
        return "conv"
    return None
