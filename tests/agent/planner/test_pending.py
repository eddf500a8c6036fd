"""Pending orders: placement with entry checks, cancellation, and modification of their SL/TP."""

from __future__ import annotations

from dataclasses import replace

import pytest

from agent.planner import PlanRejected, plan
from contract.intent import CancelAction, ModifyAction, OrderKind, PositionSide, VolumeUnit
from tests.agent.planner import (
    EURUSD,
    MAGIC,
    XAUUSD,
    intent,
    market,
    open_,
    order,
    pips,
    pos,
    price,
    sent,
    settings,
    vol,
)

LIMIT, STOP = OrderKind.LIMIT, OrderKind.STOP


def test_buy_limit_ten_pips_below_the_ask_with_levels_from_the_entry() -> None:
    # corpus: "buylimit,EURUSD,risk=0.2,price=10,sl=15,tp=30" -> 10 pips below Ask, SL/TP from the entry price
    p = plan(intent(open_("buy", 0.2, LIMIT, entry=pips(10), sl=pips(15), tp=pips(30))), settings(), market())
    assert [sent(r) for r in p.requests] == [
        {
            "action": 5,
            "symbol": "EURUSD",
            "volume": 0.2,
            "type": 2,
            "price": 1.09900,
            "sl": 1.09750,
            "tp": 1.10200,
            "type_time": 0,
            "magic": MAGIC,
            "comment": "tv:sig-1",
        }
    ]
    assert p.requests[0].kind == "pending" and p.requests[0].opens
    assert p.requests[0].description == "place buy limit 0.2 lots EURUSD at 1.09900 (SL 1.09750, TP 1.10200)"


@pytest.mark.parametrize(
    ("side", "kind", "type_", "entry"),
    [
        ("buy", STOP, 4, 1.10100),  # above the ask 1.10000
        ("sell", LIMIT, 3, 1.10090),  # above the bid 1.09990
        ("sell", STOP, 5, 1.09890),  # below the bid
    ],
)
def test_pending_entry_in_pips_from_the_market(side: str, kind: OrderKind, type_: int, entry: float) -> None:
    p = plan(intent(open_(side, 0.1, kind, entry=pips(10))), settings(), market())
    assert (sent(p.requests[0])["type"], sent(p.requests[0])["price"]) == (type_, entry)


def test_sell_stop_xauusd_at_an_absolute_price_above_the_bid_is_refused() -> None:
    # corpus: SELL STOP XAUUSD at 2318.40 must be below Bid, else reject 'invalid price'
    with pytest.raises(PlanRejected) as exc:
        plan(
            intent(open_("sell", 0.05, STOP, entry=price(2318.40), sl=pips(50), tp=pips(100)), symbol="XAUUSD"),
            settings(),
            market(XAUUSD),
        )
    assert str(exc.value) == (
        "The price 2318.40 of a sell stop on XAUUSD is not below the bid 1999.80: it must be below it "
        "(a sell limit goes on the other side)."
    )


def test_sell_stop_xauusd_below_the_bid_uses_the_gold_pip_for_its_levels() -> None:
    p = plan(
        intent(open_("sell", 0.05, STOP, entry=price(1990.40), sl=pips(50), tp=pips(100)), symbol="XAUUSD"),
        settings(),
        market(XAUUSD),
    )
    req = sent(p.requests[0])
    assert (req["price"], req["sl"], req["tp"], req["volume"]) == (1990.40, 1995.40, 1980.40, 0.05)


@pytest.mark.parametrize(
    ("side", "kind", "entry", "rule"),
    [
        ("buy", LIMIT, 1.1005, "not below the ask 1.10000"),
        ("buy", STOP, 1.0995, "not above the ask 1.10000"),
        ("sell", LIMIT, 1.0990, "not above the bid 1.09990"),
        ("sell", STOP, 1.1000, "not below the bid 1.09990"),
    ],
)
def test_entry_on_the_wrong_side_is_refused(side: str, kind: OrderKind, entry: float, rule: str) -> None:
    with pytest.raises(PlanRejected, match=rule):
        plan(intent(open_(side, 0.1, kind, entry=price(entry))), settings(), market())


def test_entry_inside_the_stops_level_is_refused() -> None:
    spec = replace(EURUSD, trade_stops_level=20)
    with pytest.raises(PlanRejected, match=r"only 0\.00010 \(10 points\) from the ask.*stops level\) is 20 points"):
        plan(intent(open_("buy", 0.1, LIMIT, entry=pips(1))), settings(), market(spec))


