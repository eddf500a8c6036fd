"""The tray app: the runtime plus an icon in the notification area.

Order (:func:`run_tray`): single-instance lock → logging → runtime built → runtime started (listeners,
tunnel, agent) → icon loop on the MAIN thread (pystray wants it; macOS requires it). Quit (menu, or
``tvbridge quit``) stops in reverse: status loop and quit watcher → icon → runtime (agent, tunnel and its
ngrok child, listeners, database) → lock released.

If the runtime cannot start (a port taken, an unwritable folder), the icon still appears, red, with the
reason in its tooltip and a notification: a windowed app has no console to print to.
"""

from __future__ import annotations

import logging
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from tray.menu import TrayActions, build_menu, default_autostart
from tray.notify import Notifier
from tray.paths import AppPaths
from tray.runtime import Runtime
from tray.single_instance import ALREADY_RUNNING, QuitWatcher, SingleInstance
from tray.status import AppState, StatusReport, compute_status, icon_image

logger = logging.getLogger(__name__)

IconFactory = Callable[..., Any]  # (name, image, title, menu) -> pystray.Icon


def tray_available() -> tuple[bool, str]:
    """Whether a tray icon with a menu can be shown here, and if not, why (one plain sentence).

    Windows and macOS always have one. On Linux pystray needs a display, and only its appindicator and
    gtk backends have menus (the bare xorg fallback has none, so it is treated as "no tray").
    """
    import os

    if sys.platform.startswith("linux") and not (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")):
        return False, "No desktop session here (no DISPLAY)"
    try:
        import pystray
    except Exception as exc:  # Xlib errors and missing GTK typelibs are not ImportErrors
        return False, f"No system tray support ({type(exc).__name__}: {exc})"
    if not getattr(pystray.Icon, "HAS_MENU", False):
        return False, "The only tray backend here has no menus (install AppIndicator or GTK support)"
    return True, ""


def _pystray_icon(name: str, image: Any, title: str, menu: Any) -> Any:
    import pystray

    return pystray.Icon(name, image, title, menu)


class TrayApp:
    """Icon, menu, notifications and the status loop around a :class:`Runtime` (started or not).

    :param icon_factory: builds the icon (``pystray.Icon`` by default; tests pass a headless double).
    :param actions: overrides for :class:`TrayActions` fields (clipboard, open_url, autostart, ...).
    :param quiet: started at login: no "started" notification (failures are still shown).
    """

    def __init__(
        self,
        runtime: Runtime,
        *,
        icon_factory: IconFactory = _pystray_icon,
        start_error: str | None = None,
        quiet: bool = False,
        status_interval: float = 5.0,
        data_dir_arg: Path | None = None,
        quit_since: float | None = None,
        **actions: Any,
    ) -> None:
        self.runtime = runtime
        self.start_error = start_error
        self.quiet = quiet
        self.status_interval = status_interval
        self._quit_since = quit_since
        self._refresh_lock = threading.Lock()
        self._stop = threading.Event()
        self._quit_lock = threading.Lock()
        self._quitting = False
        self._stopped = threading.Event()
        self._thread: threading.Thread | None = None
        self._watcher: QuitWatcher | None = None
        self._last_state: AppState | None = None
        self._last_fingerprint: Any = None
        self.notifier = Notifier(self.notify, strategy_name=self._strategy_name)
        actions.setdefault("autostart", default_autostart(data_dir_arg))
        self.actions = TrayActions(runtime=runtime, status=self.status, refresh=self.refresh, notify=self.notify,
                                   quit=self.quit, **actions)
        report = self.status()
        self.icon = icon_factory("tvbridge", icon_image(report.state), "tvbridge", build_menu(self.actions))
        self._set_title(report.tooltip)
        # listeners last: they may fire at once from other threads and use the icon
        runtime.on_signal.append(self.notifier.on_signal)
        runtime.on_alarm.append(self.notifier.on_alarm)
        runtime.on_event.append(self.notifier.on_event)
        listeners = getattr(runtime.tunnel, "listeners", None)
        if isinstance(listeners, list):
            listeners.append(self.notifier.on_tunnel)
            listeners.append(lambda _status: self.refresh())

    # -- state ----------------------------------------------------------------------------------------

    def status(self) -> StatusReport:
        """The current status (see :mod:`tray.status`)."""
        return compute_status(self.runtime, start_error=self.start_error)

    def _strategy_name(self, strategy_id: int) -> str | None:
        ctx = self.runtime.ctx
        return ctx.strategies.get(strategy_id).name if ctx is not None else None

    def _fingerprint(self) -> Any:
        ctx = self.runtime.ctx
        if ctx is None or self.runtime.server is None:
            return None
        strategies = tuple((s.id, s.name, s.is_enabled) for s, _ in ctx.strategies.list())
        return strategies, ctx.read_settings().trading_paused, self.runtime.public_base_url()

    def refresh(self) -> None:
        """Re-read the status into the icon (colour, tooltip) and rebuild the menu when the data changed."""
        with self._refresh_lock:  # the status loop, tunnel changes and menu actions all refresh
            if self._quitting:
                return
            report = self.status()
            if report.state != self._last_state:
                self.icon.icon = icon_image(report.state)
                self._last_state = report.state
            self._set_title(report.tooltip)
            try:
                fingerprint = (self._fingerprint(), report)
            except Exception:
                logger.exception("could not read the menu data")
                fingerprint = None
            if fingerprint != self._last_fingerprint:
                self._last_fingerprint = fingerprint
                self.icon.update_menu()

    def _set_title(self, text: str) -> None:
        if not sys.platform.startswith(("win", "darwin")):
            # X11 window names are Latin-1 (pystray's xorg backend crashes on other characters)
            text = text.encode("latin-1", "replace").decode("latin-1")
        self.icon.title = text

    def notify(self, message: str, title: str | None = None) -> None:
        """Show a desktop notification (where the backend supports it)."""
        if getattr(self.icon, "HAS_NOTIFICATION", True):
            self.icon.notify(message, title)

    # -- lifecycle ------------------------------------------------------------------------------------

    def setup(self, icon: Any) -> None:
        """pystray's setup callback (runs on its own thread once the loop is ready)."""
        icon.visible = True
        self.refresh()
        self._thread = threading.Thread(target=self._status_loop, name="tvbridge-tray-status", daemon=True)
        self._thread.start()
        self._watcher = QuitWatcher(self.runtime.paths, self.quit, since=self._quit_since).start()
        if self.start_error:
            self.notify(self.start_error, "tvbridge could not start")
        elif not self.quiet:
            self.notify(f"Webhooks: {self.runtime.public_base_url()}", "tvbridge is running")

    def _status_loop(self) -> None:
        while not self._stop.wait(self.status_interval):
            try:
                self.refresh()
            except Exception:
                logger.exception("tray status refresh failed")

    def quit(self) -> None:
        """Stop everything in reverse order (idempotent; safe from the menu, the watcher or a signal)."""
        with self._quit_lock:
            first, self._quitting = not self._quitting, True
        if not first:  # another thread is stopping: wait for it, so nobody exits half-way
            self._stopped.wait(60.0)
            return
        logger.info("quitting")
        try:
            self._stop.set()
            if self._watcher is not None:
                self._watcher.stop()
            self.notifier.close()
            try:
                self._set_title("tvbridge: stopping...")
                self.icon.stop()
            finally:
                self.runtime.stop()
            logger.info("stopped")
        finally:
            self._stopped.set()


def run_tray(
    runtime_factory: Callable[[], Runtime],
    paths: AppPaths,
    *,
    quiet: bool = False,
    data_dir_arg: Path | None = None,
    icon_factory: IconFactory = _pystray_icon,
) -> int:
    """Run the tray app until Quit; returns the exit code (1 when another instance already runs)."""
    lock = SingleInstance(paths)
    if lock.already_running:
        logger.warning("second start refused: already running")
        _say(ALREADY_RUNNING)
        return 1
    try:
        runtime = runtime_factory()
        start_error = None
        try:
            runtime.start()
        except Exception as exc:
            logger.exception("tvbridge could not start")
            start_error = f"tvbridge could not start: {exc}"
            runtime.stop()
        try:
            lock.write_info(admin_url=runtime.admin_url if start_error is None else None, mode="tray")
            app = TrayApp(runtime, icon_factory=icon_factory, start_error=start_error, quiet=quiet,
                          data_dir_arg=data_dir_arg, quit_since=lock.acquired_at)
        except BaseException:  # no icon: stop what was started (the agent child must not be orphaned)
            runtime.stop()
            raise
        _quit_on_sigterm(app)
        try:
            app.icon.run(setup=app.setup)  # blocks on the main thread until Quit
        finally:
            app.quit()
        return 0 if start_error is None else 1
    finally:
        lock.release()


def _quit_on_sigterm(app: TrayApp) -> None:
    """SIGTERM (and Ctrl+C from a terminal) quit in order, off the signal handler's frame."""
    import signal

    def handler(*_: Any) -> None:
        threading.Thread(target=app.quit, name="tvbridge-quit", daemon=False).start()

    for sig in (signal.SIGTERM, signal.SIGINT):
        try:
            signal.signal(sig, handler)
        except ValueError:  # not the main thread (embedded use): leave the default handlers
            return


def _say(text: str) -> None:
    """Tell the user ``text``: a message box in a windowed Windows build (no console), else stderr."""
    if sys.platform == "win32" and getattr(sys, "frozen", False):  # pragma: no cover - Windows only
        import ctypes

        ctypes.windll.user32.MessageBoxW(None, text, "tvbridge", 0x40)  # type: ignore[attr-defined,unused-ignore]
        return
    stream = sys.stderr
    if stream is not None:
        try:
            stream.write(text + "\n")
            stream.flush()
        except (OSError, ValueError):
            pass
