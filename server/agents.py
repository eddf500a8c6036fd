"""What agents report back: job results (propagated to signals) and account snapshots (:mod:`contract`).

Every report is a writer op (:mod:`server.writer`): a batch of results from one agent is one op, stored in the
writer's next group together with whatever else is queued. Reports of an agent process whose lease epoch is not its
agent id's newest are refused whole (:mod:`server.leases`): a fenced-off process stores nothing.

A result for a signal that the watchdog gave a provisional outcome (``decided_by = 'watchdog'``: its agent hung or
vanished, server/queue.py) replaces that outcome; the signal keeps the provisional sentence as a note and says
when and why it was corrected, and the tray is told again.
"""

from __future__ import annotations

import json
import logging
from datetime import UTC

import contract
from contract import JobOutcome, JobResult, LeaseRefusal
from server.db import from_sql_time, sql_time
from server.flow.outcome import job_count, settle
from server.leases import Leases
from server.models import FINAL_STATUSES, JobStatus, Signal, SignalStatus
from server.queue import LeaseRefused, touch
from server.view import AgentPnl
from server.writer import Writer, WriteTx

logger = logging.getLogger(__name__)

_FINAL = tuple(s.value for s in FINAL_STATUSES)


class JobNotFound(LookupError):
    """No such job for this agent, or not one this agent process holds (claimed under another lease epoch)."""


def record_result(
    tx: WriteTx, agent_id: str, job_id: int, result: JobResult, epoch: int | None = None
) -> tuple[int | None, str | None]:
    """Finish ``job_id`` and propagate ``result`` to its signal (writer thread); returns the signal's id and status
    (both ``None`` for a dry run, which has no signal).

    A repeated report of a finished job changes nothing (the agent retries a post whose answer it did not get).
    The result's ``finish_seq`` is stored with the job: which snapshots reflect it (server/reflected.py).
    A result for a signal with a provisional outcome (``decided_by = 'watchdog'``) replaces it (module docstring).
    :raises JobNotFound: the job does not exist, belongs to another agent, was never claimed (held for the trader's
        approval, queued, expired), or was claimed under another lease epoch than ``epoch`` (``None``: an
        in-process caller, not fenced).
    """
    job = tx.execute("SELECT agent_id, status, signal_id, lease_epoch FROM jobs WHERE id = ?", (job_id,)).fetchone()
    if job is None or job[0] != agent_id:
        raise JobNotFound(f"No job {job_id} for agent {agent_id}.")
    _, job_status, signal_id, claimed_in = job
    row = None
    if signal_id is not None:
        row = tx.execute(
            "SELECT status, strategy_id, created_at, notes, symbol, action, volume, decided_by FROM tv_signals"
            " WHERE id = ?",
            (signal_id,),
        ).fetchone()
    if job_status == JobStatus.DONE:
        return signal_id, row[0] if row else None
    if job_status not in (JobStatus.CLAIMED, JobStatus.LAPSED):  # held for approval, queued, or expired unclaimed
        raise JobNotFound(
            f"Job {job_id} of agent {agent_id} was not handed to an agent (it is {job_status}): this result is not "
            f"recorded."
        )
    if epoch is not None and claimed_in is not None and claimed_in != epoch:
        raise JobNotFound(
            f"Job {job_id} of agent {agent_id} is held under lease {claimed_in}, not {epoch}: this result is not "
            f"recorded (the holder reconciles the job at the broker)."
        )
    now = sql_time(tx.now)
    tx.execute(
        "UPDATE jobs SET status = ?, finished_at = ?, result = ?, finish_seq = ? WHERE id = ?",
        (JobStatus.DONE.value, now, result.model_dump_json(), result.finish_seq, job_id),
    )
    provisional = row is not None and row[0] in _FINAL and row[7] == "watchdog"
    if row is None or (row[0] in _FINAL and not provisional):
        return signal_id, row[0] if row else None
    if job_count(tx, signal_id) > 1:  # one of several accounts: the signal ends (or is corrected) once all have
        return signal_id, settle(tx, signal_id)
    _, strategy_id, created_at, notes, symbol, action, volume, _decided = row
    status = SignalStatus(result.status.value)
    error = None if result.status is JobOutcome.EXECUTED else result.error_message
    notes_after = [*json.loads(notes or "[]"), *result.notes]
    if provisional:
        notes_after.append(
            f"{tx.now:%H:%M:%S} UTC: corrected: the agent is back and reported the outcome now shown; the 'outcome "
            f"unknown' above was provisional."
        )
    positions = None if result.positions_after is None else [p.model_dump() for p in result.positions_after]
    tx.execute(
        "UPDATE tv_signals SET status = ?, error_message = ?, fill_price = ?, order_ticket = ?, orders = ?, notes = ?,"
        " positions_after = COALESCE(?, positions_after), sent_at = ?, filled_at = ?, resolved_at = ?,"
        " decided_by = 'agent' WHERE id = ?",
        (
            status.value,
            error,
            result.fill_price,
            result.order_ticket,
            json.dumps([o.model_dump() for o in result.orders]),
            json.dumps(notes_after),
            None if positions is None else json.dumps(positions),
            None if result.sent_at is None else sql_time(result.sent_at),
            None if result.filled_at is None else sql_time(result.filled_at),
            now,
            signal_id,
        ),
    )
    if provisional and status is SignalStatus.EXECUTED:
        tx.counters.counted(strategy_id, from_sql_time(created_at) or tx.now, +1)  # it was uncounted as failed
    elif not provisional and status is not SignalStatus.EXECUTED:
        tx.counters.counted(strategy_id, from_sql_time(created_at) or tx.now, -1)
    tx.resolved(
        Signal(
            id=signal_id,
            strategy_id=strategy_id,
            status=status,
            symbol=symbol,
            action=action,
            volume=volume,
            error_message=error,
            fill_price=result.fill_price,
            order_ticket=result.order_ticket,
            orders=[o.model_dump() for o in result.orders],
            notes=notes_after,
            positions_after=positions,
            sent_at=result.sent_at,
            filled_at=result.filled_at,
            resolved_at=tx.now,
            decided_by="agent",
        )
    )
    logger.info("signal #%s %s%s %s", signal_id, status, " (corrected)" if provisional else "", error or "")
    return signal_id, status.value


