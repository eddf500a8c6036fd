"""Slow and idle clients cannot exhaust a listener (issue 9.6): request read time-outs and a connection cap.

uvicorn reads requests without a time-out. Its keep-alive time-out runs only *between* requests and every byte
received cancels it, so a connection that sends nothing, or trickles its headers or its body a byte at a time
("slowloris"), stays open for ever. 1,100 of them used up the process's 1,024 file descriptors: the listeners
stopped accepting (asyncio logs every refused ``accept()``), SQLite could not open its files, and webhooks,
``/healthz`` and the admin API all timed out. Neither HTTP protocol class of uvicorn has a header-read time-out,
and ``limit_concurrency`` does not help: it counts idle connections too and answers 503 to the *legitimate* request
while the idle ones keep their places.

:func:`guarded` wraps uvicorn's HTTP protocol class (``H11Protocol`` or ``HttpToolsProtocol``: it uses only what
both share) with two rules, per listener (:class:`ListenerLimits`):

- **read time-outs**: a request must arrive whole, its headers within ``header_timeout`` seconds of the connection
  opening (or of the previous answer on a kept-alive connection), then its body within ``body_timeout`` seconds of
  its headers. Otherwise the connection is closed; an app still waiting for that body sees the client disconnect
  (:mod:`server.disconnects`). Time spent answering is not limited: an agent's long-poll waits 25 s by design.
  Headers are also capped in size (``max_header_bytes``, answered 431): h11 has its own 16 KiB limit, httptools
  none, and a client could otherwise send megabytes of headers within its time-out.
- **a connection cap**: at most ``max_connections`` open connections. When a new one would exceed it, the open
  connection that has waited longest for its request is closed to make room: a real client (TradingView through
  the tunnel, the agent, the dashboard) sends its whole request within milliseconds of connecting, so the
  connections still waiting are the idle and the slow ones. Only when every connection is busy being answered is
  the new one refused, with ``503`` (TradingView resends an alert answered 5xx, except 504).

:func:`listener_limits` derives both listeners' caps from the process's open-file limit so that the caps, the
connections accepted in one batch beyond them (``backlog``, see :class:`ListenerLimits`) and a reserve for the
database, logs and pipes always fit: the listeners can no longer run the process out of file descriptors.
"""

from __future__ import annotations

import asyncio
import enum
import logging
import sys
import time
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

logger = logging.getLogger(__name__)

#: File descriptors kept for everything but the listeners' connections: SQLite (3 per pooled connection: the
#: database, its WAL and shared-memory files), log files, the agent's pipes, the event loop, the tunnel.
FD_RESERVE = 96
#: The soft open-file limit is raised towards this (never above the hard limit) at start: macOS starts processes
#: with 256, many Linux systems with 1,024.
FD_WANTED = 4096
#: Caps when the open-file limit leaves room for them (always, on Windows: sockets are not bounded there).
PUBLIC_MAX_CONNECTIONS = 256
ADMIN_MAX_CONNECTIONS = 64

def _answer(status: bytes, text: bytes, extra: bytes = b"") -> bytes:
    """A whole HTTP/1.1 answer that closes the connection (written before or instead of reading the request)."""
    return (
        b"HTTP/1.1 " + status + b"\r\ncontent-type: text/plain; charset=utf-8\r\n" + extra
        + b"connection: close\r\ncontent-length: " + str(len(text)).encode() + b"\r\n\r\n" + text
    )


_RESPONSE_503 = _answer(b"503 Service Unavailable", b"Too many connections at once; try again shortly.",
                        b"retry-after: 1\r\n")
_RESPONSE_431 = _answer(b"431 Request Header Fields Too Large", b"The request's headers are too large.")


