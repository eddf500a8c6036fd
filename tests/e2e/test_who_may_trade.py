"""Who may trade (issue 12), over real HTTP against a running tvbridge with its agent on the simulator: universal
routing by secret (never by License ID alone), the routing pattern's and TV-Forward's bodies, the empty License ID,
signed alerts, rate limits, and refused senders recorded, listed and notified to a local apprise target."""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from server.signatures import HEADER, sign
from tests.e2e.conftest import Live
from tests.e2e.senders import post_concurrently
from tests.fakes.inbox import Inbox

UNIVERSAL = "/api/v1/webhooks/tv"


@pytest.fixture
def inbox() -> Iterator[Inbox]:
    box = Inbox()
    yield box
    box.close()


def events(live: Live, **params: Any) -> list[dict[str, Any]]:
    resp = live.admin.get("/api/v1/security/events", params=params)
    assert resp.status_code == 200, resp.text
    return list(resp.json())


def wait_events(live: Live, kind: str, count: int, timeout: float = 15.0, **params: Any) -> list[dict[str, Any]]:
    """The rows of ``kind`` once they add up to ``count`` requests (the monitor stores its counts every second)."""
    deadline = time.monotonic() + timeout
    while True:
        rows = events(live, kind=kind, **params)
        if sum(r["count"] for r in rows) >= count:
            return rows
        assert time.monotonic() < deadline, f"{kind}: {rows}"
        time.sleep(0.05)


def signal_count(live: Live) -> int:
    return live.count_rows("tv_signals")


# -- routing ---------------------------------------------------------------------------------------------------


def test_a_secretless_universal_alert_is_refused_stored_nowhere_and_recorded(live: Live) -> None:
    gold = live.create_strategy("Gold", license_id="60123456789", default_symbol="XAUUSD")
    before = signal_count(live)
    for body in (
        b'{"strategy": "Gold", "license_id": "60123456789", "signal": "BUY"}',  # name + License ID: not secrets
        b"60123456789,buy,XAUUSD,vol_lots=0.1,strategy=Gold",
    ):
        resp = live.public.post(UNIVERSAL, content=body, headers={"X-Forwarded-For": "198.51.100.4"})
        assert resp.status_code == 200 and resp.json() == {"signal_id": None, "status": "ignored"}
    assert signal_count(live) == before  # nothing stored, nothing traded
    rows = wait_events(live, "missing_secret", 2)
    assert {r["source"] for r in rows} == {"198.51.100.4"}
    assert {r["endpoint"] for r in rows} == {UNIVERSAL}
    assert {r["strategy_id"] for r in rows} == {gold["strategy_id"]}  # whose alerts lack the secret
    assert all(r["fingerprint"] is None for r in rows)


def test_the_routing_patterns_example_routes_by_name_with_the_secret(live: Live) -> None:
    # two strategies share one alert secret: the body's strategy name picks one (DAI routing pattern, seed 002)
    gold = live.create_strategy("DynamicGoldBreakout", alert_secret="dai-secret-1", default_symbol="XAUUSD")
    live.create_strategy("DynamicForex", alert_secret="dai-secret-1", default_symbol="EURUSD")
    example = {"strategy": "DynamicGoldBreakout", "signal": "BUY", "confidence": 0.82}
    resp = live.public.post(UNIVERSAL, content=json.dumps({**example, "secret": "dai-secret-1"}))
    assert resp.status_code == 200, resp.text
    sig = live.settled(gold, resp.json()["signal_id"])
    assert sig["strategy_id"] == gold["strategy_id"]
    assert sig["status"] == "executed", sig["error_message"]
    assert [o["symbol"] for o in sig["orders"]] == ["XAUUSD"]
    assert sig["intent"]["extras"]["confidence"] == "0.82"
    # the same secret without a name is ambiguous; with a name it does not belong to, it routes nowhere
    for body in ({**example, "strategy": "Nope", "secret": "dai-secret-1"},
                 {**example, "strategy": None, "secret": "dai-secret-1"},
                 {**example, "secret": "wrong"}):
        resp = live.public.post(UNIVERSAL, content=json.dumps({k: v for k, v in body.items() if v is not None}))
        assert resp.json() == {"signal_id": None, "status": "ignored"}
    rows = wait_events(live, "unknown_secret", 3)
    details = " | ".join(r["detail"] for r in rows)
    assert "2 strategies share this secret" in details and "no strategy named 'Nope'" in details
    assert len({r["fingerprint"] for r in rows}) == 2  # the shared secret twice, the wrong one once


