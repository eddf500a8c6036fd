"""Idle and slow clients cannot take a listener down (issue 9.6).

Before: uvicorn read requests without a time-out and accepted connections until the process ran out of file
descriptors; 1,100 idle connections made webhooks, ``/healthz`` and the admin API time out. Now each request must
arrive whole within its read time-outs, and a full listener closes the connection that has waited longest for its
request (server/listener_guard.py). Proved on both uvicorn HTTP protocols, and end to end on ``tvbridge run`` with its
open-file limit lowered below the number of attacking connections.
"""

from __future__ import annotations

import asyncio
import socket
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn
from fastapi import FastAPI, Request
from uvicorn.protocols.http.h11_impl import H11Protocol

from server.disconnects import install_disconnect_handler
from server.listener_guard import ListenerLimits, guarded, listener_limits
from server.routes.webhooks import read_body
from tests.reliability.attack import Attack
from tests.reliability.harness import App, all_signals, free_port, wait_for

PROTOCOLS = {"h11": lambda: H11Protocol}


def _httptools() -> type[asyncio.Protocol]:
    pytest.importorskip("httptools")
    from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

    return HttpToolsProtocol


PROTOCOLS["httptools"] = _httptools


@dataclass
class Served:
    port: int
    protocol: Any  # the guarded protocol class: its registry holds the listener's open connections

    def open_connections(self) -> int:
        return len(self.protocol._registry.open)

    def busy_connections(self) -> int:
        """Open connections whose request arrived whole and is being answered."""
        registry = self.protocol._registry
        return len(registry.open) - len(registry.reading)


@contextmanager
def serving(app: FastAPI, base: type[asyncio.Protocol], limits: ListenerLimits) -> Iterator[Served]:
    """``app`` on real uvicorn with ``base`` guarded as the app does it (server/serve.py)."""
    port = free_port()
    protocol = guarded(base, limits)
    config = uvicorn.Config(app, host="127.0.0.1", port=port, http=protocol, loop="asyncio", ws="none",
                            log_config=None, lifespan="off", backlog=limits.backlog)
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    wait_for(lambda: server.started, timeout=10)
    try:
        yield Served(port, protocol)
    finally:
        server.should_exit = True
        thread.join(10)


def webhook_like_app(release: threading.Event | None = None) -> FastAPI:
    """A route that reads its body as the webhook does (``read_body``), and one that takes its time to answer."""
    app = FastAPI()
    install_disconnect_handler(app)

    @app.post("/hook")
    async def hook(request: Request) -> dict[str, int]:
        return {"bytes": len(await read_body(request))}

    @app.get("/slow")
    async def slow() -> dict[str, bool]:
        await asyncio.sleep(1.5)  # longer than every read time-out: answering is not limited
        return {"ok": True}

    @app.get("/held")
    async def held() -> dict[str, bool]:
        if release is not None:
            await asyncio.to_thread(release.wait)
        return {"ok": True}

    return app


def closed_by_server(sock: socket.socket, timeout: float = 10.0) -> float:
    """Seconds until the server closes ``sock`` (reads and discards whatever it answers first)."""
    started = time.monotonic()
    sock.settimeout(timeout)
    try:
        while sock.recv(4096):
            pass
    except ConnectionResetError:
        pass
    except TimeoutError:
        raise AssertionError(f"the server kept the connection open for {timeout} s") from None
    return time.monotonic() - started


@pytest.mark.parametrize("protocol", list(PROTOCOLS))
def test_idle_trickling_and_stalled_clients_are_closed_after_their_read_time_outs(protocol: str) -> None:
    limits = ListenerLimits("test", max_connections=50, header_timeout=0.5, body_timeout=0.5)
    with serving(webhook_like_app(), PROTOCOLS[protocol](), limits) as served:
        port = served.port
        idle = socket.create_connection(("127.0.0.1", port))
        stalled = socket.create_connection(("127.0.0.1", port))
        stalled.sendall(b"POST /hook HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\nhalf a bo")
        kept_alive = socket.create_connection(("127.0.0.1", port))
        kept_alive.sendall(b"POST /hook HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\nhi")
        assert kept_alive.recv(4096).startswith(b"HTTP/1.1 200")
        kept_alive.sendall(b"POST /hook HTTP/1.1\r\nHo")  # the next request, started and never finished
        trickling = socket.create_connection(("127.0.0.1", port))
        trickling.sendall(b"POST /hook HTTP/1.1\r\n")
        assert _trickle_until_closed(trickling) > 0.5  # closed although a byte arrived every 50 ms
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=10) as client:
            assert client.get("/slow").json() == {"ok": True}  # 1.5 s of answering, past every time-out
        for sock in (idle, stalled, kept_alive):
            closed_by_server(sock)


@pytest.mark.parametrize("protocol", list(PROTOCOLS))
def test_endless_request_headers_are_refused(protocol: str) -> None:
    limits = ListenerLimits("test", max_connections=50, header_timeout=30, body_timeout=30)
    with serving(webhook_like_app(), PROTOCOLS[protocol](), limits) as served:
        sock = socket.create_connection(("127.0.0.1", served.port))
        sock.sendall(b"POST /hook HTTP/1.1\r\nHost: x\r\n")
        answer = b""
        try:
            for _ in range(200):  # 200 x 1 KiB of headers, far over the limit, in well under the time-out
                sock.sendall(b"X-Pad: " + b"a" * 1017 + b"\r\n")
        except (BrokenPipeError, ConnectionResetError):
            pass
        sock.settimeout(10)
        try:
            while chunk := sock.recv(65536):
                answer += chunk
        except ConnectionResetError:
            pass
        sock.close()
        # h11 answers 400 at its own 16 KiB; httptools has no limit of its own, and the guard answers 431 at 32 KiB
        assert answer.split(b" ", 2)[1] in (b"400", b"431"), answer[:100]


