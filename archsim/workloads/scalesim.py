"""SCALE-Sim GEMM topology CSV import and export.

SCALE-Sim v2/v3 ``-i gemm`` topology files have the header
``Layer Name, M, N, K,`` (note the trailing comma) and one layer per line.
SCALE-Sim reads ``M, N, K`` as an ``M x K`` input (ifmap) times a ``K x N``
filter matrix giving an ``M x N`` output, the same orientation as an archsim
:class:`~archsim.workloads.op.Op` (``C[M, N] = A[M, K] @ B[K, N]``).

Only matrix ops can be exported; ``batch`` and ``count`` are expanded into
repeated rows (SCALE-Sim has neither notion).
"""

from __future__ import annotations

import csv
from pathlib import Path

from archsim.core.errors import ConfigError
from archsim.workloads.op import Op
from archsim.workloads.trace import Trace

HEADER = ["Layer Name", " M", " N", " K", ""]


def read_scalesim_gemm(path: str | Path, *, precision: str = "int8") -> Trace:
    """Return a trace of ``gemm`` ops read from a SCALE-Sim GEMM topology CSV.

    Args:
        path: the CSV file (``Layer Name, M, N, K,``).
        precision: operand precision given to every op (SCALE-Sim has none).
    """
    path = Path(path)
    if not path.exists():
        raise ConfigError(f"topology file {str(path)!r} does not exist")
    with path.open(newline="") as fh:
        rows = [r for r in csv.reader(fh) if any(cell.strip() for cell in r)]
    if not rows:
        raise ConfigError(f"{path}: empty topology file")
    header = [c.strip().lower() for c in rows[0]]
    if header[:4] != ["layer name", "m", "n", "k"]:
        raise ConfigError(f"{path}: row 0: header must start with 'Layer Name, M, N, K', not {rows[0]!r}")
    ops = []
    for i, row in enumerate(rows[1:], start=1):
        cells = [c.strip() for c in row]
        if len(cells) < 4:
            raise ConfigError(f"{path}: row {i}: needs 4 fields (Layer Name, M, N, K), got {len(cells)}")
        name = cells[0] or f"layer{i}"
        dims = {}
        for col, text in zip(("M", "N", "K"), cells[1:4], strict=True):
            if not text.isdigit() or int(text) <= 0:
                raise ConfigError(f"{path}: row {i}, column {col}: must be a positive integer, not {text!r}")
            dims[col] = int(text)
        kind = "gemv" if dims["M"] == 1 else "gemm"
        ops.append(Op(name, kind, dims["M"], dims["K"], dims["N"], a_precision=precision,
                      b_precision=precision, out_precision=precision))
    return Trace.from_ops(ops)


def write_scalesim_gemm(trace: Trace, path: str | Path) -> int:
    """Write the matrix ops of ``trace`` as a SCALE-Sim GEMM topology CSV; return rows written.

    Vector ops are skipped (SCALE-Sim models only the array); ``batch`` and
    ``count`` are expanded to repeated rows named ``<name>#<i>``.
    """
    lines = [",".join(HEADER)]
    for op in trace:
        if not op.is_matrix:
            continue
        reps = op.batch * op.count
        for r in range(reps):
            name = op.name if reps == 1 else f"{op.name}#{r}"
            lines.append(f"{name.replace(',', '_')}, {op.M}, {op.N}, {op.K},")
    Path(path).write_text("\n".join(lines) + "\n")
    return len(lines) - 1


CONV_HEADER = ["layer name", "ifmap height", "ifmap width", "filter height", "filter width", "channels",
               "num filter", "strides"]


def read_scalesim_conv(path: str | Path, *, precision: str = "int8") -> Trace:
    """Return a trace of ``conv`` ops read from a SCALE-Sim convolution topology CSV.

    Header ``Layer name, IFMAP Height, IFMAP Width, Filter Height, Filter Width, Channels, Num Filter,
    Strides,`` (SCALE-Sim v2/v3 ``topologies/conv_nets``), optionally followed by ``Batch``.
    SCALE-Sim lists the ifmap already padded and computes ``ofmap = (ifmap - filter) // stride + 1``,
    so every op gets ``padding = 0``; it has no groups (a depthwise layer appears as ``Channels = 1``
    per filter and imports as such).
    """
    path = Path(path)
    if not path.exists():
        raise ConfigError(f"topology file {str(path)!r} does not exist")
    with path.open(newline="") as fh:
        rows = [r for r in csv.reader(fh) if any(cell.strip() for cell in r)]
    if not rows:
        raise ConfigError(f"{path}: empty topology file")
    header = [c.strip().lower() for c in rows[0] if c.strip()]
    if header[:8] != CONV_HEADER:
        raise ConfigError(f"{path}: row 0: header must start with 'Layer name, IFMAP Height, IFMAP Width, Filter "
                          f"Height, Filter Width, Channels, Num Filter, Strides', not {rows[0]!r}")
    has_batch = len(header) > 8 and header[8] == "batch"
    from archsim.workloads.op import conv_op

    ops = []
    cols = ("IFMAP Height", "IFMAP Width", "Filter Height", "Filter Width", "Channels", "Num Filter", "Strides")
    cols += ("Batch",) if has_batch else ()
    for i, row in enumerate(rows[1:], start=1):
        cells = [c.strip() for c in row]
        if len(cells) < 1 + len(cols):
            raise ConfigError(f"{path}: row {i}: needs {1 + len(cols)} fields, got {len(cells)}")
        vals = []
        for col, text in zip(cols, cells[1 : 1 + len(cols)], strict=True):
            if not text.isdigit() or int(text) <= 0:
                raise ConfigError(f"{path}: row {i}, column {col}: must be a positive integer, not {text!r}")
            vals.append(int(text))
        h, w, r, s, c, k, stride = vals[:7]
        n = vals[7] if has_batch else 1
        try:
            ops.append(conv_op(cells[0] or f"layer{i}", n, c, h, w, k, r, s, stride=stride, layer=i - 1,
                               a_precision=precision, b_precision=precision, out_precision=precision))
        except ConfigError as exc:
            raise ConfigError(f"{path}: row {i}: {exc}") from None
    return Trace.from_ops(ops)
