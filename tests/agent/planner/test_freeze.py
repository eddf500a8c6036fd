"""The freeze level (mt5-api §4.2, MQL5 article 2555): inside it the broker refuses to close or modify a position
or to modify or delete a pending order (retcode 10029). The planner checks it before sending and says so."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

import agent.mt5sim as mt5
from agent.broker.models import Quote
from agent.executor import JobExecutor
from agent.mt5.adapter import Mt5Broker
from agent.mt5sim import control
from agent.planner import PlanRejected, plan
from contract import TradeJob
from contract.intent import CancelAction, CloseAction, ModifyAction, PositionSide
from tests.agent.planner import EURUSD, NETTING, intent, market, order, pips, pos, settings

FROZEN = replace(EURUSD, trade_freeze_level=20)  # 20 points = 0.00020
QUOTE = Quote(bid=1.10000, ask=1.10010)


def test_a_close_inside_the_freeze_level_of_the_stop_is_refused_with_a_sentence() -> None:
    m = market(FROZEN, mode=NETTING, positions=[pos(5, "long", 0.5, sl=1.09990)], quote=QUOTE)
    with pytest.raises(PlanRejected) as exc:
        plan(intent(CloseAction()), settings(), m)
    assert str(exc.value) == (
        "The long position #5 on EURUSD cannot be closed now: the bid 1.10000 is within the broker's freeze level "
        "of 20 points (0.00020) of its stop loss 1.09990, where the broker refuses to close or change a position. "
        "Nothing was sent: send the close again once the price has moved away, or let its stop act."
    )


def test_a_close_outside_the_freeze_level_is_planned() -> None:
    m = market(FROZEN, mode=NETTING, positions=[pos(5, "long", 0.5, sl=1.09970, tp=1.10100)], quote=QUOTE)
    assert [r.kind for r in plan(intent(CloseAction()), settings(), m).requests] == ["close"]


def test_a_short_is_measured_at_the_ask_against_its_take_profit() -> None:
    m = market(FROZEN, mode=NETTING, positions=[pos(6, "short", 0.5, tp=1.10000)], quote=QUOTE)
    with pytest.raises(PlanRejected, match="the ask 1.10010 is within the broker's freeze level"):
        plan(intent(CloseAction()), settings(), m)


def test_moving_the_levels_of_a_frozen_position_is_refused() -> None:
    m = market(FROZEN, mode=NETTING, positions=[pos(5, "long", 0.5, tp=1.10015)], quote=QUOTE)
    with pytest.raises(PlanRejected, match="SL/TP of long position #5 on EURUSD cannot be changed now"):
        plan(intent(ModifyAction(sides=(PositionSide.LONG,), sl=pips(20))), settings(), m)


def test_a_pending_order_near_its_trigger_cannot_be_cancelled_or_modified() -> None:
    m = market(FROZEN, orders=[order(8, "buy_stop", 1.10020)], quote=QUOTE)  # the ask is 1 pip from it
    with pytest.raises(PlanRejected, match="buy stop #8 on EURUSD cannot be deleted now"):
        plan(intent(CancelAction()), settings(), m)
    with pytest.raises(PlanRejected, match="buy stop #8 on EURUSD cannot be changed now"):
        plan(intent(ModifyAction(target="orders", tp=pips(30))), settings(), m)
    far = market(FROZEN, orders=[order(8, "buy_stop", 1.10100)], quote=QUOTE)
    assert [r.kind for r in plan(intent(CancelAction()), settings(), far).requests] == ["cancel"]


def test_the_executor_reports_a_blocked_close_and_sends_nothing() -> None:
    control.reset()
    control.configure(None, margin_mode="netting")
    control.set_quote("EURUSD", 1.10000, 1.10010)
    broker = Mt5Broker(mt5, kind="sim", sleep=lambda _s: None)
    broker.connect()
    opened = mt5.order_send({"action": 1, "symbol": "EURUSD", "volume": 0.1, "type": 0, "sl": 1.09900,
                             "magic": 424242, "comment": "tv:sig-1"})
    assert opened.retcode == 10009
    control.set_symbol("EURUSD", trade_freeze_level=20)
    control.set_quote("EURUSD", 1.09910, 1.09920)  # 10 points above the stop loss
    job = TradeJob(
        id=2, signal_id=2, strategy_id=1, intent=intent(CloseAction()), settings=settings(),
        deadline=datetime.now(UTC) + timedelta(minutes=1),
    )
    result = JobExecutor(broker).execute(job)
    assert result.status == "rejected"
    assert "cannot be closed now" in (result.error_message or "") and "freeze level" in (result.error_message or "")
    assert len(mt5.positions_get()) == 1 and result.orders == []
    control.reset()
