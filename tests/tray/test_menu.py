"""The tray app, headless: the real pystray Menu built from a real, running tvbridge (both listeners, the
database, the agent process trading on the simulator), driven the way pystray drives it: items are walked
(``text``, ``checked``, ``enabled``, submenus) and clicked with ``item(icon)``. Alerts go over real HTTP.

The only stand-ins are for the desktop itself: :class:`HeadlessIcon` (pystray's own abstract ``_base.Icon``
with recording hooks, instead of a native tray) and recorders for the clipboard, the browser and the file
manager.
"""

from __future__ import annotations

import os

os.environ["PYSTRAY_BACKEND"] = "dummy"  # before pystray is imported: headless Linux has no display

import threading  # noqa: E402
import time  # noqa: E402
from collections.abc import Callable, Iterator  # noqa: E402
from dataclasses import dataclass, field  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Any  # noqa: E402

import httpx  # noqa: E402
import keyring  # noqa: E402
import keyring.backend  # noqa: E402
import pytest  # noqa: E402
from pystray import Menu, MenuItem  # noqa: E402
from pystray._base import Icon as BaseIcon  # noqa: E402
from sqlmodel import Session  # noqa: E402

from server.models import Signal, SignalStatus  # noqa: E402
from tests.fakes.keyring import MemoryKeyring  # noqa: E402
from tray.app import TrayApp, run_tray  # noqa: E402
from tray.compose import build_runtime  # noqa: E402
from tray.menu import RUN_VALUE, RunKeyAutostart, XdgAutostart, autostart_command  # noqa: E402
from tray.notify import Notifier  # noqa: E402
from tray.paths import resolve_paths  # noqa: E402
from tray.runtime import Runtime  # noqa: E402
from tray.settings import Settings  # noqa: E402
from tray.single_instance import is_running, request_quit  # noqa: E402
from tray.status import COLOURS, AppState, compute_status, icon_image  # noqa: E402
from tray.tunnel import TunnelState, TunnelStatus  # noqa: E402


