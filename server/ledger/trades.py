"""Trades and open shares of one account's symbol, built from its deals by the share model.

A **trade** is one closed part of one owner's share: the share's average entry price and first entry time, the
closing deal's price and time, the lots closed, and the money of that part (:class:`contract.netting.Exit`).
A share closed in three steps is three trades (the first two ``partial`` when the owner closed them). On a
netting account the share model splits the account's one position between strategies; on a hedging account
every position has its own ``position_id`` and belongs to the magic number of its opening deal, so the same
rules give exact position ownership and MT5's own profit per deal.

Pure: no database. :mod:`server.ledger.ingest` feeds it stored deals and writes what it returns.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from contract.deals import Deal, ExpiredOrder
from contract.netting import BEFORE_HISTORY, Cause, Exit, ShareBook
from server.ledger.attribution import ExitReason, Owners, exit_reason


@dataclass(frozen=True)
class TradeFigures:
    """One trade as :class:`server.ledger.models.LedgerTrade` stores it (without agent, login and currency)."""

    trade_key: str
    symbol: str
    position_id: int
    magic: int | None
    strategy_id: int | None
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
    exit_reason: str
    closed_by_magic: int | None
    entry_deal_ticket: int | None
    exit_deal_ticket: int | None
    entry_signal_id: int | None
    exit_signal_id: int | None


@dataclass(frozen=True)
class HoldingFigures:
    """One open share as :class:`server.ledger.models.LedgerHolding` stores it (without agent, login and
    currency)."""

    symbol: str
    position_id: int
    magic: int
    strategy_id: int | None
    volume: float
    entry_price: float
    opened_at: datetime | None
    entry_signal_id: int | None
    commission: float
    fee: float
    swap: float


@dataclass(frozen=True)
class Built:
    """Everything one symbol's deals say: its trades (in exit order) and its open shares."""

    trades: list[TradeFigures]
    holdings: list[HoldingFigures]


def build_symbol(deals: Iterable[Deal], owners: Owners, digits: int = 2) -> Built:
    """Trades and open shares from one account's deals of one symbol, given in server-time order.

    ``digits``: the account currency's decimals (money is split exactly in units of ``10**-digits``).
    """
    book = ShareBook(digits)
    trades = [_trade(part, owners, digits) for deal in deals for part in book.apply(deal)]
    holdings = [
        HoldingFigures(
            symbol=pos.symbol,
            position_id=pos.position_id,
            magic=share.magic,
            strategy_id=owners.strategy_of(share.magic),
            volume=share.volume,
            entry_price=share.price,
            opened_at=share.opened.time_utc if share.opened else None,
            entry_signal_id=owners.signal_of(share.opened.magic, share.opened.comment) if share.opened else None,
            commission=round(share.commission / 10**digits, digits),
            fee=round(share.fee / 10**digits, digits),
            swap=round(share.swap / 10**digits, digits),
        )
        for pos in book.positions.values()
        for share in pos.held()
    ]
    return Built(trades, holdings)


def expired_trades(orders: Sequence[ExpiredOrder], owners: Owners) -> list[TradeFigures]:
    """A trade with no volume and no money for each pending order that expired unfilled (``volume`` is the
    lots left unfilled; ``entry_price`` the order's price)."""
    out = []
    for order in orders:
        signal = owners.signal_of(order.magic, order.comment)
        placed, done = order.utc(order.time_setup_msc), order.utc(order.time_done_msc)
        out.append(
            TradeFigures(
                trade_key=f"order:{order.ticket}",
                symbol=order.symbol,
                position_id=0,
                magic=order.magic,
                strategy_id=owners.strategy_of(order.magic),
                side="long" if order.type % 2 == 0 else "short",  # ORDER_TYPE_BUY_* are even, SELL_* odd
                volume=order.volume_current,
                remaining_volume=0.0,
                entry_price=order.price_open,
                exit_price=None,
                entry_time=placed,
                exit_time=done,
                duration_seconds=(done - placed).total_seconds(),
                profit=0.0,
                commission=0.0,
                swap=0.0,
                fee=0.0,
                net_pnl=0.0,
                exit_reason=ExitReason.EXPIRED_PENDING,
                closed_by_magic=None,
                entry_deal_ticket=None,
                exit_deal_ticket=None,
                entry_signal_id=signal,
                exit_signal_id=signal,
            )
        )
    return out


def _trade(part: Exit, owners: Owners, digits: int) -> TradeFigures:
    magic = None if part.magic == BEFORE_HISTORY else part.magic
    opened = part.opened
    exit_time = part.deal.time_utc
    entry_time = opened.time_utc if opened else None
    return TradeFigures(
        trade_key=f"{part.deal.ticket}:{part.magic}",
        symbol=part.symbol,
        position_id=part.position_id,
        magic=magic,
        strategy_id=owners.strategy_of(magic),
        side="long" if part.side > 0 else "short",
        volume=part.volume,
        remaining_volume=part.remaining,
        entry_price=part.entry_price if opened else None,
        exit_price=part.exit_price,
        entry_time=entry_time,
        exit_time=exit_time,
        duration_seconds=(exit_time - entry_time).total_seconds() if entry_time else None,
        profit=part.profit,
        commission=part.commission,
        swap=part.swap,
        fee=part.fee,
        net_pnl=round(part.net, digits),
        exit_reason=exit_reason(part, owners),
        closed_by_magic=None if part.cause is Cause.ACCOUNT else part.deal.magic,  # SL/TP: the server's
        entry_deal_ticket=opened.ticket if opened else None,
        exit_deal_ticket=part.deal.ticket,
        entry_signal_id=owners.signal_of(opened.magic, opened.comment) if opened else None,
        exit_signal_id=owners.signal_of(part.deal.magic, part.deal.comment),
    )
