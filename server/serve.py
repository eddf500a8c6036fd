"""Serve the public and admin apps on two loopback listeners from one thread and one event loop.

One loop for both matters: the writer hands a webhook's job to a waiting long-poll (admin) on that loop, right
after the commit that stores both. uvicorn runs with ``log_config=None`` so it logs through our handlers (and
cannot crash in a windowed build where ``sys.stdout`` is None, PyInstaller issue 7339), and with the app objects
and the HTTP protocol class imported here, so a frozen build has no string imports to miss.

Speed: the HTTP parser is ``httptools`` (llhttp, C) when installed, else ``h11`` (pure Python); the loop is
``uvloop`` (libuv) where it exists (not on Windows), else asyncio's own. Both roughly halve the server's CPU time
per request, which is what bounds intake under a burst (docs/benchmarks.md).

Slow and idle clients: each listener's HTTP protocol is wrapped by :mod:`server.listener_guard` (request read
time-outs, a connection cap that closes the connection waiting longest for its request), with caps that fit the
process's open-file limit; ``backlog`` follows them. ``timeout_keep_alive`` (5 s) closes idle kept-alive
connections, and request headers over 16 KiB are refused (h11's ``h11_max_incomplete_event_size``, 400; with httptools,
which has no such limit, the guard's cap, 431). uvicorn's own ``limit_concurrency`` is not used: it counts idle
connections too and answers 503 to the real request.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Callable

import uvicorn
from fastapi import FastAPI

from server.listener_guard import ListenerLimits, guarded, listener_limits, open_files_limit

try:
    from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol as HttpProtocol
except ImportError:  # httptools missing: the pure-Python parser
    from uvicorn.protocols.http.h11_impl import H11Protocol as HttpProtocol  # type: ignore[assignment]

try:
    import uvloop

    new_event_loop: Callable[[], asyncio.AbstractEventLoop] = uvloop.new_event_loop
    LOOP = "uvloop:new_event_loop"  # for uvicorn.Server.run() (the benchmark's ceiling); imported above, so frozen too
except ImportError:  # Windows, or not installed: asyncio's own loop
    new_event_loop = asyncio.new_event_loop
    LOOP = "asyncio"

logger = logging.getLogger(__name__)


class ServerStartError(RuntimeError):
    """A listener could not start (usually: its port is already in use)."""


#: Request headers larger than this are refused (400). h11's own default, stated: TradingView's are well under 1 KiB.
MAX_HEADER_BYTES = 16 * 1024
#: Seconds an idle kept-alive connection stays open (uvicorn's default).
KEEP_ALIVE_SECONDS = 5


def _config(app: FastAPI, host: str, port: int, limits: ListenerLimits | None = None) -> uvicorn.Config:
    """A listener's uvicorn configuration (``limits``: the public listener's by default; the intake benchmark's bare
    FastAPI ceiling uses the same one, bench/ceiling.py)."""
    if limits is None:
        limits = listener_limits(open_files_limit())[0]
    return uvicorn.Config(
        app,
        host=host,
        port=port,
        log_config=None,
        http=guarded(HttpProtocol, limits),
        loop=LOOP,  # ServerThread makes its loop with new_event_loop, the same
        ws="none",
        lifespan="on",
        access_log=True,
        timeout_graceful_shutdown=3,
        timeout_keep_alive=KEEP_ALIVE_SECONDS,
        h11_max_incomplete_event_size=MAX_HEADER_BYTES,
        backlog=limits.backlog,
    )


class ServerThread:
    """Runs both listeners in a daemon thread. ``start()`` returns once both accept connections.

    ``limits`` (public, admin): read time-outs and connection caps; by default derived from the process's open-file
    limit (:func:`server.listener_guard.listener_limits`, which first raises that limit where it is low).
    """

    def __init__(
        self,
        public_app: FastAPI,
        admin_app: FastAPI,
        *,
        host: str,
        public_port: int,
        admin_port: int,
        before_stop: Callable[[], None] | None = None,
        limits: tuple[ListenerLimits, ListenerLimits] | None = None,
    ) -> None:
        public_limits, admin_limits = limits if limits is not None else listener_limits(open_files_limit())
        self.public = uvicorn.Server(_config(public_app, host, public_port, public_limits))
        self.admin = uvicorn.Server(_config(admin_app, host, admin_port, admin_limits))
        logger.debug("connection caps: public %s, admin %s", public_limits, admin_limits)
        self._before_stop = before_stop
        self._thread = threading.Thread(target=self._run, name="tvbridge-server", daemon=True)
        self._error: BaseException | None = None
        self._loop: asyncio.AbstractEventLoop | None = None

    def _run(self) -> None:
        async def both() -> None:
            self._loop = asyncio.get_running_loop()
            await asyncio.gather(self.public.serve(), self.admin.serve())

        try:
            with asyncio.Runner(loop_factory=new_event_loop) as runner:
                runner.run(both())
        except BaseException as exc:  # reported to start(); uvicorn exits via SystemExit on bind errors
            self._error = exc

    def start(self, timeout: float = 15.0) -> None:
        """Start serving. :raises ServerStartError: a listener did not come up within ``timeout`` seconds."""
        self._thread.start()
        waited = 0.0
        while not (self.public.started and self.admin.started):
            if not self._thread.is_alive() or waited >= timeout:
                self.stop()
                raise ServerStartError(
                    "The server could not start: a port is probably in use by another program "
                    f"(public {self.public.config.port}, admin {self.admin.config.port}). "
                    "Choose other ports with --public-port/--admin-port."
                ) from self._error
            self._thread.join(0.02)
            waited += 0.02

    @property
    def public_port(self) -> int:
        """The bound public port (useful when started on port 0)."""
        return _bound_port(self.public)

    @property
    def admin_port(self) -> int:
        """The bound admin port."""
        return _bound_port(self.admin)

    def stop(self, timeout: float = 10.0) -> None:
        """Stop both listeners and wait for the thread (idempotent). ``before_stop`` runs first, on the
        server's loop (it releases long-polls, which would otherwise hold the graceful shutdown)."""
        if self._before_stop is not None and self._loop is not None and self._thread.is_alive():
            self._loop.call_soon_threadsafe(self._before_stop)
        self.public.should_exit = True
        self.admin.should_exit = True
        if self._thread.is_alive():
            self._thread.join(timeout)


def _bound_port(server: uvicorn.Server) -> int:
    for s in server.servers:
        for sock in s.sockets:
            return int(sock.getsockname()[1])
    return server.config.port
