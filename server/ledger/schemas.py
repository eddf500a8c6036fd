"""API shapes of the ledger routes (:mod:`server.routes.ledger`). Money is in the account currency named by
``currency``; times are aware UTC; volumes in lots; MT5 tickets and magic numbers as the terminal gives them."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict

from contract.deals import SyncCursor
from server.ledger.models import LedgerDeal


class TradeOut(BaseModel):
    """One trade: a closed part of one owner's share (see :class:`server.ledger.models.LedgerTrade`).

    ``strategy_id``/``strategy_name`` are ``None`` for manual trades and other EAs. ``side`` ``long``/``short``;
    ``volume`` lots closed, ``remaining_volume`` the share's signed lots left; ``profit`` the owner's own entry ->
    exit P&L, ``net_pnl`` = profit + commission + swap + fee, all in ``currency``; ``exit_reason`` one of
    ``signal``, ``partial``, ``sl``, ``tp``, ``stop_out``, ``manual``, ``other_strategy``, ``expired_pending``.
    """

    model_config = ConfigDict(from_attributes=True)

    id: int
    strategy_id: int | None
    strategy_name: str | None = None
    agent_id: str
    login: int
    symbol: str
    position_id: int
    magic: int | None
    side: str
    volume: float
    remaining_volume: float
    entry_price: float | None
    exit_price: float | None
    entry_time: datetime | None
    exit_time: datetime
    duration_seconds: float | None
    profit: float
    commission: float
    swap: float
    fee: float
    net_pnl: float
    currency: str
    exit_reason: str
    closed_by_magic: int | None
    entry_deal_ticket: int | None
    exit_deal_ticket: int | None
    entry_signal_id: int | None
    exit_signal_id: int | None


class TradePage(BaseModel):
    """One page of trades, newest exit first; ``total`` counts every trade the filters match."""

    total: int
    limit: int
    offset: int
    trades: list[TradeOut]


class HoldingOut(BaseModel):
    """An open share: ``volume`` signed lots (+ long, - short) at average ``entry_price``, since ``opened_at``."""

    model_config = ConfigDict(from_attributes=True)

    agent_id: str
    login: int
    symbol: str
    position_id: int
    volume: float
    entry_price: float
    opened_at: datetime | None
    entry_signal_id: int | None
    currency: str


class StrategyStats(BaseModel):
    """A strategy's figures over its closed trades (exit time within ``since``/``until`` when given), money in
    ``currency`` (``None`` when it has no trades yet). Definitions: :mod:`server.ledger.stats`.
    ``exposure`` lists its open shares now; ``open_lots`` their total size."""

    strategy_id: int
    strategy_name: str
    currency: str | None
    since: datetime | None
    until: datetime | None
    trades: int
    wins: int
    losses: int
    breakeven: int
    win_rate_pct: float | None
    net_pnl: float
    gross_pnl: float
    commission: float
    swap: float
    fee: float
    gross_profit: float
    gross_loss: float
    profit_factor: float | None
    average_win: float | None
    average_loss: float | None
    max_drawdown: float
    expired_pending: int
    open_lots: float
    exposure: list[HoldingOut]


class DealOut(BaseModel):
    """A stored deal: MT5 fields (``type`` DEAL_TYPE_*, ``entry`` DEAL_ENTRY_*, ``reason`` DEAL_REASON_*) with
    readable names, ``time`` in UTC and ``time_msc`` the trade server's own clock (ms), money in ``currency``."""

    model_config = ConfigDict(from_attributes=True)

    agent_id: str
    login: int
    deal_ticket: int
    order_ticket: int
    position_id: int
    time: datetime
    time_msc: int
    server_offset_seconds: int
    type: int
    type_name: str
    entry: int
    entry_name: str
    reason: int
    reason_name: str
    magic: int
    symbol: str
    volume: float
    price: float
    commission: float
    swap: float
    profit: float
    fee: float
    comment: str
    currency: str
    strategy_id: int | None
    signal_id: int | None


class EventOut(BaseModel):
    """A strategy's trade that its own signal did not close (:class:`server.ledger.models.LedgerEvent`).

    ``kind``: ``sl``, ``tp``, ``stop_out``, ``manual``, ``other_strategy``, ``max_hold``, ``flat_time`` or
    ``expired_pending``; ``title`` the same in words; ``message`` the sentence; ``signal_id`` the signal that opened
    the share; ``volume`` lots closed at ``price`` (``null`` for an expired order); ``remaining_volume`` the share's
    signed lots left; ``net_pnl`` in ``currency``; ``time`` the exit time (UTC)."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    agent_id: str
    login: int
    trade_key: str
    kind: str
    title: str = ""
    strategy_id: int | None
    strategy_name: str | None = None
    signal_id: int | None
    symbol: str
    side: str
    volume: float
    remaining_volume: float
    price: float | None
    net_pnl: float
    currency: str
    closed_by_magic: int | None
    message: str
    time: datetime


class EventPage(BaseModel):
    """One page of events, newest first; ``total`` counts every event the filters match."""

    total: int
    limit: int
    offset: int
    events: list[EventOut]


class SignalDeals(BaseModel):
    """What one signal did in the terminal: its deals, the trades its deals closed (any owner's: a netting
    close may have moved another share, and this says whose), and the events of the shares it opened (closed by
    an SL, a TP, a stop-out, by hand, by another strategy or an exit rule)."""

    signal_id: int
    deals: list[DealOut]
    trades: list[TradeOut]
    events: list[EventOut] = []


class DealBatchAck(BaseModel):
    """The answer to a deal batch: deals ``stored`` now, ``duplicates`` already stored, ``symbols`` whose
    trades were rebuilt, and the account's sync cursor now."""

    stored: int
    duplicates: int
    symbols: list[str]
    cursor: SyncCursor | None


class DealCursorOut(BaseModel):
    """How far an agent has posted one account's deal history (``cursor`` ``None``: nothing yet)."""

    login: int
    cursor: SyncCursor | None


#: Readable names of MT5's DEAL_TYPE_*, DEAL_ENTRY_* and DEAL_REASON_* values (mt5-constants §1.9).
DEAL_TYPE_NAMES = {
    0: "buy", 1: "sell", 2: "balance", 3: "credit", 4: "charge", 5: "correction", 6: "bonus", 7: "commission",
    8: "daily commission", 9: "monthly commission", 10: "daily agent commission", 11: "monthly agent commission",
    12: "interest", 13: "canceled buy", 14: "canceled sell", 15: "dividend", 16: "franked dividend", 17: "tax",
}
DEAL_ENTRY_NAMES = {0: "in", 1: "out", 2: "inout", 3: "out_by"}
DEAL_REASON_NAMES = {
    0: "client", 1: "mobile", 2: "web", 3: "expert", 4: "sl", 5: "tp", 6: "stop_out", 7: "rollover",
    8: "vmargin", 9: "split",
}


def deal_out(row: LedgerDeal) -> DealOut:
    """The API shape of a stored deal."""
    fields = {name: getattr(row, name) for name in DealOut.model_fields if hasattr(row, name)}
    fields["type_name"] = DEAL_TYPE_NAMES.get(row.type, "other")
    fields["entry_name"] = DEAL_ENTRY_NAMES.get(row.entry, "other")
    fields["reason_name"] = DEAL_REASON_NAMES.get(row.reason, "other")
    return DealOut.model_validate(fields)
