"""``/api/v1/notifications``: where notifications go (apprise targets, write-only URLs kept in the keyring), which
events, and a test. Also issue 11's Settings item."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException
from fastapi.concurrency import run_in_threadpool

from server.deps import ServerCtx
from server.notifications import CHOOSABLE, KIND_WORDS, service_name
from server.schemas.errors import BAD_BODY, INVALID, UNAUTHORIZED, refusals
from server.schemas.notifications import (
    EventChoice,
    FailedTarget,
    NotificationsPublic,
    NotificationsUpdate,
    NotificationTestPublic,
    TargetPublic,
)

router = APIRouter(prefix="/api/v1/notifications", tags=["notifications"], responses=UNAUTHORIZED)


def _public(ctx: ServerCtx) -> NotificationsPublic:
    service = ctx.notifications
    stored = service.store.load()
    targets = []
    for n, url in enumerate(stored.urls, start=1):
        name = service_name(url)
        targets.append(TargetPublic(position=n, service=name or "not a URL apprise knows", known=name is not None))
    events = [EventChoice(kind=k, words=KIND_WORDS[k], chosen=k in service.events) for k in CHOOSABLE]
    return NotificationsPublic(targets=targets, source=stored.source, problem=stored.problem, events=events)


@router.get("")
async def read_notifications(ctx: ServerCtx) -> NotificationsPublic:
    """The targets (by service name; URLs are never returned), where they are kept, and the events sent."""
    return await run_in_threadpool(_public, ctx)


@router.patch(
    "",
    responses={**INVALID, **BAD_BODY, **refusals({409: "There is no keyring to save notification URLs in."})},
)
async def update_notifications(body: NotificationsUpdate, ctx: ServerCtx) -> NotificationsPublic:
    """Choose the events and/or replace the target URLs (write-only; saved in the keyring)."""

    def work() -> NotificationsPublic:
        if body.urls is not None:
            try:
                ctx.notifications.store.save(list(body.urls))
            except RuntimeError as exc:  # KeyringUnavailable: a sentence saying what to do instead
                raise HTTPException(409, str(exc)) from exc
        if body.events is not None:
            events = list(body.events)
            ctx.update_settings(notify_events=events)
            ctx.notifications.set_events(events)
        return _public(ctx)

    return await run_in_threadpool(work)


@router.post("/test")
async def send_test_notification(ctx: ServerCtx) -> NotificationTestPublic:
    """Send a test notification to every target now and say which took it (waits for the services, up to some
    seconds each)."""
    report = await run_in_threadpool(ctx.notifications.send_test)
    return NotificationTestPublic(
        sent=report.sent,
        failed=[FailedTarget(target=t, reason=r) for t, r in report.failed],
        message=report.sentence,
    )
