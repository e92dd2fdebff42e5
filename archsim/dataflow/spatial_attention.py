"""Attention on a spatial array (a 2-D MAC array plus a 1-D vector array): unfused, FLAT, FA2, FuseMax.

Plain parameters only (array sizes, on-chip bytes, bandwidth); the off-chip byte counts of the
unfused and FA2 mappings come from :mod:`archsim.dataflow.attention` (read, not changed).

One attention layer: ``batch x heads`` independent heads, ``N`` queries and keys, head dims ``E``
(Q, K) and ``F`` (V), ``e`` bytes per element.  The architecture (FuseMax, Nayak et al., MICRO
2024, Sec. 6 "cloud" configuration, and its artifact ``FPSG-UIUC/micro24-fusemax-artifact``
``src/accel/flat.py``): a ``P x P`` 2-D array of MACs, a ``P``-lane 1-D array, ``sram`` bytes of
global buffer, ``dram`` bytes/s, one clock.  Cycles come from work / lanes per phase (a roofline
per phase, as the FuseMax artifact combines Timeloop results), not from cycle stepping.

Mappings:

* ``unfused``: ``S = QK^T`` on the 2-D array, written off chip; softmax on the 1-D array (``S``
  read, ``P`` written); ``PV`` on the 2-D array.  Phases run one after another, each
  ``max(compute, memory)``.  2-D array spatial use ``min(E, P) / P`` (the head dim on one array
  axis, as in FLAT's mappings, artifact ``flat-mappings/``).
* ``flat`` (Kao et al., ASPLOS 2023): fused at row granularity: a block of query rows keeps its
  ``S``/``P`` rows on chip (half the buffer); K and V are read once per block; softmax on the
  1-D array, overlapped with the 2-D array (latency = max of 2-D, 1-D and memory time, the
  artifact's rule).  When not even one row of ``S`` fits, ``S``/``P`` spill off chip.
* ``fa2`` (FlashAttention-2 loop order, Dao 2023): ``q_outer`` tiling of
  :func:`archsim.dataflow.attention.plan_fused_attention` (buffer need independent of N); softmax
  and the online-softmax rescaling on the 1-D array, overlapped as FLAT.
* ``fusemax``: the 1-pass cascade bound as in FuseMax: ``QK``, the block max, ``exp`` (6 MACs +
  1 add, artifact ``src/accel/proposal.py`` ``compute_cost``), the block sum and ``SLN x V`` on
  the 2-D array with keys x queries spatial (full spatial use); the running max, the correction
  exponentials, running sums and rescaling on the 1-D array, pipelined as the artifact's
  waterfall: ``max(QK+LM, RD+RNV+AV) + RM + max(SLN+SLD, PRM+SPD) + max(SLNV, SPNV)``.

1-D softmax cost of ``unfused``/``flat``/``fa2``: 4 lane-cycles per score (max, subtract+exp,
sum, divide; exp pipelined), the artifact's ``StableSoftmax`` einsums.  Utilization ``util_mac``
counts only the ``QK`` and ``PV`` MACs against ``P^2`` x cycles; ``util_2d`` counts every busy
2-D PE-cycle (FuseMax's metric: its exp work runs on the 2-D array).  ``lower_bound_bytes``: Q, K,
V read once and O written once (no algorithm moves less).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from archsim.core.errors import ConfigError, require_choice, require_positive_int, require_positive_number
from archsim.dataflow.attention import plan_fused_attention, unfused_attention_bytes

MAPPINGS = ("unfused", "flat", "fa2", "fusemax")
#: 1-D lane-cycles per score of the stable softmax (max, sub+exp, sum, divide): FuseMax artifact StableSoftmax.
SOFTMAX_1D_OPS = 4
#: 2-D PE-cycles of one exp in FuseMax's binding: 6 MACs + 1 add (artifact proposal.py, einsum SLN).
EXP_2D_OPS = 7


@dataclass(frozen=True)
class SpatialArray:
    """A spatial accelerator for attention: ``pe_dim x pe_dim`` 2-D MACs, ``pe_dim`` 1-D lanes.

    Attributes:
        pe_dim: array side P (PEs); freq_mhz: clock, MHz; sram_bytes: global buffer, bytes;
        dram_bytes_per_s: off-chip bandwidth, bytes/s; source: citation.
    """

    pe_dim: int = 256
    freq_mhz: float = 940.0
    sram_bytes: int = 32 * 2**20
    dram_bytes_per_s: float = 400 * 2**30
    source: str = ("FuseMax (Nayak et al., MICRO 2024) cloud configuration: 256x256 2-D + 256 1-D PEs, "
                   "32 MiB global buffer, 400 GiB/s (artifact src/accel/flat.py), 940 MHz (artifact "
                   "latency / cycle ratio)")

    def __post_init__(self) -> None:
        require_positive_int("pe_dim", self.pe_dim)
        require_positive_number("freq_mhz", self.freq_mhz)
        require_positive_int("sram_bytes", self.sram_bytes)
        require_positive_number("dram_bytes_per_s", self.dram_bytes_per_s)

    @property
    def bytes_per_cycle(self) -> float:
        return self.dram_bytes_per_s / (self.freq_mhz * 1e6)


#: The preset the FuseMax comparison runs on.
FUSEMAX_CLOUD = SpatialArray()


def _cdiv(a: int, b: int) -> int:
    return -(-a // b)


def spatial_attention(mapping: str, n: int, e_dim: int, f_dim: int, units: int = 1,
                      arch: SpatialArray = FUSEMAX_CLOUD, elem_bytes: int = 2) -> dict[str, float]:
    """Return cycles, utilization and off-chip bytes of one attention layer (``units`` = batch x heads).

    Keys: ``cycles``, ``seconds``, ``busy_2d_cycles`` (2-D PE-cycles / P^2), ``util_mac``,
    ``util_2d``, ``util_1d``, ``offchip_bytes``, ``lower_bound_bytes``, ``bound`` (what limits:
    ``2d`` | ``1d`` | ``memory`` | ``phases``).
    """
    require_choice("mapping", mapping, MAPPINGS)
    for f, v in (("n", n), ("e_dim", e_dim), ("f_dim", f_dim), ("units", units), ("elem_bytes", elem_bytes)):
        require_positive_int(f, v)
    P, eb, bpc = arch.pe_dim, elem_bytes, arch.bytes_per_cycle
    A2, A1 = P * P, P
    N, E, F = n, e_dim, f_dim
    scores = N * N
    macs = scores * (E + F)
    lower = N * (2 * E + 2 * F) * eb  # Q, K, V read once, O written once (per unit)
    us_e, us_f = min(E, P) / P, min(F, P) / P
    if mapping == "unfused":
        b = unfused_attention_bytes(N, N, E, eb)  # E == F assumed by that formula; add the F part below
        traffic = b["read_bytes"] + b["write_bytes"] + (N * (F - E) * 2 * eb)
        qk = max(scores * E / (A2 * us_e), (2 * N * E + scores) * eb / bpc)
        sm = max(SOFTMAX_1D_OPS * scores / A1, 2 * scores * eb / bpc)
        pv = max(scores * F / (A2 * us_f), (scores + N * F + N * F) * eb / bpc)
        cycles, busy2, busy1, bound = qk + sm + pv, macs / A2, SOFTMAX_1D_OPS * scores / A1, "phases"
    elif mapping in ("flat", "fa2"):
        c2 = scores * E / (A2 * us_e) + scores * F / (A2 * us_f)
        c1 = SOFTMAX_1D_OPS * scores / A1
        if mapping == "flat":
            rows = (arch.sram_bytes // 2) // (2 * N * eb)  # S and P rows of a block, half the buffer
            if rows >= 1:
                rows = min(rows, N)
                traffic = (N * E + _cdiv(N, rows) * N * (E + F) + N * F) * eb
            else:  # not one row fits: S and P go off chip (write S, read S, write P, read P)
                traffic = (2 * N * E + 2 * N * F) * eb + 4 * scores * eb
        else:
            plan = plan_fused_attention(N, N, max(E, F), arch.sram_bytes // 2, eb, "q_outer")
            traffic = plan.offchip_bytes
            c1 += N * plan.kv_blocks * (F + EXP_2D_OPS) / A1  # online-softmax rescale per (row, K/V block)
        mem = traffic / bpc
        cycles = max(c2, c1, mem)
        bound = "2d" if cycles == c2 else ("1d" if cycles == c1 else "memory")
        busy2, busy1 = macs / A2, c1
    else:
        kv_space = P * (E + F) * eb
        per_q = (E + 1 + 1 + F) * eb  # Q row, running max, running sum, running numerator (artifact)
        p1 = max(1, min((arch.sram_bytes - kv_space) // (per_q * P), max(1, N // P)))
        traffic = (N * E + _cdiv(N, p1 * P) * N * (E + F) + N * F) * eb
        m1 = _cdiv(N, P)  # key blocks
        qk, lm, sln, sld, slnv = (scores * E / A2, scores / A2, EXP_2D_OPS * scores / A2, scores / A2,
                                  scores * F / A2)
        rm, prm, spd = N * m1 / A1, EXP_2D_OPS * N * m1 / A1, N * m1 / A1
        spnv, rd, rnv, av = N * F * m1 / A1, N * m1 / A1, N * F * m1 / A1, N * F / A1
        comp = max(qk + lm, rd + rnv + av) + rm + max(sln + sld, prm + spd) + max(slnv, spnv)
        mem = traffic / bpc
        cycles = max(comp, mem)
        bound = "memory" if mem > comp else "2d+1d cascade"
        busy2 = qk + lm + sln + sld + slnv
        busy1 = rm + prm + spd + spnv + rd + rnv + av
    cycles_total = cycles * units
    return {
        "mapping": mapping, "n": N, "cycles": cycles_total, "seconds": cycles_total / (arch.freq_mhz * 1e6),
        "busy_2d_cycles": busy2 * units, "util_mac": macs / (A2 * cycles), "util_2d": min(1.0, busy2 / cycles),
        "util_1d": min(1.0, busy1 / cycles), "offchip_bytes": int(math.ceil(traffic)) * units,
        "lower_bound_bytes": lower * units, "bound": bound,
    }


def attention_table(seq_lens, e_dim: int = 64, f_dim: int = 64, units: int = 1,
                    arch: SpatialArray = FUSEMAX_CLOUD) -> list[dict[str, float]]:
    """Rows of :func:`spatial_attention` for every mapping and sequence length."""
    if not seq_lens:
        raise ConfigError("seq_lens must name at least one sequence length")
    return [spatial_attention(m, n, e_dim, f_dim, units, arch) for n in seq_lens for m in MAPPINGS]
