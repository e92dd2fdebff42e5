"""GEMV (and batched GEMV, decode attention) mapping onto bank-level PIM units.

Plain parameters in, a :class:`GemvPimPlan` out (no design objects: ``archsim.arch.pim`` builds the
commands).  The op is ``y[N] = x[K] @ W[K, N]``, ``batch`` times with a different ``x`` and ``W`` each
(heads of decode attention), ``m`` times with the same ``W`` (M-small batched GEMV: re-streamed).

Placement (the weight layout the plan assumes):

* **batch items over channels**: all units of a channel share one broadcast input vector, so one item
  (head) runs on a channel group; with more items than channels, a channel runs its items one after
  another; with fewer, an item spreads over ``channels // batch`` channels.
* **outputs over units**: each unit owns ``n_per_unit`` output columns; its weights lie in its bank(s)
  in exactly the order the unit reads them (row-buffer locality: one activation serves a whole row of
  every bank of the unit), lanes along K (one column access = ``lanes`` consecutive K elements of one
  output column).  When ``N`` is smaller than the units of the group, K is split over
  ``k_split`` units too and their partial sums are reduced outside the units.
* **input broadcast**: the input vector goes to the units' GRF in chunks of ``grf_entries`` registers
  (one WRGRF command each, broadcast to every unit of the channel).  Loop order ``n_outer``
  (``for n-batch: for k-chunk: load GRF; for n: MACs``) reloads it for every batch of ``acc_entries``
  outputs; ``k_outer`` (``for k-chunk: load GRF; for n-batch: MACs, read partial sums``) loads it once
  and reads partial sums per chunk; the plan takes the one with fewer data-bus commands.
  With ``k_split > 1`` the units of a channel hold different K parts, so each part's slice is written
  separately (``min(k_split, units_per_channel)`` WRGRF per register).
* **partial-sum reduction**: ``in_unit`` (adder tree: one scalar per output and K part, packed
  ``access_bytes / acc_bytes`` per readout) or ``host`` (every lane read out: ``lanes`` values per output
  and K part); the host adds the remaining ``reduce_adds`` (lanes and K parts).

The MAC command stream of one channel is cut into row windows of ``macs_per_row`` commands (tiles); the
tile list is what :class:`archsim.memory.pim.PimChannel` runs.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from archsim.core.errors import ConfigError, require_positive_int

__all__ = ["GemvPimPlan", "plan_gemv"]


@dataclass(frozen=True)
class GemvPimPlan:
    """How one GEMV maps onto PIM units (counts per channel unless named otherwise).

    Attributes:
        K, N, batch, m: the op (``m`` rows of x sharing W).
        items_per_channel: batch items one channel runs in sequence.
        channels_per_item: channels one item spreads over.
        channels_used: channels that hold work.
        k_split: units sharing one output column (K parts).
        n_per_unit: output columns per unit (per K part).
        cols_per_output: MAC commands per output column and K part (``ceil(K_part / lanes)``).
        k_chunks: GRF loads per output batch.
        n_batches: output batches of at most ``acc_entries`` per unit.
        loop_order: ``n_outer`` (partial sums stay in the unit over all K chunks; the input is reloaded per
            output batch) or ``k_outer`` (each input chunk loaded once; partial sums read out per chunk
            and added on the host) - whichever needs fewer data-bus commands.
        mac_cmds: MAC commands per channel (per unit in all-bank mode).
        grf_cmds: WRGRF commands per channel.
        readout_cmds: RDACC commands per channel.
        reduce_adds: additions left for the host/controller over the whole op.
        useful_macs: K x N x batch x m.
        tiles: ``[(signature, count), ...]`` row windows of one channel (see archsim.memory.pim).
    """

    K: int
    N: int
    batch: int
    m: int
    items_per_channel: int
    channels_per_item: int
    channels_used: int
    k_split: int
    n_per_unit: int
    cols_per_output: int
    k_chunks: int
    n_batches: int
    loop_order: str
    mac_cmds: int
    grf_cmds: int
    readout_cmds: int
    reduce_adds: int
    useful_macs: int
    tiles: tuple


#: Most (output batch, input chunk) steps of one PIM GEMV plan (2^22: ~13 s of planning at ~3 us a step,
#: measured on a 2-core machine); a larger GEMV is refused up front.
MAX_PLAN_EVENTS = 2**22


def plan_gemv(K: int, N: int, batch: int = 1, m: int = 1, *, channels: int, units_per_channel: int, lanes: int,
              grf_entries: int, acc_entries: int, macs_per_row: int, reduce: str = "host", acc_bytes: float = 2,
              access_bytes: int = 32) -> GemvPimPlan:
    """Return the :class:`GemvPimPlan` of ``batch x m`` GEMVs ``x[K] @ W[K, N]`` on the given PIM geometry."""
    for f, v in (("K", K), ("N", N), ("batch", batch), ("m", m), ("channels", channels),
                 ("units_per_channel", units_per_channel), ("lanes", lanes), ("grf_entries", grf_entries),
                 ("acc_entries", acc_entries), ("macs_per_row", macs_per_row)):
        require_positive_int(f, v)
    if reduce not in ("host", "in_unit"):
        raise ConfigError(f"reduce must be one of host, in_unit, not {reduce!r}")
    if batch >= channels:
        items, cpi = math.ceil(batch / channels), 1
        used = min(channels, batch)
    else:
        items, cpi = 1, channels // batch
        used = cpi * batch
    group_units = cpi * units_per_channel
    cols_total = math.ceil(K / lanes)
    k_split = 1
    if N < group_units:
        k_split = max(1, min(group_units // N, cols_total))
    n_per_unit = math.ceil(N * k_split / group_units)
    cols_per_output = math.ceil(cols_total / k_split)
    k_chunks = math.ceil(cols_per_output / grf_entries)
    n_batches = math.ceil(n_per_unit / acc_entries)
    if reduce == "in_unit":
        per_out_cmds = acc_bytes / access_bytes          # one scalar per output, packed over units
    else:
        per_out_cmds = math.ceil(lanes * acc_bytes / access_bytes)  # every lane of every unit
    # units of one channel working on different K parts need their own input slice (no broadcast)
    parts = min(k_split, units_per_channel)

    def readout(bn: int) -> int:
        if reduce == "in_unit":
            return math.ceil(units_per_channel * bn * per_out_cmds)
        return units_per_channel * bn * int(per_out_cmds)

    if n_batches * k_chunks > MAX_PLAN_EVENTS:  # the plan lists one event per (output batch, input chunk)
        raise ConfigError(
            f"GEMV K={K} x N={N} needs {n_batches * k_chunks:,} (output batch, input chunk) steps per PIM unit, "
            f"more than the {MAX_PLAN_EVENTS:,} archsim plans (~3 us each: about {n_batches * k_chunks * 3e-6:.3g} s "
            f"to plan alone); split the op")
    batches = [min(acc_entries, n_per_unit - nb * acc_entries) for nb in range(n_batches)]
    chunks = [min(grf_entries, cols_per_output - kc * grf_entries) for kc in range(k_chunks)]
    # loop order: "n_outer" keeps partial sums in the units (GRF reloaded per output batch); "k_outer" loads
    # each input chunk once and reads partial sums out per chunk.  Pick the one with fewer bus commands.
    n_outer_cmds = n_batches * cols_per_output * parts + sum(readout(bn) for bn in batches)
    k_outer_cmds = cols_per_output * parts + k_chunks * sum(readout(bn) for bn in batches)
    order = "n_outer" if n_outer_cmds <= k_outer_cmds or k_chunks == 1 else "k_outer"
    # MAC stream of one item on one channel, with GRF / readout events at MAC positions
    events: list[tuple[int, int, int]] = []   # (position, kind 0=RDACC 1=WRGRF, commands)
    pos = 0
    if order == "n_outer":
        for bn in batches:
            for g in chunks:
                events.append((pos, 1, g * parts))
                pos += bn * g
            events.append((pos, 0, readout(bn)))
    else:
        for g in chunks:
            events.append((pos, 1, g * parts))
            for bn in batches:
                pos += bn * g
                events.append((pos, 0, readout(bn)))
    rd_total = sum(e[2] for e in events if e[1] == 0)
    item_len = pos
    total = items * m * item_len
    tiles = _cut_tiles(events, item_len, items * m, macs_per_row)
    grf_total = sum(e[2] for e in events if e[1] == 1) * items * m
    outputs = N * batch * m
    partials = (lanes if reduce == "host" else 1) * k_split * (k_chunks if order == "k_outer" else 1)
    adds = outputs * (partials - 1)
    return GemvPimPlan(K=K, N=N, batch=batch, m=m, items_per_channel=items, channels_per_item=cpi,
                       channels_used=used, k_split=k_split, n_per_unit=n_per_unit, cols_per_output=cols_per_output,
                       k_chunks=k_chunks, n_batches=n_batches, loop_order=order, mac_cmds=total, grf_cmds=grf_total,
                       readout_cmds=rd_total * items * m, reduce_adds=adds, useful_macs=K * N * batch * m,
                       tiles=tuple(tiles))


def _cut_tiles(events: list[tuple[int, int, int]], item_len: int, repeats: int, w: int) -> list:
    """Cut ``repeats`` copies of one item's MAC stream into row windows of ``w`` MACs; run-length encoded."""
    total = item_len * repeats
    # all events of all repeats, as (global position, kind, n)
    runs: list[list] = []
    ev_i = 0
    n_ev = len(events)
    rep = 0
    start = 0
    while start < total:
        end = min(start + w, total)
        grf: list[tuple[int, int]] = []
        rds: list[tuple[int, int]] = []
        while True:
            if ev_i == n_ev:
                ev_i, rep = 0, rep + 1
                if rep >= repeats:
                    break
            p, kind, n = events[ev_i]
            gp = rep * item_len + p
            if (kind == 1 and gp >= end) or (kind == 0 and gp > end):
                break
            (grf if kind == 1 else rds).append((gp - start, n))
            ev_i += 1
        sig = (end - start, _merge(grf), _merge(rds))
        if runs and runs[-1][0] == sig:
            runs[-1][1] += 1
        else:
            runs.append([sig, 1])
        start = end
    return [(s, c) for s, c in runs]


def _merge(ev: list[tuple[int, int]]) -> tuple[tuple[int, int], ...]:
    out: dict[int, int] = {}
    for p, n in ev:
        out[p] = out.get(p, 0) + n
    return tuple(sorted(out.items()))
