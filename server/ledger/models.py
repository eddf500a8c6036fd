"""Ledger tables: deals (each stored once), trades and open shares (rebuilt from deals), sync cursors, and events
(trades a strategy's own signal did not close).

``server/models.py`` imports this module at its end, so the tables are on ``SQLModel.metadata`` for migrations.
Money is in the account currency (``currency``); times are aware UTC (the deal's trade-server time minus the
offset the agent measured; the server time itself is kept in ``time_msc``). MT5 tickets and magic numbers are
unsigned 64-bit: :class:`UInt64` stores them in SQLite's signed 64-bit integers without loss.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, Column, ForeignKey, Index, Integer, UniqueConstraint
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator
from sqlmodel import Field, SQLModel

from server.models import NEVER_REUSED_IDS, UTCDateTime, utcnow

_U64 = 2**64
_I64 = 2**63


class UInt64(TypeDecorator[int]):
    """An unsigned 64-bit integer (MT5 tickets, magic numbers) kept in a signed BIGINT by two's complement."""

    impl = BigInteger
    cache_ok = True

    def process_bind_param(self, value: int | None, dialect: Dialect) -> int | None:
        return value - _U64 if value is not None and value >= _I64 else value

    def process_result_value(self, value: int | None, dialect: Dialect) -> int | None:
        return value + _U64 if value is not None and value < 0 else value


def _u64(nullable: bool = False, index: bool = False) -> Any:
    return Field(default=None if nullable else 0, sa_column=Column(UInt64(), nullable=nullable, index=index))


def _ts(nullable: bool, index: bool = False) -> Any:
    return Field(default=None, sa_column=Column(UTCDateTime(), nullable=nullable, index=index))


def _fk(table: str) -> Any:
    return Field(
        default=None,
        sa_column=Column(Integer, ForeignKey(f"{table}.id", ondelete="SET NULL"), index=True, nullable=True),
    )


class LedgerDeal(SQLModel, table=True):
    """One deal of one account (``login``) as ``agent_id`` reported it; unique by its ticket there.

    MT5 ``TradeDeal`` fields under the project's names (``deal_ticket``, ``order_ticket``) and units: ``time_msc``
    trade-server time in ms, ``time`` the same moment in UTC; ``type``/``entry``/``reason`` DEAL_TYPE_*,
    DEAL_ENTRY_*, DEAL_REASON_*; ``volume`` lots; money in ``currency``. ``strategy_id`` is the strategy whose
    magic number the deal carries; ``signal_id`` the signal its comment ``tvb:<id>`` names (only when that
    signal is the same strategy's); both ``None`` for manual trades and other EAs.
    """

    __tablename__ = "ledger_deals"
    __table_args__ = (
        UniqueConstraint("agent_id", "login", "deal_ticket", name="uq_ledger_deals_ticket"),
        Index("ix_ledger_deals_symbol", "agent_id", "login", "symbol"),
        NEVER_REUSED_IDS,
    )

    id: int | None = Field(default=None, primary_key=True)
    agent_id: str = Field(max_length=64)
    login: int = Field(sa_column=Column(BigInteger, nullable=False))
    deal_ticket: int = _u64()
    order_ticket: int = _u64()
    position_id: int = _u64()
    time_msc: int = Field(sa_column=Column(BigInteger, nullable=False))
    server_offset_seconds: int = 0
    time: datetime = _ts(nullable=False, index=True)
    type: int
    entry: int
    reason: int
    magic: int = _u64()
    volume: float
    price: float
    commission: float = 0.0
    swap: float = 0.0
    profit: float = 0.0
    fee: float = 0.0
    symbol: str = Field(default="", max_length=64)
    comment: str = Field(default="", max_length=64)
    external_id: str = Field(default="", max_length=128)
    currency: str = Field(max_length=16)
    strategy_id: int | None = _fk("tv_strategies")
    signal_id: int | None = _fk("tv_signals")
    received_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False))


