"""The signal life cycle where issue 13's features meet (approval, several accounts, the daily trade cap, the
duplicate gate), on real SQLite through the writer as the runtime composes it: the agents' reports go through the
same service the agent routes call."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlmodel import Session

from contract import AccountSnapshot, JobOutcome, JobResult
from server.db import from_sql_time
from server.flow.approval import Decision, approve, reject
from server.intake import IntakeResult
from server.models import AppSettings
from server.queue import expire_overdue
from tests.server.conftest import Store, grouped, run, start_store

SECOND = "second"


def post(store: Store, secret: str, body: str) -> IntakeResult:
    return run(store.intake.receive(secret, body.encode(), "application/json", datetime.now(UTC)))


def report(store: Store, agent_id: str, result: JobResult) -> None:
    [job] = run(store.jobs.poll(agent_id, 1, 0))
    [answer] = run(store.agents.record_results(agent_id, [(job.id, result)]))
    assert not isinstance(answer, Exception), answer


def partly_executed(store: Store, secret: str, body: str) -> int:
    """An alert that executes on the primary account and is refused on the second one: the signal ends
    ``failed`` ("Executed on 'default' only ...") although it traded."""
    sent = post(store, secret, body)
    assert sent.status == "pending" and sent.signal_id is not None
    report(store, "default", JobResult(status=JobOutcome.EXECUTED, fill_price=1.1))
    report(store, SECOND, JobResult.refused(JobOutcome.REJECTED, "Below the minimum volume on this account."))
    [(status, error)] = store.rows("SELECT status, error_message FROM tv_signals WHERE id = ?", sent.signal_id)
    assert status == "failed" and error.startswith("Executed on 'default' only; rejected on 'second': ")
    return sent.signal_id


def test_a_signal_that_traded_on_one_account_counts_toward_the_daily_trade_cap_after_a_restart(tmp_path: Path) -> None:
    path = tmp_path / "cap.db"
    store = start_store(path)
    try:
        s = store.strategy("capped", max_trades_per_day=1, accounts=[{"agent_id": SECOND, "volume_multiplier": 0.5}])
        partly_executed(store, s.webhook_secret, '{"symbol":"EURUSD","action":"buy","lots":0.1,"id":"a1"}')
        assert post(store, s.webhook_secret, '{"symbol":"EURUSD","action":"buy","lots":0.1,"id":"a2"}').status == (
            "discarded"
        )
    finally:
        store.writer.stop()
        store.engine.dispose()
    store = start_store(path)  # the counters are read back from the database
    try:
        third = post(store, s.webhook_secret, '{"symbol":"EURUSD","action":"buy","lots":0.1,"id":"a3"}')
        assert third.status == "discarded", "the cap forgot a trade across the restart"
        [(error,)] = store.rows("SELECT error_message FROM tv_signals WHERE id = ?", third.signal_id)
        assert error.startswith("Daily trade cap reached: 1 of 1 trades today")
    finally:
        store.writer.stop()
        store.engine.dispose()


def test_a_repeat_of_an_alert_that_traded_on_some_accounts_is_a_duplicate(store: Store) -> None:
    """A signal that executed on one account of two ends ``failed``, yet it traded: the same alert id again (or
    the identical message within the dedup window) must not trade that account a second time."""
    s = store.strategy("repeats", accounts=[{"agent_id": SECOND, "volume_multiplier": 0.5}])
    first = partly_executed(store, s.webhook_secret, '{"symbol":"EURUSD","action":"buy","lots":0.1,"id":"r1"}')
    by_id = post(store, s.webhook_secret, '{"symbol":"EURUSD","action":"buy","lots":0.2,"id":"r1"}')
    assert by_id.status == "duplicate"
    body = '{"symbol":"GBPUSD","action":"sell","lots":0.1}'
    second = partly_executed(store, s.webhook_secret, body)
    again = post(store, s.webhook_secret, body)
    assert again.status == "duplicate"
    errors = [e for (e,) in store.rows("SELECT error_message FROM tv_signals WHERE id IN (?, ?) ORDER BY id",
                                       by_id.signal_id, again.signal_id)]
    assert errors[0].startswith(f"Duplicate of signal #{first} (alert id 'r1')")
    assert errors[1].startswith(f"Duplicate of signal #{second} (an identical message within 60 s)")
    assert store.rows("SELECT count(*) FROM jobs WHERE status = 'queued'") == [(0,)]  # nothing more to trade


def test_a_repeat_by_meaning_of_an_alert_that_traded_on_some_accounts_is_a_duplicate(store: Store) -> None:
    s = store.strategy("meaning", dedup_by="meaning", accounts=[{"agent_id": SECOND, "volume_multiplier": 0.5}])
    first = partly_executed(store, s.webhook_secret, '{"symbol":"EURUSD","action":"buy","lots":0.1}')
    again = post(store, s.webhook_secret, '{"symbol":"EURUSD","action":"buy","lots":0.3,"price":1.2}')
    assert again.status == "duplicate"
    [(error,)] = store.rows("SELECT error_message FROM tv_signals WHERE id = ?", again.signal_id)
    assert error.startswith(f"Duplicate of signal #{first} (the same EURUSD buy without a timeframe")


def test_a_result_for_a_job_no_agent_was_handed_changes_nothing(store: Store) -> None:
    """Only a job an agent claimed can have a result: a report for a job still held for the trader's approval (or
    still queued) must not decide its signal — that would trade past the approval, or end a signal whose job is
    still to be sent."""
    s = store.strategy("held", require_approval=True)
    waiting = post(store, s.webhook_secret, '{"symbol":"EURUSD","action":"buy","lots":0.1}')
    assert waiting.status == "awaiting_approval"
    [(held,)] = store.rows("SELECT id FROM jobs WHERE signal_id = ?", waiting.signal_id)
    [answer] = run(store.agents.record_results("default", [(held, JobResult(status=JobOutcome.EXECUTED))]))
    assert isinstance(answer, LookupError) and "not handed to an agent" in str(answer)
    assert store.rows("SELECT status FROM tv_signals WHERE id = ?", waiting.signal_id) == [("awaiting_approval",)]
    assert store.rows("SELECT status, result FROM jobs WHERE id = ?", held) == [("held", None)]

    plain = store.strategy("queued")
    queued = post(store, plain.webhook_secret, '{"symbol":"GBPUSD","action":"buy","lots":0.1}')
    [(job_id,)] = store.rows("SELECT id FROM jobs WHERE signal_id = ?", queued.signal_id)
    [answer] = run(store.agents.record_results("default", [(job_id, JobResult(status=JobOutcome.EXECUTED))]))
    assert isinstance(answer, LookupError)
    assert store.rows("SELECT status FROM tv_signals WHERE id = ?", queued.signal_id) == [("pending",)]
    [job] = run(store.jobs.poll("default", 1, 0))  # still handed out, once, to the agent that claims it
    assert job.id == job_id


def test_racing_decisions_on_one_waiting_signal_end_it_once(store: Store) -> None:
    """Two approvals (dashboard and tray) and a rejection arrive together with the expiry sweep: the writer applies
    them one after the other, so exactly one decides; the others are told what became of the signal."""
    s = store.strategy("race", require_approval=True, accounts=[{"agent_id": SECOND, "volume_multiplier": 0.5}])
    waiting = post(store, s.webhook_secret, '{"symbol":"EURUSD","action":"buy","lots":0.1}')
    signal_id = waiting.signal_id
    assert signal_id is not None
    ops: list[Callable[[Any], object]] = [
        lambda tx: approve(tx, signal_id, "dashboard", store.jobs.queued),
        lambda tx: approve(tx, signal_id, "tray", store.jobs.queued),
        lambda tx: reject(tx, signal_id, "cli", "too late"),
        expire_overdue,
    ]
    first, second, third, expired = run(grouped(store.writer, ops))
    assert isinstance(first, Decision) and first.done and first.status == "pending"
    assert isinstance(second, Decision) and not second.done
    assert second.message == f"Signal #{signal_id} was already approved: it is with its agent and will be traded once."
    assert isinstance(third, Decision) and not third.done
    assert expired == []
    assert store.rows("SELECT agent_id, status FROM jobs WHERE signal_id = ? ORDER BY id", signal_id) == [
        ("default", "queued"), (SECOND, "queued")
    ]
    [(notes,)] = store.rows("SELECT notes FROM tv_signals WHERE id = ?", signal_id)
    assert notes.count("Approved by the trader") == 1


def test_an_account_whose_agent_is_offline_expires_and_the_signal_ends_with_a_true_sentence(store: Store) -> None:
    s = store.strategy("offline", accounts=[{"agent_id": SECOND, "volume_multiplier": 0.5}])
    sent = post(store, s.webhook_secret, '{"symbol":"EURUSD","action":"buy","lots":0.1}')
    report(store, "default", JobResult(status=JobOutcome.EXECUTED, fill_price=1.1))
    assert store.rows("SELECT status FROM tv_signals WHERE id = ?", sent.signal_id) == [("pending",)]
    past = "UPDATE jobs SET expires_at = '2000-01-01 00:00:00.000000' WHERE signal_id = ? AND agent_id = ?"
    run(store.writer.submit(lambda tx: tx.execute(past, (sent.signal_id, SECOND))))
    store.jobs.expire_overdue()
    [(status, error, decided_by)] = store.rows(
        "SELECT status, error_message, decided_by FROM tv_signals WHERE id = ?", sent.signal_id
    )
    assert (status, decided_by) == ("failed", "agent")
    assert error.startswith("Executed on 'default' only; expired on 'second': Not executed: no agent picked it up")
    assert "Check that the agent 'second' is running" in error and "The accounts now differ" in error
    assert store.writer.wait_reported()
    assert [x.status for x in store.resolved] == ["failed"]  # reported once, when the last account ended


def test_a_repeat_of_an_alert_awaiting_approval_is_a_duplicate(store: Store) -> None:
    s = store.strategy("repeat waiting", require_approval=True)
    body = '{"symbol":"EURUSD","action":"buy","lots":0.1,"id":"w1"}'
    waiting = post(store, s.webhook_secret, body)
    again = post(store, s.webhook_secret, body)
    assert (waiting.status, again.status) == ("awaiting_approval", "duplicate")
    assert store.rows("SELECT count(*) FROM jobs") == [(1,)]  # one job, held: approving trades it once


def test_yesterdays_loss_does_not_discard_todays_alerts_before_the_agent_reports_today(tmp_path: Path) -> None:
    """The daily loss limit counts today's (UTC) realised loss. Until the agent posts its first snapshot of the day
    (it is still connecting, or its terminal is closed), the latest snapshot is yesterday's: its loss must not
    discard today's alerts — neither in the running server nor after a restart, which reads it back."""
    path = tmp_path / "loss.db"
    store = start_store(path)
    try:
        store.writer.run_session(_loss_limit(2.0))
        s = store.strategy("fresh day", accounts=[{"agent_id": SECOND, "volume_multiplier": 0.5}])
        yesterday = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0) - timedelta(minutes=1)
        for agent_id in ("default", SECOND):  # each lost 5 % yesterday, its limit 2 %
            snap = AccountSnapshot(boot_id="b", seq=1, taken_at=yesterday, balance=9500.0, day_start_balance=10_000.0,
                                   realized_pnl_today=-500.0)
            assert run(store.agents.record_snapshot(agent_id, snap))
        first = post(store, s.webhook_secret, '{"symbol":"EURUSD","action":"buy","lots":0.1,"id":"d1"}')
        assert first.status == "pending", "yesterday's loss discarded today's alert"
        assert store.rows("SELECT agent_id, status FROM jobs WHERE signal_id = ? ORDER BY id", first.signal_id) == [
            ("default", "queued"), (SECOND, "queued")
        ]
    finally:
        store.writer.stop()
        store.engine.dispose()
    store = start_store(path)
    try:
        again = post(store, s.webhook_secret, '{"symbol":"EURUSD","action":"buy","lots":0.1,"id":"d2"}')
        assert again.status == "pending"
        today = AccountSnapshot(boot_id="c", seq=1, taken_at=datetime.now(UTC), balance=9700.0,
                                day_start_balance=10_000.0, realized_pnl_today=-300.0)
        assert run(store.agents.record_snapshot("default", today))  # today's loss past the limit: that one counts
        assert post(store, s.webhook_secret, '{"symbol":"EURUSD","action":"buy","lots":0.1,"id":"d3"}').status == (
            "discarded"
        )
    finally:
        store.writer.stop()
        store.engine.dispose()


