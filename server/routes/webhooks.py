"""Public listener routes: TradingView webhooks. Nothing else but ``/healthz`` answers on that listener."""

from __future__ import annotations

import logging

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse

from server.context import ServerContext
from server.intake import MAX_BODY_BYTES, IntakeResult, StorageUnavailable
from server.models import utcnow

logger = logging.getLogger(__name__)

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


def _answer(ctx: ServerContext, result: IntakeResult) -> JSONResponse:
    if result.wake_agent:
        ctx.notifier.notify(result.wake_agent)
    return JSONResponse({"signal_id": result.signal_id, "status": result.status})


def _unavailable() -> JSONResponse:
    # 503 makes TradingView resend (it resends on 5xx except 504, up to 3 times).
    return JSONResponse({"status": "unavailable", "detail": "The alert could not be stored; resend it."}, 503)


@router.post("/tv/{webhook_secret}")
async def receive_tradingview_alert(webhook_secret: str, request: Request) -> JSONResponse:
    """Receive one TradingView alert for the strategy whose webhook secret is in the path."""
    received_at = utcnow()
    ctx: ServerContext = request.app.state.ctx
    body = await read_body(request)
    try:
        result = await run_in_threadpool(
            ctx.intake.receive, webhook_secret, body, request.headers.get("content-type"), received_at
        )
    except StorageUnavailable:
        return _unavailable()
    return _answer(ctx, result)


@router.post("/tv")
async def receive_universal_alert(request: Request) -> JSONResponse:
    """Receive an alert whose body names its strategy (``secret``/``api_sec``, or license + strategy name)."""
    received_at = utcnow()
    ctx: ServerContext = request.app.state.ctx
    body = await read_body(request)
    strategy_id = await run_in_threadpool(ctx.route_universal, body)
    if strategy_id is None:
        return JSONResponse({"signal_id": None, "status": "ignored"})
    try:
        result = await run_in_threadpool(
            ctx.intake.receive_for_strategy, strategy_id, body, request.headers.get("content-type"), received_at
        )
    except StorageUnavailable:
        return _unavailable()
    return _answer(ctx, result)
