"""The exit monitor (agent/exits.py) on the simulator: max hold time and the daily flat time close only what the
strategy owns (its ticket on hedging, its share on netting), with the rule's comment; nothing without a known
server clock; the rules come from jobs and survive a restart."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

import agent.mt5sim as mt5
from agent.exits import ExitMonitor, due
from agent.mt5.adapter import Mt5Broker
from agent.mt5sim import control
from contract.settings import ExitRules

A, B = 27_700_001, 27_700_002


def open_position(magic: int, lots: float, side: int = mt5.ORDER_TYPE_BUY, symbol: str = "EURUSD") -> int:
    tick = mt5.symbol_info_tick(symbol)
    result = mt5.order_send({
        "action": mt5.TRADE_ACTION_DEAL, "symbol": symbol, "volume": lots, "type": side, "magic": magic,
        "price": tick.ask if side == mt5.ORDER_TYPE_BUY else tick.bid, "type_filling": mt5.ORDER_FILLING_FOK,
        "comment": "tvb:1",
    })
    assert result.retcode == mt5.TRADE_RETCODE_DONE
    return int(result.order)


def broker(mode: str) -> Mt5Broker:
    control.reset()
    control.configure(None, margin_mode=mode, balance=10_000.0)
    b = Mt5Broker(mt5, kind="sim", sleep=lambda _s: None)
    b.connect()
    b.clock.use_server("sim")
    b.clock._offset, b.clock._measured = 0, True  # the simulator's clock is UTC (measured elsewhere, test_server_clock)
    return b


@pytest.fixture
def netting() -> Iterator[Mt5Broker]:
    yield broker("netting")
    control.reset()


@pytest.fixture
def hedging() -> Iterator[Mt5Broker]:
    yield broker("hedging")
    control.reset()


def later(minutes: float) -> datetime:
    return datetime.now(UTC) + timedelta(minutes=minutes)


def test_due_names_the_rule_that_calls_for_a_close() -> None:
    opened = datetime(2026, 6, 1, 14, 0, tzinfo=UTC)
    hold = ExitRules(magic_number=A, max_hold_minutes=90)
    assert due(hold, opened, opened + timedelta(minutes=89)) is None
    assert due(hold, opened, opened + timedelta(minutes=90)) == "max_hold"
    flat = ExitRules(magic_number=A, flat_at="21:55", rules_timezone="Europe/London")  # 20:55 UTC in June
    assert due(flat, opened, datetime(2026, 6, 1, 20, 54, tzinfo=UTC)) is None
    assert due(flat, opened, datetime(2026, 6, 1, 20, 55, tzinfo=UTC)) == "flat_time"
    assert due(flat, datetime(2026, 6, 1, 21, 0, tzinfo=UTC), datetime(2026, 6, 2, 8, 0, tzinfo=UTC)) is None


def test_max_hold_closes_only_the_strategys_share_of_a_netting_position(netting: Mt5Broker, tmp_path: Path) -> None:
    open_position(A, 1.0)
    open_position(B, 0.5)
    monitor = ExitMonitor(netting, threading.RLock(), state_file=tmp_path / "rules.json", clock=lambda: later(61))
    monitor.rules = {A: ExitRules(magic_number=A, max_hold_minutes=60)}
    (closed,) = monitor.check()
    assert (closed.magic, closed.volume, closed.rule, closed.code) == (A, 1.0, "max_hold", mt5.TRADE_RETCODE_DONE)
    (position,) = mt5.positions_get(symbol="EURUSD")
    assert position.volume == 0.5  # B's share stays
    out = [d for d in mt5.history_deals_get(0, 2**31) if d.entry == mt5.DEAL_ENTRY_OUT]
    assert [(d.magic, d.volume, d.comment) for d in out] == [(A, 1.0, "tvb-exit:hold")]
    assert monitor.check() == []  # A holds nothing any more


def test_the_daily_flat_time_closes_hedging_positions_by_ticket(hedging: Mt5Broker) -> None:
    mine = open_position(A, 0.3)
    open_position(A, 0.2, mt5.ORDER_TYPE_SELL)
    theirs = open_position(B, 0.4)
    now = datetime.now(UTC) + timedelta(minutes=2)
    flat = ExitRules(magic_number=A, flat_at=f"{now:%H:%M}")
    monitor = ExitMonitor(hedging, threading.RLock(), clock=lambda: now + timedelta(seconds=30))
    monitor.rules = {A: flat}
    assert sorted((e.volume, e.rule) for e in monitor.check()) == [(0.2, "flat_time"), (0.3, "flat_time")]
    assert [p.ticket for p in mt5.positions_get()] == [theirs]
    assert mine not in [p.ticket for p in mt5.positions_get()]


def test_nothing_is_closed_while_the_server_clock_is_unknown(netting: Mt5Broker) -> None:
    open_position(A, 1.0)
    netting.clock.use_server("another server")  # forgets the offset: one look at a tick cannot measure it
    monitor = ExitMonitor(netting, threading.RLock(), clock=lambda: later(600))
    monitor.rules = {A: ExitRules(magic_number=A, max_hold_minutes=1)}
    assert monitor.check() == []
    assert netting.clock.offset is None and mt5.positions_get(symbol="EURUSD")


def test_rules_are_learnt_from_jobs_and_kept_across_restarts(netting: Mt5Broker, tmp_path: Path) -> None:
    from tests.agent.test_executor import job

    state = tmp_path / "exit-rules.json"
    monitor = ExitMonitor(netting, threading.RLock(), state_file=state)
    ruled = job("EURUSD")
    ruled = ruled.model_copy(update={"settings": ruled.settings.model_copy(update={"max_hold_minutes": 30})})
    monitor.learn(ruled)
    assert monitor.rules[ruled.settings.magic_number].max_hold_minutes == 30
    again = ExitMonitor(netting, threading.RLock(), state_file=state)
    assert again.rules == monitor.rules
    monitor.learn(job("EURUSD"))  # the strategy's rule was removed: its next job says so
    assert monitor.rules == {}


def test_stop_returns_only_once_a_check_in_progress_has_ended(netting: Mt5Broker, tmp_path: Path) -> None:
    """The agent releases its lease right after stopping the monitor: a close still being sent then would be a write
    without the lease. ``stop()`` waits for the check in progress."""
    open_position(A, 1.0)
    entered, release = threading.Event(), threading.Event()

    def clock() -> datetime:  # read inside the check, under the executor's lock: hold the check there
        entered.set()
        release.wait(10)
        return later(61)

    monitor = ExitMonitor(netting, threading.RLock(), state_file=tmp_path / "rules.json", clock=clock)
    monitor.interval = 0.01
    monitor.rules = {A: ExitRules(magic_number=A, max_hold_minutes=60)}
    monitor.start()
    assert entered.wait(10)
    stopper = threading.Thread(target=monitor.stop)
    stopper.start()
    stopper.join(0.3)
    assert stopper.is_alive()  # stop() waits for the check
    release.set()
    stopper.join(10)
    assert not stopper.is_alive()
    monitor.stop()  # idempotent
