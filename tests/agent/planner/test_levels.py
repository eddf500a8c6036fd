"""SL/TP prices from every distance unit, their normalisation, and the side and stops-level checks (mt5-api §4.2)."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest

from agent.broker.models import Quote, SymbolSpec
from agent.planner import Plan, PlanRejected, plan
from agent.planner.levels import normalize_price
from contract.intent import Distance
from tests.agent.planner import (
    BTCUSD,
    EURUSD,
    GBPJPY,
    US30,
    XAUUSD,
    intent,
    market,
    open_,
    pct,
    pips,
    points,
    price,
    sent,
    settings,
)


def _open(spec: SymbolSpec, side: str, quote: Quote | None = None, **kw: Any) -> Plan:
    return plan(intent(open_(side, spec.volume_min, **kw), symbol=spec.name), settings(), market(spec, quote=quote))


def _levels(p: Plan) -> tuple[float, float]:
    req = sent(p.requests[0])
    return req["sl"], req["tp"]


@pytest.mark.parametrize(
    ("spec", "side", "sl", "tp", "expected"),
    [
        # buys from the ask, sells from the bid ("pips from entry")
        (EURUSD, "buy", pips(20), pips(40), (1.09800, 1.10400)),
        (EURUSD, "sell", pips(20), pips(40), (1.10190, 1.09590)),
        (GBPJPY, "sell", pips(50), None, (190.500, 0.0)),  # corpus: JPY pip 0.01 -> +0.50
        (EURUSD, "buy", points(150), points(300), (1.09850, 1.10300)),
        (EURUSD, "buy", price(1.095), price(1.11), (1.09500, 1.11000)),
        (XAUUSD, "buy", pips(50), pips(100), (1995.00, 2010.00)),  # gold pip 0.10
        (BTCUSD, "buy", pct(1), pct(2), (66745.80, 68768.40)),  # corpus: BTCUSD sl=1 % -> 1 % below
        (US30, "buy", pips(100), pips(200), (38902.0, 39202.0)),
    ],
)
def test_levels_from_each_unit(
    spec: SymbolSpec, side: str, sl: Distance, tp: Distance | None, expected: tuple[float, float]
) -> None:
    assert _levels(_open(spec, side, sl=sl, tp=tp)) == expected


def test_prices_are_normalised_to_tick_size_then_digits() -> None:
    assert normalize_price(39012.37, US30) == 39012.0  # tick 1.0 although digits 1
    assert normalize_price(1.0984999999, EURUSD) == 1.0985
    assert normalize_price(0.1 + 0.2, replace(EURUSD, digits=1, point=0.1, trade_tick_size=0.1)) == 0.3
    assert normalize_price(2318.404, XAUUSD) == 2318.40
    # an index whose tick is 0.25
    assert normalize_price(5012.1, replace(US30, digits=2, point=0.01, trade_tick_size=0.25)) == 5012.0


def test_percent_level_on_an_index_lands_on_a_tick() -> None:
    sl, _ = _levels(_open(US30, "sell", sl=pct(0.5)))
    assert sl == 39195.0  # 39000 * 1.005 = 39195.0
    assert sl % 1.0 == 0


@pytest.mark.parametrize(
    ("side", "sl", "tp", "message"),
    [
        ("buy", price(1.1010), None, r"stop loss 1\.10100 of a long position on EURUSD is not below the bid 1\.09990"),
        ("buy", None, price(1.0900), r"take profit 1\.09000 of a long position on EURUSD is not above the bid"),
        (
            "sell",
            price(1.0900),
            None,
            r"stop loss 1\.09000 of a short position on EURUSD is not above the ask 1\.10000",
        ),
        ("sell", None, price(1.1050), r"take profit 1\.10500 of a short position on EURUSD is not below the ask"),
        # a buy's SL inside the spread: below the ask but not below the bid it closes at
        ("buy", price(1.09995), None, r"not below the bid 1\.09990"),
    ],
)
def test_levels_on_the_wrong_side_are_refused(side: str, sl: Distance, tp: Distance, message: str) -> None:
    with pytest.raises(PlanRejected, match=message) as exc:
        _open(EURUSD, side, sl=sl, tp=tp)
    assert exc.value.outcome == "rejected"


def test_stops_level_names_the_level_and_the_minimum_distance() -> None:
    spec = replace(EURUSD, trade_stops_level=30)  # 30 points = 0.00030
    with pytest.raises(PlanRejected) as exc:
        plan(intent(open_("buy", 0.1, sl=pips(2))), settings(), market(spec))
    assert str(exc.value) == (
        "The stop loss 1.09980 of a long position on EURUSD is only 0.00010 (10 points) from the bid 1.09990; "
        "the broker's minimum stop distance (stops level) is 30 points (0.00030)."
    )


def test_stops_level_met_exactly_is_accepted() -> None:
    spec = replace(EURUSD, trade_stops_level=30)
    p = plan(intent(open_("buy", 0.1, sl=price(1.0996))), settings(), market(spec))
    assert sent(p.requests[0])["sl"] == 1.0996


def test_index_stops_level() -> None:
    # US30.Cash stops level 50 points of 0.1 = 5.0; a 3-point SL from the bid is too close
    with pytest.raises(PlanRejected, match=r"minimum stop distance \(stops level\) is 50 points \(5\.0\)"):
        _open(US30, "buy", sl=price(38997.0))


def test_pips_on_crypto_are_refused() -> None:
    with pytest.raises(PlanRejected, match="Pips are not defined for BTCUSD"):
        _open(BTCUSD, "buy", sl=pips(100))


def test_non_positive_price_level_is_refused() -> None:
    with pytest.raises(PlanRejected, match="not a valid price"):
        _open(EURUSD, "buy", sl=price(0.0))
    with pytest.raises(PlanRejected, match="not a valid price"):
        _open(EURUSD, "buy", sl=pct(150))
