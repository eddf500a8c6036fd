"""``GET /api/v1/status``: the app's state in one word and its reasons, the same as the tray icon's."""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel, Field

from server.context import ServerContext

router = APIRouter(prefix="/api/v1", tags=["status"])


class AppStatus(BaseModel):
    """``running`` (green), ``degraded`` (amber: an alert could fail to arrive or to trade; ``reasons`` say why,
    most important first) or ``stopped``; ``unknown`` when the server runs without the app around it.
    ``version``: the tvbridge version."""

    state: Literal["running", "degraded", "stopped", "unknown"] = Field(
        description="running (green), degraded (amber), stopped, or unknown without the app around the server."
    )
    reasons: list[str] = Field(description="Why it is degraded or stopped, most important first (sentences).")
    version: str = Field(description="The tvbridge version.")


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("tvbridge")
    except PackageNotFoundError:
        return "unknown"


@router.get("/status", response_model=AppStatus)
async def read_status(request: Request) -> AppStatus:
    """What the tray icon shows: running, degraded (with reasons) or stopped."""
    ctx: ServerContext = request.app.state.ctx
    status = await run_in_threadpool(ctx.app_status)
    return AppStatus(state=status["state"], reasons=list(status.get("reasons", [])), version=_version())
