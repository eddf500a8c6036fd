"""The ledger end to end, netting and hedging: a real tvbridge (both listeners, migrations), a real agent process on
the paper terminal, alerts over HTTP, the paper desk for what a trader or the trade server does by hand.

Prices are set through the desk before each alert (EURUSD and its siblings quote a 12-18 point spread: a buy fills
at the ask, a sell at the bid), so every P&L below is computed by hand: 1 lot of a USD-quoted pair is 100,000 USD
per 1.0 of price, no commission unless a test sets one.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.conftest import Live, start_live, stop_live
from tests.e2e.paper import desk, events, quote, shares, trades


@pytest.fixture(scope="module")
def netting(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Live]:
    live = start_live(tmp_path_factory.mktemp("netting") / "data", deal_sync_seconds=0.3)
    yield live
    stop_live(live)


def ok(sig: dict[str, Any]) -> dict[str, Any]:
    assert sig["status"] == "executed", (sig["error_message"], sig["notes"])
    return sig


def money(trade: dict[str, Any]) -> tuple[str | None, str, float, float]:
    return trade["strategy_name"], trade["exit_reason"], trade["volume"], trade["profit"]


def test_two_strategies_keep_their_own_shares_of_one_netting_position(netting: Live) -> None:
    a = netting.create_strategy("share A", dedup_window_seconds=0)
    b = netting.create_strategy("share B", dedup_window_seconds=0)
    quote(netting, "EURUSD", 1.10000)
    ok(netting.trade(a, '{"symbol":"EURUSD","action":"buy","lots":1}'))  # A: 1.00 at the ask 1.10012
    quote(netting, "EURUSD", 1.10100)
    joined = ok(netting.trade(b, '{"symbol":"EURUSD","action":"buy","lots":0.5}'))  # B: 0.50 at 1.10112
    assert any("held by strategy 'share A' (1.00 lots)" in n for n in joined["notes"]), joined["notes"]
    assert shares(netting, "EURUSD") == {"share A": ("buy", 1.0), "share B": ("buy", 0.5)}

    quote(netting, "EURUSD", 1.10200)
    half = ok(netting.trade(b, "1,closelongpct,EURUSD,risk=50"))  # B closes half of ITS share, not of the position
    assert [(o["type"], o["volume"]) for o in half["orders"]] == [("close sell", 0.25)]
    assert half["orders"][0]["description"] == (
        "close the 0.25 lots of strategy 'share B' in the account's 1.50-lot EURUSD long "
        f"#{half['orders'][0]['position_ticket']} (0.25 of strategy 'share B' and 1.00 of strategy 'share A' stay open)"
    )
    quote(netting, "EURUSD", 1.10300)
    a_out = ok(netting.trade(a, '{"symbol":"EURUSD","action":"closelong"}'))  # A closes exactly its 1.00
    assert [(o["type"], o["volume"]) for o in a_out["orders"]] == [("close sell", 1.0)]
    assert "(0.25 of strategy 'share B' stay open)" in a_out["orders"][0]["description"]
    assert shares(netting, "EURUSD") == {"share B": ("buy", 0.25)}

    quote(netting, "EURUSD", 1.10400)
    flip = ok(netting.trade(b, '{"symbol":"EURUSD","action":"sell","lots":1}'))  # B alone: a reversal to 0.75 short
    assert [(o["type"], o["volume"]) for o in flip["orders"]] == [("sell", 1.0)]
    quote(netting, "EURUSD", 1.10300)
    ok(netting.trade(a, '{"symbol":"EURUSD","action":"sell","lots":0.5}'))  # A joins the short: 0.50 at 1.10300
    assert shares(netting, "EURUSD") == {"share B": ("sell", 0.75), "share A": ("sell", 0.5)}

    # A buy of 1.00 would close A's 0.50 and net the other 0.50 against B's share: refused, nothing sent
    refused = netting.trade(a, '{"symbol":"EURUSD","action":"buy","lots":1}')
    assert refused["status"] == "rejected" and not refused["orders"]
    assert "would net 0.50 lots against the account's 1.25-lot EURUSD short" in refused["error_message"]
    assert "strategy 'share B' (0.75 lots)" in refused["error_message"]
    assert "netting_against_others = refuse" in refused["error_message"]

    quote(netting, "EURUSD", 1.10200)  # the ask is 1.10212
    ok(netting.trade(a, '{"symbol":"EURUSD","action":"closeshort"}'))
    ok(netting.trade(b, '{"symbol":"EURUSD","action":"closeshort"}'))
    assert shares(netting, "EURUSD") == {}

    done = trades(netting, 5, symbol="EURUSD")
    assert [money(t) for t in done] == [
        ("share B", "partial", 0.25, 22.0),  # (1.10200 - 1.10112) x 0.25 lot: B's own entry, not the average
        ("share A", "signal", 1.0, 288.0),  # (1.10300 - 1.10012) x 1.00
        # (1.10400 - 1.10112) x 0.25 = 72.00, closed by B's own reversal; + 0.01: MT5 books each close against the
        # long's average 1.1004533 and rounds to the cent (38.67 + 254.67 + 88.67 = 382.01 for 22 + 288 + 72), and
        # the deal that closes the position settles what the roundings left, so the sums are MT5's to the cent
        ("share B", "signal", 0.25, 72.01),
        ("share A", "signal", 0.5, 44.0),  # (1.10300 - 1.10212) x 0.50 short
        ("share B", "signal", 0.75, 141.0),  # (1.10400 - 1.10212) x 0.75 short
    ]
    account = netting.wait_snapshot(lambda s: s["as_of_signal"] >= max(netting.sent.values()))
    assert round(account["balance"] - 10_000.0, 2) == round(sum(t["net_pnl"] for t in done), 2) == 567.01


def test_a_strategy_allowed_to_net_moves_another_share_and_the_ledger_says_whose(netting: Live) -> None:
    a = netting.create_strategy("netter A", dedup_window_seconds=0, netting_against_others="strategies")
    b = netting.create_strategy("netted B", dedup_window_seconds=0)
    quote(netting, "AUDUSD", 0.66000)  # spread 14 points
    ok(netting.trade(b, '{"symbol":"AUDUSD","action":"buy","lots":1}'))  # B: 1.00 at 0.66014
    quote(netting, "AUDUSD", 0.66100)
    sig = ok(netting.trade(a, '{"symbol":"AUDUSD","action":"sell","lots":0.4}'))
    assert any("moves 0.40 lots of strategy 'netted B'" in n for n in sig["notes"]), sig["notes"]
    assert shares(netting, "AUDUSD") == {"netted B": ("buy", 0.6)}
    (moved,) = trades(netting, 1, symbol="AUDUSD")
    assert money(moved) == ("netted B", "other_strategy", 0.4, 34.4)  # (0.66100 - 0.66014) x 0.40
    (event,) = events(netting, 1, strategy_id=b["strategy_id"])
    assert event["kind"] == "other_strategy" and "by strategy 'netter A' netting against it" in event["message"]
    assert "0.60 lots of it remain open" in event["message"]


def test_a_manual_position_is_never_touched(netting: Live) -> None:
    s = netting.create_strategy("beside manual", dedup_window_seconds=0)
    quote(netting, "GBPUSD", 1.27000)
    assert desk(netting, "trade", symbol="GBPUSD", side="buy", volume=1.0)["retcode"] == 10009  # the trader's own
    nothing = netting.trade(s, '{"symbol":"GBPUSD","action":"closelong"}')
    assert nothing["status"] == "discarded" and not nothing["orders"]
    refused = netting.trade(s, '{"symbol":"GBPUSD","action":"sell","lots":0.5}')  # would halve the trader's long
    assert refused["status"] == "rejected" and not refused["orders"]
    assert "manual trades and other EAs (1.00 lots)" in refused["error_message"]
    ok(netting.trade(s, '{"symbol":"GBPUSD","action":"buy","lots":0.3}'))  # joins the position: its own 0.30
    assert shares(netting, "GBPUSD") == {None: ("buy", 1.0), "beside manual": ("buy", 0.3)}
    out = ok(netting.trade(s, '{"symbol":"GBPUSD","action":"closelong"}'))
    assert [(o["type"], o["volume"]) for o in out["orders"]] == [("close sell", 0.3)]
    assert shares(netting, "GBPUSD") == {None: ("buy", 1.0)}


def test_a_strategy_created_after_a_delete_inherits_nothing(netting: Live) -> None:
    old = netting.create_strategy("deleted", dedup_window_seconds=0)
    quote(netting, "NZDUSD", 0.61000)
    ok(netting.trade(old, '{"symbol":"NZDUSD","action":"buy","lots":0.2}'))
    refused = netting.admin.delete(f"/api/v1/strategies/{old['strategy_id']}")
    assert refused.status_code == 409, refused.text  # it still holds a position
    quote(netting, "NZDUSD", 0.61100)  # the bid; the buy filled at the ask 0.61018
    ok(netting.trade(old, '{"symbol":"NZDUSD","action":"closelong"}'))
    trades(netting, 1, strategy_id=old["strategy_id"])
    assert netting.positions(old) == []  # the agent's account state as of that close: nothing left open
    assert netting.admin.delete(f"/api/v1/strategies/{old['strategy_id']}").status_code in (200, 204)
    quote(netting, "NZDUSD", 0.61000)
    assert desk(netting, "trade", symbol="NZDUSD", side="buy", volume=0.4)["retcode"] == 10009  # an orphan, by hand

    new = netting.create_strategy("after the delete", dedup_window_seconds=0)
    assert new["strategy_id"] > old["strategy_id"] and new["magic_number"] > old["magic_number"]
    nothing = netting.trade(new, '{"symbol":"NZDUSD","action":"closelong"}')
    assert nothing["status"] == "discarded" and not nothing["orders"]
    stats = netting.admin.get(f"/api/v1/strategies/{new['strategy_id']}/stats").json()
    assert (stats["trades"], stats["net_pnl"], stats["exposure"]) == (0, 0.0, [])
    history = netting.admin.get(
        f"/api/v1/strategies/{old['strategy_id']}/stats", params={"include_archived": "true"}
    ).json()
    assert (history["strategy_name"], history["trades"], history["net_pnl"]) == ("deleted", 1, 16.4)


def test_hedging_keeps_exact_ticket_ownership_and_closes_the_opposite_side_first(tmp_path: Path) -> None:
    live = start_live(tmp_path / "data", sim_margin_mode="hedging", deal_sync_seconds=0.3)
    try:
        a = live.create_strategy("hedge A", dedup_window_seconds=0)
        b = live.create_strategy("hedge B", dedup_window_seconds=0, close_opposite_first=True)
        quote(live, "EURUSD", 1.10000)
        ok(live.trade(a, '{"symbol":"EURUSD","action":"buy","lots":1}'))
        quote(live, "EURUSD", 1.10100)
        ok(live.trade(b, '{"symbol":"EURUSD","action":"buy","lots":0.5}'))
        assert desk(live, "trade", symbol="EURUSD", side="sell", volume=0.7)["retcode"] == 10009  # manual short
        quote(live, "EURUSD", 1.10200)
        half = ok(live.trade(b, "1,closelongpct,EURUSD,risk=50"))
        assert [(o["type"], o["volume"]) for o in half["orders"]] == [("close sell", 0.25)]
        quote(live, "EURUSD", 1.10300)
        a_out = ok(live.trade(a, '{"symbol":"EURUSD","action":"closelong"}'))  # only A's ticket
        assert [(o["type"], o["volume"]) for o in a_out["orders"]] == [("close sell", 1.0)]
        quote(live, "EURUSD", 1.10400)
        flip = ok(live.trade(b, '{"symbol":"EURUSD","action":"sell","lots":1}'))  # closes B's long first
        assert [(o["type"], o["volume"]) for o in flip["orders"]] == [("close sell", 0.25), ("sell", 1.0)]
        assert any("close_opposite_first" in n for n in flip["notes"])
        quote(live, "EURUSD", 1.10200)
        ok(live.trade(b, '{"symbol":"EURUSD","action":"closeshort"}'))  # B's short only, never the manual one
        done = trades(live, 4, symbol="EURUSD")
        assert [money(t) for t in done] == [
            ("hedge B", "partial", 0.25, 22.0),  # (1.10200 - 1.10112) x 0.25
            ("hedge A", "signal", 1.0, 288.0),  # (1.10300 - 1.10012) x 1.00
            ("hedge B", "signal", 0.25, 72.0),  # (1.10400 - 1.10112) x 0.25
            ("hedge B", "signal", 1.0, 188.0),  # (1.10400 - 1.10212) x 1.00 short
        ]
        assert shares(live, "EURUSD") == {None: ("sell", 0.7)}  # the trader's short, untouched throughout
    finally:
        stop_live(live)
