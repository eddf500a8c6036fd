"""Plans executed end to end: the real executor reads the simulated terminal through the MT5 adapter (the broker
interface), plans, sends, and the trade engine accepts every request; the book ends where it should.

Nothing of the adapter is re-implemented here: the market view, the request dicts and ``type_filling`` are the
adapter's own, so a planner request the MT5 module would refuse fails this test.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

import agent.mt5sim as mt5
from agent.executor import JobExecutor
from agent.mt5.adapter import Mt5Broker
from agent.mt5sim import control
from contract import JobResult, TradeJob
from contract.intent import CloseAction, ModifyAction, OrderKind, PositionSide, Side, SyncAction, VolumeUnit
from tests.agent.planner import MAGIC, intent, open_, pips, settings, vol

_signal = iter(range(1, 10_000))


@pytest.fixture(params=["netting", "hedging"])
def account_mode(request: pytest.FixtureRequest) -> Iterator[str]:
    control.reset()
    control.configure(margin_mode=request.param, symbol_suffix=".a")
    yield request.param
    control.reset()


@pytest.fixture
def executor(account_mode: str) -> JobExecutor:
    broker = Mt5Broker(mt5, sleep=lambda _s: None)
    broker.connect()
    return JobExecutor(broker)


def run(executor: JobExecutor, alert_symbol: str, *actions: Any) -> JobResult:
    """Execute one alert through the executor; every request must come back 10009 (done)."""
    n = next(_signal)
    job = TradeJob(
        id=n, signal_id=n, strategy_id=1, intent=intent(*actions, symbol=alert_symbol),
        settings=settings(comment=f"tv:{n}"), deadline=datetime.now(UTC) + timedelta(minutes=1),
    )
    result = executor.execute(job)
    assert result.status == "executed", result.error_message
    assert result.orders and {o.retcode for o in result.orders} == {mt5.TRADE_RETCODE_DONE}
    return result


def _net(symbol: str) -> float:
    return round(sum(p.volume if p.type == 0 else -p.volume for p in mt5.positions_get(symbol=symbol)), 8)


def test_entries_modifications_and_exits_are_accepted(executor: JobExecutor, account_mode: str) -> None:
    risk = vol(1, VolumeUnit.PCT_BALANCE_LOSS)
    run(executor, "OANDA:EURUSD", open_("buy", risk, sl=pips(20), tp=pips(40)))
    run(executor, "EURUSD", open_("buy", 0.1))
    if account_mode == "netting":  # the add kept the position's SL/TP
        (p,) = mt5.positions_get(symbol="EURUSD.a")
        assert p.sl > 0 and p.tp > 0
    run(executor, "EURUSD", ModifyAction(sides=(PositionSide.LONG,), sl=pips(15)))
    run(executor, "GBPJPY", open_("sell", vol(50, VolumeUnit.MONEY_LOSS), sl=pips(20)))
    run(executor, "XAUUSD", open_("sell", 0.05, OrderKind.STOP, entry=pips(50), sl=pips(50), tp=pips(100)))
    assert [o.magic for o in mt5.orders_get()] == [MAGIC]
    run(executor, "EURUSD", CloseAction(sides=(PositionSide.LONG,), portion_pct=50))
    run(executor, "EURUSD", CloseAction(all_symbols=True, include_pending=True))
    assert mt5.positions_get() == () and mt5.orders_get() == ()


def test_strategy_reversal_and_exit(executor: JobExecutor) -> None:
    entry = SyncAction(target="long", target_size=50_000, prev="flat", order_side=Side.BUY, order_size=50_000)
    run(executor, "EURUSD", entry)
    assert _net("EURUSD.a") == 0.5
    reverse = SyncAction(
        target="short",
        target_size=100_000,
        prev="long",
        prev_size=50_000,
        order_side=Side.SELL,
        order_size=150_000,
        sl=pips(30),
    )
    run(executor, "EURUSD", reverse)
    assert _net("EURUSD.a") == -1.0
    exit_ = SyncAction(
        target="flat", target_size=0, prev="short", prev_size=100_000, order_side=Side.BUY, order_size=100_000
    )
    run(executor, "EURUSD", exit_)
    assert mt5.positions_get() == ()
