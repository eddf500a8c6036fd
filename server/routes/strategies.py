"""``/api/v1/strategies``: list, create, change, delete (archive), rotate the webhook secret."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, HTTPException, Query, status
from fastapi.concurrency import run_in_threadpool

from server.deps import ServerCtx
from server.models import Strategy
from server.schemas.errors import BAD_BODY, INVALID, UNAUTHORIZED, ErrorPublic, not_found
from server.schemas.strategies import StrategyCreate, StrategyPublic, StrategyUpdate
from server.schemas.types import path_id
from server.strategies import StrategyInUse, StrategyNotFound

router = APIRouter(prefix="/api/v1/strategies", tags=["strategies"], responses={**UNAUTHORIZED, **INVALID})

StrategyId = Annotated[int, path_id("strategy")]
IncludeArchived = Annotated[
    bool, Query(description="Also answer for deleted (archived) strategies, whose signals stay in the log.")
]


def strategy_public(ctx: ServerCtx, strategy: Strategy, signal_count: int) -> StrategyPublic:
    """The API shape of a strategy: its settings, ``webhook_url`` (``None`` once archived) and ``signal_count``."""
    # The signing secret is write-only: answers say whether one is set, never what it is.
    data = strategy.model_dump(exclude={"id", "webhook_secret", "signing_secret"})
    url = None if strategy.archived_at is not None else ctx.strategies.webhook_url(strategy)
    return StrategyPublic(
        **data,
        strategy_id=strategy.id or 0,
        webhook_url=url,
        signal_count=signal_count,
        signing_secret_set=bool(strategy.signing_secret),
    )


@router.get("")
async def list_strategies(ctx: ServerCtx, include_archived: IncludeArchived = False) -> list[StrategyPublic]:
    """Every strategy with its webhook URL and number of signals, by id (deleted ones only when asked)."""
    rows = await run_in_threadpool(lambda: ctx.strategies.list(include_archived=include_archived))
    return [strategy_public(ctx, s, n) for s, n in rows]


@router.post("", status_code=status.HTTP_201_CREATED, responses=BAD_BODY)
async def create_strategy(body: StrategyCreate, ctx: ServerCtx) -> StrategyPublic:
    """Create a strategy with a new webhook URL and a magic number never used before."""
    fields = body.model_dump(mode="json", exclude_unset=True)  # an explicit null (e.g. no default volume) is kept
    name = fields.pop("name")
    strategy = await run_in_threadpool(lambda: ctx.strategies.create(name, **fields))
    return strategy_public(ctx, strategy, 0)


@router.get("/{strategy_id}", responses=not_found("strategy"))
async def read_strategy(strategy_id: StrategyId, ctx: ServerCtx, include_archived: IncludeArchived = False) -> (
    StrategyPublic
):
    """One strategy (a deleted one answers 404 unless ``include_archived``)."""
    try:
        strategy = await run_in_threadpool(lambda: ctx.strategies.get(strategy_id, include_archived=include_archived))
    except StrategyNotFound as exc:
        raise HTTPException(404, str(exc)) from exc
    return strategy_public(ctx, strategy, await run_in_threadpool(ctx.strategies.signal_count, strategy_id))


@router.patch("/{strategy_id}", responses={**not_found("strategy"), **BAD_BODY})
async def update_strategy(strategy_id: StrategyId, body: StrategyUpdate, ctx: ServerCtx) -> StrategyPublic:
    """Change settings; fields left out stay as they are (``null`` clears a nullable one, e.g. ``max_lots``)."""
    changes = body.model_dump(mode="json", exclude_unset=True)
    try:
        strategy = await run_in_threadpool(lambda: ctx.strategies.update(strategy_id, **changes))
    except StrategyNotFound as exc:
        raise HTTPException(404, str(exc)) from exc
    return strategy_public(ctx, strategy, await run_in_threadpool(ctx.strategies.signal_count, strategy_id))


@router.delete(
    "/{strategy_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    responses={
        **not_found("strategy"),
        409: {"model": ErrorPublic, "description": "It holds positions or pending orders, or has pending signals."},
    },
)
async def delete_strategy(strategy_id: StrategyId, ctx: ServerCtx) -> None:
    """Delete (archive) a strategy: it leaves the lists and its webhook URL stops working; its signals stay in
    the log, and its id and magic number are never used again. Refused (409, with what is open) while it holds
    positions or pending orders, or has signals pending."""
    try:
        await run_in_threadpool(ctx.strategies.delete, strategy_id)
    except StrategyNotFound as exc:
        raise HTTPException(404, str(exc)) from exc
    except StrategyInUse as exc:
        raise HTTPException(409, str(exc)) from exc


@router.post("/{strategy_id}/rotate-secret", responses=not_found("strategy"))
async def rotate_secret(strategy_id: StrategyId, ctx: ServerCtx) -> StrategyPublic:
    """Issue a new webhook URL; the old one stops working at once."""
    try:
        strategy = await run_in_threadpool(ctx.strategies.rotate_secret, strategy_id)
    except StrategyNotFound as exc:
        raise HTTPException(404, str(exc)) from exc
    return strategy_public(ctx, strategy, await run_in_threadpool(ctx.strategies.signal_count, strategy_id))
