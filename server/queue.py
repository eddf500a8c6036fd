"""The job queue: jobs live in SQLite, agents long-poll for them in batches, and a waiting poll gets a new job in
the very transaction that stores it.

Every change is a writer op (:mod:`server.writer`), so claims are serial: a job is claimed by one agent exactly
once, and the claim is durable before the agent sees the job (a server crash can never hand it out twice).

A poll first claims what is queued for its agent. When nothing is, it leaves a :class:`Waiter` with the writer;
the op that stores the agent's next job claims it for that waiter in the same transaction, and the job is handed
over on the event loop once the transaction is durable — one fsync from alert to agent. A waiter that gave up in
the meantime (time-out, disconnect, shutdown) gets nothing: its jobs go back to ``queued`` (:func:`release`).

Fencing (:mod:`server.leases`): a poll carries its process's lease epoch; a claim needs that epoch's lease to be
live, records the epoch on the job, and a waiting poll of an older epoch never gets a job. When a new epoch is
granted, the new holder takes over every job claimed under an older one (:func:`recover`): each such hand-out
counts as a delivery, and a job delivered :data:`QUARANTINE_DELIVERIES` times without a result is quarantined:
handed out only to be looked up at the broker, never to be sent again.

The watchdog (:func:`lapse_abandoned`, with the expiry sweep every second): a claimed job past its deadline whose
claiming lease is no longer live (its agent hung or vanished) gets a provisional outcome, ``failed`` with a sentence
saying the outcome is unknown and the terminal must be checked; the next holder's result replaces it
(:func:`server.agents.record_result`).
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections import defaultdict
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Engine, func
from sqlmodel import Session, select

from contract import AgentProgress, JobResult, LeaseGrant, LeaseRefusal, LeaseRequest, TradeJob
from server.db import from_sql_time, sql_time
from server.flow.outcome import job_count, settle
from server.leases import Leases
from server.models import Job, JobStatus, Signal, SignalStatus
from server.writer import Writer, WriteTx

logger = logging.getLogger(__name__)

#: Most jobs one poll takes.
MAX_BATCH = 64

#: Seconds between two "agent seen" writes of one agent.
TOUCH_SECONDS = 5.0

#: Deliveries of one job without a result after which the server quarantines it (the agent died twice with it in
#: hand): from then on it is only looked up at the broker. The agent's own crash journal (agent/crashes.py) does the
#: same after two deaths *while executing it*; this count holds when that journal is lost or the agent moved.
QUARANTINE_DELIVERIES = 3

# Every statement that hands out jobs returns the columns trade_job() reads, in this order:
# id, signal_id, payload, attempts, claimed_at, expires_at, job_type, quarantined_at.
_CLAIM_ONE = """
UPDATE jobs SET status = 'claimed', claimed_by = ?, claimed_at = ?, attempts = attempts + 1, lease_epoch = ?
WHERE id = ? RETURNING id, signal_id, payload, attempts, claimed_at, expires_at, job_type, quarantined_at
"""
_CLAIM_OLDEST = """
UPDATE jobs SET status = 'claimed', claimed_by = ?, claimed_at = ?, attempts = attempts + 1, lease_epoch = ?
WHERE id IN (SELECT id FROM jobs WHERE status = 'queued' AND agent_id = ? ORDER BY id LIMIT ?)
RETURNING id, signal_id, payload, attempts, claimed_at, expires_at, job_type, quarantined_at
"""
# ... and the claiming lease epoch last.
_UNFINISHED = """
SELECT id, signal_id, payload, attempts, claimed_at, expires_at, job_type, quarantined_at, lease_epoch FROM jobs
WHERE agent_id = ? AND status IN ('claimed', 'lapsed') ORDER BY id
"""
_RELEASE = """
UPDATE jobs SET status = 'queued', claimed_by = NULL, claimed_at = NULL, attempts = max(attempts - 1, 0),
    lease_epoch = NULL
