"""The cost of one serving iteration on a design: the trace of that exact batch run through the design and priced
by :mod:`archsim.cost` (``archsim.simulate``), memoized.

Two ways to get the same number:

* ``whole``: :func:`archsim.workloads.batch.build_batch_trace` of the batch (every request's own context in
  attention), simulated, memoized on the batch's shape (the sorted per-request ``(q, cached, decode)``).
* ``pieces``: the same trace cut into independent pieces (:func:`archsim.workloads.batch.batch_pieces`: the
  token-parallel ops over ``T`` tokens, the LM head, one attention group per request), each simulated once
  and memoized on its own shape; the iteration costs their sum.  Valid only for designs whose run is the sum
  of independent per-op costs: ``decompose="auto"`` checks this on the design itself (two random mixed batches,
  cycles and energy equal to the whole-trace run) before using it, else falls back to ``whole``;
  tests/serving/test_iteration.py holds it to the whole-trace run on every NPU and systolic preset.

Approximations are explicit options, off by default: ``bucket`` rounds every request's KV length up to a
multiple of ``bucket`` tokens (error measured in tests/serving and benchmarks/bench_serving.py).

Ragged attention (``attention_kernel="ragged"``, default): the batch's attention is one kernel per layer over
all requests (vLLM PagedAttention / FlashAttention varlen), so a design's per-op launch cost is paid once per
layer, not once per request.  Each request's attention group is still simulated with its own context; the
launch stalls the design reports (``stall_launch_cycles``) for all but one attention group are taken off.
``"per_request"`` keeps them (the plain ``design.run`` of the batch trace).

NPU+PIM designs (``NpuPimDesign``) model a decode batch of uniform context only: decode-only iterations run the
whole design on a decode trace at the batch's mean KV length (rounded up; an approximation, labelled
``uniform_context`` in the result); iterations with prefill run on its NPU.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from archsim.core.errors import ConfigError
from archsim.workloads.batch import BatchSpec, batch_pieces, build_batch_trace
from archsim.workloads.op import Op

DECOMPOSE = ("auto", "pieces", "whole")
ATTENTION_KERNELS = ("ragged", "per_request")


@dataclass(frozen=True)
class Cost:
    """Cost of one iteration: ``seconds``, ``energy_j`` (None where the design has no cost model), ``macs``."""

    seconds: float
    energy_j: float | None
    macs: int


def _is_hetero(design: object) -> bool:
    return all(hasattr(design, a) for a in ("npu", "pim", "sub_batches", "mode"))


def peak_macs_per_s(design: object, precision: str = "bf16") -> float | None:
    """Return the design's peak MACs/s at ``precision`` (from ``peaks()`` or ``peak_tflops``), None if unknown."""
    if _is_hetero(design):
        design = design.npu  # type: ignore[attr-defined]
    if hasattr(design, "peaks"):
        try:
            flops = design.peaks()["flops_per_s"]
            return float(flops.get(precision) or max(flops.values())) / 2
        except Exception:  # a design without the contract yet
            pass
    if hasattr(design, "peak_tflops"):
        return design.peak_tflops(precision) * 1e12 / 2
    return None


