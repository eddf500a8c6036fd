"""Several take-profit levels (agent/planner/targets.py): per-level positions on hedging, one position with
agent-watched levels on netting, volume rounding, and the refusals."""

from __future__ import annotations

from dataclasses import replace

import pytest

from agent.broker.models import MarketOrder
from agent.planner import PlanRejected, plan
from agent.planner.types import TargetLevel
from contract.intent import Distance, TakeProfitLevel
from tests.agent.planner import HEDGING, NETTING, intent, market, open_, pips, pos, price, settings


def tps(*levels: tuple[Distance, float]) -> tuple[TakeProfitLevel, ...]:
    return tuple(TakeProfitLevel(tp=d, share_pct=s) for d, s in levels)


THREE = tps((pips(10), 50), (pips(20), 30), (pips(30), 20))


def orders(p: object) -> list[tuple[str, float, float, float, str]]:
    out = []
    for r in p.requests:  # type: ignore[attr-defined]
        assert isinstance(r.request, MarketOrder)
        out.append((r.request.side.value, r.request.volume, r.request.sl, r.request.tp, r.request.comment))
    return out


def test_hedging_opens_one_position_per_level_with_its_tp_and_the_common_sl() -> None:
    p = plan(intent(open_("buy", 1.0, sl=pips(20), take_profits=THREE)), settings(comment="tvb:77"), market())
    # the ask is 1.10000: SL 20 pips below it, TPs 10/20/30 pips above it
    assert orders(p) == [
        ("buy", 0.5, 1.098, 1.101, "tvb:77/1"),
        ("buy", 0.3, 1.098, 1.102, "tvb:77/2"),
        ("buy", 0.2, 1.098, 1.103, "tvb:77/3"),
    ]
    assert [r.level for r in p.requests] == [1, 2, 3]
    assert "TP2 1.10200 for 0.30 lots (30%)" in p.notes[0]
    assert "TP2 1.10200" in p.requests[1].description


def test_rounding_remainder_goes_to_the_last_level() -> None:
    levels = tps((pips(10), 100 / 3), (pips(20), 100 / 3), (pips(30), 100 / 3))
    p = plan(intent(open_("sell", 0.1, take_profits=levels)), settings(comment="tvb:5"), market())
    assert [r.request.volume for r in p.requests] == [0.03, 0.03, 0.04]
    assert [r.request.tp for r in p.requests] == [1.0989, 1.0979, 1.0969]  # from the bid 1.09990
    # the note says what each level really closes, beside what was asked
    assert ("TP1 1.09890 for 0.03 lots (30%; asked 33.3%), TP2 1.09790 for 0.03 lots (30%; asked 33.3%), "
            "TP3 1.09690 for 0.04 lots (40%; asked 33.3%)") in p.notes[0]


def test_netting_sends_one_order_with_the_last_level_and_watches_the_others() -> None:
    p = plan(
        intent(open_("buy", 1.0, sl=pips(20), take_profits=THREE)), settings(comment="tvb:9"), market(mode=NETTING)
    )
    assert orders(p) == [("buy", 1.0, 1.098, 1.103, "tvb:9")]
    assert p.requests[0].targets == (TargetLevel(1, 1.101, 0.5), TargetLevel(2, 1.102, 0.3))
    assert any("tvbridge closes 0.50 lots at TP1, 0.30 lots at TP2 when the bid reaches them" in n for n in p.notes)


def test_a_level_below_the_minimum_volume_is_refused() -> None:
    with pytest.raises(PlanRejected, match=r"TP2's share of 30% of 0.02 lots comes to 0.00 lots"):
        plan(
            intent(open_("buy", 0.02, take_profits=tps((pips(10), 60), (pips(20), 30), (pips(30), 10)))),
            settings(), market(),
        )


def test_a_level_on_the_wrong_side_is_refused() -> None:
    levels = tps((price(1.1010), 50), (price(1.0990), 50))  # TP2 below the bid of a buy
    with pytest.raises(PlanRejected, match=r"^TP2: The take profit 1.09900 of a long position on EURUSD is not above"):
        plan(intent(open_("buy", 1.0, take_profits=levels)), settings(), market())


def test_levels_out_of_order_are_refused() -> None:
    levels = tps((pips(20), 50), (pips(10), 50))
    with pytest.raises(PlanRejected, match=r"TP2 1.10100 is not above TP1 1.10200"):
        plan(intent(open_("buy", 1.0, take_profits=levels)), settings(), market(mode=HEDGING))


def test_netting_against_an_opposite_position_is_refused() -> None:
    with pytest.raises(PlanRejected, match="take-profit levels need a position of their own side"):
        plan(
            intent(open_("buy", 1.0, take_profits=THREE)), settings(),
            market(mode=NETTING, positions=[pos(1, "short", 0.5)]),
        )


def test_an_entry_with_three_levels_is_one_entry_for_pyramiding() -> None:
    levels = [pos(n, "long", 0.1) for n in (1, 2, 3)]
    held = [replace(p, comment=f"tvb:40/{n}") for n, p in enumerate(levels, 1)]
    p = plan(intent(open_("buy", 0.1)), settings(max_entries_per_direction=2), market(positions=held))
    assert len(p.requests) == 1
    with pytest.raises(PlanRejected, match="already has 2 long entries"):
        plan(
            intent(open_("buy", 0.1)), settings(max_entries_per_direction=2),
            market(positions=[*held, replace(pos(4, "long", 0.1), comment="tvb:41")]),
        )


def test_hedging_levels_carry_the_alerts_comment_after_their_own_tag() -> None:
    p = plan(
        intent(open_("buy", 1.0, sl=pips(20), take_profits=THREE), comment="london breakout retest"),
        settings(comment="tvb:77"), market(),
    )
    assert [o[4] for o in orders(p)] == ["tvb:77/1 london breakout re", "tvb:77/2 london breakout re",
                                         "tvb:77/3 london breakout re"]
    # one sentence for the cut text, naming the comment as a level carries it
    assert [n for n in p.notes if "shortened" in n] == [
        'The alert\'s comment "london breakout retest" reaches MetaTrader 5 as "tvb:77/1 london breakout re": it '
        "was shortened to fit the 27 characters an MT5 order comment can take, after the signal tag tvb:77/1."
    ]


def test_an_entry_with_three_levels_is_one_position_for_max_open_positions() -> None:
    # hedging: the levels are three positions of one entry; "one trade at a time" still lets that one trade open
    p = plan(intent(open_("buy", 1.0, take_profits=THREE)), settings(max_open_positions=1), market())
    assert [r.level for r in p.requests] == [1, 2, 3]
    # a held entry with three levels counts once: a second entry fits a cap of 2, not a cap of 1
    held = [replace(pos(n, "long", 0.1), comment=f"tvb:40/{n}") for n in (1, 2, 3)]
    assert plan(intent(open_("buy", 0.1)), settings(max_open_positions=2), market(positions=held)).requests
    with pytest.raises(PlanRejected, match=r"already holds 1 position \(limit 1\)"):
        plan(intent(open_("buy", 0.1)), settings(max_open_positions=1), market(positions=held))
