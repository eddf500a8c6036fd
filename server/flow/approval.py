"""Manual approval (TradersPost's "auto-submit off"): a strategy with ``require_approval`` holds its signals.

At intake (:meth:`server.intake.AlertIntake.store`) an alert the gates let through is stored
``awaiting_approval`` with its jobs ``held`` (one per account), carrying the usual deadline (the strategy's max
signal age). From there exactly one of three writer ops ends the wait — one op each, so an approval and the expiry
sweep can never both happen (the writer applies ops one after the other):

- :func:`approve`: the held jobs become ``queued`` (a waiting long-poll takes them in the same transaction) and
  the signal ``pending``, with the trader's controls (risk multiplier, exposure and lot caps) as they are at the
  approval; from then on it is traded like any other signal. A further account whose own daily loss limit is
  reached at the approval gets its job finished ``discarded`` instead, with the sentence intake gives
  (:func:`server.gates.account_loss_refusal`); the signal's outcome follows the fan-out rule
  (:mod:`server.flow.outcome`);
- :func:`reject`: the jobs become ``done`` and the signal ``rejected``, ``decided_by = "trader"``, with a sentence;
- :func:`server.queue.expire_overdue`: past the deadline, ``expired`` with a sentence.

An approval reaching the writer after the deadline but before the sweeper expires the signal now, in the same op,
and is refused (nothing late is ever traded). An approval while new trades are stopped (trading paused, the strategy
disabled, an entry of a strategy halted by eaoff, the daily loss limit reached) is refused with a sentence and the
signal keeps waiting. The state lives in SQLite, so a restart changes nothing.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from dataclasses import dataclass

from contract.intent import TradeIntent
from server import gates
from server.controls import account_caps, control_fields
from server.db import from_sql_time, sql_time
from server.flow.outcome import settle
from server.models import JobStatus, Signal, SignalStatus
from server.queue import expire_overdue
from server.schemas.signals import Via
from server.writer import WriteTx

logger = logging.getLogger(__name__)


_WHERE = {"dashboard": "in the dashboard", "tray": "from the tray", "cli": "with the CLI", "api": "through the API"}

#: ``(agent_id, job_id)`` -> hands a queued job to a waiting long-poll in the same group (JobQueue.queued).
Handover = Callable[[WriteTx, str, int], None]


class SignalNotFound(LookupError):
    """No signal with that id."""


@dataclass(frozen=True)
class Decision:
    """What an approve/reject op did: ``done`` False means the signal was no longer awaiting approval, and
    ``message`` says what happened to it instead (the API answers 409 with it). ``status`` is the signal's status
    after the op."""

    done: bool
    status: str
    message: str


def approve(tx: WriteTx, signal_id: int, via: Via, handover: Handover) -> Decision:
    """Approve an ``awaiting_approval`` signal: queue its held jobs for their agents (writer thread).

    :raises SignalNotFound: no such signal.
    """
    status = _status(tx, signal_id)
    if status != SignalStatus.AWAITING_APPROVAL.value:
        return Decision(False, status, _not_awaiting(tx, signal_id, status))
    now = sql_time(tx.now)
    overdue = tx.execute(
        "SELECT count(*) FROM jobs WHERE signal_id = ? AND status = ? AND expires_at < ?",
        (signal_id, JobStatus.HELD.value, now),
    ).fetchone()[0]
    if overdue:  # the sweeper has not reached it yet: expire it here, never trade it late
        expire_overdue(tx)
        status = _status(tx, signal_id)
        return Decision(False, status, _not_awaiting(tx, signal_id, status))
    stopped = _trading_stopped(tx, signal_id)
    if stopped is not None:  # the switches that stop every new trade hold for approvals too; it keeps waiting
        until = tx.execute("SELECT min(expires_at) FROM jobs WHERE signal_id = ?", (signal_id,)).fetchone()[0]
        expires = from_sql_time(until)
        when = f" until {expires:%H:%M:%S} UTC" if expires is not None else ""
        return Decision(
            False,
            status,
            f"Signal #{signal_id} was not approved: {stopped} It still waits for your approval{when}: approve it once "
            f"trading may go on, or reject it.",
        )
    discarded_on = _discard_accounts_past_their_limit(tx, signal_id)
    _refresh_controls(tx, signal_id)
    jobs = tx.execute(
        "UPDATE jobs SET status = ? WHERE signal_id = ? AND status = ? RETURNING id, agent_id",
        (JobStatus.QUEUED.value, signal_id, JobStatus.HELD.value),
    ).fetchall()
    note = f"Approved by the trader {_WHERE[via]} at {tx.now:%H:%M:%S} UTC."
    if discarded_on:
        names = ", ".join(f"'{a}'" for a in discarded_on)
        whose = "its" if len(discarded_on) == 1 else "each one's"
        note += f" Not sent on {names}: {whose} realised loss today reached the daily loss limit (Settings)."
    _update(tx, signal_id, SignalStatus.PENDING, None, note)
    tx.execute("UPDATE tv_signals SET approved_at = ? WHERE id = ?", (now, signal_id))
    for job_id, agent_id in sorted(jobs):
        handover(tx, str(agent_id), int(job_id))
    status = SignalStatus.PENDING.value if jobs else (settle(tx, signal_id) or SignalStatus.PENDING.value)
    logger.info("signal #%s approved %s", signal_id, _WHERE[via])
    return Decision(True, status, note)


def reject(tx: WriteTx, signal_id: int, via: Via, reason: str | None) -> Decision:
    """Reject an ``awaiting_approval`` signal: nothing is sent, it ends ``rejected`` by ``trader`` (writer thread).

    :raises SignalNotFound: no such signal.
    """
    status = _status(tx, signal_id)
    if status != SignalStatus.AWAITING_APPROVAL.value:
        return Decision(False, status, _not_awaiting(tx, signal_id, status))
    now = sql_time(tx.now)
    why = f": {reason.strip().rstrip('.')}" if reason and reason.strip() else ""
    message = f"Rejected by the trader {_WHERE[via]} at {tx.now:%H:%M:%S} UTC{why}. Nothing was sent to MetaTrader 5."
    tx.execute(
        "UPDATE jobs SET status = ?, finished_at = ?, result = ? WHERE signal_id = ? AND status = ?",
        (
            JobStatus.DONE.value,
            now,
            json.dumps({"status": SignalStatus.REJECTED.value, "error_message": message}),
            signal_id,
            JobStatus.HELD.value,
        ),
    )
    row = _update(tx, signal_id, SignalStatus.REJECTED, message, None)
    strategy_id, created_at, symbol, action, volume = row
    tx.counters.counted(strategy_id, from_sql_time(created_at) or tx.now, -1)
    tx.resolved(
        Signal(
            id=signal_id, strategy_id=strategy_id, status=SignalStatus.REJECTED, symbol=symbol, action=action,
            volume=volume, error_message=message, resolved_at=tx.now, decided_by="trader",
        )
    )
    logger.info("signal #%s rejected %s", signal_id, _WHERE[via])
    return Decision(True, SignalStatus.REJECTED.value, message)


#: The gates that stop new trades whenever they are judged (the trader's switches and the daily loss limit): an
#: approval is judged by them again, at the moment it is given.
_STOPS = (gates.strategy_disabled, gates.trading_paused, gates.daily_loss_limit, gates.halted)


def _trading_stopped(tx: WriteTx, signal_id: int) -> str | None:
    """Why signal ``signal_id`` must not be traded now although the trader approves it (trading paused, its strategy
    disabled or halted by eaoff for an entry, its agent's daily loss limit reached), as a sentence; ``None``: it may."""
    strategy_id, intent, body_hash = tx.execute(
        "SELECT strategy_id, intent, body_hash FROM tv_signals WHERE id = ?", (signal_id,)
    ).fetchone()
    strategy = tx.catalog.strategies.get(strategy_id)
    if strategy is None or intent is None:
        return None
    alert = gates.Alert(
        strategy=strategy, settings=tx.catalog.settings, body_size=0, body_hash=body_hash or "",
        parsed=TradeIntent.model_validate_json(intent), now=tx.now, pnl=tx.counters.pnl.get(strategy.agent_id),
    )
    verdict = gates.decide(alert, _STOPS)
    if verdict is None:
        return None
    if verdict.gate == "daily_loss_limit":
        return "today's realised loss on its account reached the daily loss limit (Settings)."
    return verdict.message


def _discard_accounts_past_their_limit(tx: WriteTx, signal_id: int) -> list[str]:
    """Finish the held job of every further account whose own realised loss today reached the daily loss limit
    (:func:`server.gates.account_loss_refusal`, the check intake makes, made again at the approval: the account may
    have lost while the signal waited): ``done``, discarded with that sentence, never handed to its agent. The
    primary account (the strategy's ``agent_id``) is judged by the ``daily_loss_limit`` gate for the whole signal
    (:func:`_trading_stopped`). Returns the agent ids whose jobs were discarded, in job order."""
    strategy_id = tx.execute("SELECT strategy_id FROM tv_signals WHERE id = ?", (signal_id,)).fetchone()[0]
    strategy = tx.catalog.strategies.get(strategy_id)
    held = tx.execute(
        "SELECT id, agent_id FROM jobs WHERE signal_id = ? AND status = ? ORDER BY id",
        (signal_id, JobStatus.HELD.value),
    ).fetchall()
    primary = strategy.agent_id if strategy is not None else None
    discarded: list[str] = []
    for n, (job_id, agent_id) in enumerate(held):
        if agent_id == primary or (primary is None and n == 0):
            continue
        refusal = gates.account_loss_refusal(tx.catalog.settings, tx.counters.pnl.get(agent_id), tx.now)
        if refusal is None:
            continue
        tx.execute(
            "UPDATE jobs SET status = ?, finished_at = ?, result = ? WHERE id = ?",
            (
                JobStatus.DONE.value,
                sql_time(tx.now),
                json.dumps({"status": SignalStatus.DISCARDED.value, "error_message": refusal}),
                job_id,
            ),
        )
        discarded.append(str(agent_id))
    return discarded


def _refresh_controls(tx: WriteTx, signal_id: int) -> None:
    """Put the trader's controls in force now (the strategy's risk multiplier, lot cap mode and exposure cap, the
    account-wide caps) into the signal's held jobs: they were written when the alert arrived, and the trader may
    have tightened them while it waited. An approved job is judged by the caps of the moment it is approved."""
    strategy_id = tx.execute("SELECT strategy_id FROM tv_signals WHERE id = ?", (signal_id,)).fetchone()[0]
    strategy = tx.catalog.strategies.get(strategy_id)
    if strategy is None:
        return
    now = {**control_fields(strategy), **account_caps(tx.catalog.settings)}
    held = tx.execute(
        "SELECT id, payload FROM jobs WHERE signal_id = ? AND status = ?", (signal_id, JobStatus.HELD.value)
    ).fetchall()
    for job_id, payload in held:
        spec = json.loads(payload) if isinstance(payload, str) else dict(payload)
        spec["settings"] = {**spec.get("settings", {}), **now}
        tx.execute("UPDATE jobs SET payload = ? WHERE id = ?", (json.dumps(spec), job_id))


def _status(tx: WriteTx, signal_id: int) -> str:
    row = tx.execute("SELECT status FROM tv_signals WHERE id = ?", (signal_id,)).fetchone()
    if row is None:
        raise SignalNotFound(f"No signal with id {signal_id}.")
    return str(row[0])


def _update(
    tx: WriteTx, signal_id: int, status: SignalStatus, error: str | None, note: str | None
) -> tuple[int, str, str | None, str | None, float | None]:
    final = status is not SignalStatus.PENDING
    row = tx.execute(
        "UPDATE tv_signals SET status = ?, error_message = COALESCE(?, error_message),"
        " notes = CASE WHEN ? IS NULL THEN notes ELSE json_insert(notes, '$[#]', ?) END,"
        " resolved_at = CASE WHEN ? THEN ? ELSE resolved_at END,"
        " decided_by = CASE WHEN ? THEN 'trader' ELSE decided_by END"
        " WHERE id = ? RETURNING strategy_id, created_at, symbol, action, volume",
        (status.value, error, note, note, final, sql_time(tx.now), final, signal_id),
    ).fetchone()
    return row[0], row[1], row[2], row[3], row[4]


def _not_awaiting(tx: WriteTx, signal_id: int, status: str) -> str:
    """Why signal ``signal_id`` (now ``status``) can no longer be approved or rejected, as a sentence."""
    if status == SignalStatus.PENDING.value:
        return f"Signal #{signal_id} was already approved: it is with its agent and will be traded once."
    error = tx.execute("SELECT error_message FROM tv_signals WHERE id = ?", (signal_id,)).fetchone()[0]
    if status == SignalStatus.EXPIRED.value:
        return (
            f"Signal #{signal_id} can no longer be approved: it waited longer than the strategy's max signal age "
            "and expired, so nothing was sent. Wait for the next alert."
        )
    reason = f" ({error})" if error else ""
    return f"Signal #{signal_id} is no longer awaiting approval: it already ended {status}{reason}."
