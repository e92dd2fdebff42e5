"""Requests: arrival processes, prompt/output length distributions, trace replay.  Seeded and deterministic.

A :class:`Workload` turns into a :class:`Requests` table (``arrival_s``, ``prompt_tokens``, ``output_tokens``;
numpy arrays, sorted by arrival) with :meth:`Workload.generate`.  Closed-loop clients (``clients`` > 0) have no
arrival times of their own: the engine releases a client's next request ``think_s`` after its previous one
finishes, so their ``arrival_s`` is filled in by the engine.

Length distributions (:func:`lengths`): ``fixed``, ``uniform``, ``zipf`` and the shipped empirical tables
``azure-conv`` and ``azure-code`` (every 10th request of the Azure LLM inference trace 2023, Patel et al.,
Splitwise, ISCA 2024; CC-BY 4.0; see ``archsim/serving/data``): a draw picks one (prompt, output) pair of the
table, so the two lengths keep their joint distribution.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from archsim.core.errors import ConfigError, require_nonneg_int, require_positive_int, require_positive_number

DATA = Path(__file__).parent / "data"
#: shipped empirical length tables: name -> (file, source)
EMPIRICAL: dict[str, tuple[str, str]] = {
    "azure-conv": ("azure_conv_2023.csv",
                   "Azure LLM inference trace 2023, conversation (every 10th of 19,366 requests; medians 1020 prompt /"
                   " 129 output tokens as in Patel et al., Splitwise, ISCA 2024, Sec. III)"),
    "azure-code": ("azure_code_2023.csv",
                   "Azure LLM inference trace 2023, coding (every 10th of 8,819 requests; medians 1469 prompt / 13"
                   " output tokens; Patel et al., Splitwise, ISCA 2024, Sec. III)"),
}
ARRIVALS = ("poisson", "gamma", "uniform", "closed")
LENGTH_KINDS = ("fixed", "uniform", "zipf") + tuple(EMPIRICAL)


#: Most requests (and closed-loop clients) of one generated workload.
MAX_REQUESTS = 10**7


@dataclass
class Requests:
    """A table of requests (numpy arrays of equal length, sorted by arrival).

    Attributes:
        arrival_s: arrival time of each request, s (NaN for closed-loop requests not yet released).
        prompt_tokens: prompt length, tokens (>= 1).
        output_tokens: tokens to generate, the first one included (>= 1).
        clients: closed-loop clients (0 = open loop).
        think_s: closed-loop think time between a client's finish and its next request, s.
    """

    arrival_s: np.ndarray
    prompt_tokens: np.ndarray
    output_tokens: np.ndarray
    clients: int = 0
    think_s: float = 0.0
    meta: dict[str, Any] = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.prompt_tokens)

    def frame(self) -> pd.DataFrame:
        """Return the table as a DataFrame (``arrival_s``, ``prompt_tokens``, ``output_tokens``)."""
        return pd.DataFrame({"arrival_s": self.arrival_s, "prompt_tokens": self.prompt_tokens,
                             "output_tokens": self.output_tokens})


def _table(name: str) -> pd.DataFrame:
    file, _ = EMPIRICAL[name]
    return pd.read_csv(DATA / file, comment="#")


def lengths(kind: str, n: int, rng: np.random.Generator, *, prompt: int = 512, output: int = 128,
            low: float = 0.5, high: float = 1.5, zipf_a: float = 2.0, max_total: int | None = None) -> tuple:
    """Return ``(prompt_tokens, output_tokens, dropped_fraction)`` arrays of ``n`` requests.

    Args:
        kind: ``fixed`` (``prompt``, ``output``), ``uniform`` (each length uniform in ``[low x mean, high x
            mean]``), ``zipf`` (``mean x`` a Zipf(``zipf_a``) draw, capped at 8 x mean: long tails of a few very
            long requests) or an empirical table (:data:`EMPIRICAL`).
        max_total: the model's context: empirical rows with prompt + output above it are left out of the
            table (their fraction is returned); synthetic lengths above it are a ConfigError.
    """
    require_choice_len = LENGTH_KINDS
    if kind not in require_choice_len:
        raise ConfigError(f"lengths must be one of {', '.join(LENGTH_KINDS)}, not {kind!r}")
    dropped = 0.0
    if kind in EMPIRICAL:
        t = _table(kind)
        ok = np.ones(len(t), dtype=bool) if max_total is None else (t.prompt_tokens + t.output_tokens <= max_total)
        dropped = 1.0 - ok.mean()
        t = t[ok]
        idx = rng.integers(0, len(t), n)
        return t.prompt_tokens.to_numpy()[idx].astype(np.int64), t.output_tokens.to_numpy()[idx].astype(np.int64), \
            dropped
    require_positive_int("prompt_tokens", prompt)
    require_positive_int("output_tokens", output)
    if kind == "fixed":
        p, o = np.full(n, prompt, dtype=np.int64), np.full(n, output, dtype=np.int64)
    elif kind == "uniform":
        if not 0 < low <= high:
            raise ConfigError(f"uniform lengths need 0 < low <= high, not low={low!r}, high={high!r}")
        p = np.maximum(1, np.round(rng.uniform(low * prompt, high * prompt, n))).astype(np.int64)
        o = np.maximum(1, np.round(rng.uniform(low * output, high * output, n))).astype(np.int64)
    else:
        if not zipf_a > 1:
            raise ConfigError(f"zipf_a must be > 1, not {zipf_a!r}")
        p = np.minimum(rng.zipf(zipf_a, n), 8) * prompt
        o = np.minimum(rng.zipf(zipf_a, n), 8) * output
        p, o = p.astype(np.int64), o.astype(np.int64)
    if max_total is not None and (p + o > max_total).any():
        worst = int((p + o).max())
        raise ConfigError(f"prompt + output tokens must be <= the model's context ({max_total}), not {worst}")
    return p, o, dropped


def arrivals(kind: str, n: int, rate: float, rng: np.random.Generator, *, cv: float = 1.0) -> np.ndarray:
    """Return ``n`` sorted arrival times (s) of a process with mean ``rate`` requests/s.

    ``poisson``: exponential gaps; ``gamma``: gamma gaps with coefficient of variation ``cv`` (bursty for cv > 1,
    e.g. cv = 2 or 4 as in the AlpaServe/DistServe burstiness studies); ``uniform``: constant gaps 1/rate.
    The first request arrives after one gap.
    """
    require_positive_number("rate", rate)
    if kind == "poisson":
        gaps = rng.exponential(1.0 / rate, n)
    elif kind == "gamma":
        require_positive_number("cv", cv)
        shape = 1.0 / cv**2
        gaps = rng.gamma(shape, 1.0 / (rate * shape), n)
    elif kind == "uniform":
        gaps = np.full(n, 1.0 / rate)
    else:
        raise ConfigError(f"arrival must be one of poisson, gamma, uniform, not {kind!r}")
    return np.cumsum(gaps)


@dataclass(frozen=True)
class Workload:
    """A request stream: how many requests, how they arrive, how long they are.

    Attributes:
        requests: number of requests (>= 1).
        rate: mean arrival rate, requests/s (open loop; ignored when ``clients`` > 0).
        arrival: ``poisson`` | ``gamma`` | ``uniform``.
        cv: coefficient of variation of the gamma gaps.
        lengths: ``fixed`` | ``uniform`` | ``zipf`` | ``azure-conv`` | ``azure-code``.
        prompt_tokens, output_tokens: fixed lengths, or the means of ``uniform``/``zipf``.
        clients: closed-loop clients (0 = open loop); each sends its next request ``think_s`` after the
            previous one finished.
        think_s: closed-loop think time, s.
        seed: seed of every random draw.
    """

    requests: int = 100
    rate: float = 1.0
    arrival: str = "poisson"
    cv: float = 1.0
    lengths: str = "fixed"
    prompt_tokens: int = 512
    output_tokens: int = 128
    clients: int = 0
    think_s: float = 0.0
    seed: int = 0

    def __post_init__(self) -> None:
        # the engine keeps a few per-request arrays and steps every iteration: 10^7 requests is ~1 GB and
        # hours of simulation; 10^14 died in a numpy MemoryError (728 TiB)
        require_positive_int("requests", self.requests, MAX_REQUESTS)
        require_nonneg_int("clients", self.clients, MAX_REQUESTS)
        require_nonneg_int("seed", self.seed)
        if not self.clients:
            require_positive_number("rate", self.rate)
        if isinstance(self.think_s, bool) or not isinstance(self.think_s, (int, float)) or \
                not 0 <= self.think_s < float("inf"):
            raise ConfigError(f"think_s must be a non-negative number, not {self.think_s!r}")
        if self.arrival not in ARRIVALS:
            raise ConfigError(f"arrival must be one of {', '.join(ARRIVALS)}, not {self.arrival!r}")

    def generate(self, max_total: int | None = None) -> Requests:
        """Return the requests (deterministic for a seed); ``max_total`` = the model's context, tokens."""
        rng = np.random.default_rng(self.seed)
        p, o, dropped = lengths(self.lengths, self.requests, rng, prompt=self.prompt_tokens,
                                output=self.output_tokens, max_total=max_total)
        if self.clients:
            arr = np.full(self.requests, np.nan)
        else:
            arr = arrivals(self.arrival if self.arrival != "closed" else "poisson", self.requests, self.rate, rng,
                           cv=self.cv)
        return Requests(arr, p, o, clients=self.clients, think_s=float(self.think_s),
                        meta={"lengths": self.lengths, "dropped_fraction": dropped, "seed": self.seed})