class LedgerTrade(SQLModel, table=True):
    """One closed part of one owner's share (or an expired pending order), rebuilt from deals.

    ``trade_key`` is stable across rebuilds (``<exit deal ticket>:<owner magic>``, ``order:<ticket>`` for an
    expired pending order). ``magic`` is the owner (``None``: volume opened before the history);
    ``strategy_id`` its strategy (``None``: manual / other EA). ``side`` ``long``/``short``; ``volume`` lots
    closed; ``remaining_volume`` the share's signed lots left after it. Money in ``currency``: ``profit`` the
    owner's own entry -> exit P&L (:mod:`contract.netting`), ``net_pnl`` = profit + commission + swap + fee.
    ``exit_reason``: :class:`server.ledger.attribution.ExitReason`. ``closed_by_magic`` is the magic number of
    the deal that closed it (``None`` when the trade server did: SL, TP, stop-out); ``exit_signal_id`` the signal
    that deal belongs to (whichever strategy's it is).
    """

    __tablename__ = "ledger_trades"
    __table_args__ = (
        UniqueConstraint("agent_id", "login", "trade_key", name="uq_ledger_trades_key"),
        Index("ix_ledger_trades_symbol", "agent_id", "login", "symbol"),
        NEVER_REUSED_IDS,
    )

    id: int | None = Field(default=None, primary_key=True)
    agent_id: str = Field(max_length=64)
    login: int = Field(sa_column=Column(BigInteger, nullable=False))
    trade_key: str = Field(max_length=64)
    symbol: str = Field(max_length=64)
    position_id: int = _u64()
    magic: int | None = _u64(nullable=True)
    strategy_id: int | None = _fk("tv_strategies")
    side: str = Field(max_length=8)
    volume: float
    remaining_volume: float = 0.0
    entry_price: float | None = None
    exit_price: float | None = None
    entry_time: datetime | None = _ts(nullable=True)
    exit_time: datetime = _ts(nullable=False, index=True)
    duration_seconds: float | None = None
    profit: float = 0.0
    commission: float = 0.0
    swap: float = 0.0
    fee: float = 0.0
    net_pnl: float = 0.0
    currency: str = Field(max_length=16)
    exit_reason: str = Field(max_length=16, index=True)
    closed_by_magic: int | None = _u64(nullable=True)
    entry_deal_ticket: int | None = _u64(nullable=True)
    exit_deal_ticket: int | None = _u64(nullable=True)
    entry_signal_id: int | None = _fk("tv_signals")
    exit_signal_id: int | None = _fk("tv_signals")


class LedgerHolding(SQLModel, table=True):
    """One owner's open share of one account position, rebuilt from deals with the trades.

    ``volume`` signed lots (+ long, - short), ``entry_price`` the share's average entry price, ``opened_at`` its
    first entry (UTC). ``commission``/``fee``/``swap``: its entry costs not yet in a trade (``currency``).
    """

    __tablename__ = "ledger_holdings"
    __table_args__ = (Index("ix_ledger_holdings_symbol", "agent_id", "login", "symbol"), NEVER_REUSED_IDS)

    id: int | None = Field(default=None, primary_key=True)
    agent_id: str = Field(max_length=64)
    login: int = Field(sa_column=Column(BigInteger, nullable=False))
    symbol: str = Field(max_length=64)
    position_id: int = _u64()
    magic: int | None = _u64(nullable=True)
    strategy_id: int | None = _fk("tv_strategies")
    volume: float
    entry_price: float
    opened_at: datetime | None = _ts(nullable=True)
    entry_signal_id: int | None = _fk("tv_signals")
    commission: float = 0.0
    fee: float = 0.0
    swap: float = 0.0
    currency: str = Field(max_length=16)


class LedgerSync(SQLModel, table=True):
    """Per agent and account: the account's currency facts and how far the agent's deal history is posted
    (``through_msc``: trade-server time in ms, :class:`contract.deals.SyncCursor`)."""

    __tablename__ = "ledger_sync"

    agent_id: str = Field(primary_key=True, max_length=64)
    login: int = Field(sa_column=Column(BigInteger, primary_key=True, autoincrement=False))
    server: str = Field(default="", max_length=128)
    currency: str = Field(max_length=16)
    currency_digits: int = 2
    margin_mode: str = Field(max_length=8)
    through_msc: int | None = Field(default=None, sa_column=Column(BigInteger, nullable=True))
    updated_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False))


class LedgerEvent(SQLModel, table=True):
    """A strategy's trade that ended by something other than its own signal: the trade server (SL, TP, stop-out),
    the trader or another EA (manual), another strategy's deal, an exit rule of the agent (max hold, flat time), or a
    pending order that expired. One per trade (``trade_key``), created when the trade first appears.

    ``kind`` is the trade's exit reason; ``signal_id`` the signal that opened the share (the event belongs to its
    line in the signal log); ``volume`` lots closed at ``price`` (``None`` for an expired order), ``remaining_volume``
    the share's signed lots left; ``net_pnl`` in ``currency``; ``message`` the sentence shown to the trader;
    ``time`` the exit time (UTC).
    """

    __tablename__ = "ledger_events"
    __table_args__ = (
        UniqueConstraint("agent_id", "login", "trade_key", name="uq_ledger_events_trade"),
        NEVER_REUSED_IDS,
    )

    id: int | None = Field(default=None, primary_key=True)
    agent_id: str = Field(max_length=64)
    login: int = Field(sa_column=Column(BigInteger, nullable=False))
    trade_key: str = Field(max_length=64)
    kind: str = Field(max_length=16)
    strategy_id: int | None = _fk("tv_strategies")
    signal_id: int | None = _fk("tv_signals")
    symbol: str = Field(max_length=64)
    side: str = Field(max_length=8)
    volume: float
    remaining_volume: float = 0.0
    price: float | None = None
    net_pnl: float = 0.0
    currency: str = Field(max_length=16)
    closed_by_magic: int | None = _u64(nullable=True)
    message: str = Field(max_length=400)
    time: datetime = _ts(nullable=False, index=True)
    created_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False))


__all__ = ["LedgerDeal", "LedgerEvent", "LedgerHolding", "LedgerSync", "LedgerTrade", "UInt64"]
