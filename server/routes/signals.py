"""``/api/v1/signals``: the signal log, newest first."""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, HTTPException, Query
from fastapi.concurrency import run_in_threadpool
from pydantic import ValidationError
from sqlmodel import Session, col, select

from contract import PositionState, SentOrder, TradeIntent
from server.deps import ServerCtx
from server.flow.accounts import accounts_of
from server.models import Signal, SignalStatus, Strategy
from server.schemas import bounds
from server.schemas.errors import INVALID, UNAUTHORIZED, not_found
from server.schemas.signals import AccountOutcome, SignalPublic, SignalTimings
from server.schemas.types import IsoTime, path_id
from server.signal_filters import filter_signals

logger = logging.getLogger(__name__)

router = APIRouter(prefix="/api/v1/signals", tags=["signals"], responses={**UNAUTHORIZED, **INVALID})


def _intent(signal: Signal) -> TradeIntent | None:
    """The stored intent, or ``None`` when a row written by an older version no longer reads as one (the raw
    body is still in the answer)."""
    if signal.intent is None:
        return None
    try:
        return TradeIntent.model_validate(signal.intent)
    except ValidationError:
        logger.warning("signal #%s: its stored intent no longer reads as a TradeIntent", signal.id)
        return None


def signal_public(
    signal: Signal, strategy_name: str | None, accounts: list[AccountOutcome] | None = None
) -> SignalPublic:
    """The API shape of a signal, including what was understood (``intent``), the orders sent and the
    timings in milliseconds from receipt (``ack_ms``, ``send_ms``, ``fill_ms``)."""

    def ms(t: datetime | None) -> float | None:
        return None if t is None else round((t - signal.received_at).total_seconds() * 1000, 1)

    return SignalPublic(
        id=signal.id or 0,
        strategy_id=signal.strategy_id,
        strategy_name=strategy_name,
        symbol=signal.symbol,
        action=signal.action,
        volume=signal.volume,
        status=SignalStatus(signal.status),
        fill_price=signal.fill_price,
        order_ticket=signal.order_ticket,
        error_message=signal.error_message,
        decided_by=signal.decided_by,
        notes=signal.notes,
        raw_payload=signal.raw_payload,
        content_type=signal.content_type,
        intent=_intent(signal),
        orders=[SentOrder.model_validate(o) for o in signal.orders],
        positions_after=(
            None
            if signal.positions_after is None
            else [PositionState.model_validate(p) for p in signal.positions_after]
        ),
        created_at=signal.created_at,
        resolved_at=signal.resolved_at,
        timings=SignalTimings(
            received_at=signal.received_at,
            acked_at=signal.acked_at,
            sent_at=signal.sent_at,
            filled_at=signal.filled_at,
            ack_ms=ms(signal.acked_at),
            send_ms=ms(signal.sent_at),
            fill_ms=ms(signal.filled_at),
        ),
        accounts=accounts or [],
    )


@router.get("")
async def list_signals(
    ctx: ServerCtx,
    limit: Annotated[int, Query(ge=1, le=bounds.MAX_PAGE, description="Signals per page.")] = 50,
    offset: Annotated[int, Query(ge=0, le=bounds.MAX_ID, description="Signals to skip (newest first).")] = 0,
    strategy_id: Annotated[
        int | None, Query(ge=1, le=bounds.MAX_ID, description="Only this strategy's (deleted ones included).")
    ] = None,
    status: Annotated[SignalStatus | None, Query(description="Only signals in this status.")] = None,
    symbol: Annotated[
        str | None, Query(max_length=bounds.MAX_SYMBOL_CHARS, description="The alert's symbol, any case.")
    ] = None,
    q: Annotated[
        str | None, Query(max_length=200, description="Text in the message, the reason or the symbol.")
    ] = None,
    since: Annotated[IsoTime | None, Query(description="Received at or after this time (ISO 8601).")] = None,
    until: Annotated[IsoTime | None, Query(description="Received before this time (ISO 8601).")] = None,
    after_id: Annotated[
        int | None, Query(ge=0, le=bounds.MAX_ID, description="Only signals after this id, oldest first.")
    ] = None,
) -> list[SignalPublic]:
    """Signals newest first; filter by ``strategy_id``, ``status``, ``symbol``, text ``q`` and time window.

    ``after_id``: only signals with a larger id, oldest first, for following the log (ids grow in commit order:
    one writer stores signals, one transaction at a time)."""

    def query() -> list[SignalPublic]:
        with Session(ctx.engine) as session:
            stmt = select(Signal, Strategy.name).join(Strategy, Strategy.id == Signal.strategy_id)  # type: ignore[arg-type]
            if strategy_id is not None:
                stmt = stmt.where(Signal.strategy_id == strategy_id)
            if status is not None:
                stmt = stmt.where(Signal.status == status)
            stmt = filter_signals(stmt, symbol=symbol, search=q, since=since, until=until)
            if after_id is not None:
                stmt = stmt.where(col(Signal.id) > after_id).order_by(col(Signal.id).asc())
            else:
                stmt = stmt.order_by(col(Signal.id).desc())
            stmt = stmt.offset(offset).limit(limit)
            rows = session.exec(stmt).all()
            accounts = accounts_of(session, (s.id for s, _ in rows if s.id is not None))
            return [signal_public(s, name, accounts.get(s.id or 0)) for s, name in rows]

    return await run_in_threadpool(query)


@router.get("/{signal_id}", responses=not_found("signal"))
async def read_signal(signal_id: Annotated[int, path_id("signal")], ctx: ServerCtx) -> SignalPublic:
    """One signal with everything known about it."""

    def query() -> SignalPublic | None:
        with Session(ctx.engine) as session:
            signal = session.get(Signal, signal_id)
            if signal is None:
                return None
            strategy = session.get(Strategy, signal.strategy_id)
            accounts = accounts_of(session, [signal_id]).get(signal_id)
            return signal_public(signal, strategy.name if strategy else None, accounts)

    found = await run_in_threadpool(query)
    if found is None:
        raise HTTPException(404, f"No signal with id {signal_id}.")
    return found
