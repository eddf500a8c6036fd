"""Admin and agent tokens, and the loopback Host check of the admin listener.

The admin token is generated on first start and kept in the data folder as ``admin-token`` (mode 0600 on
POSIX; on Windows the per-user data folder is already private to the user). Agents use a separate
``agent-token`` so an agent on another machine never holds the admin token. Tokens are compared in constant
time. The Host check refuses DNS-rebinding: a web page on evil.example resolving to 127.0.0.1 sends
``Host: evil.example``, which is not a loopback name.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from fastapi import HTTPException, Request, status

ADMIN_TOKEN_FILE = "admin-token"
AGENT_TOKEN_FILE = "agent-token"
#: The per-install key of the fingerprints of secrets refused senders tried (server/security_events/fingerprint.py).
SECURITY_KEY_FILE = "security-key"

LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "::1", "[::1]"})


def load_or_create_token(data_dir: Path, filename: str) -> str:
    """Read the token in ``data_dir/filename``, creating it (user-only permissions) on first use.

    :raises OSError: the data folder is not writable.
    """
    path = data_dir / filename
    if path.exists():
        token = path.read_text(encoding="ascii").strip()
        if token:
            return token
    data_dir.mkdir(parents=True, exist_ok=True)
    token = secrets.token_urlsafe(32)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="ascii") as fh:
        fh.write(token + "\n")
    return token


def host_is_loopback(host_header: str | None) -> bool:
    """True when a Host header (``name[:port]``) names a loopback host."""
    if not host_header:
        return False
    host = host_header.strip().lower()
    if host.startswith("["):
        host = host.split("]", 1)[0] + "]"
    else:
        host = host.rsplit(":", 1)[0] if host.count(":") == 1 else host
    return host in LOOPBACK_HOSTS


def _bearer(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() == "bearer" and value:
        return value.strip()
    # Never from the query string: URLs end up in logs, browser history and Referer headers. The dashboard
    # signs in with a single-use code instead (server/dashboard/sessions.py).
    return None


class TokenGuard:
    """FastAPI dependency: require ``Authorization: Bearer <token>`` matching one of ``tokens``."""

    def __init__(self, *tokens: str) -> None:
        self._tokens = tuple(t.encode() for t in tokens)

    def __call__(self, request: Request) -> None:
        given = (_bearer(request) or "").encode()
        if not any(secrets.compare_digest(given, t) for t in self._tokens):
            raise HTTPException(
                status.HTTP_401_UNAUTHORIZED,
                detail="Missing or wrong token. Send 'Authorization: Bearer <token>' (see the admin-token file).",
                headers={"WWW-Authenticate": "Bearer"},
            )
