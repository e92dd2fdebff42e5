"""Controller configuration: page policy, scheduler, refresh, queues, address mapping."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

from archsim.core.errors import ConfigError, require_choice, require_nonneg_int, require_positive_int

PAGE_POLICIES = ("open", "closed")
REFRESH_POLICIES = ("all_bank", "per_bank", "none")
QUEUE_STRUCTURES = ("per_channel", "per_bank")
WRITE_POLICIES = ("watermark", "dramsim3")


@dataclass(frozen=True)
class ControllerConfig:
    """How each channel controller schedules.

    Attributes:
        mapping: address field order, most to least significant (see :class:`AddressMapper`).
        page_policy: ``open`` keeps rows open until a conflict; ``closed`` precharges as soon as no queued
            request hits the open row.
        scheduler: a registered scheduler name (``frfcfs``, ``fcfs``).
        refresh: ``all_bank`` (REF every tREFI per rank), ``per_bank`` (one REFB every tREFIb, round robin)
            or ``none``.
        read_queue, write_queue: queue entries per channel.
        write_high, write_low: write-drain watermarks (entries): drain writes when the write queue reaches
            ``write_high`` (or no read is queued) until it falls to ``write_low``.
        queue_structure: ``per_channel`` (one read and one write queue per channel, FR-FCFS over all of it) or
            ``per_bank`` (DRAMsim3's structure: ``read_queue``/``write_queue`` transaction queues feeding per-bank
            command queues of ``cmd_queue`` entries, one transaction per tCK, round-robin first-ready issue;
            see :mod:`archsim.memory.dram._bankqueue`).
        cmd_queue: per-bank command-queue entries (``per_bank`` only; DRAMsim3 ``cmd_queue_size``).
        write_policy: ``watermark`` (``write_high``/``write_low``) or ``dramsim3`` (drain the whole write queue
            when it is full or holds more than ``write_drain_min`` with the command queues empty; ``per_bank`` only).
        write_drain_min: see ``write_policy`` (DRAMsim3 controller.cc: 8).
        row_hit_cap: column commands a row may serve before a waiting conflict may close it (``per_bank``;
            DRAMsim3 command_queue.cc: 4).
    """

    mapping: str = "rorabacopcchbg"
    page_policy: str = "open"
    scheduler: str = "frfcfs"
    refresh: str = "all_bank"
    read_queue: int = 32
    write_queue: int = 32
    write_high: int = 24
    write_low: int = 8
    queue_structure: str = "per_channel"
    cmd_queue: int = 8
    write_policy: str = "watermark"
    write_drain_min: int = 8
    row_hit_cap: int = 4

    def __post_init__(self) -> None:
        from archsim.memory.dram._scheduler import SCHEDULERS

        require_choice("page_policy", self.page_policy, PAGE_POLICIES)
        require_choice("refresh", self.refresh, REFRESH_POLICIES)
        require_choice("scheduler", self.scheduler, tuple(SCHEDULERS))
        require_choice("queue_structure", self.queue_structure, QUEUE_STRUCTURES)
        require_choice("write_policy", self.write_policy, WRITE_POLICIES)
        require_positive_int("cmd_queue", self.cmd_queue)
        require_nonneg_int("write_drain_min", self.write_drain_min)
        require_positive_int("row_hit_cap", self.row_hit_cap)
        require_positive_int("read_queue", self.read_queue)
        require_positive_int("write_queue", self.write_queue)
        require_positive_int("write_high", self.write_high)
        require_nonneg_int("write_low", self.write_low)
        if self.write_high > self.write_queue:
            raise ConfigError(f"write_high must be at most write_queue ({self.write_queue}), not {self.write_high!r}")
        if self.write_low >= self.write_high:
            raise ConfigError(f"write_low must be below write_high ({self.write_high}), not {self.write_low!r}")

    def to_dict(self) -> dict[str, Any]:
        """Return the fields as a plain dict."""
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ControllerConfig:
        """Build from a dict with the field names."""
        names = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(data) - names)
        if unknown:
            raise ConfigError(f"unknown controller field {unknown[0]!r}; allowed: {', '.join(sorted(names))}")
        return cls(**data)
