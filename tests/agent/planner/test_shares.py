"""The planner on netting accounts with shares (agent/planner/ownership.py): a strategy's holding is its own share of
the account's one position; closes send only the share; netting against others and shared SL/TP follow the
strategy's settings; the sentences say whose share moved. Plus the session and pyramiding rules."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

import pytest

from agent.market import MarketView
from agent.planner import PlanRejected, plan
from agent.shares import ShareView
from contract.intent import CloseAction, ModifyAction, PositionSide, SyncAction
from contract.netting import OwnerShare
from tests.agent.planner import HEDGING, MAGIC, NETTING, intent, market, open_, pos, price, sent, settings

B = 515151
OWNERS = {MAGIC: "A", B: "B"}


def shared(ticket: int = 9, side: str = "long", own: float = 1.0, b: float = 0.5, manual: float = 0.0,
           sl: float = 0.0, tp: float = 0.0, magic: int = B) -> MarketView:
    """A netting EURUSD position of ``own + b + manual`` lots opened by ``magic``: A's, B's and the trader's shares."""
    sign = 1 if side == "long" else -1
    total = round(own + b + manual, 8)
    position = pos(ticket, side, total, sl=sl, tp=tp, magic=magic)
    view = ShareView(
        position,
        OwnerShare(sign * own, 1.1, entries=2 if own else 0),
        {B: OwnerShare(sign * b, 1.1)} if b else {},
        OwnerShare(sign * manual, 1.1),
    )
    m = market(mode=NETTING, positions=[position])
    return replace(m, shares={ticket: view})


def test_a_close_sends_only_the_strategys_share_and_says_what_remains() -> None:
    p = plan(intent(CloseAction(sides=(PositionSide.LONG,))), settings(owners=OWNERS), shared())
    ((request,),) = [p.requests]
    assert (sent(request)["volume"], sent(request)["position"]) == (1.0, 9)
    assert request.description == (
        "close the 1.00 lots of strategy 'A' in the account's 1.50-lot EURUSD long #9 (0.50 of strategy 'B' stay open)"
    )


def test_a_partial_close_takes_its_percent_of_the_share_not_of_the_position() -> None:
    p = plan(intent(CloseAction(sides=(PositionSide.LONG,), portion_pct=50)), settings(owners=OWNERS), shared())
    assert [sent(r)["volume"] for r in p.requests] == [0.5]


def test_nothing_to_close_when_the_strategy_holds_no_share_of_the_position() -> None:
    with pytest.raises(PlanRejected, match="nothing to close") as refused:
        plan(intent(CloseAction()), settings(owners=OWNERS), shared(own=0.0))
    assert refused.value.outcome == "discarded"


def test_an_entry_that_would_net_against_another_strategy_is_refused_by_default() -> None:
    with pytest.raises(PlanRejected) as refused:
        plan(intent(open_("sell", 1.2)), settings(owners=OWNERS), shared())
    text = str(refused.value)
    assert "closes the 1.00 lots strategy 'A' holds and would net 0.20 lots against" in text
    assert "the account's 1.50-lot EURUSD long held by strategy 'B' (0.50 lots)" in text
    assert "0.20 lots of strategy 'B'" in text and "netting_against_others = refuse" in text


def test_netting_against_strategies_is_allowed_by_setting_but_never_against_a_manual_trade() -> None:
    allowed = plan(intent(open_("sell", 1.2)), settings(owners=OWNERS, netting_against_others="strategies"), shared())
    (request,) = allowed.requests
    assert (sent(request)["volume"], "position" in sent(request), request.kind) == (1.2, False, "close")
    assert "netting against 0.20 lots of strategy 'B'" in request.description
    assert any("moves 0.20 lots of strategy 'B'" in n for n in allowed.notes)
    with pytest.raises(PlanRejected, match="the trader's manual trades or another EA"):
        plan(intent(open_("sell", 1.2)), settings(owners=OWNERS, netting_against_others="strategies"),
             shared(b=0.0, manual=0.5))
    anyone = plan(intent(open_("sell", 1.2)), settings(owners=OWNERS, netting_against_others="anyone"),
                  shared(b=0.0, manual=0.5))
    assert [sent(r)["volume"] for r in anyone.requests] == [1.2]


