"""``/api/v1/strategies``: list, create, change, delete, rotate the webhook secret."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, HTTPException, Request, status
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel, ConfigDict, Field

from server.alerts import EaDistanceType, EaVolumeType
from server.context import ServerContext
from server.models import Strategy
from server.strategies import StrategyNotFound

router = APIRouter(prefix="/api/v1/strategies", tags=["strategies"])


class StrategySettings(BaseModel):
    """Editable strategy settings (all optional in a PATCH). Volumes in lots, ages in seconds."""

    model_config = ConfigDict(extra="forbid")

    name: str | None = Field(default=None, min_length=1, max_length=100)
    agent_id: str | None = Field(default=None, min_length=1, max_length=64)
    is_enabled: bool | None = None
    risk_override_pct: float | None = Field(default=None, gt=0, le=100)
    allowed_pairs: list[str] | None = None
    default_volume: float | None = Field(default=None, gt=0)
    max_lots: float | None = Field(default=None, gt=0)
    max_signal_age_seconds: int | None = Field(default=None, gt=0)
    dedup_window_seconds: int | None = Field(default=None, ge=0)
    max_open_positions: int | None = Field(default=None, gt=0)
    max_trades_per_day: int | None = Field(default=None, gt=0)
    symbol_map: dict[str, str] | None = None
    symbol_suffix: str | None = None
    pip_sizes: dict[str, float] | None = None
    volume_type: EaVolumeType | None = None
    target_type: EaDistanceType | None = None
    entry_type: EaDistanceType | None = None
    license_id: str | None = None
    alert_secret: str | None = None
    default_symbol: str | None = None
    dialects: list[str] | None = None
    trading_halted: bool | None = None


class StrategyCreate(StrategySettings):
    """A new strategy: a name and any settings."""

    name: str = Field(min_length=1, max_length=100)


def strategy_out(ctx: ServerContext, strategy: Strategy, signal_count: int | None = None) -> dict[str, Any]:
    """The API shape of a strategy: its settings, ``webhook_url`` and (in lists) ``signal_count``."""
    data = strategy.model_dump(exclude={"webhook_secret"})
    data["strategy_id"] = strategy.id
    data["webhook_url"] = ctx.strategies.webhook_url(strategy)
    if signal_count is not None:
        data["signal_count"] = signal_count
    return data


@router.get("")
async def list_strategies(request: Request) -> list[dict[str, Any]]:
    """Every strategy with its webhook URL and number of signals."""
    ctx: ServerContext = request.app.state.ctx
    rows = await run_in_threadpool(ctx.strategies.list)
    return [strategy_out(ctx, s, n) for s, n in rows]


@router.post("", status_code=status.HTTP_201_CREATED)
async def create_strategy(body: StrategyCreate, request: Request) -> dict[str, Any]:
    """Create a strategy; answers ``{strategy_id, webhook_url, ...}``."""
    ctx: ServerContext = request.app.state.ctx
    fields = body.model_dump(exclude_unset=True)  # an explicit null (e.g. no default volume) is kept
    name = fields.pop("name")
    strategy = await run_in_threadpool(lambda: ctx.strategies.create(name, **fields))
    return strategy_out(ctx, strategy)


@router.get("/{strategy_id}")
async def read_strategy(strategy_id: int, request: Request) -> dict[str, Any]:
    """One strategy."""
    ctx: ServerContext = request.app.state.ctx
    try:
        return strategy_out(ctx, await run_in_threadpool(ctx.strategies.get, strategy_id))
    except StrategyNotFound as exc:
        raise HTTPException(404, str(exc)) from exc


@router.patch("/{strategy_id}")
async def update_strategy(strategy_id: int, body: StrategySettings, request: Request) -> dict[str, Any]:
    """Change settings; fields left out stay as they are (send ``null`` to clear a nullable one)."""
    ctx: ServerContext = request.app.state.ctx
    changes = body.model_dump(exclude_unset=True)
    if changes.get("name") is None:
        changes.pop("name", None)
    try:
        strategy = await run_in_threadpool(lambda: ctx.strategies.update(strategy_id, **changes))
    except StrategyNotFound as exc:
        raise HTTPException(404, str(exc)) from exc
    return strategy_out(ctx, strategy)


@router.delete("/{strategy_id}", status_code=status.HTTP_204_NO_CONTENT)
async def delete_strategy(strategy_id: int, request: Request) -> None:
    """Delete a strategy and its signals."""
    ctx: ServerContext = request.app.state.ctx
    try:
        await run_in_threadpool(ctx.strategies.delete, strategy_id)
    except StrategyNotFound as exc:
        raise HTTPException(404, str(exc)) from exc


@router.post("/{strategy_id}/rotate-secret")
async def rotate_secret(strategy_id: int, request: Request) -> dict[str, Any]:
    """Issue a new webhook URL; the old one stops working at once."""
    ctx: ServerContext = request.app.state.ctx
    try:
        strategy = await run_in_threadpool(ctx.strategies.rotate_secret, strategy_id)
    except StrategyNotFound as exc:
        raise HTTPException(404, str(exc)) from exc
    return strategy_out(ctx, strategy)
