"""newsltp* on open positions: levels from the current price, both levels always sent, ticket required."""

from __future__ import annotations

from dataclasses import replace

import pytest

from agent.broker.models import MarginMode
from agent.planner import PlanRejected, plan
from contract.intent import ModifyAction, PositionSide
from tests.agent.planner import EURUSD, HEDGING, MAGIC, NETTING, intent, market, pips, pos, price, sent, settings

LONG, SHORT = (PositionSide.LONG,), (PositionSide.SHORT,)


def test_newsltplong_measures_from_the_current_bid() -> None:
    # corpus: "newsltplong,EURUSD,sl=15,tp=30" -> 15/30 pips from the CURRENT price (bid 1.09990 for longs)
    m = market(positions=[pos(1, "long", 0.5, sl=1.09, tp=1.12), pos(2, "short", 0.5)])
    p = plan(intent(ModifyAction(sides=LONG, sl=pips(15), tp=pips(30))), settings(), m)
    assert [sent(r) for r in p.requests] == [
        {
            "action": 6,
            "symbol": "EURUSD",
            "position": 1,
            "sl": 1.09840,
            "tp": 1.10290,
            "magic": MAGIC,
            "comment": "tv:sig-1",
        }
    ]
    assert p.requests[0].description == "modify long #1 EURUSD: SL 1.09000 -> 1.09840, TP 1.12000 -> 1.10290"


def test_newsltpshort_measures_from_the_current_ask() -> None:
    p = plan(intent(ModifyAction(sides=SHORT, sl=pips(15))), settings(), market(positions=[pos(2, "short", 0.5)]))
    assert sent(p.requests[0])["sl"] == 1.10150


@pytest.mark.parametrize("mode", [NETTING, HEDGING])
def test_the_level_left_out_is_resent_unchanged(mode: MarginMode) -> None:
    m = market(mode=mode, positions=[pos(1, "long", 0.5, sl=1.09, tp=1.12)])
    p = plan(intent(ModifyAction(sides=LONG, sl=price(1.095))), settings(), m)
    req = sent(p.requests[0])
    assert (req["sl"], req["tp"], req["position"]) == (1.095, 1.12, 1)
    assert "TP unchanged 1.12000" in p.requests[0].description


def test_every_position_on_the_side_is_modified() -> None:
    m = market(positions=[pos(1, "long", 0.5), pos(2, "long", 0.2)])
    p = plan(intent(ModifyAction(sides=LONG, tp=pips(50))), settings(), m)
    assert [sent(r)["position"] for r in p.requests] == [1, 2]
    assert all(sent(r)["sl"] == 0.0 and sent(r)["tp"] == 1.10490 for r in p.requests)


def test_new_level_on_the_wrong_side_is_refused() -> None:
    m = market(positions=[pos(1, "long", 0.5)])
    with pytest.raises(PlanRejected, match="stop loss 1.10500 of a long position on EURUSD is not below the bid"):
        plan(intent(ModifyAction(sides=LONG, sl=price(1.105))), settings(), m)


def test_new_level_inside_the_stops_level_is_refused() -> None:
    m = market(replace(EURUSD, trade_stops_level=50), positions=[pos(1, "long", 0.5)])
    with pytest.raises(PlanRejected, match="stops level"):
        plan(intent(ModifyAction(sides=LONG, sl=pips(3))), settings(), m)


def test_no_positions_to_modify_is_discarded() -> None:
    with pytest.raises(PlanRejected) as exc:
        plan(intent(ModifyAction(sides=SHORT, sl=pips(10))), settings(), market(positions=[pos(1, "long")]))
    assert str(exc.value) == "No open short positions on EURUSD for this strategy: nothing to modify."
    assert exc.value.outcome == "discarded"


def test_unchanged_levels_are_not_resent() -> None:
    m = market(positions=[pos(1, "long", 0.5, sl=1.095)])
    with pytest.raises(PlanRejected, match="#1 already at the requested levels") as exc:
        plan(intent(ModifyAction(sides=LONG, sl=price(1.095))), settings(), m)
    assert exc.value.outcome == "discarded"


def test_modify_without_levels_is_discarded() -> None:
    with pytest.raises(PlanRejected, match="names no new stop loss or take profit"):
        plan(intent(ModifyAction(sides=LONG)), settings(), market(positions=[pos(1)]))
