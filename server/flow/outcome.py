"""One signal, several accounts: each account's job ends on its own; the signal's outcome is derived from them.

A strategy with ``accounts`` (fan-out) gives every accepted alert one ``trade`` job per agent — its primary
``agent_id`` with volume multiplier 1, then each extra account with its own (``ux_jobs_signal_agent``: at most one
job per signal and agent, so each account trades a signal at most once). Each job keeps its account's result in
``jobs.result``. Once no job of the signal is still held, queued or claimed, :func:`settle` stores the signal's one
final outcome, by this rule (deterministic: it depends only on the set of results):

1. every account ``executed`` -> ``executed``;
2. no account executed and all ended alike (all ``rejected``, all ``expired`` ...) -> that status, with each
   account's sentence;
3. otherwise (some executed, some not; or mixed refusals) -> ``failed``, with a sentence naming the accounts that
   executed and, for each other account, how it ended and why — the trader must know the accounts now differ.

``fill_price``, ``order_ticket`` and ``positions_after`` are the primary account's (the first job), else the
first executed account's; ``orders`` are every account's, primary first. A signal with a single job keeps the
plain path of :func:`server.agents.record_result` and :func:`server.queue.expire_overdue`.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from server.db import from_sql_time, sql_time
from server.models import JobStatus, Signal, SignalStatus
from server.writer import WriteTx

logger = logging.getLogger(__name__)

#: Jobs whose account has not reported yet; a ``lapsed`` job's agent hung or vanished, and its result (from the next
#: holder of the lease) is still to come.
_OPEN_JOBS = (
    JobStatus.HELD.value, JobStatus.QUEUED.value, JobStatus.CLAIMED.value, JobStatus.LAPSED.value,
)


@dataclass(frozen=True)
class AccountResult:
    """One account's finished job: its agent, multiplier and the stored result (a ``JobResult`` as a dict)."""

    agent_id: str
    volume_multiplier: float
    result: dict[str, Any]

    @property
    def status(self) -> str:
        return str(self.result.get("status") or SignalStatus.FAILED.value)

    @property
    def message(self) -> str:
        return str(self.result.get("error_message") or "no reason given")


def job_count(tx: WriteTx, signal_id: int) -> int:
    """How many jobs (accounts) the signal has."""
    return int(tx.execute("SELECT count(*) FROM jobs WHERE signal_id = ?", (signal_id,)).fetchone()[0])


def derive(results: list[AccountResult]) -> tuple[SignalStatus, str | None]:
    """The signal's status and sentence from its accounts' results (the rule in the module docstring)."""
    statuses = [r.status for r in results]
    if all(s == SignalStatus.EXECUTED.value for s in statuses):
        return SignalStatus.EXECUTED, None
    executed = [r.agent_id for r in results if r.status == SignalStatus.EXECUTED.value]
    others = "; ".join(f"{r.status} on '{r.agent_id}': {r.message.rstrip('.')}" for r in results
                       if r.status != SignalStatus.EXECUTED.value)
    if not executed and len(set(statuses)) == 1:
        return SignalStatus(statuses[0]), f"Not executed on any account: {others}."
    if executed:
        names = ", ".join(f"'{a}'" for a in executed)
        return SignalStatus.FAILED, (
            f"Executed on {names} only; {others}. The accounts now differ: check the others in their terminals."
        )
    return SignalStatus.FAILED, f"Not executed on any account: {others}."


