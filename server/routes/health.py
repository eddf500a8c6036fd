"""``GET /healthz`` on both listeners: liveness for the tunnel probe and the tray."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(tags=["health"])


@router.get("/healthz")
def healthz() -> dict[str, str]:
    """Answer ``{"status": "ok"}`` while the server is up."""
    return {"status": "ok"}