def test_the_tv_forward_body_trades_through_api_sec_and_the_symbol_map(live: Live) -> None:
    strategy = live.create_strategy("tv-forward", alert_secret="asdfasdfasdfasdf", symbol_map={"ETHUSDT.P": "ETHUSD"})
    body = {  # TV-Forward's signal body, verbatim (seed 001)
        "ticker": "ETHUSDT.P", "ex": "BITGET", "position_size": "4.8193", "action": "buy",
        "market_position": "long", "market_position_size": "4.8193", "prev_market_position": "flat",
        "prev_market_position_size": "0", "exchange": "bitget", "lever": 22, "td_mode": "isolated",
        "symbol": "ETHUSDT_UMCBL", "api_sec": "asdfasdfasdfasdf",
    }  # fmt: skip
    resp = live.public.post(UNIVERSAL, content=json.dumps(body))
    assert resp.status_code == 200, resp.text
    sig = live.settled(strategy, resp.json()["signal_id"])
    assert sig["strategy_id"] == strategy["strategy_id"]
    assert sig["status"] == "executed", sig["error_message"]
    assert [(o["symbol"], o["type"]) for o in sig["orders"]] == [("ETHUSD", "buy")]
    assert sig["symbol"] == "ETHUSDT.P"  # TradingView's name, mapped by the strategy
    extras = sig["intent"]["extras"]
    assert (extras["symbol"], extras["exchange"], extras["lever"], extras["td_mode"]) == (
        "ETHUSDT_UMCBL", "bitget", "22", "isolated"
    )
    notes = " ".join(sig["notes"])
    assert "lever=22" in notes and "td_mode=isolated" in notes and "does not apply to MetaTrader 5" in notes
    # without a mapping of either name, tvbridge does not guess which one is the broker's
    unmapped = live.create_strategy("tv-forward unmapped", alert_secret="zxcvzxcvzxcv")
    resp = live.public.post(UNIVERSAL, content=json.dumps({**body, "api_sec": "zxcvzxcvzxcv"}))
    sig = live.settled(unmapped, resp.json()["signal_id"])
    assert sig["status"] == "rejected" and "ETHUSDT.P=<broker symbol>" in sig["error_message"]


def test_a_pineconnector_line_with_an_empty_license_id_is_refused(live: Live) -> None:
    strategy = live.create_strategy("licensed", license_id="60123456789")
    resp = live.post_alert(strategy, ",buy,EURUSD,vol_lots=0.1", headers={"X-Forwarded-For": "198.51.100.9"})
    sig = live.settled(strategy, resp.json()["signal_id"])
    assert (sig["status"], sig["decided_by"], sig["orders"]) == ("rejected", "license_id", [])
    assert "empty License ID" in sig["error_message"]
    wrong = live.settled(strategy, live.post_alert(strategy, "60999,buy,EURUSD,vol_lots=0.1").json()["signal_id"])
    assert (wrong["status"], wrong["decided_by"]) == ("rejected", "license_id")
    rows = wait_events(live, "wrong_license_id", 2, strategy_id=strategy["strategy_id"])
    assert "198.51.100.9" in {r["source"] for r in rows}


# -- signed alerts ---------------------------------------------------------------------------------------------


