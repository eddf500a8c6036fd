"""Leases and fencing on the server's real write path (SQLite through the writer), with the lease clock in the
test's hands: one process at a time acts for an agent id; claims, results, hand-backs and snapshots of a replaced
process are refused; takeovers hand the unfinished jobs over, counting deliveries up to quarantine; the watchdog gives
an abandoned signal a provisional outcome that the agent's later result corrects.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from contract import AccountSnapshot, JobOutcome, JobResult, LeaseGrant, LeaseRequest
from server.agents import AgentService, JobNotFound
from server.db import sql_time
from server.intake import AlertIntake
from server.leases import Leases
from server.queue import QUARANTINE_DELIVERIES, STUCK_AFTER_SECONDS, JobQueue, LeaseRefused
from tests.server.conftest import Store, run, start_store

TTL = 30.0


class Clock:
    """The server's monotonic clock, moved by the test."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


class Fenced:
    """The store's writer with a job queue, intake and agent service fenced by leases on a test clock."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self.clock = Clock()
        self.leases = Leases(TTL, clock=self.clock)
        self.queue = JobQueue(store.writer, store.engine, self.leases)
        self.intake = AlertIntake(store.writer, store.view, self.queue)
        self.agents = AgentService(store.writer, self.leases)

    def lease(self, holder: str, **ask: object) -> LeaseGrant:
        return run(self.queue.lease("default", LeaseRequest(holder=holder, **ask)))  # type: ignore[arg-type]

    def alert(self, secret: str, n: int) -> int:
        body = f'{{"symbol":"EURUSD","action":"buy","lots":0.1,"id":"f{n}"}}'.encode()
        result = run(self.intake.receive(secret, body, "text/plain", datetime.now(UTC)))
        assert result.signal_id is not None
        return result.signal_id


@pytest.fixture
def fenced(tmp_path: Path) -> Iterator[Fenced]:
    store = start_store(tmp_path / "l.db")
    yield Fenced(store)
    store.writer.stop()
    store.engine.dispose()


FIRST, SECOND = "first-process", "second-process"


def backdate(fenced: Fenced, job_id: int, ago: timedelta) -> None:
    """Move the job's deadline ``ago`` into the past (its alert's max signal age has passed that long ago)."""
    past = sql_time(datetime.now(UTC) - ago)
    sql = "UPDATE jobs SET expires_at = ? WHERE id = ?"
    run(fenced.store.writer.submit(lambda tx: tx.execute(sql, (past, job_id))))


def test_one_process_holds_the_lease_until_it_lapses_then_the_next_gets_a_new_epoch(fenced: Fenced) -> None:
    grant = fenced.lease(FIRST, host="pc-1", pid=11)
    assert (grant.epoch, grant.took_over, grant.ttl_seconds, grant.margin_seconds) == (1, False, TTL, TTL / 6)
    with pytest.raises(LeaseRefused, match=r"Another agent process on pc-1 \(pid 11\) holds agent id 'default'"):
        fenced.lease(SECOND, host="pc-2", pid=22)
    fenced.clock.now += TTL - 1
    assert fenced.lease(FIRST, epoch=1).epoch == 1  # renewed: lasts TTL from now
    fenced.clock.now += TTL - 1
    with pytest.raises(LeaseRefused):
        fenced.lease(SECOND)
    fenced.clock.now += 2  # the first stopped renewing: its lease lapsed
    second = fenced.lease(SECOND, host="pc-2", pid=22)
    assert (second.epoch, second.took_over) == (2, True)
    with pytest.raises(LeaseRefused, match="took over agent id 'default' \\(lease 2; this one held lease 1\\)"):
        fenced.lease(FIRST, epoch=1)
    assert fenced.store.rows("SELECT epoch, holder, host, pid FROM agent_leases") == [(2, SECOND, "pc-2", 22)]


def test_a_process_holding_the_terminal_lock_takes_over_at_once_and_a_clean_stop_hands_over_at_once(
    fenced: Fenced,
) -> None:
    fenced.lease(FIRST, lock_domain="data-folder-a", lock_held=True)
    with pytest.raises(LeaseRefused):  # another folder's lock proves nothing about the first process
        fenced.lease(SECOND, lock_domain="data-folder-b", lock_held=True)
    # the OS released the first process's lock on data-folder-a: it is dead
    assert fenced.lease(SECOND, lock_domain="data-folder-a", lock_held=True).epoch == 2
    assert run(fenced.queue.release_lease("default", 2, SECOND)) is True
    assert fenced.lease("third-process").epoch == 3  # released: no wait


def test_claims_results_hand_backs_and_snapshots_of_a_replaced_process_are_refused(fenced: Fenced) -> None:
    s = fenced.store.strategy()
    fenced.lease(FIRST)
    ids = [fenced.alert(s.webhook_secret, n) for n in range(3)]
    jobs = run(fenced.queue.poll("default", 2, 0, epoch=1))
    assert [j.signal_id for j in jobs] == ids[:2]
    fenced.clock.now += TTL + 1
    with pytest.raises(LeaseRefused, match="lapsed"):  # a lapsed lease claims nothing, even before a takeover
        run(fenced.queue.poll("default", 1, 0, epoch=1))
    fenced.lease(SECOND)
    with pytest.raises(LeaseRefused, match="took over"):
        run(fenced.queue.poll("default", 1, 0, epoch=1))
    with pytest.raises(LeaseRefused):
        run(fenced.agents.record_results("default", [(jobs[0].id, JobResult(status=JobOutcome.EXECUTED))], 1))
    with pytest.raises(LeaseRefused):
        run(fenced.queue.release("default", [jobs[1].id], 1))
    with pytest.raises(LeaseRefused):
        run(fenced.agents.record_snapshot("default", AccountSnapshot(boot_id="b", seq=1, balance=1.0), 1))
    assert [r[0] for r in fenced.store.rows("SELECT status FROM tv_signals ORDER BY id")] == ["pending"] * 3

    taken = run(fenced.queue.recover("default", 2))  # the new holder takes over what the old one claimed
    assert [(j.signal_id, j.attempts, j.quarantine) for j in taken] == [(ids[0], 2, None), (ids[1], 2, None)]
    assert run(fenced.queue.recover("default", 2)) == taken  # asked again: the same jobs, no extra delivery
    [answer] = run(fenced.agents.record_results("default", [(taken[0].id, JobResult(status=JobOutcome.EXECUTED))], 2))
    assert not isinstance(answer, JobNotFound) and answer[2] == "executed"
    assert [j.signal_id for j in run(fenced.queue.poll("default", 5, 0, epoch=2))] == [ids[2]]


def test_a_waiting_poll_of_a_replaced_process_never_gets_a_job(fenced: Fenced) -> None:
    s = fenced.store.strategy()
    fenced.lease(FIRST)

    async def scenario() -> list[object]:
        poll = asyncio.ensure_future(fenced.queue.poll("default", 4, 10.0, epoch=1))
        await asyncio.sleep(0)  # the poll has queued its op
        await fenced.store.writer.submit(lambda tx: None)  # ... and it was applied: the poll now waits
        assert not poll.done()
        fenced.clock.now += TTL + 1
        await fenced.queue.lease("default", LeaseRequest(holder=SECOND))
        stolen = await poll  # ended, empty, by the new grant
        body = b'{"symbol":"EURUSD","action":"buy","lots":0.1}'
        await fenced.intake.receive(s.webhook_secret, body, "text/plain", datetime.now(UTC))
        return [stolen, await fenced.queue.poll("default", 4, 0, epoch=2)]

    stolen, mine = run(scenario())
    assert stolen == [] and [j.id for j in mine] == [1]  # type: ignore[attr-defined]
    assert fenced.store.rows("SELECT status, lease_epoch FROM jobs") == [("claimed", 2)]


def test_a_job_delivered_three_times_without_a_result_is_quarantined(fenced: Fenced) -> None:
    s = fenced.store.strategy()
    fenced.lease("process-1", lock_domain="pc", lock_held=True)
    signal_id = fenced.alert(s.webhook_secret, 1)
    [job] = run(fenced.queue.poll("default", 1, 0, epoch=1))
    assert job.attempts == 1
    for n in range(2, QUARANTINE_DELIVERIES + 1):  # each process dies holding it; the next takes it over
        epoch = fenced.lease(f"process-{n}", lock_domain="pc", lock_held=True).epoch
        [job] = run(fenced.queue.recover("default", epoch))
    assert job.attempts == QUARANTINE_DELIVERIES
    assert job.quarantine is not None and job.quarantine.startswith("Quarantined: this alert was handed to an agent 3")
    [notes] = fenced.store.rows("SELECT notes FROM tv_signals WHERE id = ?", signal_id)[0]
    assert "Quarantined by the server" in notes and "never sent again" in notes


def test_the_watchdog_gives_an_abandoned_signal_a_provisional_outcome_that_the_agent_corrects(fenced: Fenced) -> None:
    s = fenced.store.strategy()
    fenced.lease(FIRST)
    signal_id = fenced.alert(s.webhook_secret, 1)
    [job] = run(fenced.queue.poll("default", 1, 0, epoch=1))
    backdate(fenced, job.id, timedelta(minutes=1))
    fenced.queue.expire_overdue()  # past its deadline, but its agent holds a live lease: it decides itself
    assert fenced.store.rows("SELECT status FROM tv_signals") == [("pending",)]

    fenced.clock.now += TTL + 1  # the agent hangs: its lease lapses
    fenced.queue.expire_overdue()
    [(status, error, decided_by)] = fenced.store.rows("SELECT status, error_message, decided_by FROM tv_signals")
    assert (status, decided_by) == ("failed", "watchdog")
    assert error.startswith("Outcome unknown, check the terminal") and f"tvb:{signal_id}" in error
    assert fenced.store.writer.wait_reported()  # the listener runs on the writer's report thread
    assert [x.status for x in fenced.store.resolved] == ["failed"]  # the tray is told
    assert fenced.store.rows("SELECT status FROM jobs") == [("lapsed",)]

    fenced.lease(FIRST, epoch=1)  # it comes back before anybody took over, and reports what it did
    executed = JobResult(status=JobOutcome.EXECUTED, fill_price=1.1, notes=["sent"])
    run(fenced.agents.record_results("default", [(job.id, executed)], 1))
    [(status, error, decided_by, notes)] = fenced.store.rows(
        "SELECT status, error_message, decided_by, notes FROM tv_signals"
    )
    assert (status, error, decided_by) == ("executed", None, "agent")
    assert "Outcome unknown" in notes and "corrected" in notes  # the log shows both, in order
    assert fenced.store.writer.wait_reported()
    assert [x.status for x in fenced.store.resolved] == ["failed", "executed"]


def test_a_job_its_live_agent_never_reports_gets_a_provisional_outcome_after_a_grace(fenced: Fenced) -> None:
    """An agent that lost a job (its claim answer never arrived, or it gave up reporting it) keeps its lease: the
    watchdog leaves the job to it while it could still be running, then gives the signal a provisional outcome
    rather than leaving it pending for as long as that agent lives; the agent's later report corrects it."""
    s = fenced.store.strategy()
    fenced.lease(FIRST)
    signal_id = fenced.alert(s.webhook_secret, 1)
    [job] = run(fenced.queue.poll("default", 1, 0, epoch=1))
    backdate(fenced, job.id, timedelta(seconds=STUCK_AFTER_SECONDS - 60))
    fenced.queue.expire_overdue()
    assert fenced.store.rows("SELECT status FROM tv_signals") == [("pending",)]  # it may still be reporting it

    backdate(fenced, job.id, timedelta(seconds=STUCK_AFTER_SECONDS + 1))
    fenced.lease(FIRST, epoch=1)  # still renewing: alive
    fenced.queue.expire_overdue()
    [(status, error, decided_by)] = fenced.store.rows("SELECT status, error_message, decided_by FROM tv_signals")
    assert (status, decided_by) == ("failed", "watchdog")
    assert error.startswith("Outcome unknown, check the terminal: the agent 'default' took this alert at ")
    assert "has not reported it 15 minutes after its max signal age, although it is still connected" in error
    assert f"tvb:{signal_id}" in error
    assert fenced.store.rows("SELECT status FROM jobs") == [("lapsed",)]
    fenced.queue.expire_overdue()  # once
    assert fenced.store.writer.wait_reported()
    assert [x.status for x in fenced.store.resolved] == ["failed"]

    [again] = run(fenced.queue.recover("default", 1))  # the agent takes over what it holds and does not know
    assert again.id == job.id
    run(fenced.agents.record_results("default", [(job.id, JobResult(status=JobOutcome.EXECUTED, fill_price=1.1))], 1))
    assert fenced.store.rows("SELECT status, decided_by FROM tv_signals") == [("executed", "agent")]
