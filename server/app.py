"""The two FastAPI apps, built from one codebase and one :class:`ServerContext`.

- public app: ``POST /api/v1/webhooks/tv/...`` and ``GET /healthz`` only. This port is what the tunnel
  exposes to the internet, so nothing else may answer there.
- admin app: everything else under ``/api/v1`` (admin token or a dashboard session; the agent token for the agent
  routes), ``GET /healthz``, the dashboard and ``/docs`` (``server/dashboard``). Requests whose Host header is not
  a loopback name are refused.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Awaitable, Callable

from fastapi import Depends, FastAPI, Request, Response
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse

from server.context import ServerContext
from server.dashboard.access import AdminAccess
from server.dashboard.pages import install_dashboard
from server.disconnects import install_disconnect_handler
from server.routes import (
    account,
    agents,
    alert_tools,
    auth,
    explain,
    health,
    ledger,
    notifications,
    security,
    settings,
    signals,
    status,
    strategies,
    webhooks,
)
from server.schemas.errors import BAD_BODY, UNAUTHORIZED, install_error_handlers
from server.security import TokenGuard, host_is_loopback

logger = logging.getLogger(__name__)

#: How often queued jobs are checked against their deadline, in seconds.
EXPIRY_SWEEP_SECONDS = 1.0


def create_public_app(ctx: ServerContext) -> FastAPI:
    """The internet-facing app: webhooks and health only; no docs, no OpenAPI schema."""
    app = FastAPI(title="tvbridge webhooks", docs_url=None, redoc_url=None, openapi_url=None)
    app.state.ctx = ctx
    install_disconnect_handler(app)
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

    # docs_url=None: server/dashboard serves its own offline /docs (FastAPI's has an inline script the CSP forbids).
    app = FastAPI(title="tvbridge admin", lifespan=lifespan, docs_url=None, redoc_url=None)
    app.state.ctx = ctx
    install_error_handlers(app)  # 422 with a sentence per field, 400/405 with sentences
    install_disconnect_handler(app)

    @app.middleware("http")
    async def refuse_foreign_hosts(request: Request, call_next: Callable[[Request], Awaitable[Response]]) -> Response:
        if not host_is_loopback(request.headers.get("host")):
            return JSONResponse({"detail": "The admin API answers only to loopback host names."}, status_code=403)
        return await call_next(request)

    install_dashboard(app)  # after the Host check: its security headers wrap every answer, refusals included
    admin_only = [Depends(AdminAccess(ctx.admin_token, ctx.sessions))]
    app.include_router(health.router)
    app.include_router(auth.public_router, responses=BAD_BODY)
    for router in (strategies.router, alert_tools.router, explain.router, signals.router, settings.router,
                   account.router, status.router, auth.router, ledger.admin, security.router, notifications.router):
        app.include_router(router, dependencies=admin_only, responses=UNAUTHORIZED)
    app.include_router(agents.router, dependencies=[Depends(TokenGuard(ctx.agent_token, ctx.admin_token))])
    app.include_router(ledger.agent)  # guards itself: the agent token, for deal batches
    return app


async def _sweep_expired(ctx: ServerContext) -> None:
    while True:
        try:
            await run_in_threadpool(ctx.queue.expire_overdue)
        except Exception:  # the sweeper must outlive a locked database
            logger.exception("job expiry sweep failed")
        await asyncio.sleep(EXPIRY_SWEEP_SECONDS)
