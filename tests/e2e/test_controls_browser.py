"""The strategy editor's "Strategy controls" fieldset in a real Chromium: a timeframe refusal fixed from the
dashboard, and the controls saved as the API stores them."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.e2e.browser import browser  # noqa: F401 - the module-scoped fixture
from tests.e2e.conftest import Live, start_live, stop_live
from tests.e2e.test_dashboard_browser import open_signed_in

pytest.importorskip("playwright", reason="BROWSER TESTS NOT RUN: the playwright package is not installed")
from playwright.sync_api import expect  # noqa: E402


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Live]:
    running = start_live(tmp_path_factory.mktemp("controls-dash") / "data")
    yield running
    stop_live(running)


def test_the_controls_fieldset_edits_every_control(browser: Any, live: Live) -> None:  # noqa: F811
    strategy = live.create_strategy("Hourly only", timeframes=["60"], dedup_window_seconds=0)
    body = '{"symbol": "EURUSD", "action": "buy", "lots": 0.4, "timeframe": "15"}'
    refused = live.trade(strategy, body)
    assert refused["status"] == "rejected" and refused["decided_by"] == "timeframe"

    w = open_signed_in(browser, live)
    page = w.page
    page.goto(f"{live.runtime.admin_url}/strategies/{strategy['strategy_id']}")
    expect(page.get_by_role("heading", name="Strategy controls")).to_be_visible()
    expect(page.locator("#f-timeframes")).to_have_value("1h")
    page.locator("#f-timeframes").fill("60, banana")  # the API's sentence names the one it cannot read
    page.get_by_role("button", name="Save changes").click()
    expect(page.locator("#f-timeframes-error")).to_contain_text("banana")
    page.locator("#f-timeframes").fill("60, 15")
    page.locator("#f-risk_multiplier").fill("0.5")
    page.locator("#f-dedup_by").select_option("meaning")
    page.locator("#f-max_lots_mode").select_option("cap")
    page.locator("#f-max_exposure_pct").fill("500")
    page.locator("#f-exposure_basis").select_option("notional")
    page.get_by_role("button", name="Save changes").click()
    expect(page.get_by_role("status")).to_have_text("Saved. The change applies to the next alert.")

    saved = live.admin.get(f"/api/v1/strategies/{strategy['strategy_id']}").json()
    assert {k: saved[k] for k in ("timeframes", "risk_multiplier", "dedup_by", "max_lots_mode", "max_exposure_pct",
                                  "exposure_basis")} == {
        "timeframes": ["1h", "15m"], "risk_multiplier": 0.5, "dedup_by": "meaning", "max_lots_mode": "cap",
        "max_exposure_pct": 500.0, "exposure_basis": "notional",
    }
    traded = live.trade(strategy, body)
    assert traded["status"] == "executed" and [o["volume"] for o in traded["orders"]] == [0.2]
    w.clean()
    page.context.close()


def test_the_account_caps_are_set_on_the_settings_page(browser: Any, live: Live) -> None:  # noqa: F811
    w = open_signed_in(browser, live)
    page = w.page
    page.goto(f"{live.runtime.admin_url}/settings")
    expect(page.get_by_role("heading", name="Account exposure caps")).to_be_visible()
    page.locator("#account-exposure").fill("0")  # below the bound: the API's sentence is shown at the field
    page.get_by_role("button", name="Save caps").click()
    expect(page.locator("#account-exposure-error")).to_contain_text("0.01")
    page.locator("#account-exposure").fill("250")
    page.locator("#account-basis").select_option("notional")
    page.locator("#account-positions").fill("3")
    page.get_by_role("button", name="Save caps").click()
    expect(page.get_by_role("status")).to_have_text("Saved.")
    saved = live.admin.get("/api/v1/settings").json()
    assert (saved["account_max_exposure_pct"], saved["account_exposure_basis"], saved["account_max_open_positions"]) \
        == (250.0, "notional", 3)
    page.locator("#account-exposure").fill("")
    page.locator("#account-positions").fill("")
    page.get_by_role("button", name="Save caps").click()
    expect(page.get_by_role("status")).to_have_text("Saved.")
    saved = live.admin.get("/api/v1/settings").json()
    assert saved["account_max_exposure_pct"] is None and saved["account_max_open_positions"] is None
    w.clean()
    page.context.close()
