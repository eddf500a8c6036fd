"""End-to-end harness: the real runtime (both uvicorn listeners on free loopback ports, migrations, tokens)
with a real agent process trading on the simulator, driven over real HTTP."""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import keyring
import pytest

from tests.fakes.keyring import MemoryKeyring
from tray.paths import resolve_paths
from tray.runtime import Runtime
from tray.settings import Settings


@dataclass
class Live:
    """A running tvbridge: ``admin`` is an authenticated client of the admin listener, ``public`` a client of
    the public listener."""

    runtime: Runtime
    data_dir: Path
    admin: httpx.Client
    public: httpx.Client
    #: The newest signal of each strategy (by id) that sent orders: positions are read as of it.
    sent: dict[int, int] = field(default_factory=dict)

    @property
    def db(self) -> Path:
        return self.data_dir / "tvbridge.db"

    def create_strategy(self, name: str = "test", **settings: Any) -> dict[str, Any]:
        resp = self.admin.post("/api/v1/strategies", json={"name": name, **settings})
        assert resp.status_code == 201, resp.text
        return resp.json()

    def post_alert(
        self,
        strategy: dict[str, Any],
        body: str | bytes,
        content_type: str = "text/plain",
        headers: dict[str, str] | None = None,
    ) -> httpx.Response:
        path = httpx.URL(strategy["webhook_url"]).path
        data = body.encode() if isinstance(body, str) else body
        return self.public.post(path, content=data, headers={"Content-Type": content_type, **(headers or {})})

    def wait_final(self, signal_id: int, timeout: float = 15.0) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while True:
            sig = self.admin.get(f"/api/v1/signals/{signal_id}").json()
            if sig["status"] != "pending":
                return sig
            if time.monotonic() > deadline:
                raise AssertionError(f"signal {signal_id} still pending after {timeout}s: {sig}")
            time.sleep(0.02)

    def trade(self, strategy: dict[str, Any], body: str, content_type: str = "text/plain") -> dict[str, Any]:
        resp = self.post_alert(strategy, body, content_type)
        assert resp.status_code == 200, resp.text
        return self.settled(strategy, resp.json()["signal_id"])

    def settled(self, strategy: dict[str, Any], signal_id: int, timeout: float = 15.0) -> dict[str, Any]:
        """The signal once final; remembered as the strategy's newest if it sent orders."""
        sig = self.wait_final(signal_id, timeout)
        if sig["orders"]:
            sid = strategy["strategy_id"]
            self.sent[sid] = max(self.sent.get(sid, 0), signal_id)
        return sig

    def positions(self, strategy: dict[str, Any], timeout: float = 10.0) -> list[dict[str, Any]]:
        """The strategy's open positions as of its newest signal that sent orders: the admin API's positions are
        versioned (``as_of_signal``), so this waits for the snapshot that reflects that signal, never for a
        count that an older snapshot might also match."""
        after = self.sent.get(strategy["strategy_id"], 0)
        deadline = time.monotonic() + timeout
        while True:
            found = self.admin.get("/api/v1/positions", params={"strategy_id": strategy["strategy_id"]}).json()
            if (found["as_of_signal"] or 0) >= after:
                return list(found["positions"])
            if time.monotonic() > deadline:
                raise AssertionError(f"no snapshot as of signal {after} within {timeout}s: {found}")
            time.sleep(0.02)

    def wait_snapshot(self, predicate: Any, timeout: float = 15.0) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while True:
            snaps = self.admin.get("/api/v1/account").json()
            if snaps and predicate(snaps[0]):
                return dict(snaps[0])
            if time.monotonic() > deadline:
                raise AssertionError(f"no snapshot matched within {timeout}s: {snaps}")
            time.sleep(0.05)

    def count_rows(self, table: str) -> int:
        with sqlite3.connect(self.db) as conn:
            return int(conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0])  # noqa: S608 - test-owned names


def start_live(data_dir: Path, *, spawn_agent: bool = True, **settings: Any) -> Live:
    """Start a runtime on ports chosen by the OS and wait until its agent has connected."""
    paths = resolve_paths(data_dir)
    runtime = Runtime(Settings(public_port=0, admin_port=0, **settings), paths, spawn_agent=spawn_agent)
    runtime.start()
    token = (data_dir / "admin-token").read_text().strip()
    admin = httpx.Client(base_url=runtime.admin_url, headers={"Authorization": f"Bearer {token}"}, timeout=10)
    public = httpx.Client(base_url=runtime.public_base_url(), timeout=10)
    live = Live(runtime, data_dir, admin, public)
    if spawn_agent:
        live.wait_snapshot(lambda s: s["balance"] > 0, timeout=30)
    return live


def stop_live(live: Live) -> None:
    live.admin.close()
    live.public.close()
    live.runtime.stop()


@pytest.fixture(autouse=True)
def memory_keyring() -> Iterator[MemoryKeyring]:
    """A fresh keyring in memory for every end-to-end test: secrets a test saves (notification URLs) never reach
    this machine's real password store, nor the next test."""
    previous = keyring.get_keyring()
    backend = MemoryKeyring()
    keyring.set_keyring(backend)
    yield backend
    keyring.set_keyring(previous)


@pytest.fixture
def live(tmp_path: Path) -> Iterator[Live]:
    """A fresh tvbridge (netting simulator account, 10,000 USD) for one test."""
    running = start_live(tmp_path / "data")
    yield running
    stop_live(running)


@pytest.fixture(scope="module")
def shared_live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Live]:
    """One tvbridge shared by a module's tests; each test uses its own strategy (and symbol, on netting)."""
    running = start_live(tmp_path_factory.mktemp("shared") / "data")
    yield running
    stop_live(running)
