"""Sending notifications to the trader's targets (Telegram, Discord, e-mail, ntfy ... through apprise), off every
hot path.

:class:`NotificationService` receives final signals (the writer's report thread), security alarms (the monitor's
flush thread) and tunnel changes (the tunnel's thread), keeps those whose event is chosen (``notify_events``),
and hands them to a thread of its own that sends them: a slow or unreachable service delays notifications, never
an alert. Bursts of signals are throttled like the tray's (at most :data:`BURST` per :data:`WINDOW_SECONDS`, the
rest summed up in one notification when the window ends); security and tunnel notices are rare by construction
(one per threshold crossing, one per tunnel loss) and always go out. The queue is bounded: past
:data:`MAX_QUEUED` waiting notices the oldest are dropped and counted in the log.

The target URLs are read from the :class:`UrlStore` (the keyring, tray/secrets.py) at each send, so a change made
with ``tvbridge secret set notify-urls`` applies without a restart.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Protocol

from server.models import Signal
from server.notifications.burst import BurstGate, summary_text
from server.notifications.notices import DEFAULT_EVENTS, Notice, NoticeKind, signal_notice
from server.notifications.targets import SendReport, send
from server.security_events.alarm import Alarm

logger = logging.getLogger(__name__)

BURST = 5
WINDOW_SECONDS = 60.0
MAX_QUEUED = 200
_SIGNALS = frozenset({NoticeKind.EXECUTED, NoticeKind.FAILED, NoticeKind.REJECTED, NoticeKind.EXPIRED})


@dataclass(frozen=True)
class StoredUrls:
    """The target URLs and where they came from (``"keyring"``, ``"environment"``, ``None``: nowhere);
    ``problem``: why they cannot be saved here (no keyring), in a sentence."""

    urls: tuple[str, ...]
    source: str | None
    problem: str | None = None

    def __repr__(self) -> str:  # the URLs hold credentials: never in a repr
        return f"StoredUrls(<{len(self.urls)} urls>, source={self.source!r}, problem={self.problem!r})"


class UrlStore(Protocol):
    """Where the target URLs are kept (a secret store)."""

    def load(self) -> StoredUrls:
        """The URLs now. Never raises (``problem`` says what is wrong)."""
        ...

    def save(self, urls: list[str]) -> None:
        """Replace the URLs (``[]`` removes them). :raises RuntimeError: with a sentence (e.g. no keyring)."""
        ...


class MemoryUrlStore:
    """URLs in memory (tests and tools without a keyring)."""

    def __init__(self, urls: Iterable[str] = ()) -> None:
        self.urls = list(urls)

    def load(self) -> StoredUrls:
        return StoredUrls(tuple(self.urls), "memory" if self.urls else None)

    def save(self, urls: list[str]) -> None:
        self.urls = list(urls)


class NotificationService:
    """Filters, throttles and sends notices on its own thread (see the module docstring).

    :param store: the target URLs. :param events: the chosen events (``None``: :data:`DEFAULT_EVENTS`).
    :param strategy_name: a strategy's name by id, for signal messages (``None``: left out).
    """

    def __init__(
        self,
        store: UrlStore,
        events: Iterable[str] | None = None,
        *,
        strategy_name: Callable[[int], str | None] | None = None,
        burst: int = BURST,
        window: float = WINDOW_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.store = store
        self.events = frozenset(NoticeKind(e) for e in events) if events is not None else DEFAULT_EVENTS
        self._strategy_name = strategy_name
        self._gate = BurstGate(burst, window, self._enqueue_summary, clock=clock)
        self._queue: queue.Queue[Notice | None] = queue.Queue(MAX_QUEUED)
        self._thread: threading.Thread | None = None
        #: Notices handed to the targets so far (tests wait on it).
        self.sent = 0
        self._done = threading.Condition()

    # -- life cycle ------------------------------------------------------------------------------------

    def start(self) -> None:
        """Start the sending thread."""
        self._thread = threading.Thread(target=self._run, name="tvbridge-notify", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        """Stop after the notice being sent (the queue is dropped)."""
        self._gate.close()
        try:
            self._queue.put_nowait(None)
        except queue.Full:
            pass
        if self._thread is not None:
            self._thread.join(timeout)

    def set_events(self, events: Iterable[str]) -> None:
        """Choose the events that go out."""
        self.events = frozenset(NoticeKind(e) for e in events)

    # -- listeners -------------------------------------------------------------------------------------

    def on_signal(self, signal: Signal) -> None:
        """A final signal (``Runtime.on_signal`` listener)."""
        name = None
        if self._strategy_name is not None:
            try:
                name = self._strategy_name(signal.strategy_id)
            except Exception:
                name = None
        notice = signal_notice(signal, name)
        if notice is not None:
            self.publish(notice)

    def on_alarm(self, alarm: Alarm) -> None:
        """A security alarm (``SecurityMonitor.on_alarm`` listener)."""
        self.publish(Notice(NoticeKind.SECURITY, "tvbridge: refused senders", alarm.message))

    def on_tunnel(self, title: str, message: str) -> None:
        """The tunnel went down or came back (tray/notify.py's TunnelWatch says when)."""
        self.publish(Notice(NoticeKind.TUNNEL, title, message))

    def publish(self, notice: Notice) -> None:
        """Queue ``notice`` if its event is chosen (throttled for signals). Never blocks, never raises."""
        if notice.kind not in self.events and notice.kind is not NoticeKind.TEST:
            return
        if notice.kind in _SIGNALS and not self._gate.admit(notice.kind.value):
            return
        self._enqueue(notice)

    def _enqueue(self, notice: Notice) -> None:
        while True:
            try:
                self._queue.put_nowait(notice)
                return
            except queue.Full:
                try:
                    dropped = self._queue.get_nowait()
                    logger.warning("notification queue full: dropped %s", dropped.kind if dropped else "stop")
                except queue.Empty:
                    pass

    def _flush(self) -> None:
        """Send the summary of held-back signals now (the window's timer calls it)."""
        self._gate.flush()

    def _enqueue_summary(self, held: Counter[str]) -> None:
        self._enqueue(Notice(NoticeKind(next(iter(held))), "tvbridge", summary_text(held)))

    # -- sending ---------------------------------------------------------------------------------------

    def _run(self) -> None:
        while (notice := self._queue.get()) is not None:
            try:
                self.deliver(notice)
            except Exception:  # the sender outlives any one notice
                logger.exception("could not send a notification")
            finally:
                with self._done:
                    self.sent += 1
                    self._done.notify_all()
                self._queue.task_done()

    def deliver(self, notice: Notice) -> SendReport:
        """Send ``notice`` to every target now (blocking; the test button uses it directly)."""
        stored = self.store.load()
        if not stored.urls:
            return SendReport()
        report = send(list(stored.urls), notice.title, notice.message)
        for name, why in report.failed:
            logger.warning("notification to %s not delivered: %s", name, why)
        return report

    def send_test(self) -> SendReport:
        """Send a test notification to every target now and say what happened (blocking)."""
        return self.deliver(
            Notice(
                NoticeKind.TEST,
                "tvbridge test notification",
                "This is a test from tvbridge: notifications reach you here.",
            )
        )

    def wait_idle(self, timeout: float = 10.0) -> bool:
        """Wait until every queued notice was handed to the targets (tests)."""
        with self._queue.all_tasks_done:
            return self._queue.all_tasks_done.wait_for(lambda: self._queue.unfinished_tasks == 0, timeout)

    def wait_sent(self, count: int, timeout: float = 10.0) -> bool:
        """Wait until ``count`` notices were handed to the targets (tests)."""
        with self._done:
            return self._done.wait_for(lambda: self.sent >= count, timeout)