@dataclass(frozen=True)
class ListenerLimits:
    """How much one listener allows.

    - ``max_connections``: open connections at most (new ones beyond it close the one waiting longest);
    - ``header_timeout``, ``body_timeout``: seconds for a request's headers (from the connection opening or the
      previous answer) and then for its body;
    - ``backlog``: the listen queue of the socket. asyncio also accepts up to this many connections in one go
      before the cap can close any, so a few of these batches must fit in the file descriptors left over.
    - ``max_header_bytes``: bytes a request may send before its headers are complete (above h11's own 16 KiB, so
      that h11's answer comes first where it applies);
    - ``name``: the listener's name in log lines (``public``, ``admin``).
    """

    name: str
    max_connections: int
    header_timeout: float = 10.0
    body_timeout: float = 10.0
    backlog: int = 128
    max_header_bytes: int = 32 * 1024


def open_files_limit() -> int | None:
    """The process's soft open-file limit after raising it towards :data:`FD_WANTED` (never above the hard limit);
    ``None`` on Windows, where sockets are not counted against such a limit."""
    if sys.platform == "win32":
        return None
    import resource

    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    wanted = FD_WANTED if hard == resource.RLIM_INFINITY else min(FD_WANTED, hard)
    if soft != resource.RLIM_INFINITY and soft < wanted:
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (wanted, hard))
            soft = wanted
        except (ValueError, OSError) as exc:  # a container may refuse; the caps below then follow the lower limit
            logger.warning("could not raise the open-file limit from %s to %s: %s", soft, wanted, exc)
    return None if soft == resource.RLIM_INFINITY else int(soft)