def test_a_further_account_past_its_daily_loss_limit_at_approval_is_discarded_and_the_others_go_ahead(
    store: Store,
) -> None:
    """Each further account's own daily loss limit is judged at intake, and again when the trader approves a held
    signal: the account lost past its limit while the signal waited, so its held job ends ``discarded`` with the
    same sentence as at intake; the primary account is approved and trades; the signal ends by the fan-out rule."""
    store.writer.run_session(_loss_limit(2.0))
    s = store.strategy("approve after a loss", require_approval=True,
                       accounts=[{"agent_id": SECOND, "volume_multiplier": 0.5}])
    waiting = post(store, s.webhook_secret, '{"symbol":"EURUSD","action":"buy","lots":0.1}')
    assert waiting.status == "awaiting_approval" and waiting.signal_id is not None
    signal_id = waiting.signal_id
    lost = AccountSnapshot(boot_id="b", seq=1, taken_at=datetime.now(UTC), balance=9500.0, day_start_balance=10_000.0,
                           realized_pnl_today=-500.0)  # 5 % lost today on the second account, its limit 2 %
    assert run(store.agents.record_snapshot(SECOND, lost))

    decision = run(store.writer.submit(lambda tx: approve(tx, signal_id, "dashboard", store.jobs.queued)))
    assert decision.done and decision.status == "pending", decision
    jobs = store.rows("SELECT agent_id, status, claimed_by, result FROM jobs WHERE signal_id = ? ORDER BY id",
                      signal_id)
    assert [(a, st, c) for a, st, c, _ in jobs] == [("default", "queued", None), (SECOND, "done", None)]
    refusal = json.loads(jobs[1][3])
    assert refusal["status"] == "discarded"
    assert refusal["error_message"] == (
        "Not sent on this account: its realised loss today (500.00) reached the daily loss limit of 2% of its day's "
        "starting balance (200.00). It trades new alerts again tomorrow (00:00 UTC), or raise the daily loss limit "
        "in Settings."
    )
    assert run(store.jobs.poll(SECOND, 1, 0)) == []  # never handed to the account's agent
    [(notes,)] = store.rows("SELECT notes FROM tv_signals WHERE id = ?", signal_id)
    assert json.loads(notes)[-1].endswith(
        "UTC. Not sent on 'second': its realised loss today reached the daily loss limit (Settings)."
    )

    report(store, "default", JobResult(status=JobOutcome.EXECUTED, fill_price=1.1))
    [(status, error)] = store.rows("SELECT status, error_message FROM tv_signals WHERE id = ?", signal_id)
    assert status == "failed"
    assert error.startswith("Executed on 'default' only; discarded on 'second': Not sent on this account: its "
                            "realised loss today (500.00) reached the daily loss limit")


