"""Sender authentication in intake, on the real writer: replays told apart within one group, refused senders
counted with fingerprints only, the rate limit counting only authenticated alerts, and the bodies of untrusted
refusals kept short."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

from server.intake import UNTRUSTED_BODY_BYTES, IntakeResult, Sender
from server.security_events import Fingerprinter, SecurityMonitor
from server.signatures import HEADER, sign
from tests.server.conftest import Store, hold_writer, run

BUY = b'{"symbol":"EURUSD","action":"buy","lots":0.1}'
KEY = "signing-secret-for-tests-0001"


def with_monitor(store: Store) -> SecurityMonitor:
    monitor = SecurityMonitor(Fingerprinter("k"))
    store.intake.monitor = monitor
    return monitor


async def together(store: Store, secret: str, posts: list[tuple[bytes, Sender]]) -> list[IntakeResult]:
    gate, held = await hold_writer(store.writer)
    now = datetime.now(UTC)
    futures = [asyncio.ensure_future(store.intake.receive(secret, b, "text/plain", now, s)) for b, s in posts]
    await asyncio.sleep(0)
    gate.open()
    await held
    return list(await asyncio.gather(*futures))


def test_two_copies_of_one_signed_request_in_one_group_trade_once(store: Store) -> None:
    s = store.strategy(signing_secret=KEY, dedup_window_seconds=0)
    signed = Sender(source="203.0.113.1", signature=sign(KEY, BUY))
    results = run(together(store, s.webhook_secret, [(BUY, signed), (BUY, signed)]))
    assert [r.status for r in results] == ["pending", "rejected"]
    assert store.rows("SELECT decided_by, error_message LIKE '%replay%' FROM tv_signals WHERE id = ?",
                      results[1].signal_id) == [("signature", 1)]


def test_refused_senders_are_counted_with_a_fingerprint_never_the_secret(store: Store) -> None:
    monitor = with_monitor(store)
    s = store.strategy(alert_secret="right-secret")
    wrong = b'{"symbol":"EURUSD","action":"buy","lots":0.1,"secret":"wrong-secret"}'
    result = run(store.intake.receive(s.webhook_secret, wrong, None, datetime.now(UTC), Sender("198.51.100.2")))
    assert result.status == "rejected"
    run(store.intake.receive("no-such-secret", BUY, None, datetime.now(UTC), Sender("198.51.100.3")))
    rows = {r.kind: r for r in monitor.drain()}
    assert rows["wrong_alert_secret"].fingerprint == Fingerprinter("k")("wrong-secret")
    assert rows["wrong_alert_secret"].strategy_id == s.id and rows["wrong_alert_secret"].source == "198.51.100.2"
    assert rows["unknown_url"].fingerprint == Fingerprinter("k")("no-such-secret")
    assert "wrong-secret" not in repr(rows) and "no-such-secret" not in repr(rows)


def test_only_authenticated_alerts_use_up_the_rate_limit(store: Store) -> None:
    s = store.strategy(alert_secret="right-secret", rate_limit_per_second=2, rate_limit_per_minute=100)
    wrong = b'{"symbol":"EURUSD","action":"buy","lots":0.1,"secret":"wrong"}'
    right = b'{"symbol":"EURUSD","action":"buy","lots":0.1,"secret":"right-secret","id":"%d"}'
    posts = [(wrong, Sender())] * 5 + [(right % n, Sender()) for n in range(3)]
    results = run(together(store, s.webhook_secret, posts))
    assert [r.status for r in results] == ["rejected"] * 5 + ["pending", "pending", "discarded"]
    assert store.rows("SELECT decided_by FROM tv_signals WHERE id = ?", results[-1].signal_id) == [("rate_limit",)]


def test_bodies_of_forged_requests_are_stored_short(store: Store) -> None:
    s = store.strategy(signing_secret=KEY)
    big = b'{"symbol":"EURUSD","action":"buy","lots":0.1,"pad":"' + b"x" * 20_000 + b'"}'
    result = run(store.intake.receive(s.webhook_secret, big, None, datetime.now(UTC), Sender(signature="t=1")))
    assert result.status == "rejected"
    [(size,)] = store.rows("SELECT length(raw_payload) FROM tv_signals WHERE id = ?", result.signal_id)
    assert size == UNTRUSTED_BODY_BYTES


def test_a_universal_alert_routed_by_the_webhook_secret_needs_no_alert_secret(store: Store) -> None:
    s = store.strategy(alert_secret="alert-secret")
    body = f'{{"secret":"{s.webhook_secret}","symbol":"EURUSD","action":"buy","lots":0.1}}'.encode()
    assert run(store.intake.receive_universal(body, None, datetime.now(UTC))).status == "pending"
    by_alert_secret = b'{"secret":"alert-secret","symbol":"EURUSD","action":"buy","lots":0.2}'
    assert run(store.intake.receive_universal(by_alert_secret, None, datetime.now(UTC))).status == "pending"
    assert run(store.intake.receive_universal(BUY, None, datetime.now(UTC))) == IntakeResult(None, "ignored")


def test_the_signature_header_name() -> None:
    assert HEADER == "X-TVBridge-Signature"
