"""The ledger's API: trades, a strategy's statistics, a signal's deals (admin token), and deal batches from
agents (agent token, contract version checked).

- ``GET  /api/v1/trades``: trades, newest exit first; filter by strategy, symbol, agent, exit reason, time.
- ``GET  /api/v1/strategies/{strategy_id}/stats``: net/gross P&L, win rate, profit factor, drawdown, exposure.
- ``GET  /api/v1/signals/{signal_id}/deals``: the deals a signal produced, the trades they closed, and the events of
  the shares it opened.
- ``GET  /api/v1/events``: trades strategies' own signals did not close (SL, TP, stop-out, manual, another strategy,
  exit rules, expired pending orders), newest first.
- ``POST /api/v1/agents/{agent_id}/deals``: store a :class:`contract.deals.DealBatch`.
- ``GET  /api/v1/agents/{agent_id}/deals/cursor?login=``: where the agent's deal sync resumes.
- ``GET  /api/v1/agents/{agent_id}/exit-rules``: the exit rules of the strategies the agent trades.

Money is in the account currency each answer names; times are UTC.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime

from fastapi import APIRouter, Depends, HTTPException, Path, Query, Request
from fastapi.concurrency import run_in_threadpool
from sqlalchemy import ColumnElement, func
from sqlmodel import Session, col, select

from contract.deals import DealBatch
from contract.settings import ExitRules
from server.deps import ServerCtx
from server.ledger.attribution import ExitReason
from server.ledger.events import title
from server.ledger.ingest import read_cursor, record_deals
from server.ledger.models import LedgerDeal, LedgerEvent, LedgerHolding, LedgerSync, LedgerTrade
from server.ledger.rules import exit_rules_of
from server.ledger.schemas import (
    DealBatchAck,
    DealCursorOut,
    EventOut,
    EventPage,
    HoldingOut,
    SignalDeals,
    StrategyStats,
    TradeOut,
    TradePage,
    deal_out,
)
from server.ledger.stats import compute_stats
from server.models import Signal, Strategy
from server.routes.agents import check_contract
from server.routes.strategies import IncludeArchived
from server.schemas.errors import refusals
from server.schemas.types import IsoTime
from server.security import TokenGuard

#: Ids and logins are SQLite integers (signed 64-bit): larger numbers are refused with 422.
_I64 = 2**63

logger = logging.getLogger(__name__)


def require_agent(request: Request, ctx: ServerCtx) -> None:
    """The agent token (or the admin token), as the other agent routes."""
    TokenGuard(ctx.agent_token, ctx.admin_token)(request)


#: Read routes: included by ``create_admin_app`` behind the admin guard (token or dashboard session).
admin = APIRouter(prefix="/api/v1", tags=["ledger"])
agent = APIRouter(
    prefix="/api/v1/agents/{agent_id}",
    tags=["agents"],
    dependencies=[Depends(require_agent), Depends(check_contract)],
)


def _utc(moment: datetime | None) -> datetime | None:
    """A query time as aware UTC (a time without zone is read as UTC)."""
    if moment is None:
        return None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _trade_out(row: LedgerTrade, strategy_name: str | None) -> TradeOut:
    return TradeOut.model_validate(row).model_copy(update={"strategy_name": strategy_name})


def _event_out(row: LedgerEvent, strategy_name: str | None) -> EventOut:
    return EventOut.model_validate(row).model_copy(update={"strategy_name": strategy_name, "title": title(row.kind)})


def _events(session: Session, *conditions: ColumnElement[bool], limit: int = 500, offset: int = 0) -> list[EventOut]:
    stmt = (
        select(LedgerEvent, Strategy.name)
        .outerjoin(Strategy, col(Strategy.id) == col(LedgerEvent.strategy_id))
        .where(*conditions)
        .order_by(col(LedgerEvent.time).desc(), col(LedgerEvent.id).desc())
        .offset(offset)
        .limit(limit)
    )
    return [_event_out(row, name) for row, name in session.exec(stmt).all()]


@admin.get("/trades")
async def list_trades(
    ctx: ServerCtx,
    strategy_id: int | None = Query(None, ge=0, lt=_I64),
    symbol: str | None = Query(None, max_length=64),
    agent_id: str | None = Query(None, max_length=64),
    exit_reason: ExitReason | None = None,
    since: IsoTime | None = Query(None, description="exit time from (UTC when no zone is given)"),
    until: IsoTime | None = Query(None, description="exit time before (UTC when no zone is given)"),
    limit: int = Query(100, ge=1, le=500),
    offset: int = Query(0, ge=0, lt=_I64),
) -> TradePage:
    """Trades newest exit first, with the owning strategy's name (``None``: manual / other EA)."""
    conditions = []
    if strategy_id is not None:
        conditions.append(col(LedgerTrade.strategy_id) == strategy_id)
    if symbol is not None:
        conditions.append(col(LedgerTrade.symbol) == symbol)
    if agent_id is not None:
        conditions.append(col(LedgerTrade.agent_id) == agent_id)
    if exit_reason is not None:
        conditions.append(col(LedgerTrade.exit_reason) == exit_reason.value)
    if since is not None:
        conditions.append(col(LedgerTrade.exit_time) >= _utc(since))
    if until is not None:
        conditions.append(col(LedgerTrade.exit_time) < _utc(until))

    def query() -> TradePage:
        with Session(ctx.engine) as session:
            total = session.exec(select(func.count()).select_from(LedgerTrade).where(*conditions)).one()
            stmt = (
                select(LedgerTrade, Strategy.name)
                .outerjoin(Strategy, col(Strategy.id) == col(LedgerTrade.strategy_id))
                .where(*conditions)
                .order_by(col(LedgerTrade.exit_time).desc(), col(LedgerTrade.id).desc())
                .offset(offset)
                .limit(limit)
            )
            trades = [_trade_out(row, name) for row, name in session.exec(stmt).all()]
            return TradePage(total=total, limit=limit, offset=offset, trades=trades)

    return await run_in_threadpool(query)


