"""Strategy management: the one service behind the admin API, the CLI and the tray menu.

Enabling a strategy from the tray and ``PATCH /api/v1/strategies/{id}`` are the same call
(:meth:`StrategyService.update`), so the two can never disagree.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from typing import Any

from sqlalchemy import Engine, func
from sqlmodel import Session, col, select

from server.models import Signal, Strategy, utcnow
from server.writer import Writer

#: First magic number handed out; each new strategy takes the next free one (unsigned 64-bit in MT5).
FIRST_MAGIC = 27_700_001

#: Lots used when an alert names no volume, for strategies created without saying otherwise.
DEFAULT_VOLUME_LOTS = 0.01

#: Fields a PATCH may change.
EDITABLE_FIELDS = frozenset(
    {
        "name",
        "agent_id",
        "is_enabled",
        "risk_override_pct",
        "allowed_pairs",
        "default_volume",
        "max_lots",
        "max_signal_age_seconds",
        "dedup_window_seconds",
        "max_open_positions",
        "max_trades_per_day",
        "symbol_map",
        "symbol_suffix",
        "pip_sizes",
        "volume_type",
        "target_type",
        "entry_type",
        "license_id",
        "alert_secret",
        "default_symbol",
        "dialects",
        "trading_halted",
    }
)


class StrategyNotFound(LookupError):
    """No strategy has that id."""


def new_webhook_secret() -> str:
    """A fresh webhook secret: 32 random bytes, URL-safe base64 (43 characters)."""
    return secrets.token_urlsafe(32)


class StrategyService:
    """Create, read, update, delete and rotate strategies.

    ``public_base_url`` returns the current public base URL (the tunnel's when it is online); webhook URLs
    are built from it at read time, so they follow the tunnel.
    """

    def __init__(self, engine: Engine, public_base_url: Callable[[], str], writer: Writer) -> None:
        self._engine = engine
        self._public_base_url = public_base_url
        self._write = writer.run_session  # every change goes through the one writer (server/writer.py)

    def webhook_url(self, strategy: Strategy) -> str:
        """The URL to paste into TradingView's alert dialog for ``strategy``."""
        return f"{self._public_base_url().rstrip('/')}/api/v1/webhooks/tv/{strategy.webhook_secret}"

    def list(self) -> list[tuple[Strategy, int]]:
        """Every strategy with its number of stored signals, by id."""
        with Session(self._engine) as session:
            counts = dict(
                session.exec(select(Signal.strategy_id, func.count()).group_by(Signal.strategy_id)).all()  # type: ignore[arg-type]
            )
            strategies = session.exec(select(Strategy).order_by(col(Strategy.id))).all()
            return [(s, counts.get(s.id or 0, 0)) for s in strategies]

    def get(self, strategy_id: int) -> Strategy:
        """One strategy. :raises StrategyNotFound:"""
        with Session(self._engine) as session:
            strategy = session.get(Strategy, strategy_id)
            if strategy is None:
                raise StrategyNotFound(f"No strategy with id {strategy_id}.")
            return strategy

    def create(self, name: str, **settings: Any) -> Strategy:
        """Create a strategy with a new webhook secret and the next free magic number.

        ``settings`` may hold any of :data:`EDITABLE_FIELDS`; ``default_volume`` defaults to
        :data:`DEFAULT_VOLUME_LOTS` (pass ``None`` for "alerts must name their volume").
        :raises ValueError: for an unknown field.
        """
        unknown = set(settings) - EDITABLE_FIELDS
        if unknown:
            raise ValueError(f"Unknown strategy setting(s): {', '.join(sorted(unknown))}.")
        settings.setdefault("default_volume", DEFAULT_VOLUME_LOTS)

        def write(session: Session) -> Strategy:
            top = session.exec(select(func.max(Strategy.magic_number))).one()
            strategy = Strategy(
                name=name,
                webhook_secret=new_webhook_secret(),
                magic_number=max(FIRST_MAGIC, (top or 0) + 1),
                **settings,
            )
            session.add(strategy)
            session.commit()
            session.refresh(strategy)
            return strategy

        return self._write(write)

    def update(self, strategy_id: int, **changes: Any) -> Strategy:
        """Change settings of a strategy. :raises StrategyNotFound: :raises ValueError: unknown field."""
        unknown = set(changes) - EDITABLE_FIELDS
        if unknown:
            raise ValueError(f"Unknown strategy setting(s): {', '.join(sorted(unknown))}.")

        def write(session: Session) -> Strategy:
            strategy = session.get(Strategy, strategy_id)
            if strategy is None:
                raise StrategyNotFound(f"No strategy with id {strategy_id}.")
            for key, value in changes.items():
                setattr(strategy, key, value)
            strategy.updated_at = utcnow()
            session.add(strategy)
            session.commit()
            session.refresh(strategy)
            return strategy

        return self._write(write)

    def set_enabled(self, strategy_id: int, enabled: bool) -> Strategy:
        """Enable or disable a strategy (the tray's check items)."""
        return self.update(strategy_id, is_enabled=enabled)

    def rotate_secret(self, strategy_id: int) -> Strategy:
        """Give the strategy a new webhook secret; the old URL stops working at once."""

        def write(session: Session) -> Strategy:
            strategy = session.get(Strategy, strategy_id)
            if strategy is None:
                raise StrategyNotFound(f"No strategy with id {strategy_id}.")
            strategy.webhook_secret = new_webhook_secret()
            strategy.updated_at = utcnow()
            session.add(strategy)
            session.commit()
            session.refresh(strategy)
            return strategy

        return self._write(write)

    def delete(self, strategy_id: int) -> None:
        """Delete a strategy with its signals and jobs (foreign keys cascade). :raises StrategyNotFound:"""

        def write(session: Session) -> None:
            strategy = session.get(Strategy, strategy_id)
            if strategy is None:
                raise StrategyNotFound(f"No strategy with id {strategy_id}.")
            session.delete(strategy)
            session.commit()

        self._write(write)
