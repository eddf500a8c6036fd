"""What agents report back: job results (propagated to signals) and account snapshots."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, Field
from sqlalchemy import Engine
from sqlmodel import Session

from server.db import write_lock
from server.models import FINAL_STATUSES, AccountSnapshot, Agent, Job, JobStatus, Signal, SignalStatus, utcnow

logger = logging.getLogger(__name__)


class SentOrder(BaseModel):
    """One request the agent sent: what it asked for and what the terminal answered.

    ``type`` is the ORDER_TYPE_*/action name (``buy``, ``sell``, ``buy_limit``, ``close``, ``sltp`` ...);
    ``volume`` in lots; ``price``/``sl``/``tp`` in the symbol's price; ``ticket`` the MT5 order ticket;
    ``deal`` the deal ticket (0 for pending orders); ``retcode`` the trade server return code.
    """

    description: str = ""
    symbol: str
    type: str
    volume: float = 0.0
    price: float = 0.0
    sl: float = 0.0
    tp: float = 0.0
    ticket: int = 0
    deal: int = 0
    position: int = 0
    retcode: int | None = None
    comment: str = ""


class JobResult(BaseModel):
    """An agent's report on a job. ``status`` is the signal's final status; ``error_message`` a sentence a
    trader can act on (required unless executed). ``fill_price`` is the last deal's price; ``broker_order_id``
    the MT5 ticket of the (last) order. Times are aware UTC."""

    status: Literal["executed", "failed", "rejected", "discarded", "expired"]
    error_message: str | None = None
    fill_price: float | None = None
    broker_order_id: str | None = None
    orders: list[SentOrder] = Field(default_factory=list)
    notes: list[str] = Field(default_factory=list)
    sent_at: datetime | None = None
    filled_at: datetime | None = None
    reconciled: bool = False


class SnapshotIn(BaseModel):
    """An account snapshot as posted by an agent (see :class:`server.models.AccountSnapshot`)."""

    login: int | None = None
    server: str | None = None
    currency: str | None = None
    margin_mode: str | None = None
    balance: float | None = None
    equity: float | None = None
    margin_free: float = 0.0
    day_start_balance: float = 0.0
    realized_pnl_today: float = 0.0
    pnl_by_magic: dict[str, float] = Field(default_factory=dict)
    positions: list[dict[str, Any]] = Field(default_factory=list)
    terminal_connected: bool | None = None
    trade_allowed: bool | None = None
    broker: str | None = None
    version: str | None = None
    last_error: str | None = None


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
                signal.error_message = None if result.status == "executed" else result.error_message
                signal.fill_price = result.fill_price
                signal.broker_order_id = result.broker_order_id
                signal.orders = [o.model_dump() for o in result.orders]
                signal.notes = [*signal.notes, *result.notes]
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

    def record_snapshot(self, agent_id: str, snap: SnapshotIn) -> None:
        """Replace the agent's latest account snapshot and refresh its health fields."""
        now = utcnow()
        data = snap.model_dump(exclude={"terminal_connected", "trade_allowed", "broker", "version", "last_error"})
        with write_lock(self._engine), Session(self._engine) as session:
            if snap.balance is not None:  # None: a health-only post from an agent without a terminal
                row = session.get(AccountSnapshot, agent_id) or AccountSnapshot(agent_id=agent_id)
                for key, value in data.items():
                    setattr(row, key, value)
                row.taken_at = now
                session.add(row)
            agent = self._touch(session, agent_id, now)
            agent.terminal_connected = snap.terminal_connected
            agent.trade_allowed = snap.trade_allowed
            agent.broker = snap.broker or agent.broker
            agent.version = snap.version or agent.version
            agent.last_error = snap.last_error
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
