"""The server's collaborators, built once by the composition root and shared by both listeners."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Engine
from sqlmodel import Session, select

from server.agents import AgentService
from server.dashboard.sessions import DashboardSessions
from server.intake import AlertIntake
from server.models import AppSettings, Strategy, utcnow
from server.queue import JobNotifier, JobQueue
from server.strategies import StrategyService


def _no_tunnel() -> dict[str, Any]:
    return {"state": "disabled", "public_url": None, "reason": "No tunnel in this process."}


def _no_app_status() -> dict[str, Any]:
    return {"state": "unknown", "reasons": ["This server runs without the tvbridge app around it."]}


@dataclass
class ServerContext:
    """Services behind the routes. ``public_base_url`` and ``tunnel_status`` are read at request time, so
    webhook URLs follow the tunnel as it comes and goes."""

    engine: Engine
    admin_token: str
    agent_token: str
    public_base_url: Callable[[], str]
    intake: AlertIntake
    strategies: StrategyService
    agents: AgentService
    queue: JobQueue
    notifier: JobNotifier = field(default_factory=JobNotifier)
    tunnel_status: Callable[[], dict[str, Any]] = _no_tunnel
    #: ``{"state": "running"|"degraded"|"stopped", "reasons": [...]}``: the tray icon's state (tray/status.py).
    app_status: Callable[[], dict[str, Any]] = _no_app_status
    #: Dashboard sign-in codes and sessions (in memory).
    sessions: DashboardSessions = field(default_factory=DashboardSessions)
    #: Called with each new ledger event (``server.ledger.schemas.EventOut``: a trade its signal did not close),
    #: from a worker thread after it is committed; the tray shows a notification. Must not block.
    on_ledger_event: Callable[[Any], None] | None = None

    def read_settings(self) -> AppSettings:
        """The account-wide settings row (defaults when never written)."""
        with Session(self.engine) as session:
            return session.get(AppSettings, 1) or AppSettings()

    def update_settings(self, **changes: Any) -> AppSettings:
        """Change ``daily_loss_limit_pct`` and/or ``trading_paused``; returns the new row."""
        with Session(self.engine) as session:
            row = session.get(AppSettings, 1) or AppSettings(id=1)
            for key, value in changes.items():
                setattr(row, key, value)
            row.updated_at = utcnow()
            session.add(row)
            session.commit()
            session.refresh(row)
            return row

    def route_universal(self, body: bytes) -> int | None:
        """The strategy a universal-endpoint body names: by its webhook secret or alert secret
        (``secret``/``api_sec``), else by PineConnector License ID plus ``strategy`` name; ``None`` if none."""
        from server.alerts import extract_routing  # the alert language owns body routing

        routing = extract_routing(body)
        with Session(self.engine) as session:
            if routing.secret:
                stmt = select(Strategy).where(
                    (Strategy.webhook_secret == routing.secret) | (Strategy.alert_secret == routing.secret)
                )
                hit = session.exec(stmt).first()
                if hit is not None:
                    return hit.id
            if routing.license_id:
                stmt = select(Strategy).where(Strategy.license_id == routing.license_id)
                if routing.strategy:
                    stmt = stmt.where(Strategy.name == routing.strategy)
                hits = session.exec(stmt).all()
                if len(hits) == 1:
                    return hits[0].id
        return None