def test_pending_sl_on_the_wrong_side_of_the_entry_is_refused() -> None:
    with pytest.raises(PlanRejected, match=r"stop loss 1\.10000 of a buy limit at 1\.09900 .* not below the entry"):
        plan(intent(open_("buy", 0.1, LIMIT, entry=pips(10), sl=price(1.1))), settings(), market())


def test_pending_without_entry_is_refused() -> None:
    with pytest.raises(PlanRejected, match="needs an entry price"):
        plan(intent(open_("buy", 0.1, LIMIT)), settings(), market())


def test_pending_risk_sizing_uses_the_entry_to_sl_distance() -> None:
    # entry 1.09900, SL 20 pips below: 200 USD per lot; 1 % of 10,000 -> 0.50
    a = open_("buy", vol(1, VolumeUnit.PCT_BALANCE_LOSS), LIMIT, entry=pips(10), sl=pips(20))
    p = plan(intent(a), settings(), market())
    assert sent(p.requests[0])["volume"] == 0.5


def test_symbol_without_stop_orders_is_refused() -> None:
    spec = replace(EURUSD, stop_orders=False)
    with pytest.raises(PlanRejected, match="does not accept stop orders"):
        plan(intent(open_("buy", 0.1, STOP, entry=pips(10))), settings(), market(spec))


# -- cancel ------------------------------------------------------------------------------------------------


def test_cancellong_deletes_buy_orders_only() -> None:
    orders = [
        order(1, "buy_limit", 1.09),
        order(2, "buy_stop", 1.11),
        order(3, "sell_limit", 1.11),
        order(4, "buy_limit", 1.08, magic=7),
    ]
    p = plan(intent(CancelAction(sides=(PositionSide.LONG,))), settings(), market(orders=orders))
    assert [sent(r) for r in p.requests] == [
        {"action": 8, "order": 1, "magic": MAGIC, "comment": "tv:sig-1"},
        {"action": 8, "order": 2, "magic": MAGIC, "comment": "tv:sig-1"},
    ]
    assert p.requests[0].description == "cancel buy limit #1 0.2 lots EURUSD at 1.09000"


def test_cancel_by_kind() -> None:
    orders = [order(1, "buy_limit", 1.09), order(2, "buy_stop", 1.11), order(3, "sell_stop", 1.09)]
    p = plan(intent(CancelAction(kinds=(STOP,))), settings(), market(orders=orders))
    assert [sent(r)["order"] for r in p.requests] == [2, 3]


def test_cancel_with_no_orders_is_discarded() -> None:
    with pytest.raises(PlanRejected) as exc:
        plan(
            intent(CancelAction(sides=(PositionSide.SHORT,))), settings(), market(orders=[order(1, "buy_limit", 1.09)])
        )
    assert str(exc.value) == "No pending sell orders on EURUSD for this strategy: nothing to cancel."
    assert exc.value.outcome == "discarded"


def test_cancel_then_replace_macro() -> None:
    # cancellongbuystop: delete buy-side orders, then place a new buy stop
    p = plan(
        intent(CancelAction(sides=(PositionSide.LONG,)), open_("buy", 0.1, STOP, entry=pips(5))),
        settings(),
        market(orders=[order(1, "buy_stop", 1.102)]),
    )
    assert [r.kind for r in p.requests] == ["cancel", "pending"]


# -- modify pending orders ---------------------------------------------------------------------------------


def test_modify_pending_orders_measures_from_their_entry_and_keeps_the_other_level() -> None:
    orders = [order(5, "buy_stop", 1.10200, sl=1.1, tp=1.105), order(6, "sell_limit", 1.102)]
    action = ModifyAction(target="orders", sides=(PositionSide.LONG,), kinds=(STOP,), sl=pips(15))
    p = plan(intent(action), settings(), market(orders=orders))
    assert [sent(r) for r in p.requests] == [
        {
            "action": 7,
            "order": 5,
            "symbol": "EURUSD",
            "price": 1.102,
            "sl": 1.10050,
            "tp": 1.105,
            "type_time": 0,
            "magic": MAGIC,
            "comment": "tv:sig-1",
        }
    ]
    assert p.requests[0].description == "modify buy stop #5 EURUSD: SL 1.10000 -> 1.10050, TP unchanged 1.10500"


def test_modify_with_no_matching_orders_is_discarded() -> None:
    with pytest.raises(PlanRejected, match="No pending buy orders on EURUSD") as exc:
        action = ModifyAction(target="orders", sides=(PositionSide.LONG,), sl=pips(15))
        plan(intent(action), settings(), market(positions=[pos(1)]))
    assert exc.value.outcome == "discarded"
