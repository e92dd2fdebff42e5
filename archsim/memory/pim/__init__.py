"""PIM-enabled DRAM: bank-level PIM units driven by DRAM commands (all-bank and single-bank modes).

Public API::

    pim = PimSpec(dram="hbm2", banks_per_unit=2, lanes=16, precision="fp16", unit_freq_mhz=300)
    ch = PimChannel(pim, refresh=True, record=True)
    start, end = ch.run([(signature, count), ...], mode="all_bank", exact=False)
    PimTimingChecker(pim).check(ch.log)       # [] when every DRAM and PIM rule holds

Command codes (:mod:`archsim.memory.pim._commands`) extend the DRAM ones: ``ACT_AB``, ``PRE_AB``,
``MAC_AB``, ``MAC_SB``, ``WRGRF``, ``RDACC``.  See docs/pim.md.
"""

from archsim.memory.pim._checker import PimTimingChecker
from archsim.memory.pim._commands import (
    ACT,
    ACT_AB,
    MAC_AB,
    MAC_SB,
    PIM_NAMES,
    PRE,
    PRE_AB,
    RD,
    RDACC,
    REF,
    WRGRF,
    command_name,
)
from archsim.memory.pim._engine import MODES, PimChannel, expand_tile
from archsim.memory.pim._rules import RULE_SOURCES, pim_rules, register_rules
from archsim.memory.pim._spec import PimSpec, derive_spec, ns_to_tck

__all__ = [
    "ACT",
    "ACT_AB",
    "PRE",
    "RD",
    "REF",
    "MAC_AB",
    "MAC_SB",
    "MODES",
    "PIM_NAMES",
    "RULE_SOURCES",
    "PRE_AB",
    "RDACC",
    "WRGRF",
    "PimChannel",
    "PimSpec",
    "PimTimingChecker",
    "command_name",
    "derive_spec",
    "expand_tile",
    "ns_to_tck",
    "pim_rules",
    "register_rules",
]
