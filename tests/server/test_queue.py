"""The job queue on real SQLite through the writer: claims are exactly-once and durable before a job is handed out,
a waiting poll gets its job from the very commit that stores it, and nothing is left stuck when a poll gives up."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Any

from contract import JobOutcome, JobResult, TradeJob
from server.models import JobStatus
from server.queue import expire_overdue
from tests.server.conftest import Store, hold_writer, run


def alert(store: Store, secret: str, n: int) -> int:
    body = f'{{"symbol":"EURUSD","action":"buy","lots":0.1,"id":"q{n}"}}'.encode()
    result = run(store.intake.receive(secret, body, "text/plain", datetime.now(UTC)))
    assert result.status == "pending" and result.signal_id is not None
    return result.signal_id


async def applied(store: Store) -> None:
    """Return once every op queued so far is committed: ops are applied in order, so an op queued after them
    comes back only then."""
    await asyncio.sleep(0)  # tasks started just before have queued their ops
    await store.writer.submit(lambda tx: None)


async def waiting_poll(store: Store, agent_id: str, max_jobs: int) -> asyncio.Future[list[TradeJob]]:
    """A long-poll that found nothing queued and now waits for the next job."""
    poll = asyncio.ensure_future(store.jobs.poll(agent_id, max_jobs, 10.0))
    await applied(store)
    assert not poll.done()
    return poll


def receive(store: Store, secret: str, body: bytes) -> asyncio.Future[Any]:
    return asyncio.ensure_future(store.intake.receive(secret, body, "text/plain", datetime.now(UTC)))


def job_status(store: Store, job_id: int) -> tuple[str, str | None, int]:
    [row] = store.rows("SELECT status, claimed_by, attempts FROM jobs WHERE id = ?", job_id)
    return row


def test_concurrent_polls_claim_every_job_exactly_once(store: Store) -> None:
    s = store.strategy(rate_limit_per_second=1000)  # 60 alerts at once: above the default rate limit
    for n in range(60):
        alert(store, s.webhook_secret, n)

    async def drain() -> list[int]:
        claimed: list[int] = []

        async def poller() -> None:
            while jobs := await store.jobs.poll("default", 4, 0):
                claimed.extend(j.id for j in jobs)

        await asyncio.gather(*(poller() for _ in range(8)))
        return claimed

    claimed = run(drain())
    assert sorted(claimed) == list(range(1, 61))
    assert store.rows("SELECT DISTINCT status, claimed_by, attempts FROM jobs") == [("claimed", "default", 1)]


def test_claims_are_per_agent_and_oldest_first(store: Store) -> None:
    a = store.strategy("a", agent_id="a")
    b = store.strategy("b", agent_id="b")
    first, second = alert(store, a.webhook_secret, 1), alert(store, a.webhook_secret, 2)
    other = alert(store, b.webhook_secret, 3)
    assert [j.signal_id for j in run(store.jobs.poll("b", 10, 0))] == [other]
    assert run(store.jobs.poll("b", 10, 0)) == []
    assert [j.signal_id for j in run(store.jobs.poll("a", 10, 0))] == [first, second]
    assert [j.signal_id for j in store.jobs.reads.unfinished("a")] == [first, second]


def test_a_waiting_poll_gets_the_job_from_the_commit_that_stores_it(store: Store) -> None:
    s = store.strategy()

    async def scenario() -> tuple[list[TradeJob], int, int]:
        poll = await waiting_poll(store, "default", 8)
        before = store.writer.groups
        body = b'{"symbol":"EURUSD","action":"buy","lots":0.1}'
        stored = await store.intake.receive(s.webhook_secret, body, "text/plain", datetime.now(UTC))
        jobs = await poll
        assert stored.signal_id is not None
        return jobs, stored.signal_id, store.writer.groups - before

    jobs, signal_id, groups = run(scenario())
    assert [j.signal_id for j in jobs] == [signal_id]
    assert groups == 1  # one commit stored the signal, its job AND the claim: one fsync from alert to agent
    assert job_status(store, jobs[0].id) == ("claimed", "default", 1)


def test_a_poll_takes_every_job_of_its_commit_up_to_its_batch(store: Store) -> None:
    s = store.strategy()

    async def scenario() -> list[TradeJob]:
        poll = await waiting_poll(store, "default", 3)
        gate, held = await hold_writer(store.writer)
        sent = [receive(store, s.webhook_secret, f"buy EURUSD lots=0.{n + 1}".encode()) for n in range(5)]
        await asyncio.sleep(0)
        gate.open()
        await held
        await asyncio.gather(*sent)
        return await poll

    jobs = run(scenario())
    assert [j.id for j in jobs] == [1, 2, 3]
    assert [r[0] for r in store.rows("SELECT status FROM jobs ORDER BY id")] == ["claimed"] * 3 + ["queued"] * 2


def test_a_job_claimed_for_a_poll_that_gave_up_goes_back_to_the_queue(store: Store) -> None:
    s = store.strategy()

    async def scenario() -> list[TradeJob]:
        poll = await waiting_poll(store, "default", 1)
        gate, held = await hold_writer(store.writer)
        stored = receive(store, s.webhook_secret, b"buy EURUSD lots=1")
        await asyncio.sleep(0)
        store.jobs.polls.shutdown()  # the server stops (or the agent went away) while the job is stored for it
        assert await poll == []
        gate.open()
        await held
        await stored
        await applied(store)  # the job's release is a writer op of its own, submitted from the loop
        assert job_status(store, 1) == ("queued", None, 0)
        store.jobs.polls.closed = False
        return await store.jobs.poll("default", 1, 0)

    again = run(scenario())
    assert [j.id for j in again] == [1]
    assert job_status(store, 1) == ("claimed", "default", 1)  # handed out once, to the poll that is there


def test_release_hands_back_only_this_agents_claimed_jobs(store: Store) -> None:
    s = store.strategy()
    for n in range(3):
        alert(store, s.webhook_secret, n)
    jobs = run(store.jobs.poll("default", 2, 0))
    run(store.agents.record_results("default", [(jobs[0].id, JobResult(status=JobOutcome.EXECUTED))]))
    assert run(store.jobs.release("other-agent", [jobs[1].id])) == 0
    assert run(store.jobs.release("default", [jobs[0].id, jobs[1].id, 3])) == 1  # done and queued stay as they are
    assert [r[0] for r in store.rows("SELECT status FROM jobs ORDER BY id")] == ["done", "queued", "queued"]


def test_overdue_jobs_expire_with_their_signal_and_cannot_be_claimed(store: Store) -> None:
    s = store.strategy()
    late, fresh = alert(store, s.webhook_secret, 1), alert(store, s.webhook_secret, 2)
    past = "UPDATE jobs SET expires_at = '2000-01-01 00:00:00.000000' WHERE signal_id = ?"
    run(store.writer.submit(lambda tx: tx.execute(past, (late,))))
    assert store.jobs.expire_overdue() == [late]
    assert store.rows("SELECT status, decided_by FROM tv_signals WHERE id = ?", late) == [("expired", "expiry")]
    assert "max signal age" in store.rows("SELECT error_message FROM tv_signals WHERE id = ?", late)[0][0]
    assert [j.signal_id for j in run(store.jobs.poll("default", 5, 0))] == [fresh]
    assert run(store.writer.submit(expire_overdue)) == []
    assert {r[0] for r in store.rows("SELECT status FROM jobs")} == {JobStatus.EXPIRED.value, JobStatus.CLAIMED.value}


def test_results_are_idempotent_and_refuse_other_agents_jobs(store: Store) -> None:
    s = store.strategy()
    signal_id = alert(store, s.webhook_secret, 1)
    [job] = run(store.jobs.poll("default", 1, 0))
    done = JobResult(status=JobOutcome.EXECUTED, fill_price=1.1, notes=["ok"])
    first = run(store.agents.record_results("default", [(job.id, done)]))
    again = run(store.agents.record_results("default", [(job.id, JobResult.refused(JobOutcome.FAILED, "late copy"))]))
    assert first == again == [(job.id, signal_id, "executed")]
    [foreign] = run(store.agents.record_results("intruder", [(job.id, done)]))
    assert isinstance(foreign, LookupError)
    assert store.rows("SELECT status, fill_price, notes, decided_by FROM tv_signals") == [
        ("executed", 1.1, '["ok"]', "agent")
    ]
    assert store.writer.wait_reported()
    [reported] = store.resolved  # reported once, with what the tray's notification shows
    assert (reported.status, reported.symbol, reported.action, reported.volume) == ("executed", "EURUSD", "buy", 0.1)


def test_polls_that_timed_out_are_forgotten(store: Store) -> None:
    async def idle_polls() -> None:
        for _ in range(20):
            assert await store.jobs.poll("default", 8, 0.001) == []

    run(idle_polls())
    run(store.jobs.poll("default", 8, 0.001))
    assert store.jobs.polls.held("default") == 1  # only the last one, ended, until the next poll forgets it
