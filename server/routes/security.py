"""``/api/v1/security``: refused senders (unknown URLs and secrets, wrong secrets and License IDs, bad signatures,
rate-limit hits), rolled up per minute, kind and source, and counted per kind. Secrets never appear: only
fingerprints (server/security_events)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.concurrency import run_in_threadpool
from sqlmodel import Session, col, func, select

from server.deps import ServerCtx
from server.models import SecurityEvent, Strategy
from server.schemas import bounds
from server.schemas.errors import INVALID, UNAUTHORIZED
from server.schemas.security import AlarmPublic, KindCount, SecurityEventPublic, SecuritySummary
from server.schemas.types import IsoTime
from server.security_events import WORDS, SecurityKind
from server.security_events.store import RETENTION_DAYS

router = APIRouter(prefix="/api/v1/security", tags=["security"], responses={**UNAUTHORIZED, **INVALID})

_MAX_HOURS = 24 * RETENTION_DAYS


def _aware(t: datetime) -> datetime:
    return t if t.tzinfo is not None else t.replace(tzinfo=UTC)


def event_public(row: SecurityEvent, strategy_name: str | None) -> SecurityEventPublic:
    """The API shape of one rolled-up row."""
    kind = SecurityKind(row.kind)
    return SecurityEventPublic(
        id=row.id or 0,
        kind=kind,
        words=WORDS[kind],
        minute=row.bucket,
        count=row.count,
        first_at=row.first_at,
        last_at=row.last_at,
        source=row.source,
        endpoint=row.endpoint,
        fingerprint=row.fingerprint or None,
        strategy_id=row.strategy_id or None,
        strategy_name=strategy_name,
        detail=row.detail or None,
    )


@router.get("/events")
async def list_security_events(
    ctx: ServerCtx,
    limit: Annotated[int, Query(ge=1, le=bounds.MAX_EVENTS_PAGE, description="Rows per page.")] = 100,
    offset: Annotated[int, Query(ge=0, le=bounds.MAX_ID, description="Rows to skip (newest first).")] = 0,
    kind: Annotated[SecurityKind | None, Query(description="Only this kind.")] = None,
    source: Annotated[str | None, Query(max_length=64, description="Only this source address.")] = None,
    strategy_id: Annotated[
        int | None, Query(ge=1, le=bounds.MAX_ID, description="Only rows of this strategy.")
    ] = None,
    since: Annotated[IsoTime | None, Query(description="Last request at or after this time (ISO 8601).")] = None,
) -> list[SecurityEventPublic]:
    """Refused senders, newest first: one row per minute, kind, source, endpoint, fingerprint and strategy, with
    how many requests it stands for. Counted requests reach this list within about a second."""

    def query() -> list[SecurityEventPublic]:
        with Session(ctx.engine) as session:
            stmt = select(SecurityEvent, Strategy.name).outerjoin(
                Strategy, Strategy.id == SecurityEvent.strategy_id  # type: ignore[arg-type]
            )
            if kind is not None:
                stmt = stmt.where(SecurityEvent.kind == kind.value)
            if source is not None:
                stmt = stmt.where(SecurityEvent.source == source)
            if strategy_id is not None:
                stmt = stmt.where(SecurityEvent.strategy_id == strategy_id)
            if since is not None:
                stmt = stmt.where(col(SecurityEvent.last_at) >= _aware(since))
            stmt = stmt.order_by(col(SecurityEvent.last_at).desc(), col(SecurityEvent.id).desc())
            return [event_public(row, name) for row, name in session.exec(stmt.offset(offset).limit(limit)).all()]

    return await run_in_threadpool(query)


@router.get("/summary")
async def security_summary(
    ctx: ServerCtx,
    hours: Annotated[int, Query(ge=1, le=_MAX_HOURS, description="The period, in hours back from now.")] = 24,
) -> SecuritySummary:
    """Refused requests per kind within the last ``hours``, the latest threshold notifications and the rule that
    raises them."""
    since = datetime.now(UTC) - timedelta(hours=hours)

    def query() -> dict[str, tuple[int, datetime | None]]:
        with Session(ctx.engine) as session:
            stmt = (
                select(SecurityEvent.kind, func.sum(SecurityEvent.count), func.max(SecurityEvent.last_at))
                .where(col(SecurityEvent.last_at) >= since)
                .group_by(SecurityEvent.kind)
            )
            return {k: (int(n or 0), last) for k, n, last in session.exec(stmt).all()}

    found = await run_in_threadpool(query)
    by_kind = []
    for kind in SecurityKind:
        n, last = found.get(kind.value, (0, None))
        last_at = None if last is None else _aware(last if isinstance(last, datetime) else datetime.fromisoformat(last))
        by_kind.append(KindCount(kind=kind, words=WORDS[kind], count=n, last_at=last_at))
    alarms = [
        AlarmPublic(
            kind=a.kind,
            count=a.count,
            window_seconds=a.window_seconds,
            at=datetime.fromtimestamp(a.at, UTC),
            message=a.message,
        )
        for a in reversed(ctx.security.recent_alarms)
    ]
    return SecuritySummary(
        since=since,
        hours=hours,
        total=sum(k.count for k in by_kind),
        by_kind=by_kind,
        alarms=alarms,
        threshold=ctx.security.alarms.threshold,
        window_seconds=ctx.security.alarms.window,
        retention_days=RETENTION_DAYS,
    )
