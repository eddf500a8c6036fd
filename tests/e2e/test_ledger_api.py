"""The ledger over real HTTP: this module plays an agent on a trade server 3 hours ahead of UTC, posts a day of
deals, and reads trades, statistics and a signal's deals back from the admin API."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any

import httpx
import pytest

from contract import CONTRACT_HEADER, CONTRACT_VERSION, DealBatch, SyncCursor
from tests.e2e.conftest import Live, start_live, stop_live
from tests.server.ledger.scenario import ACCOUNT_NET, at, netting_day


@pytest.fixture(scope="module")
def serverless(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Live]:
    live = start_live(tmp_path_factory.mktemp("ledger") / "data", spawn_agent=False)
    yield live
    stop_live(live)


def agent_http(live: Live, agent_id: str = "default", contract: bool = True) -> httpx.Client:
    token = (live.data_dir / "agent-token").read_text().strip()
    headers = {"Authorization": f"Bearer {token}"}
    if contract:
        headers[CONTRACT_HEADER] = str(CONTRACT_VERSION)
    return httpx.Client(base_url=f"{live.runtime.admin_url}/api/v1/agents/{agent_id}", headers=headers, timeout=10)


def signal(live: Live, strategy: dict[str, Any], body: str) -> int:
    """A stored signal of ``strategy`` (no agent runs here, so it stays pending: only its id matters)."""
    resp = live.post_alert(strategy, body)
    assert resp.status_code == 200, resp.text
    return int(resp.json()["signal_id"])


def test_a_day_of_deals_becomes_trades_and_stats_in_utc(serverless: Live) -> None:
    a = serverless.create_strategy("ledger A")
    b = serverless.create_strategy("ledger B")
    a_open = signal(serverless, a, '{"symbol":"EURUSD","action":"buy","volume":1}')
    b_open = signal(serverless, b, '{"symbol":"EURUSD","action":"buy","volume":0.5}')
    a_close = signal(serverless, a, '{"symbol":"EURUSD","action":"closelong"}')
    deals = netting_day(a["magic_number"], b["magic_number"], a_open, b_open, a_close)
    last_msc = deals[-1].time_msc
    body = DealBatch(login=7_001, server="Broker-Demo", currency="USD", margin_mode="netting", deals=deals,
                     cursor=SyncCursor(through_msc=last_msc)).model_dump(mode="json")

    with agent_http(serverless) as agent:
        first = agent.post("/deals", json=body)
        assert first.status_code == 200, first.text
        assert first.json() == {"stored": 5, "duplicates": 0, "symbols": ["EURUSD"],
                                "cursor": {"through_msc": last_msc}}
        again = agent.post("/deals", json=body)  # the agent's sync overlap posts them again
        assert again.json()["stored"] == 0 and again.json()["duplicates"] == 5
        assert agent.get("/deals/cursor", params={"login": 7_001}).json() == {
            "login": 7_001, "cursor": {"through_msc": last_msc}}

    mine = serverless.admin.get("/api/v1/trades", params={"strategy_id": a["strategy_id"]}).json()
    assert mine["total"] == 1
    (trade,) = mine["trades"]
    assert (trade["strategy_name"], trade["exit_reason"], trade["volume"], trade["currency"]) == (
        "ledger A", "signal", 1.0, "USD")
    assert (trade["entry_price"], trade["exit_price"], trade["profit"], trade["net_pnl"]) == (1.1, 1.105, 500.0, 493.0)
    assert (trade["entry_signal_id"], trade["exit_signal_id"]) == (a_open, a_close)
    # the trade server's clock says 12:00 and 13:00; the trade happened at 09:00 and 10:00 UTC
    assert datetime.fromisoformat(trade["entry_time"]) == at(9, 0)
    assert datetime.fromisoformat(trade["exit_time"]) == at(10, 0)
    assert trade["duration_seconds"] == 3600

    everything = serverless.admin.get("/api/v1/trades", params={"symbol": "EURUSD"}).json()
    assert everything["total"] == 3
    by_name = {t["strategy_name"]: t for t in everything["trades"]}
    assert by_name["ledger B"]["exit_reason"] == "sl" and by_name["ledger B"]["net_pnl"] == -54.0
    assert by_name[None]["exit_reason"] == "sl" and by_name[None]["net_pnl"] == 46.0  # the trader's own, untouched
    assert round(sum(t["net_pnl"] for t in everything["trades"]), 2) == ACCOUNT_NET

    window = serverless.admin.get(
        "/api/v1/trades", params={"since": "2026-03-02T10:30:00Z", "until": "2026-03-02T11:30:00Z", "limit": 1}
    ).json()
    assert window["total"] == 2 and len(window["trades"]) == 1 and window["trades"][0]["exit_reason"] == "sl"

    stats = serverless.admin.get(f"/api/v1/strategies/{b['strategy_id']}/stats").json()
    assert stats["currency"] == "USD"
    assert (stats["trades"], stats["wins"], stats["losses"], stats["win_rate_pct"]) == (1, 0, 1, 0.0)
    assert (stats["net_pnl"], stats["gross_pnl"], stats["commission"], stats["swap"]) == (-54.0, -50.0, -3.5, -0.5)
    assert (stats["max_drawdown"], stats["profit_factor"], stats["average_loss"]) == (54.0, 0.0, -54.0)
    assert stats["exposure"] == [] and stats["open_lots"] == 0.0

    detail = serverless.admin.get(f"/api/v1/signals/{a_close}/deals").json()
    assert [(d["deal_ticket"], d["type_name"], d["entry_name"], d["reason_name"]) for d in detail["deals"]] == [
        (9004, "sell", "out", "expert")]
    assert datetime.fromisoformat(detail["deals"][0]["time"]) == at(10, 0)
    assert [t["strategy_name"] for t in detail["trades"]] == ["ledger A"]


def test_open_shares_are_the_exposure_now(serverless: Live) -> None:
    c = serverless.create_strategy("ledger C")
    opened = signal(serverless, c, '{"symbol":"USDJPY","action":"sell","volume":0.3}')
    deal = netting_day(c["magic_number"], 0, opened, 0, 0)[0].model_copy(
        update={"ticket": 9101, "symbol": "USDJPY", "type": 1, "price": 150.25, "position_id": 6001})
    body = DealBatch(login=7_001, currency="USD", margin_mode="netting", deals=[deal]).model_dump(mode="json")
    with agent_http(serverless) as agent:
        assert agent.post("/deals", json=body).status_code == 200
    stats = serverless.admin.get(f"/api/v1/strategies/{c['strategy_id']}/stats").json()
    assert stats["trades"] == 0 and stats["currency"] is None
    assert [(e["symbol"], e["volume"], e["entry_price"], e["entry_signal_id"]) for e in stats["exposure"]] == [
        ("USDJPY", -1.0, 150.25, opened)]


def test_the_routes_are_guarded(serverless: Live) -> None:
    body = DealBatch(login=1, currency="USD", margin_mode="hedging").model_dump(mode="json")
    with agent_http(serverless, contract=False) as old_agent:
        refused = old_agent.post("/deals", json=body)
    assert refused.status_code == 409 and "Install the same tvbridge version on both" in refused.json()["detail"]
    with agent_http(serverless) as agent:
        assert agent.get(f"{serverless.runtime.admin_url}/api/v1/trades").status_code == 401  # agent token: no
    anonymous = httpx.post(f"{serverless.runtime.admin_url}/api/v1/agents/default/deals", json=body)
    assert anonymous.status_code == 401
    assert serverless.admin.get("/api/v1/strategies/999999/stats").status_code == 404
    assert serverless.admin.get("/api/v1/signals/999999/deals").status_code == 404


def test_odd_reports_are_stored_or_refused_never_a_server_error(serverless: Live) -> None:
    odd = [
        {"ticket": 1, "time": 1_772_442_000, "type": 2, "profit": 10_000.0, "comment": "Initial deposit"},
        {"ticket": 2, "time": 1_772_442_001, "type": 0, "volume": 0.0, "price": 1.1, "symbol": "EURUSD",
         "position_id": 9},
        {"ticket": 3, "time": 1_772_442_002, "type": 1, "entry": 1, "volume": 0.2, "price": 1.1, "profit": -3.0,
         "symbol": "EURUSD", "position_id": 10},  # a close of a position opened before the history
        {"ticket": 4, "time": 1_772_442_003, "type": 0, "entry": 2, "volume": 0.5, "price": 1.1,
         "symbol": "XAUUSD", "position_id": 11, "magic": 2**64 - 1},  # a reversal of nothing known
        {"ticket": 4, "time": 1_772_442_003, "type": 0, "entry": 2, "volume": 0.5, "price": 1.1,
         "symbol": "XAUUSD", "position_id": 11, "magic": 2**64 - 1},  # the same deal twice in one batch
    ]
    body = {"login": 8_001, "currency": "EUR", "margin_mode": "hedging", "deals": odd}
    with agent_http(serverless, "odd") as agent:
        stored = agent.post("/deals", json=body)
        assert stored.status_code == 200, stored.text
        assert stored.json()["stored"] == 4 and stored.json()["duplicates"] == 1
        for bad in ({"time": -1}, {"time": 10**15}, {"profit": float("1e300")}, {"ticket": 2**64}, {"price": -1}):
            refused = agent.post("/deals", json={**body, "deals": [{**odd[1], **bad}]})
            assert refused.status_code == 422, (bad, refused.text)
    (before,) = serverless.admin.get("/api/v1/trades", params={"agent_id": "odd"}).json()["trades"]
    assert (before["magic"], before["strategy_id"], before["net_pnl"], before["currency"]) == (None, None, -3.0, "EUR")
    for path in ("/api/v1/strategies/99999999999999999999/stats", "/api/v1/signals/-5/deals"):
        assert serverless.admin.get(path).status_code == 422
    assert serverless.admin.get("/api/v1/trades", params={"offset": 2**70}).status_code == 422
