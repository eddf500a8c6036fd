"""Take the dashboard screenshots in this folder: every page at 1400 px and 400 px wide.

    .venv/bin/python docs/screenshots/capture.py

Starts a real tvbridge (both listeners and the agent on the simulator) in a temporary folder, trades a few
demo alerts through the webhook path, signs a headless Chromium in with a one-time link and saves
``<page>-1400.png`` and ``<page>-400.png`` here. Needs Debian's chromium and the dev extras (Playwright).
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent.parent))

from playwright.sync_api import sync_playwright  # noqa: E402

from tests.e2e.browser import CHROMIUM_ARGS, chromium_path  # noqa: E402
from tests.e2e.conftest import Live, start_live, stop_live  # noqa: E402
from tests.e2e.paper import quote, trades  # noqa: E402

WIDTHS = (1400, 400)


def demo_data(live: Live) -> dict[str, int]:
    """A morning of trading: three strategies, fills, refusals, a closed trade and open positions."""
    first = live.admin.get("/api/v1/strategies").json()[0]
    live.admin.patch(f"/api/v1/strategies/{first['strategy_id']}", json={"name": "EURUSD trend"})
    gold = live.create_strategy("Gold breakout", allowed_pairs=["XAUUSD"], default_volume=0.05, max_lots=1)
    nas = live.create_strategy("NAS100 scalper", symbol_map={"NAS100": "USTEC"})
    live.trade(first, '{"symbol": "EURUSD", "action": "buy", "lots": 0.2, "sl_pips": 25, "tp_pips": 50}')
    live.trade(gold, "60123456789,buy,XAUUSD,vol_lots=0.1,sl_pips=150,tp_pips=300")
    live.trade(first, "sell GBPUSD lot=0.1")
    live.trade(first, "closeshort GBPUSD")
    live.trade(gold, '{"symbol": "XAGUSD", "action": "buy", "lots": 0.1}')
    live.trade(nas, '{"symbol": "NAS100", "action": "buy", "lots": 0.5, "sl": 1.0950}')
    live.trade(first, '{"symbol": "EURUSD", "action": "buy", "lots": 0.2, "sl_pips": 25, "tp_pips": 50}')
    live.admin.patch(f"/api/v1/strategies/{gold['strategy_id']}",
                     json={"timeframes": ["1h", "4h"], "tp_split": [50, 30, 20], "max_exposure_pct": 25})
    last = live.trade(gold, "buy XAUUSD lot=0.06 sl_pips=120 tp1_pips=100 tp2_pips=200 tp3_pips=300 "
                            "timeframe=60 comment=london")
    live.admin.patch(f"/api/v1/strategies/{nas['strategy_id']}", json={"is_enabled": False})
    live.trade(nas, "buy NAS100 lot=0.1")
    closed_trades(live)
    waiting_approval(live)
    live.positions(gold)
    refused_senders(live, nas)
    return {"strategy": gold["strategy_id"], "signal": last["id"]}


def closed_trades(live: Live) -> None:
    """A day of closed trades for the Trades page: wins, losses, a stop loss hit and a close by hand."""
    swing = live.create_strategy("GBPUSD swing", dedup_window_seconds=0)
    for bid, body in (
        (1.27000, '{"symbol": "GBPUSD", "action": "buy", "lots": 0.3}'),
        (1.27310, '{"symbol": "GBPUSD", "action": "closelong"}'),
        (1.27300, '{"symbol": "GBPUSD", "action": "sell", "lots": 0.2}'),
        (1.27420, '{"symbol": "GBPUSD", "action": "closeshort"}'),
        (1.27400, '{"symbol": "GBPUSD", "action": "buy", "lots": 0.4, "sl": 1.2725}'),
    ):
        quote(live, "GBPUSD", bid)
        live.trade(swing, body)
    quote(live, "GBPUSD", 1.27250)  # the stop loss closes the last one
    quote(live, "AUDUSD", 0.66000)
    live.trade(swing, '{"symbol": "AUDUSD", "action": "buy", "lots": 0.5}')
    quote(live, "AUDUSD", 0.66280)
    live.trade(swing, '{"symbol": "AUDUSD", "action": "closelong"}')
    trades(live, 4, strategy_id=swing["strategy_id"])


def waiting_approval(live: Live) -> None:
    """A strategy that asks before trading, with one signal waiting on the home and signals pages."""
    careful = live.create_strategy("Prop account (asks first)", require_approval=True, max_signal_age_seconds=3600)
    live.post_alert(careful, '{"symbol": "EURUSD", "action": "sell", "lots": 0.3, "sl_pips": 30}').raise_for_status()


def refused_senders(live: Live, rotated: dict[str, object]) -> None:
    """What the Security page shows after a secret was rotated while TradingView still posts to the old URL, a
    universal alert without its secret, and a probe; and a notification target on the Settings page."""
    import httpx

    old = httpx.URL(str(rotated["webhook_url"])).path
    live.admin.post(f"/api/v1/strategies/{rotated['strategy_id']}/rotate-secret").raise_for_status()
    for _ in range(12):
        live.public.post(old, content=b'{"symbol":"NAS100","action":"buy"}',
                         headers={"X-Forwarded-For": "52.89.214.238"})
    live.public.post("/api/v1/webhooks/tv", content=b'{"strategy":"Gold breakout","action":"buy"}',
                     headers={"X-Forwarded-For": "34.212.75.30"})
    live.public.post("/api/v1/webhooks/tv/admin", content=b"x", headers={"X-Forwarded-For": "203.0.113.77"})
    monitor = live.runtime.monitor
    assert monitor is not None
    monitor.wait_round(monitor.rounds)
    # an ntfy target on this PC's loopback (nothing listens): the picture shows the service, nothing leaves the PC
    live.admin.patch("/api/v1/notifications", json={"urls": ["ntfy://127.0.0.1:9/my-alerts"]}).raise_for_status()


def main() -> None:
    path = chromium_path()
    if path is None:
        raise SystemExit("No chromium on PATH: apt-get install -y chromium")
    live = start_live(Path(tempfile.mkdtemp()) / "data", deal_sync_seconds=0.3)
    try:
        ids = demo_data(live)
        pages = {
            "home": "/", "strategies": "/strategies", "strategy": f"/strategies/{ids['strategy']}",
            "alert-builder": "/alerts", "signals": "/signals", "signal": f"/signals/{ids['signal']}",
            "trades": "/trades", "security": "/security", "settings": "/settings",
        }
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=path, args=CHROMIUM_ARGS)
            for width in WIDTHS:
                ctx = browser.new_context(viewport={"width": width, "height": 900}, device_scale_factor=1)
                page = ctx.new_page()
                page.goto(live.runtime.sign_in_url())
                page.get_by_test_id("app-status").wait_for()
                for name, url in pages.items():
                    page.goto(live.runtime.admin_url + url)
                    page.wait_for_load_state("networkidle")
                    page.locator("main h1").first.wait_for()
                    if name == "alert-builder":  # show what "Check what it means" and the dry run answer
                        page.get_by_role("button", name="Check what it means").click()
                        page.get_by_test_id("parsed").wait_for()
                        page.get_by_test_id("dry-run-button").click()
                        page.get_by_test_id("dry-run-result").wait_for()
                    page.wait_for_timeout(400)  # let the first poll's numbers settle before the picture
                    page.screenshot(path=str(HERE / f"{name}-{width}.png"), full_page=True)
                ctx.close()
            browser.close()
    finally:
        stop_live(live)


if __name__ == "__main__":
    main()
