"""Dashboard sign-in: single-use, short-lived sign-in codes exchanged for a browser session.

The admin token never travels in a URL. Instead the tray ("Open dashboard"), ``tvbridge run`` and
``tvbridge dashboard`` hand the browser a link ``<admin>/sign-in#code=<code>``: the code sits in the URL
*fragment*, which browsers never send to a server (so it is in no access log and no Referer). The page posts the
code to ``POST /api/v1/auth/session`` and receives

- a session cookie (``HttpOnly; SameSite=Strict; Path=/``): script cannot read it, and
- a CSRF token, which the page keeps in ``localStorage`` and sends in the ``X-CSRF-Token`` header with every API
  request. The server compares it with the token stored for that session.

Both are needed. Cookies are not isolated by port, so a program listening on another loopback port could receive
the cookie from the browser; without the CSRF token (readable only by pages of the admin origin) the cookie
opens nothing. A code is accepted once and only within :data:`CODE_TTL_SECONDS`; sessions end after
:data:`SESSION_IDLE_SECONDS` without a request, at sign-out, and when tvbridge stops (they live in memory only).

Codes and session ids are 256-bit random values (``secrets.token_urlsafe(32)``); only their SHA-256 is kept.
"""

from __future__ import annotations

import hashlib
import secrets
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

#: How long a sign-in code can be used, in seconds.
CODE_TTL_SECONDS = 60.0
#: A session ends after this many seconds without a request.
SESSION_IDLE_SECONDS = 12 * 3600.0
#: Most sessions kept at once (the oldest is dropped first); most unused codes kept at once.
MAX_SESSIONS = 32
MAX_PENDING_CODES = 16

#: The page that redeems a code; the code follows in the fragment.
SIGN_IN_PATH = "/sign-in"


def _digest(value: str) -> str:
    return hashlib.sha256(value.encode("utf-8", errors="replace")).hexdigest()


@dataclass(frozen=True)
class SignInCode:
    """A fresh code and how long it stays valid (seconds)."""

    code: str
    expires_in: float


@dataclass(frozen=True)
class DashboardSession:
    """A signed-in browser: ``session_id`` is the cookie's value, ``csrf_token`` the header's."""

    session_id: str
    csrf_token: str


@dataclass
class _Stored:
    csrf_token: str
    last_used: float


class DashboardSessions:
    """Thread-safe store of pending sign-in codes and live sessions (in memory; nothing survives a restart).

    ``clock`` returns seconds (monotonic); tests may pass their own.
    """

    def __init__(
        self,
        *,
        code_ttl: float = CODE_TTL_SECONDS,
        idle_timeout: float = SESSION_IDLE_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.code_ttl = code_ttl
        self.idle_timeout = idle_timeout
        self._clock = clock
        self._lock = threading.Lock()
        self._codes: OrderedDict[str, float] = OrderedDict()  # digest -> expiry
        self._sessions: OrderedDict[str, _Stored] = OrderedDict()  # digest of session id -> state

    def issue_code(self) -> SignInCode:
        """A new single-use code, valid for ``code_ttl`` seconds."""
        code = secrets.token_urlsafe(32)
        with self._lock:
            self._drop_expired_codes()
            self._codes[_digest(code)] = self._clock() + self.code_ttl
            while len(self._codes) > MAX_PENDING_CODES:
                self._codes.popitem(last=False)
        return SignInCode(code, self.code_ttl)

    def sign_in_url(self, admin_url: str) -> str:
        """A one-time sign-in link to the dashboard served at ``admin_url`` (``http://127.0.0.1:8766``)."""
        return f"{admin_url.rstrip('/')}{SIGN_IN_PATH}#code={self.issue_code().code}"

    def redeem(self, code: str) -> DashboardSession | None:
        """Exchange a code for a new session; ``None`` when the code is unknown, used or expired."""
        key = _digest(code)
        with self._lock:
            expiry = self._codes.pop(key, None)
            if expiry is None or expiry < self._clock():
                return None
            session = DashboardSession(secrets.token_urlsafe(32), secrets.token_urlsafe(32))
            self._sessions[_digest(session.session_id)] = _Stored(session.csrf_token, self._clock())
            while len(self._sessions) > MAX_SESSIONS:
                self._sessions.popitem(last=False)
            return session

    def csrf_token(self, session_id: str) -> str | None:
        """The CSRF token of a live session (and mark it used), or ``None`` when there is no such session."""
        key = _digest(session_id)
        now = self._clock()
        with self._lock:
            stored = self._sessions.get(key)
            if stored is None:
                return None
            if now - stored.last_used > self.idle_timeout:
                del self._sessions[key]
                return None
            stored.last_used = now
            self._sessions.move_to_end(key)
            return stored.csrf_token

    def end(self, session_id: str) -> None:
        """Sign a session out (no error when it is already gone)."""
        with self._lock:
            self._sessions.pop(_digest(session_id), None)

    def _drop_expired_codes(self) -> None:
        now = self._clock()
        for key in [k for k, expiry in self._codes.items() if expiry < now]:
            del self._codes[key]
