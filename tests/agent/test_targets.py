"""Take-profit levels through the real executor, the MT5 adapter and the simulator: a restart half-way through a
hedging entry sends only the missing levels; on netting the target monitor closes each level's share once, even
when its memory of the close is lost (the close is found by its comment)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest

import agent.mt5sim as mt5
from agent.broker.models import MarketOrder, Side
from agent.executor import JobExecutor
from agent.mt5.adapter import Mt5Broker
from agent.mt5sim import control
from agent.targets import TargetMonitor
from contract import TradeJob
from contract.intent import AlertFormat, TradeIntent
from contract.settings import ExecutionSettings
from server.alerts import ParseContext, parse_alert

MAGIC = 70_707
_ids = iter(range(500, 1_000_000))


def broker_for(mode: str) -> Mt5Broker:
    control.reset()
    control.configure(None, margin_mode=mode, balance=10_000.0)
    control.set_terminal(first_tick_ms=0)
    broker = Mt5Broker(mt5, kind="sim", price_feed=control.set_quote, sleep=lambda _s: None)
    broker.connect()
    control.set_quote("EURUSD", 1.10000, 1.10010)
    return broker


@pytest.fixture
def hedging() -> Iterator[Mt5Broker]:
    yield broker_for("hedging")
    control.reset()


@pytest.fixture
def netting() -> Iterator[Mt5Broker]:
    yield broker_for("netting")
    control.reset()


def job(body: str, **settings: object) -> TradeJob:
    n = next(_ids)
    intent: TradeIntent = parse_alert(body.encode(), ParseContext())
    assert intent.format == AlertFormat.PINECONNECTOR
    return TradeJob(
        id=n, signal_id=n, strategy_id=1, intent=intent,
        settings=ExecutionSettings.model_validate({"magic_number": MAGIC, "comment": f"tvb:{n}", **settings}),
        deadline=datetime.now(UTC) + timedelta(minutes=5), claimed_at=datetime.now(UTC),
    )


LEVELS = "1,buy,EURUSD,vol_lots=1,sl=50,tp1=10,tp2=20,tp3=30,tp1_share=50"


def test_a_restart_after_tp1_was_sent_sends_only_tp2_and_tp3(hedging: Mt5Broker) -> None:
    j = job(LEVELS)
    # the agent died right after TP1's order: the terminal holds it under its level comment
    hedging.place_order(MarketOrder(
        symbol="EURUSD", side=Side.BUY, volume=0.5, price=1.1001, sl=1.0951, tp=1.1011, magic=MAGIC,
        comment=f"tvb:{j.signal_id}/1",
    ))
    result = JobExecutor(hedging).reconcile(j)
    assert result is not None and result.status == "executed", result
    assert result.reconciled
    assert [o.volume for o in result.orders] == [0.5, 0.25, 0.25]
    assert "TP2 1.10210" in result.orders[1].description and "TP3 1.10310" in result.orders[2].description
    assert any("TP1 were found at the broker" in n and "only TP2, TP3 were sent" in n for n in result.notes)
    held = sorted((p.volume, p.tp, p.comment) for p in hedging.positions(magic=MAGIC))
    assert held == [
        (0.25, 1.1021, f"tvb:{j.signal_id}/2"), (0.25, 1.1031, f"tvb:{j.signal_id}/3"),
        (0.5, 1.1011, f"tvb:{j.signal_id}/1"),
    ]
    # every level found: nothing is sent again
    again = JobExecutor(hedging).reconcile(j)
    assert again is not None and len(again.orders) == 3 and len(hedging.positions(magic=MAGIC)) == 3



def test_a_restart_finds_levels_by_their_own_tag_behind_a_long_comment(hedging: Mt5Broker) -> None:
    j = job(f'{LEVELS},comment="london breakout test"')
    tag = f"tvb:{j.signal_id}"
    # TP1 was sent before the crash, with the alert's text after its level tag; beside it, positions of the signal
    # whose id starts with this one's (tvb:<id>0) at level 2 and 3: neither is this signal's TP2 or TP3
    sent = {f"{tag}/1 london breakout": 1.1011, f"{tag}0/2 x": 1.1021, f"{tag}0/3": 1.1031}
    for comment, tp in sent.items():
        hedging.place_order(MarketOrder(
            symbol="EURUSD", side=Side.BUY, volume=0.5, price=1.1001, sl=1.0951, tp=tp, magic=MAGIC,
            comment=comment,
        ))
    result = JobExecutor(hedging).reconcile(j)
    assert result is not None and result.status == "executed", result
    assert [o.volume for o in result.orders] == [0.5, 0.25, 0.25]
    ours = sorted(p.comment for p in hedging.positions(magic=MAGIC) if not p.comment.startswith(f"{tag}0/"))
    # the ones sent now carry the alert's text cut to the 27 characters, never the tag or the level
    assert ours == [f"{tag}/1 london breakout", f"{tag}/2 london breakout t", f"{tag}/3 london breakout t"]
    again = JobExecutor(hedging).reconcile(j)
    assert again is not None and len(again.orders) == 3 and len(hedging.positions(magic=MAGIC)) == 5

def test_netting_levels_close_once_each(netting: Mt5Broker) -> None:
    executor = JobExecutor(netting)
    j = job(LEVELS)
    result = executor.execute(j)
    assert result.status == "executed", result
    (pos,) = netting.positions()
    assert (pos.volume, pos.tp) == (1.0, 1.1031)
    assert [lv.lots for lv in executor.targets.rules()[0].levels] == [0.5, 0.25]

    control.set_quote("EURUSD", 1.10105, 1.10115)  # below TP1 1.10110: nothing
    assert executor.targets.check(netting) == []
    control.set_quote("EURUSD", 1.10112, 1.10122)
    (tp1,) = executor.targets.check(netting)
    assert (tp1.number, tp1.lots, tp1.price) == (1, 0.5, 1.10112)
    assert netting.positions()[0].volume == 0.5
    assert executor.targets.check(netting) == []  # done: never twice

    # the monitor forgets that TP1 was closed (a crash before it saved): the close is found by its comment
    forgetful = TargetMonitor()
    rule = executor.targets.rules()[0]
    for lv in rule.levels:
        lv.done = False
    forgetful.add(rule)
    assert forgetful.check(netting) == []
    assert netting.positions()[0].volume == 0.5
    control.set_quote("EURUSD", 1.10212, 1.10222)
    (tp2,) = forgetful.check(netting)
    assert (tp2.number, tp2.lots) == (2, 0.25)
    assert len(forgetful) == 0  # every watched level is closed; TP3 is the broker's
    control.set_quote("EURUSD", 1.10312, 1.10322)
    assert netting.positions() == ()
    comments = [d.comment for d in netting.deals_since(datetime.now(UTC) - timedelta(days=1))]
    assert comments.count(f"tvb:{j.signal_id}/tp1") == 1 and comments.count(f"tvb:{j.signal_id}/tp2") == 1


def test_a_closed_entrys_levels_never_close_a_later_entry_of_the_same_strategy(netting: Mt5Broker) -> None:
    # the trader holds 1 lot long by hand; the strategy's entry with levels adds 1 lot to the one netting position
    netting.place_order(MarketOrder(
        symbol="EURUSD", side=Side.BUY, volume=1.0, price=1.1001, sl=0, tp=0, magic=0, comment="manual",
    ))
    executor = JobExecutor(netting)
    first = job(LEVELS, shared_stops="allow")  # its SL/TP become the trader's lot's too
    assert executor.execute(first).status == "executed"
    assert len(executor.targets) == 1
    # the strategy closes its share (the trader's lot keeps the position open), then buys again without levels
    assert executor.execute(job("1,closelong,EURUSD")).status == "executed"
    assert executor.execute(job("1,buy,EURUSD,vol_lots=0.4")).status == "executed"
    (pos,) = netting.positions()
    assert pos.volume == 1.4
    # the price reaches the closed entry's TP1: the new entry is not that signal's, nothing of it is closed
    control.set_quote("EURUSD", 1.10112, 1.10122)
    assert executor.targets.check(netting) == []
    assert netting.positions()[0].volume == 1.4
    assert len(executor.targets) == 0
    comments = [d.comment for d in netting.deals_since(datetime.now(UTC) - timedelta(days=1))]
    assert f"tvb:{first.signal_id}/tp1" not in comments


def test_an_unknown_outcome_at_tp1_that_executed_still_sends_tp2_and_tp3(hedging: Mt5Broker) -> None:
    # TP1's order_send times out, yet the trade server filled it: it is found by its comment, never sent twice,
    # and the levels after it are sent (the entry is not left at half its volume with one target)
    control.inject_fault("timeout", executed=True)
    j = job(LEVELS)
    result = JobExecutor(hedging).execute(j)
    assert result.status == "executed", result
    held = sorted((p.volume, p.tp, p.comment) for p in hedging.positions(magic=MAGIC))
    assert held == [
        (0.25, 1.1021, f"tvb:{j.signal_id}/2"), (0.25, 1.1031, f"tvb:{j.signal_id}/3"),
        (0.5, 1.1011, f"tvb:{j.signal_id}/1"),
    ]
    assert [o.volume for o in result.orders] == [0.5, 0.25, 0.25]


def test_an_unknown_outcome_of_a_netting_entry_with_levels_that_executed_still_watches_them(
    netting: Mt5Broker,
) -> None:
    control.inject_fault("timeout", executed=True)
    executor = JobExecutor(netting)
    result = executor.execute(job(LEVELS))
    assert result.status == "executed", result
    (pos,) = netting.positions()
    assert (pos.volume, pos.tp) == (1.0, 1.1031)
    # the entry was found at the broker: its TP1 and TP2 are watched as if the send had answered
    assert [(lv.number, lv.lots) for lv in executor.targets.rules()[0].levels] == [(1, 0.5), (2, 0.25)]
    control.set_quote("EURUSD", 1.10112, 1.10122)
    (tp1,) = executor.targets.check(netting)
    assert (tp1.number, tp1.lots) == (1, 0.5)


@pytest.mark.parametrize("limit", [{"max_entries_per_direction": 1}, {"max_open_positions": 1}])
def test_a_restart_after_tp1_sends_tp2_and_tp3_under_a_one_entry_limit(
    hedging: Mt5Broker, limit: dict[str, int]
) -> None:
    # the TP1 position the crash left behind is this same entry: it does not use up the strategy's one entry
    j = job(LEVELS, **limit)
    hedging.place_order(MarketOrder(
        symbol="EURUSD", side=Side.BUY, volume=0.5, price=1.1001, sl=1.0951, tp=1.1011, magic=MAGIC,
        comment=f"tvb:{j.signal_id}/1",
    ))
    result = JobExecutor(hedging).reconcile(j)
    assert result is not None and result.status == "executed", result
    assert [o.volume for o in result.orders] == [0.5, 0.25, 0.25]
    assert sorted(p.comment for p in hedging.positions(magic=MAGIC)) == [
        f"tvb:{j.signal_id}/1", f"tvb:{j.signal_id}/2", f"tvb:{j.signal_id}/3",
    ]


@pytest.mark.parametrize("mode", ["hedging", "netting"])
def test_after_the_strategy_closes_half_each_level_closes_half_of_its_lots(mode: str) -> None:
    # as on hedging, where each level's position is halved, a netting entry's watched levels shrink with the share:
    # TP1 does not close all that is left, so the later levels still have their part
    broker = broker_for(mode)
    netting = mode == "netting"

    def held() -> float:
        return round(sum(p.volume for p in broker.positions()), 2)

    try:
        executor = JobExecutor(broker)
        assert executor.execute(job(LEVELS)).status == "executed"  # TP1 0.5, TP2 0.25, TP3 0.25 lots
        assert executor.execute(job("1,closelongpct,EURUSD,risk=50")).status == "executed"
        assert held() == (0.5 if netting else 0.51)  # hedging rounds each position's half down: 0.25, 0.13, 0.13
        control.set_quote("EURUSD", 1.10112, 1.10122)  # TP1: half of its 0.5 lots
        closes = executor.targets.check(broker)
        assert [(c.number, c.lots) for c in closes] == ([(1, 0.25)] if netting else [])
        assert held() == (0.25 if netting else 0.26)
        control.set_quote("EURUSD", 1.10212, 1.10222)  # TP2: half of its 0.25 lots, rounded down to the step
        closes = executor.targets.check(broker)
        assert [(c.number, c.lots) for c in closes] == ([(2, 0.12)] if netting else [])
        assert held() == 0.13  # what TP3 closes
    finally:
        control.reset()


def test_a_netting_entry_the_broker_refused_leaves_no_levels_watched(netting: Mt5Broker) -> None:
    control.inject_fault("market_closed")
    executor = JobExecutor(netting)
    assert executor.execute(job(LEVELS)).status == "failed"
    assert len(executor.targets) == 0 and netting.positions() == ()
    control.inject_fault("timeout", executed=False)  # never reached the trade server: not found, nothing watched
    assert executor.execute(job(LEVELS)).status == "failed"
    assert len(executor.targets) == 0 and netting.positions() == ()
