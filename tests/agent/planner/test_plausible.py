"""Stops that look like prices: a legacy sl=/tp=/price= read as pips an order of magnitude off is refused."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from agent.broker.models import SymbolSpec
from agent.planner import PlanRejected, plan
from contract.intent import Distance, ModifyAction, OpenAction, OrderKind, TakeProfitLevel
from tests.agent.planner import (
    EURUSD,
    USDJPY,
    XAUUSD,
    intent,
    market,
    open_,
    order,
    pips,
    pos,
    price,
    sent,
    settings,
)

LEGACY = ["sl", "tp"]


def test_the_issue_example_is_refused_naming_both_readings() -> None:
    # gold at 1999.80/2000.00: "sell XAUUSD lot=0.05 sl=2010.5 tp=1971" under the default Target Type (pips)
    alert = intent(open_("sell", 0.05, sl=pips(2010.5), tp=pips(1971)), symbol="XAUUSD", units_from_settings=LEGACY)
    with pytest.raises(PlanRejected) as caught:
        plan(alert, settings(), market(XAUUSD))
    message = str(caught.value)
    assert "sl=2010.5 looks like a price" in message
    assert "as pips it is 201.05 away from the bid 1999.80, at 2200.85" in message
    assert "as a price it is 2010.50, 10.70 away" in message
    assert "sl_price=2010.5" in message and "Target Type to price" in message and "sl_pips=2010.5" in message
    assert "Nothing was sent" in message


def test_an_explicit_pips_key_is_taken_at_its_word() -> None:
    alert = intent(open_("sell", 0.05, sl=pips(2010.5)), symbol="XAUUSD", units_from_settings=[])
    (request,) = plan(alert, settings(), market(XAUUSD)).requests
    assert sent(request)["sl"] == 2200.85


@pytest.mark.parametrize(
    ("spec", "action"),
    [
        (XAUUSD, open_("sell", 0.05, sl=pips(150), tp=pips(300))),  # genuine pips: not near the price
        (XAUUSD, open_("sell", 0.05, sl=pips(1990))),  # as a price it would be on the wrong side
        (USDJPY, open_("buy", 0.1, sl=pips(150))),  # 150 pips = 1.50 yen: near 150.00, but only 1 % away
        (EURUSD, open_("buy", 0.1, sl=pips(30), tp=pips(60))),
    ],
)
def test_plausible_pips_pass(spec: SymbolSpec, action: OpenAction) -> None:
    assert plan(intent(action, symbol=spec.name, units_from_settings=LEGACY), settings(), market(spec)).requests


def test_a_price_read_as_a_tiny_pips_distance_is_refused() -> None:
    # EURUSD bid 1.09990: sl=1.1050 as pips is 0.00011 away, as a price 0.0051 away
    alert = intent(open_("sell", 0.1, sl=pips(1.105)), units_from_settings=LEGACY)
    with pytest.raises(PlanRejected, match=r"as pips it is 0\.00011 away .* as a price it is 1\.10500"):
        plan(alert, settings(), market())


def test_pending_entries_and_their_stops_are_checked() -> None:
    entry = intent(open_("buy", 0.05, kind=OrderKind.LIMIT, entry=pips(1990.0)), symbol="XAUUSD",
                   units_from_settings=["entry"])
    with pytest.raises(PlanRejected, match=r"entry price=1990 looks like a price.*entry_price=1990"):
        plan(entry, settings(), market(XAUUSD))
    stops = intent(open_("buy", 0.05, kind=OrderKind.LIMIT, entry=pips(100), sl=pips(1980)), symbol="XAUUSD",
                   units_from_settings=["sl"])
    with pytest.raises(PlanRejected, match="from the entry 1990.00"):
        plan(stops, settings(), market(XAUUSD))


def test_modifications_are_checked_against_the_current_price_and_the_order_price() -> None:
    held = market(XAUUSD, positions=[pos(1, "long", 0.1, "XAUUSD")])
    with pytest.raises(PlanRejected, match="from the bid 1999.80"):
        plan(intent(ModifyAction(sl=pips(1990)), symbol="XAUUSD", units_from_settings=LEGACY), settings(), held)
    waiting = market(XAUUSD, orders=[order(2, "buy_limit", 1990.0, symbol="XAUUSD")])
    with pytest.raises(PlanRejected, match="from the order's price 1990.00"):
        plan(intent(ModifyAction(target="orders", tp=pips(2001)), symbol="XAUUSD", units_from_settings=LEGACY),
             settings(), waiting)


@given(cents=st.integers(min_value=50, max_value=3900))
def test_any_gold_stop_written_as_a_price_near_the_market_is_never_sent_as_pips(cents: int) -> None:
    # up to 39 dollars above the bid (2 %), where the pips reading (about 200 dollars) is over 5 times further
    sl = round(1999.80 + cents / 100, 2)
    alert = intent(open_("sell", 0.05, sl=pips(sl)), symbol="XAUUSD", units_from_settings=LEGACY)
    with pytest.raises(PlanRejected, match="looks like a price"):
        plan(alert, settings(), market(XAUUSD))


def levels(*tps: Distance) -> tuple[TakeProfitLevel, ...]:
    return tuple(TakeProfitLevel(tp=tp, share_pct=100 / len(tps)) for tp in tps)


def test_a_take_profit_level_written_as_a_price_is_refused_by_its_name() -> None:
    # gold ask 2000.00: "buy XAUUSD lot=0.04 tp1=2020 tp2=2030" (Target Type pips): TP1 would be 202 dollars away
    alert = intent(open_("buy", 0.04, take_profits=levels(pips(2020), pips(2030))), symbol="XAUUSD",
                   units_from_settings=["tp1", "tp2"])
    with pytest.raises(PlanRejected) as caught:
        plan(alert, settings(), market(XAUUSD))
    message = str(caught.value)
    assert "take profit level tp1=2020 looks like a price" in message
    assert "as pips it is 202.00 away from the ask 2000.00, at 2202.00; as a price it is 2020.00, 20.00 away" in message
    assert "tp1_price=2020" in message and "tp1_pips=2020" in message and "Nothing was sent" in message
    # only the second level came from the setting (tp1_pips= said pips): it is the one refused
    second = intent(open_("buy", 0.04, take_profits=levels(pips(100), pips(2030))), symbol="XAUUSD",
                    units_from_settings=["tp2"])
    with pytest.raises(PlanRejected, match=r"tp2=2030 looks like a price.*tp2_price=2030 .*tp2_pips=2030"):
        plan(second, settings(), market(XAUUSD))


def test_a_single_tp1_that_became_the_take_profit_is_refused_by_its_name() -> None:
    # the parser turns a lone tp1= into the plain take profit and records "tp1"
    alert = intent(open_("sell", 0.05, tp=pips(1971)), symbol="XAUUSD", units_from_settings=["tp1"])
    with pytest.raises(PlanRejected, match=r"tp1=1971 looks like a price.*from the bid 1999\.80.*tp1_price=1971"):
        plan(alert, settings(), market(XAUUSD))


def test_take_profit_levels_in_pips_explicit_units_or_prices_pass() -> None:
    genuine = intent(open_("buy", 0.04, take_profits=levels(pips(100), pips(200))), symbol="XAUUSD",
                     units_from_settings=["tp1", "tp2"])
    assert len(plan(genuine, settings(), market(XAUUSD)).requests) == 2  # hedging: one position per level
    said = intent(open_("buy", 0.04, take_profits=levels(pips(2020), pips(2030))), symbol="XAUUSD",
                  units_from_settings=[])
    assert [sent(r)["tp"] for r in plan(said, settings(), market(XAUUSD)).requests] == [2202.0, 2203.0]
    prices = intent(open_("buy", 0.04, take_profits=levels(price(2020), price(2030))), symbol="XAUUSD",
                    units_from_settings=["tp1", "tp2"])
    assert [sent(r)["tp"] for r in plan(prices, settings(), market(XAUUSD)).requests] == [2020.0, 2030.0]
