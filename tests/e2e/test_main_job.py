"""The main job, end to end: a TradingView alert posted over real HTTP becomes an MT5 order (simulator),
through the real agent process, logged in SQLite. One test per acceptance criterion."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

import httpx

from tests.e2e.conftest import Live, start_live, stop_live


def _ms(a: str, b: str) -> float:
    return (datetime.fromisoformat(b) - datetime.fromisoformat(a)).total_seconds() * 1000


def test_alert_is_acknowledged_before_execution_and_well_under_200ms(shared_live: Live) -> None:
    strategy = shared_live.create_strategy("ack", default_volume=0.1)
    resp = shared_live.post_alert(strategy, '{"symbol": "AUDUSD", "action": "buy"}', "application/json")
    assert resp.status_code == 200
    answer = resp.json()
    assert answer["status"] == "pending"  # answered before any order was sent
    signal = shared_live.wait_final(answer["signal_id"])
    assert signal["status"] == "executed"
    t = signal["timings"]
    assert _ms(t["received_at"], t["acked_at"]) < 200
    assert t["acked_at"] <= t["sent_at"] <= t["filled_at"]


def test_executed_signal_has_fill_price_ticket_and_order(shared_live: Live) -> None:
    strategy = shared_live.create_strategy("fill", default_volume=0.1)
    signal = shared_live.trade(strategy, '{"ticker": "USDCAD", "action": "SELL", "volume": 0.3}')
    assert signal["status"] == "executed", signal
    assert signal["fill_price"] > 0
    assert signal["order_ticket"]
    assert signal["error_message"] is None
    [order] = signal["orders"]
    assert (order["symbol"], order["type"], order["volume"]) == ("USDCAD", "sell", 0.3)
    assert order["retcode"] == 10009
    positions = shared_live.positions(strategy)
    assert [(p["symbol"], p["type"], p["volume"]) for p in positions] == [("USDCAD", "sell", 0.3)]


def test_broker_refusal_fails_with_a_readable_error(shared_live: Live) -> None:
    strategy = shared_live.create_strategy("too big")
    # 90 lots of EURUSD need ~97,000 USD of margin at 1:100 on a 10,000 USD account: the broker refuses.
    signal = shared_live.trade(strategy, '{"symbol": "EURGBP", "action": "buy", "volume": 90}')
    assert signal["status"] == "failed"
    assert "margin" in signal["error_message"].lower()
    assert signal["fill_price"] is None


def test_disabled_strategy_discards_and_queues_no_job(shared_live: Live) -> None:
    strategy = shared_live.create_strategy("off")
    shared_live.admin.patch(f"/api/v1/strategies/{strategy['strategy_id']}", json={"is_enabled": False})
    jobs_before = shared_live.count_rows("jobs")
    resp = shared_live.post_alert(strategy, '{"symbol": "EURUSD", "action": "buy"}')
    assert resp.status_code == 200
    assert resp.json()["status"] == "discarded"
    signal = shared_live.admin.get(f"/api/v1/signals/{resp.json()['signal_id']}").json()
    assert signal["status"] == "discarded"
    assert "disabled" in signal["error_message"]
    assert shared_live.count_rows("jobs") == jobs_before


def test_unknown_secret_answers_200_and_writes_nothing(shared_live: Live) -> None:
    counts = {t: shared_live.count_rows(t) for t in ("tv_signals", "jobs", "tv_strategies")}
    secret = "not-a-real-secret-4f9a1c7e"
    resp = shared_live.public.post(f"/api/v1/webhooks/tv/{secret}", content=b'{"symbol":"EURUSD","action":"buy"}')
    assert resp.status_code == 200
    assert resp.json() == {"signal_id": None, "status": "ignored"}
    assert {t: shared_live.count_rows(t) for t in counts} == counts


def test_each_strategy_gets_its_own_webhook_url(shared_live: Live) -> None:
    urls = {shared_live.create_strategy(f"s{i}")["webhook_url"] for i in range(5)}
    assert len(urls) == 5
    assert all(u.startswith(str(shared_live.public.base_url).rstrip("/") + "/api/v1/webhooks/tv/") for u in urls)


def test_unparseable_alert_is_rejected_with_a_fixable_message(shared_live: Live) -> None:
    strategy = shared_live.create_strategy("bad")
    resp = shared_live.post_alert(strategy, "hello there")
    assert resp.status_code == 200
    signal = shared_live.admin.get(f"/api/v1/signals/{resp.json()['signal_id']}").json()
    assert signal["status"] == "rejected"
    assert signal["error_message"]
    assert signal["raw_payload"] == "hello there"


def test_symbol_outside_allowed_pairs_is_rejected(shared_live: Live) -> None:
    strategy = shared_live.create_strategy("fx only", allowed_pairs=["EURUSD", "GBPUSD"])
    resp = shared_live.post_alert(strategy, '{"symbol": "XAUUSD", "action": "buy", "volume": 0.01}')
    signal = shared_live.admin.get(f"/api/v1/signals/{resp.json()['signal_id']}").json()
    assert signal["status"] == "rejected"
    assert "XAUUSD" in signal["error_message"] and "allowed pairs" in signal["error_message"]


def test_admin_api_is_not_reachable_on_the_public_listener(shared_live: Live) -> None:
    for path in ("/api/v1/strategies", "/api/v1/signals", "/api/v1/settings", "/docs", "/openapi.json"):
        assert shared_live.public.get(path).status_code == 404, path
    assert shared_live.public.get("/healthz").json() == {"status": "ok"}


def test_admin_api_refuses_requests_without_the_token(shared_live: Live) -> None:
    base = shared_live.runtime.admin_url
    assert httpx.get(f"{base}/api/v1/strategies").status_code == 401
    wrong = httpx.get(f"{base}/api/v1/strategies", headers={"Authorization": "Bearer nope"})
    assert wrong.status_code == 401
    agent_token = (shared_live.data_dir / "agent-token").read_text().strip()
    as_agent = httpx.get(f"{base}/api/v1/strategies", headers={"Authorization": f"Bearer {agent_token}"})
    assert as_agent.status_code == 401  # the agent token opens the agent routes only


def test_admin_api_refuses_foreign_host_headers(shared_live: Live) -> None:
    resp = shared_live.admin.get("/api/v1/strategies", headers={"Host": "evil.example"})
    assert resp.status_code == 403
    assert shared_live.admin.get("/api/v1/strategies", headers={"Host": "localhost:1234"}).status_code == 200


def test_admin_token_file_is_private(shared_live: Live) -> None:
    mode = (shared_live.data_dir / "admin-token").stat().st_mode & 0o777
    assert mode == 0o600


def test_sell_after_buy_on_netting_closes_and_realised_pnl_reaches_the_snapshot(live: Live) -> None:
    strategy = live.create_strategy("round trip")
    buy = live.trade(strategy, '{"symbol": "EURUSD", "action": "buy", "volume": 1, "price": 1.10000}')
    assert buy["status"] == "executed"
    sell = live.trade(strategy, '{"symbol": "EURUSD", "action": "sell", "volume": 1, "price": 1.10500}')
    assert sell["status"] == "executed"
    assert live.positions(strategy) == []
    # Bought at the ask (1.10000 + spread), sold at the bid 1.10500: about +50 pips on 1 lot = ~ +480 USD.
    snap = live.wait_snapshot(lambda s: s["realized_pnl_today"] > 0)
    assert 400 < snap["realized_pnl_today"] < 500
    assert snap["pnl_by_magic"][str(strategy["magic_number"])] == snap["realized_pnl_today"]
    assert abs(snap["balance"] - 10_000 - snap["realized_pnl_today"]) < 0.01


def test_daily_loss_limit_breach_discards_new_alerts(live: Live) -> None:
    strategy = live.create_strategy("loser")
    live.admin.patch("/api/v1/settings", json={"daily_loss_limit_pct": 2})
    live.trade(strategy, '{"symbol": "EURUSD", "action": "buy", "volume": 1, "price": 1.10000}')
    live.trade(strategy, '{"symbol": "EURUSD", "action": "sell", "volume": 1, "price": 1.09700}')  # ~ -300 USD
    live.wait_snapshot(lambda s: s["realized_pnl_today"] < -200)
    resp = live.post_alert(strategy, '{"symbol": "EURUSD", "action": "buy", "volume": 1}')
    assert resp.status_code == 200
    assert resp.json()["status"] == "discarded"
    signal = live.admin.get(f"/api/v1/signals/{resp.json()['signal_id']}").json()
    assert signal["decided_by"] == "daily_loss_limit"
    assert signal["error_message"].startswith("Not traded: today's realised loss on the account of agent 'default' is ")
    assert "reached the daily loss limit of 2% of the day's starting balance (200.00)" in signal["error_message"]
    assert "trade again after 00:00 UTC" in signal["error_message"]
    assert signal["orders"] == []


def test_signals_and_positions_survive_a_restart(tmp_path: Path) -> None:
    data = tmp_path / "data"
    first = start_live(data)
    strategy = first.create_strategy("durable")
    executed = first.trade(strategy, '{"symbol": "GBPUSD", "action": "buy", "volume": 0.2}')
    stop_live(first)
    second = start_live(data)
    second.sent.update(first.sent)  # read positions as of the executed signal, not an older snapshot
    try:
        again = second.admin.get(f"/api/v1/signals/{executed['id']}").json()
        assert again["status"] == "executed"
        assert again["fill_price"] == executed["fill_price"]
        assert second.admin.get("/api/v1/strategies").json()[-1]["webhook_url"] == strategy["webhook_url"].replace(
            str(first.public.base_url).rstrip("/"), str(second.public.base_url).rstrip("/")
        )
        positions = second.positions(strategy)
        assert [(p["symbol"], p["volume"]) for p in positions] == [("GBPUSD", 0.2)]
    finally:
        stop_live(second)


def test_signal_list_is_newest_first_with_filters(shared_live: Live) -> None:
    strategy = shared_live.create_strategy("listing")
    ids = [shared_live.post_alert(strategy, f"junk {i}").json()["signal_id"] for i in range(3)]
    listed = shared_live.admin.get("/api/v1/signals", params={"strategy_id": strategy["strategy_id"]}).json()
    assert [s["id"] for s in listed] == list(reversed(ids))
    rejected = shared_live.admin.get(
        "/api/v1/signals", params={"strategy_id": strategy["strategy_id"], "status": "rejected", "limit": 2}
    ).json()
    assert len(rejected) == 2 and all(s["status"] == "rejected" for s in rejected)
    listing = next(s for s in shared_live.admin.get("/api/v1/strategies").json() if s["name"] == "listing")
    assert listing["signal_count"] == 3


def test_strategy_crud_and_secret_rotation(shared_live: Live) -> None:
    strategy = shared_live.create_strategy("crud")
    sid = strategy["strategy_id"]
    patched = shared_live.admin.patch(f"/api/v1/strategies/{sid}", json={"name": "renamed", "risk_override_pct": 1.5})
    assert patched.json()["name"] == "renamed" and patched.json()["risk_override_pct"] == 1.5
    rotated = shared_live.admin.post(f"/api/v1/strategies/{sid}/rotate-secret").json()
    assert rotated["webhook_url"] != strategy["webhook_url"]
    old = shared_live.post_alert(strategy, '{"symbol":"EURUSD","action":"buy"}')
    assert old.json()["status"] == "ignored"  # the old URL no longer reaches the strategy
    shared_live.post_alert(rotated, "junk")
    assert shared_live.admin.delete(f"/api/v1/strategies/{sid}").status_code == 204
    assert shared_live.admin.get(f"/api/v1/strategies/{sid}").status_code == 404
    remaining = shared_live.admin.get("/api/v1/signals", params={"strategy_id": sid}).json()
    assert len(remaining) == 1  # deleting a strategy archives it: its history stays


def test_webhook_ignores_content_type(shared_live: Live) -> None:
    strategy = shared_live.create_strategy("ctype", default_volume=0.01)
    for i, ctype in enumerate(("text/plain", "application/json", "application/x-www-form-urlencoded")):
        body = json.dumps({"symbol": "NZDUSD", "action": "buy", "comment": f"c{i}"}) + "\n"  # sent as text/plain
        assert shared_live.trade(strategy, body, ctype)["status"] == "executed"
