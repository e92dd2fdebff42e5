"""H100 cross-validation: archsim's ``h100-sxm5-80gb`` preset vs the H100 measurements in validation/data/h100.

* GEMMs (``gemm.csv``, graph replay): shapes are sorted per precision by FLOPs and alternately dealt into a
  *fit* half and a *held-out* half; the fitted parameters, ``kernel_floor_ns`` (one value for every shape and
  precision) and ``mac_efficiency`` (one value per tensor-core precision: bf16, fp16, fp8, tf32), are chosen
  on the fit half (:func:`fit_parameters`); errors are reported on the held-out half.  The other H100
  parameters are datasheet values, cited assumptions or direct measurements (DRAM efficiency from the read
  stream and DRAM latency from the copies of ``bandwidth.csv``: :func:`copy_stream_fit`), never fitted to GEMMs.
* Decoder layers (``layers.csv``, measured separately: a whole Llama layer in one CUDA graph) are predicted
  from archsim's own trace of one layer (:func:`predict_layer`) and are never used for fitting.

Used by ``benchmarks/bench_h100.py`` (prints predicted vs measured per row) and ``validation/test_h100.py``.
"""

from __future__ import annotations

import csv
import dataclasses
import statistics
from pathlib import Path

import numpy as np

from archsim.workloads import Op, build_trace

DATA = Path(__file__).resolve().parent / "data" / "h100"
#: measured dtype -> (a, b, out) archsim precisions (fp8: torch._scaled_mm e4m3 inputs, bf16 output)
PRECISION = {"bf16": ("bf16", "bf16", "bf16"), "fp16": ("fp16", "fp16", "fp16"),
             "fp8": ("fp8_e4m3", "fp8_e4m3", "bf16"), "tf32": ("tf32", "tf32", "fp32"),
             "fp32": ("fp32", "fp32", "fp32")}


def load_gemms(path: Path = DATA / "gemm.csv") -> list[dict]:
    """Return the measured GEMM rows (``dtype, M, K, N, us``); rows with an error are dropped, and a shape
    measured twice (8192^3 is both a square and an LLM shape) keeps its first measurement."""
    out, seen = [], set()
    with open(path) as f:
        for r in csv.DictReader(f):
            key = (r["dtype"], r["M"], r["K"], r["N"])
            if r.get("error") or not r.get("us_median") or key in seen:
                continue
            seen.add(key)
            out.append({"dtype": r["dtype"], "M": int(r["M"]), "K": int(r["K"]), "N": int(r["N"]),
                        "us": float(r["us_median"])})
    return out


def split_halves(rows: list[dict]) -> tuple[list[dict], list[dict]]:
    """Return (fit, held_out): per precision, shapes sorted by (FLOPs, M, K, N), alternately dealt."""
    fit, held = [], []
    for dt in sorted({r["dtype"] for r in rows}):
        rs = sorted((r for r in rows if r["dtype"] == dt), key=lambda r: (r["M"] * r["K"] * r["N"], r["M"], r["K"]))
        fit += rs[0::2]
        held += rs[1::2]
    return fit, held


def design(**overrides):
    """Return the H100 preset in graph execution (the measurements' mode), with ``overrides``."""
    from archsim.arch.npu import get_npu_design

    return get_npu_design("h100-sxm5-80gb").replace(execution="graph", **overrides)


def predict_gemm_us(d, row: dict) -> float:
    """Return archsim's time of one measured GEMM row, µs."""
    a, b, o = PRECISION[row["dtype"]]
    m = row["M"]
    return d.run(Op("g", "gemv" if m == 1 else "gemm", m, row["K"], row["N"], 1, a, b, o)).seconds * 1e6


def errors(d, rows: list[dict]) -> list[dict]:
    """Return rows with ``pred_us`` and ``error`` ((pred - measured) / measured) added."""
    out = []
    for r in rows:
        p = predict_gemm_us(d, r)
        out.append({**r, "pred_us": p, "error": (p - r["us"]) / r["us"]})
    return out


#: tensor-core precisions whose sustained rate is measured (``mac_efficiency``): measured dtype -> archsim key
TENSOR = {"bf16": "bf16", "fp16": "fp16", "fp8": "fp8_e4m3", "tf32": "tf32"}


def _median_log_error(pred_us: np.ndarray, meas_us: np.ndarray) -> float:
    return float(np.median(np.abs(np.log(pred_us / meas_us))))


def fit_kernel_floor(rows: list[dict], grid_ns=tuple(range(0, 6001, 250)), **fields) -> float:
    """Return the ``kernel_floor_ns`` (on ``grid_ns``) minimising the median |log(pred / measured)| over
    ``rows`` (the fit half): one value for every shape and precision (the preset's other fields, or ``fields``)."""
    base = design(kernel_floor_ns=0.0, **fields)
    pred0 = np.array([predict_gemm_us(base, r) for r in rows])
    meas = np.array([r["us"] for r in rows])
    return float(min(grid_ns, key=lambda f: _median_log_error(pred0 + f / 1e3, meas)))


def efficiency_error(rows: list[dict], dtype: str, efficiency: float, **fields) -> float:
    """Return the median |log(pred / measured)| over the ``dtype`` rows of ``rows`` with that precision's
    ``mac_efficiency`` set to ``efficiency`` (the other fields as in the preset, or ``fields``)."""
    rs = [r for r in rows if r["dtype"] == dtype]
    eff = dict(fields.pop("mac_efficiency", design().mac_efficiency))
    d = design(mac_efficiency={**eff, TENSOR[dtype]: efficiency}, **fields)
    return _median_log_error(np.array([predict_gemm_us(d, r) for r in rs]), np.array([r["us"] for r in rs]))


