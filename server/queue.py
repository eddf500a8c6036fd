"""The job queue: jobs live in SQLite, agents long-poll for them in batches, and a waiting poll gets a new job in
the very transaction that stores it.

Every change is a writer op (:mod:`server.writer`), so claims are serial: a job is claimed by one agent exactly
once, and the claim is durable before the agent sees the job (a server crash can never hand it out twice).

A poll first claims what is queued for its agent. When nothing is, it leaves a :class:`Waiter` with the writer;
the op that stores the agent's next job claims it for that waiter in the same transaction, and the job is handed
over on the event loop once the transaction is durable — one fsync from alert to agent. A waiter that gave up in
the meantime (time-out, disconnect, shutdown) gets nothing: its jobs go back to ``queued`` (:func:`release`).
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections import defaultdict
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Engine, func
from sqlmodel import Session, select

from contract import TradeJob
from server.db import from_sql_time, sql_time
from server.flow.outcome import job_count, settle
from server.models import Job, JobStatus, Signal, SignalStatus
from server.writer import Writer, WriteTx

logger = logging.getLogger(__name__)

#: Most jobs one poll takes.
MAX_BATCH = 64

#: Seconds between two "agent seen" writes of one agent.
TOUCH_SECONDS = 5.0

# Every statement that hands out jobs returns the columns trade_job() reads, in this order:
# id, signal_id, payload, attempts, claimed_at, expires_at.
_CLAIM_ONE = """
UPDATE jobs SET status = 'claimed', claimed_by = ?, claimed_at = ?, attempts = attempts + 1 WHERE id = ?
RETURNING id, signal_id, payload, attempts, claimed_at, expires_at
"""
_CLAIM_OLDEST = """
UPDATE jobs SET status = 'claimed', claimed_by = ?, claimed_at = ?, attempts = attempts + 1
WHERE id IN (SELECT id FROM jobs WHERE status = 'queued' AND agent_id = ? ORDER BY id LIMIT ?)
RETURNING id, signal_id, payload, attempts, claimed_at, expires_at
"""
_UNFINISHED = """
SELECT id, signal_id, payload, attempts, claimed_at, expires_at FROM jobs
WHERE agent_id = ? AND status = 'claimed' ORDER BY id
"""
_RELEASE = """
UPDATE jobs SET status = 'queued', claimed_by = NULL, claimed_at = NULL, attempts = max(attempts - 1, 0)
WHERE id = ? AND agent_id = ? AND status = 'claimed' RETURNING id
"""
_TOUCH = """
INSERT INTO agents (id, last_seen_at) VALUES (?, ?)
ON CONFLICT(id) DO UPDATE SET last_seen_at = excluded.last_seen_at
"""


def trade_job(row: Sequence[Any]) -> TradeJob:
    """The wire shape (:class:`contract.TradeJob`) of a ``jobs`` row: id, signal_id, payload, attempts, claimed_at,
    expires_at."""
    job_id, signal_id, payload, attempts, claimed_at, expires_at = row
    spec = json.loads(payload) if isinstance(payload, str) else payload
    return TradeJob.model_validate(
        {
            **spec,
            "id": job_id,
            "signal_id": signal_id,
            "attempts": attempts,
            "claimed_at": from_sql_time(claimed_at),
            "deadline": from_sql_time(expires_at),
        }
    )


@dataclass(eq=False)
class Waiter:
    """A long-poll of ``agent_id`` waiting for up to ``max_jobs`` jobs. ``future`` (on the event loop) receives the
    claimed rows; ``gone`` is set on the loop when the poll stopped waiting."""

    agent_id: str
    max_jobs: int
    future: asyncio.Future[list[TradeJob]]
    gone: bool = False
    rows: list[Sequence[Any]] = field(default_factory=list)


class Polls:
    """Waiting polls by agent. The writer thread registers (:meth:`add`) and takes (:meth:`take`) them; the event
    loop abandons them (:meth:`abandon`) or releases them all at shutdown (:meth:`shutdown`)."""

    def __init__(self) -> None:
        self._waiting: dict[str, list[Waiter]] = defaultdict(list)
        #: Set at shutdown: every waiting poll returns at once (no job) and new polls do not wait.
        self.closed = False

    def add(self, tx: WriteTx, waiter: Waiter) -> None:
        """Register ``waiter`` (writer thread); dropped again if the op's group is not committed. Polls of the agent
        that ended meanwhile are forgotten here, so an idle agent's list stays as short as its live polls."""
        waiting = self._waiting[waiter.agent_id]
        waiting[:] = [w for w in waiting if not w.gone]
        waiting.append(waiter)
        tx.on_undo(lambda: _discard(waiting, waiter))

    def take(self, tx: WriteTx, agent_id: str) -> Waiter | None:
        """The poll of ``agent_id`` that takes the group's next job, or ``None`` (writer thread).

        A waiter leaves the waiting list with the first job of a group and takes more of that group's jobs up to
        its ``max_jobs``; it is answered once the group is committed, so it never holds a job that is not durable.
        """
        key = ("poll", agent_id)
        taken: Waiter | None = tx.local.get(key)
        if taken is not None and len(taken.rows) < taken.max_jobs:
            return taken
        waiting = self._waiting.get(agent_id)
        while waiting:
            waiter = waiting.pop(0)
            tx.on_undo(lambda w=waiter, waiting=waiting: waiting.insert(0, w))  # type: ignore[misc]
            if waiter.gone:
                continue
            tx.local[key] = waiter
            tx.on_undo(lambda: tx.local.pop(key, None))
            return waiter
        return None

    def held(self, agent_id: str) -> int:
        """How many polls of ``agent_id`` the registry holds (live ones, and ended ones not forgotten yet)."""
        return len(self._waiting.get(agent_id, ()))

    def abandon(self, waiter: Waiter) -> None:
        """The poll stopped waiting (event loop). Jobs the writer claimed for it meanwhile are released."""
        waiter.gone = True
        if not waiter.future.done():
            waiter.future.cancel()

    def shutdown(self) -> None:
        """Release every waiting poll (event loop); later polls return at once."""
        self.closed = True
        for waiting in list(self._waiting.values()):
            for waiter in list(waiting):
                waiter.gone = True
                if not waiter.future.done():
                    waiter.future.set_result([])