def test_a_signed_alert_trades_and_unsigned_forged_old_or_replayed_ones_do_not(
    live: Live, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)  # every log record of the server, the writer and the intake in this process
    key = "a-signing-secret-of-32-characters"
    strategy = live.create_strategy("signed", signing_secret=key)
    shown = live.admin.get(f"/api/v1/strategies/{strategy['strategy_id']}").text
    assert key not in shown and json.loads(shown)["signing_secret_set"] is True  # write-only
    body = b'{"symbol":"EURUSD","action":"buy","lots":0.01}'
    path = httpx.URL(strategy["webhook_url"]).path

    def post(content: bytes, signature: str | None) -> dict[str, Any]:
        headers = {HEADER: signature} if signature is not None else {}
        resp = live.public.post(path, content=content, headers=headers)
        assert resp.status_code == 200, resp.text
        return live.settled(strategy, resp.json()["signal_id"])

    header = sign(key, body)
    good = post(body, header)
    assert good["status"] == "executed", good["error_message"]
    outcomes = {
        "unsigned": post(body, None),
        "forged": post(body, sign("another-secret-of-some-length", body)),
        "tampered": post(body.replace(b"0.01", b"1.00"), header),
        "old": post(body, sign(key, body, timestamp=int(time.time()) - 3600)),
        "replayed": post(body, header),
    }
    for name, sig in outcomes.items():
        assert (sig["status"], sig["decided_by"], sig["orders"]) == ("rejected", "signature", []), name
    assert "no X-TVBridge-Signature" in outcomes["unsigned"]["error_message"]
    assert "replay" in outcomes["replayed"]["error_message"]
    rows = wait_events(live, "bad_signature", 5, strategy_id=strategy["strategy_id"])
    assert {r["detail"] for r in rows} == {"missing", "forged", "expired", "replayed"}
    # the dashboard's test alert goes through the same gate, signed by tvbridge itself
    tested = live.admin.post(f"/api/v1/strategies/{strategy['strategy_id']}/test-alert",
                             json={"message": '{"symbol":"EURUSD","action":"sell","lots":0.01}'}).json()
    assert live.settled(strategy, tested["signal_id"])["status"] == "executed"
    # the server never logs the key (nor returns it: above)
    assert caplog.records and not any(key in record.getMessage() for record in caplog.records)


# -- rate limits -----------------------------------------------------------------------------------------------


def test_the_51st_alert_in_a_second_is_discarded_while_another_strategy_still_trades(live: Live) -> None:
    # a strategy whose agent is not running: its alerts stay pending, so the test measures intake, not trading
    noisy = live.create_strategy("looping sender", agent_id="elsewhere", rate_limit_per_second=50,
                                 rate_limit_per_minute=50)
    calm = live.create_strategy("calm")
    url = httpx.URL(noisy["webhook_url"])
    bodies = [f'{{"symbol":"EURUSD","action":"buy","lots":0.01,"id":"loop-{n}"}}'.encode() for n in range(51)]
    answers = post_concurrently(url.host, url.port or 80, url.path, bodies, 10)
    assert [a.status for a in answers] == [200] * 51  # over the limit is still 200: TradingView must not resend
    statuses = sorted(a.body["status"] for a in answers)
    assert statuses == ["discarded"] + ["pending"] * 50
    [over] = [a.body["signal_id"] for a in answers if a.body["status"] == "discarded"]
    sig = live.admin.get(f"/api/v1/signals/{over}").json()
    assert sig["decided_by"] == "rate_limit"
    assert "rate limit" in sig["error_message"] and "more than 50 alerts within one" in sig["error_message"]
    traded = live.trade(calm, '{"symbol":"GBPUSD","action":"buy","lots":0.01}')
    assert traded["status"] == "executed", traded["error_message"]
    rows = wait_events(live, "rate_limited", 1, strategy_id=noisy["strategy_id"])
    assert rows[0]["strategy_name"] == "looping sender"


# -- refused senders: listed, notified, bounded ----------------------------------------------------------------


