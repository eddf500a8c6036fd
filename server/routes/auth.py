"""``/api/v1/auth``: one-time dashboard sign-in links, and exchanging one for a browser session.

See :mod:`server.dashboard.sessions` for the design. ``tvbridge dashboard`` asks for a link with the admin
bearer token; the page at the link posts its code here and gets the session cookie plus its CSRF token.
"""

from __future__ import annotations

from fastapi import APIRouter, HTTPException, Request, Response, status
from pydantic import BaseModel, ConfigDict, Field

from server.context import ServerContext
from server.dashboard.access import SESSION_COOKIE, WRONG_TOKEN, bearer_token, refuse_cross_origin
from server.schemas.errors import refusals

#: Routes that need no prior authentication (the code is the credential).
public_router = APIRouter(prefix="/api/v1/auth", tags=["auth"])
#: Routes behind the admin guard (bearer token or session).
router = APIRouter(prefix="/api/v1/auth", tags=["auth"])

CODE_REFUSED = (
    "This sign-in link was already used or has expired (links work once, within a minute). Open a new one: "
    "tray menu > Open dashboard, or run `tvbridge dashboard`."
)


class SignInLink(BaseModel):
    """A single-use link that signs a browser in to the dashboard. ``expires_in_seconds``: how long it works."""

    url: str
    expires_in_seconds: float


class SessionRequest(BaseModel):
    """The code from a sign-in link (the part after ``#code=``)."""

    model_config = ConfigDict(extra="forbid")

    code: str = Field(min_length=1, max_length=200)


class SessionOut(BaseModel):
    """A new dashboard session. The session itself is in the ``tvbridge_session`` cookie (HttpOnly); send
    ``csrf_token`` in the ``X-CSRF-Token`` header of every API request. ``idle_timeout_seconds``: the session
    ends after this long without a request."""

    csrf_token: str
    idle_timeout_seconds: float


@router.post("/sign-in-links", response_model=SignInLink, status_code=status.HTTP_201_CREATED)
async def create_sign_in_link(request: Request) -> SignInLink:
    """A new single-use dashboard sign-in link (``tvbridge dashboard``). Only with the admin bearer token: a
    browser session cannot mint links."""
    ctx: ServerContext = request.app.state.ctx
    if bearer_token(request) is None:
        raise HTTPException(status.HTTP_401_UNAUTHORIZED, detail=WRONG_TOKEN, headers={"WWW-Authenticate": "Bearer"})
    base = str(request.base_url).rstrip("/")
    return SignInLink(url=ctx.sessions.sign_in_url(base), expires_in_seconds=ctx.sessions.code_ttl)


@public_router.post(
    "/session",
    response_model=SessionOut,
    responses=refusals({401: "The code is unknown, used or expired.", 403: "Cross-site."}),
)
async def start_session(body: SessionRequest, request: Request, response: Response) -> SessionOut:
    """Exchange a sign-in code for a session: sets the ``tvbridge_session`` cookie (HttpOnly, SameSite=Strict,
    Path=/) and answers the session's CSRF token. A code works once."""
    ctx: ServerContext = request.app.state.ctx
    refuse_cross_origin(request)
    session = ctx.sessions.redeem(body.code)
    if session is None:
        raise HTTPException(status.HTTP_401_UNAUTHORIZED, detail=CODE_REFUSED)
    # No Max-Age: the cookie ends with the browser; the server ends idle sessions on its side.
    response.set_cookie(SESSION_COOKIE, session.session_id, httponly=True, samesite="strict", path="/")
    return SessionOut(csrf_token=session.csrf_token, idle_timeout_seconds=ctx.sessions.idle_timeout)


@router.delete("/session", status_code=status.HTTP_204_NO_CONTENT)
async def end_session(request: Request, response: Response) -> None:
    """Sign the dashboard out: the session ends and its cookie is cleared."""
    ctx: ServerContext = request.app.state.ctx
    session_id = request.cookies.get(SESSION_COOKIE)
    if session_id:
        ctx.sessions.end(session_id)
    response.delete_cookie(SESSION_COOKIE, path="/", httponly=True, samesite="strict")