def _discard(waiting: list[Waiter], waiter: Waiter) -> None:
    if waiter in waiting:
        waiting.remove(waiter)


def hand_over(tx: WriteTx, polls: Polls, agent_id: str, job_id: int, release: Callable[[list[int]], None]) -> bool:
    """Claim the job ``job_id`` (just queued) for a waiting poll of ``agent_id``, if there is one (writer thread).

    The claim is part of the current group; the job reaches the poll on the event loop after the commit, or goes
    back to the queue through ``release`` when the poll gave up meanwhile. Returns True when a poll took it.
    """
    waiter = polls.take(tx, agent_id)
    if waiter is None:
        return False
    row = tx.execute(_CLAIM_ONE, (agent_id, sql_time(tx.now), job_id)).fetchone()
    if not waiter.rows:
        tx.on_loop(lambda: _deliver(waiter, release))
    waiter.rows.append(row)
    tx.on_undo(lambda: waiter.rows.remove(row))
    return True


def _deliver(waiter: Waiter, release: Callable[[list[int]], None]) -> None:
    """On the event loop, after the commit: the claimed jobs to the poll, or back to the queue if it is gone."""
    rows, waiter.rows = waiter.rows, []
    if waiter.gone or waiter.future.done():
        release([int(r[0]) for r in rows])
        return
    waiter.gone = True
    waiter.future.set_result([trade_job(r) for r in rows])


def claim(tx: WriteTx, agent_id: str, max_jobs: int) -> list[TradeJob]:
    """Claim up to ``max_jobs`` of ``agent_id``'s queued jobs, oldest first, and mark the agent as seen."""
    touch(tx, agent_id)
    rows = tx.execute(_CLAIM_OLDEST, (agent_id, sql_time(tx.now), agent_id, max_jobs)).fetchall()
    return [trade_job(r) for r in sorted(rows, key=lambda r: int(r[0]))]


