"""Sizing in every volume unit, with the worked numbers of mt5-api §4.3, and the min/max/cap refusals."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal
from typing import Any

import pytest

from agent.broker.models import CalcMode, SymbolSpec
from agent.planner import Plan, PlanRejected, plan
from agent.planner.volume import Sizing, finalize, round_down
from contract.intent import VolumeUnit
from tests.agent.planner import (
    BTCUSD,
    EURUSD,
    GBPJPY,
    NETTING,
    US30,
    USDJPY,
    XAUUSD,
    account,
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


def _plan(spec: SymbolSpec, *actions: Any, acct: Any = None, **kw: Any) -> Plan:
    return plan(intent(*actions, symbol=spec.name), settings(**kw), market(spec, acct=acct))


def _lots(p: Plan) -> float:
    assert len(p.requests) == 1
    volume = sent(p.requests[0])["volume"]
    assert type(volume) is float
    return volume


# -- loss sizing: worked examples --------------------------------------------------------------------------


def test_eurusd_money_risk_100_usd_with_200_point_stop_is_half_a_lot() -> None:
    # mt5-api §4.3: entry 1.10000, SL 1.09800 -> 200 ticks x 1.00 = 200 USD per lot; 100 USD -> 0.50
    p = _plan(EURUSD, open_("buy", vol(100, VolumeUnit.MONEY_LOSS), sl=price(1.09800)))
    assert _lots(p) == 0.5
    assert sent(p.requests[0])["price"] == 1.10000


def test_eurusd_one_percent_of_balance() -> None:
    p = _plan(EURUSD, open_("buy", vol(1, VolumeUnit.PCT_BALANCE_LOSS), sl=pips(20)))
    assert _lots(p) == 0.5  # 20 pips = 200 points, 100 USD at risk


def test_eurusd_percent_of_equity_uses_equity() -> None:
    p = _plan(
        EURUSD,
        open_("buy", vol(2, VolumeUnit.PCT_EQUITY_LOSS), sl=pips(20)),
        acct=account(balance=10_000, equity=5_000),
    )
    assert _lots(p) == 0.5  # 2 % of 5,000 = 100 USD


def test_xauusd_one_percent_of_ten_thousand_with_ten_dollar_stop() -> None:
    # mt5-api §4.3: entry 2000.00, SL 1990.00 -> 1,000 ticks x 1.00 = 1,000 USD per lot; 100 USD -> 0.10
    p = _plan(XAUUSD, open_("buy", vol(1, VolumeUnit.PCT_BALANCE_LOSS), sl=price(1990.0)))
    assert _lots(p) == 0.1


def test_gbpjpy_vol_dollar_50_with_20_pip_stop_uses_the_jpy_tick_value() -> None:
    # corpus "Sell Risking $50": 20 pips = 0.20 = 200 ticks x 0.67 USD = 134 USD per lot; 50 / 134 = 0.373 -> 0.37
    p = _plan(GBPJPY, open_("sell", vol(50, VolumeUnit.MONEY_LOSS), sl=pips(20)))
    assert _lots(p) == 0.37
    req = sent(p.requests[0])
    assert req["price"] == 190.000 and req["sl"] == 190.200  # 20 pips above the bid


def test_usdjpy_percent_risk() -> None:
    # buy at 150.010, SL 50 pips = 0.50 below: 500 ticks x 0.67 = 335 USD per lot; 100 / 335 = 0.298 -> 0.29
    p = _plan(USDJPY, open_("buy", vol(1, VolumeUnit.PCT_BALANCE_LOSS), sl=pips(50)))
    assert _lots(p) == 0.29
    assert sent(p.requests[0])["sl"] == 149.510


def test_index_risk_uses_tick_size_larger_than_point() -> None:
    # US30: tick 1.0 (point 0.1) worth 1 USD; SL 100 index points = 100 ticks = 100 USD per lot; 100 USD -> 1.0
    p = _plan(US30, open_("buy", vol(1, VolumeUnit.PCT_BALANCE_LOSS), sl=pips(100)))
    assert _lots(p) == 1.0
    assert sent(p.requests[0])["sl"] == 38902.0


def test_tick_value_loss_is_preferred_when_the_broker_sets_it() -> None:
    spec = replace(EURUSD, trade_tick_value_loss=2.0)  # 400 USD per lot at 200 points
    p = _plan(spec, open_("buy", vol(100, VolumeUnit.MONEY_LOSS), sl=pips(20)))
    assert _lots(p) == 0.25


def test_loss_sizing_without_a_stop_loss_is_refused() -> None:
    with pytest.raises(PlanRejected, match="needs a stop loss, and the alert has none") as exc:
        _plan(EURUSD, open_("buy", vol(1, VolumeUnit.PCT_BALANCE_LOSS)))
    assert exc.value.outcome == "rejected"


def test_zero_tick_value_is_refused() -> None:
    with pytest.raises(PlanRejected, match="no tick value yet"):
        _plan(replace(EURUSD, trade_tick_value=0.0), open_("buy", vol(100, VolumeUnit.MONEY_LOSS), sl=pips(20)))


# -- other units -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("units", "lots"), [(100_000, 1.0), (30_000, 0.3), (1_000, 0.01), (12_345, 0.12)])
def test_units_convert_through_the_contract_size(units: float, lots: float) -> None:
    p = _plan(EURUSD, open_("buy", vol(units, VolumeUnit.UNITS)))
    assert _lots(p) == lots
    assert repr(_lots(p)) == repr(lots)


def test_crypto_units_below_the_minimum_are_refused_with_the_computed_size() -> None:
    with pytest.raises(PlanRejected) as exc:
        _plan(BTCUSD, open_("buy", vol(0.005, VolumeUnit.UNITS)))
    assert str(exc.value) == (
        "Converting 0.005 units (contract size 1), the size comes to 0.005 lots (rounded down to the volume step: "
        "0.00), which is below BTCUSD's minimum volume of 0.01 lots: nothing was sent."
    )


@pytest.mark.parametrize(("pct", "balance", "lots"), [(1, 1_000, 0.1), (1, 10_000, 1.0), (0.5, 2_500, 0.12)])
def test_percent_of_balance_in_lots(pct: float, balance: float, lots: float) -> None:
    # PineConnector: 1 % = 0.1 lot per 1,000 of balance
    p = _plan(EURUSD, open_("buy", vol(pct, VolumeUnit.PCT_BALANCE_LOTS)), acct=account(balance=balance))
    assert _lots(p) == lots


@pytest.mark.parametrize(("spec", "lots"), [(EURUSD, 0.09), (XAUUSD, 0.05), (USDJPY, 0.09)])
def test_percent_of_balance_as_margin(spec: SymbolSpec, lots: float) -> None:
    # margin per lot ~ price x tick value / tick size / 100: EURUSD 1,100; XAUUSD 2,000; USDJPY ~1,005 USD
    p = _plan(spec, open_("buy", vol(1, VolumeUnit.PCT_BALANCE_MARGIN)))
    assert _lots(p) == lots
    assert any("margin rate" in n for n in p.notes)


def test_margin_sizing_refuses_exchange_symbols() -> None:
    with pytest.raises(PlanRejected, match="only supported for FX and CFD"):
        _plan(replace(EURUSD, calc_mode=CalcMode.EXCHANGE), open_("buy", vol(1, VolumeUnit.PCT_BALANCE_MARGIN)))


def test_default_volume_uses_the_strategy_default() -> None:
    p = _plan(EURUSD, open_("buy", vol(unit=VolumeUnit.DEFAULT)), default_volume_lots=0.2)
    assert _lots(p) == 0.2


def test_default_volume_without_a_strategy_default_is_refused() -> None:
    with pytest.raises(PlanRejected, match="no default lot size"):
        _plan(EURUSD, open_("buy", vol(unit=VolumeUnit.DEFAULT)))


def test_risk_override_resizes_entries_with_a_stop_loss() -> None:
    p = _plan(EURUSD, open_("buy", vol(30_000, VolumeUnit.UNITS), sl=pips(20)), risk_override_pct=0.5)
    assert _lots(p) == 0.25  # 0.5 % of 10,000 = 50 USD over 200 USD per lot
    assert any("risk override" in n and "30000 units" in n for n in p.notes)


def test_risk_override_leaves_entries_without_a_stop_loss_alone() -> None:
    p = _plan(EURUSD, open_("buy", 0.3), risk_override_pct=0.5)
    assert _lots(p) == 0.3
    assert any("needs a stop loss" in n and "stands" in n for n in p.notes)


# -- rounding and limits -----------------------------------------------------------------------------------


def test_rounding_is_down_and_exact() -> None:
    assert round_down(Decimal("0.379"), EURUSD) == Decimal("0.37")
    assert round_down(Decimal(str(0.1 + 0.2)), EURUSD) == Decimal("0.30")
    p = _plan(EURUSD, open_("buy", 0.1 + 0.2))
    assert repr(_lots(p)) == "0.3"


def test_index_volume_step_of_a_tenth() -> None:
    p = _plan(US30, open_("buy", 1.29))
    assert _lots(p) == 1.2


def test_below_minimum_is_refused_never_raised_to_the_minimum() -> None:
    with pytest.raises(PlanRejected) as exc:
        _plan(EURUSD, open_("buy", vol(1, VolumeUnit.PCT_BALANCE_LOSS), sl=pips(500)), acct=account(balance=100))
    # 1 USD at risk over 5,000 USD per lot = 0.0002 lots
    assert "the size comes to 0.0002 lots" in str(exc.value)
    assert "below EURUSD's minimum volume of 0.01 lots" in str(exc.value)


def test_above_symbol_maximum_is_refused_never_clamped() -> None:
    with pytest.raises(PlanRejected) as exc:
        _plan(EURUSD, open_("buy", 500))  # corpus: "Oversized lot typo"
    assert str(exc.value) == (
        "The size of 500.00 lots is above EURUSD's maximum volume of 100 lots. The bridge never reduces a size on "
        "its own: nothing was sent."
    )


def test_above_strategy_lot_cap_is_refused() -> None:
    with pytest.raises(PlanRejected, match="above the strategy's lot cap of 2 lots"):
        _plan(EURUSD, open_("buy", 2.5), max_lots=2)
    assert _lots(_plan(EURUSD, open_("buy", 2), max_lots=2)) == 2.0


def test_zero_volume_is_refused() -> None:
    with pytest.raises(PlanRejected, match="must be above 0"):
        _plan(EURUSD, open_("buy", 0.0))


def test_finalize_reports_rounding() -> None:
    with pytest.raises(PlanRejected, match=r"rounded down to the volume step: 0\.00"):
        finalize(Sizing(Decimal("0.009")), EURUSD, settings())
    assert finalize(Sizing(Decimal("0.019")), EURUSD, settings()) == Decimal("0.01")


def test_volume_limit_counts_positions_and_orders_on_one_side() -> None:
    spec = replace(EURUSD, volume_limit=1.0)
    m = market(spec, mode=NETTING, positions=[pos(1, "long", 0.8)])
    with pytest.raises(PlanRejected, match="at most 1 lots open and pending on one side"):
        plan(intent(open_("buy", 0.3)), settings(), m)
    assert plan(intent(open_("buy", 0.2)), settings(), m).requests


@pytest.mark.parametrize(
    ("spec", "volume", "sl", "lots"),
    [
        # lots and units on metal and index
        (XAUUSD, vol(0.25), None, 0.25),
        (XAUUSD, vol(50, VolumeUnit.UNITS), None, 0.5),  # 50 oz / contract 100
        (US30, vol(3, VolumeUnit.UNITS), None, 3.0),  # contract 1
        # loss sizing on JPY, metal and index with pip distances
        (USDJPY, vol(67, VolumeUnit.MONEY_LOSS), pips(10), 1.0),  # 100 ticks x 0.67
        (XAUUSD, vol(100, VolumeUnit.MONEY_LOSS), pips(50), 0.2),  # 50 gold pips = 5.00 = 500 ticks
        (US30, vol(2, VolumeUnit.PCT_EQUITY_LOSS), pips(40), 5.0),  # 200 USD over 40 USD per lot
        # % of balance in lots, independent of the symbol
        (XAUUSD, vol(0.5, VolumeUnit.PCT_BALANCE_LOTS), None, 0.5),
        (US30, vol(0.25, VolumeUnit.PCT_BALANCE_LOTS), None, 0.2),  # 0.25 rounded down to the 0.1 step
        # % of balance as margin on the index: 39,002 x 1 / 1 / 100 = 390.02 USD per lot; 100 USD -> 0.25 -> 0.2
        (US30, vol(1, VolumeUnit.PCT_BALANCE_MARGIN), None, 0.2),
    ],
)
def test_sizing_modes_on_metal_jpy_and_index(spec: SymbolSpec, volume: Any, sl: Any, lots: float) -> None:
    assert _lots(_plan(spec, open_("buy", volume, sl=sl))) == lots
