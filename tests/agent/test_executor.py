"""The MT5 adapter and job executor against the simulator at the MT5 seam: filling modes, requotes,
refusals as sentences, ambiguous outcomes never re-sent, and reconciliation after a crash."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

import agent.mt5sim as mt5
from agent.broker.models import MarketOrder
from agent.executor import JobExecutor, build_snapshot
from agent.mt5.adapter import Mt5Broker
from agent.mt5sim import control
from contract import TradeJob
from contract.intent import (
    AlertFormat,
    CloseAction,
    Distance,
    DistanceUnit,
    OpenAction,
    OrderKind,
    OrderLifetime,
    PositionSide,
    Side,
    TimeInForce,
    TradeIntent,
    Volume,
    VolumeUnit,
)
from contract.settings import ExecutionSettings

MAGIC = 27_700_001


@pytest.fixture
def terminal() -> Iterator[Mt5Broker]:
    control.reset()
    control.configure(None, margin_mode="netting", balance=10_000.0)
    t = Mt5Broker(mt5, kind="sim", price_feed=control.set_quote, sleep=lambda _s: None)
    t.connect()
    yield t
    control.reset()


def job(
    symbol: str,
    side: Side | None = Side.BUY,
    lots: float = 0.1,
    *,
    signal_id: int = 1,
    close: bool = False,
    price: float | None = None,
    deadline: datetime | None = None,
    comment: str | None = None,
) -> TradeJob:
    actions: list[Any] = []
    if close:
        actions.append(CloseAction(sides=(PositionSide.LONG, PositionSide.SHORT)))
    if side is not None:
        actions.append(OpenAction(side=side, volume=Volume(unit=VolumeUnit.LOTS, value=lots)))
    intent = TradeIntent(format=AlertFormat.JSON, symbol=symbol, actions=actions, alert_price=price, comment=comment)
    settings = ExecutionSettings(magic_number=MAGIC, comment=f"tvb:{signal_id}")
    return TradeJob(
        id=signal_id,
        signal_id=signal_id,
        strategy_id=1,
        intent=intent,
        settings=settings,
        deadline=deadline or datetime.now(UTC) + timedelta(minutes=5),
        claimed_at=datetime.now(UTC),
    )


def test_market_buy_fills_at_the_ask_with_magic_and_signal_comment(terminal: Mt5Broker) -> None:
    result = JobExecutor(terminal).execute(job("EURUSD", price=1.08500, signal_id=7))
    assert result.status == "executed", result
    [order] = result.orders
    tick = mt5.symbol_info_tick("EURUSD")
    assert result.fill_price == order.price == tick.ask
    [pos] = mt5.positions_get(symbol="EURUSD")
    assert (pos.magic, pos.comment, pos.volume) == (MAGIC, "tvb:7", 0.1)


@pytest.mark.parametrize(
    ("symbol", "filling"),
    [
        ("EURUSD", mt5.ORDER_FILLING_FOK),  # FOK and IOC bits: FOK first, as MetaQuotes' CTrade prefers
        ("GBPUSD", mt5.ORDER_FILLING_FOK),  # FOK only
        ("USDCAD", mt5.ORDER_FILLING_IOC),  # IOC only: sending FOK would be retcode 10030
        ("XAUUSD", mt5.ORDER_FILLING_IOC),
        ("US30", mt5.ORDER_FILLING_FOK),
    ],
)
def test_filling_mode_is_chosen_from_the_symbol(terminal: Mt5Broker, symbol: str, filling: int) -> None:
    result = JobExecutor(terminal).execute(job(symbol, lots=0.1 if symbol != "US30" else 1.0))
    assert result.status == "executed", result
    # The order the terminal recorded carries the filling mode the adapter sent (mt5-api §2.4).
    [order] = mt5.history_orders_get(ticket=result.orders[0].order_ticket)
    assert order.type_filling == filling


def test_an_unsupported_filling_mode_falls_back_to_the_next_one(terminal: Mt5Broker) -> None:
    # The broker's bits said FOK and IOC when the spec was read; its server now takes IOC only (the symbol's
    # settings changed): FOK is answered 10030, and the adapter sends IOC next instead of failing.
    tick = mt5.symbol_info_tick("EURUSD")
    assert terminal.symbol_spec("EURUSD").name == "EURUSD"
    control.set_symbol("EURUSD", filling_mode=2)
    receipt = terminal.place_order(MarketOrder(symbol="EURUSD", side=Side.BUY, volume=0.1, price=tick.ask, magic=MAGIC))
    assert receipt.code == mt5.TRADE_RETCODE_DONE
    [order] = mt5.history_orders_get(ticket=receipt.order)
    assert order.type_filling == mt5.ORDER_FILLING_IOC


def test_pending_orders_are_sent_with_return_filling(terminal: Mt5Broker) -> None:
    intent = TradeIntent(
        format=AlertFormat.JSON, symbol="EURUSD",
        actions=[OpenAction(side=Side.BUY, kind=OrderKind.LIMIT, volume=Volume(unit=VolumeUnit.LOTS, value=0.1),
                            entry=Distance(unit=DistanceUnit.PIPS, value=20))],
    )
    the_job = job("EURUSD").model_copy(update={"intent": intent})
    result = JobExecutor(terminal).execute(the_job)
    assert result.status == "executed", result
    [order] = mt5.orders_get(ticket=result.orders[0].order_ticket)
    assert (order.type, order.type_filling) == (mt5.ORDER_TYPE_BUY_LIMIT, mt5.ORDER_FILLING_RETURN)


def test_requotes_are_retried_at_a_fresh_price(terminal: Mt5Broker) -> None:
    control.inject_fault("requote", count=2)
    result = JobExecutor(terminal).execute(job("EURUSD"))
    assert result.status == "executed"
    assert len(mt5.positions_get()) == 1


def test_a_refusal_is_a_sentence_the_trader_can_act_on(terminal: Mt5Broker) -> None:
    control.set_terminal(trade_allowed=False)
    result = JobExecutor(terminal).execute(job("EURUSD"))
    assert result.status == "failed"
    assert "Algo Trading button" in result.error_message
    assert "10027" in result.error_message
    assert mt5.positions_get() == ()


def test_market_closed_fails_without_retrying(terminal: Mt5Broker) -> None:
    control.inject_fault("market_closed")
    result = JobExecutor(terminal).execute(job("EURUSD"))
    assert result.status == "failed" and "market for this symbol is closed" in result.error_message


@pytest.mark.parametrize("kind", ["timeout", "ipc_recv"])
def test_an_ambiguous_outcome_that_did_execute_is_found_not_resent(terminal: Mt5Broker, kind: str) -> None:
    control.inject_fault(kind, executed=True)
    result = JobExecutor(terminal).execute(job("EURUSD", signal_id=11))
    assert result.status == "executed", result
    assert "not re-sent" in result.notes[-1]
    assert len(mt5.positions_get()) == 1  # exactly one order, never two


@pytest.mark.parametrize("kind", ["timeout", "ipc_recv"])
def test_an_ambiguous_outcome_that_did_not_execute_fails_and_is_not_resent(terminal: Mt5Broker, kind: str) -> None:
    control.inject_fault(kind, executed=False)
    result = JobExecutor(terminal).execute(job("EURUSD", signal_id=12))
    assert result.status == "failed"
    assert "was not re-sent" in result.error_message and "tvb:12" in result.error_message
    assert mt5.positions_get() == ()


def test_an_ambiguous_close_that_did_execute_is_followed_by_the_alerts_next_step(terminal: Mt5Broker) -> None:
    executor = JobExecutor(terminal)
    assert executor.execute(job("EURUSD", signal_id=14)).status == "executed"
    # close-then-sell: the close's answer is lost but it executed; the sell after it is still sent, once
    control.inject_fault("timeout", executed=True)
    result = executor.execute(job("EURUSD", Side.SELL, close=True, signal_id=15))
    assert result.status == "executed", result
    assert [o.type for o in result.orders] == ["close sell", "sell"]
    assert [(p.type, p.volume) for p in mt5.positions_get()] == [(mt5.POSITION_TYPE_SELL, 0.1)]


def test_reconcile_after_a_crash_reports_what_was_sent_and_sends_nothing(terminal: Mt5Broker) -> None:
    executor = JobExecutor(terminal)
    the_job = job("EURUSD", signal_id=21)
    first = executor.execute(the_job)  # the agent "crashed" before posting this result
    found = executor.reconcile(the_job)
    assert found is not None and found.reconciled is True
    assert found.status == "executed"
    assert found.orders[0].deal_ticket == first.orders[0].deal_ticket
    assert len(mt5.positions_get()) == 1


@pytest.mark.parametrize("kind", ["timeout", "ipc_recv"])
def test_an_ambiguous_outcome_is_found_by_its_tag_when_the_comment_carries_the_alert_text(
    terminal: Mt5Broker, kind: str
) -> None:
    control.inject_fault(kind, executed=True)
    result = JobExecutor(terminal).execute(job("EURUSD", signal_id=13, comment="breakout"))
    assert result.status == "executed", result
    assert "not re-sent" in result.notes[-1]
    (position,) = mt5.positions_get()
    assert position.comment == "tvb:13 breakout"


def test_reconcile_finds_orders_whose_comment_has_the_alert_text_after_the_tag(terminal: Mt5Broker) -> None:
    executor = JobExecutor(terminal)
    the_job = job("EURUSD", signal_id=23, comment="my own words that run long")
    first = executor.execute(the_job)
    assert [p.comment for p in mt5.positions_get()] == ["tvb:23 my own words that ru"]
    found = executor.reconcile(the_job)
    assert found is not None and found.orders[0].deal_ticket == first.orders[0].deal_ticket
    assert len(mt5.positions_get()) == 1
    # another signal whose id starts with the same digits is not taken for this one
    assert executor.reconcile(job("EURUSD", signal_id=2, comment="x")) is None


def test_reconcile_of_a_job_that_sent_nothing_lets_it_run(terminal: Mt5Broker) -> None:
    assert JobExecutor(terminal).reconcile(job("EURUSD", signal_id=22)) is None


def test_a_job_past_its_deadline_expires_without_sending(terminal: Mt5Broker) -> None:
    late = job("EURUSD", deadline=datetime.now(UTC) - timedelta(seconds=1))
    result = JobExecutor(terminal).execute(late)
    assert result.status == "expired"
    assert mt5.positions_get() == ()


def test_unknown_symbol_is_rejected_naming_close_matches(terminal: Mt5Broker) -> None:
    result = JobExecutor(terminal).execute(job("EURUSX"))
    assert result.status == "rejected"
    assert "EURUSD" in result.error_message


def test_a_failed_second_step_reports_the_executed_first_step(terminal: Mt5Broker) -> None:
    executor = JobExecutor(terminal)
    assert executor.execute(job("EURGBP", lots=0.2, signal_id=30)).status == "executed"
    # close the long, then open 90 lots short: the close fills, the broker refuses the open (margin)
    result = executor.execute(job("EURGBP", Side.SELL, 90.0, signal_id=31, close=True))
    assert result.status == "failed"
    assert "Step 2 of 2" in result.error_message and "margin" in result.error_message
    assert "Steps already executed" in result.error_message
    assert [o.type for o in result.orders] == ["close sell"]
    assert mt5.positions_get(symbol="EURGBP") == ()


def test_snapshot_reports_realised_pnl_by_magic_and_day_start_balance(terminal: Mt5Broker) -> None:
    executor = JobExecutor(terminal)
    executor.execute(job("EURUSD", lots=1.0, price=1.10000, signal_id=41))
    executor.execute(job("EURUSD", Side.SELL, 1.0, price=1.09000, signal_id=42))  # closes the long at a loss
    snap = build_snapshot(terminal)
    pnl = snap.pnl_by_magic[str(MAGIC)]
    assert pnl == snap.realized_pnl_today
    assert -1100 < pnl < -1000  # 100 pips + the spread on 1 lot of EURUSD
    assert snap.day_start_balance == pytest.approx(10_000.0)
    assert snap.balance == pytest.approx(10_000.0 + pnl)
    assert snap.positions == []


def pending_job(signal_id: int, lifetime: OrderLifetime) -> TradeJob:
    limit = OpenAction(side=Side.BUY, kind=OrderKind.LIMIT, volume=Volume(unit=VolumeUnit.LOTS, value=0.1),
                       entry=Distance(unit=DistanceUnit.PIPS, value=20), lifetime=lifetime)
    base = job("EURUSD", side=None, signal_id=signal_id)
    return base.model_copy(update={"intent": base.intent.model_copy(update={"actions": [limit]})})


def test_a_pending_order_with_an_expiry_reaches_the_terminal_with_it(terminal: Mt5Broker) -> None:
    control.set_time_offset(3 * 3600)  # a UTC+3 trade server: the expiration is in its clock
    before = int(datetime.now(UTC).timestamp())
    life = OrderLifetime(time_in_force=TimeInForce.SPECIFIED, duration_seconds=1800)
    result = JobExecutor(terminal).execute(pending_job(31, life))
    assert result.status == "executed", result.error_message
    (placed,) = mt5.orders_get()
    assert placed.type_time == mt5.ORDER_TIME_SPECIFIED
    assert before + 1800 + 3 * 3600 <= placed.time_expiration <= before + 1802 + 3 * 3600
    assert (result.orders[0].type_time, result.orders[0].expiration) == ("specified", placed.time_expiration)


def test_a_lifetime_the_symbol_does_not_allow_is_refused_before_sending(terminal: Mt5Broker) -> None:
    control.set_symbol("EURUSD", expiration_mode=3)  # GTC and DAY only
    result = JobExecutor(terminal).execute(pending_job(32, OrderLifetime(time_in_force=TimeInForce.SPECIFIED,
                                                                         duration_seconds=600)))
    assert result.status == "rejected"
    assert "good till cancelled (timeInForce=gtc) or for the day (timeInForce=day)" in (result.error_message or "")
    assert mt5.orders_get() == ()
