"""Manual approval and fan-out in the dashboard (issue 13), in a real Chromium against a real tvbridge: the waiting
list on the home page with Approve / Reject, the signal page's buttons, and the strategy editor's fieldset."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.e2e.browser import browser  # noqa: F401 - the module-scoped fixture
from tests.e2e.conftest import Live, start_live, stop_live

pytest.importorskip("playwright", reason="BROWSER TESTS NOT RUN: the playwright package is not installed")
from playwright.sync_api import expect  # noqa: E402

from tests.e2e.test_dashboard_browser import open_signed_in  # noqa: E402

expect.set_options(timeout=15_000)


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Live]:
    running = start_live(tmp_path_factory.mktemp("dash-approval") / "data")
    yield running
    stop_live(running)


def _post(live: Live, strategy: dict[str, Any], body: str) -> int:
    resp = live.post_alert(strategy, body, "application/json")
    assert resp.json()["status"] == "awaiting_approval", resp.text
    return int(resp.json()["signal_id"])


def test_waiting_signals_are_listed_on_home_and_approved_or_rejected_there(browser: Any, live: Live) -> None:  # noqa: F811
    strategy = live.create_strategy("Dash approval", require_approval=True)
    first = _post(live, strategy, '{"symbol": "EURUSD", "action": "buy", "volume": 0.1}')
    second = _post(live, strategy, '{"symbol": "EURUSD", "action": "sell", "volume": 0.1}')
    w = open_signed_in(browser, live)
    page = w.page
    waiting = page.get_by_test_id("awaiting-approval")
    expect(waiting.locator(f"tr[data-signal-id='{first}']")).to_be_visible()
    expect(waiting.locator(f"tr[data-signal-id='{second}']")).to_be_visible()
    waiting.locator(f"tr[data-signal-id='{first}']").get_by_test_id("approve").click()
    expect(waiting.locator(f"tr[data-signal-id='{first}']")).to_have_count(0)
    assert live.wait_final(first)["status"] == "executed"

    row = waiting.locator(f"tr[data-signal-id='{second}']")
    row.get_by_role("textbox").fill("spread too wide")
    row.get_by_test_id("reject").click()
    expect(page.get_by_test_id("awaiting-approval")).to_have_count(0)  # the list leaves once none waits
    signal = live.wait_final(second)
    assert (signal["status"], signal["decided_by"]) == ("rejected", "trader")
    assert "in the dashboard" in signal["error_message"] and "spread too wide" in signal["error_message"]
    w.clean()


def test_signal_page_approves_and_the_signal_executes(browser: Any, live: Live) -> None:  # noqa: F811
    strategy = live.create_strategy("Dash signal page", require_approval=True)
    signal_id = _post(live, strategy, '{"symbol": "GBPUSD", "action": "buy", "volume": 0.1}')
    w = open_signed_in(browser, live)
    page = w.page
    page.goto(f"{live.runtime.admin_url}/signals/{signal_id}")
    detail = page.get_by_test_id("signal-detail")
    expect(detail).to_have_attribute("data-status", "awaiting_approval")
    expect(detail.get_by_text("Waiting for your approval")).to_be_visible()
    page.get_by_test_id(f"approval-{signal_id}").get_by_test_id("approve").click()
    expect(detail).to_have_attribute("data-status", "executed")
    expect(page.get_by_test_id(f"approval-{signal_id}")).to_have_count(0)
    assert live.wait_final(signal_id)["orders"][0]["volume"] == 0.1
    w.clean()


def test_strategy_editor_sets_approval_and_accounts(browser: Any, live: Live) -> None:  # noqa: F811
    strategy = live.create_strategy("Dash editor")
    w = open_signed_in(browser, live)
    page = w.page
    page.goto(f"{live.runtime.admin_url}/strategies/{strategy['strategy_id']}")
    expect(page.get_by_role("heading", name="Approval and several accounts")).to_be_visible()
    page.locator("#f-accounts").fill("prop-firm=0.5\nsmall=half")
    page.get_by_role("button", name="Save changes").click()
    expect(page.locator("#f-accounts-error")).to_contain_text("Each line must look like prop-firm=0.5")
    page.locator("#f-accounts").fill("prop-firm=0.5\nsmall=0.25")
    page.get_by_role("switch", name="Ask me before trading").check()
    page.get_by_role("button", name="Save changes").click()
    expect(page.get_by_role("status")).to_have_text("Saved. The change applies to the next alert.")
    saved = live.admin.get(f"/api/v1/strategies/{strategy['strategy_id']}").json()
    assert saved["require_approval"] is True
    assert saved["accounts"] == [{"agent_id": "prop-firm", "volume_multiplier": 0.5},
                                 {"agent_id": "small", "volume_multiplier": 0.25}]
    w.clean()