def _trickle_until_closed(sock: socket.socket, timeout: float = 10.0) -> float:
    """Send one byte of a header every 50 ms (each one used to restart uvicorn's only timer) until the server
    closes the connection; returns the seconds that took."""
    sock.settimeout(0.05)
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        try:
            sock.send(b"X")
            if sock.recv(1) == b"":
                return time.monotonic() - started
        except TimeoutError:
            continue  # nothing from the server yet: the 50 ms pace
        except (ConnectionResetError, BrokenPipeError):
            return time.monotonic() - started
    raise AssertionError(f"a client trickling its headers was never cut off ({timeout} s)")


@pytest.mark.parametrize("protocol", list(PROTOCOLS))
def test_a_full_listener_closes_the_connection_waiting_longest_and_answers_the_new_one(protocol: str) -> None:
    release = threading.Event()
    limits = ListenerLimits("test", max_connections=12, header_timeout=60, body_timeout=60)
    with serving(webhook_like_app(release), PROTOCOLS[protocol](), limits) as served:
        port = served.port
        idle = [socket.create_connection(("127.0.0.1", port)) for _ in range(12)]
        wait_for(lambda: served.open_connections() == 12, timeout=10)  # all accepted before the thirteenth comes
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=5) as client:
            assert client.post("/hook", content=b"alert").json() == {"bytes": 5}
        closed_by_server(idle[0])  # the one waiting longest made room
        for sock in idle[1:]:
            sock.settimeout(0.01)
            with pytest.raises(TimeoutError):  # still open: only one was closed
                sock.recv(1)
        for sock in idle:
            sock.close()
        wait_for(lambda: served.open_connections() == 0, timeout=10)

        # Every connection busy being answered: the new one is refused with 503 (TradingView resends), not queued.
        held = [_start_request(port, b"GET /held HTTP/1.1\r\nHost: x\r\n\r\n") for _ in range(12)]
        wait_for(lambda: served.busy_connections() == 12, timeout=10)
        assert _refused(port)
        release.set()
        for sock in held:
            sock.settimeout(10)
            assert sock.recv(4096).startswith(b"HTTP/1.1 200")
            sock.close()


def _start_request(port: int, request: bytes) -> socket.socket:
    sock = socket.create_connection(("127.0.0.1", port))
    sock.sendall(request)
    return sock


def _refused(port: int) -> bool:
    with socket.create_connection(("127.0.0.1", port)) as sock:
        sock.settimeout(5)
        answer = sock.recv(4096)
    assert answer.startswith(b"HTTP/1.1 503") and b"retry-after: 1" in answer, answer
    return True


def test_the_caps_fit_the_open_file_limit() -> None:
    for fd_limit in (256, 512, 1024, 4096, 1 << 20):
        public, admin = listener_limits(fd_limit)
        used = public.max_connections + admin.max_connections + 3 * (public.backlog + admin.backlog) // 2
        assert used + 96 <= fd_limit, (fd_limit, public, admin)
        assert public.max_connections >= 64 and admin.max_connections >= 16
    public, admin = listener_limits(None)
    assert (public.max_connections, admin.max_connections) == (256, 64)


#: Attacking connections, well over the app's open-file limit below.
PUBLIC_ATTACKERS = 400
ADMIN_ATTACKERS = 150
OPEN_FILES = 256
#: TradingView gives up on a webhook after 3 s (tradingview-and-bridges.md).
TRADINGVIEW_TIMEOUT_S = 3.0


@pytest.mark.skipif(sys.platform != "linux", reason="lowers RLIMIT_NOFILE of the app's process")
def test_hundreds_of_idle_and_slow_connections_do_not_stop_alerts_or_the_agent(tmp_path: Path) -> None:
    app = App(tmp_path, max_open_files=OPEN_FILES)
    app.start()
    attacks: list[Attack] = []
    try:
        with app.admin() as admin:
            strategy = admin.post("/api/v1/strategies", json={"name": "under attack"}).json()
            attacks = [Attack(app.public_port, PUBLIC_ATTACKERS), Attack(app.admin_port, ADMIN_ATTACKERS)]
            for attack in attacks:
                attack.start().wait_open(attack.connections)  # every slot filled: the attack is in full swing
            ids = []
            with httpx.Client(timeout=TRADINGVIEW_TIMEOUT_S) as tradingview:
                for n in range(20):
                    body = f'{{"symbol":"EURUSD","action":"{("buy", "sell")[n % 2]}","volume":0.01,"id":"a-{n}"}}'
                    answer = tradingview.post(strategy["webhook_url"], content=body)
                    assert answer.status_code == 200 and answer.json()["status"] == "pending", answer.text
                    ids.append(answer.json()["signal_id"])
                    assert tradingview.get(f"{app.public_url}/healthz").status_code == 200
            assert admin.get("/healthz").status_code == 200
            # the agent trades through the attacked admin listener: every alert executes
            final = wait_for(lambda: (s := all_signals(admin, strategy["strategy_id"])) and
                             all(x["status"] != "pending" for x in s) and s, timeout=60)
            assert sorted(s["id"] for s in final) == sorted(ids)
            assert {s["status"] for s in final} == {"executed"}
        print(f"attacking connections opened {[a.opened for a in attacks]}, closed by tvbridge "
              f"{[a.closed_by_server for a in attacks]} (public, admin)")
        assert all(a.closed_by_server > 0 for a in attacks)
    finally:
        for attack in attacks:
            attack.stop()
        app.stop()
    logs = app.logs()
    assert "Too many open files" not in logs
    assert "the most allowed; closed the one waiting longest" in logs