def record_snapshot(tx: WriteTx, agent_id: str, snap: contract.AccountSnapshot) -> bool:
    """Replace the agent's latest account snapshot and refresh its health fields (writer thread).

    Returns False when the snapshot was older than the stored one (same agent process, lower ``seq``): it is
    ignored, so a late post can never roll positions back to before a signal.
    """
    stored = True
    if snap.balance is not None:  # None: a health-only post from an agent without a terminal
        row = tx.execute("SELECT boot_id, seq FROM account_snapshots WHERE agent_id = ?", (agent_id,)).fetchone()
        if row is not None and snap.boot_id and row[0] == snap.boot_id and snap.seq <= row[1]:
            stored = False
        else:
            tx.execute(
                """
                INSERT INTO account_snapshots (agent_id, login, server, currency, margin_mode, balance, equity,
                    margin_free, day_start_balance, realized_pnl_today, pnl_by_magic, positions, pending_orders,
                    taken_at, boot_id, seq, as_of_signal, as_of_finish)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                ON CONFLICT(agent_id) DO UPDATE SET login = excluded.login, server = excluded.server,
                    currency = excluded.currency, margin_mode = excluded.margin_mode, balance = excluded.balance,
                    equity = excluded.equity, margin_free = excluded.margin_free,
                    day_start_balance = excluded.day_start_balance, realized_pnl_today = excluded.realized_pnl_today,
                    pnl_by_magic = excluded.pnl_by_magic, positions = excluded.positions,
                    pending_orders = excluded.pending_orders, taken_at = excluded.taken_at,
                    boot_id = excluded.boot_id, seq = excluded.seq, as_of_signal = excluded.as_of_signal,
                    as_of_finish = excluded.as_of_finish
                """,
                (
                    agent_id,
                    snap.login,
                    snap.server,
                    snap.currency,
                    snap.margin_mode,
                    snap.balance,
                    snap.equity if snap.equity is not None else 0.0,
                    snap.margin_free,
                    snap.day_start_balance,
                    snap.realized_pnl_today,
                    json.dumps(snap.pnl_by_magic),
                    json.dumps([p.model_dump() for p in snap.positions]),
                    None if snap.pending_orders is None else json.dumps([o.model_dump() for o in snap.pending_orders]),
                    sql_time(snap.taken_at or tx.now),
                    snap.boot_id,
                    snap.seq,
                    snap.as_of_signal,
                    snap.as_of_finish,
                ),
            )
    tx.execute(
        """
        INSERT INTO agents (id, broker, version, terminal_connected, trade_allowed, last_error, last_seen_at)
        VALUES (?, ?, ?, ?, ?, ?, ?)
        ON CONFLICT(id) DO UPDATE SET broker = COALESCE(excluded.broker, broker),
            version = COALESCE(excluded.version, version), terminal_connected = excluded.terminal_connected,
            trade_allowed = excluded.trade_allowed, last_error = excluded.last_error,
            last_seen_at = excluded.last_seen_at
        """,
        (
            agent_id,
            snap.broker,
            snap.version,
            snap.terminal_connected,
            snap.trade_allowed,
            snap.last_error,
            sql_time(tx.now),
        ),
    )
    if stored and snap.balance is not None:
        day = (snap.taken_at or tx.now).astimezone(UTC).date()  # the UTC day the figures are of
        tx.counters.pnl[agent_id] = AgentPnl(snap.day_start_balance, snap.realized_pnl_today, day)
    return stored


