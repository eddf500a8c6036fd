"""Refused senders: counted in memory, stored in rounds as rolled-up rows through the real writer, bounded, and
raising one alarm per kind when a threshold is crossed. Clocks are passed in; nothing sleeps."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from server.security_events import AlarmWatch, Fingerprinter, SecurityKind, SecurityMonitor
from server.security_events.monitor import OTHER_SOURCES
from server.security_events.store import Row, add_rows, prune
from tests.server.conftest import Store

URL = "/api/v1/webhooks/tv/{secret}"


class Clock:
    def __init__(self, now: float = 1_800_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def monitor(clock: Clock, **kw: object) -> SecurityMonitor:
    return SecurityMonitor(Fingerprinter("install-key"), clock=clock, **kw)  # type: ignore[arg-type]


def test_fingerprints_are_short_keyed_and_never_the_secret() -> None:
    fp = Fingerprinter("install-key")
    secret = "U049Yk88wQQ10frVnheL4EPr-L0DkQ0S8XpFmnBHxX4"
    assert fp(secret) == fp(secret) and len(fp(secret)) == 12 and fp(secret) not in secret
    assert fp(secret) != Fingerprinter("another-install")(secret)
    assert fp(secret) != fp(secret + "x")
    assert fp(None) == fp("") == ""
    assert "install-key" not in repr(fp)


def test_requests_of_one_key_within_a_minute_are_one_row() -> None:
    clock = Clock()
    m = monitor(clock)
    for _ in range(500):
        m.record(SecurityKind.UNKNOWN_URL, "52.89.214.238", URL, secret="old-secret")
    clock.now += 1
    m.record(SecurityKind.UNKNOWN_URL, "52.89.214.238", URL, secret="another")
    m.record(SecurityKind.BAD_SIGNATURE, "52.89.214.238", URL, strategy_id=4, detail="forged")
    rows = sorted(m.drain(), key=lambda r: (r.kind, -r.count))
    assert [(r.kind, r.count, r.strategy_id, r.detail) for r in rows] == [
        ("bad_signature", 1, 4, "forged"), ("unknown_url", 500, 0, ""), ("unknown_url", 1, 0, ""),
    ]  # fmt: skip
    assert rows[1].fingerprint != rows[2].fingerprint and "old-secret" not in repr(rows)
    assert m.drain() == [] and m.stats.recorded == 502


def test_a_flood_from_many_sources_is_counted_whole_in_bounded_memory() -> None:
    m = monitor(Clock(), max_keys_per_minute=10)
    for n in range(1000):
        m.record(SecurityKind.UNKNOWN_SECRET, f"10.0.{n // 256}.{n % 256}", URL, secret=f"guess-{n}")
    rows = m.drain()
    assert sum(r.count for r in rows) == 1000
    assert len(rows) == 11
    [other] = [r for r in rows if r.source == OTHER_SOURCES]
    assert (other.count, other.fingerprint, other.detail) == (990, "", "")


def test_the_alarm_is_raised_once_when_the_threshold_is_crossed_and_rearms_after_quiet() -> None:
    clock = Clock()
    watch = AlarmWatch(threshold=10, window=300, cooldown=1800)
    for _ in range(9):
        watch.add(SecurityKind.UNKNOWN_URL, 1, clock.now)
    assert watch.due(clock.now) == []
    watch.add(SecurityKind.UNKNOWN_URL, 3, clock.now)
    [alarm] = watch.due(clock.now)
    assert alarm.count == 12 and alarm.message == (
        "12 alerts to an unknown URL in 5 minutes — did you rotate a secret and not update TradingView?"
    )
    watch.add(SecurityKind.UNKNOWN_URL, 50, clock.now + 60)
    assert watch.due(clock.now + 60) == []  # still flooding: no second notification
    assert watch.due(clock.now + 60 + 1800) == []  # quiet now, and the cooldown passed: re-armed
    watch.add(SecurityKind.UNKNOWN_URL, 10, clock.now + 1900)
    assert len(watch.due(clock.now + 1900)) == 1
    watch.add(SecurityKind.BAD_SIGNATURE, 10, clock.now + 1900)  # each kind on its own
    assert [a.kind for a in watch.due(clock.now + 1900)] == [SecurityKind.BAD_SIGNATURE]


def test_events_outside_the_window_do_not_count() -> None:
    watch = AlarmWatch(threshold=10, window=300)
    watch.add(SecurityKind.UNKNOWN_URL, 9, 1000.0)
    watch.add(SecurityKind.UNKNOWN_URL, 9, 1400.0)
    assert watch.count(SecurityKind.UNKNOWN_URL, 1400.0) == 9 and watch.due(1400.0) == []


def test_rounds_store_through_the_writer_add_up_and_call_the_alarm_listeners(store: Store) -> None:
    clock = Clock(datetime.now(UTC).timestamp())
    m = monitor(clock, alarms=AlarmWatch(threshold=3))
    heard: list[str] = []
    m.on_alarm.append(lambda alarm: heard.append(alarm.message))
    m.start(store.writer)
    try:
        for _ in range(2):
            m.record(SecurityKind.WRONG_ALERT_SECRET, "198.51.100.7", URL, secret="nope", strategy_id=1)
        m.flush()
        assert heard == []
        m.record(SecurityKind.WRONG_ALERT_SECRET, "198.51.100.7", URL, secret="nope", strategy_id=1)
        m.flush()
    finally:
        m.stop()
    assert store.rows("SELECT kind, source, count, fingerprint FROM security_events") == [
        ("wrong_alert_secret", "198.51.100.7", 3, Fingerprinter("install-key")("nope"))
    ]
    assert heard == ["3 alerts with a wrong secret= in 5 minutes — check the secret in those alert messages."]
    assert m.recent_alarms[0].count == 3


def test_the_table_is_pruned_by_age_and_by_size(store: Store) -> None:
    now = datetime.now(UTC).replace(second=0, microsecond=0)

    def row(minutes_ago: int, source: str) -> Row:
        at = now - timedelta(minutes=minutes_ago)
        return Row(at, "unknown_url", source, URL, "", 0, 1, at, at, "")

    store.writer.run(lambda tx: add_rows(tx, [row(60 * 24 * 31, "old"), *(row(m, f"s{m}") for m in range(6))]))
    gone = store.writer.run(lambda tx: prune(tx, now, max_rows=4))
    assert gone == 3  # the 31-day-old row, then the two oldest past the cap
    assert sorted(r[0] for r in store.rows("SELECT source FROM security_events")) == ["s0", "s1", "s2", "s3"]
