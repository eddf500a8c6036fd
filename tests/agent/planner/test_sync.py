"""TradingView strategy fills: reaching the reported position on netting and hedging accounts."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest

from agent.broker.models import MarginMode, PositionView
from agent.planner import Plan, PlanRejected, plan
from contract.intent import Side, SyncAction, VolumeUnit
from tests.agent.planner import EURUSD, GBPUSD, HEDGING, NETTING, intent, market, pips, pos, sent, settings


def _sync(
    positions: list[PositionView], mode: MarginMode = NETTING, spec: Any = EURUSD, s: Any = None, **kw: Any
) -> Plan:
    m = market(spec, mode=mode, positions=positions)
    return plan(intent(SyncAction(**kw), symbol=spec.name), s or settings(), m)


def _deals(p: Plan) -> list[tuple[int, float, int | None]]:
    """(type, volume, position) of each request."""
    return [(sent(r)["type"], sent(r)["volume"], sent(r).get("position")) for r in p.requests]


# -- exits -------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("mode", [NETTING, HEDGING])
def test_full_exit_closes_the_long_and_never_opens_a_short(mode: MarginMode) -> None:
    # corpus "strategy.exit fill": contracts 50000, position_size 0, market_position flat, prev long
    p = _sync(
        [pos(7, "long", 0.5, "GBPUSD")],
        mode,
        GBPUSD,
        target="flat",
        target_size=0,
        prev="long",
        order_side=Side.SELL,
        order_size=50_000,
    )
    assert _deals(p) == [(1, 0.5, 7)]
    assert [r.kind for r in p.requests] == ["close"]
    assert not any(r.opens for r in p.requests)


@pytest.mark.parametrize("mode", [NETTING, HEDGING])
def test_full_exit_with_an_oversized_fill_still_only_closes(mode: MarginMode) -> None:
    # the fill says 2 lots but the strategy holds 0.5: flat means close what is held, nothing more
    p = _sync([pos(7, "long", 0.5)], mode, target="flat", order_side=Side.SELL, order_size=200_000)
    assert _deals(p) == [(1, 0.5, 7)]


def test_full_exit_closes_both_legs_of_a_hedged_book() -> None:
    p = _sync([pos(1, "long", 1.0), pos(2, "short", 1.0)], HEDGING, target="flat")
    assert _deals(p) == [(1, 1.0, 1), (0, 1.0, 2)]


def test_exit_when_already_flat_is_discarded() -> None:
    with pytest.raises(PlanRejected, match="already flat on EURUSD") as exc:
        _sync([], target="flat")
    assert exc.value.outcome == "discarded"


# -- entries, adds, reductions -----------------------------------------------------------------------------


@pytest.mark.parametrize("mode", [NETTING, HEDGING])
def test_entry_from_flat_converts_units_to_lots(mode: MarginMode) -> None:
    p = _sync(
        [], mode, target="long", target_size=50_000, prev="flat", prev_size=0, order_side=Side.BUY, order_size=50_000
    )
    assert _deals(p) == [(0, 0.5, None)]
    assert p.requests[0].opens and p.requests[0].kind == "open"


def test_sizes_in_lots() -> None:
    p = _sync([], target="short", target_size=0.3, size_unit=VolumeUnit.LOTS)
    assert _deals(p) == [(1, 0.3, None)]


def test_netting_add_resends_the_position_levels() -> None:
    p = _sync(
        [pos(5, "long", 0.5, sl=1.09, tp=1.12)], target="long", target_size=100_000, prev="long", prev_size=50_000
    )
    req = sent(p.requests[0])
    assert (req["type"], req["volume"], req["sl"], req["tp"]) == (0, 0.5, 1.09, 1.12)
    assert any("re-sent" in n for n in p.notes)


def test_netting_reduction_is_a_partial_close_with_the_ticket() -> None:
    p = _sync([pos(5, "long", 1.0)], target="long", target_size=40_000, prev="long", prev_size=100_000)
    assert _deals(p) == [(1, 0.6, 5)]
    assert p.requests[0].kind == "close"


def test_hedging_reduction_closes_oldest_first() -> None:
    p = _sync([pos(1, "short", 0.3), pos(2, "short", 0.5)], HEDGING, target="short", target_size=30_000)
    assert _deals(p) == [(0, 0.3, 1), (0, 0.2, 2)]


def test_hedging_add_opens_a_new_position_for_the_difference() -> None:
    p = _sync([pos(1, "long", 0.3)], HEDGING, target="long", target_size=80_000, sl=pips(20))
    assert _deals(p) == [(0, 0.5, None)]
    assert sent(p.requests[0])["sl"] == 1.09800


# -- reversals: the fill's contracts include the closed amount ---------------------------------------------


def test_netting_reversal_is_one_deal_of_current_plus_new() -> None:
    p = _sync(
        [pos(9, "long", 1.0)],
        target="short",
        target_size=100_000,
        prev="long",
        prev_size=100_000,
        order_side=Side.SELL,
        order_size=200_000,
        sl=pips(30),
    )
    assert _deals(p) == [(1, 2.0, None)]
    assert p.requests[0].kind == "reverse" and p.requests[0].opens
    assert sent(p.requests[0])["sl"] == 1.10290  # the new short's SL: 30 pips above the bid 1.09990


def test_hedging_reversal_closes_each_ticket_then_opens() -> None:
    p = _sync(
        [pos(1, "long", 0.6), pos(2, "long", 0.4)],
        HEDGING,
        target="short",
        target_size=100_000,
        prev="long",
        prev_size=100_000,
        order_side=Side.SELL,
        order_size=200_000,
    )
    assert _deals(p) == [(1, 0.6, 1), (1, 0.4, 2), (1, 1.0, None)]
    assert [r.kind for r in p.requests] == ["close", "close", "open"]
    assert [sent(r)["price"] for r in p.requests] == [1.09990] * 3


def test_netting_reversal_above_volume_max_is_split_into_close_and_open() -> None:
    spec = replace(EURUSD, volume_max=1.5)
    p = _sync([pos(9, "long", 1.0)], spec=spec, target="short", target_size=100_000)
    assert _deals(p) == [(1, 1.0, 9), (1, 1.0, None)]


def test_target_derived_from_prev_and_fill_when_no_size_is_given() -> None:
    p = _sync(
        [pos(9, "long", 1.0)], target="short", prev="long", prev_size=100_000, order_side=Side.SELL, order_size=150_000
    )
    assert _deals(p) == [(1, 1.5, None)]  # 1.0 long -> 0.5 short in one deal


# -- duplicates and out-of-order alerts --------------------------------------------------------------------


def test_prev_flat_while_holding_is_refused_as_duplicate_or_out_of_order() -> None:
    with pytest.raises(PlanRejected) as exc:
        _sync(
            [pos(1, "long", 0.5)],
            target="long",
            target_size=50_000,
            prev="flat",
            order_side=Side.BUY,
            order_size=50_000,
        )
    assert str(exc.value) == (
        "TradingView says the position before this fill was flat, but the strategy holds 0.50 lots long on EURUSD: "
        "this alert is a duplicate or arrived out of order. Nothing was sent."
    )
    assert exc.value.outcome == "rejected"


@pytest.mark.parametrize(
    ("held", "prev", "prev_size", "holds"),
    [
        ([], "long", 100_000, "holds no position"),
        ([pos(1, "short", 1.0)], "long", None, "holds 1.00 lots short"),
        ([pos(1, "long", 0.5)], "long", 100_000, "holds 0.50 lots long"),
    ],
)
def test_prev_market_position_disagreeing_with_the_account_is_refused(
    held: list[PositionView], prev: str, prev_size: float | None, holds: str
) -> None:
    with pytest.raises(PlanRejected, match=f"{holds} on EURUSD: this alert is a duplicate or arrived out of order"):
        _sync(held, target="flat", prev=prev, prev_size=prev_size)


def test_prev_size_within_one_volume_step_agrees() -> None:
    # 12,345 units = 0.12345 lots; the strategy holds the rounded-down 0.12
    p = _sync([pos(1, "long", 0.12)], target="flat", prev="long", prev_size=12_345)
    assert _deals(p) == [(1, 0.12, 1)]


def test_fill_direction_contradicting_the_move_is_refused() -> None:
    with pytest.raises(PlanRejected, match="reports a buy fill, but going from 1.00 lots long to 0.50 lots long"):
        _sync([pos(1, "long", 1.0)], target="long", target_size=50_000, order_side=Side.BUY, order_size=50_000)


def test_already_at_target_without_prev_is_discarded() -> None:
    with pytest.raises(PlanRejected, match="already holds 0.50 lots long") as exc:
        _sync([pos(1, "long", 0.5)], target="long", target_size=50_000)
    assert exc.value.outcome == "discarded"


# -- sizes -------------------------------------------------------------------------------------------------


def test_target_below_minimum_is_refused() -> None:
    with pytest.raises(PlanRejected, match=r"0\.005 lots long \(500 units\) on EURUSD is below the minimum volume"):
        _sync([], target="long", target_size=500)


def test_target_above_the_lot_cap_is_refused() -> None:
    with pytest.raises(PlanRejected, match="above the strategy's lot cap of 1 lots"):
        _sync([], target="long", target_size=150_000, s=settings(max_lots=1))


def test_change_below_minimum_is_refused() -> None:
    spec = replace(EURUSD, volume_min=0.1)
    with pytest.raises(PlanRejected, match="needs a deal of 0.05 lots, below the minimum volume of 0.1 lots"):
        _sync([pos(1, "long", 0.5)], spec=spec, target="long", target_size=55_000)


def test_missing_size_is_refused() -> None:
    with pytest.raises(PlanRejected, match="gives no position size"):
        _sync([], target="long")


def test_risk_override_does_not_resize_syncs() -> None:
    p = _sync([], target="long", target_size=20_000, sl=pips(20), s=settings(risk_override_pct=5))
    assert _deals(p) == [(0, 0.2, None)]
    assert any("does not resize TradingView position syncs" in n for n in p.notes)