def listener_limits(fd_limit: int | None) -> tuple[ListenerLimits, ListenerLimits]:
    """The public and admin listeners' limits for a process allowed ``fd_limit`` open files (``None``: unbounded).

    The caps, three accept batches (``backlog``) beyond them and :data:`FD_RESERVE` fit in ``fd_limit``: with 1,024
    that is 256 public and 64 admin connections, with 256 (macOS's default) 84 and 28.
    """
    if fd_limit is None:
        return (
            ListenerLimits("public", PUBLIC_MAX_CONNECTIONS),
            ListenerLimits("admin", ADMIN_MAX_CONNECTIONS),
        )
    backlog = max(8, min(128, fd_limit // 16))
    budget = max(0, fd_limit - FD_RESERVE - 3 * backlog)
    public = max(8, min(PUBLIC_MAX_CONNECTIONS, budget * 3 // 4))
    admin = max(8, min(ADMIN_MAX_CONNECTIONS, budget // 4))
    return (
        ListenerLimits("public", public, backlog=backlog),
        ListenerLimits("admin", admin, backlog=backlog),
    )


class _Phase(enum.Enum):
    WAITING = "waiting for a request"  # connection just opened, or the previous answer was sent
    BODY = "reading a request body"
    BUSY = "answering a request"


class _Registry:
    """One listener's open connections, and those still waiting for their request (oldest first)."""

    def __init__(self) -> None:
        self.open: set[Any] = set()
        self.reading: OrderedDict[Any, float] = OrderedDict()

    def oldest_reading(self, other_than: Any) -> Any | None:
        for proto in self.reading:
            if proto is not other_than and not proto.transport.is_closing():
                return proto
        return None


class _GuardMixin:
    """The rules of this module on top of a uvicorn HTTP protocol class (see :func:`guarded`).

    Written against what ``H11Protocol`` and ``HttpToolsProtocol`` share: ``transport``, ``loop``, ``client``,
    ``cycle`` (the newest request: ``more_body``, ``response_complete``), and the ``connection_made``,
    ``data_received``, ``on_response_complete`` and ``connection_lost`` hooks.
    """

    _limits: ListenerLimits
    _registry: _Registry
    transport: asyncio.Transport
    loop: asyncio.AbstractEventLoop
    client: tuple[str, int] | None
    cycle: Any

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self._guard_phase: _Phase | None = None
        self._guard_cycle: Any = None
        self._guard_timer: asyncio.TimerHandle | None = None
        self._guard_header_bytes = 0
        super().connection_made(transport)  # type: ignore[misc]
        registry = self._registry
        registry.open.add(self)
        self._guard_observe()
        if len(registry.open) <= self._limits.max_connections:
            return
        victim = registry.oldest_reading(other_than=self)
        if victim is not None:
            logger.warning(
                "%s listener: %d connections open, the most allowed; closed the one waiting longest for its request",
                self._limits.name, self._limits.max_connections,
            )
            victim._guard_close()
        else:
            logger.warning(
                "%s listener: all %d connections are busy being answered; refused a new one with 503",
                self._limits.name, self._limits.max_connections,
            )
            transport.write(_RESPONSE_503)  # type: ignore[attr-defined]
            self._guard_forget()
            transport.close()

    def data_received(self, data: bytes) -> None:
        super().data_received(data)  # type: ignore[misc]
        self._guard_observe()
        cycle = self.cycle
        # The rest of a body the app answered early (an oversized alert) is not headers: it drains until time-out.
        draining = cycle is not None and cycle.response_complete and cycle.more_body
        if self._guard_phase is _Phase.WAITING and not draining and not self.transport.is_closing():
            self._guard_header_bytes += len(data)
            if self._guard_header_bytes > self._limits.max_header_bytes:
                logger.info("%s listener: refused request headers over %d bytes", self._limits.name,
                            self._limits.max_header_bytes)
                self.transport.write(_RESPONSE_431)
                self._guard_forget()
                self.transport.close()

    def on_response_complete(self) -> None:
        super().on_response_complete()  # type: ignore[misc]
        self._guard_observe()

    def connection_lost(self, exc: Exception | None) -> None:
        self._guard_forget()
        super().connection_lost(exc)  # type: ignore[misc]

    # -- the rules ---------------------------------------------------------------------------------------------

    def _guard_observe(self) -> None:
        """Follow the connection's phase: (re)arm the read time-out when a wait for a request or a body begins,
        stop it while the request is being answered."""
        if self.transport is None or self.transport.is_closing():
            self._guard_forget()
            return
        cycle = self.cycle
        if cycle is None or cycle.response_complete:
            phase = _Phase.WAITING
        elif cycle.more_body:
            phase = _Phase.BODY
        else:
            phase = _Phase.BUSY
        if phase is self._guard_phase and cycle is self._guard_cycle:
            return
        self._guard_phase, self._guard_cycle = phase, cycle
        self._guard_header_bytes = 0
        reading = self._registry.reading
        if self._guard_timer is not None:
            self._guard_timer.cancel()
            self._guard_timer = None
        if phase is _Phase.BUSY:
            reading.pop(self, None)
            return
        if phase is _Phase.WAITING:
            reading[self] = time.monotonic()
            reading.move_to_end(self)
            timeout = self._limits.header_timeout
        else:
            reading.setdefault(self, time.monotonic())  # a body keeps its place: it is still the same request
            timeout = self._limits.body_timeout
        self._guard_timer = self.loop.call_later(timeout, self._guard_expired, phase, timeout)

    def _guard_expired(self, phase: _Phase, timeout: float) -> None:
        self._guard_timer = None
        if self.transport.is_closing():
            return
        what = "its request" if phase is _Phase.WAITING else "its request body"
        logger.info("%s listener: closed a connection that did not send %s within %.0f s", self._limits.name, what,
                    timeout)
        self._guard_close()

    def _guard_close(self) -> None:
        """Close now, dropping anything unsent (``abort``): this client is not reading or not sending."""
        self._guard_forget()
        self.transport.abort()

    def _guard_forget(self) -> None:
        if getattr(self, "_guard_timer", None) is not None:
            self._guard_timer.cancel()  # type: ignore[union-attr]
            self._guard_timer = None
        self._registry.open.discard(self)
        self._registry.reading.pop(self, None)


def guarded(base: type[asyncio.Protocol], limits: ListenerLimits) -> type[asyncio.Protocol]:
    """``base`` (a uvicorn HTTP protocol class) with read time-outs and a connection cap; one class per listener,
    holding that listener's open connections. Give it to ``uvicorn.Config(http=...)``."""
    attributes = {"_limits": limits, "_registry": _Registry(), "__doc__": f"{base.__name__} with {limits}"}
    return type(f"Guarded{base.__name__}", (_GuardMixin, base), attributes)
