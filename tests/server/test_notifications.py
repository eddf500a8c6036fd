"""Notifications to the trader's targets through apprise, delivered to a local HTTP server (never the internet):
chosen events only, bursts of signals summed up, alarms and tunnel changes always, URLs never shown."""

from __future__ import annotations

from collections.abc import Iterator

import keyring
import pytest

from server.models import Signal, SignalStatus
from server.notifications import MemoryUrlStore, Notice, NoticeKind, NotificationService, service_name
from server.security_events import Alarm, SecurityKind
from tests.fakes.inbox import Inbox
from tests.fakes.keyring import MemoryKeyring


@pytest.fixture
def inbox() -> Iterator[Inbox]:
    box = Inbox()
    yield box
    box.close()


class Clock:
    now = 100.0

    def __call__(self) -> float:
        return self.now


def signal(n: int, status: SignalStatus = SignalStatus.EXECUTED) -> Signal:
    return Signal(id=n, strategy_id=1, status=status, symbol="EURUSD", action="buy", volume=0.1, fill_price=1.08,
                  error_message=None if status == SignalStatus.EXECUTED else "No money.")


def started(inbox: Inbox, **kw: object) -> NotificationService:
    service = NotificationService(MemoryUrlStore([inbox.url]), **kw)  # type: ignore[arg-type]
    service.start()
    return service


def test_a_test_notification_reaches_the_target_and_says_where(inbox: Inbox) -> None:
    service = NotificationService(MemoryUrlStore([inbox.url, "json://127.0.0.1:1/"]))
    report = service.send_test()
    assert report.sent == ["1: JSON"] and report.failed[0][0] == "2: JSON"
    assert inbox.wait(lambda got: len(got) == 1)[0]["title"] == "tvbridge test notification"
    assert "127.0.0.1" not in report.sentence  # targets are named by position and service, never by URL


def test_only_chosen_events_go_out(inbox: Inbox) -> None:
    service = started(inbox, events=["failed", "security"], strategy_name=lambda _id: "London")
    try:
        service.on_signal(signal(1))  # executed: not chosen
        service.on_signal(signal(2, SignalStatus.FAILED))
        service.on_signal(signal(3, SignalStatus.DISCARDED))  # never notifies
        service.on_alarm(Alarm(SecurityKind.UNKNOWN_URL, 12, 300, 0.0, "12 alerts to an unknown URL in 5 minutes"))
        service.on_tunnel("Tunnel lost: alerts cannot arrive", "ngrok stopped")  # not chosen
        assert service.wait_idle()
    finally:
        service.stop()
    got = inbox.wait(lambda got: len(got) == 2)
    assert [m["title"] for m in got] == ["Failed: signal #2", "tvbridge: refused senders"]
    assert got[0]["message"] == "buy 0.1 EURUSD (London): No money."


def test_a_burst_of_signals_is_summed_up_when_the_window_ends(inbox: Inbox) -> None:
    clock = Clock()
    service = started(inbox, burst=2, window=60.0, clock=clock)
    try:
        for n in range(6):
            service.on_signal(signal(n))
        service._flush()  # the window's timer, called now instead of in 60 s
        assert service.wait_idle()
    finally:
        service.stop()
    got = inbox.wait(lambda got: len(got) == 3)
    assert got[-1]["message"] == "4 more signals: 4 executed. See the signal log for details."


def test_no_targets_no_sending() -> None:
    report = NotificationService(MemoryUrlStore()).deliver(Notice(NoticeKind.TEST, "t", "m"))
    assert report.sent == [] and "No notification targets" in report.sentence


def test_service_names_come_from_apprise() -> None:
    assert service_name("json://127.0.0.1:1/") == "JSON"
    assert service_name("discord://1234/abcd") == "Discord"
    assert service_name("not-a-service://x") is None


def test_the_keyring_store_keeps_urls_out_of_files_and_reprs(monkeypatch: pytest.MonkeyPatch) -> None:
    from tray.secrets import NOTIFY_ENV, KeyringUrlStore

    previous = keyring.get_keyring()
    backend = MemoryKeyring()
    keyring.set_keyring(backend)
    try:
        store = KeyringUrlStore()
        assert store.load().urls == ()
        store.save(["tgram://123:abc/456", "ntfy://topic"])
        loaded = store.load()
        assert (loaded.urls, loaded.source) == (("tgram://123:abc/456", "ntfy://topic"), "keyring")
        assert "abc" not in repr(loaded)
        store.save([])
        monkeypatch.setenv(NOTIFY_ENV, "ntfy://from-env")
        assert (store.load().urls, store.load().source) == (("ntfy://from-env",), "environment")
    finally:
        keyring.set_keyring(previous)


def test_the_api_offers_exactly_the_choosable_events() -> None:
    from typing import get_args

    from server.notifications import CHOOSABLE
    from server.schemas.notifications import Choosable

    assert {NoticeKind(k) for k in get_args(Choosable)} == set(CHOOSABLE) and NoticeKind.TEST not in CHOOSABLE
