"""``/api/v1/signals/{id}/approve`` and ``/reject``: the trader's decision on a signal awaiting approval
(:mod:`server.flow.approval`)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated

from fastapi import APIRouter, HTTPException
from fastapi.concurrency import run_in_threadpool
from sqlmodel import Session

from server.deps import ServerCtx
from server.flow.accounts import accounts_of
from server.flow.approval import Decision, SignalNotFound, approve, reject
from server.models import Signal, Strategy
from server.routes.signals import signal_public
from server.schemas.errors import BAD_BODY, INVALID, UNAUTHORIZED, not_found, refusals
from server.schemas.signals import ApproveRequest, RejectRequest, SignalPublic
from server.schemas.types import path_id
from server.writer import WriteTx

router = APIRouter(prefix="/api/v1/signals", tags=["signals"], responses={**UNAUTHORIZED, **INVALID})

_REFUSED = {
    **not_found("signal"),
    **BAD_BODY,
    **refusals({409: "The signal no longer awaits approval (already approved, rejected or expired): a sentence says "
                     "what became of it."}),
}


@router.post("/{signal_id}/approve", responses=_REFUSED)
async def approve_signal(
    signal_id: Annotated[int, path_id("signal")], ctx: ServerCtx, body: ApproveRequest | None = None
) -> SignalPublic:
    """Approve a signal awaiting approval: its jobs go to its agents at once and it becomes `pending`.
    Refused (409, with a sentence) once it no longer awaits approval, including when its max age has passed."""
    via = (body or ApproveRequest()).via

    def op(tx: WriteTx) -> Decision:
        return approve(tx, signal_id, via, ctx.queue.queued)

    return await _decide(ctx, signal_id, op)


@router.post("/{signal_id}/reject", responses=_REFUSED)
async def reject_signal(
    signal_id: Annotated[int, path_id("signal")], ctx: ServerCtx, body: RejectRequest | None = None
) -> SignalPublic:
    """Reject a signal awaiting approval: nothing is sent; it ends `rejected` (decided by `trader`) with a
    sentence holding the reason. Refused (409, with a sentence) once it no longer awaits approval."""
    request = body or RejectRequest()

    def op(tx: WriteTx) -> Decision:
        return reject(tx, signal_id, request.via, request.reason)

    return await _decide(ctx, signal_id, op)


async def _decide(ctx: ServerCtx, signal_id: int, op: Callable[[WriteTx], Decision]) -> SignalPublic:
    try:
        decision = await ctx.writer.submit(op)
    except SignalNotFound as exc:
        raise HTTPException(404, str(exc)) from exc
    if not decision.done:
        raise HTTPException(409, decision.message)

    def read() -> SignalPublic:
        with Session(ctx.engine) as session:
            signal = session.get(Signal, signal_id)
            assert signal is not None
            strategy = session.get(Strategy, signal.strategy_id)
            accounts = accounts_of(session, [signal_id]).get(signal_id)
            return signal_public(signal, strategy.name if strategy else None, accounts)

    return await run_in_threadpool(read)
