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
        self._lock = threading.Lock()
        self._calls: dict[int, _Call] = {}
        self._ids = itertools.count()

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
            self._arm()
        try:
            yield
        finally:
            with self._lock:
                self._calls.pop(key, None)
                self._arm()

    def rearm(self) -> None:
        """The lease was renewed: move the deadlines of writes in progress with it."""
        if self.enabled:
            with self._lock:
                self._arm()

    def _arm(self) -> None:
        if not self._calls:
            faulthandler.cancel_dump_traceback_later()
            return
        lease = self.lease_until()
        deadline = min(
            min(c.started + c.limit, lease) if c.fenced else c.started + c.limit for c in self._calls.values()
        )
        left = max(0.001, deadline - self._clock())
        faulthandler.dump_traceback_later(left, exit=True, file=self._log_file())

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
