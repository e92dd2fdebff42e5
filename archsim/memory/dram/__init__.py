"""Cycle-level DRAM: JEDEC presets, bank state machines, FR-FCFS controllers with refresh, an address
mapper, a timing checker, a memoized stream fast path and the ``DramMemory`` memory port.

Typical use::

    from archsim.memory.dram import get_spec, run_trace, DramMemory
    stats, system = run_trace("hbm2", addresses, is_write, cycles)
    port = DramMemory(get_spec("hbm2"), Clock(1000), exact=False)
    done = port.transfer(start_cycle, address, nbytes, write=False)
"""

from archsim.memory.dram._checker import TimingChecker, Violation, timing_rules
from archsim.memory.dram._command import parse_trace, run_dram_command
from archsim.memory.dram._commands import NAMES as COMMAND_NAMES
from archsim.memory.dram._config import ControllerConfig
from archsim.memory.dram._mapping import AddressMapper
from archsim.memory.dram._memory import DramMemory
from archsim.memory.dram._refresh import REFRESHERS, register_refresh
from archsim.memory.dram._scheduler import SCHEDULERS, register_scheduler
from archsim.memory.dram._spec import DramSpec, get_spec, list_specs, load_spec
from archsim.memory.dram._stream import StreamModel, StreamTiming, stream_addresses
from archsim.memory.dram._system import (
    DramSystem,
    closed_page_random_ceiling,
    read_trace,
    run_frontend,
    run_trace,
    write_trace,
)

__all__ = [
    "COMMAND_NAMES",
    "REFRESHERS",
    "SCHEDULERS",
    "AddressMapper",
    "ControllerConfig",
    "DramMemory",
    "DramSpec",
    "DramSystem",
    "StreamModel",
    "StreamTiming",
    "TimingChecker",
    "Violation",
    "closed_page_random_ceiling",
    "get_spec",
    "list_specs",
    "load_spec",
    "parse_trace",
    "read_trace",
    "run_dram_command",
    "register_refresh",
    "register_scheduler",
    "run_trace",
    "run_frontend",
    "stream_addresses",
    "timing_rules",
    "write_trace",
]
