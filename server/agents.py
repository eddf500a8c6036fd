"""What agents report back: job results (propagated to signals) and account snapshots (:mod:`contract`)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime

from sqlalchemy import Engine
from sqlmodel import Session

import contract
from contract import JobOutcome, JobResult
from server.db import write_lock
from server.models import FINAL_STATUSES, AccountSnapshot, Agent, Job, JobStatus, Signal, SignalStatus, utcnow

logger = logging.getLogger(__name__)


class JobNotFound(LookupError):
    """No such job for this agent."""


class AgentService:
    """Records results and snapshots. ``on_resolved`` gets each signal an agent finished (tray notifications)."""

    def __init__(self, engine: Engine, on_resolved: Callable[[Signal], None] | None = None) -> None:
        self._engine = engine
        self._on_resolved = on_resolved

    def record_result(self, agent_id: str, job_id: int, result: JobResult) -> Signal | None:
        """Finish ``job_id`` and propagate ``result`` to its signal; repeated posts of a finished job are
        ignored (the agent retries a post whose answer it did not get).

        :raises JobNotFound: the job does not exist or belongs to another agent.
        """
        now = utcnow()
        with write_lock(self._engine), Session(self._engine) as session:
            job = session.get(Job, job_id)
            if job is None or job.agent_id != agent_id:
                raise JobNotFound(f"No job {job_id} for agent {agent_id}.")
            signal = session.get(Signal, job.signal_id) if job.signal_id else None
            if job.status == JobStatus.DONE:
                return signal
            job.status = JobStatus.DONE
            job.finished_at = now
            session.add(job)
            if signal is not None and signal.status not in FINAL_STATUSES:
                signal.status = SignalStatus(result.status)
                signal.error_message = None if result.status is JobOutcome.EXECUTED else result.error_message
                signal.fill_price = result.fill_price
                signal.order_ticket = result.order_ticket
                signal.orders = [o.model_dump() for o in result.orders]
                signal.notes = [*signal.notes, *result.notes]
                if result.positions_after is not None:
                    signal.positions_after = [p.model_dump() for p in result.positions_after]
                signal.sent_at = result.sent_at
                signal.filled_at = result.filled_at
                signal.resolved_at = now
                session.add(signal)
            self._touch(session, agent_id, now)
            session.commit()
            if signal is not None:
                session.refresh(signal)
        if signal is not None:
            logger.info("signal #%s %s %s", signal.id, signal.status, signal.error_message or "")
            if self._on_resolved is not None:
                self._on_resolved(signal)
        return signal

    def record_snapshot(self, agent_id: str, snap: contract.AccountSnapshot) -> bool:
        """Replace the agent's latest account snapshot and refresh its health fields.

        Returns False when the snapshot was older than the stored one (same agent process, lower ``seq``): it is
        ignored, so a late post can never roll positions back to before a signal.
        """
        now = utcnow()
        health = {"terminal_connected", "trade_allowed", "broker", "version", "last_error"}
        data = snap.model_dump(exclude=health)
        data["positions"] = [p.model_dump() for p in snap.positions]
        data["taken_at"] = snap.taken_at or now
        stored = True
        with write_lock(self._engine), Session(self._engine) as session:
            if snap.balance is not None:  # None: a health-only post from an agent without a terminal
                row = session.get(AccountSnapshot, agent_id)
                stale = row is not None and row.boot_id == snap.boot_id and snap.seq <= row.seq and snap.boot_id
                if stale:
                    stored = False
                else:
                    row = row or AccountSnapshot(agent_id=agent_id)
                    for key, value in data.items():
                        setattr(row, key, value)
                    session.add(row)
            agent = self._touch(session, agent_id, now)
            agent.terminal_connected = snap.terminal_connected
            agent.trade_allowed = snap.trade_allowed
            agent.broker = snap.broker or agent.broker
            agent.version = snap.version or agent.version
            agent.last_error = snap.last_error
            session.commit()
        return stored

    def record_refusal(self, agent_id: str, sentence: str) -> None:
        """Note why the agent's request was refused (e.g. a contract version mismatch) as its last error."""
        with write_lock(self._engine), Session(self._engine) as session:
            agent = self._touch(session, agent_id, utcnow())
            agent.last_error = sentence
            session.commit()

    def touch(self, agent_id: str) -> None:
        """Mark the agent as seen now (every poll does this)."""
        with write_lock(self._engine), Session(self._engine) as session:
            self._touch(session, agent_id, utcnow())
            session.commit()

    @staticmethod
    def _touch(session: Session, agent_id: str, now: datetime) -> Agent:
        agent = session.get(Agent, agent_id) or Agent(id=agent_id)
        agent.last_seen_at = now
        session.add(agent)
        return agent
