"""SQLModel tables: strategies, signals, jobs, agents, account snapshots and the app settings row.

Times are stored as aware UTC datetimes. JSON columns hold lists/dicts that are only ever read whole.
Column names follow the seed schema (``tv_strategies``, ``tv_signals``); fields mirrored from MT5 carry
MT5's names (``order_ticket`` is the MT5 order ticket, ``fill_price`` the deal price).

Identities are never reused (an order comment ``tvb:<signal id>`` and a magic number name one signal and one
strategy forever): every table with an integer id is ``AUTOINCREMENT`` (SQLite never hands out an id again,
even the newest one after it was deleted), and magic numbers come from the ``counters`` table, which only
counts up.
"""

from __future__ import annotations

from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, BigInteger, Column, DateTime, Float, ForeignKey, Index, Integer, String
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator
from sqlmodel import Field, SQLModel


def utcnow() -> datetime:
    """The current time as an aware UTC datetime (all stored times use this)."""
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """Stores datetimes as UTC and returns them aware: SQLite keeps no time zone, so without this a
    round trip would hand back naive datetimes."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is not None and value.tzinfo is not None:
            value = value.astimezone(UTC).replace(tzinfo=None)
        return value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        return value.replace(tzinfo=UTC) if value is not None and value.tzinfo is None else value


def _ts(**kw: Any) -> Any:
    return Field(sa_column=Column(UTCDateTime(), **kw))


class SignalStatus(StrEnum):
    """Every stored signal ends in exactly one of the final states. Two states are open: ``pending`` (its jobs are
    queued for, or being run by, its agents) and ``awaiting_approval`` (a strategy with ``require_approval``: its
    jobs are held until the trader approves; rejected by the trader, or expired at the strategy's max signal age,
    it ends without trading)."""

    PENDING = "pending"
    AWAITING_APPROVAL = "awaiting_approval"
    EXECUTED = "executed"
    REJECTED = "rejected"
    DISCARDED = "discarded"
    DUPLICATE = "duplicate"
    EXPIRED = "expired"
    FAILED = "failed"


#: The states a signal leaves again; every other state is final.
OPEN_STATUSES = frozenset({SignalStatus.PENDING, SignalStatus.AWAITING_APPROVAL})
FINAL_STATUSES = frozenset(s for s in SignalStatus if s not in OPEN_STATUSES)


class JobStatus(StrEnum):
    """A job is ``queued`` until an agent claims it atomically, then ``done`` (whatever the outcome) or
    ``expired`` when nobody claimed it before its deadline. ``lapsed``: claimed, past its deadline, and the
    claiming agent's lease lapsed (it hung or vanished): its signal carries a provisional outcome, which the result
    of the next agent that holds the lease replaces (server/queue.py: the watchdog). ``held``: its signal awaits the
    trader's approval; no agent sees it until approval queues it (a rejection makes it ``done``, its deadline
    ``expired``)."""

    HELD = "held"
    QUEUED = "queued"
    CLAIMED = "claimed"
    DONE = "done"
    EXPIRED = "expired"
    LAPSED = "lapsed"


#: Table arguments of every table with an integer id: SQLite ``AUTOINCREMENT`` (ids are never reused).
NEVER_REUSED_IDS = {"sqlite_autoincrement": True}


class Strategy(SQLModel, table=True):
    """One TradingView strategy with its own webhook URL (the secret is the URL's last path segment).

    Volumes are in lots; ``max_signal_age_seconds`` bounds both the alert's own timestamp (staleness gate)
    and how long its job may wait for an agent (expiry). ``agent_id`` names the agent
    (MT5 terminal) that executes it. ``volume_type``/``target_type``/``entry_type`` give PineConnector's
    legacy ``risk=``/``sl=``/``tp=``/``price=`` their units. ``magic_number`` comes from the ``counters`` table.
    ``archived_at``: set when the strategy was deleted; the row (and its signals) stay, its webhook secret is
    replaced so the URL no longer reaches it, and it is left out of lists. Ownership on netting accounts
    (``netting_against_others``, ``shared_stops``), exit rules (``max_hold_minutes``, ``flat_at``,
    ``trading_session``, ``rules_timezone``) and pyramiding (``max_entries_per_direction``,
    ``close_opposite_first``) travel to the agent in :class:`contract.settings.ExecutionSettings`.
    """

    __tablename__ = "tv_strategies"
    __table_args__ = NEVER_REUSED_IDS

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=100)
    agent_id: str = Field(default="default", max_length=64)
    webhook_secret: str = Field(sa_column=Column(String(64), unique=True, index=True, nullable=False))
    is_enabled: bool = True
    risk_override_pct: float | None = None
    allowed_pairs: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    default_volume: float | None = None
    max_lots: float | None = None
    magic_number: int = Field(sa_column=Column(Integer, unique=True, nullable=False))
    max_signal_age_seconds: int = 300
    dedup_window_seconds: int = 60
    max_open_positions: int | None = None
    max_trades_per_day: int | None = None
    symbol_map: dict[str, str] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    symbol_suffix: str | None = None
    pip_sizes: dict[str, float] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    volume_type: str = "lots"
    target_type: str = "pips"
    entry_type: str = "pips"
    license_id: str | None = None
    alert_secret: str | None = None
    default_symbol: str | None = None
    dialects: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    trading_halted: bool = False
    #: HMAC-SHA256 key of senders that sign (server/signatures.py); write-only in the API, never logged.
    signing_secret: str | None = Field(default=None, max_length=256, repr=False)
    #: Alerts per second / per minute before further ones are discarded (server/ratelimits.py).
    rate_limit_per_second: int = 50
    rate_limit_per_minute: int = 600
    netting_against_others: str = Field(default="refuse", max_length=16)
    shared_stops: str = Field(default="refuse", max_length=16)
    max_hold_minutes: int | None = None
    flat_at: str | None = Field(default=None, max_length=5)
    trading_session: str | None = Field(default=None, max_length=11)
    rules_timezone: str = Field(default="UTC", max_length=64)
    max_entries_per_direction: int | None = None
    close_opposite_first: bool = False
    # -- issue 13 `flow`: manual approval and fan-out to several accounts (server/flow/) --
    require_approval: bool = False
    accounts: list[dict[str, Any]] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    # Trader's controls (issue 13, ctl): see server/schemas/strategies.py DOCS for each.
    timeframes: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False, server_default="[]"))
    risk_multiplier: float = 1.0
    dedup_by: str = Field(default="body", max_length=16)
    max_lots_mode: str = Field(default="refuse", max_length=16)
    max_exposure_pct: float | None = None
    exposure_basis: str = Field(default="margin", max_length=16)
    #: Default shares (percent) of take-profit levels an alert gives without shares, TP1 first; [] = equal split.
    tp_split: list[float] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    created_at: datetime = _ts(nullable=False, default=utcnow)
    updated_at: datetime = _ts(nullable=False, default=utcnow)
    archived_at: datetime | None = _ts(nullable=True)


class Signal(SQLModel, table=True):
    """One received alert and its single outcome.

    ``intent`` is the normalized :class:`contract.intent.TradeIntent` as JSON; ``orders`` the requests sent to
    the terminal with their tickets and retcodes (:class:`contract.jobs.SentOrder`); ``order_ticket`` the MT5
    ticket of the last order; ``positions_after`` the strategy's positions as its agent read them right after
    the signal's last order (:class:`contract.account.PositionState`). Timings: ``received_at`` (request read),
    ``acked_at`` (stored, answer sent), ``sent_at`` (first ``order_send``), ``filled_at`` (last fill), ``resolved_at``.
    """

    __tablename__ = "tv_signals"
    __table_args__ = NEVER_REUSED_IDS

    id: int | None = Field(default=None, primary_key=True)
    strategy_id: int = Field(
        sa_column=Column(Integer, ForeignKey("tv_strategies.id", ondelete="CASCADE"), index=True, nullable=False)
    )
    status: str = Field(default=SignalStatus.PENDING, index=True, max_length=16)
    symbol: str | None = None
    action: str | None = None
    volume: float | None = None
    raw_payload: str = ""
    content_type: str | None = None
    intent: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON))
    idempotency_key: str | None = Field(default=None, index=True, max_length=200)
    body_hash: str | None = Field(default=None, index=True, max_length=64)
    alert_time: datetime | None = _ts(nullable=True)
    error_message: str | None = None
    fill_price: float | None = None
    order_ticket: int | None = Field(default=None, sa_column=Column(BigInteger, nullable=True))
    orders: list[dict[str, Any]] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    notes: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    positions_after: list[dict[str, Any]] | None = Field(default=None, sa_column=Column(JSON, nullable=True))
    received_at: datetime = _ts(nullable=False, default=utcnow)
    acked_at: datetime | None = _ts(nullable=True)
    sent_at: datetime | None = _ts(nullable=True)
    filled_at: datetime | None = _ts(nullable=True)
    resolved_at: datetime | None = _ts(nullable=True)
    created_at: datetime = _ts(nullable=False, default=utcnow, index=True)
    #: What decided the outcome: an intake gate's name (``server.gates.GATES``), ``agent`` or ``expiry``.
    decided_by: str | None = Field(default=None, max_length=32)
    #: When the trader approved it (a strategy with ``require_approval``, server/flow/approval.py); ``None``: it
    #: never waited for approval, or is still waiting, or was rejected or expired unapproved.
    approved_at: datetime | None = _ts(nullable=True)


class Job(SQLModel, table=True):
    """Work for one agent. ``payload`` is a :class:`contract.jobs.JobSpec` as JSON (the parsed alert and the
    strategy's execution settings at intake); ``expires_at`` is its deadline.

    A signal has one job per account it trades on (the strategy's ``agent_id`` and its ``accounts``), at most one
    per agent (``ux_jobs_signal_agent``). ``volume_multiplier`` scales that account's entry volumes; ``result``
    is what that account's job ended with (:class:`contract.jobs.JobResult` as JSON, or the expiry's sentence),
    from which the signal's own outcome is derived (:mod:`server.flow.outcome`).
    """

    __tablename__ = "jobs"
    __table_args__ = (
        Index("ux_jobs_signal_agent", "signal_id", "agent_id", unique=True),
        Index("ix_jobs_agent_finish", "agent_id", "finish_seq"),
        NEVER_REUSED_IDS,
    )

    id: int | None = Field(default=None, primary_key=True)
    signal_id: int | None = Field(
        default=None,
        sa_column=Column(Integer, ForeignKey("tv_signals.id", ondelete="CASCADE"), index=True, nullable=True),
    )
    agent_id: str = Field(index=True, max_length=64)
    job_type: str = Field(default="trade", max_length=32)
    status: str = Field(default=JobStatus.QUEUED, index=True, max_length=16)
    payload: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    attempts: int = 0
    claimed_by: str | None = None
    claimed_at: datetime | None = _ts(nullable=True)
    finished_at: datetime | None = _ts(nullable=True)
    expires_at: datetime | None = _ts(nullable=True)
    created_at: datetime = _ts(nullable=False, default=utcnow)
    #: The lease epoch of the agent process that claimed it last (server/leases.py); ``None`` while queued.
    lease_epoch: int | None = Field(default=None, sa_column=Column(BigInteger, nullable=True))
    #: When the server quarantined it (handed out too often without a result): it is then only reconciled.
    quarantined_at: datetime | None = _ts(nullable=True)
    volume_multiplier: float = Field(default=1.0, sa_column=Column(Float, nullable=False, server_default="1"))
    result: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON, nullable=True))
    #: The job's number in the order its agent id finished jobs (``JobResult.finish_seq``; server/reflected.py).
    finish_seq: int | None = Field(default=None, sa_column=Column(BigInteger, nullable=True))


class AgentLease(SQLModel, table=True):
    """Which agent process may act for an agent id (server/leases.py): the newest ``epoch`` granted (epochs only go
    up, never reused), the process that holds it (``holder``, ``host``, ``pid``, ``lock_domain``) and when. Whether
    it is still live is kept in memory by the server (a monotonic clock), not here."""

    __tablename__ = "agent_leases"

    agent_id: str = Field(primary_key=True, max_length=64)
    epoch: int = Field(default=0, sa_column=Column(BigInteger, nullable=False))
    holder: str | None = Field(default=None, max_length=64)
    host: str | None = Field(default=None, max_length=255)
    pid: int | None = None
    lock_domain: str | None = Field(default=None, max_length=64)
    granted_at: datetime | None = _ts(nullable=True)
    renewed_at: datetime | None = _ts(nullable=True)
    released_at: datetime | None = _ts(nullable=True)


class Agent(SQLModel, table=True):
    """An agent process (one MT5 terminal) as last seen by the server."""

    __tablename__ = "agents"

    id: str = Field(primary_key=True, max_length=64)
    broker: str | None = None
    version: str | None = None
    terminal_connected: bool | None = None
    trade_allowed: bool | None = None
    last_error: str | None = None
    last_seen_at: datetime | None = _ts(nullable=True)


class AccountSnapshot(SQLModel, table=True):
    """An agent's latest account figures (one row per agent, replaced on every post).

    Money is in ``currency`` (the account currency). ``realized_pnl_today`` is the profit + swap + commission
    of today's closing deals of all tvbridge strategies' magic numbers; ``pnl_by_magic`` splits it by magic
    number; ``day_start_balance`` is the balance before today's realised P&L. ``positions`` are the open
    positions (:class:`contract.account.PositionState`), ``pending_orders`` the pending orders
    (:class:`contract.account.PendingOrderState`; ``None`` from an agent that does not report them).
    ``boot_id``/``seq`` order the posts of one agent process; ``as_of_finish`` is the agent's finish counter read
    before the terminal (the snapshot reflects its jobs with ``finish_seq`` up to it), ``as_of_signal`` the newest
    signal whose job the agent process had finished then, as the agent reported it. What the snapshot reflects, in
    signal ids, is derived from both by :func:`server.reflected.reflected_signal`.
    """

    __tablename__ = "account_snapshots"

    agent_id: str = Field(primary_key=True, max_length=64)
    login: int | None = None
    server: str | None = None
    currency: str | None = None
    margin_mode: str | None = None
    balance: float = 0.0
    equity: float = 0.0
    margin_free: float = 0.0
    day_start_balance: float = 0.0
    realized_pnl_today: float = 0.0
    pnl_by_magic: dict[str, float] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    positions: list[dict[str, Any]] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    pending_orders: list[dict[str, Any]] | None = Field(default=None, sa_column=Column(JSON, nullable=True))
    taken_at: datetime = _ts(nullable=False, default=utcnow)
    boot_id: str = Field(default="", max_length=64)
    seq: int = Field(default=0, sa_column=Column(BigInteger, nullable=False, server_default="0"))
    as_of_signal: int | None = None
    as_of_finish: int | None = Field(default=None, sa_column=Column(BigInteger, nullable=True))


class AppSettings(SQLModel, table=True):
    """The single row (``id == 1``) of account-wide risk settings.

    ``daily_loss_limit_pct``: once today's realised loss reaches this percent of the day's starting balance,
    new alerts are discarded (``decided_by = "daily_loss_limit"``, with a sentence: server/gates.py) (``None`` = no
    limit).
    ``trading_paused``: every alert is discarded while set (tray "Pause all trading").
    Exposure caps of each agent's account (checked by the agent, which reads the terminal):
    ``account_max_exposure_pct`` (margin or notional, per ``account_exposure_basis``, as % of equity) and
    ``account_max_open_positions`` (every position on the account, whoever opened it); ``None`` = no cap.
    """

    __tablename__ = "settings"

    id: int | None = Field(default=1, primary_key=True)
    daily_loss_limit_pct: float | None = None
    trading_paused: bool = False
    #: Which events go to the notification targets (``server.notifications.NoticeKind`` values); ``None``: the
    #: defaults (``server.notifications.DEFAULT_EVENTS``).
    notify_events: list[str] | None = Field(default=None, sa_column=Column(JSON, nullable=True))
    account_max_exposure_pct: float | None = None
    account_exposure_basis: str = Field(default="margin", max_length=16)
    account_max_open_positions: int | None = None
    updated_at: datetime = _ts(nullable=False, default=utcnow)


class SecurityEvent(SQLModel, table=True):
    """Refused senders, rolled up: one row per minute (``bucket``), kind, source address, endpoint, fingerprint of
    the secret tried, strategy and detail, with how many requests it stands for (``count``) and the first and last
    time.

    ``kind`` is a :class:`server.security_events.SecurityKind` value; ``endpoint`` the route template (never a
    secret); ``fingerprint`` a short keyed hash of the secret tried (``''``: none was tried) that cannot be turned
    back into the secret; ``strategy_id`` 0 when no strategy was reached. The table is bounded: rows older than
    the retention and rows past the cap are pruned by the writer (server/security_events/store.py).
    """

    __tablename__ = "security_events"
    __table_args__ = (
        Index(
            "ux_security_events_rollup", "bucket", "kind", "source", "endpoint", "fingerprint", "strategy_id", "detail",
            unique=True,
        ),
        NEVER_REUSED_IDS,
    )

    id: int | None = Field(default=None, primary_key=True)
    bucket: datetime = _ts(nullable=False, index=True)
    kind: str = Field(max_length=32)
    source: str = Field(max_length=64)
    endpoint: str = Field(max_length=64)
    fingerprint: str = Field(default="", max_length=16)
    strategy_id: int = 0
    detail: str = Field(default="", max_length=300)
    count: int = Field(default=0, sa_column=Column(BigInteger, nullable=False))
    first_at: datetime = _ts(nullable=False)
    last_at: datetime = _ts(nullable=False, index=True)


class Counter(SQLModel, table=True):
    """A number that only counts up, never back (across deletes and restarts). ``next_value`` is the next one to
    hand out. Rows: ``magic_number`` (the next strategy's MT5 magic number, first 27_700_001)."""

    __tablename__ = "counters"

    name: str = Field(primary_key=True, max_length=32)
    next_value: int = Field(sa_column=Column(BigInteger, nullable=False))


import server.ledger.models  # noqa: E402, F401  (the ledger tables, so migrations see them)
