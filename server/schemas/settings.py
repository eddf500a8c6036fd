"""Account-wide settings of ``/api/v1/settings``: :class:`SettingsPublic`, :class:`SettingsUpdate`."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from server.schemas import bounds
from server.schemas.strategies import ExposureBasis
from server.schemas.types import ExposurePct, Flag, OpenPositions, Pct, optional

_LOSS_LIMIT = (
    f"Percent of the day's starting balance, {bounds.MIN_PCT} to {bounds.MAX_PCT:g}: once today's realised loss "
    "reaches it, new alerts are discarded (`decided_by`: `daily_loss_limit`, with a sentence giving the loss and the "
    "limit; day boundary 00:00 UTC). `null`: no limit."
)
_PAUSED = "While true, every alert is logged as `discarded` (the tray's Pause all trading)."
_EXPOSURE = (
    f"Each agent's account may hold at most this % of equity ({bounds.MIN_EXPOSURE_PCT:g} to "
    f"{bounds.MAX_EXPOSURE_PCT:,.0f}) as margin or notional value (`account_exposure_basis`), counting every "
    "position on it; an entry that would cross it is refused with the figures. Exits always run. `null`: no cap."
)
_BASIS = "What `account_max_exposure_pct` measures: `margin` (default) or `notional` value, in % of equity."
_POSITIONS = (
    f"Entries that would open a position while the account holds this many (1 to {bounds.MAX_OPEN_POSITIONS:,}, "
    "every position whoever opened it) are refused. `null`: no cap."
)


class SettingsPublic(BaseModel):
    """The account-wide risk settings."""

    daily_loss_limit_pct: float | None = Field(description=_LOSS_LIMIT)
    trading_paused: bool = Field(description=_PAUSED)
    account_max_exposure_pct: float | None = Field(default=None, description=_EXPOSURE)
    account_exposure_basis: str = Field(default="margin", description=_BASIS)
    account_max_open_positions: int | None = Field(default=None, description=_POSITIONS)
    updated_at: datetime | None = Field(description="When a setting last changed (UTC); `null`: never.")


class SettingsUpdate(BaseModel):
    """Settings to change; fields left out stay as they are."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)

    daily_loss_limit_pct: Pct | None = Field(default=None, description=_LOSS_LIMIT)
    trading_paused: Flag = optional(_PAUSED)
    account_max_exposure_pct: ExposurePct | None = Field(default=None, description=_EXPOSURE)
    account_exposure_basis: ExposureBasis = optional(_BASIS)
    account_max_open_positions: OpenPositions | None = Field(default=None, description=_POSITIONS)
