"""Filters of the signal log (``GET /api/v1/signals``): symbol, free-text search and a time window."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlmodel import col, or_

from server.models import Signal


def _like(text: str) -> str:
    """A LIKE pattern matching ``text`` anywhere, with LIKE's wildcards taken literally."""
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def filter_signals(
    stmt: Any,
    *,
    symbol: str | None = None,
    search: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
) -> Any:
    """``stmt`` (a select over :class:`Signal`) narrowed to: the alert's symbol (case-insensitive, exact);
    ``search`` found in the raw message, the reason or the symbol (case-insensitive); received at or after
    ``since`` and before ``until`` (aware datetimes; naive ones are read as UTC)."""
    if symbol:
        stmt = stmt.where(col(Signal.symbol).ilike(symbol.strip()))
    if search:
        pattern = _like(search.strip())
        stmt = stmt.where(
            or_(
                col(Signal.raw_payload).ilike(pattern, escape="\\"),
                col(Signal.error_message).ilike(pattern, escape="\\"),
                col(Signal.symbol).ilike(pattern, escape="\\"),
            )
        )
    if since is not None:
        stmt = stmt.where(col(Signal.created_at) >= since)
    if until is not None:
        stmt = stmt.where(col(Signal.created_at) < until)
    return stmt
