"""Filters that skip alerts (spread, account, max open positions) and broker modes that refuse them."""

from __future__ import annotations

from dataclasses import replace

import pytest

from agent.broker.models import Quote, TradeMode
from agent.planner import PlanRejected, plan
from contract.intent import CloseAction, OrderKind, PositionSide
from tests.agent.planner import (
    BTCUSD,
    EURUSD,
    GBPJPY,
    HEDGING,
    NETTING,
    account,
    intent,
    market,
    open_,
    pips,
    pos,
    sent,
    settings,
)

# -- spread filter -----------------------------------------------------------------------------------------


def test_spread_within_the_maximum_passes() -> None:
    # corpus: "buy,EURUSD,risk=1,sl=20,spread=2" with a 1-pip spread -> BUY 1 lot SL 20 pips
    p = plan(intent(open_("buy", 1, sl=pips(20)), max_spread_pips=2), settings(), market())
    assert sent(p.requests[0])["volume"] == 1.0


def test_spread_above_the_maximum_skips_the_alert() -> None:
    wide = Quote(bid=1.09990, ask=1.10015)  # 2.5 pips
    with pytest.raises(PlanRejected) as exc:
        plan(intent(open_("buy", 1), max_spread_pips=2), settings(), market(quote=wide))
    assert str(exc.value) == (
        "Spread filter: the EURUSD spread is 2.5 pips, above the alert's maximum of 2 pips, so the alert was skipped."
    )
    assert exc.value.outcome == "discarded"


def test_spread_in_jpy_pips() -> None:
    with pytest.raises(PlanRejected, match="GBPJPY spread is 2 pips") as exc:
        plan(intent(open_("sell", 1), symbol="GBPJPY", max_spread_pips=1.5), settings(), market(GBPJPY))
    assert exc.value.outcome == "discarded"


def test_spread_filter_on_crypto_needs_a_pip_size() -> None:
    with pytest.raises(PlanRejected, match="spread filter is in pips. Pips are not defined for BTCUSD") as exc:
        plan(intent(open_("buy", 0.1), symbol="BTCUSD", max_spread_pips=5), settings(), market(BTCUSD))
    assert exc.value.outcome == "rejected"
    p = plan(
        intent(open_("buy", 0.1), symbol="BTCUSD", max_spread_pips=50),
        settings(pip_sizes={"BTCUSD": 1.0}),
        market(BTCUSD),
    )
    assert p.requests


def test_filters_never_block_an_exit() -> None:
    wide = Quote(bid=1.09990, ask=1.10100)
    m = market(quote=wide, positions=[pos(1, "long", 0.5)], acct=account(balance=100))
    p = plan(intent(CloseAction(), max_spread_pips=1, account_filter=500), settings(), m)
    assert p.requests[0].kind == "close"
    assert any("guards entries only" in n for n in p.notes)


# -- account filter ----------------------------------------------------------------------------------------


def test_account_filter_passes_when_the_balance_exceeds_it() -> None:
    assert plan(intent(open_("buy", 1), account_filter=500), settings(), market()).requests


@pytest.mark.parametrize("balance", [450.0, 500.0])
def test_account_filter_skips_unless_the_balance_exceeds_it(balance: float) -> None:
    with pytest.raises(PlanRejected, match="Account filter: the account's balance of") as exc:
        plan(intent(open_("buy", 0.1), account_filter=500), settings(), market(acct=account(balance=balance)))
    assert exc.value.outcome == "discarded"


# -- max open positions ------------------------------------------------------------------------------------


def test_max_open_positions_counts_every_symbol() -> None:
    m = market(positions=[pos(1, "long", 0.1), pos(2, "short", 0.1, "XAUUSD")])
    with pytest.raises(PlanRejected) as exc:
        plan(intent(open_("buy", 0.1)), settings(max_open_positions=2), m)
    assert str(exc.value) == (
        "Max open positions: the strategy already holds 2 positions (limit 2), so this entry was skipped."
    )
    assert exc.value.outcome == "discarded"


