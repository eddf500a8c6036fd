"""Typed FastAPI dependencies: how a route reaches the server's collaborators.

Routes declare ``ctx: ServerCtx`` instead of reading ``request.app.state``, so the dependency is visible in the
signature, typed, and replaceable in one place.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from server.context import ServerContext


async def server_context(request: Request) -> ServerContext:
    """The :class:`ServerContext` the app was built with (``create_public_app``/``create_admin_app``).

    ``async`` on purpose: FastAPI runs a plain ``def`` dependency in its thread pool, a hop on every request."""
    ctx: ServerContext = request.app.state.ctx
    return ctx


#: A route parameter annotated with this receives the app's :class:`ServerContext`.
ServerCtx = Annotated[ServerContext, Depends(server_context)]