def claim_or_wait(tx: WriteTx, polls: Polls, waiter: Waiter) -> list[TradeJob]:
    """Claim the waiter's agent's queued jobs; when there are none, leave ``waiter`` for the next job."""
    jobs = claim(tx, waiter.agent_id, waiter.max_jobs)
    if not jobs and not polls.closed:
        polls.add(tx, waiter)
    return jobs


def release(
    tx: WriteTx, polls: Polls, agent_id: str, job_ids: Iterable[int], on_release: Callable[[list[int]], None]
) -> int:
    """Put ``agent_id``'s claimed jobs ``job_ids`` back in the queue (it never started them: a poll that gave up,
    an agent stopping with jobs in hand); a waiting poll takes them at once. Returns how many went back."""
    back = 0
    for job_id in job_ids:
        if tx.execute(_RELEASE, (job_id, agent_id)).fetchone() is not None:
            back += 1
            hand_over(tx, polls, agent_id, job_id, on_release)
    return back


def touch(tx: WriteTx, agent_id: str) -> None:
    """Mark the agent as seen now, at most every :data:`TOUCH_SECONDS` (a poll that finds nothing then writes
    nothing, so its commit costs no fsync)."""
    now = time.monotonic()
    if now - tx.counters.seen.get(agent_id, -TOUCH_SECONDS) < TOUCH_SECONDS:
        return
    tx.execute(_TOUCH, (agent_id, sql_time(tx.now)))
    tx.counters.seen[agent_id] = now


def expire_overdue(tx: WriteTx) -> list[int]:
    """Expire queued and held jobs past their deadline with their signals; return the expired signal ids.

    A signal older than its strategy's max age is never executed late (docs/architecture.md), and a signal that
    waited for the trader's approval that long ends ``expired`` too (``held`` jobs, :mod:`server.flow.approval`).
    Claimed jobs are the agent's to judge: it checks the deadline before the first ``order_send``. A job of a signal
    with several accounts expires on its own; the signal ends once all its accounts have (:mod:`server.flow.outcome`).
    """
    now = sql_time(tx.now)
    overdue = tx.execute(
        "SELECT id, signal_id, agent_id, status FROM jobs WHERE status IN (?, ?) AND expires_at < ?",
        (JobStatus.QUEUED.value, JobStatus.HELD.value, now),
    ).fetchall()
    expired: list[int] = []
    for job_id, signal_id, agent_id, job_status in overdue:
        held = job_status == JobStatus.HELD.value
        message = (
            "Not executed: it waited for your approval longer than the strategy's max signal age and expired. "
            "Approve waiting signals sooner, or raise the strategy's max signal age."
            if held
            else "Not executed: no agent picked it up within the strategy's max signal age. "
            f"Check that the agent '{agent_id}' is running and MetaTrader 5 is connected."
        )
        tx.execute(
            "UPDATE jobs SET status = ?, finished_at = ?, result = ? WHERE id = ?",
            (
                JobStatus.EXPIRED.value,
                now,
                json.dumps({"status": SignalStatus.EXPIRED.value, "error_message": message, "expiry": True}),
                job_id,
            ),
        )
        if signal_id is None:
            continue
        if job_count(tx, signal_id) > 1:
            if settle(tx, signal_id) == SignalStatus.EXPIRED.value:
                expired.append(signal_id)
            continue
        found = tx.execute(
            "UPDATE tv_signals SET status = ?, error_message = ?, resolved_at = ?, decided_by = 'expiry'"
            " WHERE id = ? AND status IN (?, ?) RETURNING strategy_id, created_at, symbol, action, volume",
            (
                SignalStatus.EXPIRED.value,
                message,
                now,
                signal_id,
                SignalStatus.PENDING.value,
                SignalStatus.AWAITING_APPROVAL.value,
            ),
        ).fetchone()
        if found is None:
            continue
        strategy_id, created_at, symbol, action, volume = found
        tx.counters.counted(strategy_id, from_sql_time(created_at) or tx.now, -1)
        tx.resolved(
            Signal(
                id=signal_id, strategy_id=strategy_id, status=SignalStatus.EXPIRED, symbol=symbol, action=action,
                volume=volume, error_message=message, resolved_at=tx.now, decided_by="expiry",
            )
        )
        expired.append(signal_id)
    if expired:
        logger.warning("expired %d signal(s) not executed in time: %s", len(expired), expired)
    return expired