def test_max_open_positions_sees_the_close_that_comes_first() -> None:
    # closelongbuy with a cap of 1: the close frees the slot for the buy
    m = market(positions=[pos(1, "long", 0.1)])
    p = plan(intent(CloseAction(sides=(PositionSide.LONG,)), open_("buy", 0.2)), settings(max_open_positions=1), m)
    assert [r.kind for r in p.requests] == ["close", "open"]


def test_netting_add_does_not_count_as_a_new_position() -> None:
    m = market(mode=NETTING, positions=[pos(1, "long", 0.1)])
    assert plan(intent(open_("buy", 0.2)), settings(max_open_positions=1), m).requests
    with pytest.raises(PlanRejected, match="Max open positions"):
        m2 = market(mode=HEDGING, positions=[pos(1, "long", 0.1)])
        plan(intent(open_("buy", 0.2)), settings(max_open_positions=1), m2)


def test_max_open_positions_does_not_block_exits() -> None:
    m = market(positions=[pos(1, "long", 0.1), pos(2, "long", 0.1)])
    assert plan(intent(CloseAction()), settings(max_open_positions=1), m).requests


# -- trade and order modes ---------------------------------------------------------------------------------


def test_disabled_symbol_refuses_everything() -> None:
    with pytest.raises(PlanRejected, match="Trading is disabled on EURUSD") as exc:
        plan(intent(open_("buy", 0.1)), settings(), market(replace(EURUSD, trade_mode=TradeMode.DISABLED)))
    assert exc.value.outcome == "rejected"


def test_close_only_symbol_refuses_entries() -> None:
    with pytest.raises(PlanRejected) as exc:
        plan(intent(open_("buy", 0.1)), settings(), market(replace(EURUSD, trade_mode=TradeMode.CLOSE_ONLY)))
    assert str(exc.value) == (
        "EURUSD is close-only at this broker (symbol trade mode), so a buy that opens a position or order cannot "
        "be placed."
    )


def test_long_only_symbol_refuses_sells_that_open() -> None:
    spec = replace(EURUSD, trade_mode=TradeMode.LONG_ONLY)
    assert plan(intent(open_("buy", 0.1)), settings(), market(spec)).requests
    with pytest.raises(PlanRejected, match="long-only"):
        plan(intent(open_("sell", 0.1)), settings(), market(spec))
    with pytest.raises(PlanRejected, match="long-only"):
        plan(intent(open_("sell", 0.1, OrderKind.LIMIT, entry=pips(10))), settings(), market(spec))


def test_long_only_symbol_allows_a_netting_sell_that_only_reduces() -> None:
    m = market(replace(EURUSD, trade_mode=TradeMode.LONG_ONLY), mode=NETTING, positions=[pos(1, "long", 0.5)])
    p = plan(intent(open_("sell", 0.2)), settings(), m)
    assert [(r.kind, sent(r)["position"]) for r in p.requests] == [("close", 1)]


def test_short_only_symbol_refuses_buys() -> None:
    with pytest.raises(PlanRejected, match="short-only"):
        plan(intent(open_("buy", 0.1)), settings(), market(replace(EURUSD, trade_mode=TradeMode.SHORT_ONLY)))


def test_order_mode_without_market_orders() -> None:
    with pytest.raises(PlanRejected, match="does not accept market orders"):
        plan(intent(open_("buy", 0.1)), settings(), market(replace(EURUSD, market_orders=False)))


def test_order_mode_without_stop_losses() -> None:
    with pytest.raises(PlanRejected, match="does not accept stop losses"):
        plan(intent(open_("buy", 0.1, sl=pips(20))), settings(), market(replace(EURUSD, stop_loss=False)))


def test_no_usable_quote_is_refused() -> None:
    with pytest.raises(PlanRejected, match=r"no usable price for EURUSD \(bid 0, ask 0\)"):
        plan(intent(open_("buy", 0.1)), settings(), market(quote=Quote(bid=0.0, ask=0.0)))
