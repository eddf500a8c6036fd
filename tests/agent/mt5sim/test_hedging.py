"""Market deals on a hedging account: several positions per symbol, close by ticket, partial close, close-by."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

import agent.mt5sim as mt5
from agent.mt5sim import control
from tests.agent.mt5sim import fresh_terminal


@pytest.fixture(autouse=True)
def hedging() -> Iterator[None]:
    yield from fresh_terminal("hedging")


def deal(order_type: int, volume: float, **extra: Any) -> Any:
    request = {"action": mt5.TRADE_ACTION_DEAL, "symbol": "EURUSD", "volume": volume, "type": order_type,
               "type_filling": mt5.ORDER_FILLING_IOC, **extra}
    result = mt5.order_send(request)
    assert result is not None, mt5.last_error()
    return result


def test_account_reports_hedging_margin_mode() -> None:
    assert mt5.account_info().margin_mode == mt5.ACCOUNT_MARGIN_MODE_RETAIL_HEDGING


def test_each_buy_opens_its_own_position() -> None:
    first = deal(mt5.ORDER_TYPE_BUY, 0.1, sl=1.09000)
    second = deal(mt5.ORDER_TYPE_BUY, 0.2, tp=1.11000)
    positions = mt5.positions_get(symbol="EURUSD")
    assert [p.ticket for p in positions] == [first.order, second.order]
    assert [(p.sl, p.tp) for p in positions] == [(1.09000, 0.0), (0.0, 1.11000)]


def test_close_without_position_opens_an_opposite_position() -> None:
    deal(mt5.ORDER_TYPE_BUY, 0.1)
    deal(mt5.ORDER_TYPE_SELL, 0.1)  # the classic bug: a "close" without position=
    types = sorted(p.type for p in mt5.positions_get())
    assert types == [mt5.POSITION_TYPE_BUY, mt5.POSITION_TYPE_SELL]


def test_close_by_ticket() -> None:
    first = deal(mt5.ORDER_TYPE_BUY, 0.1)
    second = deal(mt5.ORDER_TYPE_BUY, 0.1)
    control.set_quote("EURUSD", 1.10110, 1.10120)
    closed = deal(mt5.ORDER_TYPE_SELL, 0.1, position=first.order)
    assert closed.retcode == mt5.TRADE_RETCODE_DONE and closed.price == 1.10110
    assert [p.ticket for p in mt5.positions_get()] == [second.order]
    out = mt5.history_deals_get(ticket=closed.order)[0]
    assert out.entry == mt5.DEAL_ENTRY_OUT and out.position_id == first.order and out.profit == 10.0


def test_partial_close_keeps_the_ticket() -> None:
    opened = deal(mt5.ORDER_TYPE_SELL, 1.0, sl=1.12000)
    deal(mt5.ORDER_TYPE_BUY, 0.3, position=opened.order)
    (position,) = mt5.positions_get(ticket=opened.order)
    assert position.volume == 0.7 and position.sl == 1.12000


def test_close_volume_above_the_position_is_10038() -> None:
    opened = deal(mt5.ORDER_TYPE_BUY, 0.1)
    result = deal(mt5.ORDER_TYPE_SELL, 0.2, position=opened.order)
    assert result.retcode == mt5.TRADE_RETCODE_INVALID_CLOSE_VOLUME


def test_unknown_and_closed_position_tickets() -> None:
    assert deal(mt5.ORDER_TYPE_SELL, 0.1, position=123).retcode == mt5.TRADE_RETCODE_INVALID
    opened = deal(mt5.ORDER_TYPE_BUY, 0.1)
    deal(mt5.ORDER_TYPE_SELL, 0.1, position=opened.order)
    again = deal(mt5.ORDER_TYPE_SELL, 0.1, position=opened.order)
    assert (again.retcode, again.comment) == (10036, "Position already closed")


def test_close_by_opposite_position() -> None:
    buy = deal(mt5.ORDER_TYPE_BUY, 1.0)  # at 1.10010
    control.set_quote("EURUSD", 1.10200, 1.10210)
    sell = deal(mt5.ORDER_TYPE_SELL, 0.4)  # at 1.10200
    result = mt5.order_send({"action": mt5.TRADE_ACTION_CLOSE_BY, "position": buy.order, "position_by": sell.order})
    assert result.retcode == mt5.TRADE_RETCODE_DONE
    (left,) = mt5.positions_get()
    assert left.ticket == buy.order and left.volume == 0.6 and left.price_open == 1.10010
    deals = mt5.history_deals_get(ticket=result.order)
    assert [d.entry for d in deals] == [mt5.DEAL_ENTRY_OUT_BY, mt5.DEAL_ENTRY_OUT_BY]
    assert {d.position_id for d in deals} == {buy.order, sell.order}
    assert sum(d.profit for d in deals) == 76.0  # (1.10200 - 1.10010) * 40 000: one spread saved
    order = mt5.history_orders_get(ticket=result.order)[0]
    assert order.type == mt5.ORDER_TYPE_CLOSE_BY and order.position_by_id == sell.order
    assert mt5.account_info().balance == 10_076.0


def test_close_by_is_refused_on_netting_and_for_same_direction() -> None:
    first = deal(mt5.ORDER_TYPE_BUY, 0.1)
    second = deal(mt5.ORDER_TYPE_BUY, 0.1)
    request = {"action": mt5.TRADE_ACTION_CLOSE_BY, "position": first.order, "position_by": second.order}
    assert mt5.order_send(request).retcode == mt5.TRADE_RETCODE_INVALID
    control.reset()
    control.configure(margin_mode="netting")
    mt5.initialize()
    assert mt5.order_send(request).retcode == mt5.TRADE_RETCODE_INVALID


def test_sltp_needs_the_position_ticket_on_hedging() -> None:
    opened = deal(mt5.ORDER_TYPE_BUY, 0.1)
    no_ticket = mt5.order_send({"action": mt5.TRADE_ACTION_SLTP, "symbol": "EURUSD", "sl": 1.09, "tp": 0.0})
    assert no_ticket.retcode == mt5.TRADE_RETCODE_INVALID
    result = mt5.order_send(
        {"action": mt5.TRADE_ACTION_SLTP, "symbol": "EURUSD", "position": opened.order, "sl": 1.09, "tp": 1.12}
    )
    assert result.retcode == mt5.TRADE_RETCODE_DONE
    assert (mt5.positions_get()[0].sl, mt5.positions_get()[0].tp) == (1.09, 1.12)
    removed = mt5.order_send({"action": mt5.TRADE_ACTION_SLTP, "position": opened.order, "sl": 0.0, "tp": 1.12})
    assert removed.retcode == mt5.TRADE_RETCODE_DONE and mt5.positions_get()[0].sl == 0.0
    same = mt5.order_send({"action": mt5.TRADE_ACTION_SLTP, "position": opened.order, "sl": 0.0, "tp": 1.12})
    assert (same.retcode, same.comment) == (10025, "No changes")


def test_fifo_and_hedge_prohibited_account_rules() -> None:
    older = deal(mt5.ORDER_TYPE_BUY, 0.1)
    newer = deal(mt5.ORDER_TYPE_BUY, 0.1)
    control.set_account(fifo_close=True, hedge_prohibited=True)
    assert deal(mt5.ORDER_TYPE_SELL, 0.1, position=newer.order).retcode == mt5.TRADE_RETCODE_FIFO_CLOSE
    assert deal(mt5.ORDER_TYPE_SELL, 0.1).retcode == 10046  # TRADE_RETCODE_HEDGE_PROHIBITED, not exported
    assert deal(mt5.ORDER_TYPE_SELL, 0.1, position=older.order).retcode == mt5.TRADE_RETCODE_DONE