class IterationCost:
    """Memoized iteration costs of ``design`` serving the model of ``spec``.

    Args:
        design: any archsim design.
        spec: model, tensor parallelism and formats (:class:`BatchSpec`).
        decompose: ``auto`` | ``pieces`` | ``whole`` (see the module docstring).
        bucket: round KV lengths up to a multiple of this many tokens (0 = exact, default).
        attention_kernel: ``ragged`` (one attention launch per layer) | ``per_request``.
        energy: price energy with :mod:`archsim.cost` (False: time only).
        cache_dir: directory keeping the memo between processes (one pickle per design, model and formats);
            default: the ``ARCHSIM_SERVING_CACHE`` environment variable, else none.  Within a process the memo
            is shared by every IterationCost of the same design and model (e.g. the runs of a capacity search).
    """

    def __init__(self, design: object, spec: BatchSpec, *, decompose: str = "auto", bucket: int = 0,
                 attention_kernel: str = "ragged", energy: bool = True, cache_dir: str | None = None) -> None:
        if decompose not in DECOMPOSE:
            raise ConfigError(f"decompose must be one of {', '.join(DECOMPOSE)}, not {decompose!r}")
        if attention_kernel not in ATTENTION_KERNELS:
            raise ConfigError(f"attention_kernel must be one of {', '.join(ATTENTION_KERNELS)}, "
                              f"not {attention_kernel!r}")
        if isinstance(bucket, bool) or not isinstance(bucket, int) or bucket < 0:
            raise ConfigError(f"bucket must be a non-negative integer (tokens), not {bucket!r}")
        if not hasattr(design, "run"):
            raise ConfigError(f"design must be an archsim design with run(), not {type(design).__name__}")
        self.design = design
        self.spec = spec
        self.bucket = bucket
        self.ragged = attention_kernel == "ragged"
        self.energy = energy
        self.hetero = _is_hetero(design)
        self._base = design.npu if self.hetero else design  # type: ignore[attr-defined]
        self._components: dict[int, list] = {}
        self.key = _memo_key(design, spec, energy)
        memo = _SHARED.get(self.key)
        if memo is None:
            memo = _SHARED[self.key] = _load(self.key, cache_dir) or _new_memo(spec)
        self._memo = memo
        self._whole, self._lin, self._head = memo["whole"], memo["lin"], memo["head"]
        self._attn, self._hetero_memo, self._dec = memo["attn"], memo["hetero"], memo["dec"]
        self.cache_dir = cache_dir
        self.calls = 0
        self.runs = 0
        if spec.model.is_moe:
            self.mode = "whole"
        elif decompose == "auto":
            if "additive" not in memo:
                memo["additive"] = self._additive()
            self.mode = "pieces" if memo["additive"] else "whole"
        else:
            self.mode = decompose
        self.uniform_context = False

    def save(self) -> None:
        """Write the memo to ``cache_dir`` (if one is set)."""
        _save(self.key, self.cache_dir, self._memo)

    # -- running the design ----------------------------------------------------
    def _simulate(self, ops: list[Op] | object, design: object | None = None):
        """Return ``design.run(ops)`` priced by :mod:`archsim.cost` exactly as :func:`archsim.simulate` does (without
        building a Trace table first)."""
        from archsim.core.result import Result
        from archsim.cost import price

        self.runs += 1
        d = self._base if design is None else design
        r = d.run(ops)
        if not self.energy or not hasattr(d, "components"):
            return r
        comps = self._components.get(id(d))
        if comps is None:
            comps = self._components[id(d)] = d.components()
        priced, cs = price(r.ops, comps, node_nm=getattr(d, "node_nm", 28.0), seconds=r.seconds)
        summary = dict(r.summary)
        summary.update({k: v for k, v in cs.items() if k != "seconds"})
        return Result(priced, summary)

    def _set_spc(self, r) -> None:
        cyc = r.summary["total_cycles"]
        if cyc and not self._memo["spc"]:  # fixed once: one conversion for every cost of this design
            self._memo["spc"] = r.summary["seconds"] / cyc

    @staticmethod
    def _col(r, name: str) -> np.ndarray:
        if name in r.ops.columns:
            return r.ops[name].fillna(0).to_numpy()
        return np.zeros(len(r.ops))

    def _run_pieces(self, pieces: list[list[Op]]) -> list[tuple]:
        """Return ``(cycles, energy_pj, macs, launch_cycles)`` of each piece, from one simulation of them all
        (rows are told apart by a ``p<i>|`` name prefix) when the design keeps op names, else one run each."""
        tagged = []
        for i, piece in enumerate(pieces):
            for o in piece:
                tagged.append(Op(f"p{i}|{o.name}", o.kind, o.M, o.K, o.N, o.batch, o.a_precision, o.b_precision,
                                 o.out_precision, o.b_tensor, o.layer, o.phase, o.count))
        r = self._simulate(tagged)
        if "name" not in r.ops.columns or "cycles" not in r.ops.columns:
            return [self._one(p) for p in pieces]
        self._set_spc(r)
        idx = np.array([int(n.split("|", 1)[0][1:]) for n in r.ops["name"]])
        out = []
        cyc, en, mac, lau = (self._col(r, c) for c in ("cycles", "energy_pj", "macs", "stall_launch_cycles"))
        for i in range(len(pieces)):
            m = idx == i
            out.append((int(cyc[m].sum()), float(en[m].sum()), int(mac[m].sum()), int(lau[m].sum())))
        return out

    def _one(self, ops: list[Op]) -> tuple:
        r = self._simulate(ops)
        self._set_spc(r)
        e = r.summary.get("energy_j")
        return (int(r.summary["total_cycles"]), float(e) * 1e12 if e is not None else 0.0,
                int(self._col(r, "macs").sum()), int(self._col(r, "stall_launch_cycles").sum()))

    def _additive(self) -> bool:
        """True if this design's run of a batch trace equals the sum of its pieces (checked on two batches)."""
        rng = np.random.default_rng(1)
        maxp = self.spec.model.max_positions
        for n in (3, 5):
            q = np.where(rng.random(n) < 0.5, 1, rng.integers(2, min(300, maxp // 2), n))
            cached = rng.integers(1, min(500, maxp // 2), n)
            dec = q == 1
            whole = self._one(list(build_batch_trace(self.spec, q, cached, dec)))
            parts = self._run_pieces([p for p in batch_pieces(self.spec, q, cached, dec) if p])
            if sum(p[0] for p in parts) != whole[0]:
                return False
            if not math.isclose(sum(p[1] for p in parts), whole[1], rel_tol=1e-9, abs_tol=1e-6):
                return False
        return True

    # -- public ------------------------------------------------------------------
    def keys(self, q: np.ndarray, cached: np.ndarray) -> np.ndarray:
        """Return the KV length each request's attention reads (bucketed if asked)."""
        k = cached + q
        if self.bucket:
            k = np.minimum(-(-k // self.bucket) * self.bucket, self.spec.model.max_positions)
        return k

    def __call__(self, q: np.ndarray, cached: np.ndarray, decode: np.ndarray, emitting: int) -> Cost:
        """Return the cost of one iteration: request ``i`` runs ``q[i]`` tokens after ``cached[i]`` cached ones
        (``decode[i]``: a decode step); ``emitting`` rows produce a token (LM head rows)."""
        self.calls += 1
        keys = self.keys(q, cached)
        if self.bucket:
            cached = keys - q
        if self.hetero:
            return self._hetero(q, cached, decode, emitting)
        if self.mode == "whole":
            return self._whole_cost(q, cached, decode, emitting)
        return self._pieces_cost(q, cached, decode, emitting)

    def seconds_of(self, cycles: float) -> float:
        """Return ``cycles`` of the design's clock in seconds."""
        return cycles * self._memo["spc"]

    # -- modes -------------------------------------------------------------------
    def _phase(self, decode: np.ndarray) -> str:
        return "decode" if decode.all() else ("mixed" if decode.any() else "prefill")

    def _whole_cost(self, q, cached, decode, emitting) -> Cost:
        order = np.lexsort((decode, cached, q))
        key = (tuple(q[order].tolist()), tuple(cached[order].tolist()), tuple(decode[order].tolist()), emitting)
        hit = self._whole.get(key)
        if hit is None:
            tr = build_batch_trace(self.spec, q[order], cached[order], decode[order])
            ops = list(tr)
            if emitting != len(q):  # LM head rows: only requests that produce a token
                ops = [o for o in ops if o.name != "lm_head"]
                from archsim.workloads.batch import head_piece

                ops += head_piece(self.spec, emitting, self._phase(decode))
            r = self._simulate(ops)
            self._set_spc(r)
            e = r.summary.get("energy_j")
            launch = self._col(r, "stall_launch_cycles")
            attn = r.ops["name"].str.contains(r"attn\.(?:\w+\.)?(?:fused|scores|softmax|context)$", regex=True) \
                if "name" in r.ops.columns else np.zeros(len(r.ops), dtype=bool)
            la = float(np.asarray(launch)[np.asarray(attn)].sum())
            n = len(q)
            correction = int(np.round(la * (n - 1) / n)) if self.ragged and n > 1 else 0
            hit = (int(r.summary["total_cycles"]) - correction, float(e) * 1e12 if e is not None else None,
                   int(self._col(r, "macs").sum()))
            self._whole[key] = hit
        return Cost(self.seconds_of(hit[0]), hit[1] * 1e-12 if hit[1] is not None else None, hit[2])

    def _fill_decode(self, keys: np.ndarray) -> None:
        """Simulate the decode attention of every KV length in ``keys`` not yet known, in blocks of 32 lengths
        (one design run per block)."""
        miss = np.isnan(self._dec[keys, 0])
        if not miss.any():
            return
        missing = np.unique(keys[miss])
        blocks = np.unique(missing // 32)
        maxp = self.spec.model.max_positions
        want = [k for b in blocks for k in range(max(1, b * 32), min(maxp, b * 32 + 31) + 1)
                if np.isnan(self._dec[k, 0])]
        from archsim.workloads.batch import attention_piece

        for i in range(0, len(want), 256):
            chunk = want[i:i + 256]
            res = self._run_pieces([attention_piece(self.spec, 1, k - 1, True) for k in chunk])
            for k, r in zip(chunk, res):
                self._dec[k] = r

    def decode_steps(self, ctx: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray | None, np.ndarray] | None:
        """Return ``(seconds, energy_j or None, macs)`` arrays of ``k`` consecutive decode iterations of the same
        requests (KV lengths ``ctx`` before the first), each equal to :meth:`__call__` of that step; None where
        the design is not costed in pieces (then the engine steps one iteration at a time)."""
        if self.hetero or self.mode != "pieces":
            return None
        n = len(ctx)
        keys = ctx[:, None] + np.arange(1, k + 1)[None, :]  # KV length read at step s: ctx + s + 1
        if self.bucket:
            keys = np.minimum(-(-keys // self.bucket) * self.bucket, self.spec.model.max_positions)
        self._fill_decode(keys.ravel())
        one = np.ones(n, dtype=np.int64)
        self(one, ctx, np.ones(n, dtype=bool), n)  # fills the token-parallel pieces of this batch size
        lin = self._lin[(n, "decode")]
        head = self._head[(n, "decode")] if self.spec.lm_head else (0, 0.0, 0, 0)
        d = self._dec[keys]  # n x k x 4
        cyc = lin[0] + head[0] + d[:, :, 0].sum(axis=0).astype(np.int64)
        if self.ragged and n > 1:
            la = d[:, :, 3].sum(axis=0)
            cyc = cyc - np.round(la * (n - 1) / n).astype(np.int64)
        en = (lin[1] + head[1] + d[:, :, 1].sum(axis=0)) * 1e-12 if self.energy else None
        macs = lin[2] + head[2] + d[:, :, 2].sum(axis=0).astype(np.int64)
        self.calls += k - 1
        return cyc * self._memo["spc"], en, macs

    def _pieces_cost(self, q, cached, decode, emitting) -> Cost:
        from archsim.workloads.batch import attention_piece, head_piece, linear_piece

        phase = self._phase(decode)
        T = int(q.sum())
        need = []
        lk = (T, phase)
        if lk not in self._lin:
            need.append(("lin", lk, linear_piece(self.spec, T, phase)))
        hk = (emitting, phase)
        if hk not in self._head and emitting and self.spec.lm_head:
            need.append(("head", hk, head_piece(self.spec, emitting, phase)))
        pre = ~decode
        pk = list(zip(q[pre].tolist(), cached[pre].tolist()))
        for k in set(pk):
            if k not in self._attn:
                need.append(("attn", k, attention_piece(self.spec, k[0], k[1], False)))
        if need:
            res = self._run_pieces([n[2] for n in need])
            for (kind, key, _), r in zip(need, res):
                {"lin": self._lin, "head": self._head, "attn": self._attn}[kind][key] = r
        dk = (cached[decode] + 1)
        self._fill_decode(dk) if len(dk) else None
        parts = [self._lin[lk]]
        if emitting and self.spec.lm_head:
            parts.append(self._head[hk])
        cyc = sum(p[0] for p in parts)
        en = sum(p[1] for p in parts)
        mac = sum(p[2] for p in parts)
        launches = []
        for k in pk:
            a = self._attn[k]
            cyc += a[0]
            en += a[1]
            mac += a[2]
            launches.append(a[3])
        if len(dk):
            d = self._dec[dk]
            cyc += int(d[:, 0].sum())
            en += float(d[:, 1].sum())
            mac += int(d[:, 2].sum())
            n_dec = len(dk)
        else:
            n_dec = 0
        n = len(pk) + n_dec
        if self.ragged and n > 1:
            # one attention launch per layer for the whole batch: keep 1/n of the groups' launch stalls
            la = sum(launches[:len(pk)]) + (float(self._dec[dk, 3].sum()) if n_dec else 0.0)
            cyc -= int(np.round(la * (n - 1) / n))
        return Cost(self.seconds_of(cyc), en * 1e-12 if self.energy else None, int(mac))

    def _hetero(self, q, cached, decode, emitting) -> Cost:
        if not decode.all():
            if decode.any():
                raise ConfigError("an NPU+PIM design runs decode-only or prefill-only iterations; use scheduler "
                                  "vllm or neupims, not mixed batches")
            return self._pieces_cost(q, cached, decode, emitting) if self.mode == "pieces" else \
                self._whole_cost(q, cached, decode, emitting)
        self.uniform_context = True
        ctx = int(math.ceil(float((cached + 1).mean())))
        key = (len(q), ctx)
        hit = self._hetero_memo.get(key)
        if hit is None:
            from archsim.workloads import build_trace

            tr = build_trace(self.spec.model, phase="decode", batch=len(q), context=ctx, tp=self.spec.tp,
                             precision=self.spec.plan, lm_head=self.spec.lm_head)
            r = self._simulate(tr, self.design)
            e = r.summary.get("energy_j")
            hit = (float(r.summary["seconds"]), None if e is None else float(e), int(self._col(r, "macs").sum()))
            self._hetero_memo[key] = hit
        return Cost(*hit)


_SHARED: dict[str, dict] = {}


def _memo_key(design: object, spec: BatchSpec, energy: bool) -> str:
    import hashlib

    d = design.to_dict() if hasattr(design, "to_dict") else repr(design)
    text = repr((d, type(design).__name__, spec.model.to_dict(), spec.tp, spec.plan, spec.lm_head, energy))
    return hashlib.sha256(text.encode()).hexdigest()[:24]


def _new_memo(spec: BatchSpec) -> dict:
    # per decode KV length: cycles, energy_pj, macs, launch cycles (NaN = not simulated yet)
    return {"whole": {}, "lin": {}, "head": {}, "attn": {}, "hetero": {}, "spc": 0.0,
            "dec": np.full((spec.model.max_positions + 1, 4), np.nan)}


def _cache_path(key: str, cache_dir: str | None):
    import os
    from pathlib import Path

    cache_dir = cache_dir or os.environ.get("ARCHSIM_SERVING_CACHE")
    return Path(cache_dir) / f"serving-{key}.pkl" if cache_dir else None


def _load(key: str, cache_dir: str | None) -> dict | None:
    import pickle

    path = _cache_path(key, cache_dir)
    if path is None or not path.exists():
        return None
    try:
        with open(path, "rb") as fh:
            return pickle.load(fh)
    except Exception:  # a stale or partial file: start afresh
        return None


def _save(key: str, cache_dir: str | None, memo: dict) -> None:
    import os
    import pickle

    path = _cache_path(key, cache_dir)
    if path is None:
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(f".{os.getpid()}.tmp")
    with open(tmp, "wb") as fh:
        pickle.dump(memo, fh)
    os.replace(tmp, path)