class HeadlessIcon(BaseIcon):  # type: ignore[misc]
    """pystray's abstract icon with the platform hooks implemented as recorders (no display needed)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.calls: list[str] = []
        self.notifications: list[tuple[str | None, str]] = []
        self._loop_done = threading.Event()

    def _show(self) -> None:
        self.calls.append("show")

    def _hide(self) -> None:
        self.calls.append("hide")

    def _update_icon(self) -> None:
        self.calls.append("icon")
        self._icon_valid = True

    def _update_title(self) -> None:
        self.calls.append("title")

    def _update_menu(self) -> None:
        self.calls.append("menu")

    def _notify(self, message: str, title: str | None = None) -> None:
        self.notifications.append((title, message))

    def _remove_notification(self) -> None:
        pass

    def _run(self) -> None:
        self._mark_ready()
        self._loop_done.wait()

    def _stop(self) -> None:
        self._loop_done.set()


@dataclass
class Desktop:
    """Recorders for what the menu hands to the desktop."""

    clipboard: list[str] = field(default_factory=list)
    opened_urls: list[str] = field(default_factory=list)
    opened_folders: list[Path] = field(default_factory=list)

    def actions(self, autostart: Any) -> dict[str, Any]:
        return {"clipboard": self.clipboard.append, "open_url": self.opened_urls.append,
                "open_folder": self.opened_folders.append, "autostart": autostart}


@pytest.fixture(autouse=True)
def no_ngrok_token(monkeypatch: pytest.MonkeyPatch) -> Iterator[MemoryKeyring]:
    """An empty in-memory keyring and no NGROK_AUTHTOKEN: these tests run without a tunnel."""
    monkeypatch.delenv("NGROK_AUTHTOKEN", raising=False)
    previous = keyring.get_keyring()
    memory = MemoryKeyring()
    keyring.set_keyring(memory)
    yield memory
    keyring.set_keyring(previous)


def wait_until(predicate: Callable[[], Any], timeout: float = 15.0) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met within {timeout} s")
        time.sleep(0.02)


@dataclass
class Tray:
    app: TrayApp
    runtime: Runtime
    desktop: Desktop
    data_dir: Path

    @property
    def icon(self) -> HeadlessIcon:
        return self.app.icon  # type: ignore[no-any-return]

    @property
    def menu(self) -> Menu:
        return self.icon.menu

    def item(self, *path: str, menu: Menu | None = None) -> MenuItem:
        """The visible item whose text starts with ``path[0]`` (then inside its submenu, and so on)."""
        items = list(menu if menu is not None else self.menu)
        for entry in items:
            if entry.text.startswith(path[0]):
                return entry if len(path) == 1 else self.item(*path[1:], menu=entry.submenu)
        raise AssertionError(f"no menu item {path[0]!r} in {[i.text for i in items]}")

    def click(self, *path: str) -> None:
        self.item(*path)(self.icon)

    def post_alert(self, strategy_id: int, body: str) -> dict[str, Any]:
        assert self.runtime.ctx is not None
        service = self.runtime.ctx.strategies
        resp = httpx.post(service.webhook_url(service.get(strategy_id)), content=body.encode(), timeout=10)
        assert resp.status_code == 200, resp.text
        return dict(resp.json())

    def signal(self, signal_id: int) -> Signal:
        with Session(self.runtime.engine) as session:
            row = session.get(Signal, signal_id)
            assert row is not None
            return row

    def wait_final(self, signal_id: int) -> Signal:
        return wait_until(lambda: (s := self.signal(signal_id)).status != SignalStatus.PENDING and s)  # type: ignore[no-any-return]

    def admin(self) -> httpx.Client:
        assert self.runtime.ctx is not None
        return httpx.Client(base_url=self.runtime.admin_url, timeout=10,
                            headers={"Authorization": f"Bearer {self.runtime.ctx.admin_token}"})


def start_tray(tmp_path: Path, **settings: Any) -> Tray:
    data_dir = tmp_path / "data"
    settings_ = Settings(public_port=0, admin_port=0, **settings)
    runtime = build_runtime(settings_, resolve_paths(data_dir), spawn_agent=True)
    runtime.start()
    desktop = Desktop()
    autostart = XdgAutostart(tmp_path / "xdg-config", autostart_command(data_dir))
    app = TrayApp(runtime, icon_factory=HeadlessIcon, status_interval=0.2, **desktop.actions(autostart))
    return Tray(app, runtime, desktop, data_dir)


@pytest.fixture
def tray(tmp_path: Path) -> Iterator[Tray]:
    running = start_tray(tmp_path)
    yield running
    running.app.quit()


def first_strategy_id(tray: Tray) -> int:
    assert tray.runtime.ctx is not None
    strategy, _ = tray.runtime.ctx.strategies.list()[0]
    assert strategy.id is not None
    return strategy.id


# ---------------------------------------------------------------------------------------------------------


def test_menu_is_built_from_live_state(tray: Tray) -> None:
    assert tray.runtime.ctx is not None
    texts = [item.text for item in tray.menu]
    assert texts[0].startswith("● Degraded: ")  # no tunnel in this test: TradingView cannot reach us
    assert texts[1:] == [f"Public URL: {tray.runtime.public_base_url()}", "Copy webhook URL", "Strategies",
                         "Pause all trading", "- - - -", "Open dashboard", "Open log folder", "Start at login",
                         "- - - -", "Quit tvbridge"]
    assert tray.item("●").enabled is False and tray.item("●").checked is None
    [strategy_item] = list(tray.item("Strategies").submenu)
    assert (strategy_item.text, strategy_item.checked) == ("My first strategy", True)
    assert [i.text for i in tray.item("Copy webhook URL").submenu] == ["My first strategy"]
    assert tray.item("Pause all trading").checked is False
    assert tray.item("Start at login").checked is False and tray.item("Start at login").enabled is True
    assert tray.item("Open dashboard").default is True
    assert tray.icon.title.startswith("tvbridge: degraded - The public webhook tunnel is off")


def test_unchecking_a_strategy_disables_it_and_its_next_alert_is_discarded(tray: Tray) -> None:
    sid = first_strategy_id(tray)
    tray.click("Strategies", "My first strategy")
    assert tray.item("Strategies", "My first strategy").checked is False  # the submenu is read afresh
    with tray.admin() as admin:  # the same state the admin API serves (the same service call)
        assert admin.get(f"/api/v1/strategies/{sid}").json()["is_enabled"] is False
    answer = tray.post_alert(sid, '{"symbol": "EURUSD", "action": "buy", "volume": 0.01}')
    assert answer["status"] == "discarded"
    assert tray.signal(answer["signal_id"]).status == SignalStatus.DISCARDED

    tray.click("Strategies", "My first strategy")
    assert tray.item("Strategies", "My first strategy").checked is True
    answer = tray.post_alert(sid, '{"symbol": "EURUSD", "action": "buy", "volume": 0.03}')  # new body: no dedup
    assert answer["status"] == "pending"
    assert tray.wait_final(answer["signal_id"]).status == SignalStatus.EXECUTED


def test_strategies_created_elsewhere_appear_and_the_menu_is_rebuilt(tray: Tray) -> None:
    with tray.admin() as admin:
        created = admin.post("/api/v1/strategies", json={"name": "Breakout H1"}).json()
        admin.patch(f"/api/v1/strategies/{created['strategy_id']}", json={"is_enabled": False})
    assert [(i.text, i.checked) for i in tray.item("Strategies").submenu] == [
        ("My first strategy", True), ("Breakout H1", False)]
    tray.icon.calls.clear()
    tray.app.refresh()  # what the status loop does every few seconds
    assert "menu" in tray.icon.calls  # the data changed: the native menu is rebuilt (win32 needs this)
    tray.icon.calls.clear()
    tray.app.refresh()
    assert "menu" not in tray.icon.calls  # nothing changed: no rebuild


def test_pause_all_trading_discards_the_next_alert_until_resumed(tray: Tray) -> None:
    assert tray.runtime.ctx is not None
    sid = first_strategy_id(tray)
    tray.click("Pause all trading")
    assert tray.item("Pause all trading").checked is True
    assert tray.runtime.ctx.read_settings().trading_paused is True
    assert tray.icon.notifications[-1][0] == "Trading paused"
    answer = tray.post_alert(sid, '{"symbol": "EURUSD", "action": "sell", "volume": 0.01}')
    assert answer["status"] == "discarded"
    assert tray.signal(answer["signal_id"]).status == SignalStatus.DISCARDED
    assert any("paused" in r for r in tray.app.status().reasons)

    tray.click("Pause all trading")
    assert tray.runtime.ctx.read_settings().trading_paused is False
    answer = tray.post_alert(sid, '{"symbol": "EURUSD", "action": "sell", "volume": 0.04}')
    assert tray.wait_final(answer["signal_id"]).status == SignalStatus.EXECUTED


def test_copy_webhook_url_puts_the_exact_url_on_the_clipboard(tray: Tray) -> None:
    sid = first_strategy_id(tray)
    tray.click("Copy webhook URL", "My first strategy")
    with tray.admin() as admin:
        expected = admin.get(f"/api/v1/strategies/{sid}").json()["webhook_url"]
    assert tray.desktop.clipboard == [expected]
    assert expected.startswith(tray.runtime.public_base_url() + "/api/v1/webhooks/tv/")
    title, message = tray.icon.notifications[-1]
    assert title == "Webhook URL copied" and "TradingView" in message
    # and the copied URL really is the way in
    resp = httpx.post(expected, content=b'{"symbol": "USDJPY", "action": "buy", "volume": 0.01}', timeout=10)
    assert tray.wait_final(resp.json()["signal_id"]).status == SignalStatus.EXECUTED

    tray.click("Public URL")
    assert tray.desktop.clipboard[-1] == tray.runtime.public_base_url()


def test_open_dashboard_opens_a_single_use_sign_in_link(tray: Tray) -> None:
    assert tray.runtime.ctx is not None
    token = tray.runtime.ctx.admin_token
    tray.click("Open dashboard")
    [url] = tray.desktop.opened_urls
    base, _, code = url.partition("/sign-in#code=")
    assert base == tray.runtime.admin_url and len(code) >= 40
    assert token not in url  # the admin token never travels in a URL
    page = httpx.get(url.split("#")[0], timeout=10)
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    # the code signs a browser in once; the session reads the API with its CSRF token
    first = httpx.post(f"{base}/api/v1/auth/session", json={"code": code}, timeout=10)
    assert first.status_code == 200 and "tvbridge_session" in first.cookies
    csrf = first.json()["csrf_token"]
    listed = httpx.get(f"{base}/api/v1/strategies", cookies=first.cookies, headers={"X-CSRF-Token": csrf}, timeout=10)
    assert listed.status_code == 200
    again = httpx.post(f"{base}/api/v1/auth/session", json={"code": code}, timeout=10)
    assert again.status_code == 401 and "already used or has expired" in again.json()["detail"]
    # the token in a query string opens nothing
    assert httpx.get(f"{base}/api/v1/strategies?token={token}", timeout=10).status_code == 401


def test_open_log_folder(tray: Tray) -> None:
    tray.click("Open log folder")
    assert tray.desktop.opened_folders == [tray.runtime.paths.log_dir]


def test_start_at_login_writes_and_removes_the_xdg_autostart_entry(tray: Tray, tmp_path: Path) -> None:
    desktop_file = tmp_path / "xdg-config" / "autostart" / "tvbridge.desktop"
    tray.click("Start at login")
    assert tray.item("Start at login").checked is True
    text = desktop_file.read_text()
    assert "Exec=" in text and "--autostart" in text and str(tray.data_dir) in text
    tray.click("Start at login")
    assert tray.item("Start at login").checked is False
    assert not desktop_file.exists()


def test_run_key_autostart_logic_with_an_in_memory_registry() -> None:
    class DictRegistry(dict[str, str]):
        def get(self, name: str) -> str | None:  # type: ignore[override]
            return super().get(name)

        def set(self, name: str, value: str) -> None:
            self[name] = value

        def delete(self, name: str) -> None:
            self.pop(name, None)

    registry = DictRegistry()
    switch = RunKeyAutostart(registry, [r"C:\Users\Ann Lee\AppData\Local\Programs\tvbridge\tvbridge.exe",
                                        "--autostart"])
    assert not switch.is_enabled()
    switch.enable()
    # the same value the installer's [Registry] entry writes: "{app}\tvbridge.exe" --autostart
    assert registry == {RUN_VALUE: r'"C:\Users\Ann Lee\AppData\Local\Programs\tvbridge\tvbridge.exe" --autostart'}
    assert switch.is_enabled()
    switch.disable()
    switch.disable()  # idempotent
    assert registry == {} and not switch.is_enabled()


def test_notifications_for_an_executed_and_a_failed_signal(tray: Tray) -> None:
    sid = first_strategy_id(tray)
    ok = tray.post_alert(sid, '{"symbol": "EURUSD", "action": "buy", "volume": 0.02}')
    assert tray.wait_final(ok["signal_id"]).status == SignalStatus.EXECUTED
    title, message = wait_until(lambda: next((n for n in tray.icon.notifications
                                              if n[0] == f"Executed: signal #{ok['signal_id']}"), None))
    assert "EURUSD" in message and "My first strategy" in message and " at " in message

    # 90 lots need far more margin than the simulated 10,000 USD account has: the broker refuses
    bad = tray.post_alert(sid, '{"symbol": "EURGBP", "action": "buy", "volume": 90}')
    failed = tray.wait_final(bad["signal_id"])
    assert failed.status == SignalStatus.FAILED
    title, message = wait_until(lambda: next((n for n in tray.icon.notifications
                                              if n[0] == f"Failed: signal #{bad['signal_id']}"), None))
    assert failed.error_message and failed.error_message in message and "margin" in message.lower()


def test_refused_senders_over_the_threshold_raise_one_tray_notification(tray: Tray) -> None:
    old_url = f"{tray.runtime.public_base_url()}/api/v1/webhooks/tv/an-old-rotated-secret"
    for _ in range(10):
        assert httpx.post(old_url, content=b"{}", timeout=5).json()["status"] == "ignored"
    title, message = wait_until(lambda: next((n for n in tray.icon.notifications
                                              if n[0] == "tvbridge: refused senders"), None))
    assert message == "10 alerts to an unknown URL in 5 minutes — did you rotate a secret and not update TradingView?"


def test_quit_stops_the_runtime_in_order(tmp_path: Path) -> None:
    tray = start_tray(tmp_path)
    loop = threading.Thread(target=tray.icon.run, kwargs={"setup": tray.app.setup}, daemon=True)
    loop.start()
    try:
        wait_until(lambda: tray.icon.visible and tray.icon.notifications)
        assert tray.icon.notifications[0][0] == "tvbridge is running"
        admin_url = tray.runtime.admin_url
        assert httpx.get(f"{admin_url}/healthz", timeout=5).status_code == 200
        agent = tray.runtime.agent
        assert agent is not None and agent.proc is not None and agent.proc.poll() is None

        tray.click("Quit tvbridge")
        loop.join(10)
    finally:
        tray.app.quit()  # idempotent; ends the loop even when an assertion above failed
    assert not loop.is_alive()  # the icon loop ended
    with pytest.raises(httpx.TransportError):
        httpx.get(f"{admin_url}/healthz", timeout=2)  # the admin port no longer answers
    assert agent.proc.poll() is not None  # the agent process is gone
    assert tray.runtime.server is None and tray.runtime.engine is None
    assert compute_status(tray.runtime).state is AppState.STOPPED


def test_status_colour_and_tooltip_follow_the_agent_and_the_tunnel(tmp_path: Path) -> None:
    tray = start_tray(tmp_path, public_base_url="https://hooks.example.com")  # own reverse proxy: no tunnel needed
    try:
        report = wait_until(lambda: (r := tray.app.status()).state is AppState.RUNNING and r, timeout=20)
        assert report.tooltip == "tvbridge: running" and report.reasons == []
        tray.app.refresh()
        assert tray.icon.icon.getpixel((32, 32))[:3] == COLOURS["running"]
        assert tray.item("●").text == "● Running: alerts are traded"
        assert tray.item("Public URL").text == "Public URL: https://hooks.example.com"

        # AutoTrading switched off in the terminal: the agent reports it, the icon turns amber
        assert tray.runtime.writer is not None  # every write goes through the one writer
        from server.models import Agent

        def autotrading_off(session: Session) -> None:
            agent = session.get(Agent, "default")
            assert agent is not None
            agent.trade_allowed = False
            session.add(agent)
            session.commit()

        tray.runtime.writer.run_session(autotrading_off)
        report = tray.app.status()
        assert report.state is AppState.DEGRADED
        assert "AutoTrading is off" in report.reasons[0] and "AutoTrading" in report.tooltip
        assert len(report.tooltip) <= 127
    finally:
        tray.app.quit()
    assert icon_image("stopped").getpixel((32, 32))[:3] == COLOURS["stopped"]


def test_second_start_is_refused_and_tvbridge_quit_stops_the_first(tmp_path: Path) -> None:
    paths = resolve_paths(tmp_path / "data")
    settings = Settings(public_port=0, admin_port=0)
    codes: list[int] = []
    icons: list[HeadlessIcon] = []

    def factory(*args: Any) -> HeadlessIcon:
        icons.append(HeadlessIcon(*args))
        return icons[-1]

    first = threading.Thread(target=lambda: codes.append(
        run_tray(lambda: build_runtime(settings, paths, spawn_agent=False), paths, icon_factory=factory)),
        daemon=True)
    first.start()
    try:
        wait_until(lambda: icons and icons[0].visible)
        assert is_running(paths)

        started: list[HeadlessIcon] = []
        second = run_tray(lambda: pytest.fail("a second instance must not build anything"), paths,  # type: ignore[arg-type,return-value]
                          icon_factory=lambda *a: started.append(HeadlessIcon(*a)))
        assert second == 1 and started == []

        assert request_quit(paths, wait=15)  # what `tvbridge quit` and the uninstaller do
        first.join(10)
        assert codes == [0] and not is_running(paths)
    finally:
        request_quit(paths, wait=15)  # no-op when already stopped


def test_notifier_throttles_bursts_and_reports_tunnel_loss_and_recovery() -> None:
    shown: list[tuple[str, str]] = []
    notifier = Notifier(lambda message, title: shown.append((title, message)), burst=2, window=0.3)
    for i in range(5):
        status = SignalStatus.EXECUTED if i % 2 == 0 else SignalStatus.FAILED
        notifier.on_signal(Signal(id=i + 1, strategy_id=1, status=status, symbol="EURUSD", action="buy",
                                  volume=0.01, error_message=None if i % 2 == 0 else "Market closed."))
    notifier.on_signal(Signal(id=9, strategy_id=1, status=SignalStatus.DISCARDED))  # not worth a popup
    assert [t for t, _ in shown] == ["Executed: signal #1", "Failed: signal #2"]
    wait_until(lambda: len(shown) == 3, timeout=5)
    assert shown[2] == ("tvbridge", "3 more signals: 2 executed, 1 failed. See the signal log for details.")

    shown.clear()
    for state in (TunnelState.STARTING, TunnelState.ONLINE, TunnelState.ONLINE, TunnelState.RECONNECTING,
                  TunnelState.ERROR, TunnelState.ONLINE):
        notifier.on_tunnel(TunnelStatus(state, "https://a.ngrok-free.app", f"reason {state}"))
    assert shown == [("Tunnel lost: alerts cannot arrive", "reason reconnecting"),
                     ("Tunnel back online", "TradingView alerts reach tvbridge again at https://a.ngrok-free.app.")]
    notifier.close()


def test_a_tray_that_cannot_be_shown_stops_what_was_started(tmp_path: Path) -> None:
    """E.g. a backend that fails at icon creation: the agent child must not be left orphaned."""
    paths = resolve_paths(tmp_path / "data")
    built: list[Runtime] = []

    def runtime_factory() -> Runtime:
        built.append(build_runtime(Settings(public_port=0, admin_port=0), paths, spawn_agent=True))
        return built[-1]

    def broken_icon(*args: Any) -> HeadlessIcon:
        raise UnicodeEncodeError("latin-1", "…", 0, 1, "X11 window names are Latin-1")

    with pytest.raises(UnicodeEncodeError):
        run_tray(runtime_factory, paths, icon_factory=broken_icon)
    [runtime] = built
    assert runtime.server is None and runtime.agent is None  # stopped in order
    assert not is_running(paths)  # and the lock was released
