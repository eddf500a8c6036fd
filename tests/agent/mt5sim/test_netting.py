"""Market deals on a netting account: open, add, reduce, close, reverse; SL/TP inheritance; tickets."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest

import agent.mt5sim as mt5
from agent.mt5sim import control
from tests.agent.mt5sim import fresh_terminal

FAR_PAST, FAR_FUTURE = 0, 2**32 - 1


@pytest.fixture(autouse=True)
def netting() -> Iterator[None]:
    yield from fresh_terminal("netting")


def deal(order_type: int, volume: float, **extra: Any) -> Any:
    request = {"action": mt5.TRADE_ACTION_DEAL, "symbol": "EURUSD", "volume": volume, "type": order_type,
               "type_filling": mt5.ORDER_FILLING_FOK, "magic": 11, **extra}
    result = mt5.order_send(request)
    assert result is not None, mt5.last_error()
    return result


def test_market_buy_opens_a_position_at_the_ask() -> None:
    result = deal(mt5.ORDER_TYPE_BUY, 0.5, comment="tv:abc")
    assert (result.retcode, result.comment) == (10009, "Request executed")
    assert result.price == 1.10010 and result.volume == 0.5
    assert (result.bid, result.ask) == (1.10000, 1.10010)
    assert result.request_id > 0
    (position,) = mt5.positions_get(symbol="EURUSD")
    assert position.ticket == position.identifier == result.order
    assert position.type == mt5.POSITION_TYPE_BUY and position.volume == 0.5 and position.price_open == 1.10010
    assert position.magic == 11 and position.comment == "tv:abc" and position.reason == mt5.POSITION_REASON_EXPERT
    assert position.price_current == 1.10000 and position.profit == -5.0  # the spread, 10 points * 0.5 lot


def test_tickets_link_order_deal_and_position() -> None:
    result = deal(mt5.ORDER_TYPE_SELL, 0.1)
    (deal_record,) = mt5.history_deals_get(ticket=result.order)
    assert deal_record.ticket == result.deal and deal_record.order == result.order
    assert deal_record.position_id == result.order and deal_record.entry == mt5.DEAL_ENTRY_IN
    assert deal_record.type == mt5.DEAL_TYPE_SELL and deal_record.reason == mt5.DEAL_REASON_EXPERT
    (order_record,) = mt5.history_orders_get(ticket=result.order)
    assert order_record.state == mt5.ORDER_STATE_FILLED and order_record.position_id == result.order


def test_adding_replaces_sl_tp_and_averages_the_price() -> None:
    deal(mt5.ORDER_TYPE_BUY, 1.0, sl=1.09000, tp=1.12000)
    control.set_quote("EURUSD", 1.10100, 1.10110)
    deal(mt5.ORDER_TYPE_BUY, 1.0, sl=1.09500, tp=1.11500)
    (position,) = mt5.positions_get()
    assert position.volume == 2.0
    assert position.price_open == pytest.approx(1.10060)
    assert (position.sl, position.tp) == (1.09500, 1.11500)


def test_adding_without_sl_tp_wipes_them() -> None:
    deal(mt5.ORDER_TYPE_BUY, 1.0, sl=1.09000, tp=1.12000)
    deal(mt5.ORDER_TYPE_BUY, 0.5)
    (position,) = mt5.positions_get()
    assert (position.sl, position.tp) == (0.0, 0.0)


def test_partial_close_keeps_sl_tp_and_realises_profit() -> None:
    opened = deal(mt5.ORDER_TYPE_BUY, 1.0, sl=1.09000, tp=1.12000)
    control.set_quote("EURUSD", 1.10210, 1.10220)
    closed = deal(mt5.ORDER_TYPE_SELL, 0.4)
    (position,) = mt5.positions_get()
    assert position.ticket == opened.order and position.volume == 0.6
    assert (position.sl, position.tp) == (1.09000, 1.12000)
    out = mt5.history_deals_get(ticket=closed.order)[0]
    assert out.entry == mt5.DEAL_ENTRY_OUT and out.profit == 80.0  # 20 pips * 0.4 lot
    assert mt5.account_info().balance == 10_080.0


def test_opposite_deal_of_equal_volume_closes() -> None:
    opened = deal(mt5.ORDER_TYPE_SELL, 0.3)
    deal(mt5.ORDER_TYPE_BUY, 0.3)
    assert mt5.positions_get() == ()
    deals = mt5.history_deals_get(position=opened.order)
    assert [d.entry for d in deals] == [mt5.DEAL_ENTRY_IN, mt5.DEAL_ENTRY_OUT]
    assert deals[1].profit == -3.0  # the spread on 0.3 lot


def test_reversal_is_one_inout_deal_keeping_the_identifier() -> None:
    opened = deal(mt5.ORDER_TYPE_BUY, 1.0, sl=1.09000)
    control.set_quote("EURUSD", 1.10100, 1.10110)
    reversed_ = deal(mt5.ORDER_TYPE_SELL, 1.5, sl=1.11000, tp=1.08000)
    (position,) = mt5.positions_get()
    assert position.type == mt5.POSITION_TYPE_SELL and position.volume == 0.5
    assert position.identifier == opened.order
    assert position.ticket == reversed_.order != opened.order
    assert (position.sl, position.tp) == (1.11000, 1.08000)
    assert position.price_open == 1.10100
    inout = mt5.history_deals_get(ticket=reversed_.order)[0]
    assert inout.entry == mt5.DEAL_ENTRY_INOUT and inout.volume == 1.5
    assert inout.position_id == opened.order
    assert inout.profit == 90.0  # (1.10100 - 1.10010) * 100 000 on the closed lot
    assert len(mt5.history_deals_get(position=opened.order)) == 2


def test_closing_by_position_ticket_on_netting() -> None:
    opened = deal(mt5.ORDER_TYPE_BUY, 0.2)
    deal(mt5.ORDER_TYPE_SELL, 0.2, position=opened.order)
    assert mt5.positions_total() == 0


def test_balance_moves_only_on_closing_deals() -> None:
    deal(mt5.ORDER_TYPE_BUY, 1.0)
    assert mt5.account_info().balance == 10_000.0
    control.set_quote("EURUSD", 1.10500, 1.10510)
    account = mt5.account_info()
    assert account.profit == 490.0 and account.equity == 10_490.0
    assert account.margin == pytest.approx(1_100.10) and account.margin_free == pytest.approx(9_389.90)
    assert account.margin_level == pytest.approx(10_490.0 / 1_100.10 * 100, abs=0.01)
    deal(mt5.ORDER_TYPE_SELL, 1.0)
    account = mt5.account_info()
    assert account.balance == account.equity == 10_490.0 and account.margin == 0.0


def test_order_check_projects_without_trading() -> None:
    check = mt5.order_check({"action": mt5.TRADE_ACTION_DEAL, "symbol": "EURUSD", "volume": 1.0, "type": 0})
    assert (check.retcode, check.comment) == (0, "Done")
    assert check.margin == pytest.approx(1_100.10) and check.balance == 10_000.0
    assert check.equity == 9_990.0 and check.margin_free == pytest.approx(8_889.90)
    assert mt5.positions_total() == 0
    assert isinstance(check.request, mt5.TradeRequest)


def test_not_enough_money_is_10019_in_check_and_send() -> None:
    request = {"action": mt5.TRADE_ACTION_DEAL, "symbol": "EURUSD", "volume": 95.0, "type": 0}
    check = mt5.order_check(request)
    assert (check.retcode, check.comment) == (10019, "No money")
    assert check.margin_free < 0
    assert mt5.order_send(request).retcode == mt5.TRADE_RETCODE_NO_MONEY
    assert mt5.positions_total() == 0


def test_history_filters_by_dates_group_ticket_and_position() -> None:
    first = deal(mt5.ORDER_TYPE_BUY, 0.1)
    control.set_quote("USDJPY", 150.000)
    usdjpy = mt5.order_send({"action": 1, "symbol": "USDJPY", "volume": 0.1, "type": 1})
    deals = mt5.history_deals_get(FAR_PAST, FAR_FUTURE)
    assert [d.type for d in deals] == [mt5.DEAL_TYPE_BALANCE, mt5.DEAL_TYPE_BUY, mt5.DEAL_TYPE_SELL]
    assert [d.symbol for d in mt5.history_deals_get(FAR_PAST, FAR_FUTURE, group="*JPY*")] == ["USDJPY"]
    assert mt5.history_deals_total(FAR_PAST, FAR_FUTURE) == 3
    assert mt5.history_orders_total(FAR_PAST, FAR_FUTURE) == 2
    assert [o.ticket for o in mt5.history_orders_get(position=first.order)] == [first.order]
    assert mt5.history_deals_get(ticket=usdjpy.deal) == ()  # ticket= is the ORDER ticket
    assert mt5.history_deals_get(ticket=usdjpy.order)[0].ticket == usdjpy.deal
    assert mt5.history_deals_get(FAR_PAST, 1_000) == ()
    assert mt5.history_deals_get(FAR_PAST) is None
    assert mt5.last_error() == (-2, "Invalid number of arguments")
    assert mt5.history_deals_get("today", FAR_FUTURE) is None
    assert mt5.last_error() == (-2, "Invalid 1st unnamed argument")


def test_server_clock_ahead_of_utc_hides_deals_from_a_utc_now_query() -> None:
    control.set_time_offset(3 * 3600)
    result = deal(mt5.ORDER_TYPE_BUY, 0.1)
    now_utc = int(time.time())
    assert result.order not in [d.order for d in mt5.history_deals_get(now_utc - 60, now_utc)]
    assert mt5.history_deals_get(now_utc - 60, now_utc + 86_400)[-1].order == result.order
    assert mt5.symbol_info_tick("EURUSD").time >= now_utc + 3 * 3600
