"""The ledger's one write path: store an agent's deals once and rebuild the trades they touch.

:func:`record_deals` runs inside the caller's transaction and never commits, so the server's writer decides
when (and with what else) it is committed. It is idempotent: deals already stored (same agent, login and deal
ticket) are skipped, and trades are rebuilt from all stored deals of each symbol a new deal touched, keyed
stably (:class:`server.ledger.models.LedgerTrade` ``trade_key``), so posting a batch twice changes nothing.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from datetime import datetime

from sqlalchemy import Connection, delete
from sqlmodel import Session, col, select

from contract.deals import Deal, DealBatch, SyncCursor
from server.ledger.attribution import ExitReason, Owners, comment_signal_id
from server.ledger.events import record_events
from server.ledger.models import LedgerDeal, LedgerEvent, LedgerHolding, LedgerSync, LedgerTrade
from server.ledger.trades import TradeFigures, build_symbol, expired_trades
from server.models import Signal, Strategy, utcnow

#: Parameters per ``IN (...)`` list, well below SQLite's limit.
_CHUNK = 500


@dataclass(frozen=True)
class Recorded:
    """What :func:`record_deals` did: deals ``stored`` now, ``duplicates`` already stored, the ``symbols``
    whose trades were rebuilt, the account's sync cursor after it (``None``: never given), and the ``events`` it
    created (trades a strategy's own signal did not close, :mod:`server.ledger.events`)."""

    stored: int
    duplicates: int
    symbols: list[str]
    cursor: SyncCursor | None
    events: list[LedgerEvent] = field(default_factory=list)


def record_deals(target: Session | Connection, agent_id: str, batch: DealBatch) -> Recorded:
    """Store ``batch``'s new deals (attributed to strategy and signal), rebuild the trades and open shares of
    every symbol they touch, record expired pending orders, and advance the account's sync cursor.

    ``target`` is an open session or a connection in a transaction; nothing is committed here.
    """
    if isinstance(target, Connection):
        with Session(bind=target) as session:
            return _record(session, agent_id, batch)
    return _record(target, agent_id, batch)


def _record(session: Session, agent_id: str, batch: DealBatch) -> Recorded:
    sync = _sync_row(session, agent_id, batch)
    incoming = {d.ticket: d for d in batch.deals}
    known = _known_tickets(session, agent_id, batch.login, list(incoming))
    new = [d for t, d in incoming.items() if t not in known]
    owners = _owners(session, new)
    now = utcnow()
    for deal in new:
        session.add(_deal_row(agent_id, batch, deal, owners, now))
    session.flush()
    symbols = sorted({d.symbol for d in new if d.is_trade})
    built: list[TradeFigures] = []
    for symbol in symbols:
        built += _rebuild(session, agent_id, sync, symbol)
    if batch.expired_orders:
        expired_owners = _owners_of(session, {o.magic for o in batch.expired_orders},
                                    {comment_signal_id(o.comment) for o in batch.expired_orders})
        expired = expired_trades(batch.expired_orders, expired_owners)
        _upsert(session, agent_id, sync, expired)
        built += expired
    session.flush()
    events = record_events(session, agent_id, sync.login, sync.currency, built)
    cursor = SyncCursor(through_msc=sync.through_msc) if sync.through_msc is not None else None
    return Recorded(
        stored=len(new), duplicates=len(batch.deals) - len(new), symbols=symbols, cursor=cursor, events=events
    )


def read_cursor(session: Session, agent_id: str, login: int) -> SyncCursor | None:
    """How far ``agent_id`` has posted the deal history of account ``login`` (``None``: not yet)."""
    row = session.get(LedgerSync, (agent_id, login))
    return SyncCursor(through_msc=row.through_msc) if row is not None and row.through_msc is not None else None


def stored_deal(row: LedgerDeal) -> Deal:
    """A stored deal as the contract's :class:`~contract.deals.Deal` (what the share model reads)."""
    return Deal(
        ticket=row.deal_ticket, order=row.order_ticket, time=row.time_msc // 1000, time_msc=row.time_msc,
        type=row.type, entry=row.entry, magic=row.magic, position_id=row.position_id, reason=row.reason,
        volume=row.volume, price=row.price, commission=row.commission, swap=row.swap, profit=row.profit,
        fee=row.fee, symbol=row.symbol, comment=row.comment, external_id=row.external_id,
        server_offset_seconds=row.server_offset_seconds,
    )


def _sync_row(session: Session, agent_id: str, batch: DealBatch) -> LedgerSync:
    row = session.get(LedgerSync, (agent_id, batch.login))
    if row is None:
        row = LedgerSync(agent_id=agent_id, login=batch.login, currency=batch.currency, margin_mode=batch.margin_mode)
    row.server, row.currency, row.currency_digits = batch.server, batch.currency, batch.currency_digits
    row.margin_mode = batch.margin_mode
    if batch.cursor is not None:
        row.through_msc = max(row.through_msc or 0, batch.cursor.through_msc)
    row.updated_at = utcnow()
    session.add(row)
    return row


def _known_tickets(session: Session, agent_id: str, login: int, tickets: list[int]) -> set[int]:
    known: set[int] = set()
    for chunk in _chunks(tickets):
        stmt = select(LedgerDeal.deal_ticket).where(
            LedgerDeal.agent_id == agent_id, LedgerDeal.login == login, col(LedgerDeal.deal_ticket).in_(chunk)
        )
        known.update(session.exec(stmt).all())
    return known


def _owners(session: Session, deals: Sequence[Deal]) -> Owners:
    return _owners_of(session, {d.magic for d in deals}, {comment_signal_id(d.comment) for d in deals})


def _owners_of(session: Session, magics: set[int], signal_ids: set[int | None]) -> Owners:
    """The strategies of ``magics`` and the owning strategy of each signal in ``signal_ids``."""
    strategies: dict[int, int] = {}
    for chunk in _chunks([m for m in magics if 0 < m < 2**63]):
        stmt = select(Strategy.magic_number, Strategy.id).where(col(Strategy.magic_number).in_(chunk))
        strategies.update({magic: sid for magic, sid in session.exec(stmt).all() if sid is not None})
    signals: dict[int, int] = {}
    for chunk in _chunks([i for i in signal_ids if i is not None and i < 2**63]):
        stmt2 = select(Signal.id, Signal.strategy_id).where(col(Signal.id).in_(chunk))
        signals.update({sig: sid for sig, sid in session.exec(stmt2).all() if sig is not None})
    return Owners(strategies, signals)


def _deal_row(agent_id: str, batch: DealBatch, deal: Deal, owners: Owners, now: datetime) -> LedgerDeal:
    return LedgerDeal(
        agent_id=agent_id, login=batch.login, deal_ticket=deal.ticket, order_ticket=deal.order,
        position_id=deal.position_id, time_msc=deal.server_msc, server_offset_seconds=deal.server_offset_seconds,
        time=deal.time_utc, type=deal.type, entry=deal.entry, reason=deal.reason, magic=deal.magic,
        volume=deal.volume, price=deal.price, commission=deal.commission, swap=deal.swap, profit=deal.profit,
        fee=deal.fee, symbol=deal.symbol, comment=deal.comment, external_id=deal.external_id,
        currency=batch.currency, strategy_id=owners.strategy_of(deal.magic),
        signal_id=owners.signal_of(deal.magic, deal.comment), received_at=now,
    )


def _rebuild(session: Session, agent_id: str, sync: LedgerSync, symbol: str) -> list[TradeFigures]:
    """Recompute the trades and open shares of one symbol of one account from all its stored deals; returns the
    trades."""
    stmt = (
        select(LedgerDeal)
        .where(
            LedgerDeal.agent_id == agent_id,
            LedgerDeal.login == sync.login,
            LedgerDeal.symbol == symbol,
            col(LedgerDeal.type).in_((0, 1)),
        )
        .order_by(col(LedgerDeal.time_msc), col(LedgerDeal.deal_ticket))
    )
    deals = [stored_deal(row) for row in session.exec(stmt).all()]
    built = build_symbol(deals, _owners(session, deals), sync.currency_digits)
    _upsert(session, agent_id, sync, built.trades, symbol=symbol)
    session.execute(
        delete(LedgerHolding).where(
            col(LedgerHolding.agent_id) == agent_id,
            col(LedgerHolding.login) == sync.login,
            col(LedgerHolding.symbol) == symbol,
        )
    )
    for holding in built.holdings:
        session.add(LedgerHolding(agent_id=agent_id, login=sync.login, currency=sync.currency, **asdict(holding)))
    return built.trades


def _upsert(
    session: Session, agent_id: str, sync: LedgerSync, trades: Iterable[TradeFigures], symbol: str | None = None
) -> None:
    """Write ``trades`` by their stable key. With ``symbol``, trades of that symbol not among them are deleted
    (a rebuild); expired pending orders are never deleted (no deal rebuilds them)."""
    figures = {t.trade_key: t for t in trades}
    stmt = select(LedgerTrade).where(LedgerTrade.agent_id == agent_id, LedgerTrade.login == sync.login)
    stmt = stmt.where(LedgerTrade.symbol == symbol) if symbol is not None else stmt.where(
        col(LedgerTrade.trade_key).in_(list(figures))
    )
    existing = {row.trade_key: row for row in session.exec(stmt).all()}
    for key, fig in figures.items():
        row = existing.pop(key, None) or LedgerTrade(
            agent_id=agent_id, login=sync.login, currency=sync.currency, trade_key=key, symbol=fig.symbol,
            side=fig.side, volume=fig.volume, exit_time=fig.exit_time, exit_reason=fig.exit_reason,
        )
        for name, value in asdict(fig).items():
            setattr(row, name, value)
        row.currency = sync.currency
        session.add(row)
    if symbol is not None:
        for row in existing.values():
            if row.exit_reason != ExitReason.EXPIRED_PENDING:
                session.delete(row)


def _chunks(items: list[int]) -> Iterable[list[int]]:
    for start in range(0, len(items), _CHUNK):
        yield items[start : start + _CHUNK]
