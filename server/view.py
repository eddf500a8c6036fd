"""The in-memory view of everything intake decides on, kept current by the writer.

Intake must not wait on the database before the writer: the strategy lookup by webhook secret (on the event loop)
and the gates (in the writer) read this view instead. Only :class:`server.writer.Writer` changes it, after the
database change it mirrors, and it publishes a new :class:`Catalog` by swapping one reference, so a reader on the
event loop always sees one consistent catalog without a lock.

- :class:`Catalog` (immutable): the strategies by id and by webhook secret, and the account-wide settings.
- :class:`Counters` (writer thread only): per strategy, today's signals that traded or may still trade (the daily
  trade cap), and per agent the latest daily P&L figures (the daily loss limit).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from types import MappingProxyType
from typing import Any


@dataclass(frozen=True)
class StrategyView:
    """A strategy as intake reads it: the columns of ``tv_strategies`` that alerts depend on.

    Volumes in lots, ages and windows in seconds (see :class:`server.models.Strategy`). Built from a table row by
    :meth:`from_row`, which ignores columns it does not know, so new columns never break the view.
    """

    id: int
    name: str
    webhook_secret: str
    magic_number: int
    agent_id: str = "default"
    is_enabled: bool = True
    risk_override_pct: float | None = None
    allowed_pairs: tuple[str, ...] = ()
    default_volume: float | None = None
    max_lots: float | None = None
    max_signal_age_seconds: int = 300
    dedup_window_seconds: int = 60
    max_open_positions: int | None = None
    max_trades_per_day: int | None = None
    symbol_map: Mapping[str, str] = field(default_factory=dict)
    symbol_suffix: str | None = None
    pip_sizes: Mapping[str, float] = field(default_factory=dict)
    volume_type: str = "lots"
    target_type: str = "pips"
    entry_type: str = "pips"
    license_id: str | None = None
    alert_secret: str | None = None
    default_symbol: str | None = None
    dialects: tuple[str, ...] = ()
    trading_halted: bool = False
    #: HMAC-SHA256 key of senders that sign; ``None``: no signature required (kept out of reprs and logs).
    signing_secret: str | None = field(default=None, repr=False)
    rate_limit_per_second: int = 50
    rate_limit_per_minute: int = 600
    netting_against_others: str = "refuse"
    shared_stops: str = "refuse"
    max_hold_minutes: int | None = None
    flat_at: str | None = None
    trading_session: str | None = None
    rules_timezone: str = "UTC"
    max_entries_per_direction: int | None = None
    close_opposite_first: bool = False
    # -- issue 13 `ctl`: the trader's controls (server/controls.py, server/gates.py) --
    timeframes: tuple[str, ...] = ()
    risk_multiplier: float = 1.0
    dedup_by: str = "body"
    max_lots_mode: str = "refuse"
    max_exposure_pct: float | None = None
    exposure_basis: str = "margin"
    # -- issue 13 `tp`: default take-profit split (agent/planner/targets.py) --
    tp_split: tuple[float, ...] = ()
    # -- issue 13 `flow` --
    #: Accepted alerts wait as ``awaiting_approval`` until the trader approves them.
    require_approval: bool = False
    #: Further accounts: ``(agent_id, volume_multiplier)`` pairs beside the primary ``agent_id`` (multiplier 1).
    accounts: tuple[tuple[str, float], ...] = ()

    def targets(self) -> list[tuple[str, float]]:
        """Every account an alert of this strategy trades on, the primary first: ``(agent_id, volume_multiplier)``.
        An extra account naming the primary agent again, or an agent already listed, is ignored (one job per
        agent: exactly once per account)."""
        seen = {self.agent_id}
        found = [(self.agent_id, 1.0)]
        for agent_id, multiplier in self.accounts:
            if agent_id not in seen:
                seen.add(agent_id)
                found.append((agent_id, multiplier))
        return found

    @classmethod
    def from_row(cls, row: Mapping[str, Any]) -> StrategyView:
        """The view of one ``tv_strategies`` row (a mapping of column name to value, JSON columns decoded)."""
        names = {f.name for f in dataclasses.fields(cls)}
        values = {k: v for k, v in row.items() if k in names and v is not None}
        for key in ("allowed_pairs", "dialects", "timeframes", "tp_split"):
            values[key] = tuple(values.get(key) or ())
        for key in ("symbol_map", "pip_sizes"):
            values[key] = dict(values.get(key) or {})
        values["accounts"] = tuple(
            (str(a["agent_id"]), float(a.get("volume_multiplier", 1.0)))
            for a in values.get("accounts") or ()
            if isinstance(a, Mapping) and a.get("agent_id")
        )
        for key in ("is_enabled", "trading_halted", "close_opposite_first", "require_approval"):
            if key in values:
                values[key] = bool(values[key])
        return cls(**values)

    def parse_key(self) -> tuple[Any, ...]:
        """The settings that change how an alert body is read (an alert parsed under another key is re-parsed)."""
        return (
            self.volume_type,
            self.target_type,
            self.entry_type,
            self.license_id,
            self.default_symbol,
            self.dialects,
            self.default_volume is not None,
            tuple(sorted(self.symbol_map.items())),
        )


@dataclass(frozen=True)
class SettingsView:
    """The account-wide settings row: ``daily_loss_limit_pct`` in percent of the day's starting balance
    (``None``: no limit); ``trading_paused``: every alert is discarded. The account exposure caps
    (``account_max_exposure_pct`` of equity by ``account_exposure_basis``, ``account_max_open_positions``) travel
    to the agent in every job (:class:`contract.settings.ExecutionSettings`)."""

    daily_loss_limit_pct: float | None = None
    trading_paused: bool = False
    account_max_exposure_pct: float | None = None
    account_exposure_basis: str = "margin"
    account_max_open_positions: int | None = None

    @classmethod
    def from_row(cls, row: Mapping[str, Any]) -> SettingsView:
        """The view of the ``settings`` row (a mapping of column name to value); unknown columns are ignored."""
        names = {f.name for f in dataclasses.fields(cls)}
        values = {k: v for k, v in row.items() if k in names and v is not None}
        if "trading_paused" in values:
            values["trading_paused"] = bool(values["trading_paused"])
        return cls(**values)


@dataclass(frozen=True)
class AgentPnl:
    """An agent's latest daily figures from its account snapshot, in the account currency; ``day``: the UTC day
    they are of (the snapshot's ``taken_at``; ``None``: unknown). Figures of an earlier day say nothing of today."""

    day_start_balance: float = 0.0
    realized_pnl_today: float = 0.0
    day: date | None = None


@dataclass(frozen=True)
class Catalog:
    """Strategies and settings as of the last commit (or, inside the writer, as of the op being applied)."""

    strategies: Mapping[int, StrategyView] = field(default_factory=dict)
    settings: SettingsView = SettingsView()
    by_secret: Mapping[str, StrategyView] = field(default_factory=dict, compare=False)

    @classmethod
    def build(cls, strategies: Iterable[StrategyView], settings: SettingsView) -> Catalog:
        """A catalog indexing ``strategies`` by id and by webhook secret."""
        by_id = {s.id: s for s in strategies}
        return cls(
            strategies=MappingProxyType(by_id),
            settings=settings,
            by_secret=MappingProxyType({s.webhook_secret: s for s in by_id.values()}),
        )

    def with_strategy(self, strategy: StrategyView) -> Catalog:
        """This catalog with ``strategy`` replaced (same id)."""
        return Catalog.build([*(s for s in self.strategies.values() if s.id != strategy.id), strategy], self.settings)

    def with_settings(self, settings: SettingsView) -> Catalog:
        """This catalog with other settings."""
        return dataclasses.replace(self, settings=settings)


@dataclass
class Counters:
    """Writer-owned counters. ``trades`` counts, per strategy, the signals created on ``day`` (UTC) that are
    ``executed`` or ``pending`` — what the daily trade cap limits. ``pnl`` holds each agent's latest figures."""

    day: date
    trades: dict[int, int] = field(default_factory=dict)
    pnl: dict[str, AgentPnl] = field(default_factory=dict)
    #: When each agent was last marked as seen in the database (``time.monotonic()``).
    seen: dict[str, float] = field(default_factory=dict)

    def copy(self) -> Counters:
        """An independent copy (the writer works on a copy and keeps it only when the batch commits)."""
        return Counters(self.day, dict(self.trades), dict(self.pnl), dict(self.seen))

    def roll(self, now: datetime) -> None:
        """Start a new count when the UTC day changed."""
        if now.date() != self.day:
            self.day = now.date()
            self.trades = {}

    def trades_today(self, strategy_id: int, now: datetime) -> int:
        """Signals of ``strategy_id`` created today that traded or may still trade."""
        self.roll(now)
        return self.trades.get(strategy_id, 0)

    def counted(self, strategy_id: int, created_at: datetime, delta: int) -> None:
        """A signal created at ``created_at`` started (+1) or stopped (-1) counting toward its day's cap; signals
        of an earlier day no longer count for anything."""
        if created_at.date() > self.day:
            self.day, self.trades = created_at.date(), {}
        if created_at.date() == self.day:
            self.trades[strategy_id] = max(0, self.trades.get(strategy_id, 0) + delta)


class View:
    """What the event loop reads: :attr:`catalog`, replaced (never changed) by the writer after each commit."""

    def __init__(self, catalog: Catalog | None = None) -> None:
        self.catalog = catalog or Catalog()

    def strategy_by_secret(self, secret: str) -> StrategyView | None:
        """The strategy whose webhook secret is ``secret`` (``None``: unknown)."""
        return self.catalog.by_secret.get(secret)
