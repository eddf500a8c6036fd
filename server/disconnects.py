"""A client that goes away before its request arrived whole is one short log line, not a traceback (issue 9.11).

Starlette raises ``ClientDisconnect`` from ``request.stream()`` when the connection closes mid-body (a truncated
upload, a client that gave up, or :mod:`server.listener_guard` closing a client too slow to send its body).
Unhandled, uvicorn logged it as "Exception in ASGI application" with a 4.3 KB traceback, and about 7,000 such
requests rotated away every log file. Nothing of such a request is stored (the client never got an answer, so
nothing was promised); the line goes through the log's rate limit like any other (:mod:`tray.logs`).
"""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request, Response
from starlette.requests import ClientDisconnect

logger = logging.getLogger(__name__)


async def _client_went_away(request: Request, exc: Exception) -> Response:
    # The path last: the log's redaction masks a webhook secret up to the next space.
    logger.info("client went away before its request arrived whole; nothing was stored: %s %s",
                request.method, request.url.path)
    return Response(status_code=400)  # never sent: there is nobody left to receive it


def install_disconnect_handler(app: FastAPI) -> None:
    """Answer ``ClientDisconnect`` raised anywhere in ``app`` with one short log line."""
    app.add_exception_handler(ClientDisconnect, _client_went_away)