@admin.get(
    "/strategies/{strategy_id}/stats",
    responses=refusals({404: "No such strategy.", 409: "Trades in several currencies."}),
)
async def strategy_stats(
    ctx: ServerCtx,
    strategy_id: int = Path(ge=0, lt=_I64),
    since: IsoTime | None = Query(None, description="exit time from (UTC when no zone is given)"),
    until: IsoTime | None = Query(None, description="exit time before (UTC when no zone is given)"),
    login: int | None = Query(None, ge=0, lt=_I64, description="only this MT5 account's trades"),
    include_archived: IncludeArchived = False,
) -> StrategyStats:
    """The strategy's figures over its closed trades, in its account's currency, and its open shares now (a deleted
    strategy's history only with ``include_archived``, like the strategy itself)."""

    def query() -> StrategyStats:
        with Session(ctx.engine) as session:
            strategy = session.get(Strategy, strategy_id)
            if strategy is None or (strategy.archived_at is not None and not include_archived):
                raise HTTPException(404, f"No strategy with id {strategy_id}.")
            stmt = select(LedgerTrade).where(LedgerTrade.strategy_id == strategy_id)
            if login is not None:
                stmt = stmt.where(LedgerTrade.login == login)
            if since is not None:
                stmt = stmt.where(col(LedgerTrade.exit_time) >= _utc(since))
            if until is not None:
                stmt = stmt.where(col(LedgerTrade.exit_time) < _utc(until))
            rows = session.exec(stmt.order_by(col(LedgerTrade.exit_time), col(LedgerTrade.id))).all()
            currencies = sorted({r.currency for r in rows})
            if len(currencies) > 1:
                raise HTTPException(
                    409,
                    f"Strategy {strategy_id} traded accounts in {' and '.join(currencies)}: sums across currencies "
                    "mean nothing, so ask for one account with ?login=.",
                )
            closed = [r for r in rows if r.exit_reason != ExitReason.EXPIRED_PENDING]
            sync = session.get(LedgerSync, (rows[0].agent_id, rows[0].login)) if rows else None
            figures = compute_stats(closed, sync.currency_digits if sync else 2)
            held = session.exec(select(LedgerHolding).where(LedgerHolding.strategy_id == strategy_id)).all()
            if login is not None:
                held = [h for h in held if h.login == login]
            assert strategy.id is not None
            return StrategyStats(
                strategy_id=strategy.id,
                strategy_name=strategy.name,
                currency=currencies[0] if currencies else None,
                since=_utc(since),
                until=_utc(until),
                expired_pending=len(rows) - len(closed),
                open_lots=round(sum(abs(h.volume) for h in held), 8),
                exposure=[HoldingOut.model_validate(h) for h in held],
                **figures.__dict__,
            )

    return await run_in_threadpool(query)


