"""Server-side request checks and their retcodes: filling, volume, stops, freeze, trade modes, terminal."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

import agent.mt5sim as mt5
from agent.mt5sim import control

SYMBOL_FILLING_FOK, SYMBOL_FILLING_IOC = 1, 2  # MQL5 bits; the package does not export them


@pytest.fixture(autouse=True)
def connected() -> Iterator[None]:
    control.reset()
    control.configure()
    control.set_terminal(first_tick_ms=0)  # trade rules here; the first-tick wait is tested in test_surface.py
    assert mt5.initialize()
    yield
    control.reset()


def send(symbol: str = "EURUSD", volume: float = 0.1, order_type: int = 0, **extra: Any) -> Any:
    request = {"action": mt5.TRADE_ACTION_DEAL, "symbol": symbol, "volume": volume, "type": order_type, **extra}
    result = mt5.order_send(request)
    assert result is not None, mt5.last_error()
    return result


# --- filling --------------------------------------------------------------------------------------------


def test_catalogue_has_fok_only_ioc_only_and_mixed_symbols() -> None:
    modes = {s.name: s.filling_mode for s in mt5.symbols_get()}
    assert modes["XAUUSD"] == SYMBOL_FILLING_IOC
    assert modes["GBPUSD"] == SYMBOL_FILLING_FOK
    assert modes["EURUSD"] == SYMBOL_FILLING_FOK | SYMBOL_FILLING_IOC


def test_fok_on_an_ioc_only_symbol_is_10030() -> None:
    result = send("XAUUSD", type_filling=mt5.ORDER_FILLING_FOK)
    assert (result.retcode, result.comment) == (10030, "Unsupported filling mode")
    assert (result.deal, result.order, result.bid, result.ask) == (0, 0, 0.0, 0.0)
    assert mt5.last_error() == (1, "Success")
    assert send("XAUUSD", type_filling=mt5.ORDER_FILLING_IOC).retcode == mt5.TRADE_RETCODE_DONE


def test_ioc_on_a_fok_only_symbol_is_10030() -> None:
    assert send("GBPUSD", type_filling=mt5.ORDER_FILLING_IOC).retcode == mt5.TRADE_RETCODE_INVALID_FILL
    assert send("GBPUSD", type_filling=mt5.ORDER_FILLING_FOK).retcode == mt5.TRADE_RETCODE_DONE


def test_return_is_refused_for_market_orders_unless_exchange_execution() -> None:
    assert send(type_filling=mt5.ORDER_FILLING_RETURN).retcode == mt5.TRADE_RETCODE_INVALID_FILL
    control.set_symbol("EURUSD", trade_exemode=mt5.SYMBOL_TRADE_EXECUTION_EXCHANGE)
    assert send(type_filling=mt5.ORDER_FILLING_RETURN).retcode == mt5.TRADE_RETCODE_DONE


def test_return_is_accepted_for_pending_orders_and_boc_needs_its_bit() -> None:
    base = {"action": mt5.TRADE_ACTION_PENDING, "symbol": "XAUUSD", "volume": 0.1,
            "type": mt5.ORDER_TYPE_BUY_LIMIT, "price": 2300.0}
    assert mt5.order_send({**base, "type_filling": mt5.ORDER_FILLING_RETURN}).retcode == 10009
    assert mt5.order_send({**base, "type_filling": mt5.ORDER_FILLING_FOK}).retcode == 10030
    assert mt5.order_send({**base, "type_filling": mt5.ORDER_FILLING_BOC}).retcode == 10030


def test_instant_execution_takes_fok_and_requotes_beyond_deviation() -> None:
    mt5.symbol_select("EURCHF", True)
    tick = mt5.symbol_info_tick("EURCHF")
    assert mt5.symbol_info("EURCHF").trade_exemode == mt5.SYMBOL_TRADE_EXECUTION_INSTANT
    assert send("EURCHF", type_filling=mt5.ORDER_FILLING_IOC, price=tick.ask).retcode == 10030
    assert send("EURCHF", price=0.0).retcode == mt5.TRADE_RETCODE_INVALID_PRICE
    requote = send("EURCHF", price=tick.ask - 0.0005, deviation=10)
    assert (requote.retcode, requote.comment) == (10004, "Requote")
    assert (requote.bid, requote.ask) == (tick.bid, tick.ask)
    assert send("EURCHF", price=tick.ask - 0.00005, deviation=10).retcode == mt5.TRADE_RETCODE_DONE


# --- volume ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("volume", [0.0, 0.005, 0.015, 100.01, -1.0])
def test_invalid_volumes_are_10014(volume: float) -> None:
    result = send(volume=volume)
    assert (result.retcode, result.comment) == (10014, "Invalid volume")


def test_index_volume_step_of_a_tenth() -> None:
    mt5.symbol_select("US30", True)
    assert send("US30", 0.05).retcode == mt5.TRADE_RETCODE_INVALID_VOLUME
    assert send("US30", 0.3).retcode == mt5.TRADE_RETCODE_DONE


def test_volume_limit_counts_positions_and_pending_orders() -> None:
    control.set_symbol("EURUSD", volume_limit=1.0)
    assert send(volume=0.6).retcode == mt5.TRADE_RETCODE_DONE
    assert send(volume=0.5).retcode == mt5.TRADE_RETCODE_LIMIT_VOLUME
    assert send(volume=0.4).retcode == mt5.TRADE_RETCODE_DONE


# --- stops and freeze -----------------------------------------------------------------------------------


def test_sl_on_the_wrong_side_is_10016() -> None:
    control.set_quote("EURUSD", 1.10000, 1.10010)
    result = send(sl=1.10005)  # a buy's SL above the bid
    assert (result.retcode, result.comment) == (10016, "Invalid stops")
    assert send(order_type=1, tp=1.10020).retcode == mt5.TRADE_RETCODE_INVALID_STOPS
    assert send(sl=1.09900, tp=1.10100).retcode == mt5.TRADE_RETCODE_DONE


def test_stops_level_is_measured_from_the_close_price() -> None:
    control.configure(margin_mode="hedging")  # so the sells below open positions instead of closing
    mt5.initialize()
    control.set_symbol("EURUSD", trade_stops_level=50)
    control.set_quote("EURUSD", 1.10000, 1.10010)
    assert send(sl=1.09960).retcode == mt5.TRADE_RETCODE_INVALID_STOPS  # 40 points from the bid
    assert send(sl=1.09950).retcode == mt5.TRADE_RETCODE_DONE  # exactly 50 points
    assert send(order_type=1, sl=1.10050).retcode == mt5.TRADE_RETCODE_INVALID_STOPS  # 40 from the ask
    assert send(order_type=1, sl=1.10060).retcode == mt5.TRADE_RETCODE_DONE


def test_sl_off_the_tick_grid_is_invalid() -> None:
    mt5.symbol_select("US30", True)
    control.set_quote("US30", 39000.0)
    assert send("US30", 0.1, sl=38900.5).retcode == mt5.TRADE_RETCODE_INVALID_STOPS  # tick size 1.0
    assert send("US30", 0.1, sl=38900.0).retcode == mt5.TRADE_RETCODE_DONE


def test_freeze_level_blocks_changes_near_sl_or_tp() -> None:
    control.configure(margin_mode="hedging")
    mt5.initialize()
    control.set_quote("EURUSD", 1.10000, 1.10010)
    opened = send(sl=1.09900)
    control.set_symbol("EURUSD", trade_freeze_level=20)
    control.set_quote("EURUSD", 1.09915, 1.09925)  # bid 15 points above the SL
    modify = {"action": mt5.TRADE_ACTION_SLTP, "position": opened.order, "sl": 1.09800, "tp": 0.0}
    assert mt5.order_send(modify).retcode == mt5.TRADE_RETCODE_FROZEN
    close = send(order_type=1, position=opened.order)
    assert (close.retcode, close.comment) == (10029, "Order or position frozen")
    control.set_quote("EURUSD", 1.10000, 1.10010)
    assert mt5.order_send(modify).retcode == mt5.TRADE_RETCODE_DONE


# --- trade modes, market hours, terminal -----------------------------------------------------------------


def test_trade_disabled_and_close_only() -> None:
    opened = send()
    control.set_symbol("EURUSD", trade_mode=mt5.SYMBOL_TRADE_MODE_CLOSEONLY)
    assert (send().retcode, send().comment) == (10044, "Position closing only allowed")
    control.set_symbol("EURUSD", trade_mode=mt5.SYMBOL_TRADE_MODE_DISABLED)
    assert send(order_type=1, position=opened.order).retcode == mt5.TRADE_RETCODE_TRADE_DISABLED
    control.set_symbol("EURUSD", trade_mode=mt5.SYMBOL_TRADE_MODE_CLOSEONLY)
    assert send(order_type=1, position=opened.order).retcode == mt5.TRADE_RETCODE_DONE


def test_long_only_and_short_only() -> None:
    control.set_symbol("EURUSD", trade_mode=mt5.SYMBOL_TRADE_MODE_LONGONLY)
    assert send(order_type=1).retcode == mt5.TRADE_RETCODE_LONG_ONLY
    control.set_symbol("EURUSD", trade_mode=mt5.SYMBOL_TRADE_MODE_SHORTONLY)
    assert send(order_type=0).retcode == mt5.TRADE_RETCODE_SHORT_ONLY


def test_market_closed_and_symbol_not_in_market_watch() -> None:
    control.set_symbol("EURUSD", market_open=False)
    assert send().retcode == mt5.TRADE_RETCODE_MARKET_CLOSED
    result = send("GBPJPY", type_filling=mt5.ORDER_FILLING_IOC)
    assert (result.retcode, result.comment) == (10021, "No prices")


def test_unknown_symbol_is_an_invalid_request() -> None:
    assert send("NOPE").retcode == mt5.TRADE_RETCODE_INVALID


def test_algo_trading_off_is_10027() -> None:
    control.set_terminal(trade_allowed=False)
    assert mt5.terminal_info().trade_allowed is False
    result = send()
    assert (result.retcode, result.comment) == (10027, "AutoTrading disabled by client")
    assert mt5.positions_total() == 0


def test_python_api_disabled_returns_none_with_minus_8() -> None:
    control.set_terminal(tradeapi_disabled=True)
    assert mt5.terminal_info().tradeapi_disabled is True
    assert mt5.order_send({"action": 1, "symbol": "EURUSD", "volume": 0.1, "type": 0}) is None
    assert mt5.last_error() == (-8, "Auto-Trading using Python API disabled in Terminal")


def test_disconnected_terminal_is_10031() -> None:
    control.set_terminal(connected=False)
    assert mt5.terminal_info().connected is False
    assert send().retcode == mt5.TRADE_RETCODE_CONNECTION


def test_account_level_switches() -> None:
    control.set_account(trade_expert=False)
    assert send().retcode == mt5.TRADE_RETCODE_SERVER_DISABLES_AT
    control.set_account(trade_expert=True, trade_allowed=False)
    assert mt5.account_info().trade_allowed is False
    assert send().retcode == mt5.TRADE_RETCODE_TRADE_DISABLED


def test_set_symbol_validates_its_arguments() -> None:
    with pytest.raises(KeyError):
        control.set_symbol("NOPE", trade_mode=0)
    with pytest.raises(TypeError):
        control.set_symbol("EURUSD", no_such_field=1)
    with pytest.raises(TypeError):
        control.set_symbol("EURUSD", trade_mode="full")
    control.set_symbol("EURUSD", trade_stops_level=30, volume_max=50)
    info = mt5.symbol_info("EURUSD")
    assert (info.trade_stops_level, info.volume_max) == (30, 50.0)
