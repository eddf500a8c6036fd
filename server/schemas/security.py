"""Refused senders in ``/api/v1/security``: :class:`SecurityEventPublic` (one rolled-up row),
:class:`SecuritySummary` (counts per kind and the latest alarms)."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field

from server.security_events import SecurityKind

_KIND = (
    "What was refused: `unknown_url` (a per-strategy URL whose secret no strategy has: never issued, rotated or "
    "deleted), `missing_secret` / `unknown_secret` (the universal URL without a secret / with one no strategy has), "
    "`wrong_alert_secret`, `wrong_license_id`, `bad_signature`, `rate_limited`."
)


class SecurityEventPublic(BaseModel):
    """Requests of one kind from one source within one minute (same endpoint, secret fingerprint and strategy),
    rolled up into one row. Never holds a secret."""

    id: int = Field(description="The row's id (never reused).")
    kind: SecurityKind = Field(description=_KIND)
    words: str = Field(description="The kind in words.")
    minute: datetime = Field(description="The minute (UTC) the requests fell in.")
    count: int = Field(description="How many requests this row stands for.")
    first_at: datetime = Field(description="The first of them (UTC).")
    last_at: datetime = Field(description="The last of them (UTC).")
    source: str = Field(
        description="The sender's IP address (the tunnel's X-Forwarded-For when it came through the tunnel), "
        "`unknown`, or `(other sources)` for requests counted together during a flood."
    )
    endpoint: str = Field(description="The route template hit (the secret in a URL is never recorded).")
    fingerprint: str | None = Field(
        description="A 12-hex-digit keyed hash of the secret (or License ID) tried, the same for the same secret on "
        "this installation and useless for recovering it; `null` when none was tried."
    )
    strategy_id: int | None = Field(description="The strategy reached or named, if any.")
    strategy_name: str | None = Field(description="That strategy's name.")
    detail: str | None = Field(description="More about the first request of the row (which signature problem ...).")


class KindCount(BaseModel):
    """Refused requests of one kind within the summary's period."""

    kind: SecurityKind = Field(description=_KIND)
    words: str = Field(description="The kind in words.")
    count: int = Field(description="Requests within the period.")
    last_at: datetime | None = Field(description="The latest of them (UTC).")


class AlarmPublic(BaseModel):
    """A threshold notification that was raised."""

    kind: SecurityKind = Field(description=_KIND)
    count: int = Field(description="Requests of that kind within the window when it was raised.")
    window_seconds: int = Field(description="The window, in seconds.")
    at: datetime = Field(description="When it was raised (UTC).")
    message: str = Field(description="The notification's sentence.")


class SecuritySummary(BaseModel):
    """Refused senders within the last ``hours``: counts per kind, the total, the latest alarms and the rule."""

    since: datetime = Field(description="Start of the period (UTC).")
    hours: int = Field(description="The period, in hours.")
    total: int = Field(description="Refused requests within the period, all kinds.")
    by_kind: list[KindCount] = Field(description="One entry per kind, every kind listed.")
    alarms: list[AlarmPublic] = Field(description="The latest threshold notifications since tvbridge started.")
    threshold: int = Field(description="Requests of one kind within the window that raise a notification.")
    window_seconds: int = Field(description="The alarm window, in seconds.")
    retention_days: int = Field(description="Days of rows kept (older ones are pruned).")
