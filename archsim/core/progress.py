"""Progress of long runs: a bar on stderr that shows up only once a run has taken a few seconds.

The CLI opens a bar around one run (``with progress(total, "run"): simulate(...)``); model code reports
finished work with :func:`tick` (one per op of a trace, one per served request) and never needs to know
whether a bar is open.  The bar is off with ``enabled=False`` (the CLI's ``--quiet``) and whenever stderr
is not a terminal (pipes, CI logs, ``--json`` consumers get nothing extra), and it appears only after
``delay_s`` seconds, so short runs print nothing.  Nested designs (a system of chips, an xPU + PIM) may
tick more than ``total``: the bar stops at ``total``.
"""

from __future__ import annotations

import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

#: Seconds a run must take before its bar appears.
DELAY_S = 3.0
#: Seconds between redraws of an open bar while no work finishes (one long op: the elapsed time runs on).
REFRESH_S = 1.0

_BAR: ContextVar[Any] = ContextVar("archsim_progress_bar", default=None)


class _Bar:
    """A tqdm bar drawn by a timer thread after ``delay_s`` (tqdm's own ``delay`` drew nothing on a pty)."""

    def __init__(self, total: int | None, desc: str, unit: str, delay_s: float) -> None:
        self.total, self.desc, self.unit, self.n = total, desc, unit, 0
        self._t0 = time.time()  # tqdm's clock: the bar's elapsed time counts from the run's start
        self._bar: Any = None
        self._lock = threading.Lock()
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._draw, args=(delay_s,), daemon=True)
        self._thread.start()

    def _draw(self, delay_s: float) -> None:
        if self._done.wait(delay_s):
            return
        from tqdm import tqdm

        with self._lock:
            if self._done.is_set():
                return
            self._bar = tqdm(total=self.total, initial=self.n, desc=self.desc, unit=self.unit, file=sys.stderr,
                             leave=False, dynamic_ncols=True)
            self._bar.start_t = self._bar.last_print_t = self._t0
            self._bar.refresh()
        while not self._done.wait(REFRESH_S):
            with self._lock:
                if self._bar is not None:
                    self._bar.refresh()

    def update(self, n: int) -> None:
        with self._lock:
            if self.total is not None:
                n = max(0, min(n, self.total - self.n))
            self.n += n
            if self._bar is not None and n:
                self._bar.update(n)

    def close(self) -> None:
        self._done.set()
        with self._lock:
            if self._bar is not None:
                self._bar.close()
                self._bar = None
        self._thread.join(timeout=5)


def tick(n: int = 1, unit: str = "op") -> None:
    """Report ``n`` finished units of work (``op`` of a trace, ``request`` served) to the open bar, if it
    counts that unit (a serving bar ignores the ops of the iterations it simulates); no-op otherwise."""
    bar = _BAR.get()
    if bar is not None and bar.unit == unit:
        bar.update(n)


def bar_enabled(enabled: bool = True, stream: Any = None) -> bool:
    """Return True if a bar would be drawn: ``enabled`` and ``stream`` (default stderr) is a terminal."""
    stream = sys.stderr if stream is None else stream
    try:
        return bool(enabled) and stream.isatty()
    except (AttributeError, ValueError):  # closed or replaced streams
        return False


@contextmanager
def progress(total: int | None, desc: str, unit: str = "op", enabled: bool = True,
             delay_s: float = DELAY_S) -> Iterator[Any]:
    """Open a progress bar of ``total`` units (None: unknown) for the duration of the block; yield it
    (None when off).

    Off (nothing printed, :func:`tick` a no-op) unless ``enabled`` and stderr is a terminal; drawn only
    once ``delay_s`` seconds have passed; removed when the block ends.
    """
    if not bar_enabled(enabled):
        yield None
        return
    bar = _Bar(total, desc, unit, delay_s)
    token = _BAR.set(bar)
    try:
        yield bar
    finally:
        _BAR.reset(token)
        bar.close()


__all__ = ["DELAY_S", "bar_enabled", "progress", "tick"]
