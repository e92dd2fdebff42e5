"""Perfetto / Chrome trace export of NPU and NPU+PIM runs: the result's schedule through the one exporter
(:func:`archsim.core.timeline.write_perfetto`), kept under its historical name."""

from __future__ import annotations

from typing import Any

from archsim.core.errors import ConfigError
from archsim.core.result import Result
from archsim.core.timeline import trace_events, write_perfetto


def chrome_trace(result: Result, path: str | None = None) -> dict[str, Any]:
    """Return (and write to ``path`` if given) the Trace Event JSON of ``result.schedule``: integer pid/tid,
    one thread per lane (``core0`` ..., ``vector``, ``dram``, ``host``; ``npu``/``pim`` for NPU+PIM), named
    by ``M`` metadata events; ``ts``/``dur`` in microseconds."""
    if result.schedule is None:
        raise ConfigError("result has no schedule (run it on an archsim design)")
    name = str(result.summary.get("design", "archsim"))
    if path is not None:
        return write_perfetto(result.schedule, path, name)
    return trace_events(result.schedule, name)