#: the ``mac_efficiency`` values searched: 0.50, 0.51, ..., 1.00
EFFICIENCY_GRID = tuple(round(0.5 + 0.01 * i, 2) for i in range(51))


def fit_mac_efficiency(rows: list[dict], dtype: str, grid=EFFICIENCY_GRID, **fields) -> float:
    """Return the ``mac_efficiency`` of ``dtype``'s tensor-core precision (on ``grid``) minimising
    :func:`efficiency_error` over ``rows`` (the fit half): the sustained fraction of the datasheet tensor rate
    in GEMMs, one value per precision."""
    return float(min(grid, key=lambda e: efficiency_error(rows, dtype, e, **fields)))


def fit_parameters(rows: list[dict], rounds: int = 2) -> dict:
    """Return the fitted ``kernel_floor_ns`` and ``mac_efficiency`` (per tensor precision) on ``rows`` (the fit
    half) by coordinate descent from the preset: ``rounds`` x (floor, then each precision's efficiency)."""
    eff = dict(design().mac_efficiency)
    floor = design().kernel_floor_ns
    for _ in range(rounds):
        floor = fit_kernel_floor(rows, mac_efficiency=eff)
        for dt, key in TENSOR.items():
            eff[key] = fit_mac_efficiency(rows, dt, mac_efficiency=eff, kernel_floor_ns=floor)
        eff["fp8_e5m2"] = eff["fp8_e4m3"]  # same tensor-core path (assumption; only e4m3 is measured)
    return {"kernel_floor_ns": floor, "mac_efficiency": eff}


def copy_stream_fit(path: Path = DATA / "bandwidth.csv", lo: int = 16 << 20,
                    hi: int = 256 << 20) -> tuple[float, float]:
    """Return (fixed us, GB/s) of the least-squares line ``t = fixed + bytes moved / rate`` through the
    device-to-device copies of ``lo..hi`` bytes (bytes moved = 2 x size: read and written)."""
    with open(path) as f:
        rs = [r for r in csv.DictReader(f) if r["kind"] == "copy" and lo <= int(r["bytes"]) <= hi]
    b = np.array([2.0 * int(r["bytes"]) for r in rs])
    t = np.array([float(r["us_median"]) for r in rs])
    slope, fixed = np.polyfit(b, t, 1)
    return float(fixed), float(1.0 / slope / 1e3)


def load_launch(path: Path = DATA / "launch.csv") -> dict[str, float]:
    """Return ``{kind: graph-replay us per kernel}`` of ``launch.csv``."""
    with open(path) as f:
        return {r["kind"]: float(r["us_graph"]) for r in csv.DictReader(f)}


def summary(errs: list[dict]) -> dict[str, dict[str, float]]:
    """Return ``{dtype: {"n", "median", "max"}}`` of |error|."""
    out = {}
    for dt in sorted({r["dtype"] for r in errs}):
        e = [abs(r["error"]) for r in errs if r["dtype"] == dt]
        out[dt] = {"n": len(e), "median": statistics.median(e), "max": max(e)}
    return out


def load_layers(path: Path = DATA / "layers.csv") -> list[dict]:
    """Return the measured decoder-layer rows (``model, phase, batch, seq, context, us, us_eager``)."""
    with open(path) as f:
        return [{"model": r["model"], "phase": r["phase"], "batch": int(r["batch"]), "seq": int(r["seq"]),
                 "context": int(r["context"]), "us": float(r["us_median"]), "us_eager": float(r["us_eager"])}
                for r in csv.DictReader(f)]


def predict_layer_us(d, row: dict) -> float:
    """Return archsim's time of one decoder layer of ``row['model']`` (its trace's layer-0 ops), µs."""
    if row["phase"] == "prefill":
        tr = build_trace(row["model"], phase="prefill", batch=row["batch"], seq=row["seq"], collapse_layers=False)
    else:
        tr = build_trace(row["model"], phase="decode", batch=row["batch"], context=row["context"],
                         collapse_layers=False)
    ops = [dataclasses.replace(op, count=1) for op in tr if op.layer == 0]
    return d.run(ops).seconds * 1e6


def load_attention(path: Path = DATA / "attention.csv") -> list[dict]:
    """Return the measured SDPA rows (prefill and decode; ``us``)."""
    out = []
    with open(path) as f:
        for r in csv.DictReader(f):
            if not r.get("us_median"):
                continue
            out.append({"kind": r["kind"], "batch": int(r["batch"]), "heads": int(r["heads"]),
                        "kv_heads": int(r["kv_heads"]), "q_len": int(r["q_len"]), "kv_len": int(r["kv_len"]),
                        "d": int(r["d"]), "causal": r["causal"] == "True", "us": float(r["us_median"])})
    return out


def predict_attention_us(d, row: dict) -> tuple[float, str]:
    """Return (archsim's time of one measured SDPA row in µs, the decode partition chosen or '')."""
    g = row["heads"] // row["kv_heads"]
    prefill = row["kind"] == "prefill"
    phase = "decode" if not prefill else ("prefill" if row["causal"] else "none")
    bt = "act" if prefill else "kv"
    b, q, kv, dd = row["batch"], row["q_len"], row["kv_len"], row["d"]
    ops = [Op("attn.scores", "bmm", q * g, dd, kv, b * row["kv_heads"], "bf16", "bf16", "bf16", bt, phase=phase),
           Op("attn.softmax", "softmax", q, 1, kv, b * row["heads"], "bf16", "bf16", "bf16", "none", phase=phase),
           Op("attn.context", "bmm", q * g, kv, dd, b * row["kv_heads"], "bf16", "bf16", "bf16", bt, phase=phase)]
    res = d.run(ops)
    return res.seconds * 1e6, str(res.ops.iloc[0].get("decode_partition", "") or "")
