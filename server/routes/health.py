"""``GET /healthz`` on both listeners: liveness for the tunnel probe and the tray."""

from __future__ import annotations

from fastapi import APIRouter

from server.schemas.account import HealthPublic

router = APIRouter(tags=["health"])


@router.get("/healthz")
def healthz() -> HealthPublic:
    """Answer ``{"status": "ok"}`` while the server is up (no token needed)."""
    return HealthPublic()