def test_posts_to_a_rotated_url_are_listed_and_raise_one_notification(live: Live, inbox: Inbox) -> None:
    resp = live.admin.patch("/api/v1/notifications", json={"urls": [inbox.url], "events": ["security"]})
    assert resp.status_code == 200, resp.text
    settings = resp.json()
    assert settings["targets"] == [{"position": 1, "service": "JSON", "known": True}]
    assert inbox.url not in resp.text  # write-only
    test = live.admin.post("/api/v1/notifications/test").json()
    assert test["sent"] == ["1: JSON"] and test["failed"] == []
    inbox.wait(lambda got: any(m["title"] == "tvbridge test notification" for m in got))

    strategy = live.create_strategy("rotated")
    old_path = httpx.URL(strategy["webhook_url"]).path
    live.admin.post(f"/api/v1/strategies/{strategy['strategy_id']}/rotate-secret").raise_for_status()
    for _ in range(12):  # TradingView still posting to the old URL
        resp = live.public.post(old_path, content=b'{"symbol":"EURUSD","action":"buy"}',
                                headers={"X-Forwarded-For": "52.89.214.238"})
        assert resp.json() == {"signal_id": None, "status": "ignored"}
    rows = wait_events(live, "unknown_url", 12)
    assert {(r["source"], r["endpoint"]) for r in rows} == {("52.89.214.238", "/api/v1/webhooks/tv/{secret}")}
    assert len({r["fingerprint"] for r in rows}) == 1  # one old secret, tried 12 times
    secret = old_path.rsplit("/", 1)[-1]
    assert secret not in live.admin.get("/api/v1/security/events").text
    got = inbox.wait(lambda got: any("unknown URL" in m["message"] for m in got))
    [alarm] = [m for m in got if "unknown URL" in m["message"]]
    assert "alerts to an unknown URL in 5 minutes — did you rotate a secret and not update TradingView?" in (
        alarm["message"]
    )
    summary = live.admin.get("/api/v1/security/summary").json()
    assert {k["kind"]: k["count"] for k in summary["by_kind"]}["unknown_url"] >= 12
    assert summary["alarms"][0]["kind"] == "unknown_url"
    # more of the same: counted, but no second notification while the flood goes on
    for _ in range(5):
        live.public.post(old_path, content=b"x", headers={"X-Forwarded-For": "52.89.214.238"})
    wait_events(live, "unknown_url", 17)
    monitor, notifications = live.runtime.monitor, live.runtime.notifications
    assert monitor is not None and notifications is not None
    assert monitor.wait_round(monitor.rounds)  # a whole round after the 17th: its alarms, if any, are queued
    assert notifications.wait_idle()  # ... and delivered
    assert sum("unknown URL" in m["message"] for m in inbox.wait(lambda got: True)) == 1


def test_a_flood_of_wrong_urls_is_answered_cheaply_and_legitimate_alerts_still_trade_in_time(live: Live) -> None:
    strategy = live.create_strategy("legit")
    host, port = "127.0.0.1", httpx.URL(strategy["webhook_url"]).port or 80
    flood = [b'{"symbol":"EURUSD","action":"buy"}'] * 3000
    answers: list[Any] = []
    flooding = threading.Thread(
        target=lambda: answers.extend(
            post_concurrently(host, port, "/api/v1/webhooks/tv/not-a-secret", flood, 20)
        )
    )
    flooding.start()
    legit: list[dict[str, Any]] = []
    for n in range(10):
        started = time.perf_counter()
        resp = live.post_alert(strategy, f'{{"symbol":"EURUSD","action":"buy","lots":0.01,"id":"legit-{n}"}}')
        assert resp.status_code == 200 and time.perf_counter() - started < 3.0  # TradingView's limit
        legit.append(resp.json())
    flooding.join(120)
    assert {a.status for a in answers} <= {200, 429} and 429 in {a.status for a in answers}
    for answer in legit:
        assert live.settled(strategy, answer["signal_id"])["status"] == "executed"
    # every request counted, in few rows (rolled up per minute and source), none of them a stored signal
    ignored = sum(a.status == 200 for a in answers)
    limited = sum(a.status == 429 for a in answers)
    assert ignored + limited == len(flood)
    assert sum(r["count"] for r in wait_events(live, "unknown_url", ignored)) == ignored
    assert sum(r["count"] for r in wait_events(live, "rate_limited", limited)) == limited
    assert live.count_rows("security_events") < 20
    assert live.count_rows("tv_signals") == 10  # the legit ones: the flood stored no signal
