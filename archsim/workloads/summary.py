"""Trace summary: FLOPs, bytes per tensor class and arithmetic intensity."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from archsim.workloads.op import MATRIX_KINDS, PRECISION_BYTES, VECTOR_FLOPS_PER_ELEMENT

if TYPE_CHECKING:
    from archsim.workloads.trace import Trace


def summarize(trace: Trace) -> pd.DataFrame:
    """Return one row per op with ``flops``, ``weight_bytes``, ``kv_bytes``,
    ``act_bytes`` (activations read and written), ``total_bytes`` and
    ``intensity_flop_per_byte``; all counts include the op's ``count``.

    Bytes are the compulsory traffic of the op (each operand read once, the
    output written once), i.e. the numerator of a roofline; a ``conv`` op's input is its
    ``n x c x h x w`` feature map (not the im2col matrix its GEMM shape implies).
    """
    df = trace.df
    count = df["count"].to_numpy(np.int64)
    batch = df["batch"].to_numpy(np.int64)
    m, k, n = (df[c].to_numpy(np.int64) for c in ("M", "K", "N"))
    is_matrix = df["kind"].isin(MATRIX_KINDS).to_numpy()
    a_b = df["a_precision"].map(PRECISION_BYTES).to_numpy(float)
    b_b = df["b_precision"].map(PRECISION_BYTES).to_numpy(float)
    o_b = df["out_precision"].map(PRECISION_BYTES).to_numpy(float)
    per_elem = df["kind"].map(VECTOR_FLOPS_PER_ELEMENT).fillna(0).to_numpy(np.int64)

    flops = np.where(is_matrix, 2 * m * k * n * batch, per_elem * m * n * batch) * count
    a_bytes = np.where(is_matrix, m * k, m * n) * batch * a_b * count
    conv = df["conv"].to_numpy() if "conv" in df else np.full(len(df), "")
    if (conv != "").any():  # a conv reads its input once (n c h w), not the im2col matrix
        from archsim.workloads.op import ConvShape

        idx = np.flatnonzero(conv != "")
        ins = np.array([(lambda sh: sh.n * sh.c * sh.h * sh.w)(ConvShape.parse(conv[i])) for i in idx], float)
        a_bytes = a_bytes.astype(float)
        a_bytes[idx] = ins * a_b[idx] * count[idx]
    b_elems = np.where(is_matrix, k * n, 0) * batch * b_b * count
    out_bytes = m * n * batch * o_b * count
    b_tensor = df["b_tensor"].to_numpy()
    weight_bytes = np.where(b_tensor == "weight", b_elems, 0.0)
    kv_bytes = np.where(b_tensor == "kv", b_elems, 0.0)
    act_bytes = a_bytes + out_bytes + np.where(b_tensor == "act", b_elems, 0.0)
    total = weight_bytes + kv_bytes + act_bytes
    return pd.DataFrame(
        {
            "name": df["name"],
            "kind": df["kind"],
            "layer": df["layer"],
            "phase": df["phase"],
            "flops": flops,
            "weight_bytes": weight_bytes,
            "kv_bytes": kv_bytes,
            "act_bytes": act_bytes,
            "total_bytes": total,
            "intensity_flop_per_byte": np.divide(flops, total, out=np.zeros(len(df)), where=total > 0),
        }
    )


def totals(trace: Trace) -> dict[str, float]:
    """Return the trace totals: ``flops``, ``weight_bytes``, ``kv_bytes``,
    ``act_bytes``, ``total_bytes``, ``intensity_flop_per_byte``, ``ops``."""
    s = summarize(trace)
    out = {c: float(s[c].sum()) for c in ("flops", "weight_bytes", "kv_bytes", "act_bytes", "total_bytes")}
    out["intensity_flop_per_byte"] = out["flops"] / out["total_bytes"] if out["total_bytes"] else 0.0
    out["ops"] = float(len(trace))
    return out
