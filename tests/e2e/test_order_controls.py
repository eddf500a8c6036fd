"""Order lifetime, comments and stop sanity through the real server and agent, on netting and hedging accounts.

Each refusal is stored with its sentence and sends nothing; each accepted variant sends exactly the expected
request (type_time/expiration as MT5 gets them, the comment beside the tag); a pending order's expiry acts in the
simulator and reaches the ledger as an expired order of the signal that placed it. Take-profit levels
``tp1=``/``tp2=`` read as pips per the Target Type are checked like ``tp=``.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from tests.e2e.conftest import Live, start_live, stop_live
from tests.e2e.paper import events, quote, signal_deals


@pytest.fixture(scope="module", params=["netting", "hedging"])
def account(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Live]:
    live = start_live(tmp_path_factory.mktemp(request.param) / "data", sim_margin_mode=request.param)
    yield live
    stop_live(live)


def iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def sent(sig: dict[str, Any]) -> list[tuple[Any, ...]]:
    return [(o["type"], o["volume"], o["price"], o["type_time"], o["expiration"]) for o in sig["orders"]]


def test_refusals_are_stored_with_their_sentence_and_send_nothing(account: Live) -> None:
    strategy = account.create_strategy("ord-refusals")
    an_hour_ago = iso(datetime.now(UTC) - timedelta(hours=1))
    cases = [
        # refused by the alert parser
        ("buylimit EURUSD lots=0.1 entry_price=1.08 timeInForce=ioc", "parse", ["ioc", "gtc, day, or gtd"]),
        ("buylimit EURUSD lots=0.1 entry_price=1.08 timeInForce=someday", "parse", ["does not know"]),
        ("buy EURUSD lots=0.1 expiry=30m", "parse", ["no pending order"]),
        ("buylimit EURUSD lots=0.1 entry_price=1.08 expiry=30", "parse", ["bare number", "expiry=30m"]),
        # refused by the agent, which knows the time, the symbol's expiration modes and the market
        (f"buylimit EURUSD lots=0.1 entry_price=1.08 expiry={an_hour_ago}", "agent", ["already past"]),
        ("buylimit GER40 lots=0.1 entry_price=17000 expiry=1h", "agent",
         ["GER40 does not take pending orders that live until a set time",
          "good till cancelled (timeInForce=gtc) or for the day (timeInForce=day)"]),
        ("sell XAUUSD lot=0.05 sl=2360.5 tp=2321", "agent",
         ["sl=2360.5 looks like a price", "as pips it is 236.05 away", "as a price it is 2360.50",
          "sl_price=2360.5", "Target Type"]),
        ("buy XAUUSD lot=0.03 tp1=2370 tp2=2380", "agent",
         ["take profit level tp1=2370 looks like a price", "as pips it is 237.00 away", "tp1_price=2370"]),
    ]
    for body, decided_by, needles in cases:
        sig = account.trade(strategy, body)
        assert (sig["status"], sig["decided_by"]) == ("rejected", decided_by), (body, sig)
        for needle in needles:
            assert needle in sig["error_message"], (body, sig["error_message"])
        assert sig["orders"] == []
    assert account.positions(strategy) == []


def test_a_pending_order_with_an_expiry_and_a_comment(account: Live) -> None:
    strategy = account.create_strategy("ord-gtd")
    expires = (datetime.now(UTC) + timedelta(days=1)).replace(microsecond=0)
    body = json.dumps({"symbol": "EURUSD", "action": "buy", "orderType": "limit", "limitPrice": 1.08, "lots": 0.1,
                       "timeInForce": "gtd", "expiry": iso(expires), "comment": "london breakout retest"})
    sig = account.trade(strategy, body, "application/json")
    assert sig["status"] == "executed", sig["error_message"]
    assert sent(sig) == [("buy_limit", 0.1, 1.08, "specified", int(expires.timestamp()))]  # simulator: UTC clock
    assert f"expires {expires:%Y-%m-%d %H:%M:%S} UTC" in sig["orders"][0]["description"]
    tag = f"tvb:{sig['id']}"
    shortened = f"{tag} london breakout retest"[:27]
    assert any(f'reaches MetaTrader 5 as "{shortened}"' in n for n in sig["notes"]), sig["notes"]


def test_day_and_gtc_orders(account: Live) -> None:
    strategy = account.create_strategy("ord-day")
    day = account.trade(strategy, "selllimit USDCAD lots=0.1 entry_pips=40 tif=day")
    assert day["status"] == "executed", day["error_message"]
    assert sent(day) == [("sell_limit", 0.1, 1.364, "day", 0)]
    gtc = account.trade(strategy, "selllimit USDCAD lots=0.1 entry_pips=50 timeInForce=gtc")
    assert sent(gtc) == [("sell_limit", 0.1, 1.365, "gtc", 0)]
    plain = account.trade(strategy, "selllimit USDCAD lots=0.1 entry_pips=60")
    assert sent(plain) == [("sell_limit", 0.1, 1.366, "gtc", 0)]


def test_a_market_entry_carries_the_comment_to_its_position_and_deal(account: Live) -> None:
    strategy = account.create_strategy("ord-comment")
    sig = account.trade(strategy, "buy AUDUSD lots=0.1 comment=asia-scalp timeInForce=day")
    assert sig["status"] == "executed", sig["error_message"]
    assert [(o["type"], o["type_time"]) for o in sig["orders"]] == [("buy", "")]
    assert any("timeInForce day has no effect on a market order" in n for n in sig["notes"])
    comment = f"tvb:{sig['id']} asia-scalp"
    assert [p["comment"] for p in account.positions(strategy)] == [comment]
    assert [d["comment"] for d in signal_deals(account, sig["id"], 1)["deals"]] == [comment]


def test_a_stop_given_as_a_price_by_its_own_key_is_sent(account: Live) -> None:
    strategy = account.create_strategy("ord-price-stop")
    sig = account.trade(strategy, "sell XAUUSD lot=0.05 sl_price=2360.5 tp_price=2321")
    assert sig["status"] == "executed", sig["error_message"]
    assert [(o["type"], o["volume"], o["sl"], o["tp"]) for o in sig["orders"]] == [("sell", 0.05, 2360.5, 2321.0)]


def test_a_pending_order_expires_in_the_simulator_and_the_ledger_names_its_signal(account: Live) -> None:
    strategy = account.create_strategy("ord-expire")
    sig = account.trade(strategy, "selllimit USDCHF lots=0.1 entry_pips=80 expiry=5s comment=fade")
    assert sig["status"] == "executed", sig["error_message"]
    assert sig["orders"][0]["type_time"] == "specified"
    (expired,) = events(account, 1, timeout=60, strategy_id=strategy["strategy_id"], kind="expired_pending")
    assert expired["signal_id"] == sig["id"]  # found by the tag in "tvb:<id> fade"
    assert "expired unfilled" in expired["message"]


def test_take_profit_levels_written_as_prices_are_refused_by_name_and_trade_when_said(account: Live) -> None:
    strategy = account.create_strategy("ord-price-levels")
    quote(account, "NAS100", 18200.0)  # the ask is 18201.5; one NAS100 pip is one index point
    cases = [
        ("buy NAS100 lots=0.2 tp1=18300 tp2=18400",
         ["The take profit level tp1=18300 looks like a price", "Target Type setting reads it as pips",
          "as pips it is 18300.0 away from the ask 18201.5", "as a price it is 18300.0, 98.5 away",
          "Nothing was sent", "tp1_price=18300", "tp1_pips=18300"]),
        ("buy NAS100 lots=0.2 tp1_pips=50 tp2=18400", ["tp2=18400 looks like a price", "tp2_price=18400"]),
        ("buy NAS100 lots=0.2 tp1=18300", ["tp1=18300 looks like a price", "tp1_price=18300"]),  # one level: tp
    ]
    for body, needles in cases:
        sig = account.trade(strategy, body)
        assert (sig["status"], sig["decided_by"]) == ("rejected", "agent"), (body, sig)
        for needle in needles:
            assert needle in sig["error_message"], (body, sig["error_message"])
        assert sig["orders"] == []
    assert account.positions(strategy) == []
    # hedging: one position per level; netting: one deal with TP2 at the broker, TP1 watched by the agent
    expected = {
        "hedging": [("buy", 0.1, 18300.0), ("buy", 0.1, 18400.0)],
        "netting": [("buy", 0.2, 18400.0)],
    }[account.runtime.settings.sim_margin_mode]
    said = [
        account.trade(strategy, "buy NAS100 lots=0.2 tp1_price=18300 tp2_price=18400"),
        account.trade(strategy, json.dumps({"symbol": "NAS100", "action": "buy", "lots": 0.2, "tp1": 18300,
                                            "tp2": 18400}), "application/json"),
    ]
    for sig in said:
        assert sig["status"] == "executed", sig["error_message"]
        assert [(o["type"], o["volume"], o["tp"]) for o in sig["orders"]] == expected, sig["orders"]
