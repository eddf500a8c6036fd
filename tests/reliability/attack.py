"""Slow and idle clients, many at once: an attacker that keeps a number of connections open to a listener, each
one idle (sends nothing), trickling its headers a byte at a time, or stalled in the middle of a body, and opens a
new one whenever the server closes one."""

from __future__ import annotations

import selectors
import socket
import threading
import time
from dataclasses import dataclass, field

#: What each kind of connection sends on connecting; ``trickle`` then adds one byte of a header every tick.
OPENING = {
    "idle": b"",
    "trickle": b"POST /api/v1/webhooks/tv/slowloris HTTP/1.1\r\nHost: x\r\n",
    "stalled-body": b"POST /api/v1/webhooks/tv/slowloris HTTP/1.1\r\nHost: x\r\nContent-Length: 5000\r\n\r\n{\"a",
}
KINDS = tuple(OPENING)


@dataclass
class Attack:
    """Hold ``connections`` connections to ``port`` (kinds in turn) until :meth:`stop`; run in its own thread."""

    port: int
    connections: int
    tick: float = 0.2
    opened: int = 0
    closed_by_server: int = 0
    refused: int = 0
    _stop: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None

    def start(self) -> Attack:
        self._thread = threading.Thread(target=self._run, name=f"attack-{self.port}", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(30)

    def wait_open(self, count: int, timeout: float = 60.0) -> None:
        """Wait until ``count`` connections have been opened (the attack is in full swing)."""
        deadline = time.monotonic() + timeout
        while self.opened < count:
            assert time.monotonic() < deadline, f"only {self.opened} attacking connections opened"
            time.sleep(0.05)

    def _open(self, kind: str) -> socket.socket | None:
        try:
            sock = socket.create_connection(("127.0.0.1", self.port), timeout=0.5)
            if OPENING[kind]:
                sock.sendall(OPENING[kind])
        except OSError:
            self.refused += 1
            return None
        sock.setblocking(False)
        self.opened += 1
        return sock

    def _run(self) -> None:
        selector = selectors.DefaultSelector()
        slots: list[socket.socket | None] = [None] * self.connections
        next_tick = time.monotonic()
        try:
            while not self._stop.is_set():
                for i, sock in enumerate(slots):
                    if sock is None and not self._stop.is_set():
                        slots[i] = self._open(KINDS[i % len(KINDS)])
                        if slots[i] is not None:
                            selector.register(slots[i], selectors.EVENT_READ, i)
                for key, _ in selector.select(timeout=0.05):
                    self._drop(selector, slots, key.data, by_server=True)
                if time.monotonic() >= next_tick:
                    next_tick = time.monotonic() + self.tick
                    for i, sock in enumerate(slots):
                        if sock is not None and KINDS[i % len(KINDS)] == "trickle":
                            try:
                                sock.send(b"X")  # one more byte of a header name that never ends
                            except OSError:
                                self._drop(selector, slots, i, by_server=True)
        finally:
            for i in range(len(slots)):
                self._drop(selector, slots, i, by_server=False)
            selector.close()

    def _drop(self, selector: selectors.BaseSelector, slots: list[socket.socket | None], i: int, *,
              by_server: bool) -> None:
        sock = slots[i]
        if sock is None:
            return
        selector.unregister(sock)
        sock.close()
        slots[i] = None
        if by_server:
            self.closed_by_server += 1
