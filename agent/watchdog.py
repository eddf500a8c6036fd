"""The watchdog: no broker call may block the agent for ever, and no broker write may outlast the agent's lease.

The ``MetaTrader5`` extension holds the GIL for the whole of every call and has no time-out (mt5-api §5.1), so no
Python thread can interrupt a hung call, or even run while it hangs. The watchdog therefore uses
:func:`faulthandler.dump_traceback_later`, whose timer is a C thread that needs no GIL: when a guarded call is still
running at its deadline, it writes every thread's stack to the agent's log (stderr) and ends the process
(``_exit(1)``). The app restarts a dead agent; the next agent reconciles the job by its comment at the broker.

Deadlines: a read or a connect gets a fixed limit; a write gets ``write_limit`` seconds but never past the moment
the agent's lease stops being valid for it (``lease_until``, on the :func:`time.monotonic` clock), which moves on
with every renewal that arrives while the write runs. This is the agent's half of fencing: it never sends while
another process may hold its agent id's lease (docs/architecture.md, "Fencing").

Cost: setting faulthandler's timer starts and joins a C thread (0.05–0.25 ms here), too much for every one of the
ten-odd broker calls of an alert. The timer is therefore only moved when it must, and each call accepts a window
instead of an instant: a write is ended within :data:`SLACK` seconds (a tenth of its limit at most) *before* its
deadline, never after (fencing needs the upper bound); a read or a connect is ended once it ran at least a quarter of
its limit and at most its limit (a read that slow is hung either way). So a timer set for one call usually fits the
next ones, and it moves a few times a minute while trading, not for every call. When no call is in progress a monitor
thread cancels the timer shortly before it would fire (nothing can hold the GIL then).
"""

from __future__ import annotations

import faulthandler
import itertools
import logging
import os
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import IO, Any

logger = logging.getLogger(__name__)

#: Default limits, in seconds: reading the terminal, connecting to it (initialize may start the terminal), writing.
READ_LIMIT = 60.0
CONNECT_LIMIT = 120.0
WRITE_LIMIT = 30.0

#: Seconds by which a write may be ended before its deadline (at most a tenth of its limit): see the docstring.
SLACK = 1.0

#: The monitor cancels an idle timer this many seconds before it would fire.
CANCEL_AHEAD = 0.25


@dataclass(frozen=True)
class WatchdogLimits:
    """How long a broker call may run before the watchdog ends the process, in seconds."""

    read: float = READ_LIMIT
    connect: float = CONNECT_LIMIT
    write: float = WRITE_LIMIT


@dataclass(frozen=True)
class _Call:
    what: str
    started: float
    limit: float
    fenced: bool

    def window(self, lease: float) -> tuple[float, float]:
        """When the process may be ended for this call: ``(earliest, deadline)`` (see the module docstring)."""
        if self.fenced:
            deadline = min(self.started + self.limit, lease)
            return deadline - min(SLACK, self.limit / 10), deadline
        return self.started + self.limit / 4, self.started + self.limit


class Watchdog:
    """Guards broker calls (thread-safe). ``lease_until()`` is when the lease stops being valid for a write
    (monotonic seconds; ``inf`` without a lease); ``enabled=False`` makes it a no-op (in-process tests).
    The stacks go to the first log file of the root logger, else stderr (the agent's log either way)."""

    def __init__(
        self,
        *,
        lease_until: Callable[[], float] = lambda: float("inf"),
        enabled: bool = True,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        #: When the lease stops being valid for a write (monotonic seconds); set once the lease keeper exists.
        self.lease_until = lease_until
        self.enabled = enabled
        self._clock = clock
        self._devnull: IO[Any] | None = None
        self._lock = threading.Condition()
        self._calls: dict[int, _Call] = {}
        self._ids = itertools.count()
        #: When faulthandler's timer fires now (monotonic seconds), or ``None`` when it is not set.
        self.armed: float | None = None
        self._monitor: threading.Thread | None = None

    @contextmanager
    def guard(self, what: str, limit: float, *, fenced: bool = False) -> Iterator[None]:
        """Run the ``with`` body under a deadline of ``limit`` seconds (and, with ``fenced``, never past the lease's
        validity): past it, the process ends with every thread's stack in the log."""
        if not self.enabled:
            yield
            return
        key = next(self._ids)
        with self._lock:
            self._calls[key] = _Call(what, self._clock(), limit, fenced)
            self._settle()
        try:
            yield
        finally:
            with self._lock:
                del self._calls[key]
                self._settle()  # with no call left the timer stays: the monitor cancels it in time

    def rearm(self) -> None:
        """The lease was renewed (or lost): move the deadlines of writes in progress with it."""
        if self.enabled:
            with self._lock:
                self._settle()

    def _settle(self) -> None:
        """With the lock held: make the timer fit every call in progress (fire within each call's window)."""
        if not self._calls:
            return
        lease = self.lease_until()
        windows = [c.window(lease) for c in self._calls.values()]
        earliest, deadline = max(w[0] for w in windows), min(w[1] for w in windows)
        if self.armed is not None and earliest <= self.armed <= deadline:
            return
        self._set(deadline)

    def _set(self, when: float) -> None:
        faulthandler.dump_traceback_later(max(0.001, when - self._clock()), exit=True, file=self._log_file())
        self.armed = when
        if self._monitor is None:
            self._monitor = threading.Thread(target=self._watch_idle, name="watchdog", daemon=True)
            self._monitor.start()
        self._lock.notify_all()

    def _watch_idle(self) -> None:
        """Cancel the timer shortly before it fires when no call is in progress (the GIL is free then)."""
        with self._lock:
            while True:
                if self.armed is None:
                    self._lock.wait()
                    continue
                left = self.armed - CANCEL_AHEAD - self._clock()
                if left > 0:
                    self._lock.wait(left)
                    continue
                if self._calls:
                    self._settle()
                    self._lock.wait(CANCEL_AHEAD)  # the calls' own timer: it fires if they are still running
                else:
                    faulthandler.cancel_dump_traceback_later()
                    self.armed = None

    def _log_file(self) -> IO[Any]:
        """Where the stacks go: it must have a file descriptor (faulthandler writes without Python)."""
        for handler in logging.getLogger().handlers:
            stream = getattr(handler, "stream", None)
            if isinstance(handler, logging.FileHandler) and stream is not None and not stream.closed:
                return stream
        if sys.stderr is not None:
            try:
                sys.stderr.fileno()
                return sys.stderr
            except (OSError, ValueError, AttributeError):
                pass
        if self._devnull is None:
            self._devnull = open(os.devnull, "w")  # noqa: SIM115 - kept for the process's life
        return self._devnull