def settle(tx: WriteTx, signal_id: int) -> str | None:
    """Store the signal's final outcome once every one of its jobs has finished (writer thread).

    Returns the signal's status after the call; ``None`` for an unknown signal. A signal already final, or with a
    job still held, queued or claimed, is left as it is.
    """
    row = tx.execute(
        "SELECT status, strategy_id, created_at, notes, symbol, action, volume, received_at, decided_by"
        " FROM tv_signals WHERE id = ?",
        (signal_id,),
    ).fetchone()
    if row is None:
        return None
    status_now, strategy_id, created_at, notes, symbol, action, volume, received_at, decided_by_now = row
    # the watchdog's "outcome unknown" (server/queue.py: lapse_abandoned) is provisional: the accounts' results
    # replace it once every job has one
    provisional = status_now == SignalStatus.FAILED.value and decided_by_now == "watchdog"
    if status_now not in (SignalStatus.PENDING.value, SignalStatus.AWAITING_APPROVAL.value) and not provisional:
        return str(status_now)
    jobs = tx.execute(
        "SELECT agent_id, status, result, volume_multiplier FROM jobs WHERE signal_id = ? ORDER BY id", (signal_id,)
    ).fetchall()
    if any(j[1] in _OPEN_JOBS for j in jobs):
        return str(status_now)
    results = [
        AccountResult(
            str(agent_id),
            float(mult or 1.0),
            json.loads(result) if isinstance(result, str) else (result or {"status": "failed"}),
        )
        for agent_id, _, result, mult in jobs
    ]
    status, error = derive(results)
    # the primary account's figures, else the first account that executed
    lead = next((r for r in results if r.status == SignalStatus.EXECUTED.value), results[0])
    if results[0].status == SignalStatus.EXECUTED.value:
        lead = results[0]
    orders = [o for r in results for o in r.result.get("orders") or ()]
    notes_after = [
        *json.loads(notes or "[]"),
        *(f"{r.agent_id}: {n}" for r in results for n in r.result.get("notes") or ()),
    ]
    if provisional:
        notes_after.append(
            f"{tx.now:%H:%M:%S} UTC: corrected: the agents are back and reported the outcome now shown; the 'outcome "
            f"unknown' above was provisional."
        )
    sent = sorted(datetime.fromisoformat(t) for r in results if (t := r.result.get("sent_at")))
    filled = sorted(datetime.fromisoformat(t) for r in results if (t := r.result.get("filled_at")))
    every_expired = all(r.status == SignalStatus.EXPIRED.value and r.result.get("expiry") for r in results)
    decided_by = "expiry" if every_expired else "agent"
    positions = lead.result.get("positions_after")
    tx.execute(
        "UPDATE tv_signals SET status = ?, error_message = ?, fill_price = ?, order_ticket = ?, orders = ?, notes = ?,"
        " positions_after = COALESCE(?, positions_after), sent_at = ?, filled_at = ?, resolved_at = ?,"
        " decided_by = ? WHERE id = ?",
        (
            status.value,
            error,
            lead.result.get("fill_price"),
            lead.result.get("order_ticket"),
            json.dumps(orders),
            json.dumps(notes_after),
            None if positions is None else json.dumps(positions),
            sql_time(sent[0]) if sent else None,
            sql_time(filled[-1]) if filled else None,
            sql_time(tx.now),
            decided_by,
            signal_id,
        ),
    )
    executed = any(r.status == SignalStatus.EXECUTED.value for r in results)
    if provisional and executed:  # the watchdog uncounted it as failed
        tx.counters.counted(strategy_id, from_sql_time(created_at) or tx.now, +1)
    elif not provisional and not executed:
        tx.counters.counted(strategy_id, from_sql_time(created_at) or tx.now, -1)
    tx.resolved(
        Signal(
            id=signal_id, strategy_id=strategy_id, status=status, symbol=symbol, action=action, volume=volume,
            error_message=error, fill_price=lead.result.get("fill_price"), order_ticket=lead.result.get("order_ticket"),
            orders=orders, notes=notes_after, positions_after=positions,
            received_at=from_sql_time(received_at) or tx.now, sent_at=sent[0] if sent else None,
            filled_at=filled[-1] if filled else None, resolved_at=tx.now, decided_by=decided_by,
        )
    )
    logger.info("signal #%s %s on %d accounts %s", signal_id, status, len(results), error or "")
    return status.value
