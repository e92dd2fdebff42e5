"""Print the IDD-derived energy per bit of a streaming read next to the cited per-bit figure, per DRAM preset.

    python benchmarks/dram_energy_crosscheck.py [--requests N]

Each preset streams N sequential reads through the cycle-level model (``run_trace``, default controller); the
command counts and rank-active cycles are priced with :func:`archsim.cost.dram_energy` (core VDD from the
standard's cited IDD table) and divided by the bits read.  The per-bit column is
:data:`archsim.cost._tables.DRAM_PJ_PER_BIT` (device + I/O, where one is cited).  Standards without a public IDD
table print "unpriced".  A cross-check only: the two come from different sources and the IDD figure leaves out
I/O and VPP.
"""

from __future__ import annotations

import argparse

import numpy as np

from archsim.cost import ALL_TABLES, IDD_CURRENTS, dram_energy
from archsim.memory.dram import get_spec, list_specs, run_trace


def rows(requests: int = 20_000) -> list[dict]:
    """Return one dict per preset: name, standard, source, IDD pJ/bit (None if unpriced), cited pJ/bit."""
    per_bit = ALL_TABLES["DRAM_PJ_PER_BIT"]
    out = []
    for name in list_specs():
        spec = get_spec(name)
        std = spec.standard
        cited = per_bit[std].value if std in per_bit else None
        idd = None
        if std in IDD_CURRENTS:
            stats, _ = run_trace(spec, np.arange(requests, dtype=np.int64) * spec.access_bytes)
            e = dram_energy(spec, stats)
            bits = stats["rd_count"] * spec.access_bytes * 8
            idd = e["total_j"] / bits * 1e12
        out.append({"preset": name, "standard": std, "idd_pj_per_bit": idd, "cited_pj_per_bit": cited,
                    "source": IDD_CURRENTS[std]["source"] if std in IDD_CURRENTS else "no public IDD table found"})
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--requests", type=int, default=20_000)
    args = ap.parse_args()
    print("| preset | IDD pJ/bit (core, streaming read) | cited pJ/bit | ratio | IDD source |")
    print("|---|---|---|---|---|")
    for r in rows(args.requests):
        idd = "unpriced" if r["idd_pj_per_bit"] is None else f"{r['idd_pj_per_bit']:.2f}"
        cited = "-" if r["cited_pj_per_bit"] is None else f"{r['cited_pj_per_bit']:.2f}"
        ratio = (f"{r['idd_pj_per_bit'] / r['cited_pj_per_bit']:.2f}"
                 if r["idd_pj_per_bit"] is not None and r["cited_pj_per_bit"] is not None else "-")
        print(f"| {r['preset']} | {idd} | {cited} | {ratio} | {r['source']} |")


if __name__ == "__main__":
    main()
