"""One strategy on several accounts (issue 13, TradersPost subscriptions), end to end: a second real agent process
with its own simulator account (hedging, 5,000 USD) beside the harness's (netting, 10,000 USD). One alert makes one
job per agent; each account trades its own volume (its multiplier) and reports its own outcome; the signal's
status is derived from them (server/flow/outcome.py)."""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Iterator
from typing import Any

import pytest

from tests.e2e.conftest import Live, start_live, stop_live
from tray.runtime import AgentProcess, agent_command, agent_environment

SECOND = "second"


@pytest.fixture(scope="module")
def two_agents(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Live]:
    """The harness's tvbridge and agent ``default``, plus an agent ``second`` on its own simulator account."""
    live = start_live(tmp_path_factory.mktemp("fanout") / "data")
    rt = live.runtime
    assert rt.ctx is not None
    settings = rt.settings.model_copy(update={"agent_id": SECOND, "sim_margin_mode": "hedging", "sim_balance": 5000})
    command = agent_command(settings, rt.paths, rt.admin_url)
    second = AgentProcess(command, agent_environment(settings, rt.ctx.agent_token))
    second.start()
    try:
        deadline = time.monotonic() + 30
        while not [s for s in live.admin.get("/api/v1/account", params={"agent_id": SECOND}).json() if s["balance"]]:
            assert time.monotonic() < deadline, "the second agent never posted a snapshot"
            time.sleep(0.05)
        yield live
    finally:
        second.stop()
        stop_live(live)


def _jobs(live: Live, signal_id: int) -> list[tuple[str, float]]:
    with sqlite3.connect(live.db) as conn:
        rows = conn.execute(
            "SELECT agent_id, volume_multiplier FROM jobs WHERE signal_id = ? ORDER BY id", (signal_id,)
        ).fetchall()
    return [(str(a), float(m)) for a, m in rows]


def _orders(account: dict[str, Any]) -> list[tuple[str, str, float]]:
    return [(o["symbol"], o["type"], o["volume"]) for o in account["orders"]]


def _fanned(live: Live, name: str, **extra: Any) -> dict[str, Any]:
    strategy = live.create_strategy(name, accounts=[{"agent_id": SECOND, "volume_multiplier": 0.5}], **extra)
    assert strategy["accounts"] == [{"agent_id": SECOND, "volume_multiplier": 0.5}]
    return strategy


def test_one_alert_trades_on_both_accounts_with_their_multipliers(two_agents: Live) -> None:
    strategy = _fanned(two_agents, "fan out")
    signal = two_agents.trade(strategy, '{"symbol": "EURUSD", "action": "buy", "volume": 0.2}', "application/json")
    assert signal["status"] == "executed", signal
    assert signal["error_message"] is None
    primary, second = signal["accounts"]
    assert (primary["agent_id"], primary["volume_multiplier"], primary["status"]) == ("default", 1.0, "executed")
    assert (second["agent_id"], second["volume_multiplier"], second["status"]) == (SECOND, 0.5, "executed")
    assert _orders(primary) == [("EURUSD", "buy", 0.2)]
    assert _orders(second) == [("EURUSD", "buy", 0.1)]
    assert primary["order_ticket"] and second["order_ticket"]
    assert signal["order_ticket"] == primary["order_ticket"]  # the primary account's figures lead
    assert sorted(o["volume"] for o in signal["orders"]) == [0.1, 0.2]
    assert _jobs(two_agents, signal["id"]) == [("default", 1.0), (SECOND, 0.5)]  # exactly one job per account


def test_one_accounts_refusal_is_shown_per_account_and_fails_the_signal(two_agents: Live) -> None:
    strategy = _fanned(two_agents, "fan out small")
    # 0.01 lots x 0.5 = 0.005, below the 0.01 minimum: the second account refuses, the primary trades
    signal = two_agents.trade(strategy, '{"symbol": "GBPUSD", "action": "sell", "volume": 0.01}', "application/json")
    assert signal["status"] == "failed", signal
    primary, second = signal["accounts"]
    assert (primary["status"], _orders(primary)) == ("executed", [("GBPUSD", "sell", 0.01)])
    assert second["status"] == "rejected"
    assert second["orders"] == []
    assert "volume multiplier of 0.5" in second["error_message"]
    assert "minimum volume" in second["error_message"]
    assert signal["error_message"].startswith("Executed on 'default' only; rejected on 'second': ")
    assert "The accounts now differ" in signal["error_message"]


