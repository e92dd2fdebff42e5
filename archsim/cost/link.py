"""Chip-to-chip link energy: kind ``link`` prices ``link_<i>_bytes`` (bytes x links crossed) at pJ/bit.

A multi-chip design (``archsim.arch.system``) reports, per collective row, the bytes each class of
link carried summed over every link crossed; this model multiplies them by 8 and the component's
``pj_per_bit`` (its topology's link, per hop).  Off chip: no area, no leakage.  The cited table below
gives defaults for the presets' links.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from archsim.cost._components import MODELS, CostModel, _col
from archsim.cost._tables import Entry
from archsim.network.link import LINK_ENERGY_PJ_PER_BIT

#: Energy per bit of one link hop, pJ/bit (the table of archsim.network.link, with its sources).
LINK_PJ_PER_BIT: dict[str, Entry] = {k: Entry(v, "pJ/bit", src) for k, (v, src) in LINK_ENERGY_PJ_PER_BIT.items()}


class LinkEnergy(CostModel):
    """Chip-to-chip links: ``column`` (default ``link_bytes``) x 8 x ``pj_per_bit`` (spec, default serdes_112g)."""

    kind = "link"
    category = "noc"
    on_chip = False

    def __init__(self, spec: Mapping[str, Any], node_nm: float) -> None:
        super().__init__(spec, node_nm)
        self.pj_per_bit = self._opt_number("pj_per_bit", float(LINK_PJ_PER_BIT["serdes_112g"].value))
        self.column = str(spec.get("column", "link_bytes"))

    def columns(self) -> tuple[str, ...]:
        return (self.column,)

    def dynamic_pj(self, ops: pd.DataFrame) -> np.ndarray:
        return np.nan_to_num(_col(ops, self.column)) * 8.0 * self.pj_per_bit


MODELS[LinkEnergy.kind] = LinkEnergy
