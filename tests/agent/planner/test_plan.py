"""Whole intents: corpus alerts, macros that chain steps, netting entries, notes, and request hygiene."""

from __future__ import annotations

import pytest

from agent.broker.models import MarginMode, MarketOrder
from agent.planner import PlanRejected, plan
from contract.intent import (
    Breakeven,
    CloseAction,
    ControlAction,
    PositionSide,
    Side,
    Trailing,
    VolumeUnit,
)
from tests.agent.planner import (
    GBPJPY,
    HEDGING,
    MAGIC,
    NETTING,
    US30,
    intent,
    market,
    open_,
    pips,
    pos,
    price,
    sent,
    settings,
    vol,
)

LONG = (PositionSide.LONG,)


def test_market_buy_request_shape() -> None:
    # corpus: "buy,AUDUSD,risk=0.1" (Volume Type = Lots) -> market BUY 0.1 lot, no SL/TP
    p = plan(intent(open_("buy", 0.1)), settings(), market())
    assert [r.request for r in p.requests] == [
        MarketOrder(
            symbol="EURUSD", side=Side.BUY, volume=0.1, price=1.10000, deviation_points=20, magic=MAGIC,
            comment="tv:sig-1",
        )
    ]
    # ... which the MT5 adapter sends as this order_send request (mt5-api §2.2 "Market BUY")
    assert [sent(r) for r in p.requests] == [
        {
            "action": 1,
            "symbol": "EURUSD",
            "volume": 0.1,
            "type": 0,
            "price": 1.10000,
            "sl": 0.0,
            "tp": 0.0,
            "deviation": 20,
            "magic": MAGIC,
            "comment": "tv:sig-1",
        }
    ]
    assert p.requests[0].description == "buy 0.1 lots EURUSD at market"
    assert p.requests[0].opens and p.requests[0].kind == "open"


def test_sell_gbpjpy_one_lot_with_a_50_pip_stop() -> None:
    # corpus: "sell,GBPJPY,sl=50,risk=1" -> SL 50 pips above the fill (JPY pip 0.01 -> +0.50)
    p = plan(intent(open_("sell", 1, sl=pips(50)), symbol="GBPJPY"), settings(), market(GBPJPY))
    req = sent(p.requests[0])
    assert (req["type"], req["volume"], req["price"], req["sl"]) == (1, 1.0, 190.000, 190.500)


def test_long_alias_on_a_broker_cfd_symbol() -> None:
    # corpus: "long,US30.Cash,risk=1" -> BUY US30.Cash 1 lot
    p = plan(intent(open_("buy", 1), symbol="US30.Cash"), settings(), market(US30))
    assert (sent(p.requests[0])["symbol"], sent(p.requests[0])["volume"]) == ("US30.Cash", 1.0)


def test_plain_text_buy_uses_the_default_lot() -> None:
    # corpus: "buy EURUSD" -> BUY with the strategy's default lot size
    p = plan(intent(open_("buy", vol(unit=VolumeUnit.DEFAULT))), settings(default_volume_lots=0.05), market())
    assert sent(p.requests[0])["volume"] == 0.05


@pytest.mark.parametrize("mode", [NETTING, HEDGING])
def test_closelongbuy_closes_then_opens(mode: MarginMode) -> None:
    # corpus: "closelongbuy,EURUSD,risk=1" -> close all EURUSD buys, then open a new 1-lot BUY
    m = market(mode=mode, positions=[pos(3, "long", 0.4, sl=1.09, tp=1.12)])
    p = plan(intent(CloseAction(sides=LONG), open_("buy", 1)), settings(), m)
    assert [(r.kind, sent(r)["type"], sent(r)["volume"]) for r in p.requests] == [
        ("close", 1, 0.4),
        ("open", 0, 1.0),
    ]
    # the closed position's levels are not carried over to the new one
    assert (sent(p.requests[1])["sl"], sent(p.requests[1])["tp"]) == (0.0, 0.0)


def test_closelongbuy_without_longs_still_buys_and_notes_the_empty_close() -> None:
    p = plan(intent(CloseAction(sides=LONG), open_("buy", 1)), settings(), market(positions=[pos(1, "short", 0.2)]))
    assert [(r.kind, sent(r)["type"]) for r in p.requests] == [("open", 0)]
    assert "No open long positions on EURUSD for this strategy: nothing to close." in p.notes


def test_closealleaoff_closes_and_leaves_the_halt_to_the_bridge() -> None:
    m = market(positions=[pos(3, "long", 0.4), pos(4, "short", 0.2, "XAUUSD")])
    p = plan(
        intent(CloseAction(all_symbols=True, include_pending=True), ControlAction(trading_enabled=False)), settings(), m
    )
    assert [r.kind for r in p.requests] == ["close", "close"]
    assert any("Trading off is applied by the bridge itself" in n for n in p.notes)


def test_control_only_intent_is_discarded() -> None:
    with pytest.raises(PlanRejected, match="Trading on is applied by the bridge itself") as exc:
        plan(intent(ControlAction(trading_enabled=True)), settings(), market())
    assert exc.value.outcome == "discarded"


def test_empty_intent_is_rejected() -> None:
    with pytest.raises(PlanRejected, match="no trading instruction"):
        plan(intent(), settings(), market())


