"""Public listener routes: TradingView webhooks. Nothing else but ``/healthz`` answers on that listener.

The handlers run on the event loop from start to answer: the strategy lookup reads the writer's in-memory view,
the parse takes tens of microseconds, and the store is awaited on the writer (:mod:`server.writer`) — no thread
pool, no database connection of their own.

Answers: ``200 {"signal_id", "status"}`` for every stored alert, whatever its outcome (TradingView resends only on
5xx, so a refused alert must not look like a failure); ``200 {"signal_id": null, "status": "ignored"}`` for a
request that reached no strategy (unknown URL or secret: counted, nothing stored, the same answer whatever was
wrong so a prober learns nothing); ``429`` once a source sent too many of those (:mod:`server.ratelimits`);
``503`` when the alert could not be stored (TradingView resends).
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from server.deps import ServerCtx
from server.intake import MAX_BODY_BYTES, RATE_LIMITED, IntakeResult, Sender, StorageUnavailable
from server.models import utcnow
from server.security_events import ENDPOINT_STRATEGY_URL, ENDPOINT_UNIVERSAL
from server.signatures import HEADER
from server.source_address import source_address

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


def sender_of(request: Request, endpoint: str) -> Sender:
    """Who sent ``request``: its source address (the tunnel's forwarded-for address when the peer is loopback),
    the endpoint template, and its signature header."""
    client = request.scope.get("client")
    peer = client[0] if client else None
    return Sender(
        source=source_address(peer, request.scope.get("headers", ())),
        endpoint=endpoint,
        signature=request.headers.get(HEADER),
    )


def _answer(result: IntakeResult) -> JSONResponse:
    if result.status == RATE_LIMITED:
        return JSONResponse({"signal_id": None, "status": RATE_LIMITED}, 429, headers={"Retry-After": "60"})
    return JSONResponse({"signal_id": result.signal_id, "status": result.status})


def _unavailable() -> JSONResponse:
    # 503 makes TradingView resend (it resends on 5xx except 504, up to 3 times); nothing of the alert was stored.
    return JSONResponse({"status": "unavailable", "detail": "The alert could not be stored; resend it."}, 503)


@router.post("/tv/{webhook_secret}")
async def receive_tradingview_alert(webhook_secret: str, request: Request, ctx: ServerCtx) -> JSONResponse:
    """Receive one TradingView alert for the strategy whose webhook secret is in the path."""
    received_at = utcnow()
    sender = sender_of(request, ENDPOINT_STRATEGY_URL)
    body = await read_body(request)
    try:
        result = await ctx.intake.receive(
            webhook_secret, body, request.headers.get("content-type"), received_at, sender
        )
    except StorageUnavailable:
        return _unavailable()
    return _answer(result)


@router.post("/tv")
async def receive_universal_alert(request: Request, ctx: ServerCtx) -> JSONResponse:
    """Receive an alert whose body carries its strategy's secret (``secret``/``api_sec``, the webhook or alert
    secret), optionally narrowed by the strategy's name (``strategy``)."""
    received_at = utcnow()
    sender = sender_of(request, ENDPOINT_UNIVERSAL)
    body = await read_body(request)
    try:
        result = await ctx.intake.receive_universal(body, request.headers.get("content-type"), received_at, sender)
    except StorageUnavailable:
        return _unavailable()
    return _answer(result)
