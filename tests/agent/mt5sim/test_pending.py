"""Pending orders (place, modify, remove, expire) and what control.set_quote triggers (fills, SL, TP)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

import agent.mt5sim as mt5
from agent.mt5sim import control
from tests.agent.mt5sim import fresh_terminal


@pytest.fixture(autouse=True)
def connected() -> Iterator[None]:
    yield from fresh_terminal("hedging")


def place(order_type: int, price: float, **extra: Any) -> Any:
    request = {"action": mt5.TRADE_ACTION_PENDING, "symbol": "EURUSD", "volume": 0.1, "type": order_type,
               "price": price, "type_filling": mt5.ORDER_FILLING_RETURN, "magic": 5, **extra}
    result = mt5.order_send(request)
    assert result is not None, mt5.last_error()
    return result


def test_pending_order_is_placed_and_listed() -> None:
    result = place(mt5.ORDER_TYPE_BUY_LIMIT, 1.09500, sl=1.09000, tp=1.10500, comment="tv:limit")
    assert result.retcode == mt5.TRADE_RETCODE_DONE and result.deal == 0 and result.order > 0
    (order,) = mt5.orders_get(symbol="EURUSD")
    assert order.ticket == result.order and order.state == mt5.ORDER_STATE_PLACED
    assert (order.price_open, order.sl, order.tp, order.volume_current) == (1.09500, 1.09000, 1.10500, 0.1)
    assert order.price_current == 1.10010 and order.magic == 5 and order.comment == "tv:limit"
    assert mt5.orders_total() == 1 and mt5.positions_total() == 0
    assert mt5.history_orders_get(ticket=result.order) == ()  # still active


@pytest.mark.parametrize(
    ("order_type", "price"),
    [
        (mt5.ORDER_TYPE_BUY_LIMIT, 1.10100),  # above the ask
        (mt5.ORDER_TYPE_SELL_LIMIT, 1.09900),  # below the bid
        (mt5.ORDER_TYPE_BUY_STOP, 1.09900),  # below the ask
        (mt5.ORDER_TYPE_SELL_STOP, 1.10100),  # above the bid
        (mt5.ORDER_TYPE_BUY_LIMIT, 0.0),
    ],
)
def test_pending_price_on_the_wrong_side_is_10015(order_type: int, price: float) -> None:
    result = place(order_type, price)
    assert (result.retcode, result.comment) == (10015, "Invalid price")


def test_pending_price_must_respect_stops_level_and_tick_size() -> None:
    control.set_symbol("EURUSD", trade_stops_level=30)
    assert place(mt5.ORDER_TYPE_BUY_STOP, 1.10030).retcode == mt5.TRADE_RETCODE_INVALID_PRICE
    assert place(mt5.ORDER_TYPE_BUY_STOP, 1.10040).retcode == mt5.TRADE_RETCODE_DONE
    mt5.symbol_select("US500", True)
    control.set_quote("US500", 5200.00, 5200.50)
    off_tick = mt5.order_send({"action": 5, "symbol": "US500", "volume": 0.1, "type": 2, "price": 5190.10,
                               "type_filling": 2})
    assert off_tick.retcode == mt5.TRADE_RETCODE_INVALID_PRICE  # tick size 0.25
    on_tick = mt5.order_send({"action": 5, "symbol": "US500", "volume": 0.1, "type": 2, "price": 5190.25,
                              "type_filling": 2})
    assert on_tick.retcode == mt5.TRADE_RETCODE_DONE


def test_pending_sl_tp_are_checked_against_the_order_price() -> None:
    assert place(mt5.ORDER_TYPE_SELL_LIMIT, 1.10500, sl=1.10400).retcode == mt5.TRADE_RETCODE_INVALID_STOPS
    assert place(mt5.ORDER_TYPE_SELL_LIMIT, 1.10500, sl=1.10600, tp=1.10000).retcode == mt5.TRADE_RETCODE_DONE


def test_buy_limit_fills_at_its_price_when_the_ask_reaches_it() -> None:
    placed = place(mt5.ORDER_TYPE_BUY_LIMIT, 1.09500, sl=1.09000)
    control.set_quote("EURUSD", 1.09600)
    assert mt5.positions_total() == 0
    control.set_quote("EURUSD", 1.09480, 1.09490)
    (position,) = mt5.positions_get()
    assert position.ticket == position.identifier == placed.order
    assert position.price_open == 1.09500 and position.sl == 1.09000 and position.magic == 5
    assert mt5.orders_get() == ()
    (deal,) = mt5.history_deals_get(ticket=placed.order)
    assert deal.reason == mt5.DEAL_REASON_EXPERT and deal.entry == mt5.DEAL_ENTRY_IN
    assert mt5.history_orders_get(ticket=placed.order)[0].state == mt5.ORDER_STATE_FILLED


def test_sell_stop_fills_at_market_when_the_bid_falls_through() -> None:
    place(mt5.ORDER_TYPE_SELL_STOP, 1.09800)
    control.set_quote("EURUSD", 1.09750, 1.09760)  # gapped through the stop
    (position,) = mt5.positions_get()
    assert position.type == mt5.POSITION_TYPE_SELL and position.price_open == 1.09750


def test_stop_limit_becomes_a_limit_order_then_fills() -> None:
    placed = place(mt5.ORDER_TYPE_BUY_STOP_LIMIT, 1.10200, stoplimit=1.10150)
    control.set_quote("EURUSD", 1.10200, 1.10210)  # stop reached, ask above the limit
    (order,) = mt5.orders_get()
    assert order.ticket == placed.order and order.type == mt5.ORDER_TYPE_BUY_LIMIT and order.price_open == 1.10150
    control.set_quote("EURUSD", 1.10140, 1.10150)
    assert mt5.positions_get()[0].price_open == 1.10150


def test_modify_and_remove_a_pending_order() -> None:
    placed = place(mt5.ORDER_TYPE_SELL_LIMIT, 1.10500)
    modify = {"action": mt5.TRADE_ACTION_MODIFY, "order": placed.order, "price": 1.10600, "sl": 1.10900,
              "tp": 1.10000}
    result = mt5.order_send(modify)
    assert result.retcode == mt5.TRADE_RETCODE_DONE and result.order == placed.order
    assert mt5.orders_get(ticket=placed.order)[0].price_open == 1.10600
    assert mt5.order_send(modify).retcode == mt5.TRADE_RETCODE_NO_CHANGES
    assert mt5.order_send({**modify, "price": 1.09000}).retcode == mt5.TRADE_RETCODE_INVALID_PRICE
    removed = mt5.order_send({"action": mt5.TRADE_ACTION_REMOVE, "order": placed.order})
    assert removed.retcode == mt5.TRADE_RETCODE_DONE
    assert mt5.orders_total() == 0
    assert mt5.history_orders_get(ticket=placed.order)[0].state == mt5.ORDER_STATE_CANCELED
    assert mt5.order_send({"action": mt5.TRADE_ACTION_REMOVE, "order": placed.order}).retcode == 10013


def test_freeze_level_blocks_removing_an_order_near_the_market() -> None:
    placed = place(mt5.ORDER_TYPE_BUY_STOP, 1.10100)
    control.set_symbol("EURUSD", trade_freeze_level=20)
    control.set_quote("EURUSD", 1.10075, 1.10085)  # ask 15 points below the trigger
    assert mt5.order_send({"action": mt5.TRADE_ACTION_REMOVE, "order": placed.order}).retcode == 10029


def test_expiration_rules() -> None:
    now = mt5.symbol_info_tick("EURUSD").time
    past = place(mt5.ORDER_TYPE_BUY_LIMIT, 1.09500, type_time=mt5.ORDER_TIME_SPECIFIED, expiration=now - 10)
    assert (past.retcode, past.comment) == (10022, "Invalid expiration")
    placed = place(mt5.ORDER_TYPE_BUY_LIMIT, 1.09500, type_time=mt5.ORDER_TIME_SPECIFIED, expiration=now + 3600)
    assert mt5.orders_get()[0].time_expiration == now + 3600
    control.set_time_offset(7200)  # two hours later on the server clock, without a new quote
    assert mt5.orders_get() == ()
    assert mt5.history_orders_get(ticket=placed.order)[0].state == mt5.ORDER_STATE_EXPIRED


def test_a_symbol_without_specified_expiry_answers_10022_and_day_orders_expire_at_the_servers_midnight() -> None:
    mt5.symbol_select("GER40", True)
    assert mt5.symbol_info("GER40").expiration_mode == 3  # GTC and DAY only
    now = mt5.symbol_info_tick("GER40").time
    request = {"action": mt5.TRADE_ACTION_PENDING, "symbol": "GER40", "volume": 0.1, "type": mt5.ORDER_TYPE_BUY_LIMIT,
               "price": 17000.0, "type_filling": mt5.ORDER_FILLING_RETURN}
    specified = mt5.order_send({**request, "type_time": mt5.ORDER_TIME_SPECIFIED, "expiration": now + 3600})
    assert (specified.retcode, specified.comment) == (10022, "Invalid expiration")
    day = mt5.order_send({**request, "type_time": mt5.ORDER_TIME_DAY})
    assert day.retcode == mt5.TRADE_RETCODE_DONE
    control.set_time_offset(86_400 - now % 86_400)  # the server's clock passes midnight
    assert mt5.orders_get(symbol="GER40") == ()
    assert mt5.history_orders_get(ticket=day.order)[0].state == mt5.ORDER_STATE_EXPIRED


def test_take_profit_closes_at_the_tp_price_and_books_the_profit() -> None:
    opened = mt5.order_send({"action": 1, "symbol": "EURUSD", "volume": 1.0, "type": mt5.ORDER_TYPE_BUY,
                             "tp": 1.10210, "type_filling": 1})
    control.set_quote("EURUSD", 1.10250, 1.10260)
    assert mt5.positions_get() == ()
    deals = mt5.history_deals_get(position=opened.order)
    exit_deal = deals[-1]
    assert exit_deal.reason == mt5.DEAL_REASON_TP and exit_deal.entry == mt5.DEAL_ENTRY_OUT
    assert exit_deal.price == 1.10210 and exit_deal.profit == 200.0  # 20 pips on 1 lot
    assert exit_deal.comment == "[tp 1.10210]"
    assert mt5.history_orders_get(ticket=exit_deal.order)[0].reason == mt5.ORDER_REASON_TP
    assert mt5.account_info().balance == 10_200.0


def test_stop_loss_of_a_sell_closes_at_the_ask() -> None:
    opened = mt5.order_send({"action": 1, "symbol": "EURUSD", "volume": 0.5, "type": mt5.ORDER_TYPE_SELL,
                             "sl": 1.10200, "type_filling": 1})
    control.set_quote("EURUSD", 1.10190, 1.10200)
    (exit_deal,) = [d for d in mt5.history_deals_get(position=opened.order) if d.entry == mt5.DEAL_ENTRY_OUT]
    assert exit_deal.reason == mt5.DEAL_REASON_SL and exit_deal.price == 1.10200
    assert exit_deal.profit == -100.0
    assert mt5.account_info().balance == 9_900.0 and mt5.positions_total() == 0


def test_pending_fill_on_netting_reduces_the_open_position() -> None:
    control.configure(margin_mode="netting")
    mt5.initialize()
    control.set_quote("EURUSD", 1.10000, 1.10010)
    mt5.order_send({"action": 1, "symbol": "EURUSD", "volume": 0.3, "type": 0})
    place(mt5.ORDER_TYPE_SELL_LIMIT, 1.10100, volume=0.1)
    control.set_quote("EURUSD", 1.10100, 1.10110)
    (position,) = mt5.positions_get()
    assert position.type == mt5.POSITION_TYPE_BUY and position.volume == 0.2
