"""Several take-profit levels end to end: a real tvbridge, a real agent process on the paper terminal, alerts over
HTTP, the paper desk moving the market.

Hedging: one position per level, each with its own TP and the common SL, comment ``tvb:<id>/<level>``; the broker
closes each at its level. Netting: one order (the last level is its TP at the broker), then the agent closes each
earlier level's share as the bid crosses it, and the ledger tells each as "TP<n> reached". EURUSD quotes a 12-point
spread on the paper terminal: a buy fills at the bid + 0.00012.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.agents import kill_after_the_broker_executed
from tests.e2e.conftest import Live, start_live, stop_live
from tests.e2e.paper import events, quote, trades


@pytest.fixture(scope="module")
def netting(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Live]:
    live = start_live(tmp_path_factory.mktemp("tp-netting") / "data", deal_sync_seconds=0.3)
    yield live
    stop_live(live)


@pytest.fixture(scope="module")
def hedging(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Live]:
    live = start_live(tmp_path_factory.mktemp("tp-hedging") / "data", sim_margin_mode="hedging", deal_sync_seconds=0.3)
    yield live
    stop_live(live)


def ok(sig: dict[str, Any]) -> dict[str, Any]:
    assert sig["status"] == "executed", (sig["error_message"], sig["notes"])
    return sig


def refused(sig: dict[str, Any], *needles: str) -> str:
    assert sig["status"] == "rejected" and not sig["orders"], sig
    message: str = sig["error_message"]
    for needle in needles:
        assert needle in message, message
    return message


def test_hedging_opens_one_position_per_level(hedging: Live) -> None:
    s = hedging.create_strategy("tp hedging", dedup_window_seconds=0)
    quote(hedging, "EURUSD", 1.10000)  # the ask is 1.10012
    sig = ok(hedging.trade(s, "1,buy,EURUSD,vol_lots=1,sl=50,tp1=10,tp2=20,tp3=30,tp1_share=50"))
    assert [(o["type"], o["volume"]) for o in sig["orders"]] == [("buy", 0.5), ("buy", 0.25), ("buy", 0.25)]
    assert "TP2 1.10212" in sig["orders"][1]["description"]
    assert any(
        "TP1 1.10112 for 0.50 lots (50%), TP2 1.10212 for 0.25 lots (25%), TP3 1.10312 for 0.25 lots (25%)" in n
        for n in sig["notes"]
    ), sig["notes"]
    held = sorted((p["tp"], p["sl"], p["volume"], p["comment"]) for p in hedging.positions(s))
    tag = f"tvb:{sig['id']}"
    assert held == [
        (1.10112, 1.09512, 0.5, f"{tag}/1"),
        (1.10212, 1.09512, 0.25, f"{tag}/2"),
        (1.10312, 1.09512, 0.25, f"{tag}/3"),
    ]
    quote(hedging, "EURUSD", 1.10220)  # past TP1 and TP2: the broker closes those two positions
    done = trades(hedging, 2, strategy_id=s["strategy_id"])
    assert sorted((t["exit_reason"], t["volume"]) for t in done) == [("tp", 0.25), ("tp", 0.5)]
    assert sorted(round(t["profit"], 2) for t in done) == [50.0, 50.0]  # 0.0010 x 0.5 lot; 0.0020 x 0.25 lot


def test_hedging_refusals_are_stored_with_a_sentence(hedging: Live) -> None:
    s = hedging.create_strategy("tp refusals", dedup_window_seconds=0)
    quote(hedging, "GBPUSD", 1.27000)
    refused(
        hedging.trade(s, "1,buy,GBPUSD,vol_lots=1,tp1=10,tp2=20,tp1_share=60,tp2_share=30"),
        "The take-profit shares add up to 90 %",
    )
    refused(
        hedging.trade(s, '{"symbol":"GBPUSD","action":"buy","lots":1,"tp1":1.2750,"tp2":1.2650}'),
        "TP2: The take profit 1.26500 of a long position on GBPUSD is not above the bid 1.27000",
    )
    refused(
        hedging.trade(s, "1,sell,GBPUSD,vol_lots=0.02,tp1=10,tp2=20,tp3=30"),
        "TP1's share of 33.3", "below GBPUSD's minimum volume of 0.01 lots",
    )
    assert hedging.positions(s) == []


def test_netting_one_order_then_partial_closes_at_each_level(netting: Live) -> None:
    s = netting.create_strategy("tp netting", dedup_window_seconds=0)
    quote(netting, "EURUSD", 1.10000)  # the ask is 1.10012
    body = (
        '{"symbol":"EURUSD","action":"buy","lots":1,"sl":1.09,"take_profits":'
        '[{"price":1.1010,"share":50},{"price":1.1020,"share":30},{"price":1.1030}]}'
    )
    sig = ok(netting.trade(s, body))
    assert [(o["type"], o["volume"]) for o in sig["orders"]] == [("buy", 1.0)]
    assert "(SL 1.09000, TP 1.10300)" in sig["orders"][0]["description"]
    assert any("tvbridge closes 0.50 lots at TP1, 0.30 lots at TP2 when the bid reaches them" in n
               for n in sig["notes"]), sig["notes"]

    quote(netting, "EURUSD", 1.10050)  # below TP1: nothing happens
    quote(netting, "EURUSD", 1.10110)  # the bid crosses TP1
    (tp1,) = events(netting, 1, strategy_id=s["strategy_id"])
    assert tp1["kind"] == "tp1" and tp1["signal_id"] == sig["id"]
    assert tp1["message"] == (
        "TP1 reached: tvbridge closed the 0.50-lot EURUSD long of strategy 'tp netting' at 1.1011 "
        "(0.50 lots of it remain open); net P&L 49.00 USD."  # (1.10110 - 1.10012) x 0.5 lot
    )
    quote(netting, "EURUSD", 1.10230)  # the bid crosses TP2
    quote_events = events(netting, 2, strategy_id=s["strategy_id"])
    assert quote_events[1]["message"].startswith("TP2 reached: tvbridge closed the 0.30-lot EURUSD long")
    quote(netting, "EURUSD", 1.10300)  # TP3 is the broker's: it closes the rest
    done = trades(netting, 3, strategy_id=s["strategy_id"])
    assert [(t["exit_reason"], t["volume"]) for t in done] == [("tp1", 0.5), ("tp2", 0.3), ("tp", 0.2)]
    assert [t["remaining_volume"] for t in done] == [0.5, 0.2, 0.0]  # the whole 1.00 lot is closed


def test_netting_refuses_levels_against_an_opposite_position(netting: Live) -> None:
    s = netting.create_strategy("tp opposite", dedup_window_seconds=0)
    quote(netting, "AUDUSD", 0.66000)
    ok(netting.trade(s, '{"symbol":"AUDUSD","action":"sell","lots":0.5}'))
    refused(
        netting.trade(s, "1,buy,AUDUSD,vol_lots=1,tp1=10,tp2=20"),
        "take-profit levels need a position of their own side",
    )


def test_the_strategy_default_split_applies_to_levels_without_shares(hedging: Live) -> None:
    bad = hedging.admin.post("/api/v1/strategies", json={"name": "bad split", "tp_split": [60, -40]})
    assert bad.status_code == 422 and "tp_split" in bad.text, bad.text
    s = hedging.create_strategy("tp split", dedup_window_seconds=0, tp_split=[3, 2])  # weights: 60 % and 40 %
    assert s["tp_split"] == [3.0, 2.0]
    quote(hedging, "USDCHF", 0.88000)
    sig = ok(hedging.trade(s, "1,sell,USDCHF,vol_lots=0.5,tp1=10,tp2=20"))
    assert [(o["type"], o["volume"]) for o in sig["orders"]] == [("sell", 0.3), ("sell", 0.2)]
    refused(
        hedging.trade(s, "1,sell,USDCHF,vol_lots=0.5,tp1=10,tp2=20,tp3=30"),
        "the strategy's default split 3/2 is for 2 levels",
    )
    cleared = hedging.admin.patch(f"/api/v1/strategies/{s['strategy_id']}", json={"tp_split": []})
    assert cleared.status_code == 200 and cleared.json()["tp_split"] == []


def test_netting_levels_are_watched_after_the_agent_died_while_the_broker_filled_the_entry(tmp_path: Path) -> None:
    # the agent is killed while the entry's order_send is on its way back: the broker filled it, the agent never
    # heard; after the restart the order is found by its comment (never sent again) and its TP1 is still closed
    live = start_live(tmp_path / "data", sim_latency_ms=3000, deal_sync_seconds=0.3)
    try:
        s = live.create_strategy("tp killed", max_signal_age_seconds=120)
        quote(live, "EURUSD", 1.10000)  # the ask is 1.10012: TP1 1.10112, TP2 1.10212
        resp = live.post_alert(s, "1,buy,EURUSD,vol_lots=1,tp1=10,tp2=20,tp1_share=50")
        signal_id = resp.json()["signal_id"]
        agent = live.runtime.agent
        assert agent is not None and agent.proc is not None
        kill_after_the_broker_executed(agent.proc.pid, live.data_dir, signal_id)  # in the 3 s round trip's 2nd half
        sig = live.settled(s, signal_id, timeout=60)
        assert sig["status"] == "executed", sig
        assert [(p["volume"], p["tp"]) for p in live.positions(s)] == [(1.0, 1.10212)]  # not re-sent
        assert any("TP1 is watched" in n for n in sig["notes"]), sig["notes"]
        quote(live, "EURUSD", 1.10120)  # the bid crosses TP1
        (tp1,) = events(live, 1, strategy_id=s["strategy_id"])
        assert tp1["kind"] == "tp1" and tp1["signal_id"] == signal_id
        assert [p["volume"] for p in live.positions(s)] == [0.5]
    finally:
        stop_live(live)
