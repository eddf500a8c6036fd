"""Closing positions on netting and hedging accounts: full, partial, all symbols, and nothing to close."""

from __future__ import annotations

from dataclasses import replace

import pytest

from agent.broker.models import MarginMode, TradeMode
from agent.planner import PlanRejected, plan
from contract.intent import CloseAction, PositionSide
from tests.agent.planner import (
    EURUSD,
    GBPUSD,
    HEDGING,
    MAGIC,
    NETTING,
    US30,
    XAUUSD,
    intent,
    market,
    order,
    pos,
    sent,
    settings,
)

LONG, SHORT = (PositionSide.LONG,), (PositionSide.SHORT,)


@pytest.mark.parametrize("mode", [NETTING, HEDGING])
def test_close_long_is_an_opposite_deal_at_the_bid_with_the_ticket(mode: MarginMode) -> None:
    m = market(mode=mode, positions=[pos(11, "long", 0.5)])
    p = plan(intent(CloseAction(sides=LONG)), settings(), m)
    assert [sent(r) for r in p.requests] == [
        {
            "action": 1,
            "symbol": "EURUSD",
            "volume": 0.5,
            "type": 1,
            "price": 1.09990,
            "position": 11,
            "deviation": 20,
            "magic": MAGIC,
            "comment": "tv:sig-1",
        }
    ]
    assert p.requests[0].description == "close long #11 0.5 lots EURUSD"
    assert p.requests[0].kind == "close" and not p.requests[0].opens


def test_close_short_buys_at_the_ask() -> None:
    p = plan(intent(CloseAction(sides=SHORT)), settings(), market(positions=[pos(12, "short", 0.3)]))
    req = sent(p.requests[0])
    assert (req["type"], req["price"], req["position"], req["volume"]) == (0, 1.10000, 12, 0.3)


def test_hedging_closes_each_ticket_oldest_first_and_only_the_asked_side() -> None:
    m = market(positions=[pos(30, "long", 0.2), pos(10, "long", 0.1), pos(20, "short", 0.4)])
    p = plan(intent(CloseAction(sides=LONG)), settings(), m)
    assert [sent(r)["position"] for r in p.requests] == [10, 30]
    assert all(sent(r)["type"] == 1 for r in p.requests)


def test_closelongshort_closes_both_sides_on_the_symbol_only() -> None:
    m = market(positions=[pos(1, "long", 0.2), pos(2, "short", 0.4), pos(3, "long", 1.0, "XAUUSD")])
    p = plan(intent(CloseAction()), settings(), m)
    assert [(sent(r)["position"], sent(r)["type"]) for r in p.requests] == [(1, 1), (2, 0)]


def test_nothing_to_close_is_discarded_with_a_sentence() -> None:
    # corpus: "closelong,GBPUSD" with no longs -> log no-op
    with pytest.raises(PlanRejected) as exc:
        plan(intent(CloseAction(sides=LONG), symbol="GBPUSD"), settings(), market(GBPUSD))
    assert str(exc.value) == "No open long positions on GBPUSD for this strategy: nothing to close."
    assert exc.value.outcome == "discarded"


def test_positions_of_other_strategies_are_never_touched() -> None:
    m = market(positions=[pos(1, "long", 0.2, magic=999)])
    with pytest.raises(PlanRejected, match="No open long positions on EURUSD") as exc:
        plan(intent(CloseAction(sides=LONG)), settings(), m)
    assert exc.value.outcome == "discarded"


def test_foreign_positions_are_mentioned_in_the_notes() -> None:
    m = market(positions=[pos(1, "long", 0.2, magic=999), pos(2, "long", 0.3)])
    p = plan(intent(CloseAction(sides=LONG)), settings(), m)
    assert [sent(r)["position"] for r in p.requests] == [2]
    assert any("without this strategy's magic number" in n for n in p.notes)


def test_closeall_spans_symbols_and_deletes_pending_orders_first() -> None:
    # corpus: closeall closes ALL positions and deletes ALL pending orders regardless of symbol (own magic only)
    m = market(
        positions=[pos(1, "long", 0.5), pos(2, "short", 1.0, "XAUUSD"), pos(3, "long", 0.3, "US30.Cash")],
        orders=[
            order(7, "buy_limit", 1.09, symbol="EURUSD"),
            order(8, "sell_stop", 1990.0, symbol="XAUUSD"),
            order(9, "buy_limit", 1.0, magic=5),
        ],
    )
    p = plan(intent(CloseAction(all_symbols=True, include_pending=True)), settings(), m)
    assert [r.kind for r in p.requests] == ["cancel", "cancel", "close", "close", "close"]
    assert [sent(r).get("order") for r in p.requests[:2]] == [7, 8]
    closes = {sent(r)["symbol"]: sent(r) for r in p.requests[2:]}
    assert closes["XAUUSD"]["price"] == 2000.00 and closes["XAUUSD"]["type"] == 0  # short closes at the ask
    assert closes["US30.Cash"]["price"] == 39000.0 and closes["US30.Cash"]["type"] == 1


def test_closeall_with_nothing_anywhere_is_discarded() -> None:
    with pytest.raises(PlanRejected, match="No open positions on any symbol for this strategy") as exc:
        plan(intent(CloseAction(all_symbols=True, include_pending=True)), settings(), market())
    assert exc.value.outcome == "discarded"


