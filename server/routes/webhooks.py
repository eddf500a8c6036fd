"""Public listener routes: TradingView webhooks. Nothing else but ``/healthz`` answers on that listener.

The handlers run on the event loop from start to answer: the strategy lookup reads the writer's in-memory view,
the parse takes tens of microseconds, and the store is awaited on the writer (:mod:`server.writer`) — no thread
pool, no database connection of their own.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from server.deps import ServerCtx
from server.intake import MAX_BODY_BYTES, IntakeResult, StorageUnavailable
from server.models import utcnow

router = APIRouter(prefix="/api/v1/webhooks", tags=["webhooks"])


async def read_body(request: Request) -> bytes:
    """Read at most ``MAX_BODY_BYTES + 1`` bytes, so an oversized body is refused without being buffered."""
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        chunks.append(chunk)
        size += len(chunk)
        if size > MAX_BODY_BYTES:
            break
    return b"".join(chunks)


def _answer(result: IntakeResult) -> JSONResponse:
    return JSONResponse({"signal_id": result.signal_id, "status": result.status})


def _unavailable() -> JSONResponse:
    # 503 makes TradingView resend (it resends on 5xx except 504, up to 3 times); nothing of the alert was stored.
    return JSONResponse({"status": "unavailable", "detail": "The alert could not be stored; resend it."}, 503)


@router.post("/tv/{webhook_secret}")
async def receive_tradingview_alert(webhook_secret: str, request: Request, ctx: ServerCtx) -> JSONResponse:
    """Receive one TradingView alert for the strategy whose webhook secret is in the path."""
    received_at = utcnow()
    body = await read_body(request)
    try:
        result = await ctx.intake.receive(webhook_secret, body, request.headers.get("content-type"), received_at)
    except StorageUnavailable:
        return _unavailable()
    return _answer(result)


@router.post("/tv")
async def receive_universal_alert(request: Request, ctx: ServerCtx) -> JSONResponse:
    """Receive an alert whose body names its strategy (``secret``/``api_sec``, or license + strategy name)."""
    received_at = utcnow()
    body = await read_body(request)
    try:
        result = await ctx.intake.receive_universal(body, request.headers.get("content-type"), received_at)
    except StorageUnavailable:
        return _unavailable()
    return _answer(result)