WHERE id = ? AND agent_id = ? AND status = 'claimed' AND (? IS NULL OR lease_epoch = ?) RETURNING id
"""
_TOUCH = """
INSERT INTO agents (id, last_seen_at) VALUES (?, ?)
ON CONFLICT(id) DO UPDATE SET last_seen_at = excluded.last_seen_at
"""


def trade_job(row: Sequence[Any]) -> TradeJob:
    """The wire shape (:class:`contract.TradeJob`) of a ``jobs`` row: id, signal_id, payload, attempts, claimed_at,
    expires_at, job_type, quarantined_at (as the claim statements return them)."""
    job_id, signal_id, payload, attempts, claimed_at, expires_at, job_type, quarantined_at = row
    spec = json.loads(payload) if isinstance(payload, str) else payload
    return TradeJob.model_validate(
        {
            **spec,
            "id": job_id,
            "kind": "dry_run" if job_type == "dry_run" else "trade",
            "signal_id": signal_id or 0,
            "attempts": attempts,
            "claimed_at": from_sql_time(claimed_at),
            "deadline": from_sql_time(expires_at),
            "quarantine": None if quarantined_at is None else quarantine_sentence(int(attempts)),
        }
    )


def quarantine_sentence(deliveries: int) -> str:
    """The sentence a job quarantined by the server ends with when nothing of it is found at the broker."""
    return (
        f"Quarantined: this alert was handed to an agent {deliveries} times and the agent stopped {deliveries - 1} "
        f"times while holding it, so it was not tried again (one alert must not keep the agent from trading the "
        f"others). Nothing of it was found at the broker. Check the alert's numbers, and send it again if you still "
        f"want the trade; the agent's log has details."
    )


class LeaseRefused(Exception):
    """A request of an agent process that does not hold its agent id's lease (or whose lease lapsed);
    ``refusal.sentence`` says which."""

    def __init__(self, refusal: LeaseRefusal) -> None:
        super().__init__(refusal.sentence)
        self.refusal = refusal


@dataclass(eq=False)
class Waiter:
    """A long-poll of ``agent_id`` waiting for up to ``max_jobs`` jobs. ``future`` (on the event loop) receives the
    claimed rows; ``gone`` is set on the loop when the poll stopped waiting."""

    agent_id: str
    max_jobs: int
    future: asyncio.Future[list[TradeJob]]
    gone: bool = False
    rows: list[Sequence[Any]] = field(default_factory=list)
    #: The lease epoch of the polling process (``None``: an in-process caller without a lease).
    epoch: int | None = None


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

    def take(self, tx: WriteTx, agent_id: str, fenced: Callable[[Waiter], bool] = lambda _w: False) -> Waiter | None:
        """The poll of ``agent_id`` that takes the group's next job, or ``None`` (writer thread). A poll that
        ``fenced`` refuses (its process no longer holds a live lease) is dropped, never given a job.

        A waiter leaves the waiting list with the first job of a group and takes more of that group's jobs up to
        its ``max_jobs``; it is answered once the group is committed, so it never holds a job that is not durable.
        """
        key = ("poll", agent_id)
        taken: Waiter | None = tx.local.get(key)
        if taken is not None and len(taken.rows) < taken.max_jobs and not fenced(taken):
            return taken
        waiting = self._waiting.get(agent_id)
        while waiting:
            waiter = waiting.pop(0)
            tx.on_undo(lambda w=waiter, waiting=waiting: waiting.insert(0, w))  # type: ignore[misc]
            if waiter.gone:
                continue
            if fenced(waiter):
                tx.on_loop(lambda w=waiter: self.abandon(w))  # type: ignore[misc]
                continue
            tx.local[key] = waiter
            tx.on_undo(lambda: tx.local.pop(key, None))
            return waiter
        return None

    def fence(self, tx: WriteTx, agent_id: str, epoch: int) -> None:
        """A new lease ``epoch`` was granted for ``agent_id`` (writer thread): polls of older epochs end, empty,
        once the group is committed; they can never take a job."""
        for waiter in list(self._waiting.get(agent_id, ())):
            if waiter.epoch is not None and waiter.epoch < epoch:
                tx.on_loop(lambda w=waiter: self.abandon(w))  # type: ignore[misc]

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


def hand_over(
    tx: WriteTx, polls: Polls, agent_id: str, job_id: int, release: Callable[[list[int]], None],
    leases: Leases | None = None,
) -> bool:
    """Claim the job ``job_id`` (just queued) for a waiting poll of ``agent_id``, if there is one whose process
    holds the agent id's live lease (writer thread).

    The claim is part of the current group; the job reaches the poll on the event loop after the commit, or goes
    back to the queue through ``release`` when the poll gave up meanwhile. Returns True when a poll took it.
    """

    def fenced(waiter: Waiter) -> bool:
        return leases is not None and waiter.epoch is not None and leases.live_epoch(tx, agent_id) != waiter.epoch

    waiter = polls.take(tx, agent_id, fenced)
    if waiter is None:
        return False
    row = tx.execute(_CLAIM_ONE, (agent_id, sql_time(tx.now), waiter.epoch, job_id)).fetchone()
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


def claim(
    tx: WriteTx, agent_id: str, max_jobs: int, epoch: int | None = None, leases: Leases | None = None
) -> list[TradeJob] | LeaseRefusal:
    """Claim up to ``max_jobs`` of ``agent_id``'s queued jobs, oldest first, for the process of lease ``epoch``
    (refused unless that lease is live), and mark the agent as seen."""
    if epoch is not None and leases is not None and (refusal := leases.check(tx, agent_id, epoch, live=True)):
        return refusal
    touch(tx, agent_id)
    rows = tx.execute(_CLAIM_OLDEST, (agent_id, sql_time(tx.now), epoch, agent_id, max_jobs)).fetchall()
    return [trade_job(r) for r in sorted(rows, key=lambda r: int(r[0]))]


def claim_or_wait(
    tx: WriteTx, polls: Polls, waiter: Waiter, leases: Leases | None = None
) -> list[TradeJob] | LeaseRefusal:
    """Claim the waiter's agent's queued jobs; when there are none, leave ``waiter`` for the next job."""
    jobs = claim(tx, waiter.agent_id, waiter.max_jobs, waiter.epoch, leases)
    if not jobs and not polls.closed:
        polls.add(tx, waiter)
    return jobs


def release(
    tx: WriteTx, polls: Polls, agent_id: str, job_ids: Iterable[int], on_release: Callable[[list[int]], None],
    epoch: int | None = None, leases: Leases | None = None,
) -> int | LeaseRefusal:
    """Put ``agent_id``'s claimed jobs ``job_ids`` back in the queue (it never started them: a poll that gave up,
    an agent stopping with jobs in hand); a waiting poll takes them at once. Returns how many went back. Only the
    newest lease epoch may hand jobs back, and only the jobs it claimed itself."""
    if epoch is not None and leases is not None and (refusal := leases.check(tx, agent_id, epoch, live=False)):
        return refusal
    back = 0
    for job_id in job_ids:
        if tx.execute(_RELEASE, (job_id, agent_id, epoch, epoch)).fetchone() is not None:
            back += 1
            hand_over(tx, polls, agent_id, job_id, on_release, leases)
    return back


def recover(tx: WriteTx, agent_id: str, epoch: int, leases: Leases) -> list[TradeJob] | LeaseRefusal:
    """Hand the process of lease ``epoch`` every job of ``agent_id`` claimed and never finished (its agent died,
    hung, or was fenced off), for reconciliation at the broker before anything else is sent (writer thread).

    A job claimed under an older epoch is re-claimed under ``epoch`` (its first ``claimed_at`` kept: the broker is
    searched from there) and counts one more delivery; the :data:`QUARANTINE_DELIVERIES`-th delivery quarantines
    it, with a note on its signal. Jobs already under ``epoch`` (a repeated call) are handed out unchanged.
    """
    if refusal := leases.check(tx, agent_id, epoch, live=True):
        return refusal
    touch(tx, agent_id)
    jobs: list[TradeJob] = []
    for row in tx.execute(_UNFINISHED, (agent_id,)).fetchall():
        job_id, signal_id, attempts, quarantined_at, held = int(row[0]), row[1], int(row[3]), row[7], row[8]
        if row[6] == "dry_run" and held != epoch:  # its request stopped waiting long ago: never planned late
            tx.execute("UPDATE jobs SET status = ?, finished_at = ? WHERE id = ?",
                       (JobStatus.EXPIRED.value, sql_time(tx.now), job_id))
            continue
        if held != epoch:
            attempts += 1
            if attempts >= QUARANTINE_DELIVERIES and quarantined_at is None:
                quarantined_at = sql_time(tx.now)
                _note_quarantine(tx, signal_id, attempts)
            tx.execute(
                "UPDATE jobs SET status = 'claimed', claimed_by = ?, lease_epoch = ?, attempts = ?, quarantined_at = ?"
                " WHERE id = ?",
                (agent_id, epoch, attempts, quarantined_at, job_id),
            )
            row = (*row[:3], attempts, row[4], row[5], row[6], quarantined_at)
        jobs.append(trade_job(row[:8]))
    if jobs:
        logger.warning("agent %s (lease %s) takes over %d unfinished job(s): %s", agent_id, epoch, len(jobs),
                       [j.id for j in jobs])
    return jobs


def _note_quarantine(tx: WriteTx, signal_id: int | None, deliveries: int) -> None:
    if signal_id is None:
        return
    note = (
        f"Quarantined by the server at {tx.now:%H:%M:%S} UTC: handed to an agent {deliveries} times without a "
        f"result (the agent stopped {deliveries - 1} times while holding it). It is now only looked up at the broker "
        f"by its comment, never sent again."
    )
    tx.execute(
        "UPDATE tv_signals SET notes = json_insert(COALESCE(notes, '[]'), '$[#]', ?) WHERE id = ?", (note, signal_id)
    )
    logger.error("signal #%s quarantined after %d deliveries", signal_id, deliveries)


def touch(tx: WriteTx, agent_id: str) -> None:
    """Mark the agent as seen now, at most every :data:`TOUCH_SECONDS` (a poll that finds nothing then writes
    nothing, so its commit costs no fsync)."""
    now = time.monotonic()
    if now - tx.counters.seen.get(agent_id, -TOUCH_SECONDS) < TOUCH_SECONDS:
        return
    tx.execute(_TOUCH, (agent_id, sql_time(tx.now)))
    tx.counters.seen[agent_id] = now


def expiry_sentence(
    agent_id: str,
    *,
    held: bool,
    deadline: datetime | None = None,
    approved_at: datetime | None = None,
    counted_from: datetime | None = None,
) -> str:
    """Why a job that no agent took ended ``expired``, as a sentence for the trader.

    ``held``: it still waited for the trader's approval. ``approved_at``: the trader approved it (UTC), and it then
    expired before ``agent_id``'s agent took it: the sentence says when, how many seconds before its ``deadline``
    that was, and the max signal age (from ``counted_from``, when the alert was fired or received, to ``deadline``;
    :func:`server.gates.deadline`). Otherwise no agent picked it up at all.
    """
    if held:
        return (
            "Not executed: it waited for your approval longer than the strategy's max signal age and expired. "
            "Approve waiting signals sooner, or raise the strategy's max signal age."
        )
    if approved_at is not None and deadline is not None:
        left = max(0.0, (deadline - approved_at).total_seconds())
        before = f"{left:.0f} s" if left >= 1 else "less than 1 s"
        age = f" of {(deadline - counted_from).total_seconds():.0f} s" if counted_from is not None else ""
        return (
            f"Not executed: approved at {approved_at:%H:%M:%S} UTC, {before} before its max signal age{age} passed, "
            f"and no agent took it in time. Approve waiting signals sooner, or raise the strategy's max signal age "
            f"(and check that the agent '{agent_id}' is running and MetaTrader 5 is connected)."
        )
    return (
        "Not executed: no agent picked it up within the strategy's max signal age. "
        f"Check that the agent '{agent_id}' is running and MetaTrader 5 is connected."
    )


def _age_counted_from(alert_time: datetime | None, created_at: datetime | None) -> datetime | None:
    """Where a signal's max signal age was counted from: when TradingView fired it, if the alert says so and that
    was before it was stored, else when it was stored (as :func:`server.gates.deadline` counts it)."""
    if alert_time is not None and created_at is not None:
        return min(alert_time, created_at)
    return created_at


def expire_overdue(tx: WriteTx) -> list[int]:
    """Expire queued and held jobs past their deadline with their signals; return the expired signal ids.

    A signal older than its strategy's max age is never executed late (docs/architecture.md), and a signal that
    waited for the trader's approval that long ends ``expired`` too (``held`` jobs, :mod:`server.flow.approval`).
    Claimed jobs are the agent's to judge: it checks the deadline before the first ``order_send``. A job of a signal
    with several accounts expires on its own; the signal ends once all its accounts have (:mod:`server.flow.outcome`).
    """
    now = sql_time(tx.now)
    overdue = tx.execute(
        "SELECT j.id, j.signal_id, j.agent_id, j.status, j.expires_at, s.approved_at, s.alert_time, s.created_at"
        " FROM jobs j LEFT JOIN tv_signals s ON s.id = j.signal_id WHERE j.status IN (?, ?) AND j.expires_at < ?",
        (JobStatus.QUEUED.value, JobStatus.HELD.value, now),
    ).fetchall()
    expired: list[int] = []
    for job_id, signal_id, agent_id, job_status, expires_at, approved_at, alert_time, created_at in overdue:
        message = expiry_sentence(
            str(agent_id),
            held=job_status == JobStatus.HELD.value,
            deadline=from_sql_time(expires_at),
            approved_at=from_sql_time(approved_at),
            counted_from=_age_counted_from(from_sql_time(alert_time), from_sql_time(created_at)),
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


#: Seconds past its deadline after which a claimed job still unreported gets a provisional outcome although its agent
#: holds a live lease: longer than any job runs (the agent checks the deadline before sending; each write is cut at
#: 30 s) plus the agent's 10 minutes of retries to report it, so only a job its agent lost reaches it (a claim answer
#: that never arrived, a result it gave up on) — without it, its signal would stay pending while that agent lives.
STUCK_AFTER_SECONDS = 15 * 60


def stuck_outcome_sentence(agent_id: str, signal_id: int, since: str) -> str:
    """The provisional outcome of a signal whose connected agent never reported it (:data:`STUCK_AFTER_SECONDS`)."""
    return (
        f"Outcome unknown, check the terminal: the agent '{agent_id}' took this alert at {since} UTC and has not "
        f"reported it {STUCK_AFTER_SECONDS // 60} minutes after its max signal age, although it is still connected. "
        f"If MetaTrader 5 shows a deal with the comment tvb:{signal_id}, it was executed; do not send it again before "
        f"checking. This entry is corrected when the agent reports it (restarting the agent makes it look it up)."
    )


def unknown_outcome_sentence(agent_id: str, signal_id: int, since: str) -> str:
    """The provisional outcome of a signal whose agent hung or vanished while holding it (the watchdog)."""
    return (
        f"Outcome unknown, check the terminal: the agent '{agent_id}' stopped answering while it held this alert "
        f"(claimed at {since} UTC) and the alert's max signal age has passed. If MetaTrader 5 shows a deal with the "
        f"comment tvb:{signal_id}, it was executed; do not send it again before checking. This entry is corrected "
        f"when the agent is back."
    )


def lapse_abandoned(tx: WriteTx, leases: Leases) -> list[int]:
    """The watchdog: claimed jobs past their deadline whose claiming lease is not live any more (the agent hung or
    vanished), or that their live agent has not reported :data:`STUCK_AFTER_SECONDS` after it, become ``lapsed``,
    and their pending signals ``failed`` with :func:`unknown_outcome_sentence` (also kept
    as a note), ``decided_by = 'watchdog'``, reported to the tray. Returns the signal ids. The next holder of the
    lease takes the jobs over (:func:`recover`) and its results replace the provisional outcomes."""
    now = sql_time(tx.now)
    stuck_before = sql_time(tx.now - timedelta(seconds=STUCK_AFTER_SECONDS))
    rows = tx.execute(
        "SELECT id, signal_id, agent_id, lease_epoch, claimed_at, expires_at < ? FROM jobs"
        " WHERE status = ? AND expires_at < ?",
        (stuck_before, JobStatus.CLAIMED.value, now),
    ).fetchall()
    lapsed: list[int] = []
    for job_id, signal_id, agent_id, epoch, claimed_at, stuck in rows:
        alive = epoch is not None and leases.live_epoch(tx, agent_id) == epoch
        if alive and not stuck:
            continue  # its agent is alive and holds the lease: it checks the deadline itself before sending
        if signal_id is None:  # a dry run: nobody waits for it any more
            tx.execute(
                "UPDATE jobs SET status = ?, finished_at = ? WHERE id = ?", (JobStatus.EXPIRED.value, now, job_id)
            )
            continue
        tx.execute("UPDATE jobs SET status = ? WHERE id = ?", (JobStatus.LAPSED.value, job_id))
        since = (from_sql_time(claimed_at) or tx.now).strftime("%H:%M:%S")
        message = (stuck_outcome_sentence if alive else unknown_outcome_sentence)(agent_id, signal_id, since)
        found = tx.execute(
            "UPDATE tv_signals SET status = ?, error_message = ?, resolved_at = ?, decided_by = 'watchdog',"
            " notes = json_insert(COALESCE(notes, '[]'), '$[#]', ?)"
            " WHERE id = ? AND status = ? RETURNING strategy_id, created_at, symbol, action, volume, notes",
            (SignalStatus.FAILED.value, message, now, f"{tx.now:%H:%M:%S} UTC: {message}", signal_id,
             SignalStatus.PENDING.value),
        ).fetchone()
        if found is None:
            continue
        strategy_id, created_at, symbol, action, volume, notes = found
        tx.counters.counted(strategy_id, from_sql_time(created_at) or tx.now, -1)
        tx.resolved(
            Signal(
                id=signal_id, strategy_id=strategy_id, status=SignalStatus.FAILED, symbol=symbol, action=action,
                volume=volume, error_message=message, notes=json.loads(notes or "[]"), resolved_at=tx.now,
                decided_by="watchdog",
            )
        )
        lapsed.append(signal_id)
    if lapsed:
        logger.error("watchdog: signal(s) %s held by a hung or vanished agent: outcome unknown for now", lapsed)
    return lapsed


class DryRuns:
    """Admin requests waiting for dry-run plans (server/dry_run.py), by job id (event loop only)."""

    def __init__(self) -> None:
        self._waiting: dict[int, asyncio.Future[JobResult]] = {}
        self._early: dict[int, JobResult] = {}

    def expect(self, job_id: int) -> asyncio.Future[JobResult]:
        """The future that receives job ``job_id``'s plan."""
        future: asyncio.Future[JobResult] = asyncio.get_running_loop().create_future()
        if job_id in self._early:
            future.set_result(self._early.pop(job_id))
        else:
            self._waiting[job_id] = future
        return future

    def answer(self, job_id: int, result: JobResult) -> None:
        """The agent reported job ``job_id`` (a dry run's plan): hand it to the request waiting for it."""
        future = self._waiting.pop(job_id, None)
        if future is None:
            if len(self._early) < 256:  # reported before the request registered (or after it gave up): kept briefly
                self._early[job_id] = result
            return
        if not future.done():
            future.set_result(result)

    def forget(self, job_id: int) -> None:
        """The request stopped waiting."""
        self._waiting.pop(job_id, None)
        self._early.pop(job_id, None)


