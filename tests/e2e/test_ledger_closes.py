"""What the broker does on its own, end to end: SL, TP, stop-out and manual closes reach the strategy's history with
their reason and P&L, as events of the signal that opened the position and as notifications; a partial fill is
reported as partial; an order whose outcome is unknown, on a trade server 3 hours off UTC, is found and not re-sent;
a strategy's statistics over a known sequence of trades match figures computed by hand.

Real tvbridge, real agent process on the paper terminal; the desk (agent/mt5sim/desk.py) moves the market, trades
by hand, stops the account out and scripts faults. 1 lot of a USD-quoted pair: 100,000 USD per 1.0 of price.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from contract import CONTRACT_HEADER, CONTRACT_VERSION
from tests.e2e.agents import kill_after_the_broker_executed
from tests.e2e.conftest import Live, start_live, stop_live
from tests.e2e.paper import desk, events, quote, signal_deals, trades


def ok(sig: dict[str, Any]) -> dict[str, Any]:
    assert sig["status"] == "executed", (sig["error_message"], sig["notes"])
    return sig


def ticket_of(live: Live, strategy: dict[str, Any], symbol: str) -> int:
    (position,) = [p for p in live.positions(strategy) if p["symbol"] == symbol]
    return int(position["ticket"])


def test_sl_tp_stop_out_and_manual_closes_are_in_the_history_with_reason_and_pnl(tmp_path: Path) -> None:
    live = start_live(tmp_path / "data", deal_sync_seconds=0.3)
    told: list[Any] = []
    live.runtime.on_event.append(told.append)  # what the tray shows as notifications
    try:
        sl = live.create_strategy("stopped")
        quote(live, "EURUSD", 1.10000)
        opened = ok(live.trade(sl, '{"symbol":"EURUSD","action":"buy","lots":1,"sl":1.095,"tp":1.11}'))
        quote(live, "EURUSD", 1.09500)  # the bid reaches the SL: the trade server closes at 1.09500
        tp = live.create_strategy("targeted")
        quote(live, "GBPUSD", 1.27000)
        ok(live.trade(tp, '{"symbol":"GBPUSD","action":"sell","lots":0.5,"tp":1.265}'))  # sold at the bid 1.27000
        quote(live, "GBPUSD", 1.26485)  # the ask (spread 15 points) reaches the TP 1.26500
        by_hand = live.create_strategy("closed by hand")
        quote(live, "AUDUSD", 0.66000)
        ok(live.trade(by_hand, '{"symbol":"AUDUSD","action":"buy","lots":0.3}'))  # at the ask 0.66014
        quote(live, "AUDUSD", 0.66200)
        desk(live, "close", ticket=ticket_of(live, by_hand, "AUDUSD"))  # the trader closes it in MT5
        margin = live.create_strategy("stopped out")
        quote(live, "NZDUSD", 0.61000)
        ok(live.trade(margin, '{"symbol":"NZDUSD","action":"buy","lots":2}'))  # at the ask 0.61018
        assert desk(live, "stop_out") == {"closed": 1}  # the only open position, at the bid 0.61000

        closed = {t["strategy_name"]: t for t in trades(live, 4)}
        assert {n: (t["exit_reason"], t["volume"], t["exit_price"], t["profit"]) for n, t in closed.items()} == {
            "stopped": ("sl", 1.0, 1.095, -512.0),  # (1.09500 - 1.10012) x 1.00
            "targeted": ("tp", 0.5, 1.265, 250.0),  # (1.27000 - 1.26500) x 0.50 short
            "closed by hand": ("manual", 0.3, 0.662, 55.8),  # (0.66200 - 0.66014) x 0.30
            "stopped out": ("stop_out", 2.0, 0.61, -36.0),  # (0.61000 - 0.61018) x 2.00
        }
        assert closed["stopped"]["entry_signal_id"] == opened["id"] and closed["stopped"]["exit_signal_id"] is None

        happened = {e["strategy_name"]: e for e in events(live, 4)}
        assert {n: e["kind"] for n, e in happened.items()} == {
            "stopped": "sl", "targeted": "tp", "closed by hand": "manual", "stopped out": "stop_out"
        }
        assert happened["stopped"]["message"] == (
            "The stop loss closed the 1.00-lot EURUSD long of strategy 'stopped' at 1.095; net P&L -512.00 USD."
        )
        assert "by the trader in MetaTrader 5" in happened["closed by hand"]["message"]
        assert "stopped the account out" in happened["stopped out"]["message"]
        # in the signal log: the events of the share the signal opened
        mine = live.admin.get(f"/api/v1/signals/{opened['id']}/deals").json()
        assert [(e["kind"], e["title"], e["net_pnl"]) for e in mine["events"]] == [("sl", "Stop loss hit", -512.0)]
        # and as notifications, once each
        assert sorted(e.kind for e in told) == ["manual", "sl", "stop_out", "tp"]
        assert {e.title for e in told} >= {"Stop loss hit", "Take profit hit", "Stop-out", "Closed outside tvbridge"}
        # the account's own figure (its next snapshot) is the sum of the trades
        live.wait_snapshot(lambda s: round(s["balance"] - 10_000.0, 2) == round(-512.0 + 250.0 + 55.8 - 36.0, 2))
    finally:
        stop_live(live)


@pytest.fixture(scope="module")
def paper(tmp_path_factory: pytest.TempPathFactory) -> Any:
    live = start_live(tmp_path_factory.mktemp("paper") / "data", deal_sync_seconds=0.3)
    yield live
    stop_live(live)


def test_a_partial_fill_is_reported_as_partial(paper: Live) -> None:
    desk(paper, "symbol", name="XAUUSD", liquidity_lots=0.3)  # thin market; gold fills IOC only
    quote(paper, "XAUUSD", 2350.00)
    s = paper.create_strategy("thin market")
    sig = ok(paper.trade(s, '{"symbol":"XAUUSD","action":"buy","lots":1,"id":"thin-1"}'))
    (order,) = sig["orders"]
    assert (order["partial"], order["volume"], order["requested_volume"], order["retcode"]) == (True, 0.3, 1.0, 10010)
    assert sig["fill_price"] == 2350.2
    assert any(n.startswith("Partially filled: buy 1 lots XAUUSD at market filled 0.30 of the 1.00 lots asked")
               for n in sig["notes"]), sig["notes"]
    assert [(p["volume"]) for p in paper.positions(s)] == [0.3]  # the planner's next view: the filled volume
    desk(paper, "symbol", name="XAUUSD", liquidity_lots=0.0)
    quote(paper, "XAUUSD", 2351.20)
    ok(paper.trade(s, '{"symbol":"XAUUSD","action":"closelong","id":"thin-2"}'))
    (trade,) = trades(paper, 1, strategy_id=s["strategy_id"])
    assert (trade["volume"], trade["profit"]) == (0.3, 30.0)  # (2351.20 - 2350.20) x 0.30 lot x 100 oz


def test_stats_of_a_known_sequence_match_figures_computed_by_hand(paper: Live) -> None:
    desk(paper, "symbol", name="NZDUSD", commission_per_lot=3.0)  # 3.00 USD per lot on every deal
    s = paper.create_strategy("by hand", dedup_window_seconds=0)
    for bid, body in (
        (0.61000, '{"symbol":"NZDUSD","action":"buy","lots":1}'),  # at the ask 0.61018
        (0.61200, '{"symbol":"NZDUSD","action":"closelong"}'),  # +182.00, costs 6.00: net +176.00
        (0.61200, '{"symbol":"NZDUSD","action":"sell","lots":0.5}'),  # at the bid 0.61200
        (0.61300, '{"symbol":"NZDUSD","action":"closeshort"}'),  # at the ask 0.61318: -59.00, costs 3.00: -62.00
        (0.61300, '{"symbol":"NZDUSD","action":"buy","lots":2}'),  # at 0.61318
        (0.61250, '{"symbol":"NZDUSD","action":"closelong"}'),  # -136.00, costs 12.00: net -148.00
        (0.61300, '{"symbol":"NZDUSD","action":"buy","lots":1}'),  # at 0.61318
        (0.61500, '{"symbol":"NZDUSD","action":"closelong"}'),  # +182.00, costs 6.00: net +176.00
    ):
        quote(paper, "NZDUSD", bid)
        ok(paper.trade(s, body))
    assert [t["net_pnl"] for t in trades(paper, 4, strategy_id=s["strategy_id"])] == [176.0, -62.0, -148.0, 176.0]
    stats = paper.admin.get(f"/api/v1/strategies/{s['strategy_id']}/stats").json()
    by_hand = {
        "currency": "USD",
        "trades": 4, "wins": 2, "losses": 2, "breakeven": 0, "win_rate_pct": 50.0,
        "net_pnl": 142.0,  # 176 - 62 - 148 + 176
        "gross_pnl": 169.0,  # 182 - 59 - 136 + 182
        "commission": -27.0,  # 3.00 x (2 + 1 + 4 + 2) lots of deals
        "gross_profit": 352.0, "gross_loss": -210.0,
        "profit_factor": 1.6762,  # 352 / 210
        "average_win": 176.0, "average_loss": -105.0,
        "max_drawdown": 210.0,  # the closed-trade curve 176, 114, -34, 142: from the peak 176 down to -34
        "open_lots": 0.0, "exposure": [],
    }
    assert {k: stats[k] for k in by_hand} == by_hand


def test_an_unknown_outcome_on_a_server_3_hours_off_utc_is_found_not_resent(tmp_path: Path) -> None:
    # The trade server's clock runs 3 hours BEHIND UTC: a deal made now carries a server time 3 hours before the
    # UTC moment the order was sent, so a lookup from "sent minus 5 minutes" in UTC would miss it.
    live = start_live(tmp_path / "data", sim_time_offset_seconds=-3 * 3600, deal_sync_seconds=0.3)
    try:
        s = live.create_strategy("far server")
        desk(live, "fault", kind="timeout", executed=True)  # the deal happens, the answer is lost (10012)
        sig = ok(live.trade(s, '{"symbol":"EURUSD","action":"buy","lots":0.3}'))
        assert any("found at the broker afterwards, so it was not re-sent" in n for n in sig["notes"]), sig["notes"]
        assert [(p["type"], p["volume"]) for p in live.positions(s)] == [("buy", 0.3)]  # one order, not two
        deals = signal_deals(live, sig["id"], 1)["deals"]
        assert [(d["volume"], d["server_offset_seconds"]) for d in deals] == [(0.3, -10800)]
        when = datetime.fromisoformat(deals[0]["time"])
        assert abs(when - datetime.now(UTC)) < timedelta(minutes=1)  # placed in UTC, not 3 hours earlier
        assert deals[0]["time_msc"] / 1000 == pytest.approx(when.timestamp() - 10800, abs=1)
    finally:
        stop_live(live)


def test_an_agent_killed_after_the_broker_executed_finds_the_order_on_a_server_3_hours_off_utc(
    tmp_path: Path,
) -> None:
    live = start_live(tmp_path / "data", sim_time_offset_seconds=-3 * 3600, sim_latency_ms=3000)
    try:
        s = live.create_strategy("restart far", max_signal_age_seconds=120)
        resp = live.post_alert(s, '{"symbol":"EURUSD","action":"buy","lots":0.2}')
        signal_id = resp.json()["signal_id"]
        agent = live.runtime.agent
        assert agent is not None and agent.proc is not None
        kill_after_the_broker_executed(agent.proc.pid, live.data_dir, signal_id)  # in the 3 s round trip's 2nd half
        sig = live.settled(s, signal_id, timeout=60)
        assert sig["status"] == "executed", sig
        assert any("not sent again" in n for n in sig["notes"]), sig["notes"]
        assert [(p["symbol"], p["volume"]) for p in live.positions(s)] == [("EURUSD", 0.2)]  # not re-sent
    finally:
        stop_live(live)


@pytest.mark.slow
def test_the_daily_flat_time_closes_the_strategys_position_with_its_reason(tmp_path: Path) -> None:
    live = start_live(tmp_path / "data", deal_sync_seconds=0.3)
    try:
        other = live.create_strategy("no rule")
        now = datetime.now(UTC)
        # the next minute (UTC), or the one after when this one ends too soon to open the position before it
        flat = (now + timedelta(minutes=1 if now.second < 45 else 2)).strftime("%H:%M")
        ruled = live.create_strategy("flat at", flat_at=flat, rules_timezone="UTC")
        token = (live.data_dir / "agent-token").read_text().strip()
        rules = live.admin.get("/api/v1/agents/default/exit-rules", headers={
            "Authorization": f"Bearer {token}", CONTRACT_HEADER: str(CONTRACT_VERSION)})
        assert rules.json() == [{"magic_number": ruled["magic_number"], "max_hold_minutes": None, "flat_at": flat,
                                 "rules_timezone": "UTC"}]
        quote(live, "EURUSD", 1.10000)
        ok(live.trade(other, '{"symbol":"EURUSD","action":"buy","lots":0.2}'))
        ok(live.trade(ruled, '{"symbol":"EURUSD","action":"buy","lots":0.3}'))  # its job carries the rule too
        (closed,) = trades(live, 1, timeout=150)  # at the minute's turn (the monitor looks every 5 s)
        assert (closed["strategy_name"], closed["exit_reason"], closed["volume"]) == ("flat at", "flat_time", 0.3)
        (event,) = events(live, 1, strategy_id=ruled["strategy_id"])
        assert "the strategy's daily flat time passed" in event["message"]
        assert [(p["volume"]) for p in live.positions(other)] == [0.2]  # the other strategy's share stays
    finally:
        stop_live(live)
