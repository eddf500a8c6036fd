"""Intake through the writer on real SQLite: decisions that depend on other alerts hold within one group (the
duplicate check, the daily trade cap, eaoff), the deciding gate is stored, and raw rows read back through the
ORM exactly as the admin API reads them."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlmodel import Session, select

from contract import JobOutcome, JobResult
from server.intake import IntakeResult
from server.models import Job, Signal, SignalStatus
from tests.server.conftest import Store, hold_writer, run

BUY = '{{"symbol":"EURUSD","action":"buy","lots":0.1,"id":"{}"}}'


async def send_together(store: Store, secret: str, bodies: list[str]) -> list[IntakeResult]:
    """Post ``bodies`` while the writer is held, so the writer decides them in one group."""
    gate, held = await hold_writer(store.writer)
    now = datetime.now(UTC)
    futures = [asyncio.ensure_future(store.intake.receive(secret, b.encode(), "text/plain", now)) for b in bodies]
    await asyncio.sleep(0)
    gate.open()
    await held
    return list(await asyncio.gather(*futures))


def statuses(results: list[IntakeResult]) -> list[str]:
    return [r.status for r in results]


def decided_by(store: Store, signal_id: int | None) -> Any:
    return store.rows("SELECT decided_by FROM tv_signals WHERE id = ?", signal_id)[0][0]


def test_two_copies_of_one_alert_in_one_group_trade_once(store: Store) -> None:
    s = store.strategy()
    results = run(send_together(store, s.webhook_secret, [BUY.format("a1"), BUY.format("a1"), "buy EURUSD lots=1"]))
    assert statuses(results) == ["pending", "duplicate", "pending"]
    assert decided_by(store, results[1].signal_id) == "duplicate"
    assert store.rows("SELECT count(*) FROM jobs")[0][0] == 2


def test_identical_bodies_without_an_id_are_duplicates_within_the_window(store: Store) -> None:
    s = store.strategy(dedup_window_seconds=60)
    body = "buy EURUSD lots=0.2"
    results = run(send_together(store, s.webhook_secret, [body, body]))
    assert statuses(results) == ["pending", "duplicate"]
    unwindowed = store.strategy("no window", dedup_window_seconds=0)
    assert statuses(run(send_together(store, unwindowed.webhook_secret, [body, body]))) == ["pending", "pending"]


def test_the_daily_trade_cap_holds_within_one_group_and_frees_a_slot_when_a_trade_fails(store: Store) -> None:
    s = store.strategy(max_trades_per_day=2)
    results = run(send_together(store, s.webhook_secret, [BUY.format(f"c{i}") for i in range(4)]))
    assert statuses(results) == ["pending", "pending", "discarded", "discarded"]
    assert decided_by(store, results[2].signal_id) == "daily_trade_cap"
    # the agent reports the first one failed: it no longer counts toward today's cap
    [job] = run(store.jobs.poll("default", 1, 0))
    run(store.agents.record_results("default", [(job.id, JobResult.refused(JobOutcome.FAILED, "No money."))]))
    assert statuses(run(send_together(store, s.webhook_secret, [BUY.format("c5"), BUY.format("c6")]))) == [
        "pending",
        "discarded",
    ]


def test_eaoff_halts_entries_queued_right_behind_it(store: Store) -> None:
    s = store.strategy()
    results = run(send_together(store, s.webhook_secret, ["eaoff", BUY.format("h1"), "closelong EURUSD"]))
    assert statuses(results) == ["executed", "discarded", "pending"]
    assert [decided_by(store, r.signal_id) for r in results] == ["ea_switch", "halted", None]
    assert store.rows("SELECT trading_halted FROM tv_strategies WHERE id = ?", s.id) == [(1,)]
    assert store.view.catalog.strategies[s.id].trading_halted
    assert statuses(run(send_together(store, s.webhook_secret, ["eaon", BUY.format("h2")]))) == ["executed", "pending"]


def test_unknown_rotated_and_deleted_secrets_store_nothing(store: Store) -> None:
    s = store.strategy()
    assert run(send_together(store, "not-a-secret", [BUY.format("u1")]))[0] == IntakeResult(None, "ignored")
    store.strategies.rotate_secret(s.id)
    assert run(send_together(store, s.webhook_secret, [BUY.format("u2")]))[0].signal_id is None
    assert store.rows("SELECT count(*) FROM tv_signals") == [(0,)]


def test_a_refused_alert_is_final_with_its_sentence_and_reported(store: Store) -> None:
    s = store.strategy()
    store.strategies.update(s.id, is_enabled=False)
    [result] = run(send_together(store, s.webhook_secret, [BUY.format("d1")]))
    assert result.status == "discarded"
    assert store.writer.wait_reported()
    [reported] = store.resolved
    assert (reported.id, reported.status, reported.decided_by) == (result.signal_id, "discarded", "strategy_disabled")


def test_rows_written_by_the_writer_read_back_through_the_orm(store: Store) -> None:
    s = store.strategy(max_signal_age_seconds=120)
    fired = datetime.now(UTC) - timedelta(seconds=30)
    body = f'{{"symbol":"EURUSD","action":"buy","lots":0.1,"time":"{fired.isoformat()}"}}'
    [result] = run(send_together(store, s.webhook_secret, [body]))
    with Session(store.engine) as session:
        signal = session.get(Signal, result.signal_id)
        assert signal is not None and signal.status == SignalStatus.PENDING
        assert signal.received_at.tzinfo is not None and signal.acked_at is not None
        assert signal.alert_time is not None and abs((signal.alert_time - fired).total_seconds()) < 0.001
        assert signal.intent is not None and signal.intent["symbol"] == "EURUSD"
        assert (signal.action, signal.volume, signal.orders, signal.notes) == ("buy", 0.1, [], [])
        job = session.exec(select(Job).where(Job.signal_id == signal.id)).one()
        assert job.payload["settings"]["comment"] == f"tvb:{signal.id}"
        assert job.expires_at is not None
        assert abs((job.expires_at - (fired + timedelta(seconds=120))).total_seconds()) < 0.001
