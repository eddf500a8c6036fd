"""The strategy controls in the planner: risk multiplier (entries and TradingView syncs), max lots refuse or cap,
and the exposure caps on market and pending entries, netting reversals and exits."""

from __future__ import annotations

from dataclasses import replace

import pytest

from agent.broker.models import MarginMode
from agent.exposure import ExposureView
from agent.planner import Plan, PlanRejected, plan
from contract.intent import CloseAction, OrderKind, SyncAction, TakeProfitLevel, VolumeUnit
from tests.agent.planner import account, intent, market, open_, pips, pos, price, settings

NETTING = MarginMode.NETTING

#: 10,000 USD of equity; 1 lot of EURUSD holds 1,100 USD of margin (11%) and 110,000 USD of notional (1,100%).
EMPTY = ExposureView(
    equity=10_000.0, account_margin=0.0, account_notional=0.0, account_positions=0, strategy_margin=0.0,
    strategy_notional=0.0, margin_per_lot={"buy": 1_100.0, "sell": 1_100.0}, notional_per_lot=110_000.0,
)


def lots(p: Plan) -> list[float]:
    return [float(getattr(r.request, "volume", 0.0)) for r in p.requests]


def test_the_multiplier_scales_then_rounds_down() -> None:
    p = plan(intent(open_("buy", 0.25)), settings(risk_multiplier=0.5), market())
    assert lots(p) == [0.12]
    assert any("risk multiplier 0.5 = 0.125 lots (rounded down to the volume step: 0.12)" in n for n in p.notes)


def test_the_multiplier_scales_tradingview_syncs_target_and_previous_alike() -> None:
    held = pos(1, "long", 0.1, magic=424242)
    sync = SyncAction(target="long", target_size=0.4, prev="long", prev_size=0.2, size_unit=VolumeUnit.LOTS)
    p = plan(intent(sync), settings(risk_multiplier=0.5), market(positions=[held]))
    assert lots(p) == [0.1]  # 0.2 x 0.5 = 0.1 held matches; 0.4 x 0.5 = 0.2: buy 0.1 more


def test_max_lots_caps_only_when_asked() -> None:
    with pytest.raises(PlanRejected, match="above the strategy's lot cap of 0.5 lots"):
        plan(intent(open_("buy", 2)), settings(max_lots=0.5), market())
    p = plan(intent(open_("buy", 2)), settings(max_lots=0.5, max_lots_mode="cap"), market())
    assert lots(p) == [0.5] and any("capped to the strategy's max lots of 0.5" in n for n in p.notes)


def test_the_strategy_margin_cap_counts_what_it_holds_and_the_entry() -> None:
    view = replace(EMPTY, strategy_margin=1_000.0, account_margin=1_000.0)
    m = replace(market(), exposure=view)
    assert lots(plan(intent(open_("buy", 0.5)), settings(max_exposure_pct=16), m)) == [0.5]  # 10% + 5.5%
    with pytest.raises(PlanRejected) as refused:
        plan(intent(open_("buy", 0.6)), settings(max_exposure_pct=16), m)  # 10% + 6.6%
    assert str(refused.value).startswith(
        "Exposure cap: The strategy's positions hold 10.00% of equity as margin (1,000.00 USD of 10,000.00 USD); "
        "this entry adds 6.60% (660.00 USD), which would make 16.60%, above the strategy cap of 16%"
    )


def test_a_pending_order_counts_as_if_it_filled_and_entries_of_one_alert_add_up() -> None:
    m = replace(market(), exposure=EMPTY)
    limit = open_("buy", 0.5, kind=OrderKind.LIMIT, entry=price(1.05))
    with pytest.raises(PlanRejected, match="above the account cap of 500%"):
        plan(intent(limit), settings(account_max_exposure_pct=500, account_exposure_basis="notional"), m)
    with pytest.raises(PlanRejected, match=r"hold 5.50% .* adds 5.50%"):  # the second entry sees the first
        plan(intent(open_("buy", 0.5), open_("buy", 0.5)), settings(max_exposure_pct=10), m)


def test_a_netting_reversal_counts_only_the_position_it_leaves() -> None:
    held = pos(1, "long", 1.0, magic=424242)
    view = replace(EMPTY, strategy_margin=1_100.0, account_margin=1_100.0, account_positions=1)
    m = replace(market(mode=NETTING, positions=[held], acct=account(NETTING)), exposure=view)
    # sell 1.5: closes the 1.0 long, leaves 0.5 short: margin 11% -> 5.5%, under a 6% cap
    assert lots(plan(intent(open_("sell", 1.5)), settings(max_exposure_pct=6), m)) == [1.5]
    with pytest.raises(PlanRejected, match="above the strategy cap of 15%"):  # 11% -> 22% short
        plan(intent(open_("sell", 3.0)), settings(max_exposure_pct=15), m)


def test_exits_and_adds_to_a_netting_position_are_never_refused_by_the_position_caps() -> None:
    held = pos(1, "long", 1.0, magic=424242)
    view = replace(EMPTY, strategy_margin=1_100.0, account_margin=9_000.0, account_positions=5)
    capped = settings(max_exposure_pct=1, account_max_exposure_pct=1, account_max_open_positions=1)
    m = replace(market(mode=NETTING, positions=[held], acct=account(NETTING)), exposure=view)
    assert lots(plan(intent(CloseAction()), capped, m)) == [1.0]
    assert lots(plan(intent(open_("sell", 0.4)), capped, m)) == [0.4]  # a reduction is a close
    open_only = settings(account_max_open_positions=1)
    assert lots(plan(intent(open_("buy", 0.1)), open_only, m)) == [0.1]  # adds to the one position: none opens
    hedging = replace(market(positions=[pos(1, "long", 1.0)]), exposure=view)
    with pytest.raises(PlanRejected, match="already holds 5 positions"):
        plan(intent(open_("buy", 0.1)), open_only, hedging)


def test_no_exposure_figures_means_no_cap_is_checked() -> None:
    assert lots(plan(intent(open_("buy", 5)), settings(max_exposure_pct=1), market())) == [5.0]


def test_the_account_position_cap_counts_an_entrys_levels_and_says_what_the_account_holds() -> None:
    # hedging: the account holds 1 position; three take-profit levels would open three more, past a limit of 3
    levels = tuple(TakeProfitLevel(tp=pips(n), share_pct=s) for n, s in ((10, 50), (20, 30), (30, 20)))
    m = replace(market(), exposure=replace(EMPTY, account_positions=1))
    assert len(plan(intent(open_("buy", 0.1, take_profits=levels)), settings(account_max_open_positions=4), m)
               .requests) == 3
    with pytest.raises(PlanRejected) as refused:
        plan(intent(open_("buy", 0.1, take_profits=levels)), settings(account_max_open_positions=3), m)
    assert str(refused.value).startswith(
        "Account max open positions: the account holds 1 position (all strategies and manual trades) and this "
        "alert opens 2 before this one; one more would pass the limit of 3, so the alert was refused: nothing "
        "was sent."
    )