@admin.get("/signals/{signal_id}/deals", responses=refusals({404: "No such signal."}))
async def signal_deals(ctx: ServerCtx, signal_id: int = Path(ge=0, lt=_I64)) -> SignalDeals:
    """The deals the signal's orders produced (by comment ``tvb:<id>`` and its strategy's magic number) and
    the trades they closed, whoever's share it was."""

    def query() -> SignalDeals:
        with Session(ctx.engine) as session:
            if session.get(Signal, signal_id) is None:
                raise HTTPException(404, f"No signal with id {signal_id}.")
            deals = session.exec(
                select(LedgerDeal)
                .where(LedgerDeal.signal_id == signal_id)
                .order_by(col(LedgerDeal.time_msc), col(LedgerDeal.deal_ticket))
            ).all()
            trades = session.exec(
                select(LedgerTrade, Strategy.name)
                .outerjoin(Strategy, col(Strategy.id) == col(LedgerTrade.strategy_id))
                .where(LedgerTrade.exit_signal_id == signal_id)
                .order_by(col(LedgerTrade.exit_time), col(LedgerTrade.id))
            ).all()
            return SignalDeals(
                signal_id=signal_id,
                deals=[deal_out(d) for d in deals],
                trades=[_trade_out(row, name) for row, name in trades],
                events=_events(session, col(LedgerEvent.signal_id) == signal_id),
            )

    return await run_in_threadpool(query)


@admin.get("/events")
async def list_events(
    ctx: ServerCtx,
    strategy_id: int | None = Query(None, ge=0, lt=_I64),
    signal_id: int | None = Query(None, ge=0, lt=_I64, description="only events of shares this signal opened"),
    kind: ExitReason | None = Query(None, description="sl, tp, stop_out, manual, other_strategy, max_hold ..."),
    since: IsoTime | None = Query(None, description="exit time from (UTC when no zone is given)"),
    until: IsoTime | None = Query(None, description="exit time before (UTC when no zone is given)"),
    limit: int = Query(100, ge=1, le=500),
    offset: int = Query(0, ge=0, lt=_I64),
) -> EventPage:
    """Trades that strategies' own signals did not close (the trade server's SL/TP/stop-out, the trader, another
    strategy, an exit rule, an expired pending order), newest first, each with its sentence."""
    conditions = []
    if strategy_id is not None:
        conditions.append(col(LedgerEvent.strategy_id) == strategy_id)
    if signal_id is not None:
        conditions.append(col(LedgerEvent.signal_id) == signal_id)
    if kind is not None:
        conditions.append(col(LedgerEvent.kind) == kind.value)
    if since is not None:
        conditions.append(col(LedgerEvent.time) >= _utc(since))
    if until is not None:
        conditions.append(col(LedgerEvent.time) < _utc(until))

    def query() -> EventPage:
        with Session(ctx.engine) as session:
            total = session.exec(select(func.count()).select_from(LedgerEvent).where(*conditions)).one()
            events = _events(session, *conditions, limit=limit, offset=offset)
            return EventPage(total=total, limit=limit, offset=offset, events=events)

    return await run_in_threadpool(query)


@agent.post("/deals")
async def post_deals(agent_id: str, body: DealBatch, ctx: ServerCtx) -> DealBatchAck:
    """Store the agent's deals once each (by ticket per account), rebuild the trades they touch, and advance
    the account's sync cursor. Posting the same deals again is harmless. New events (trades a strategy's own
    signal did not close) are announced to the app (tray notifications) once committed."""

    def write(session: Session) -> tuple[DealBatchAck, list[EventOut]]:
        recorded = record_deals(session, agent_id, body)
        names = dict(session.exec(select(Strategy.id, Strategy.name)).all())
        events = [_event_out(e, names.get(e.strategy_id)) for e in recorded.events]
        session.commit()
        ack = DealBatchAck(
            stored=recorded.stored, duplicates=recorded.duplicates, symbols=recorded.symbols, cursor=recorded.cursor
        )
        return ack, events

    # through the one writer (server/writer.py), like every write
    ack, events = await run_in_threadpool(ctx.writer.run_session, write)
    listener = ctx.on_ledger_event
    for event in events:
        if listener is not None:
            try:
                listener(event)
            except Exception:  # a notification that cannot be shown must not fail the agent's post
                logger.exception("ledger event listener failed")
    return ack


@agent.get("/exit-rules")
async def agent_exit_rules(agent_id: str, ctx: ServerCtx) -> list[ExitRules]:
    """The exit rules (max hold time, daily flat time) of every live strategy this agent trades that has one."""

    def query() -> list[ExitRules]:
        with Session(ctx.engine) as session:
            return exit_rules_of(session, agent_id)

    return await run_in_threadpool(query)


@agent.get("/deals/cursor")
async def deal_cursor(agent_id: str, ctx: ServerCtx, login: int = Query(ge=0, lt=_I64)) -> DealCursorOut:
    """Where this agent's deal sync of account ``login`` resumes (minus its safety overlap)."""

    def query() -> DealCursorOut:
        with Session(ctx.engine) as session:
            return DealCursorOut(login=login, cursor=read_cursor(session, agent_id, login))

    return await run_in_threadpool(query)

