"""order_calc_profit / order_calc_margin and the symbol specs they must agree with (mt5-api §1.8, §4.3)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

import agent.mt5sim as mt5
from agent.mt5sim import control
from agent.mt5sim.catalogue import BASE_NAMES


@pytest.fixture(autouse=True)
def connected() -> Iterator[None]:
    control.reset()
    control.configure()
    assert mt5.initialize()
    yield
    control.reset()


def test_eurusd_one_lot_twenty_pips_is_200_usd() -> None:
    assert mt5.order_calc_profit(mt5.ORDER_TYPE_BUY, "EURUSD", 1.0, 1.10000, 1.10200) == 200.0
    assert mt5.order_calc_profit(mt5.ORDER_TYPE_SELL, "EURUSD", 1.0, 1.10000, 1.10200) == -200.0
    assert mt5.symbol_info("EURUSD").trade_tick_value == pytest.approx(1.0)


def test_usdjpy_profit_is_converted_at_the_current_quote() -> None:
    control.set_quote("USDJPY", 150.000)
    assert mt5.order_calc_profit(mt5.ORDER_TYPE_BUY, "USDJPY", 1.0, 150.000, 150.200) == pytest.approx(133.33)
    assert mt5.symbol_info("USDJPY").trade_tick_value == pytest.approx(100 / 150)
    control.set_quote("USDJPY", 125.000)
    assert mt5.symbol_info("USDJPY").trade_tick_value == pytest.approx(0.8)
    assert mt5.symbol_info("EURJPY").trade_tick_value == pytest.approx(0.8)


def test_xauusd_ten_dollar_move_on_one_lot_is_1000_usd() -> None:
    assert mt5.order_calc_profit(mt5.ORDER_TYPE_BUY, "XAUUSD", 1.0, 2000.00, 2010.00) == 1000.0
    info = mt5.symbol_info("XAUUSD")
    assert (info.trade_contract_size, info.trade_tick_size, info.trade_tick_value) == (100.0, 0.01, 1.0)


def test_index_tick_size_larger_than_point() -> None:
    info = mt5.symbol_info("US500")
    assert info.point == 0.01 and info.trade_tick_size == 0.25 and info.trade_tick_value == 2.5
    assert info.trade_calc_mode == mt5.SYMBOL_CALC_MODE_CFDINDEX
    assert mt5.order_calc_profit(mt5.ORDER_TYPE_BUY, "US500", 1.0, 5200.00, 5210.00) == 100.0
    us30 = mt5.symbol_info("US30")
    assert us30.point == 0.1 and us30.trade_tick_size == 1.0 and us30.trade_freeze_level > 0
    assert mt5.order_calc_profit(mt5.ORDER_TYPE_SELL, "US30", 2.0, 39000.0, 38900.0) == 200.0


def test_ger40_profit_converts_from_eur() -> None:
    control.set_quote("EURUSD", 1.10000)
    assert mt5.order_calc_profit(mt5.ORDER_TYPE_BUY, "GER40", 1.0, 18000.0, 18100.0) == 110.0


@pytest.mark.parametrize("name", BASE_NAMES)
def test_profit_of_ten_ticks_equals_ten_tick_values(name: str) -> None:
    info = mt5.symbol_info(name)
    start = info.bid
    profit = mt5.order_calc_profit(mt5.ORDER_TYPE_BUY, name, 1.0, start, start + 10 * info.trade_tick_size)
    assert profit == pytest.approx(10 * info.trade_tick_value, abs=0.011)


def test_specs_by_asset_class() -> None:
    specs = {s.name: s for s in mt5.symbols_get()}
    eurusd, usdjpy, xag, btc = specs["EURUSD"], specs["USDJPY"], specs["XAGUSD"], specs["BTCUSD"]
    assert (eurusd.digits, eurusd.trade_contract_size, eurusd.trade_calc_mode) == (5, 100_000.0, 0)
    assert (usdjpy.digits, usdjpy.point) == (3, 0.001)
    assert (xag.trade_contract_size, btc.trade_contract_size) == (5000.0, 1.0)
    assert (eurusd.volume_min, eurusd.volume_step) == (0.01, 0.01)
    assert (specs["GER40"].currency_profit, specs["UK100"].currency_profit) == ("EUR", "GBP")
    assert specs["EURUSD"].path == "Forex\\Majors\\EURUSD" and specs["US30.Cash"].description
    for spec in specs.values():
        assert spec.ask > spec.bid > 0 and spec.spread > 0


def test_margin_follows_leverage_for_forex_and_margin_rate_for_cfds() -> None:
    assert mt5.order_calc_margin(mt5.ORDER_TYPE_BUY, "EURUSD", 1.0, 1.08500) == 1085.0
    assert mt5.order_calc_margin(mt5.ORDER_TYPE_SELL, "USDJPY", 1, 150) == 1000.0  # ints are fine here
    assert mt5.order_calc_margin(mt5.ORDER_TYPE_BUY, "XAUUSD", 1.0, 2350.00) == 2350.0
    control.configure(leverage=30)
    mt5.initialize()
    assert mt5.order_calc_margin(mt5.ORDER_TYPE_BUY, "EURUSD", 1.0, 1.08500) == pytest.approx(3616.67)


def test_calc_functions_reject_bad_arguments() -> None:
    assert mt5.order_calc_profit(mt5.ORDER_TYPE_BUY, "EURUSD", "1", 1.1, 1.2) is None
    assert mt5.last_error() == (-2, "Invalid arguments")
    assert mt5.order_calc_margin(mt5.ORDER_TYPE_BUY_LIMIT, "EURUSD", 1.0, 1.1) is None
    assert mt5.last_error() == (-2, "Terminal: Invalid params")
    assert mt5.order_calc_margin(mt5.ORDER_TYPE_BUY, "NOPE", 1.0, 1.1) is None


def test_account_in_eur_converts_profits() -> None:
    control.configure(currency="EUR")
    mt5.initialize()
    control.set_quote("EURUSD", 1.25000)
    assert mt5.account_info().currency == "EUR"
    assert mt5.order_calc_profit(mt5.ORDER_TYPE_BUY, "EURUSD", 1.0, 1.10000, 1.10200) == 160.0
    assert mt5.symbol_info("GER40").trade_tick_value == pytest.approx(0.1)
