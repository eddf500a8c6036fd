"""Notification settings of ``/api/v1/notifications``: :class:`NotificationsPublic`, :class:`NotificationsUpdate`,
:class:`NotificationTestPublic`."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, Strict

from server.notifications import CHOOSABLE, MAX_TARGETS, MAX_URL_CHARS, NoticeKind
from server.schemas import bounds

_EVENTS = (
    "The events sent to the targets: `executed`, `failed`, `rejected`, `expired` (signal outcomes), `security` "
    "(refused senders crossed the alarm threshold), `tunnel` (the tunnel went down or came back)."
)
_URLS = (
    f"Write-only. The targets as apprise URLs (at most {MAX_TARGETS}, up to {MAX_URL_CHARS} characters each), e.g. "
    "`tgram://bottoken/chatid`, `discord://webhook_id/webhook_token`, `mailto://user:password@example.com`, "
    "`ntfy://topic` (https://github.com/caronc/apprise/wiki). They replace the saved ones; `[]` removes them. "
    "Saved in the system keyring; never returned. A URL apprise cannot read is saved too and listed with "
    "`known: false` (it is skipped when sending), so the answer says which one to fix."
)

#: The events that can be chosen (a test always goes out, so it is not one of them).
Choosable = Literal["executed", "failed", "rejected", "expired", "security", "tunnel"]

NotifyUrl = Annotated[
    str, Strict(), Field(min_length=4, max_length=MAX_URL_CHARS, pattern=bounds.NOTIFY_URL_PATTERN)
]


class TargetPublic(BaseModel):
    """A notification target, shown without its URL."""

    position: int = Field(description="Its place in the list, from 1.")
    service: str = Field(description="The service apprise reads from its URL (Telegram, Discord, Email, ntfy ...).")
    known: bool = Field(description="Whether apprise can read the URL; an unknown one is skipped when sending.")


class EventChoice(BaseModel):
    """An event that can be sent, and whether it is."""

    kind: NoticeKind = Field(description=_EVENTS)
    words: str = Field(description="The event in words.")
    chosen: bool = Field(description="Whether it is sent.")


class NotificationsPublic(BaseModel):
    """Where notifications go (services only, never URLs) and which events."""

    targets: list[TargetPublic] = Field(description="The targets, by service name.")
    source: str | None = Field(
        description="Where the URLs are read from: `keyring`, `environment` (TVBRIDGE_NOTIFY_URLS, read only), "
        "or `null` (none set)."
    )
    problem: str | None = Field(description="Why URLs cannot be saved here (no keyring), or `null`.")
    events: list[EventChoice] = Field(description="Every event, and whether it is sent.")


class NotificationsUpdate(BaseModel):
    """Settings to change; fields left out stay as they are."""

    model_config = ConfigDict(extra="forbid")

    events: Annotated[list[Choosable], Field(max_length=len(CHOOSABLE))] | None = Field(
        default=None, description=_EVENTS
    )
    urls: Annotated[list[NotifyUrl], Field(max_length=MAX_TARGETS)] | None = Field(default=None, description=_URLS)


class FailedTarget(BaseModel):
    """A target a test did not reach."""

    target: str = Field(description="Its position and service, e.g. `2: Discord`.")
    reason: str = Field(description="Why, in words (details in tvbridge.log).")


class NotificationTestPublic(BaseModel):
    """What a test notification did."""

    sent: list[str] = Field(description="The targets that took it (position and service).")
    failed: list[FailedTarget] = Field(description="The targets that did not.")
    message: str = Field(description="The outcome in one sentence.")