# -- netting entries ---------------------------------------------------------------------------------------


def test_netting_add_resends_levels_the_alert_leaves_out() -> None:
    m = market(mode=NETTING, positions=[pos(1, "long", 0.5, sl=1.09, tp=1.12)])
    p = plan(intent(open_("buy", 0.1, tp=pips(40))), settings(), m)
    req = sent(p.requests[0])
    assert (req["sl"], req["tp"]) == (1.09, 1.10400)
    assert any("its SL 1.09000 is re-sent" in n for n in p.notes)
    assert any("the alert's TP replaces the level of the whole EURUSD position" in n for n in p.notes)
    assert p.requests[0].description.startswith("add buy 0.1 lots EURUSD")


def test_hedging_add_is_an_independent_position() -> None:
    m = market(mode=HEDGING, positions=[pos(1, "long", 0.5, sl=1.09, tp=1.12)])
    req = sent(plan(intent(open_("buy", 0.1)), settings(), m).requests[0])
    assert (req["sl"], req["tp"]) == (0.0, 0.0)


def test_netting_opposite_entry_smaller_than_the_position_is_a_close() -> None:
    m = market(mode=NETTING, positions=[pos(1, "long", 0.5)])
    p = plan(intent(open_("sell", 0.2, sl=pips(20))), settings(), m)
    assert [(r.kind, sent(r)["volume"], sent(r).get("position")) for r in p.requests] == [("close", 0.2, 1)]
    assert "sl" not in sent(p.requests[0])
    assert any("reduces the 0.50-lot long position" in n for n in p.notes)


def test_netting_opposite_entry_larger_than_the_position_reverses() -> None:
    m = market(mode=NETTING, positions=[pos(1, "long", 0.5)])
    p = plan(intent(open_("sell", 1.5, sl=pips(20))), settings(), m)
    assert [(r.kind, sent(r)["volume"]) for r in p.requests] == [("reverse", 1.5)]
    assert sent(p.requests[0])["sl"] == 1.10190
    assert any("leaves a 1.00-lot short position" in n for n in p.notes)


def test_hedging_opposite_entry_opens_a_hedge() -> None:
    m = market(mode=HEDGING, positions=[pos(1, "long", 0.5)])
    p = plan(intent(open_("sell", 0.2)), settings(), m)
    assert [(r.kind, sent(r).get("position")) for r in p.requests] == [("open", None)]


def test_netting_close_of_a_position_opened_by_the_same_alert() -> None:
    p = plan(intent(open_("buy", 0.3), CloseAction(sides=LONG)), settings(), market(mode=NETTING))
    assert [(r.kind, sent(r)["type"], "position" in sent(r)) for r in p.requests] == [
        ("open", 0, False),
        ("close", 1, False),
    ]


def test_hedging_close_of_a_position_opened_by_the_same_alert_is_refused() -> None:
    with pytest.raises(PlanRejected, match="ticket is unknown until the order is filled"):
        plan(intent(open_("buy", 0.3), CloseAction(sides=LONG)), settings(), market(mode=HEDGING))


# -- notes for what the agent's stop manager will do ------------------------------------------------------


def test_breakeven_is_planned_as_a_note_for_the_stop_manager() -> None:
    # corpus: "buy,EURUSD,risk=1,sl=20,tp=40,betrigger=15,beoffset=2"
    a = open_("buy", 1, sl=pips(20), tp=pips(40), breakeven=Breakeven(trigger_pips=15, offset_pips=2))
    p = plan(intent(a), settings(), market())
    assert (sent(p.requests[0])["sl"], sent(p.requests[0])["tp"]) == (1.09800, 1.10400)
    assert p.notes == [
        "Breakeven: after 15 pips of profit tvbridge moves the stop loss to the entry price + 2 pips (checked twice "
        "a second while tvbridge runs; it cannot act while the PC is off)."
    ]


def test_trailing_is_planned_as_a_note_for_the_stop_manager() -> None:
    a = open_("buy", 1, sl=pips(10), trailing=Trailing(trigger_pips=15, distance_pips=10, step_pips=3))
    p = plan(intent(a), settings(), market())
    assert any(
        n.startswith("Trailing stop (from 15 pips of profit, distance 10 pips, in steps of 3 pips)") for n in p.notes
    )


# -- request hygiene ---------------------------------------------------------------------------------------


def test_comment_is_ascii_and_at_most_27_characters() -> None:
    s = settings(comment="tv:très-long-signal-name-0123456789")
    req = sent(plan(intent(open_("buy", 0.1)), s, market()).requests[0])
    assert req["comment"] == "tv:trs-long-signal-name-012"
    assert len(req["comment"]) == 27 and req["comment"].isascii()


def test_deviation_comes_from_the_settings() -> None:
    req = sent(plan(intent(open_("buy", 0.1)), settings(deviation_points=7), market()).requests[0])
    assert req["deviation"] == 7 and type(req["deviation"]) is int


def test_integral_prices_are_still_floats() -> None:
    p = plan(intent(open_("buy", 1, sl=price(38900), tp=price(39100)), symbol="US30.Cash"), settings(), market(US30))
    req = sent(p.requests[0])
    assert all(type(req[k]) is float for k in ("volume", "price", "sl", "tp"))
