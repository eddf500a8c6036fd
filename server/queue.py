"""The job queue: jobs live in SQLite, agents long-poll for them, and a notifier wakes the poll at once.

Claiming is one ``UPDATE ... RETURNING`` statement, so two agents (or two polls of one agent) can never take
the same job. The notifier is a per-agent :class:`asyncio.Event` on the server's event loop; the webhook and
the long-poll run on that same loop, so waking a poll costs no polling interval on an alert's path.
"""

from __future__ import annotations

import asyncio
import logging
from collections import defaultdict
from datetime import datetime

from sqlalchemy import Engine, func, text
from sqlmodel import Session, col, select

from server.db import write_lock
from server.models import Job, JobStatus, Signal, SignalStatus, utcnow

logger = logging.getLogger(__name__)

_CLAIM_SQL = text(
    """
    UPDATE jobs SET status = :claimed, claimed_by = :agent, claimed_at = :now, attempts = attempts + 1
    WHERE id = (
        SELECT id FROM jobs WHERE status = :queued AND agent_id = :agent ORDER BY id LIMIT 1
    ) AND status = :queued
    RETURNING id
    """
)


class JobNotifier:
    """Wakes long-polling agents when a job is queued for them. Use only from the server's event loop."""

    def __init__(self) -> None:
        self._events: dict[str, asyncio.Event] = defaultdict(asyncio.Event)
        #: Set at shutdown: every waiting poll returns at once (no job) so the server can stop promptly.
        self.closed = False

    def shutdown(self) -> None:
        """Release every waiting poll; later polls return immediately."""
        self.closed = True
        for event in self._events.values():
            event.set()

    def notify(self, agent_id: str) -> None:
        """Wake every poll waiting for ``agent_id``."""
        self._events[agent_id].set()

    def arm(self, agent_id: str) -> asyncio.Event:
        """Return the agent's event, cleared. Arm *before* checking the queue, then wait on it: a job queued
        between the check and the wait has set the event already, so it is never missed."""
        event = self._events[agent_id]
        event.clear()
        return event


class JobQueue:
    """Claims, finishes and expires jobs in the database.

    All methods are blocking (SQLite); call them from a worker thread when on the event loop.
    """

    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def claim_next(self, agent_id: str) -> Job | None:
        """Atomically claim the oldest queued job for ``agent_id``; ``None`` when there is none."""
        now = utcnow()
        with write_lock(self._engine), Session(self._engine) as session:
            row = session.execute(
                _CLAIM_SQL,
                {"claimed": JobStatus.CLAIMED.value, "queued": JobStatus.QUEUED.value, "agent": agent_id, "now": now},
            ).first()
            session.commit()
            if row is None:
                return None
            return session.get(Job, row[0])

    def unfinished(self, agent_id: str) -> list[Job]:
        """Jobs ``agent_id`` claimed but never finished (it crashed or was killed mid-job)."""
        with Session(self._engine) as session:
            stmt = select(Job).where(Job.agent_id == agent_id, Job.status == JobStatus.CLAIMED).order_by(col(Job.id))
            return list(session.exec(stmt).all())

    def last_finished_signal(self, agent_id: str) -> int | None:
        """The newest signal whose job for ``agent_id`` is done (``None`` when there is none)."""
        with Session(self._engine) as session:
            stmt = select(func.max(Job.signal_id)).where(Job.agent_id == agent_id, Job.status == JobStatus.DONE)
            return session.exec(stmt).one()

    def expire_overdue(self, now: datetime | None = None) -> list[int]:
        """Expire queued jobs past their deadline and their signals; return the expired signal ids.

        A signal older than its strategy's max age is never executed late (docs/architecture.md).
        """
        now = now or utcnow()
        expired: list[int] = []
        with write_lock(self._engine), Session(self._engine) as session:
            stmt = select(Job).where(Job.status == JobStatus.QUEUED, col(Job.expires_at) < now)
            for job in session.exec(stmt).all():
                job.status = JobStatus.EXPIRED
                job.finished_at = now
                signal = session.get(Signal, job.signal_id) if job.signal_id else None
                if signal is not None and signal.status == SignalStatus.PENDING:
                    signal.status = SignalStatus.EXPIRED
                    signal.error_message = (
                        f"Not executed: no agent picked it up within the strategy's max signal age. "
                        f"Check that the agent '{job.agent_id}' is running and MetaTrader 5 is connected."
                    )
                    signal.resolved_at = now
                    expired.append(signal.id or 0)
                session.add(job)
            session.commit()
        if expired:
            logger.warning("expired %d signal(s) no agent took in time: %s", len(expired), expired)
        return expired
