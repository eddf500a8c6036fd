"""Account-wide settings of ``/api/v1/settings``: :class:`SettingsPublic`, :class:`SettingsUpdate`."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from server.schemas import bounds
from server.schemas.types import Flag, Pct, optional

_LOSS_LIMIT = (
    f"Percent of the day's starting balance, {bounds.MIN_PCT} to {bounds.MAX_PCT:g}: once today's realised loss "
    "reaches it, new alerts are discarded with `daily_loss_limit_reached` (day boundary 00:00 UTC). `null`: no limit."
)
_PAUSED = "While true, every alert is logged as `discarded` (the tray's Pause all trading)."


class SettingsPublic(BaseModel):
    """The account-wide risk settings."""

    daily_loss_limit_pct: float | None = Field(description=_LOSS_LIMIT)
    trading_paused: bool = Field(description=_PAUSED)
    updated_at: datetime | None = Field(description="When a setting last changed (UTC); `null`: never.")


class SettingsUpdate(BaseModel):
    """Settings to change; fields left out stay as they are."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)

    daily_loss_limit_pct: Pct | None = Field(default=None, description=_LOSS_LIMIT)
    trading_paused: Flag = optional(_PAUSED)