#: column names accepted by :func:`read_trace`: ours, then the Azure LLM inference trace's
_COLUMNS = {"arrival_s": ("arrival_s", "TIMESTAMP"), "prompt_tokens": ("prompt_tokens", "ContextTokens"),
            "output_tokens": ("output_tokens", "GeneratedTokens")}


def read_trace(path: str | Path, *, limit: int | None = None, max_total: int | None = None) -> Requests:
    """Return the requests of a CSV file: columns ``arrival_s, prompt_tokens, output_tokens`` or the Azure public
    trace's ``TIMESTAMP, ContextTokens, GeneratedTokens`` (timestamps shifted so the first request arrives at 0).

    ``limit`` keeps the first requests.  Rows whose lengths exceed the model's context (``max_total``) or are
    not positive are a ConfigError naming the row.
    """
    path = Path(path)
    if not path.exists():
        raise ConfigError(f"trace file {str(path)!r} does not exist")
    try:
        df = pd.read_csv(path, comment="#")
    except Exception as exc:  # parser errors of every kind
        raise ConfigError(f"trace file {str(path)!r} cannot be parsed: {exc}") from None
    cols = {}
    for key, names in _COLUMNS.items():
        hit = [n for n in names if n in df.columns]
        if not hit:
            raise ConfigError(f"trace file {str(path)!r} needs a column {' or '.join(names)}")
        cols[key] = hit[0]
    if limit is not None:
        require_positive_int("limit", limit)
        df = df.iloc[:limit]
    if len(df) == 0:
        raise ConfigError(f"trace file {str(path)!r} has no requests")
    t = df[cols["arrival_s"]]
    if cols["arrival_s"] == "TIMESTAMP":
        ts = pd.to_datetime(t, errors="coerce")
        if ts.isna().any():
            raise ConfigError(f"trace file {str(path)!r} row {int(ts.isna().to_numpy().argmax()) + 1}: "
                              f"TIMESTAMP is not a time")
        arr = (ts - ts.min()).dt.total_seconds().to_numpy()
    else:
        arr = pd.to_numeric(t, errors="coerce").to_numpy(dtype=float)
    out = {}
    for key in ("prompt_tokens", "output_tokens"):
        v = pd.to_numeric(df[cols[key]], errors="coerce").to_numpy(dtype=float)
        bad = ~(np.isfinite(v) & (v >= 1) & (v == np.round(v)))
        if bad.any():
            raise ConfigError(f"trace file {str(path)!r} row {int(bad.argmax()) + 1}: {cols[key]} must be a positive "
                              f"integer, not {str(df[cols[key]].iloc[int(bad.argmax())])}")
        out[key] = v.astype(np.int64)
    bad = ~(np.isfinite(arr) & (arr >= 0))
    if bad.any():
        raise ConfigError(f"trace file {str(path)!r} row {int(bad.argmax()) + 1}: {cols['arrival_s']} must be a "
                          f"time >= 0")
    if max_total is not None:
        tot = out["prompt_tokens"] + out["output_tokens"]
        if (tot > max_total).any():
            i = int((tot > max_total).argmax())
            raise ConfigError(f"trace file {str(path)!r} row {i + 1}: prompt + output tokens must be <= the model's "
                              f"context ({max_total}), not {int(tot[i])}")
    order = np.argsort(arr, kind="stable")
    return Requests(arr[order], out["prompt_tokens"][order], out["output_tokens"][order],
                    meta={"trace": str(path)})
