"""The vocabularies every part of archsim shares, each defined once here.

* **Action columns**: the per-op counts a design reports in ``Result.ops`` and :mod:`archsim.cost` prices
  (:data:`ACTION_PATTERNS`, :func:`is_action`, :data:`ACTION_COLUMNS`).
* **Number formats**: bytes per element, whether a MAC of that format is integer or floating point,
  the mantissa width that sets its multiplier energy, and the MAC-rate class a design's ``mac_rate``
  table is keyed by (:data:`NUMBER_FORMATS`, :data:`PRECISION_BYTES`, :data:`PRECISIONS`).
* **DRAM standards**: the standard names a design may report to the cost model and a DRAM spec may carry
  (:data:`DRAM_STANDARDS`); the energy of each lives in :mod:`archsim.cost`, which says so where it has none.

Extending: a new action column is one pattern here plus a cost model that prices it; a new number format is
one :class:`NumberFormat` row; a new DRAM standard is one name here (and its spec preset in
``archsim/memory/dram``; its energy entry in ``archsim/cost``).  See docs/architecture.md.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# ----------------------------------------------------------------------------------------------- actions
#: Action columns (regular expressions over ``Result.ops`` column names).  Units are in the names:
#: ``_bytes`` bytes moved, ``_count`` events; ``macs`` multiply-accumulates (by the row's precisions).
ACTION_PATTERNS: tuple[str, ...] = (
    r"^macs$",                              # MACs of the row, format from a_precision/b_precision
    r"^sram_\w+_(read|write)_bytes$",       # SRAM buffer <name> traffic, bytes
    r"^rf_access_count$",                   # PE register-file accesses
    r"^dram_(read|write)_bytes$",           # off-chip traffic, bytes
    r"^dram_(act|rd|wr|pre|ref)_count$",    # DRAM commands (when the memory model issues them)
    r"^noc_hop_bytes$",                     # bytes x hops on the on-chip network
    r"^pim_(mac|col_access)_count$",        # PIM lane MACs and in-bank column accesses
    r"^pim_tsv_bytes$",                     # logic-die PIM: bytes over the stack's TSVs
    r"^vector_op_count$",                   # vector-unit lane operations
)
_ACTION_RE = re.compile("|".join(f"(?:{p})" for p in ACTION_PATTERNS))

#: The fixed action columns (every ``sram_<buffer>_*`` name of the built-in designs included).
ACTION_COLUMNS: tuple[str, ...] = (
    "macs", "rf_access_count", "dram_read_bytes", "dram_write_bytes", "dram_act_count", "dram_rd_count",
    "dram_wr_count", "dram_pre_count", "dram_ref_count", "noc_hop_bytes", "pim_mac_count",
    "pim_col_access_count", "pim_tsv_bytes", "vector_op_count",
) + tuple(f"sram_{b}_{rw}_bytes" for b in ("ifmap", "filter", "ofmap", "l2") for rw in ("read", "write"))


def is_action(column: str) -> bool:
    """Return True if ``column`` names an action count that :mod:`archsim.cost` prices."""
    return _ACTION_RE.match(column) is not None


# ------------------------------------------------------------------------------------------ number formats
@dataclass(frozen=True)
class NumberFormat:
    """One number format.

    Attributes:
        name: the name traces and designs use (``int8``, ``bf16`` ...).
        bytes: bytes per element (``int4``: 0.5).
        kind: ``int`` or ``float`` (the MAC energy class: integer vs floating-point multiplier and adder).
        mantissa_bits: significand bits including the hidden bit (floats), or the width (ints); the
            multiplier energy scales with its square (archsim.cost).
        source: where the layout comes from.

    ``kind`` is the energy class (archsim.cost prices int and float MACs by different fits);
    :attr:`rate_class` the MAC-rate class (the key of a design's ``mac_rate`` table).
    """

    name: str
    bytes: float
    kind: str
    mantissa_bits: int
    source: str

    @property
    def bits(self) -> int:
        """Width of one element, bits."""
        return int(self.bytes * 8)

    @property
    def rate_class(self) -> str:
        """The key a design's ``mac_rate`` table uses for this format."""
        return self.name


#: Every number format archsim knows, in one table.
NUMBER_FORMATS: dict[str, NumberFormat] = {f.name: f for f in (
    NumberFormat("int4", 0.5, "int", 4, "two's-complement integer width"),
    NumberFormat("int8", 1.0, "int", 8, "two's-complement integer width"),
    NumberFormat("int16", 2.0, "int", 16, "two's-complement integer width"),
    NumberFormat("int32", 4.0, "int", 32, "two's-complement integer width"),
    NumberFormat("fp8_e4m3", 1.0, "float", 4, "Micikevicius et al., 'FP8 formats for deep learning', 2022: E4M3, 3+1"),
    NumberFormat("fp8_e5m2", 1.0, "float", 3, "Micikevicius et al., 'FP8 formats for deep learning', 2022: E5M2, 2+1"),
    NumberFormat("fp16", 2.0, "float", 11, "IEEE 754-2008 binary16: 10 fraction bits + hidden bit"),
    NumberFormat("bf16", 2.0, "float", 8, "bfloat16 (Google Brain float): 7 fraction bits + hidden bit"),
    NumberFormat("fp32", 4.0, "float", 24, "IEEE 754-2008 binary32: 23 fraction bits + hidden bit"),
    # TensorFloat-32: stored as fp32 (4 bytes), multiplied on tensor cores with a 10-bit mantissa
    # (NVIDIA A100 whitepaper 2020, "TF32"); distinct from true fp32, which GPUs run on CUDA cores
    NumberFormat("tf32", 4.0, "float", 11, "NVIDIA A100 whitepaper (2020): TF32, 10 fraction bits + hidden bit, "
                 "stored as fp32"),
)}
#: Bytes per element of each format.
PRECISION_BYTES: dict[str, float] = {n: f.bytes for n, f in NUMBER_FORMATS.items()}
#: Every format name.
PRECISIONS: tuple[str, ...] = tuple(NUMBER_FORMATS)
#: Integer formats, narrowest first.
INT_FORMATS: tuple[str, ...] = tuple(n for n, f in NUMBER_FORMATS.items() if f.kind == "int")
#: Floating-point formats, fewest mantissa bits first.
FLOAT_FORMATS: tuple[str, ...] = tuple(sorted((n for n, f in NUMBER_FORMATS.items() if f.kind == "float"),
                                              key=lambda n: NUMBER_FORMATS[n].mantissa_bits))

# ----------------------------------------------------------------------------------------- DRAM standards
#: Every DRAM standard name (lower case) a design may report (``components()`` ``{"kind": "dram",
#: "standard": ...}``) and a DRAM spec may carry.  JEDEC documents: JESD79-3 (DDR3), JESD79-4 (DDR4),
#: JESD79-5 (DDR5), JESD209-4 (LPDDR4), JESD209-5/5B (LPDDR5/5X), JESD212 (GDDR5), JESD250 (GDDR6),
#: JESD239 (GDDR7), JESD235 (HBM), JESD235B/C (HBM2/HBM2E), JESD238 (HBM3; HBM3E: vendors' faster grades
#: of it), JESD270-4 (HBM4).  Whether archsim.cost has an energy figure for a standard is the cost model's
#: business: where it has none it says so, it never prices one as another.
DRAM_STANDARDS: tuple[str, ...] = ("ddr3", "ddr4", "ddr5", "lpddr4", "lpddr5", "lpddr5x", "gddr5", "gddr6",
                                   "gddr7", "hbm", "hbm2", "hbm2e", "hbm3", "hbm3e", "hbm4")


def dram_standard(name: object) -> str:
    """Return the canonical (lower-case) DRAM standard name of ``name``; ConfigError if it is not one."""
    from archsim.core.errors import ConfigError

    std = str(name).lower() if isinstance(name, str) else None
    if std not in DRAM_STANDARDS:
        raise ConfigError(f"DRAM standard must be one of {', '.join(DRAM_STANDARDS)}, not {name!r}")
    return std


def check_dram_standard(field: str, name: object) -> str:
    """Return ``name`` if it names a DRAM standard (any case), else raise ConfigError naming ``field``."""
    from archsim.core.errors import ConfigError
    from archsim.core.fields import short_repr

    if not isinstance(name, str) or name.lower() not in DRAM_STANDARDS:
        raise ConfigError(f"{field} must be one of {', '.join(DRAM_STANDARDS)}, not {short_repr(name)}")
    return name


# ----------------------------------------------------------------------------------------- technology nodes
#: Smallest and largest node (nm) archsim.cost prices (Stillmaker & Baas 2017 tables span 130..7 nm;
#: below 7 nm the IRDS-based rule of hwcomponents extends them to 5 nm).  A design's ``node_nm`` is held
#: to this range at construction, so a bad node is refused before a run, not after it.
NODE_MIN_NM = 5.0
NODE_MAX_NM = 130.0


def check_node(node_nm: object, field: str = "node_nm") -> float:
    """Return ``node_nm`` (nm) as float if it is a number in [5, 130] nm, else raise ConfigError."""
    from archsim.core.errors import ConfigError

    if isinstance(node_nm, bool) or not isinstance(node_nm, (int, float)) or not (
        NODE_MIN_NM <= node_nm <= NODE_MAX_NM
    ):
        from archsim.core.fields import short_repr

        raise ConfigError(f"{field} must be a number between {NODE_MIN_NM:g} and {NODE_MAX_NM:g} (nm), "
                          f"not {short_repr(node_nm)}")
    return float(node_nm)


__all__ = [
    "NODE_MAX_NM",
    "NODE_MIN_NM",
    "check_dram_standard",
    "check_node",
    "ACTION_COLUMNS",
    "ACTION_PATTERNS",
    "DRAM_STANDARDS",
    "FLOAT_FORMATS",
    "INT_FORMATS",
    "NUMBER_FORMATS",
    "NumberFormat",
    "PRECISIONS",
    "PRECISION_BYTES",
    "dram_standard",
    "is_action",
]
