"""Bridge-side breakeven and trailing stops against the simulator: positions opened through the executor from
a real alert, quotes moved on the simulated terminal, stop losses read back from MT5's positions."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

import agent.mt5sim as mt5
from agent.broker.models import MarketOrder
from agent.executor import JobExecutor
from agent.mt5.adapter import Mt5Broker
from agent.mt5sim import control
from agent.stops import StopManager
from contract import JobResult, TradeJob
from contract.intent import Side
from contract.settings import ExecutionSettings
from server.alerts import ParseContext, parse_alert

MAGIC = 42


@pytest.fixture
def terminal() -> Iterator[Mt5Broker]:
    control.reset()
    control.configure(None, balance=100_000.0)
    t = Mt5Broker(mt5, kind="sim", price_feed=control.set_quote, sleep=lambda _s: None)
    t.connect()
    yield t
    control.reset()


def trade(executor: JobExecutor, body: str, signal_id: int = 1) -> JobResult:
    intent = parse_alert(body.encode(), ParseContext())
    settings = ExecutionSettings(magic_number=MAGIC, comment=f"tvb:{signal_id}")
    job = TradeJob(
        id=signal_id, signal_id=signal_id, strategy_id=1, intent=intent, settings=settings,
        deadline=datetime.now(UTC) + timedelta(minutes=1),
    )
    result = executor.execute(job)
    assert result.status == "executed", result
    return result


def sl_of(symbol: str) -> float:
    [pos] = mt5.positions_get(symbol=symbol)
    return float(pos.sl)


def test_breakeven_moves_the_stop_to_entry_plus_offset_once_in_profit(terminal: Mt5Broker) -> None:
    executor = JobExecutor(terminal, stops=StopManager())
    trade(executor, "1,buy,EURUSD,vol_lots=1,sl_pips=20,tp_pips=40,betrigger=15,beoffset=2")
    [pos] = mt5.positions_get(symbol="EURUSD")
    entry, first_sl = pos.price_open, pos.sl
    assert len(executor.stops) == 1

    control.set_quote("EURUSD", round(entry + 0.00145, 5))  # 14.5 pips of profit at the bid: not yet
    assert executor.stops.check(terminal) == 0 and sl_of("EURUSD") == first_sl
    control.set_quote("EURUSD", round(entry + 0.00160, 5))  # 16 pips
    assert executor.stops.check(terminal) == 1
    assert sl_of("EURUSD") == pytest.approx(entry + 0.0002)
    assert mt5.positions_get(symbol="EURUSD")[0].tp == pos.tp  # the TP is kept
    control.set_quote("EURUSD", round(entry + 0.00300, 5))
    assert executor.stops.check(terminal) == 0  # breakeven happens once; no trailing was asked for


def test_trailing_follows_the_price_in_steps_and_never_moves_back(terminal: Mt5Broker) -> None:
    executor = JobExecutor(terminal, stops=StopManager())
    trade(executor, "1,buy,EURUSD,vol_lots=1,sl_pips=10,tp_pips=40,trailtrig=15,traildist=10,trailstep=3")
    entry = mt5.positions_get(symbol="EURUSD")[0].price_open

    control.set_quote("EURUSD", round(entry + 0.0016, 5))  # 16 pips: trailing starts 10 pips behind the bid
    assert executor.stops.check(terminal) == 1
    assert sl_of("EURUSD") == pytest.approx(entry + 0.0006)
    control.set_quote("EURUSD", round(entry + 0.0018, 5))  # +2 pips: below the 3-pip step
    assert executor.stops.check(terminal) == 0
    control.set_quote("EURUSD", round(entry + 0.0020, 5))  # +4 pips from the last move
    assert executor.stops.check(terminal) == 1
    assert sl_of("EURUSD") == pytest.approx(entry + 0.0010)
    control.set_quote("EURUSD", round(entry + 0.0017, 5))  # the price falls back: the stop stays
    assert executor.stops.check(terminal) == 0
    assert sl_of("EURUSD") == pytest.approx(entry + 0.0010)


def test_short_positions_are_managed_at_the_ask(terminal: Mt5Broker) -> None:
    executor = JobExecutor(terminal, stops=StopManager())
    trade(executor, "1,sell,GBPUSD,vol_lots=0.5,sl_pips=20,betrigger=10,beoffset=1")
    pos = mt5.positions_get(symbol="GBPUSD")[0]
    spread = mt5.symbol_info_tick("GBPUSD").ask - mt5.symbol_info_tick("GBPUSD").bid
    control.set_quote("GBPUSD", round(pos.price_open - 0.0011 - spread, 5))  # the ask is 11 pips below entry
    assert executor.stops.check(terminal) == 1
    assert sl_of("GBPUSD") == pytest.approx(pos.price_open - 0.0001)


def test_rules_survive_a_restart_and_end_with_their_position(terminal: Mt5Broker, tmp_path: Path) -> None:
    state = tmp_path / "stops.json"
    executor = JobExecutor(terminal, stops=StopManager(state))
    trade(executor, "1,buy,USDJPY,vol_lots=0.2,sl_pips=30,betrigger=20", signal_id=1)
    restarted = StopManager(state)  # a new agent process reads the rules back
    assert [(r.symbol, r.be_trigger, r.pip) for r in restarted.rules()] == [("USDJPY", 20.0, 0.01)]
    trade(executor, "1,closelong,USDJPY", signal_id=2)
    assert restarted.check(terminal) == 0
    assert len(restarted) == 0 and StopManager(state).rules() == []


def test_a_trail_inside_the_stops_level_waits_for_the_price(terminal: Mt5Broker) -> None:
    executor = JobExecutor(terminal, stops=StopManager())
    trade(executor, "1,buy,GBPJPY,vol_lots=0.1,sl_pips=30,traildist=1")  # 1 pip = 10 points < stops level 20
    first = sl_of("GBPJPY")
    assert executor.stops.check(terminal) == 0
    assert sl_of("GBPJPY") == first


def test_a_netting_rule_never_moves_the_stop_of_a_later_entry_of_the_strategy() -> None:
    # netting: the strategy's entry with breakeven, alone in the position; the trader then adds a lot by hand, the
    # strategy closes its share (the trader's lot keeps the position open) and buys again higher, without breakeven;
    # the trader closes his lot. The old rule must not move the stop of the new entry from the old entry's price.
    control.reset()
    control.configure(None, margin_mode="netting", balance=100_000.0)
    control.set_terminal(first_tick_ms=0)
    broker = Mt5Broker(mt5, kind="sim", price_feed=control.set_quote, sleep=lambda _s: None)
    broker.connect()
    try:
        control.set_quote("EURUSD", 1.10000, 1.10010)
        executor = JobExecutor(broker, stops=StopManager())
        trade(executor, "1,buy,EURUSD,vol_lots=1,sl_pips=50,betrigger=15,beoffset=2", signal_id=1)
        assert len(executor.stops) == 1
        mt5_buy, mt5_sell = (MarketOrder(symbol="EURUSD", side=side, volume=1.0, price=0, sl=0, tp=0, magic=0,
                                         comment="manual") for side in (Side.BUY, Side.SELL))
        broker.place_order(mt5_buy)
        trade(executor, "1,closelong,EURUSD", signal_id=2)
        control.set_quote("EURUSD", 1.10200, 1.10210)
        trade(executor, "1,buy,EURUSD,vol_lots=0.4", signal_id=3)
        broker.place_order(mt5_sell)
        [pos] = mt5.positions_get(symbol="EURUSD")
        assert (pos.magic, pos.volume) == (MAGIC, 0.4)  # the strategy's new entry, alone
        sl_before = pos.sl
        # 16 pips above the first entry's price, 4 below the new entry's: the old rule's breakeven would act here
        control.set_quote("EURUSD", 1.10170, 1.10180)
        assert executor.stops.check(broker) == 0
        assert sl_of("EURUSD") == sl_before
        assert len(executor.stops) == 0  # the rule ended with its entry
    finally:
        control.reset()
