"""Pip size per instrument (mt5-api §4.3 table) and the per-symbol overrides."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

import pytest

from agent.broker.models import CalcMode, SymbolSpec
from agent.planner import PlanRejected
from agent.planner.pips import pip_size
from tests.agent.planner import BTCUSD, EURUSD, GBPJPY, US30, USDJPY, XAGUSD, XAUUSD, settings


@pytest.mark.parametrize(
    ("spec", "pip"),
    [
        (EURUSD, "0.0001"),  # 5 digits: 10 points
        (replace(EURUSD, digits=4, point=0.0001, trade_tick_size=0.0001), "0.0001"),  # 4 digits: 1 point
        (USDJPY, "0.01"),  # 3 digits: 10 points
        (GBPJPY, "0.01"),
        (replace(USDJPY, digits=2, point=0.01, trade_tick_size=0.01), "0.01"),  # 2 digits: 1 point
        (XAUUSD, "0.1"),  # gold: most common convention
        (replace(XAUUSD, digits=3, point=0.001, calc_mode=CalcMode.FOREX), "0.1"),  # gold with FOREX calc mode
        (replace(XAUUSD, name="GOLD", currency_base=""), "0.1"),
        (XAGUSD, "0.01"),
        (US30, "1"),  # index: 1 index point, although the point is 0.1
        (replace(US30, name="GER40", path="", calc_mode=CalcMode.CFD), "1"),  # by name
        (replace(US30, name="DAX", path="", calc_mode=CalcMode.CFD_INDEX), "1"),  # CFDINDEX calc mode
    ],
)
def test_default_pip_sizes(spec: SymbolSpec, pip: str) -> None:
    assert pip_size(spec, settings()) == Decimal(pip)


def test_override_by_broker_name_and_by_base_name() -> None:
    gold_a = replace(XAUUSD, name="XAUUSD.a")
    assert pip_size(gold_a, settings(pip_sizes={"XAUUSD.a": 0.01})) == Decimal("0.01")
    assert pip_size(gold_a, settings(pip_sizes={"XAUUSD": 1.0})) == Decimal("1")
    assert pip_size(US30, settings(pip_sizes={"US30": 10.0})) == Decimal("10")
    assert pip_size(EURUSD, settings(pip_sizes={"eurusd": 0.001})) == Decimal("0.001")


def test_crypto_has_no_pips_unless_configured() -> None:
    with pytest.raises(PlanRejected, match=r"Pips are not defined for BTCUSD \(crypto"):
        pip_size(BTCUSD, settings())
    assert pip_size(BTCUSD, settings(pip_sizes={"BTCUSD": 1.0})) == Decimal("1")


def test_unknown_cfd_has_no_pips() -> None:
    oil = replace(US30, name="USOIL", path="Energies\\USOIL", calc_mode=CalcMode.CFD)
    with pytest.raises(PlanRejected, match="neither an FX pair, gold, silver nor an index"):
        pip_size(oil, settings())


def test_fx_pair_starting_like_a_crypto_code_is_still_fx() -> None:
    usdchf = replace(EURUSD, name="USDCHF", currency_base="USD")
    assert pip_size(usdchf, settings()) == Decimal("0.0001")


def test_zero_override_is_refused() -> None:
    with pytest.raises(PlanRejected, match="must be above 0"):
        pip_size(EURUSD, settings(pip_sizes={"EURUSD": 0.0}))
