"""The dashboard's Security page, Settings notifications and the strategy's signing secret in a real Chromium against
a running tvbridge (strict CSP, every value as text): what an attacker sends shows as text, never as markup."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from server.signatures import HEADER, sign
from tests.e2e.browser import browser  # noqa: F401 - the module-scoped fixture
from tests.e2e.conftest import Live, start_live, stop_live
from tests.e2e.test_dashboard_browser import open_signed_in
from tests.fakes.inbox import Inbox

pytest.importorskip("playwright", reason="BROWSER TESTS NOT RUN: the playwright package is not installed")
from playwright.sync_api import expect  # noqa: E402

expect.set_options(timeout=15_000)

HOSTILE = '<img src=x onerror="document.title=\'pwned\'"><script>alert(1)</script>'


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Live]:
    running = start_live(tmp_path_factory.mktemp("sec") / "data")
    yield running
    stop_live(running)


def test_refused_senders_are_listed_as_text(browser: Any, live: Live) -> None:  # noqa: F811
    live.create_strategy("shared a", alert_secret="shared-secret")
    # a hostile strategy name in the body ends up in the refusal's detail: the page must show it as text
    body = json.dumps({"secret": "shared-secret", "strategy": HOSTILE, "action": "buy", "symbol": "EURUSD"})
    live.public.post("/api/v1/webhooks/tv", content=body, headers={"X-Forwarded-For": "203.0.113.50"})
    live.public.post("/api/v1/webhooks/tv/old-url-secret", content=b"x", headers={"X-Forwarded-For": "203.0.113.51"})
    w = open_signed_in(browser, live)
    page = w.page
    page.get_by_role("link", name="Security").click()
    events = page.get_by_test_id("security-events")
    expect(events.locator("tr[data-kind=unknown_secret]")).to_contain_text("203.0.113.50")
    expect(events.locator("tr[data-kind=unknown_secret]")).to_contain_text("<img src=x")  # the text itself
    expect(events.locator("tr[data-kind=unknown_url]")).to_contain_text("/api/v1/webhooks/tv/{secret}")
    assert events.locator("img").count() == 0 and page.title() != "pwned"
    assert "old-url-secret" not in page.content()  # only its fingerprint
    page.locator("#sec-kind").select_option("unknown_url")
    expect(events.locator("tr[data-kind=unknown_secret]")).to_have_count(0)
    expect(page.get_by_test_id("security-summary").locator("tr[data-kind=unknown_url]")).to_contain_text("1")
    w.clean()
    page.context.close()


def test_notification_targets_are_saved_write_only_and_tested(browser: Any, live: Live) -> None:  # noqa: F811
    inbox = Inbox()
    try:
        w = open_signed_in(browser, live)
        page = w.page
        page.get_by_role("link", name="Settings").click()
        box = page.get_by_test_id("notifications")
        expect(box).to_contain_text("No targets yet.")
        page.locator("#notify-urls").fill(inbox.url)
        box.get_by_role("button", name="Save targets").click()
        expect(box.get_by_test_id("notify-targets")).to_contain_text("1: JSON")
        assert inbox.url not in page.content()  # never shown back
        box.get_by_test_id("notify-test").click()
        expect(box.get_by_role("status")).to_have_text("Sent to 1: JSON.")
        inbox.wait(lambda got: any(m["title"] == "tvbridge test notification" for m in got))
        box.get_by_label("an alert was executed").click()  # saved at once, then shown as the server has it
        expect(box.get_by_label("an alert was executed")).not_to_be_checked()
        chosen = [e["kind"] for e in live.admin.get("/api/v1/notifications").json()["events"] if e["chosen"]]
        assert "executed" not in chosen and "security" in chosen
        w.clean()
        page.context.close()
    finally:
        inbox.close()


def test_a_signing_secret_is_generated_shown_once_and_then_only_said_to_be_set(
    browser: Any, live: Live  # noqa: F811
) -> None:
    strategy = live.create_strategy("signed in the browser")
    w = open_signed_in(browser, live)
    page = w.page
    page.goto(f"{live.runtime.admin_url}/strategies/{strategy['strategy_id']}")
    field = page.get_by_test_id("secret-signing_secret")
    expect(field).to_contain_text("not set")
    field.get_by_role("button", name="Generate").click()
    key = page.locator("#f-signing_secret").input_value()
    assert len(key) == 43
    page.get_by_role("button", name="Save changes").click()
    expect(page.get_by_role("status")).to_contain_text("Saved")
    expect(field).to_contain_text("set")
    assert page.locator("#f-signing_secret").input_value() == ""  # never read back
    assert key not in live.admin.get(f"/api/v1/strategies/{strategy['strategy_id']}").text
    body = b'{"symbol":"EURUSD","action":"buy","lots":0.01}'
    signed = live.public.post(httpx.URL(strategy["webhook_url"]).path, content=body,
                              headers={HEADER: sign(key, body)}).json()
    assert live.settled(strategy, signed["signal_id"])["status"] == "executed"
    w.clean()
    page.context.close()