def test_approval_releases_every_accounts_job_at_once(two_agents: Live) -> None:
    strategy = _fanned(two_agents, "fan out approved", require_approval=True)
    resp = two_agents.post_alert(strategy, '{"symbol": "USDCHF", "action": "buy", "volume": 0.4}', "application/json")
    signal_id = resp.json()["signal_id"]
    assert resp.json()["status"] == "awaiting_approval"
    waiting = two_agents.admin.get(f"/api/v1/signals/{signal_id}").json()
    assert [a["status"] for a in waiting["accounts"]] == ["awaiting_approval", "awaiting_approval"]
    assert two_agents.admin.post(f"/api/v1/signals/{signal_id}/approve").status_code == 200
    signal = two_agents.settled(strategy, signal_id)
    assert signal["status"] == "executed", signal
    assert [_orders(a) for a in signal["accounts"]] == [[("USDCHF", "buy", 0.4)], [("USDCHF", "buy", 0.2)]]


def test_accounts_naming_an_agent_twice_or_the_primary_are_refused(two_agents: Live) -> None:
    twice = two_agents.admin.post("/api/v1/strategies", json={
        "name": "twice", "accounts": [{"agent_id": SECOND}, {"agent_id": SECOND, "volume_multiplier": 2}]})
    assert twice.status_code == 409
    assert "listed twice" in twice.json()["detail"]
    primary = two_agents.admin.post("/api/v1/strategies",
                                    json={"name": "primary", "accounts": [{"agent_id": "default"}]})
    assert primary.status_code == 409
    assert "primary agent" in primary.json()["detail"]
    strategy = two_agents.create_strategy("patched")
    moved = two_agents.admin.patch(f"/api/v1/strategies/{strategy['strategy_id']}",
                                   json={"accounts": [{"agent_id": "default", "volume_multiplier": 0.5}]})
    assert moved.status_code == 409
    assert two_agents.admin.get(f"/api/v1/strategies/{strategy['strategy_id']}").json()["accounts"] == []


def _second_snapshot(live: Live, predicate: Any, timeout: float = 15.0) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while True:
        snaps = live.admin.get("/api/v1/account", params={"agent_id": SECOND}).json()
        if snaps and predicate(snaps[0]):
            return dict(snaps[0])
        assert time.monotonic() < deadline, f"no snapshot of '{SECOND}' matched within {timeout}s: {snaps}"
        time.sleep(0.05)


def test_an_account_past_its_daily_loss_limit_does_not_trade_the_fanned_out_alert(two_agents: Live) -> None:
    """The daily loss limit is per account: an extra account that lost its limit today must not trade, even when
    the strategy's primary account may (and says so in the signal's sentence)."""
    loser = two_agents.create_strategy("loses on second", agent_id=SECOND)
    two_agents.trade(loser, '{"symbol": "EURJPY", "action": "buy", "volume": 1, "price": 160.000}', "application/json")
    closed = two_agents.trade(loser, '{"symbol": "EURJPY", "action": "closelong", "price": 159.500}',
                              "application/json")
    assert closed["status"] == "executed", closed
    snap = _second_snapshot(two_agents, lambda s: s["realized_pnl_today"] < -150)  # 2% of 5,000 USD is 100
    assert snap["day_start_balance"] > 0
    assert two_agents.admin.patch("/api/v1/settings", json={"daily_loss_limit_pct": 2}).status_code == 200
    try:
        strategy = _fanned(two_agents, "fan out after a loss")
        signal = two_agents.trade(strategy, '{"symbol": "NZDUSD", "action": "buy", "volume": 0.2}',
                                  "application/json")
        primary, second = signal["accounts"]
        assert (primary["status"], _orders(primary)) == ("executed", [("NZDUSD", "buy", 0.2)])
        assert second["status"] == "discarded", signal
        assert second["orders"] == []
        assert "daily loss limit" in second["error_message"]
        assert signal["status"] == "failed"
        assert signal["error_message"].startswith("Executed on 'default' only; discarded on 'second': ")
        with sqlite3.connect(two_agents.db) as conn:  # the account's job was finished at intake, never handed out
            assert conn.execute("SELECT status, claimed_by FROM jobs WHERE signal_id = ? AND agent_id = ?",
                                (signal["id"], SECOND)).fetchall() == [("done", None)]
    finally:
        two_agents.admin.patch("/api/v1/settings", json={"daily_loss_limit_pct": None})
