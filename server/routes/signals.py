"""``/api/v1/signals``: the signal log, newest first."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, HTTPException, Query, Request
from fastapi.concurrency import run_in_threadpool
from sqlmodel import Session, col, select

from server.context import ServerContext
from server.models import Signal, Strategy

router = APIRouter(prefix="/api/v1/signals", tags=["signals"])


def signal_out(signal: Signal, strategy_name: str | None) -> dict[str, Any]:
    """The API shape of a signal, including what was understood (``intent``), what decided its outcome
    (``decided_by``: an intake gate's name, ``agent`` or ``expiry``), the orders sent and the timings in
    milliseconds from receipt (``ack_ms``, ``send_ms``, ``fill_ms``)."""

    def ms(t: Any) -> float | None:
        return None if t is None else round((t - signal.received_at).total_seconds() * 1000, 1)

    return {
        "id": signal.id,
        "strategy_id": signal.strategy_id,
        "strategy_name": strategy_name,
        "symbol": signal.symbol,
        "action": signal.action,
        "volume": signal.volume,
        "status": signal.status,
        "fill_price": signal.fill_price,
        "order_ticket": signal.order_ticket,
        "error_message": signal.error_message,
        "decided_by": signal.decided_by,
        "notes": signal.notes,
        "raw_payload": signal.raw_payload,
        "content_type": signal.content_type,
        "intent": signal.intent,
        "orders": signal.orders,
        "positions_after": signal.positions_after,
        "created_at": signal.created_at,
        "resolved_at": signal.resolved_at,
        "timings": {
            "received_at": signal.received_at,
            "acked_at": signal.acked_at,
            "sent_at": signal.sent_at,
            "filled_at": signal.filled_at,
            "ack_ms": ms(signal.acked_at),
            "send_ms": ms(signal.sent_at),
            "fill_ms": ms(signal.filled_at),
        },
    }


@router.get("")
async def list_signals(
    request: Request,
    limit: int = Query(50, ge=1, le=500),
    offset: int = Query(0, ge=0),
    strategy_id: int | None = None,
    status: str | None = None,
) -> list[dict[str, Any]]:
    """Signals newest first; filter by ``strategy_id`` and ``status``."""
    ctx: ServerContext = request.app.state.ctx

    def query() -> list[dict[str, Any]]:
        with Session(ctx.engine) as session:
            stmt = select(Signal, Strategy.name).join(Strategy, Strategy.id == Signal.strategy_id)  # type: ignore[arg-type]
            if strategy_id is not None:
                stmt = stmt.where(Signal.strategy_id == strategy_id)
            if status is not None:
                stmt = stmt.where(Signal.status == status)
            stmt = stmt.order_by(col(Signal.id).desc()).offset(offset).limit(limit)
            return [signal_out(s, name) for s, name in session.exec(stmt).all()]

    return await run_in_threadpool(query)


@router.get("/{signal_id}")
async def read_signal(signal_id: int, request: Request) -> dict[str, Any]:
    """One signal with everything known about it."""
    ctx: ServerContext = request.app.state.ctx

    def query() -> dict[str, Any] | None:
        with Session(ctx.engine) as session:
            signal = session.get(Signal, signal_id)
            if signal is None:
                return None
            strategy = session.get(Strategy, signal.strategy_id)
            return signal_out(signal, strategy.name if strategy else None)

    found = await run_in_threadpool(query)
    if found is None:
        raise HTTPException(404, f"No signal with id {signal_id}.")
    return found
