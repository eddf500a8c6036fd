"""Who may call the admin API, and the browser protections of the admin listener.

Two ways in (:class:`AdminAccess`):

- ``Authorization: Bearer <admin token>``: the CLI, scripts, agents acting as admin. Never from a query string.
  Browsers cannot attach this header to a cross-site request without a CORS pre-flight, which this listener
  never grants, so bearer requests need no CSRF protection.
- The dashboard's session (:mod:`server.dashboard.sessions`): the ``tvbridge_session`` cookie **and** the
  session's token in the ``X-CSRF-Token`` header on every request. A state-changing request (anything but
  GET/HEAD/OPTIONS) must also come from the admin origin itself: ``Origin`` equal to ``http://<Host>`` and
  ``Sec-Fetch-Site: same-origin`` whenever the browser sends them. A form or script on another origin (another
  loopback port is the same *site*, so ``SameSite=Strict`` alone does not stop it) can set neither.

:func:`security_headers` is the header set of every admin response: a strict Content-Security-Policy (scripts
only from this origin: no inline script, no ``eval``), no framing, no referrer, no MIME sniffing.
"""

from __future__ import annotations

import secrets

from fastapi import HTTPException, Request, status

from server.dashboard.sessions import DashboardSessions

#: The session cookie's name.
SESSION_COOKIE = "tvbridge_session"
#: The header that carries the session's CSRF token.
CSRF_HEADER = "X-CSRF-Token"

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})

SIGN_IN_AGAIN = (
    "You are not signed in (or the session ended). Open the dashboard from the tray menu, or run "
    "`tvbridge dashboard`, to get a new sign-in link."
)
WRONG_TOKEN = "Missing or wrong token. Send 'Authorization: Bearer <token>' (see the admin-token file)."

CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'none'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",
        "manifest-src 'self'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)


def security_headers(path: str) -> dict[str, str]:
    """The headers added to every admin-listener response for ``path``; API answers are never cached."""
    headers = {
        "Content-Security-Policy": CONTENT_SECURITY_POLICY,
        "X-Frame-Options": "DENY",
        "Referrer-Policy": "no-referrer",
        "X-Content-Type-Options": "nosniff",
        "Cross-Origin-Opener-Policy": "same-origin",
        "Cross-Origin-Resource-Policy": "same-origin",
    }
    if path.startswith("/api/"):
        headers["Cache-Control"] = "no-store"
    return headers


def bearer_token(request: Request) -> str | None:
    """The token of an ``Authorization: Bearer`` header, or ``None``. Query strings are never read."""
    header = request.headers.get("authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() == "bearer" and value.strip():
        return value.strip()
    return None


def refuse_cross_origin(request: Request) -> None:
    """Refuse a browser request that did not come from a page of this origin.

    ``Origin`` (sent by browsers on every non-GET fetch and form post) must be ``http://<Host>``;
    ``Sec-Fetch-Site`` (Fetch Metadata, sent by current browsers) must be ``same-origin``. Clients that send
    neither (curl, httpx) pass: they are not browsers, and a browser cannot suppress both.

    :raises HTTPException: 403 with a sentence.
    """
    origin = request.headers.get("origin")
    host = request.headers.get("host", "")
    site = request.headers.get("sec-fetch-site")
    if (origin is not None and origin != f"http://{host}") or (site is not None and site != "same-origin"):
        raise HTTPException(
            status.HTTP_403_FORBIDDEN,
            detail="Refused: this request came from another web page, not from the tvbridge dashboard.",
        )


class AdminAccess:
    """FastAPI dependency for admin routes: the admin bearer token, or a dashboard session with its CSRF token
    (and, for changes, a same-origin request). :raises HTTPException: 401 not signed in, 403 refused."""

    def __init__(self, admin_token: str, sessions: DashboardSessions) -> None:
        self._token = admin_token.encode()
        self._sessions = sessions

    def __call__(self, request: Request) -> None:
        if request.headers.get("authorization") is not None:
            given = (bearer_token(request) or "").encode()
            if secrets.compare_digest(given, self._token):
                return
            raise HTTPException(
                status.HTTP_401_UNAUTHORIZED, detail=WRONG_TOKEN, headers={"WWW-Authenticate": "Bearer"}
            )
        session_id = request.cookies.get(SESSION_COOKIE)
        expected = self._sessions.csrf_token(session_id) if session_id else None
        if expected is None:
            raise HTTPException(
                status.HTTP_401_UNAUTHORIZED, detail=SIGN_IN_AGAIN if session_id else WRONG_TOKEN,
                headers={"WWW-Authenticate": "Bearer"},
            )
        given_csrf = request.headers.get(CSRF_HEADER, "")
        if not secrets.compare_digest(given_csrf.encode(), expected.encode()):
            raise HTTPException(
                status.HTTP_403_FORBIDDEN,
                detail="Refused: the request carried no valid dashboard token. Reload the dashboard page.",
            )
        if request.method not in SAFE_METHODS:
            refuse_cross_origin(request)