def record_refusal(tx: WriteTx, agent_id: str, sentence: str) -> None:
    """Note why the agent's request was refused (e.g. a contract version mismatch) as its last error."""
    touch(tx, agent_id)
    tx.execute("UPDATE agents SET last_error = ? WHERE id = ?", (sentence, agent_id))


class AgentService:
    """The agents' reports as the routes submit them to the ``writer``, fenced by ``leases`` (``None``: not fenced,
    for in-process callers)."""

    def __init__(self, writer: Writer, leases: Leases | None = None) -> None:
        self._writer = writer
        self._leases = leases

    def _refusal(self, tx: WriteTx, agent_id: str, epoch: int | None) -> LeaseRefusal | None:
        if epoch is None or self._leases is None:
            return None
        return self._leases.check(tx, agent_id, epoch, live=False)

    async def record_results(
        self, agent_id: str, results: list[tuple[int, JobResult]], epoch: int | None = None
    ) -> list[tuple[int, int | None, str | None] | JobNotFound]:
        """Record a batch of ``(job_id, result)`` in one op; per job ``(job_id, signal_id, status)`` or the
        :class:`JobNotFound` for a job that is not this agent's (the others are stored all the same).

        :raises LeaseRefused: ``epoch`` is not the agent id's newest lease: nothing is recorded.
        """

        def op(tx: WriteTx) -> list[tuple[int, int | None, str | None] | JobNotFound] | LeaseRefusal:
            if refusal := self._refusal(tx, agent_id, epoch):
                return refusal
            touch(tx, agent_id)
            answers: list[tuple[int, int | None, str | None] | JobNotFound] = []
            for job_id, result in results:
                try:
                    answers.append((job_id, *record_result(tx, agent_id, job_id, result, epoch)))
                except JobNotFound as exc:
                    answers.append(exc)
            return answers

        answer = await self._writer.submit(op)
        if isinstance(answer, LeaseRefusal):
            raise LeaseRefused(answer)
        return answer

    async def record_snapshot(self, agent_id: str, snap: contract.AccountSnapshot, epoch: int | None = None) -> bool:
        """See :func:`record_snapshot`. :raises LeaseRefused: ``epoch`` is not the agent id's newest lease."""

        def op(tx: WriteTx) -> bool | LeaseRefusal:
            if refusal := self._refusal(tx, agent_id, epoch):
                return refusal
            return record_snapshot(tx, agent_id, snap)

        # Soft state: the agent posts a newer one within seconds, so its group need not wait for the disk.
        answer = await self._writer.submit(op, durable=False)
        if isinstance(answer, LeaseRefusal):
            raise LeaseRefused(answer)
        return answer

    async def record_refusal(self, agent_id: str, sentence: str) -> None:
        """See :func:`record_refusal`."""
        await self._writer.submit(lambda tx: record_refusal(tx, agent_id, sentence), durable=False)
