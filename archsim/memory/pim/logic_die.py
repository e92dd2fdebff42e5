"""Logic-die PIM at cycle level: processing units on the HBM base die read the banks through the TSVs.

Duplex (Yun et al., MICRO 2024, arXiv:2409.01141, Sec. "Logic-PIM") puts processing units on the HBM logic
(base) die and adds TSVs so the base die can read the DRAM dies faster than the external interface.  The
DRAM array still obeys its bank timing, so this module runs the weight stream through the same
cycle-level DRAM controller as every other archsim memory (:class:`archsim.memory.dram.DramMemory`), on a
*derived* organisation that describes what the base die sees:

* ``parallelism="bank_group"`` (default): every bank group of a pseudo-channel has its own TSV data path,
  so bank groups stream concurrently.  Each bank group becomes an independent sub-channel: column commands
  to it are spaced by ``tCCD_L`` (same bank group), and the rank's activation window is shared, so each of
  the ``G`` sub-channels may activate at most once per ``tFAW * G / 4`` (4 ACTs per tFAW per rank, JESD238
  HBM3 tFAW) -- the channel-level ACT power budget, spread evenly.  Internal peak = ``G x access_bytes /
  tCCD_L`` per pseudo-channel (HBM3 preset: 4 x 32 B / 4 tCK = 2 x the external rate).
* ``parallelism="channel"``: the base die reads through the normal pseudo-channel datapath (internal
  peak = external peak); a conservative baseline.

The TSV count x rate and the units' MAC rate cap the result on top (they are closed-form rates, not
command-level).  Everything here is in DRAM tCK of the stack's spec.

Assumption (labelled): the per-bank-group datapath is this module's reading of "more TSVs"; Duplex does
not publish the DRAM-side timing of its Logic-PIM reads.
"""

from __future__ import annotations

import dataclasses
import math
from functools import lru_cache

from archsim.core.clock import Clock
from archsim.core.errors import require_choice
from archsim.memory.dram import DramMemory, DramSpec

PARALLELISM = ("bank_group", "channel")


def internal_spec(spec: DramSpec, parallelism: str = "bank_group") -> DramSpec:
    """Return the DRAM organisation the logic die reads through (see the module docstring)."""
    require_choice("parallelism", parallelism, PARALLELISM)
    if parallelism == "channel" or spec.bank_groups == 1:
        return spec
    g = spec.bank_groups
    t_rrd = max(spec.tRRD_L, math.ceil(spec.tFAW * g / 4))
    return dataclasses.replace(
        spec, name=f"{spec.name}/logic-die-bg", pseudo_channels=spec.pseudo_channels * g,
        bus_width=spec.bus_width * g, bank_groups=1, tCCD_S=spec.tCCD_L, tRRD_S=t_rrd, tRRD_L=t_rrd)


@lru_cache(maxsize=4096)
def _stream_tck(spec: DramSpec, nbytes: int) -> int:
    mem = DramMemory(spec, Clock(1000.0 / spec.tCK_ns))
    return mem.transfer(0, 0, nbytes, False)


def stream_tck(spec: DramSpec, nbytes: int, parallelism: str = "bank_group") -> int:
    """Return the tCK for the logic die to read ``nbytes`` striped over one whole stack (idle banks, refresh
    included), from the cycle-level DRAM model on the :func:`internal_spec` organisation (memoized)."""
    if nbytes <= 0:
        return 0
    return _stream_tck(internal_spec(spec, parallelism), int(nbytes))


def internal_peak_gbps(spec: DramSpec, parallelism: str = "bank_group") -> float:
    """Return the DRAM-side peak the logic die can read at, GB/s (data bus of the derived organisation)."""
    s = internal_spec(spec, parallelism)
    per_cycle = s.n_channels * s.access_bytes / max(s.burst_cycles, s.tCCD_S)
    return per_cycle / s.tCK_ns


def corun_rates(spec: DramSpec, parallelism: str = "bank_group", nbytes: int = 1 << 17) -> tuple[float, float]:
    """Return ``(pim_rate, host_rate)``: the speed of a logic-die weight stream and of a host stream sharing the
    same banks, each relative to running alone (1.0 = no slowdown).

    Measured on the exact DRAM controller: two sequential streams of ``nbytes`` in different rows of the same
    banks are offered together (the host's at the same cycle), and each one's completion is compared with
    its completion alone.  Both go through the :func:`internal_spec` organisation, so the measurement also
    shares the bank-group data path between them: an upper bound on the interference (the host's data
    really leaves through the external interface).  Memoized per spec.
    """
    return _corun(internal_spec(spec, parallelism), int(nbytes))


@lru_cache(maxsize=64)
def _corun(s: DramSpec, nbytes: int) -> tuple[float, float]:
    import numpy as np

    from archsim.memory.dram import run_trace, stream_addresses

    pim = stream_addresses(s, 0, nbytes)
    host = stream_addresses(s, s.capacity_bytes // 2, nbytes)  # other rows of the same banks
    def done(addrs: np.ndarray) -> int:
        n = addrs.size
        _, system = run_trace(s, addrs, np.zeros(n, dtype=bool), np.zeros(n, dtype=np.int64))
        return int(max(system.finish))
    alone_pim = done(pim)
    alone_host = done(host)
    both = np.empty(pim.size + host.size, dtype=np.int64)
    both[0::2], both[1::2] = pim, host
    n = both.size
    _, system = run_trace(s, both, np.zeros(n, dtype=bool), np.zeros(n, dtype=np.int64))
    fin = np.asarray(system.finish, dtype=np.int64)
    end_pim, end_host = int(fin[0::2].max()), int(fin[1::2].max())
    return alone_pim / end_pim, alone_host / end_host


__all__ = ["PARALLELISM", "corun_rates", "internal_peak_gbps", "internal_spec", "stream_tck"]
