"""The dashboard's Trades page in a real Chromium against a running tvbridge: closed trades with their exit reasons,
the equity curve, each strategy's statistics, what closed without a signal, and the CSV export, all from the
ledger's JSON API. Waits are on page state (Playwright's ``expect``), never on fixed sleeps."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from typing import Any

import pytest

from tests.e2e.browser import browser  # noqa: F401 - the module-scoped fixture
from tests.e2e.conftest import Live, start_live, stop_live
from tests.e2e.paper import events, quote, trades

pytest.importorskip("playwright", reason="BROWSER TESTS NOT RUN: the playwright package is not installed")
from playwright.sync_api import expect  # noqa: E402

from tests.e2e.test_dashboard_browser import open_signed_in  # noqa: E402

expect.set_options(timeout=15_000)


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Live]:
    running = start_live(tmp_path_factory.mktemp("dash-ledger") / "data", deal_sync_seconds=0.3)
    yield running
    stop_live(running)


def test_the_trades_page_shows_the_ledger_and_exports_it(browser: Any, live: Live) -> None:  # noqa: F811
    s = live.create_strategy("Ledger page", dedup_window_seconds=0)
    for bid, body in ((1.10000, '{"symbol":"EURUSD","action":"buy","lots":1}'),
                      (1.10200, '{"symbol":"EURUSD","action":"closelong"}'),
                      (1.10200, '{"symbol":"EURUSD","action":"buy","lots":0.5,"sl":1.1}')):
        quote(live, "EURUSD", bid)
        assert live.trade(s, body)["status"] == "executed"
    quote(live, "EURUSD", 1.10000)  # the SL closes the second trade
    trades(live, 2, strategy_id=s["strategy_id"])
    events(live, 1, strategy_id=s["strategy_id"])

    w = open_signed_in(browser, live)
    page = w.page
    page.goto(live.runtime.admin_url + "/trades")
    closed = page.get_by_test_id("closed-trades")
    expect(closed.locator("tbody tr")).to_have_count(2)
    expect(closed).to_contain_text("stop loss")
    expect(closed).to_contain_text("its signal")
    expect(closed).to_contain_text("+188.00 USD")  # (1.10200 - 1.10012) x 1.00
    expect(closed).to_contain_text("−106.00 USD")  # (1.10000 - 1.10106) x 0.50
    stats = page.get_by_test_id("ledger-stats")
    expect(stats).to_contain_text("Ledger page")
    expect(stats).to_contain_text("50.0 %")
    expect(stats).to_contain_text("+82.00 USD")
    expect(page.get_by_test_id("equity-chart").locator("canvas")).to_have_count(1)
    expect(page.get_by_test_id("ledger-events")).to_contain_text(
        "The stop loss closed the 0.50-lot EURUSD long of strategy 'Ledger page'"
    )

    with page.expect_download() as download:
        page.get_by_test_id("csv-export").click()
    text = open(download.value.path(), encoding="utf-8").read()
    rows = list(csv.DictReader(io.StringIO(text)))
    assert [(r["strategy"], r["exit_reason"], r["net_pnl"]) for r in rows] == [
        ("Ledger page", "signal", "188"), ("Ledger page", "sl", "-106")
    ]
    w.clean()  # no console error, no CSP violation, nothing fetched off the admin origin
    page.context.close()
