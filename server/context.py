"""The server's collaborators, built once by the composition root and shared by both listeners."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Engine
from sqlmodel import Session

from server.agents import AgentService
from server.dashboard.sessions import DashboardSessions
from server.intake import AlertIntake
from server.models import AppSettings, utcnow
from server.notifications import MemoryUrlStore, NotificationService
from server.queue import JobQueue
from server.security_events import SecurityMonitor
from server.strategies import StrategyService
from server.view import View
from server.writer import Writer


def _no_tunnel() -> dict[str, Any]:
    return {"state": "disabled", "public_url": None, "reason": "No tunnel in this process."}


def _no_app_status() -> dict[str, Any]:
    return {"state": "unknown", "reasons": ["This server runs without the tvbridge app around it."]}


@dataclass
class ServerContext:
    """Services behind the routes. ``engine`` reads (its connections are ``query_only`` in a running server);
    every write goes through ``writer``, which keeps ``view`` current. ``public_base_url`` and ``tunnel_status``
    are read at request time, so webhook URLs follow the tunnel as it comes and goes."""

    engine: Engine
    writer: Writer
    view: View
    admin_token: str
    agent_token: str
    public_base_url: Callable[[], str]
    intake: AlertIntake
    strategies: StrategyService
    agents: AgentService
    queue: JobQueue
    tunnel_status: Callable[[], dict[str, Any]] = _no_tunnel
    #: ``{"state": "running"|"degraded"|"stopped", "reasons": [...]}``: the tray icon's state (tray/status.py).
    app_status: Callable[[], dict[str, Any]] = _no_app_status
    #: Dashboard sign-in codes and sessions (in memory).
    sessions: DashboardSessions = field(default_factory=DashboardSessions)
    #: Notification targets (apprise) and the events that go to them; the runtime gives one backed by the keyring.
    notifications: NotificationService = field(default_factory=lambda: NotificationService(MemoryUrlStore()))

    @property
    def security(self) -> SecurityMonitor:
        """The refused-sender counter the intake reports to (``server.security_events``)."""
        return self.intake.monitor
    #: Called with each new ledger event (``server.ledger.schemas.EventOut``: a trade its signal did not close),
    #: from a worker thread after it is committed; the tray shows a notification. Must not block.
    on_ledger_event: Callable[[Any], None] | None = None

    def read_settings(self) -> AppSettings:
        """The account-wide settings row (defaults when never written)."""
        with Session(self.engine) as session:
            return session.get(AppSettings, 1) or AppSettings()

    @property
    def trading_paused(self) -> bool:
        """Whether trading is paused, from the writer's view (no database read)."""
        return self.view.catalog.settings.trading_paused

    def update_settings(self, **changes: Any) -> AppSettings:
        """Change ``daily_loss_limit_pct`` and/or ``trading_paused`` through the writer; returns the new row.

        Blocking: call from a worker thread (the admin routes do), never on the event loop.
        :raises StorageUnavailable: the database could not be written.
        """

        def write(session: Session) -> AppSettings:
            row = session.get(AppSettings, 1) or AppSettings(id=1)
            for key, value in changes.items():
                setattr(row, key, value)
            row.updated_at = utcnow()
            session.add(row)
            session.commit()
            session.refresh(row)
            return row

        return self.writer.run_session(write)