def test_a_manual_position_alone_is_never_touched_by_an_entry() -> None:
    with pytest.raises(PlanRejected, match="manual trades and other EAs \\(1.00 lots\\)"):
        plan(intent(open_("sell", 0.5)), settings(owners=OWNERS), shared(own=0.0, b=0.0, manual=1.0, magic=0))


def test_a_reversal_of_a_position_held_alone_is_one_deal() -> None:
    p = plan(intent(open_("sell", 1.5)), settings(owners=OWNERS), shared(own=1.0, b=0.0))
    (request,) = p.requests
    assert (request.kind, sent(request)["volume"]) == ("reverse", 1.5)


def test_sl_tp_that_would_move_another_owners_levels_are_refused_unless_allowed() -> None:
    with pytest.raises(PlanRejected, match="shared with strategy 'B' \\(0.50 lots\\)"):
        plan(intent(open_("buy", 0.2, sl=price(1.09))), settings(owners=OWNERS), shared())
    allowed = plan(intent(open_("buy", 0.2, sl=price(1.09))), settings(owners=OWNERS, shared_stops="allow"), shared())
    assert sent(allowed.requests[0])["sl"] == 1.09
    assert any("changes them for everyone holding it (SL none -> 1.09000" in n for n in allowed.notes)
    with pytest.raises(PlanRejected, match="shared_stops = refuse"):
        plan(intent(ModifyAction(tp=price(1.2))), settings(owners=OWNERS), shared())


def test_an_add_without_levels_keeps_the_shared_levels_and_says_whose_they_are() -> None:
    p = plan(intent(open_("buy", 0.2)), settings(owners=OWNERS), shared(sl=1.095, tp=1.12))
    assert (sent(p.requests[0])["sl"], sent(p.requests[0])["tp"]) == (1.095, 1.12)
    assert any("its SL 1.09500, TP 1.12000 stay as they are and now also cover the 0.20 lots of strategy 'A'" in n
               for n in p.notes), p.notes


def test_a_tradingview_sync_moves_only_the_share() -> None:
    action = SyncAction(target="long", target_size=0.4, size_unit="lots")
    p = plan(intent(action), settings(owners=OWNERS), shared(own=1.0, b=0.5))
    assert [(r.kind, sent(r)["volume"]) for r in p.requests] == [("close", 0.6)]


def test_the_session_discards_entries_outside_it_and_never_holds_back_exits() -> None:
    evening = datetime(2026, 6, 1, 21, 30, tzinfo=UTC)  # 22:30 in London (BST)
    outside = replace(market(mode=HEDGING, positions=[pos(1)]), now=evening)
    rules = settings(trading_session="08:00-17:00", rules_timezone="Europe/London")
    with pytest.raises(PlanRejected, match="Outside the strategy's trading session \\(08:00-17:00 Europe/London; "
                                           "it is 22:30 there\\)") as refused:
        plan(intent(open_("buy", 0.1)), rules, outside)
    assert refused.value.outcome == "discarded"
    assert [sent(r)["volume"] for r in plan(intent(CloseAction()), rules, outside).requests] == [0.5]
    night = settings(trading_session="22:00-06:00", rules_timezone="Europe/London")
    assert plan(intent(open_("buy", 0.1)), night, outside).requests  # a session across midnight


def test_pyramiding_caps_entries_per_direction_per_symbol() -> None:
    hedging = market(mode=HEDGING, positions=[pos(1), pos(2), pos(3, "short")])
    with pytest.raises(PlanRejected, match="already has 2 long entries on EURUSD \\(max entries per direction 2\\)"):
        plan(intent(open_("buy", 0.1)), settings(max_entries_per_direction=2), hedging)
    assert plan(intent(open_("sell", 0.1)), settings(max_entries_per_direction=2), hedging).requests
    with pytest.raises(PlanRejected, match="already has 2 long entries"):  # netting: the share's entry deals
        plan(intent(open_("buy", 0.1)), settings(owners=OWNERS, max_entries_per_direction=2), shared())
