"""The dashboard in a real Chromium against a real running tvbridge (both listeners, the agent on the simulator).

Each test opens its own browser context (its own cookies and storage) in one shared browser, and signs in the
way a trader does: with a single-use link from the running instance. Waits are on page state (Playwright's
auto-waiting ``expect``), never on fixed sleeps.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.e2e.agents import leased_headers
from tests.e2e.browser import browser  # noqa: F401 - the module-scoped fixture
from tests.e2e.conftest import Live, start_live, stop_live

pytest.importorskip("playwright", reason="BROWSER TESTS NOT RUN: the playwright package is not installed")
from playwright.sync_api import Page, expect  # noqa: E402

expect.set_options(timeout=15_000)


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Live]:
    running = start_live(tmp_path_factory.mktemp("dash") / "data")
    yield running
    stop_live(running)


class Watched:
    """A page plus everything that must never happen on it: script dialogs, page errors, console errors (CSP
    violations among them; the browser's own "Failed to load resource" lines for refused requests aside), and
    requests leaving the admin origin (the dashboard works offline)."""

    def __init__(self, page: Page, admin_url: str) -> None:
        self.page = page
        self.problems: list[str] = []
        page.on("dialog", lambda d: (self.problems.append(f"dialog: {d.message}"), d.dismiss()))
        page.on("pageerror", lambda e: self.problems.append(f"page error: {e}"))
        page.on("console", lambda m: self.problems.append(f"console {m.type}: {m.text}")
                if m.type == "error" and not m.text.startswith("Failed to load resource") else None)
        page.on("request", lambda r: None if r.url.startswith((admin_url, "data:")) else
                self.problems.append(f"request off the admin origin: {r.url}"))

    def clean(self) -> None:
        assert self.problems == []


def open_signed_in(browser: Any, live: Live, **context: Any) -> Watched:  # noqa: F811
    ctx = browser.new_context(viewport={"width": 1400, "height": 900}, **context)
    page = ctx.new_page()
    watched = Watched(page, live.runtime.admin_url)
    page.goto(live.runtime.sign_in_url())
    expect(page.get_by_test_id("app-status")).to_be_visible()
    return watched


def wait_signal(live: Live, predicate: Any) -> dict[str, Any]:
    """The newest signal matching ``predicate``, once it is final."""
    sig = next(s for s in live.admin.get("/api/v1/signals", params={"limit": 20}).json() if predicate(s))
    return live.wait_final(sig["id"])


# -- getting in -----------------------------------------------------------------------------------------


def test_sign_in_link_opens_a_session_and_leaves_no_code_behind(browser: Any, live: Live) -> None:  # noqa: F811
    w = open_signed_in(browser, live)
    page = w.page
    assert page.url == f"{live.runtime.admin_url}/"  # the code left the address bar
    page.go_back()  # ... and this tab's history: one step back is the blank tab, not the link
    assert page.url == "about:blank"
    page.go_forward()
    cookie = next(c for c in page.context.cookies() if c["name"] == "tvbridge_session")
    assert cookie["httpOnly"] and cookie["sameSite"] == "Strict" and cookie["path"] == "/"
    assert page.evaluate("document.cookie") == ""  # script cannot read the session
    page.reload()
    expect(page.get_by_test_id("app-status")).to_be_visible()  # still signed in after a reload
    w.clean()
    page.context.close()


def test_a_used_or_expired_sign_in_code_is_refused(browser: Any, live: Live) -> None:  # noqa: F811
    link = live.runtime.sign_in_url()
    first = browser.new_context()
    first.new_page().goto(link)
    expect(first.pages[0].get_by_test_id("app-status")).to_be_visible()
    again = browser.new_context()
    page = again.new_page()
    page.goto(link)
    expect(page.get_by_test_id("signin-error")).to_contain_text("already used or has expired")
    assert not [c for c in again.cookies() if c["name"] == "tvbridge_session"]

    sessions = live.runtime.ctx.sessions  # type: ignore[union-attr]
    ttl, sessions.code_ttl = sessions.code_ttl, -1.0  # every code issued now is already past its minute
    try:
        expired = live.runtime.sign_in_url()
    finally:
        sessions.code_ttl = ttl
    page.goto(expired)
    expect(page.get_by_test_id("signin-error")).to_contain_text("already used or has expired")
    first.close()
    again.close()


def test_the_admin_token_in_a_query_string_opens_nothing(browser: Any, live: Live) -> None:  # noqa: F811
    token = (live.data_dir / "admin-token").read_text().strip()
    assert httpx.get(f"{live.runtime.admin_url}/api/v1/strategies?token={token}").status_code == 401
    ctx = browser.new_context()
    page = ctx.new_page()
    page.goto(f"{live.runtime.admin_url}/?token={token}")
    expect(page.get_by_role("heading", name="Sign in to the dashboard")).to_be_visible()
    ctx.close()


# -- the trader's day -------------------------------------------------------------------------------------


def test_create_copy_build_send_and_watch_it_execute(browser: Any, live: Live) -> None:  # noqa: F811
    w = open_signed_in(browser, live, permissions=["clipboard-read", "clipboard-write"])
    page = w.page
    page.get_by_role("link", name="Strategies").click()
    page.get_by_role("link", name="New strategy").click()
    page.locator("#f-name").fill("Browser USDJPY")
    page.locator("#f-max_lots").fill("-1")
    page.get_by_role("button", name="Create strategy").click()
    # the server's validation comes back as a sentence beside the field, not as JSON
    expect(page.locator("#f-max_lots-error")).to_have_text("Must be more than 0 lots; you sent -1.")
    page.locator("#f-max_lots").fill("1")
    page.get_by_role("button", name="Create strategy").click()
    expect(page.get_by_role("heading", name="Browser USDJPY")).to_be_visible()
    strategy_id = int(page.url.rsplit("/", 1)[1])
    url = live.admin.get(f"/api/v1/strategies/{strategy_id}").json()["webhook_url"]

    page.get_by_test_id("webhook-url").get_by_role("button", name="Copy URL").click()
    expect(page.get_by_test_id("webhook-url").get_by_role("button", name="Copied")).to_be_visible()
    assert page.evaluate("navigator.clipboard.readText()") == url

    # the home page stays open in a second tab, to watch the alert arrive
    home = page.context.new_page()
    home.goto(live.runtime.admin_url + "/")
    expect(home.get_by_test_id("app-status")).to_be_visible()

    page.get_by_role("link", name="Alert builder").click()
    page.locator("#b-strategy").select_option(str(strategy_id))
    page.locator("#b-size").fill("0.02")
    page.locator("#b-sl-unit").select_option("none")
    page.locator("#b-tp-unit").select_option("none")
    expect(page.get_by_test_id("message-json")).to_have_text(
        '{"symbol": "{{ticker}}", "action": "buy", "lots": 0.02, "timenow": "{{timenow}}"}')
    expect(page.get_by_test_id("message-pineconnector")).to_have_text("LICENSE_ID,buy,{{ticker}},vol_lots=0.02")
    page.locator("#t-symbol").fill("USDJPY")
    page.get_by_role("button", name="Check what it means").click()
    expect(page.get_by_test_id("parsed")).to_contain_text("Buy 0.02 lots of USDJPY at the market price.")
    # what would it do now: the agent plans it against the live account and sends nothing
    signals_before = len(live.admin.get("/api/v1/signals", params={"strategy_id": strategy_id}).json())
    page.get_by_test_id("dry-run-button").click()
    dry = page.get_by_test_id("dry-run-result")
    expect(dry).to_have_attribute("data-outcome", "executed")
    expect(page.get_by_test_id("dry-run-sentence")).to_contain_text("would place this order (nothing was sent)")
    expect(dry).to_contain_text("Buy 0.02 lots of USDJPY at the market price.")
    expect(page.get_by_test_id("dry-run-orders")).to_contain_text("USDJPY")
    expect(page.get_by_test_id("dry-run-orders").locator("tbody tr")).to_have_count(1)
    expect(page.get_by_test_id("dry-run-orders").locator("tbody td").nth(3)).to_have_text("0.02")
    assert len(live.admin.get("/api/v1/signals", params={"strategy_id": strategy_id}).json()) == signals_before

    page.get_by_role("button", name="Send as test alert").click()
    expect(page.get_by_test_id("test-outcome")).to_have_attribute("data-status", "executed")
    signal_id = int(page.get_by_test_id("test-outcome").get_by_role("link").inner_text().split("#")[1])

    row = home.locator(f"tr[data-signal-id='{signal_id}']")
    expect(row.locator("[data-status]")).to_have_attribute("data-status", "executed")  # without a reload
    row.get_by_role("link", name=str(signal_id)).click()
    expect(home.get_by_test_id("signal-detail")).to_have_attribute("data-status", "executed")
    expect(home.get_by_test_id("orders")).to_contain_text("10009 DONE")
    expect(home.get_by_test_id("intent-words")).to_contain_text("Buy 0.02 lots of USDJPY")
    expect(home.get_by_test_id("raw-message")).to_contain_text('"symbol": "USDJPY"')
    expect(home.get_by_test_id("timings")).to_contain_text("Filled")
    w.clean()
    page.context.close()


def test_editing_the_symbol_map_lets_a_refused_symbol_trade(browser: Any, live: Live) -> None:  # noqa: F811
    strategy = live.create_strategy("Gold map")
    refused = live.trade(strategy, '{"symbol": "GOLD.X", "action": "buy", "lots": 0.01}')
    assert refused["status"] == "rejected" and "symbol map" in refused["error_message"]

    w = open_signed_in(browser, live)
    page = w.page
    page.goto(f"{live.runtime.admin_url}/signals/{refused['id']}")
    expect(page.get_by_test_id("signal-reason")).to_contain_text("map it in the strategy's symbol map")
    page.get_by_role("link", name="Gold map").click()
    page.locator("#f-symbol_map").fill("GOLD.X XAUUSD")  # a typo first: the sentence says how to write it
    page.get_by_role("button", name="Save changes").click()
    expect(page.locator("#f-symbol_map-error")).to_contain_text("Each line must look like NAS100=USTEC")
    page.locator("#f-symbol_map").fill("GOLD.X=XAUUSD")
    page.get_by_role("button", name="Save changes").click()
    expect(page.get_by_role("status")).to_have_text("Saved. The change applies to the next alert.")

    traded = live.trade(strategy, '{"symbol": "GOLD.X", "action": "buy", "lots": 0.01}')
    assert traded["status"] == "executed" and traded["orders"][0]["symbol"] == "XAUUSD"
    w.clean()
    page.context.close()


def test_pause_discards_alerts_until_resumed(browser: Any, live: Live) -> None:  # noqa: F811
    strategy = live.create_strategy("Pause check")
    w = open_signed_in(browser, live)
    page = w.page
    page.get_by_test_id("pause-button").click()
    expect(page.get_by_test_id("trading-state")).to_contain_text("Trading paused")
    expect(page.get_by_test_id("app-status")).to_contain_text("All trading is paused")

    discarded = live.trade(strategy, "buy GBPUSD lot=0.01")
    assert discarded["status"] == "discarded"
    row = page.locator(f"tr[data-signal-id='{discarded['id']}']")
    expect(row).to_contain_text("Trading is paused")

    page.get_by_test_id("pause-button").click()
    expect(page.get_by_test_id("trading-state")).to_have_text("Trading active")
    assert live.trade(strategy, "buy GBPUSD lot=0.01")["status"] == "executed"
    w.clean()
    page.context.close()


# -- attacks ----------------------------------------------------------------------------------------------


class _EvilSite:
    """Another web site on another loopback port (same *site* as the admin listener for cookies: a port is not
    part of a site, so the SameSite=Strict cookie IS sent). Its page attacks the admin API with the trader's
    session: two cross-origin form posts and two scripted requests."""

    def __init__(self, admin_url: str, strategy_id: int) -> None:
        api = f"{admin_url}/api/v1"
        self.html = f"""<!doctype html><html><body>
<iframe name="a"></iframe><iframe name="b"></iframe><iframe name="c"></iframe>
<form id="rotate" method="POST" action="{api}/strategies/{strategy_id}/rotate-secret" target="a"></form>
<form id="create" method="POST" action="{api}/strategies" target="b" enctype="text/plain">
  <input name='{{"name": "evil", "pad": "' value='"}}'></form>
<form id="trade" method="POST" action="{api}/strategies/{strategy_id}/test-alert" target="c" enctype="text/plain">
  <input name='{{"message": "buy EURUSD lot=1", "pad": "' value='"}}'></form>
<script>
  window.settled = [];
  for (const [id, frame] of [["rotate", "a"], ["create", "b"], ["trade", "c"]]) {{
    document.querySelector(`iframe[name=${{frame}}]`).addEventListener("load", () => window.settled.push(id));
    document.getElementById(id).submit();
  }}
  fetch("{api}/strategies/{strategy_id}/test-alert", {{method: "POST", mode: "no-cors", credentials: "include",
    headers: {{"Content-Type": "text/plain"}}, body: JSON.stringify({{message: "sell EURUSD lot=1"}})}})
    .then(() => window.settled.push("no-cors test-alert"), () => window.settled.push("no-cors test-alert"));
  fetch("{api}/settings", {{method: "PATCH", credentials: "include", headers: {{"Content-Type": "application/json"}},
    body: JSON.stringify({{trading_paused: true}})}})
    .then(() => window.settled.push("patch sent"), () => window.settled.push("patch blocked"));
</script></body></html>""".encode()
        site = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 - http.server's naming
                self.send_response(200)
                self.send_header("Content-Type", "text/html")
                self.end_headers()
                self.wfile.write(site.html)

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def test_a_page_on_another_origin_can_create_change_or_trade_nothing(browser: Any, live: Live) -> None:  # noqa: F811
    target = live.create_strategy("Target of the evil page")
    before = {
        "strategies": live.admin.get("/api/v1/strategies").json(),
        "signals": live.count_rows("tv_signals"),
        "settings": live.admin.get("/api/v1/settings").json(),
    }
    w = open_signed_in(browser, live)  # the trader is signed in in this browser
    evil = _EvilSite(live.runtime.admin_url, target["strategy_id"])
    try:
        page = w.page.context.new_page()
        answers: dict[str, int] = {}
        page.on("response", lambda r: answers.__setitem__(f"{r.request.method} {r.url}", r.status)
                if "/api/v1/" in r.url else None)
        page.goto(evil.url)
        page.wait_for_function("window.settled.length === 5")  # three form posts answered, two fetches settled
        base = f"{live.runtime.admin_url}/api/v1/strategies"
        expected = {f"POST {base}/{target['strategy_id']}/rotate-secret", f"POST {base}",
                    f"POST {base}/{target['strategy_id']}/test-alert"}
        # each request reached tvbridge WITH the session cookie (else 401) and was refused (403)
        assert {k: answers[k] for k in expected} == dict.fromkeys(expected, 403)
        assert "patch blocked" in page.evaluate("window.settled")  # the JSON PATCH never left the browser
    finally:
        evil.close()
    assert live.admin.get("/api/v1/strategies").json() == before["strategies"]  # nothing created or rotated
    assert live.count_rows("tv_signals") == before["signals"]  # nothing traded
    assert live.admin.get("/api/v1/settings").json() == before["settings"]  # not paused
    w.page.context.close()


def test_hostile_data_is_shown_as_text_and_never_runs(browser: Any, live: Live) -> None:  # noqa: F811
    img = "<img src=x onerror=\"window.__pwned='img'\">"
    script = "<script>window.__pwned='script'</script>"
    strategy = live.create_strategy(f"Evil {script}")
    # through the public webhook, as anyone on the internet who has the URL could
    hostile_alert = json.dumps({"symbol": img, "action": "buy", "lots": 0.01, "comment": script})
    live.post_alert(strategy, hostile_alert)
    final = wait_signal(live, lambda s: s["strategy_id"] == strategy["strategy_id"])
    assert final["status"] != "pending"
    # through the agent API, as a compromised agent (agent token only) could
    agent_token = (live.data_dir / "agent-token").read_text().strip()
    snapshot = {
        "login": 1, "server": script, "currency": "USD", "balance": 1.0, "equity": 1.0, "broker": img,
        "terminal_connected": False, "last_error": script,
        "positions": [{"ticket": 1, "symbol": img, "type": "buy", "volume": 0.01, "price_open": 1.0, "sl": 0.0,
                       "tp": 0.0, "magic": 1, "profit": 0.0, "comment": script}],
    }
    headers = leased_headers(live.runtime.admin_url, agent_token, "intruder")
    resp = httpx.post(f"{live.runtime.admin_url}/api/v1/agents/intruder/snapshot", json=snapshot, headers=headers)
    assert resp.status_code == 204, resp.text

    w = open_signed_in(browser, live)
    page = w.page
    violations: list[str] = []
    page.on("console", lambda m: violations.append(m.text) if "Content Security Policy" in m.text else None)
    for path in ("/", "/strategies", "/signals", f"/signals/{final['id']}", "/trades", "/alerts"):
        page.goto(live.runtime.admin_url + path)
        page.wait_for_load_state("networkidle")
        expect(page.locator("main")).to_contain_text(script if path != "/signals" else img[:12])
        assert page.evaluate("window.__pwned") is None, path
        assert page.locator("main img[src='x'], main script").count() == 0, path
    assert violations == []  # nothing even tried: the markup stayed text
    w.clean()
    page.context.close()


def test_api_docs_render_offline_under_the_same_policy(browser: Any, live: Live) -> None:  # noqa: F811
    ctx = browser.new_context()
    page = ctx.new_page()
    w = Watched(page, live.runtime.admin_url)
    page.goto(live.runtime.admin_url + "/docs")
    expect(page.locator(".opblock").first).to_be_visible()
    expect(page.get_by_text("/api/v1/strategies/{strategy_id}/test-alert")).to_be_visible()
    w.clean()  # no request left this PC, no CSP violation, no script error
    ctx.close()


# -- the printed link -------------------------------------------------------------------------------------


def test_tvbridge_run_prints_a_link_that_signs_in_and_tvbridge_dashboard_makes_new_ones(
    browser: Any, tmp_path: Path  # noqa: F811
) -> None:
    import os
    import re
    import signal
    import subprocess
    import sys
    import time

    data = tmp_path / "data"
    out = tmp_path / "stdout.txt"
    env = {k: v for k, v in os.environ.items() if not k.startswith("TVBRIDGE_")}
    with out.open("w") as fh:
        proc = subprocess.Popen(
            [sys.executable, "-m", "tray", "run", "--data-dir", str(data), "--public-port", "0", "--admin-port", "0",
             "--no-agent"], stdout=fh, stderr=subprocess.STDOUT, env=env)
    try:
        deadline = time.monotonic() + 30
        while not (found := re.search(r"dashboard:\s+(http://127\.0\.0\.1:\d+/sign-in#code=\S+)", out.read_text())):
            assert proc.poll() is None and time.monotonic() < deadline, out.read_text()
            time.sleep(0.05)
        printed = found.group(1)
        ctx = browser.new_context()
        page = ctx.new_page()
        page.goto(printed)
        expect(page.get_by_test_id("app-status")).to_be_visible()
        ctx.close()

        made = subprocess.run([sys.executable, "-m", "tray", "dashboard", "--no-browser", "--data-dir", str(data)],
                              capture_output=True, text=True, env=env, timeout=60)
        assert made.returncode == 0, made.stderr
        fresh = re.search(r"http://127\.0\.0\.1:\d+/sign-in#code=\S+", made.stdout)
        assert fresh and fresh.group(0) != printed
        ctx = browser.new_context()
        page = ctx.new_page()
        page.goto(fresh.group(0))
        expect(page.get_by_test_id("app-status")).to_be_visible()
        ctx.close()
    finally:
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=30) == 0
    logs = "".join(p.read_text() for p in (data / "logs").glob("*.log*"))
    assert printed.split("#code=")[1] not in logs and fresh.group(0).split("#code=")[1] not in logs