def test_closeall_needs_quotes_of_other_symbols() -> None:
    m = market(positions=[pos(2, "short", 1.0, "XAUUSD")])
    m.quotes.pop("XAUUSD")
    with pytest.raises(PlanRejected, match="no usable price for XAUUSD"):
        plan(intent(CloseAction(all_symbols=True)), settings(), m)


# -- partial closes ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("mode", [NETTING, HEDGING])
def test_partial_close_by_percent_rounds_down_each_position(mode: MarginMode) -> None:
    m = market(mode=mode, positions=[pos(1, "long", 0.55)])
    p = plan(intent(CloseAction(sides=LONG, portion_pct=50)), settings(), m)
    assert [(sent(r)["volume"], sent(r)["position"]) for r in p.requests] == [(0.27, 1)]
    assert p.requests[0].description == "close long #1 0.27 of 0.55 lots EURUSD"


def test_partial_close_skips_positions_whose_share_is_below_the_minimum() -> None:
    m = market(positions=[pos(1, "long", 0.01), pos(2, "long", 1.0)])
    p = plan(intent(CloseAction(sides=LONG, portion_pct=25)), settings(), m)
    assert [(sent(r)["position"], sent(r)["volume"]) for r in p.requests] == [(2, 0.25)]
    assert any("25% of the 0.01-lot long #1 on EURUSD is 0.0025 lots" in n for n in p.notes)


def test_partial_close_below_the_minimum_everywhere_is_refused() -> None:
    with pytest.raises(PlanRejected) as exc:
        plan(intent(CloseAction(sides=LONG, portion_pct=10)), settings(), market(positions=[pos(1, "long", 0.05)]))
    assert str(exc.value) == (
        "10% of the 0.05-lot long #1 on EURUSD is 0.005 lots, below the minimum volume of 0.01 lots: "
        "nothing was closed."
    )
    assert exc.value.outcome == "rejected"


def test_partial_close_of_100_percent_is_a_full_close() -> None:
    p = plan(intent(CloseAction(sides=LONG, portion_pct=100)), settings(), market(positions=[pos(1, "long", 0.37)]))
    assert sent(p.requests[0])["volume"] == 0.37


def test_partial_close_by_lots_takes_oldest_positions_first() -> None:
    m = market(positions=[pos(1, "long", 0.3), pos(2, "long", 0.5)])
    p = plan(intent(CloseAction(sides=LONG, portion_lots=0.6)), settings(), m)
    assert [(sent(r)["position"], sent(r)["volume"]) for r in p.requests] == [(1, 0.3), (2, 0.3)]


def test_partial_close_by_lots_larger_than_held_closes_what_is_held() -> None:
    p = plan(intent(CloseAction(sides=LONG, portion_lots=2)), settings(), market(positions=[pos(1, "long", 0.3)]))
    assert sent(p.requests[0])["volume"] == 0.3
    assert any("holds 0.30 lots there: closing all of it" in n for n in p.notes)


def test_partial_close_by_lots_below_minimum_is_refused() -> None:
    with pytest.raises(PlanRejected, match="below its minimum volume of 0.1 lots"):
        m = market(US30, positions=[pos(1, "long", 1.0, "US30.Cash")])
        plan(intent(CloseAction(sides=LONG, portion_lots=0.05), symbol="US30.Cash"), settings(), m)


def test_netting_partial_close_keeps_the_position_ticket() -> None:
    m = market(mode=NETTING, positions=[pos(77, "short", 1.0)])
    p = plan(intent(CloseAction(sides=SHORT, portion_lots=0.4)), settings(), m)
    req = sent(p.requests[0])
    assert (req["type"], req["volume"], req["position"], req["price"]) == (0, 0.4, 77, 1.10000)


def test_close_larger_than_volume_max_is_split() -> None:
    spec = replace(XAUUSD, volume_max=5.0)
    m = market(spec, mode=NETTING, positions=[pos(3, "long", 12.0, "XAUUSD")])
    p = plan(intent(CloseAction(sides=LONG), symbol="XAUUSD"), settings(), m)
    assert [sent(r)["volume"] for r in p.requests] == [5.0, 5.0, 2.0]
    assert all(sent(r)["position"] == 3 for r in p.requests)


def test_close_only_symbol_still_closes() -> None:
    spec = replace(EURUSD, trade_mode=TradeMode.CLOSE_ONLY)
    p = plan(intent(CloseAction(sides=LONG)), settings(), market(spec, positions=[pos(1, "long", 0.5)]))
    assert sent(p.requests[0])["volume"] == 0.5


def test_disabled_symbol_refuses_closes_with_the_reason() -> None:
    spec = replace(EURUSD, trade_mode=TradeMode.DISABLED)
    with pytest.raises(PlanRejected, match="Trading is disabled on EURUSD") as exc:
        plan(intent(CloseAction(sides=LONG)), settings(), market(spec, positions=[pos(1, "long", 0.5)]))
    assert exc.value.outcome == "rejected"


def test_index_close_uses_its_own_spec() -> None:
    m = market(US30, positions=[pos(5, "short", 0.3, "US30.Cash")])
    p = plan(intent(CloseAction(sides=SHORT), symbol="US30.Cash"), settings(), m)
    assert sent(p.requests[0])["price"] == 39002.0
    assert EURUSD.name not in p.requests[0].description
