"""Failure modes a trader would hit: a locked database, hostile bodies, a dead agent, a broker that renames
its symbols, and the one-URL universal endpoint. All over real HTTP against the real runtime."""

from __future__ import annotations

import os
import signal
import sqlite3
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.e2e.conftest import Live, start_live, stop_live


@pytest.fixture(scope="module")
def serverless(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Live]:
    """A runtime without an agent: alerts are stored and queued, nothing executes."""
    live = start_live(tmp_path_factory.mktemp("noagent") / "data", spawn_agent=False)
    yield live
    stop_live(live)


def test_a_locked_database_answers_503_so_tradingview_resends(serverless: Live) -> None:
    strategy = serverless.create_strategy("locked")
    before = serverless.count_rows("tv_signals")
    blocker = sqlite3.connect(serverless.db, timeout=0.1)
    blocker.execute("BEGIN EXCLUSIVE")
    try:
        resp = serverless.post_alert(strategy, '{"symbol":"EURUSD","action":"buy"}')
        assert resp.status_code == 503  # TradingView resends on 5xx (but 504)
    finally:
        blocker.rollback()
        blocker.close()
    assert serverless.count_rows("tv_signals") == before
    resent = serverless.post_alert(strategy, '{"symbol":"EURUSD","action":"buy"}')
    assert resent.status_code == 200 and resent.json()["status"] == "pending"


def test_an_oversized_body_is_refused_but_stored(serverless: Live) -> None:
    strategy = serverless.create_strategy("huge")
    resp = serverless.post_alert(strategy, b"x" * 200_000)
    assert resp.status_code == 200
    sig = serverless.admin.get(f"/api/v1/signals/{resp.json()['signal_id']}").json()
    assert sig["status"] == "rejected" and "64 KiB" in sig["error_message"]
    assert len(sig["raw_payload"]) == 64 * 1024


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(body=st.one_of(st.binary(max_size=600), st.text(max_size=300).map(str.encode)))
def test_no_body_gets_anything_but_200_and_a_stored_signal(serverless: Live, body: bytes) -> None:
    strategy = _fuzz_strategy(serverless)
    resp = serverless.post_alert(strategy, body, "application/octet-stream")
    assert resp.status_code == 200, resp.text
    answer = resp.json()
    assert answer["status"] in ("pending", "rejected", "discarded", "duplicate", "executed")
    sig = serverless.admin.get(f"/api/v1/signals/{answer['signal_id']}").json()
    assert sig["status"] == answer["status"]
    assert sig["raw_payload"] == body.decode("utf-8", errors="replace")
    if sig["status"] == "rejected":
        assert sig["error_message"] and "Traceback" not in sig["error_message"]


_FUZZ: dict[str, dict] = {}


def _fuzz_strategy(live: Live) -> dict:
    if "s" not in _FUZZ:
        _FUZZ["s"] = live.create_strategy("fuzz", dedup_window_seconds=0)
    return _FUZZ["s"]


def test_universal_endpoint_routes_by_body_secret_never_by_license_alone(serverless: Live) -> None:
    by_secret = serverless.create_strategy("universal", alert_secret="u-secret-123")
    serverless.create_strategy("license a", license_id="60999", default_symbol="EURUSD")
    serverless.create_strategy("license b", license_id="61000")
    body = b'{"secret":"u-secret-123","symbol":"EURUSD","action":"buy"}'
    resp = serverless.public.post("/api/v1/webhooks/tv", content=body)
    sig = serverless.admin.get(f"/api/v1/signals/{resp.json()['signal_id']}").json()
    assert sig["strategy_id"] == by_secret["strategy_id"] and sig["status"] == "pending"
    # a License ID is written into every alert message: it is not a secret, and routes nothing (issue 12)
    resp = serverless.public.post("/api/v1/webhooks/tv", content=b"61000,buy,EURUSD,vol_lots=0.1")
    assert resp.json() == {"signal_id": None, "status": "ignored"}
    unknown = serverless.public.post("/api/v1/webhooks/tv", content=b'{"secret":"no","symbol":"EURUSD","action":"buy"}')
    assert unknown.status_code == 200 and unknown.json() == {"signal_id": None, "status": "ignored"}


def test_without_a_running_agent_a_signal_expires_with_a_reason(serverless: Live) -> None:
    strategy = serverless.create_strategy("nobody home", max_signal_age_seconds=1)
    resp = serverless.post_alert(strategy, '{"symbol":"EURUSD","action":"buy"}')
    sig = serverless.wait_final(resp.json()["signal_id"], timeout=10)
    assert sig["status"] == "expired"
    assert "agent" in sig["error_message"] and "running" in sig["error_message"]


def test_broker_suffixes_are_discovered_from_the_terminal(tmp_path: Path) -> None:
    live = start_live(tmp_path / "data", sim_symbol_suffix=".a")
    try:
        strategy = live.create_strategy("suffix")
        sig = live.trade(strategy, "60123456789,buy,OANDA:EURUSD,risk=0.1")
        assert sig["status"] == "executed", sig["error_message"]
        assert [(o["symbol"], o["volume"]) for o in sig["orders"]] == [("EURUSD.a", 0.1)]
        unknown = live.trade(strategy, '{"symbol":"EURUSX","action":"buy","lots":0.1}')
        assert unknown["status"] == "rejected" and "EURUSD.a" in unknown["error_message"]
    finally:
        stop_live(live)


def test_a_killed_agent_is_restarted_and_trading_resumes(live: Live) -> None:
    strategy = live.create_strategy("resilient")
    assert live.trade(strategy, '{"symbol":"EURUSD","action":"buy","lots":0.1}')["status"] == "executed"
    agent = live.runtime.agent
    assert agent is not None and agent.proc is not None
    os.kill(agent.proc.pid, signal.SIGKILL)
    deadline = time.monotonic() + 20
    while agent.restarts == 0 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert agent.restarts == 1
    sig = live.trade(strategy, '{"symbol":"EURUSD","action":"sell","lots":0.1}')
    assert sig["status"] == "executed"  # the position opened before the crash was closed by the new agent
    assert live.positions(strategy) == []


def test_concurrent_copies_of_one_alert_are_queued_once(serverless: Live) -> None:
    from concurrent.futures import ThreadPoolExecutor

    strategy = serverless.create_strategy("racing copies")
    body = '{"symbol":"EURUSD","action":"buy","lots":0.1,"id":"same-alert-42"}'
    with ThreadPoolExecutor(12) as pool:
        answers = list(pool.map(lambda _: serverless.post_alert(strategy, body).json()["status"], range(12)))
    assert sorted(answers) == ["duplicate"] * 11 + ["pending"]


def test_the_max_age_counts_from_when_tradingview_fired_the_alert(serverless: Live) -> None:
    from datetime import UTC, datetime, timedelta

    strategy = serverless.create_strategy("late delivery", max_signal_age_seconds=300)
    fired = (datetime.now(UTC) - timedelta(seconds=298)).strftime("%Y-%m-%dT%H:%M:%SZ")
    resp = serverless.post_alert(strategy, f'{{"symbol":"EURUSD","action":"buy","time":"{fired}"}}')
    assert resp.json()["status"] == "pending"  # 298 s old: still within its 300 s
    sig = serverless.wait_final(resp.json()["signal_id"], timeout=10)  # no agent here: it must expire, not wait 300 s
    assert sig["status"] == "expired"
