"""``/api/v1/settings``: account-wide risk settings (daily loss limit, trading pause)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel, ConfigDict, Field

from server.context import ServerContext

router = APIRouter(prefix="/api/v1/settings", tags=["settings"])


class SettingsPatch(BaseModel):
    """``daily_loss_limit_pct``: percent of the day's starting balance (``null`` = no limit)."""

    model_config = ConfigDict(extra="forbid")

    daily_loss_limit_pct: float | None = Field(default=None, gt=0, le=100)
    trading_paused: bool | None = None


@router.get("")
async def read_settings(request: Request) -> dict[str, Any]:
    """The current settings."""
    ctx: ServerContext = request.app.state.ctx
    row = await run_in_threadpool(ctx.read_settings)
    return row.model_dump(exclude={"id"})


@router.patch("")
async def update_settings(body: SettingsPatch, request: Request) -> dict[str, Any]:
    """Change the daily loss limit and/or pause or resume all trading."""
    ctx: ServerContext = request.app.state.ctx
    changes = body.model_dump(exclude_unset=True)
    if changes.get("trading_paused") is None:
        changes.pop("trading_paused", None)
    row = await run_in_threadpool(lambda: ctx.update_settings(**changes))
    return row.model_dump(exclude={"id"})