class JobReads:
    """Reads of the job queue through the readers' engine (blocking: call from a worker thread on the loop)."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def unfinished(self, agent_id: str) -> list[TradeJob]:
        """Jobs ``agent_id`` claimed but never finished (it crashed or was killed mid-job), oldest first."""
        with self._engine.connect() as conn:
            rows = conn.exec_driver_sql(_UNFINISHED, (agent_id,)).fetchall()
        return [trade_job(r[:8]) for r in rows]

    def progress(self, agent_id: str) -> AgentProgress:
        """Where ``agent_id`` stands: the newest signal whose job for it is done and the highest ``finish_seq`` stored
        for it (each ``None`` when there is none)."""
        with Session(self._engine) as session:
            stmt = select(func.max(Job.signal_id), func.max(Job.finish_seq)).where(
                Job.agent_id == agent_id, Job.status == JobStatus.DONE
            )
            signal, finish = session.exec(stmt).one()
        return AgentProgress(last_finished_signal=signal, last_finish_seq=finish)



class JobQueue:
    """The job queue as the routes, the intake and the sweeper use it: ops on ``writer``, reads on ``engine``,
    fencing by ``leases`` (a default :class:`~server.leases.Leases` when none is given)."""

    def __init__(self, writer: Writer, engine: Engine, leases: Leases | None = None) -> None:
        self.writer = writer
        self.polls = Polls()
        self.reads = JobReads(engine)
        self.leases = leases if leases is not None else Leases()
        self.leases.on_new_epoch.append(self.polls.fence)
        #: Admin requests waiting for dry-run plans (server/dry_run.py).
        self.dry_runs = DryRuns()
        self._background: set[asyncio.Task[Any]] = set()

    def queued(self, tx: WriteTx, agent_id: str, job_id: int) -> None:
        """A job was just inserted for ``agent_id`` (writer thread): a waiting poll takes it in the same group."""
        hand_over(tx, self.polls, agent_id, job_id, self._release_later(agent_id), self.leases)

    async def lease(self, agent_id: str, ask: LeaseRequest) -> LeaseGrant:
        """Grant or renew the agent id's lease (:meth:`server.leases.Leases.grant`).

        :raises LeaseRefused: another process holds it, or the renewed lease is no longer the asker's.
        """
        answer = await self.writer.submit(lambda tx: self.leases.grant(tx, agent_id, ask))
        if isinstance(answer, LeaseRefusal):
            raise LeaseRefused(answer)
        return answer

    async def release_lease(self, agent_id: str, epoch: int, holder: str) -> bool:
        """End the holder's lease at once (a clean stop); False when it was not the holder's any more."""
        return await self.writer.submit(lambda tx: self.leases.release(tx, agent_id, epoch, holder))

    async def recover(self, agent_id: str, epoch: int) -> list[TradeJob]:
        """Take over the agent's unfinished jobs for lease ``epoch`` (:func:`recover`). :raises LeaseRefused:"""
        return _granted(await self.writer.submit(lambda tx: recover(tx, agent_id, epoch, self.leases)))

    async def poll(
        self, agent_id: str, max_jobs: int, wait: float, disconnected: Callable[[], Awaitable[bool]] | None = None,
        epoch: int | None = None,
    ) -> list[TradeJob]:
        """Claim up to ``max_jobs`` of the agent's jobs for the process of lease ``epoch``, waiting up to ``wait``
        seconds for the first one (``epoch`` ``None``: an in-process caller, not fenced).

        Returns at once with what is queued; otherwise as soon as a job is committed for the agent (the list
        then holds every job of that commit, up to ``max_jobs``), or empty after ``wait`` seconds, at shutdown,
        when a newer lease epoch is granted, or when ``disconnected()`` says the client is gone (checked every few
        seconds).

        :raises LeaseRefused: ``epoch`` is not the agent id's live lease.
        """
        loop = asyncio.get_running_loop()
        if wait <= 0 or self.polls.closed:
            return _granted(await self.writer.submit(lambda tx: claim(tx, agent_id, max_jobs, epoch, self.leases)))
        waiter = Waiter(agent_id, max_jobs, loop.create_future(), epoch=epoch)
        jobs = _granted(await self.writer.submit(lambda tx: claim_or_wait(tx, self.polls, waiter, self.leases)))
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

    async def release(self, agent_id: str, job_ids: list[int], epoch: int | None = None) -> int:
        """Put the agent's claimed, never started jobs back in the queue; returns how many went back.

        :raises LeaseRefused: ``epoch`` is not the agent id's newest lease.
        """
        back = await self.writer.submit(
            lambda tx: release(tx, self.polls, agent_id, job_ids, self._release_later(agent_id), epoch, self.leases)
        )
        if isinstance(back, LeaseRefusal):
            raise LeaseRefused(back)
        return back

    def _release_later(self, agent_id: str) -> Callable[[list[int]], None]:
        def later(job_ids: list[int]) -> None:  # on the event loop: a poll gave up while its jobs were committed
            logger.info("jobs %s of agent %s go back to the queue (their poll had ended)", job_ids, agent_id)
            task = asyncio.get_running_loop().create_task(self.release(agent_id, job_ids))
            self._background.add(task)
            task.add_done_callback(self._background.discard)

        return later

    def expire_overdue(self) -> list[int]:
        """Expire queued jobs past their deadline (see :func:`expire_overdue`) and give a provisional outcome to
        claimed ones whose agent hung or vanished (:func:`lapse_abandoned`); returns the expired signal ids.
        Blocking: the sweeper calls it from a worker thread once a second.

        :raises StorageUnavailable: the database could not be written (the next sweep tries again).
        """

        def sweep(tx: WriteTx) -> list[int]:
            expired = expire_overdue(tx)
            lapse_abandoned(tx, self.leases)
            return expired

        return self.writer.run(sweep)


def _granted(answer: list[TradeJob] | LeaseRefusal) -> list[TradeJob]:
    if isinstance(answer, LeaseRefusal):
        raise LeaseRefused(answer)
    return answer
