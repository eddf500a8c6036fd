"""The dashboard's files on the admin listener: the single page at each of its addresses, its static files,
the offline API documentation at ``/docs``, and the security headers of every admin response.

The page holds no data: it is the same ``index.html`` at every address below, and its scripts read everything
from the admin API under ``/api/v1`` (the OpenAPI schema at ``/openapi.json`` describes exactly what they use).
Every library is vendored under ``static/vendor`` (see its README): the dashboard and ``/docs`` work offline.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path

from fastapi import FastAPI, Request, Response
from fastapi.responses import FileResponse
from fastapi.staticfiles import StaticFiles

from server.dashboard.access import security_headers

STATIC_DIR = Path(__file__).resolve().parent.parent / "static"
INDEX = STATIC_DIR / "index.html"
DOCS = STATIC_DIR / "docs.html"

#: The dashboard's addresses (its client-side router knows the same list: static/app/router.js).
PAGE_PATHS = (
    "/",
    "/sign-in",
    "/strategies",
    "/strategies/new",
    "/strategies/{strategy_id:int}",
    "/alerts",
    "/signals",
    "/signals/{signal_id:int}",
    "/trades",
    "/security",
    "/settings",
)


def _page() -> FileResponse:
    return FileResponse(INDEX, media_type="text/html", headers={"Cache-Control": "no-cache"})


def _docs() -> FileResponse:
    return FileResponse(DOCS, media_type="text/html", headers={"Cache-Control": "no-cache"})


def install_dashboard(app: FastAPI) -> None:
    """Serve the dashboard pages, ``/static`` and ``/docs`` on ``app``, and add :func:`security_headers` to all
    of its responses. ``app`` must be created with ``docs_url=None`` (this ``/docs`` replaces FastAPI's, whose
    inline script a strict Content-Security-Policy forbids)."""

    @app.middleware("http")
    async def add_security_headers(request: Request, call_next: Callable[[Request], Awaitable[Response]]) -> Response:
        response = await call_next(request)
        for name, value in security_headers(request.url.path).items():
            response.headers.setdefault(name, value)
        return response

    for path in PAGE_PATHS:
        app.add_api_route(path, _page, methods=["GET"], include_in_schema=False)
    app.add_api_route("/docs", _docs, methods=["GET"], include_in_schema=False)
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
