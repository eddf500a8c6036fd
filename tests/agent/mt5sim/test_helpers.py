"""Buy / Sell / Close: MetaQuotes' helpers, quirks included (mt5-api §1.9)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

import agent.mt5sim as mt5
from agent.mt5sim import control


@pytest.fixture(autouse=True)
def hedging() -> Iterator[None]:
    control.reset()
    control.configure(margin_mode="hedging")
    assert mt5.initialize()
    yield
    control.reset()


def test_buy_and_sell_at_market_with_deviation_10_and_fok() -> None:
    result = mt5.Buy("EURUSD", 0.1, comment="helper")
    assert result.retcode == mt5.TRADE_RETCODE_DONE
    assert (result.request.deviation, result.request.type_filling) == (10, mt5.ORDER_FILLING_FOK)
    assert result.request.price == mt5.symbol_info_tick("EURUSD").ask
    assert mt5.Sell("EURUSD", 0.1).retcode == mt5.TRADE_RETCODE_DONE
    assert mt5.positions_total() == 2


def test_helpers_fail_on_ioc_only_symbols_because_they_send_fok() -> None:
    assert mt5.Buy("XAUUSD", 0.1).retcode == mt5.TRADE_RETCODE_INVALID_FILL


def test_int_volume_gives_none() -> None:
    assert mt5.Buy("EURUSD", 1) is None
    assert mt5.last_error() == (-2, 'Invalid "volume" argument')


def test_retries_requotes_but_not_other_failures() -> None:
    control.inject_fault("requote", count=3)
    assert mt5.Buy("EURUSD", 0.1).retcode == mt5.TRADE_RETCODE_DONE
    control.inject_fault("too_many_requests")
    control.inject_fault("requote")
    assert mt5.Sell("EURUSD", 0.1).retcode == mt5.TRADE_RETCODE_TOO_MANY_REQUESTS
    control.clear_faults()
    control.inject_fault("requote", count=10)
    assert mt5.Buy("EURUSD", 0.1).retcode == mt5.TRADE_RETCODE_REQUOTE  # gives up after 10 tries


def test_close_returns_true_partially_false_or_none() -> None:
    assert mt5.Close("EURUSD") is False  # nothing to close
    mt5.Buy("EURUSD", 0.1)
    mt5.Sell("EURUSD", 0.2)
    assert mt5.Close("EURUSD") is True
    assert mt5.positions_total() == 0
    first = mt5.Buy("EURUSD", 0.1)
    mt5.Buy("EURUSD", 0.1)
    control.inject_fault("too_many_requests")  # the first close fails and is not retried
    assert mt5.Close("EURUSD") == "Partially"
    assert [p.ticket for p in mt5.positions_get()] == [first.order]
    control.inject_fault("ipc_send")
    assert mt5.Close("EURUSD") is None
    assert mt5.Close("EURUSD", ticket=first.order) is True


def test_close_by_ticket_uses_the_symbol_argument_for_prices() -> None:
    position = mt5.Buy("EURUSD", 0.1)
    assert mt5.Close("EURUSD", ticket=position.order) is True
