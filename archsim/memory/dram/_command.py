"""The logic of ``archsim dram`` (the CLI module only parses arguments and prints).

Trace formats (one request = one burst of ``spec.access_bytes``; ``#`` starts a comment):

* ``dramsim3``: ``0xADDR READ|WRITE cycle`` (DRAMsim3's trace format; ``R``/``W``/``RD``/``WR`` also read)
* ``ramulator``: ``0xADDR R|W`` (Ramulator's memory trace; no cycle: every request offered as soon as possible)

``auto`` (default) takes the format from the first request line.  Arrival semantics are those of
:func:`~archsim.memory.dram._system.run_frontend` (DRAMsim3's trace front end): offered at the trace cycle, at
most one per cycle, in order; the trace stalls while the target queue is full; latency = return - acceptance.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from archsim.core.errors import ConfigError

FORMATS = ("auto", "dramsim3", "ramulator")
_KINDS = {"READ": False, "R": False, "RD": False, "WRITE": True, "W": True, "WR": True}


def parse_trace(path: str | Path, fmt: str = "auto"):
    """Return (addresses int64, is_write bool, cycles int64) numpy arrays read from a trace file."""
    import numpy as np

    if fmt not in FORMATS:
        raise ConfigError(f"trace format must be one of {', '.join(FORMATS)}, not {fmt!r}")
    from archsim.core.fields import path_exists

    if not path_exists(path, "trace file", file=True):
        raise ConfigError(f"trace file {str(path)!r} does not exist")
    p = Path(path)
    width = {"dramsim3": 3, "ramulator": 2}.get(fmt)
    text = p.read_bytes()
    if b"#" not in text:  # fast path: whitespace-separated tokens, checked per column below
        if width is None:
            first = text.split(b"\n", 1)[0].split()
            width = len(first) if len(first) in (2, 3) else 3
        got = _parse_fast(text, width)
        if got is not None:
            return got
    lines = text.decode(errors="replace").splitlines()
    addrs: list[int] = []
    writes: list[bool] = []
    cycles: list[int] = []
    width = {"dramsim3": 3, "ramulator": 2}.get(fmt)
    kinds = _KINDS
    for lineno, line in enumerate(lines, 1):
        if "#" in line:
            line = line.split("#", 1)[0]
        parts = line.split()
        if not parts:
            continue
        if width is None:
            width = len(parts) if len(parts) in (2, 3) else 3
        if len(parts) != width:
            want = "'0xADDR READ|WRITE cycle'" if width == 3 else "'0xADDR R|W'"
            raise ConfigError(f"{p.name}:{lineno}: expected {want}, not {line.strip()!r}")
        k = kinds.get(parts[1].upper())
        if k is None:
            raise ConfigError(f"{p.name}:{lineno}: kind must be READ/WRITE (or R/W), not {parts[1]!r}")
        try:
            a = int(parts[0], 0)
            c = int(parts[2], 0) if width == 3 else 0
        except ValueError:
            raise ConfigError(f"{p.name}:{lineno}: address and cycle must be integers, not {line.strip()!r}") from None
        if a < 0 or c < 0:
            raise ConfigError(f"{p.name}:{lineno}: address and cycle must be non-negative, not {line.strip()!r}")
        addrs.append(a)
        writes.append(k)
        cycles.append(c)
    return np.array(addrs, dtype=np.int64), np.array(writes, dtype=bool), np.array(cycles, dtype=np.int64)


_CHUNK_BYTES = 1 << 16  # the fast reader converts whole lines this many bytes at a time (bounds its peak memory)


def _parse_fast(text: bytes, width: int):
    """Return the three arrays of a comment-free trace of ``width`` tokens per line, or None if any chunk does not
    parse (the line-by-line reader then names the first bad line)."""
    import numpy as np

    parts: list[tuple] = []
    pos, n = 0, len(text)
    while pos < n:
        end = text.find(b"\n", min(pos + _CHUNK_BYTES, n))
        end = n if end < 0 else end
        toks = text[pos:end].split()
        pos = end + 1
        if len(toks) % width:
            return None
        try:
            kinds = np.array([_KINDS[k.decode().upper()] for k in toks[1::width]], dtype=bool)
            addrs = np.array([int(x, 0) for x in toks[0::width]], dtype=np.int64)
            cycles = (np.array([int(x, 0) for x in toks[2::width]], dtype=np.int64) if width == 3
                      else np.zeros(addrs.size, dtype=np.int64))
        except (KeyError, ValueError, UnicodeDecodeError, OverflowError):
            return None
        if (addrs.size and addrs.min() < 0) or (cycles.size and cycles.min() < 0):
            return None
        parts.append((addrs, kinds, cycles))
    if not parts:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=bool), np.zeros(0, dtype=np.int64)
    return tuple(np.concatenate([q[i] for q in parts]) for i in range(3))


def load_controller(path: str | Path | None, **overrides: Any):
    """Return a :class:`ControllerConfig` from a YAML file of its fields (or defaults), fields overridden."""
    from archsim.memory.dram._config import ControllerConfig

    data: dict[str, Any] = {}
    if path is not None:

        p = Path(path)
        if not p.is_file():
            raise ConfigError(f"controller file {str(path)!r} does not exist")
        from archsim.core.fields import load_yaml_text

        data = load_yaml_text(p.read_text(), f"controller file {str(path)!r}") or {}
        if not isinstance(data, dict):
            raise ConfigError(f"controller file {str(path)!r} must hold a mapping of controller fields")
    data.update({k: v for k, v in overrides.items() if v is not None})
    return ControllerConfig.from_dict(data)


def write_command_log(path: str | Path, system) -> int:
    """Write every issued command as ``cycle channel CMD rank bg bank row request`` lines; return the count."""
    from archsim.memory.dram._commands import NAMES

    n = 0
    rows = []
    for ch, log in enumerate(system.logs or []):
        for e in log:
            rid = e[6] if len(e) > 6 else -1
            rows.append((e[0], ch, NAMES[e[1]], e[2], e[3], e[4], e[5], rid))
    rows.sort(key=lambda r: (r[0], r[1]))
    with Path(path).open("w") as fh:
        fh.write("# cycle channel command rank bankgroup bank row request\n")
        for r in rows:
            fh.write(" ".join(map(str, r)) + "\n")
            n += 1
    return n


def run_dram_command(spec_name: str, trace: str, *, fmt: str = "auto", controller: str | None = None,
                     log_commands: str | None = None, check: bool = False, **overrides: Any) -> dict[str, Any]:
    """Run one trace as ``archsim dram`` does; return the summary dict (``--json`` output).

    ``overrides`` are ControllerConfig fields (``mapping``, ``page_policy``, ``refresh``, ``scheduler`` ...).
    The CLI adds ``energy_j`` from the command counts (archsim/cli/dram.py: the DRAM model never imports
    archsim.cost).
    """
    from archsim.memory.dram._spec import load_spec
    from archsim.memory.dram._system import run_frontend

    spec = load_spec(spec_name)
    config = load_controller(controller, **overrides)
    if config.refresh == "per_bank" and spec.tREFIb == 0:
        raise ConfigError(f"refresh must be all_bank or none for {spec.name} (no per-bank refresh), not 'per_bank'")
    addrs, writes, cycles = parse_trace(trace, fmt)
    record = bool(log_commands or check)
    stats, system = run_frontend(spec, addrs, writes, cycles, config, record=record)
    stats["queue_structure"] = config.queue_structure
    if log_commands:
        stats["commands_logged"] = write_command_log(log_commands, system)
    if check:
        from archsim.memory.dram._checker import TimingChecker

        checker = TimingChecker(spec, refresh=config.refresh)
        v = checker.check_system(system)
        stats["violations"] = len(v)
        stats["violation_examples"] = [str(x) for x in v[:5]]
    return stats
