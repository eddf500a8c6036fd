"""The two FastAPI apps, built from one codebase and one :class:`ServerContext`.

- public app: ``POST /api/v1/webhooks/tv/...`` and ``GET /healthz`` only. This port is what the tunnel
  exposes to the internet, so nothing else may answer there.
- admin app: everything else under ``/api/v1`` (admin token, or the agent token for the agent routes),
  ``GET /healthz``, and the dashboard. Requests whose Host header is not a loopback name are refused.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

from fastapi import Depends, FastAPI, Request, Response
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import FileResponse, JSONResponse

from server.context import ServerContext
from server.routes import account, agents, health, settings, signals, strategies, webhooks
from server.schemas.errors import install_error_handlers
from server.security import TokenGuard, host_is_loopback

logger = logging.getLogger(__name__)

DASHBOARD = Path(__file__).with_name("static") / "dashboard.html"

#: How often queued jobs are checked against their deadline, in seconds.
EXPIRY_SWEEP_SECONDS = 1.0


def create_public_app(ctx: ServerContext) -> FastAPI:
    """The internet-facing app: webhooks and health only; no docs, no OpenAPI schema."""
    app = FastAPI(title="tvbridge webhooks", docs_url=None, redoc_url=None, openapi_url=None)
    app.state.ctx = ctx
    app.include_router(health.router)
    app.include_router(webhooks.router)
    return app


def create_admin_app(ctx: ServerContext) -> FastAPI:
    """The loopback-only management app; also runs the job-expiry sweeper while it is up."""

    @contextlib.asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        sweeper = asyncio.create_task(_sweep_expired(ctx))
        try:
            yield
        finally:
            sweeper.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await sweeper

    app = FastAPI(title="tvbridge admin", lifespan=lifespan)
    app.state.ctx = ctx
    install_error_handlers(app)  # 422 with a sentence per field, 400/405 with sentences

    @app.middleware("http")
    async def refuse_foreign_hosts(request: Request, call_next: Callable[[Request], Awaitable[Response]]) -> Response:
        if not host_is_loopback(request.headers.get("host")):
            return JSONResponse({"detail": "The admin API answers only to loopback host names."}, status_code=403)
        return await call_next(request)

    @app.get("/", include_in_schema=False)
    def dashboard() -> FileResponse:
        """The dashboard page; it holds no data itself and reads the API with the token the tray hands it."""
        return FileResponse(DASHBOARD, media_type="text/html")

    admin_only = [Depends(TokenGuard(ctx.admin_token))]
    app.include_router(health.router)
    for router in (strategies.router, signals.router, settings.router, account.router):
        app.include_router(router, dependencies=admin_only)
    app.include_router(agents.router, dependencies=[Depends(TokenGuard(ctx.agent_token, ctx.admin_token))])
    return app


async def _sweep_expired(ctx: ServerContext) -> None:
    while True:
        try:
            await run_in_threadpool(ctx.queue.expire_overdue)
        except Exception:  # the sweeper must outlive a locked database
            logger.exception("job expiry sweep failed")
        await asyncio.sleep(EXPIRY_SWEEP_SECONDS)