class JobReads:
    """Reads of the job queue through the readers' engine (blocking: call from a worker thread on the loop)."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def unfinished(self, agent_id: str) -> list[TradeJob]:
        """Jobs ``agent_id`` claimed but never finished (it crashed or was killed mid-job), oldest first."""
        with self._engine.connect() as conn:
            rows = conn.exec_driver_sql(_UNFINISHED, (agent_id,)).fetchall()
        return [trade_job(r) for r in rows]

    def last_finished_signal(self, agent_id: str) -> int | None:
        """The newest signal whose job for ``agent_id`` is done (``None`` when there is none)."""
        with Session(self._engine) as session:
            stmt = select(func.max(Job.signal_id)).where(Job.agent_id == agent_id, Job.status == JobStatus.DONE)
            return session.exec(stmt).one()



class JobQueue:
    """The job queue as the routes, the intake and the sweeper use it: ops on ``writer``, reads on ``engine``."""

    def __init__(self, writer: Writer, engine: Engine) -> None:
        self.writer = writer
        self.polls = Polls()
        self.reads = JobReads(engine)
        self._background: set[asyncio.Task[Any]] = set()

    def queued(self, tx: WriteTx, agent_id: str, job_id: int) -> None:
        """A job was just inserted for ``agent_id`` (writer thread): a waiting poll takes it in the same group."""
        hand_over(tx, self.polls, agent_id, job_id, self._release_later(agent_id))

    async def poll(
        self, agent_id: str, max_jobs: int, wait: float, disconnected: Callable[[], Awaitable[bool]] | None = None
    ) -> list[TradeJob]:
        """Claim up to ``max_jobs`` of the agent's jobs, waiting up to ``wait`` seconds for the first one.

        Returns at once with what is queued; otherwise as soon as a job is committed for the agent (the list
        then holds every job of that commit, up to ``max_jobs``), or empty after ``wait`` seconds, at shutdown,
        or when ``disconnected()`` says the client is gone (checked every few seconds).
        """
        loop = asyncio.get_running_loop()
        if wait <= 0 or self.polls.closed:
            return await self.writer.submit(lambda tx: claim(tx, agent_id, max_jobs))
        waiter = Waiter(agent_id, max_jobs, loop.create_future())
        jobs = await self.writer.submit(lambda tx: claim_or_wait(tx, self.polls, waiter))
        if jobs:
            return jobs
        deadline = loop.time() + wait
        while not waiter.future.done():
            remaining = deadline - loop.time()
            if remaining <= 0 or self.polls.closed:
                break
            await asyncio.wait({waiter.future}, timeout=min(remaining, 5.0))
            if not waiter.future.done() and disconnected is not None and await disconnected():
                break
        if waiter.future.done() and not waiter.future.cancelled():
            return waiter.future.result()
        self.polls.abandon(waiter)
        return []

    async def release(self, agent_id: str, job_ids: list[int]) -> int:
        """Put the agent's claimed, never started jobs back in the queue; returns how many went back."""
        return await self.writer.submit(
            lambda tx: release(tx, self.polls, agent_id, job_ids, self._release_later(agent_id))
        )

    def _release_later(self, agent_id: str) -> Callable[[list[int]], None]:
        def later(job_ids: list[int]) -> None:  # on the event loop: a poll gave up while its jobs were committed
            logger.info("jobs %s of agent %s go back to the queue (their poll had ended)", job_ids, agent_id)
            task = asyncio.get_running_loop().create_task(self.release(agent_id, job_ids))
            self._background.add(task)
            task.add_done_callback(self._background.discard)

        return later

    def expire_overdue(self) -> list[int]:
        """Expire queued jobs past their deadline (see :func:`expire_overdue`). Blocking: the sweeper calls it from
        a worker thread once a second.

        :raises StorageUnavailable: the database could not be written (the next sweep tries again).
        """
        return self.writer.run(expire_overdue)
