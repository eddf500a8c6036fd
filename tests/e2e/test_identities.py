"""Identities are never reused, and a strategy that still trades cannot be deleted (reliability issue item 2,
ledger issue "Identities never reused"), over real HTTP against a real tvbridge.

Before: deleting the newest strategy and creating another handed out the same id, magic number and signal ids,
so the order comment ``tvb:<id>`` named two signals and reconciliation matched the old deal to the new signal.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

from contract import AccountSnapshot, PendingOrderState
from tests.e2e.agents import leased_headers
from tests.e2e.conftest import Live, start_live, stop_live


def test_a_strategy_created_after_a_delete_gets_new_ids_magic_number_and_signal_ids(tmp_path: Path) -> None:
    data = tmp_path / "data"
    live = start_live(data)
    try:
        newest = live.create_strategy("newest", default_volume=0.01)
        old_signals = [live.trade(newest, body)["id"] for body in ("junk one", "junk two")]
        assert live.admin.delete(f"/api/v1/strategies/{newest['strategy_id']}").status_code == 204
        after = live.create_strategy("after delete", default_volume=0.01)
        new_signal = live.trade(after, "junk three")["id"]
    finally:
        stop_live(live)
    assert after["strategy_id"] > newest["strategy_id"]
    assert after["magic_number"] > newest["magic_number"]
    assert new_signal > max(old_signals)

    live = start_live(data)  # and across a restart
    try:
        assert live.admin.delete(f"/api/v1/strategies/{after['strategy_id']}").status_code == 204
        restarted = live.create_strategy("after restart", default_volume=0.01)
        last_signal = live.trade(restarted, "junk four")["id"]
    finally:
        stop_live(live)
    assert restarted["strategy_id"] > after["strategy_id"]
    assert restarted["magic_number"] > after["magic_number"]
    assert last_signal > new_signal


def test_the_first_magic_number_is_27700001(live: Live) -> None:
    first = live.admin.get("/api/v1/strategies").json()[0]
    assert (first["name"], first["magic_number"]) == ("My first strategy", 27_700_001)


def test_a_strategy_holding_a_position_cannot_be_deleted_until_it_is_closed(live: Live) -> None:
    strategy = live.create_strategy("holder", default_volume=0.1)
    sid = strategy["strategy_id"]
    assert live.trade(strategy, '{"symbol": "EURUSD", "action": "buy"}')["status"] == "executed"
    assert [p["symbol"] for p in live.positions(strategy)] == ["EURUSD"]

    refused = live.admin.delete(f"/api/v1/strategies/{sid}")
    assert refused.status_code == 409
    sentence = refused.json()["detail"]
    assert "cannot be deleted while it holds 1 open position (EURUSD buy 0.1 lots" in sentence
    assert "close them" in sentence
    assert live.admin.get(f"/api/v1/strategies/{sid}").json()["archived_at"] is None

    assert live.trade(strategy, '{"symbol": "EURUSD", "action": "closelong"}')["status"] == "executed"
    assert live.positions(strategy) == []
    assert live.admin.delete(f"/api/v1/strategies/{sid}").status_code == 204

    gone = live.admin.get(f"/api/v1/strategies/{sid}")
    assert gone.status_code == 404 and "was deleted on" in gone.json()["detail"]
    assert sid not in [s["strategy_id"] for s in live.admin.get("/api/v1/strategies").json()]
    archived = live.admin.get(f"/api/v1/strategies/{sid}", params={"include_archived": True}).json()
    assert archived["archived_at"] and archived["webhook_url"] is None and archived["is_enabled"] is False
    listed = live.admin.get("/api/v1/strategies", params={"include_archived": True}).json()
    assert sid in [s["strategy_id"] for s in listed]
    history = live.admin.get("/api/v1/signals", params={"strategy_id": sid}).json()
    assert [s["strategy_name"] for s in history] == ["holder", "holder"]  # its history stays
    assert live.post_alert(strategy, '{"symbol": "EURUSD", "action": "buy"}').json()["status"] == "ignored"
    for method, path in (("PATCH", ""), ("POST", "/rotate-secret"), ("DELETE", "")):
        kwargs: dict[str, Any] = {"json": {"is_enabled": True}} if method == "PATCH" else {}
        assert live.admin.request(method, f"/api/v1/strategies/{sid}{path}", **kwargs).status_code == 404


@pytest.fixture
def serverless(tmp_path: Path) -> Iterator[Live]:
    """A runtime without an agent: the test plays the agent ``probe`` over HTTP."""
    live = start_live(tmp_path / "data", spawn_agent=False)
    yield live
    stop_live(live)


def _probe(live: Live) -> httpx.Client:
    token = (live.data_dir / "agent-token").read_text().strip()
    headers = leased_headers(live.runtime.admin_url, token, "probe")  # as a real agent process, it holds the lease
    return httpx.Client(base_url=f"{live.runtime.admin_url}/api/v1/agents/probe", headers=headers, timeout=10)


def _snapshot(seq: int, *orders: PendingOrderState) -> dict[str, Any]:
    snap = AccountSnapshot(boot_id="b", seq=seq, taken_at=datetime.now(UTC), login=1, currency="USD",
                           margin_mode="hedging", balance=1_000.0, equity=1_000.0, pending_orders=list(orders))
    return snap.model_dump(mode="json")


def test_pending_signals_and_pending_orders_block_deletion(serverless: Live) -> None:
    strategy = serverless.create_strategy("pending", agent_id="probe", default_volume=0.1)
    sid = strategy["strategy_id"]
    queued = serverless.post_alert(strategy, '{"symbol": "EURUSD", "action": "buylimit", "price": 1.05}').json()
    refused = serverless.admin.delete(f"/api/v1/strategies/{sid}")
    assert refused.status_code == 409
    assert f"while 1 of its signals are pending (#{queued['signal_id']})" in refused.json()["detail"]

    order = PendingOrderState(ticket=7, symbol="EURUSD", type="buy_limit", volume=0.1, price_open=1.05,
                              magic=strategy["magic_number"], comment=f"tvb:{queued['signal_id']}")
    with _probe(serverless) as agent:
        job = agent.get("/jobs/next").json()
        assert agent.post(f"/jobs/{job['id']}/result", json={"status": "executed"}).status_code == 200
        assert agent.post("/snapshot", json=_snapshot(1, order)).status_code == 204
        refused = serverless.admin.delete(f"/api/v1/strategies/{sid}")
        assert refused.status_code == 409
        assert "1 pending order (EURUSD buy_limit 0.1 lots, ticket 7, on agent probe)" in refused.json()["detail"]

        assert agent.post("/snapshot", json=_snapshot(2)).status_code == 204  # the order was cancelled
    assert serverless.admin.delete(f"/api/v1/strategies/{sid}").status_code == 204
