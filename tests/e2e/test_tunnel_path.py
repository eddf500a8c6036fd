"""The internet path: an alert posted to the tunnel's public side reaches the webhook and trades, webhook URLs
follow the tunnel, and ``GET /api/v1/tunnel`` reports loss and recovery in plain words.

The tunnel is the real supervisor driving the fake ngrok agent (``tests/fakes/fake_ngrok.py``), which speaks
the agent's start-up protocol and local API and forwards its "edge" to the upstream like ngrok's cloud would.
"""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import keyring
import pytest
from pyngrok import installer

from tests.fakes.keyring import MemoryKeyring
from tests.fakes.ngrok import write_ngrok_wrapper
from tray.compose import build_runtime
from tray.paths import resolve_paths
from tray.runtime import Runtime
from tray.settings import Settings
from tray.tunnel import TunnelState

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="the fake agent is a #! script")

DOMAIN = "https://trader-e2e.ngrok-free.app"
FAST = {"check_interval": 0.2, "connect_deadline": 10.0, "reconnect_grace": 30.0, "backoff_initial": 0.2,
        "backoff_max": 1.0}


@pytest.fixture
def tunnelled(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[Runtime, httpx.Client, Path]]:
    """A running tvbridge whose ngrok authtoken is in the (in-memory) keyring; yields it, an admin client and
    the fake agent's state file."""
    monkeypatch.setattr(installer, "install_ngrok", lambda *a, **k: pytest.fail("pyngrok tried to download"))
    for var in ("NGROK_AUTHTOKEN", "FAKE_NGROK_MODE", "PYNGROK_NGROK_PATH"):
        monkeypatch.delenv(var, raising=False)
    state = tmp_path / "fake-ngrok.jsonl"
    monkeypatch.setenv("FAKE_NGROK_STATE_FILE", str(state))
    previous = keyring.get_keyring()
    store = MemoryKeyring()
    store.set_password("tvbridge/ngrok", "authtoken", "2e2eTunnelToken_abcdefghijklmnop")
    keyring.set_keyring(store)
    settings = Settings(public_port=0, admin_port=0, ngrok_path=str(write_ngrok_wrapper(tmp_path / "bin")),
                        ngrok_domain=DOMAIN)
    runtime = build_runtime(settings, resolve_paths(tmp_path / "data"), tunnel_options=FAST)
    runtime.start()
    token = (tmp_path / "data" / "admin-token").read_text().strip()
    admin = httpx.Client(base_url=runtime.admin_url, headers={"Authorization": f"Bearer {token}"}, timeout=10)
    try:
        yield runtime, admin, state
    finally:
        admin.close()
        runtime.stop()
        keyring.set_keyring(previous)


def _agent_api(state: Path) -> str:
    return str([json.loads(line) for line in state.read_text().splitlines() if '"api"' in line][-1]["url"])


def _wait(predicate: Any, timeout: float = 20.0) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value or time.monotonic() > deadline:
            return value
        time.sleep(0.05)


def _final(admin: httpx.Client, signal_id: int) -> dict[str, Any]:
    return dict(_wait(lambda: (s := admin.get(f"/api/v1/signals/{signal_id}").json())["status"] != "pending" and s))


def test_an_alert_through_the_tunnel_trades_and_the_api_follows_the_tunnel(
    tunnelled: tuple[Runtime, httpx.Client, Path],
) -> None:
    runtime, admin, state = tunnelled
    assert runtime.tunnel is not None and runtime.tunnel.wait_for(TunnelState.ONLINE, 20)
    tunnel = admin.get("/api/v1/tunnel").json()
    assert (tunnel["state"], tunnel["public_url"]) == ("online", DOMAIN)

    [strategy] = admin.get("/api/v1/strategies").json()
    assert strategy["webhook_url"].startswith(f"{DOMAIN}/api/v1/webhooks/tv/")
    api = _agent_api(state)
    [endpoint] = httpx.get(f"{api}/api/endpoints", timeout=5).json()["endpoints"]
    edge = endpoint["x_fake_forward_url"]  # the internet side of the tunnel
    path = httpx.URL(strategy["webhook_url"]).path

    answer = httpx.post(edge + path, content=b'{"symbol":"EURUSD","action":"buy","volume":0.02}', timeout=10)
    assert answer.status_code == 200
    signal = _final(admin, answer.json()["signal_id"])
    assert signal["status"] == "executed" and signal["fill_price"] > 0

    httpx.post(f"{api}/_fake/offline", timeout=5)
    lost = _wait(lambda: (t := admin.get("/api/v1/tunnel").json())["state"] != "online" and t)
    assert lost["state"] == "reconnecting" and lost["reason"]
    down = httpx.post(edge + path, content=b'{"symbol":"EURUSD","action":"sell","volume":0.02}', timeout=10)
    assert down.status_code == 502  # a 5xx: TradingView resends it (up to 3 times)

    httpx.post(f"{api}/_fake/online", timeout=5)
    assert _wait(lambda: admin.get("/api/v1/tunnel").json()["state"] == "online")
    again = httpx.post(edge + path, content=b'{"symbol":"EURUSD","action":"sell","volume":0.02}', timeout=10)
    assert _final(admin, again.json()["signal_id"])["status"] == "executed"
