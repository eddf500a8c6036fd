"""``/api/v1/settings``: account-wide risk settings (daily loss limit, trading pause)."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.concurrency import run_in_threadpool

from server.deps import ServerCtx
from server.models import AppSettings
from server.schemas.errors import BAD_BODY, INVALID, UNAUTHORIZED
from server.schemas.settings import SettingsPublic, SettingsUpdate

router = APIRouter(prefix="/api/v1/settings", tags=["settings"], responses=UNAUTHORIZED)


def settings_public(row: AppSettings) -> SettingsPublic:
    """The API shape of the settings row."""
    return SettingsPublic(
        daily_loss_limit_pct=row.daily_loss_limit_pct, trading_paused=row.trading_paused, updated_at=row.updated_at,
        account_max_exposure_pct=row.account_max_exposure_pct, account_exposure_basis=row.account_exposure_basis,
        account_max_open_positions=row.account_max_open_positions,
    )


@router.get("")
async def read_settings(ctx: ServerCtx) -> SettingsPublic:
    """The current settings."""
    return settings_public(await run_in_threadpool(ctx.read_settings))


@router.patch("", responses={**INVALID, **BAD_BODY})
async def update_settings(body: SettingsUpdate, ctx: ServerCtx) -> SettingsPublic:
    """Change the daily loss limit (``null`` removes it), the account exposure caps (``null`` removes one) and/or
    pause or resume all trading."""
    changes = body.model_dump(exclude_unset=True)
    return settings_public(await run_in_threadpool(lambda: ctx.update_settings(**changes)))
