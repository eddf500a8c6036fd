"""Notifications where traders read them: the events (:mod:`.notices`), apprise targets (:mod:`.targets`) and the
sender thread (:mod:`.service`)."""

from server.notifications.notices import (
    CHOOSABLE,
    DEFAULT_EVENTS,
    KIND_WORDS,
    Notice,
    NoticeKind,
    describe_signal,
    signal_notice,
)
from server.notifications.service import MemoryUrlStore, NotificationService, StoredUrls, UrlStore
from server.notifications.targets import MAX_TARGETS, MAX_URL_CHARS, SendReport, service_name

__all__ = [
    "CHOOSABLE",
    "DEFAULT_EVENTS",
    "KIND_WORDS",
    "MAX_TARGETS",
    "MAX_URL_CHARS",
    "MemoryUrlStore",
    "Notice",
    "NoticeKind",
    "NotificationService",
    "SendReport",
    "StoredUrls",
    "UrlStore",
    "describe_signal",
    "service_name",
    "signal_notice",
]