def test_a_signal_approved_just_before_its_max_age_expires_with_a_sentence_about_the_approval(store: Store) -> None:
    """A signal approved shortly before its max signal age passes can expire before an agent takes it. The trader
    must read what happened (approved when, how long before the max age passed, what to do), not only "no agent
    picked it up"; a signal that never waited for approval keeps that sentence."""
    s = store.strategy("approved late", require_approval=True, max_signal_age_seconds=30, agent_id="offline")
    waiting = post(store, s.webhook_secret, '{"symbol":"EURUSD","action":"buy","lots":0.1}')
    assert waiting.status == "awaiting_approval" and waiting.signal_id is not None
    signal_id = waiting.signal_id
    [(deadline,)] = store.rows("SELECT expires_at FROM jobs WHERE signal_id = ?", signal_id)
    approved_at = from_sql_time(deadline) - timedelta(seconds=4)  # the trader approves with 4 s of its 30 s left
    decision = store.writer.run(lambda tx: _approve_at(tx, approved_at, signal_id, store))
    assert decision.done, decision
    store.writer.run(lambda tx: _expire_at(tx, approved_at + timedelta(seconds=5)))  # no agent took it meanwhile
    [(status, error, decided_by)] = store.rows(
        "SELECT status, error_message, decided_by FROM tv_signals WHERE id = ?", signal_id
    )
    assert (status, decided_by) == ("expired", "expiry")
    assert error == (
        f"Not executed: approved at {approved_at:%H:%M:%S} UTC, 4 s before its max signal age of 30 s passed, and no "
        "agent took it in time. Approve waiting signals sooner, or raise the strategy's max signal age (and check "
        "that the agent 'offline' is running and MetaTrader 5 is connected)."
    )
    assert store.writer.wait_reported()
    assert [(x.id, x.error_message) for x in store.resolved] == [(signal_id, error)]

    plain = store.strategy("never held", agent_id="offline")
    sent = post(store, plain.webhook_secret, '{"symbol":"GBPUSD","action":"buy","lots":0.1}')
    store.writer.run(lambda tx: _expire_at(tx, tx.now + timedelta(hours=1)))
    [(error,)] = store.rows("SELECT error_message FROM tv_signals WHERE id = ?", sent.signal_id)
    assert error == (
        "Not executed: no agent picked it up within the strategy's max signal age. Check that the agent 'offline' is "
        "running and MetaTrader 5 is connected."
    )


def _approve_at(tx: Any, when: datetime, signal_id: int, store: Store) -> Decision:
    """The trader's approval as the writer applies it at ``when``."""
    tx.now = when
    return approve(tx, signal_id, "tray", store.jobs.queued)


def _expire_at(tx: Any, when: datetime) -> list[int]:
    """The expiry sweep as it runs at ``when`` (the writer's clock moved on)."""
    tx.now = when
    return expire_overdue(tx)


def _loss_limit(pct: float) -> Callable[[Session], None]:
    def write(session: Session) -> None:
        row = session.get(AppSettings, 1) or AppSettings(id=1)
        row.daily_loss_limit_pct = pct
        session.add(row)
        session.commit()

    return write
