"""Helpers shared by the examples (not part of archsim)."""

from __future__ import annotations

import sys
from pathlib import Path

#: Where the examples write their plots and tables.
OUT = Path(__file__).resolve().parent / "out"


def need_systolic_array():
    """Return ``archsim.load_design``, or exit with a one-line message if the design is missing."""
    try:
        from archsim import load_design
    except ImportError:
        sys.stderr.write("this example needs the systolic array (archsim.load_design), not available yet\n")
        raise SystemExit(1) from None
    return load_design


def simulate(design, trace, exact: bool = False):
    """Return ``archsim.simulate(design, trace)`` (run + cost)."""
    from archsim import simulate as _simulate

    return _simulate(design, trace, exact=exact)


def table(df, floatfmt: str = "{:.4g}") -> str:
    """Return ``df`` as aligned text with compact floats."""
    return df.to_string(index=False, float_format=lambda v: floatfmt.format(v))
