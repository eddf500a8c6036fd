"""The admin API the dashboard uses, over real HTTP: who gets in, the browser protections, and the read and
alert-builder endpoints added for the dashboard."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from tests.e2e.conftest import Live, start_live, stop_live


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Live]:
    running = start_live(tmp_path_factory.mktemp("dash-api") / "data")
    yield running
    stop_live(running)


def signed_in(live: Live) -> tuple[httpx.Client, str]:
    """A cookie-only client (no bearer token) signed in with a fresh link, and its CSRF token."""
    url = live.runtime.sign_in_url()
    code = url.split("#code=")[1]
    browser = httpx.Client(base_url=live.runtime.admin_url, timeout=10)
    resp = browser.post("/api/v1/auth/session", json={"code": code})
    assert resp.status_code == 200, resp.text
    cookie = resp.headers["set-cookie"]
    assert "HttpOnly" in cookie and "SameSite=strict" in cookie and "Path=/" in cookie
    return browser, resp.json()["csrf_token"]


# -- headers -------------------------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/", "/signals/1", "/docs", "/static/app/main.js", "/api/v1/status", "/healthz"])
def test_every_admin_answer_carries_the_browser_protections(live: Live, path: str) -> None:
    resp = httpx.get(live.runtime.admin_url + path)
    csp = resp.headers["content-security-policy"]
    assert "script-src 'self'" in csp and "frame-ancestors 'none'" in csp and "unsafe" not in csp
    assert resp.headers["x-frame-options"] == "DENY"
    assert resp.headers["referrer-policy"] == "no-referrer"
    assert resp.headers["x-content-type-options"] == "nosniff"


@pytest.mark.parametrize("path", ["/", "/docs"])
def test_pages_have_no_inline_script(live: Live, path: str) -> None:
    page = httpx.get(live.runtime.admin_url + path).text
    scripts = re.findall(r"<script([^>]*)>(.*?)</script>", page, re.S)
    assert scripts and all('src="/static/' in attrs and not body.strip() for attrs, body in scripts)


def test_api_answers_are_not_cached(live: Live) -> None:
    assert live.admin.get("/api/v1/strategies").headers["cache-control"] == "no-store"


def test_unknown_pages_are_not_the_dashboard(live: Live) -> None:
    assert httpx.get(live.runtime.admin_url + "/nothing-here").status_code == 404
    assert httpx.get(live.runtime.admin_url + "/api/v1/nothing-here").status_code == 404


# -- getting in -----------------------------------------------------------------------------------------


def test_the_admin_token_is_never_read_from_a_query_string(live: Live) -> None:
    token = (live.data_dir / "admin-token").read_text().strip()
    for query in (f"token={token}", f"access_token={token}"):
        assert httpx.get(f"{live.runtime.admin_url}/api/v1/strategies?{query}").status_code == 401


def test_a_session_reads_with_its_csrf_token_only(live: Live) -> None:
    browser, csrf = signed_in(live)
    assert browser.get("/api/v1/strategies").status_code == 403  # the cookie alone opens nothing
    assert browser.get("/api/v1/strategies", headers={"X-CSRF-Token": "wrong"}).status_code == 403
    assert browser.get("/api/v1/strategies", headers={"X-CSRF-Token": csrf}).status_code == 200


def test_a_session_changes_things_only_from_its_own_origin(live: Live) -> None:
    browser, csrf = signed_in(live)
    ok = {"X-CSRF-Token": csrf, "Origin": live.runtime.admin_url, "Sec-Fetch-Site": "same-origin"}
    evil_origin = {**ok, "Origin": "http://127.0.0.1:1"}
    cross_site = {**ok, "Sec-Fetch-Site": "same-site"}
    for headers in (evil_origin, cross_site, {"Origin": live.runtime.admin_url}):
        resp = browser.post("/api/v1/strategies", json={"name": "refused"}, headers=headers)
        assert resp.status_code == 403, headers
    assert "refused" not in [s["name"] for s in live.admin.get("/api/v1/strategies").json()]
    created = browser.post("/api/v1/strategies", json={"name": "from the dashboard"}, headers=ok)
    assert created.status_code == 201


def test_bearer_clients_need_no_origin_or_csrf(live: Live) -> None:
    resp = live.admin.patch("/api/v1/settings", json={"daily_loss_limit_pct": 50},
                            headers={"Origin": "http://elsewhere.example"})
    assert resp.status_code == 200
    live.admin.patch("/api/v1/settings", json={"daily_loss_limit_pct": None})
    wrong = httpx.get(f"{live.runtime.admin_url}/api/v1/strategies", headers={"Authorization": "Bearer nope"})
    assert wrong.status_code == 401


def test_sign_in_links_need_the_admin_token(live: Live) -> None:
    browser, csrf = signed_in(live)
    same = {"X-CSRF-Token": csrf, "Origin": live.runtime.admin_url}
    assert browser.post("/api/v1/auth/sign-in-links", headers=same).status_code == 401
    link = live.admin.post("/api/v1/auth/sign-in-links")
    assert link.status_code == 201
    body = link.json()
    assert body["url"].startswith(f"{live.runtime.admin_url}/sign-in#code=") and body["expires_in_seconds"] == 60


def test_exchanging_a_code_from_another_origin_is_refused(live: Live) -> None:
    code = live.runtime.sign_in_url().split("#code=")[1]
    resp = httpx.post(f"{live.runtime.admin_url}/api/v1/auth/session", json={"code": code},
                      headers={"Origin": "http://127.0.0.1:1"})
    assert resp.status_code == 403 and "set-cookie" not in resp.headers


def test_sign_out_ends_the_session(live: Live) -> None:
    browser, csrf = signed_in(live)
    headers = {"X-CSRF-Token": csrf, "Origin": live.runtime.admin_url}
    assert browser.delete("/api/v1/auth/session", headers=headers).status_code == 204
    browser.cookies.clear()
    assert browser.get("/api/v1/strategies", headers=headers).status_code == 401


# -- status ---------------------------------------------------------------------------------------------


def test_status_says_what_the_tray_says(live: Live) -> None:
    status = live.admin.get("/api/v1/status").json()
    assert status["state"] == "degraded"  # no tunnel in tests
    assert any("tunnel" in r for r in status["reasons"]) and status["version"]
    live.admin.patch("/api/v1/settings", json={"trading_paused": True})
    try:
        paused = live.admin.get("/api/v1/status").json()
        assert "All trading is paused: resume it on the dashboard or in the tray menu." in paused["reasons"]
    finally:
        live.admin.patch("/api/v1/settings", json={"trading_paused": False})


# -- alert builder: parse and test ------------------------------------------------------------------------


def test_parse_explains_without_storing_or_trading(live: Live) -> None:
    strategy = live.create_strategy("parse", allowed_pairs=["EURUSD"])
    before = live.count_rows("tv_signals")
    url = f"/api/v1/strategies/{strategy['strategy_id']}/parse"
    ok = live.admin.post(url, json={"message": "60123456789,buy,EURUSD,vol_lots=0.2,sl_pips=20,tp_price=1.2"}).json()
    assert ok["accepted"] and ok["format"] == "pineconnector" and ok["symbol"] == "EURUSD"
    assert ok["words"][:3] == ["Buy 0.2 lots of EURUSD at the market price.",
                               "Stop-loss 20 pips from the fill price.", "Take-profit at 1.2."]
    refused = live.admin.post(url, json={"message": "hello"}).json()
    assert not refused["accepted"] and refused["refusal"] and refused["words"] == []
    outside = live.admin.post(url, json={"message": "buy GBPUSD lot=0.1"}).json()
    assert not outside["accepted"] and "allowed pairs" in outside["refusal"]
    live.admin.patch(f"/api/v1/strategies/{strategy['strategy_id']}", json={"is_enabled": False})
    off = live.admin.post(url, json={"message": "buy EURUSD lot=0.1"}).json()
    assert off["accepted"] and "disabled" in off["warnings"][0]
    assert live.count_rows("tv_signals") == before
    assert live.admin.post("/api/v1/strategies/999999/parse", json={"message": "buy"}).status_code == 404
    assert live.admin.post(url, json={"message": ""}).status_code == 422


def test_a_test_alert_goes_through_the_webhook_path_and_trades(live: Live) -> None:
    strategy = live.create_strategy("test alert")
    resp = live.admin.post(f"/api/v1/strategies/{strategy['strategy_id']}/test-alert",
                           json={"message": '{"symbol": "AUDUSD", "action": "buy", "lots": 0.03}'})
    assert resp.status_code == 200, resp.text
    answer = resp.json()
    assert answer["status"] == "pending"
    final = live.wait_final(answer["signal_id"])
    assert final["status"] == "executed" and final["orders"][0]["volume"] == 0.03
    assert final["content_type"] == "text/plain"


# -- signal explanation and filters ------------------------------------------------------------------------


def test_explanations_name_the_stage_the_gate_and_the_retcode(live: Live) -> None:
    strategy = live.create_strategy("explain", allowed_pairs=["NZDUSD", "GOLDX"])
    executed = live.trade(strategy, "buy NZDUSD lot=0.01 sl_pips=30")
    gated = live.trade(strategy, "buy EURUSD lot=0.01")
    unknown = live.trade(strategy, "buy GOLDX lot=0.01")

    e = live.admin.get(f"/api/v1/signals/{executed['id']}/explanation").json()
    assert e["stage"] == "terminal" and e["orders"][0]["retcode_name"] == "DONE"
    assert e["orders"][0]["retcode_sentence"] == "Request completed."
    assert e["intent_words"][:2] == ["Buy 0.01 lots of NZDUSD at the market price.",
                                     "Stop-loss 30 pips from the fill price."]
    g = live.admin.get(f"/api/v1/signals/{gated['id']}/explanation").json()
    assert (g["stage"], g["gate"], g["orders"]) == ("server", "allowed pairs", [])
    a = live.admin.get(f"/api/v1/signals/{unknown['id']}/explanation").json()
    assert a["stage"] == "agent" and "before sending" in a["decided_by"]
    assert live.admin.get("/api/v1/signals/999999/explanation").status_code == 404
    assert live.admin.get(f"/api/v1/signals/{2**63}/explanation").status_code == 422  # not a 500
    assert live.admin.post(f"/api/v1/strategies/{2**64}/parse", json={"message": "buy"}).status_code == 422


def test_signals_filter_by_symbol_text_and_time(live: Live) -> None:
    strategy = live.create_strategy("filters")
    first = live.trade(strategy, '{"symbol": "USDCAD", "action": "buy", "lots": 0.01, "comment": "100%_sure"}')
    second = live.trade(strategy, "sell USDCHF lot=0.01")
    sid = strategy["strategy_id"]

    def ids(**params: object) -> list[int]:
        return [s["id"] for s in live.admin.get("/api/v1/signals", params={"strategy_id": sid, **params}).json()]

    assert ids(symbol="usdcad") == [first["id"]]
    assert ids(q="100%_sure") == [first["id"]]
    assert ids(q="%") == [first["id"]]  # LIKE wildcards are taken literally
    assert ids(q="USDCHF") == [second["id"]]
    later = (datetime.now(UTC) + timedelta(minutes=1)).isoformat()
    assert ids(since=later) == [] and ids(until=later) == [second["id"], first["id"]]
