"""Builds the :class:`~tray.runtime.Runtime` the way every entry point needs it: the tray app, ``tvbridge run``
and ``tvbridge self-test`` all call :func:`build_runtime`, so a configured ngrok authtoken opens the tunnel in
each of them.

The tunnel and the public port. With ``public_port = 0`` the operating system picks the port when the
listener starts, so the tunnel's upstream is not known when the runtime is built. Instead of guessing a free
port beforehand (racy) or starting the tunnel after the runtime (out of the documented start order), the
runtime gets a :class:`PortBoundTunnel`: it stands in ``runtime.tunnel`` from the start, and
``Runtime.start()`` calls its ``start()`` right after both listeners are up and before the agent starts;
only then does it create the real :class:`~tray.tunnel.TunnelSupervisor`, pointed at
``http://127.0.0.1:<bound public port>``. ``Runtime.stop()`` stops it in reverse order as usual.
"""

from __future__ import annotations

import logging
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from tray.paths import AppPaths
from tray.runtime import Runtime
from tray.secrets import find_ngrok_authtoken
from tray.settings import Settings
from tray.tunnel import TunnelState, TunnelStatus, TunnelSupervisor

logger = logging.getLogger(__name__)

NGROK_EXE = "ngrok.exe" if sys.platform == "win32" else "ngrok"


def bundled_ngrok() -> Path | None:
    """The ngrok agent shipped inside a frozen build (``<bundle>/bin/ngrok[.exe]``), if there is one.

    In a PyInstaller onedir build the bundle is ``sys._MEIPASS`` (``_internal`` next to the exe); the
    folder beside the exe is tried too, for an installer that drops ngrok there. Never downloaded.
    """
    if not getattr(sys, "frozen", False):
        return None
    roots = [Path(getattr(sys, "_MEIPASS", "")), Path(sys.executable).resolve().parent]
    for root in roots:
        candidate = root / "bin" / NGROK_EXE
        if candidate.is_file():
            return candidate
    return None


def resolve_ngrok_path(settings: Settings) -> str | None:
    """The ngrok agent to run: the ``ngrok_path`` setting, else the bundled one, else ``None``."""
    if settings.ngrok_path:
        return settings.ngrok_path
    found = bundled_ngrok()
    return str(found) if found else None


def tunnel_config_dir(paths: AppPaths) -> Path:
    """The private folder of the tunnel: our ``ngrok.yml`` (no token inside) and ``ngrok.pid``."""
    return paths.data_dir / "ngrok"


class PortBoundTunnel:
    """``runtime.tunnel``: a :class:`TunnelSupervisor` created at ``start()`` for the bound public port.

    Same surface as the supervisor (``start``, ``stop``, ``status``, ``wait_for``); ``listeners`` are called
    with every :class:`TunnelStatus` change (tray notifications and icon colour). ``supervisor`` is the live
    supervisor once started.
    """

    def __init__(
        self,
        public_port: Callable[[], int],
        *,
        ngrok_path: str | None,
        authtoken: str,
        domain: str | None,
        config_dir: Path,
        options: dict[str, Any] | None = None,
    ) -> None:
        self._public_port = public_port
        self._ngrok_path = ngrok_path
        self._authtoken = authtoken
        self._domain = domain
        self._config_dir = config_dir
        self._options = dict(options or {})
        self._lock = threading.Lock()
        self.supervisor: TunnelSupervisor | None = None
        self.listeners: list[Callable[[TunnelStatus], None]] = []

    def __repr__(self) -> str:  # the token stays out of reprs and tracebacks
        return f"PortBoundTunnel(ngrok_path={self._ngrok_path!r}, domain={self._domain!r}, status={self.status!r})"

    @property
    def upstream_url(self) -> str:
        """Where the tunnel forwards to: the public listener on loopback."""
        return f"http://127.0.0.1:{self._public_port()}"

    def start(self) -> None:
        """Create and start the supervisor (returns at once; the tunnel comes up in the background)."""
        with self._lock:
            if self.supervisor is not None and self.supervisor.status.state is not TunnelState.STOPPED:
                return
            self.supervisor = TunnelSupervisor(
                upstream_url=self.upstream_url,
                ngrok_path=self._ngrok_path,
                authtoken=self._authtoken,
                domain=self._domain,
                config_dir=self._config_dir,
                on_change=self._changed,
                **self._options,
            )
            supervisor = self.supervisor
        supervisor.start()

    def stop(self) -> None:
        """Stop the supervisor: our endpoint is deleted and our ngrok agent killed (never anyone else's)."""
        with self._lock:
            supervisor = self.supervisor
        if supervisor is not None:
            supervisor.stop()

    @property
    def status(self) -> TunnelStatus:
        """The supervisor's status, or STOPPED before the first start."""
        supervisor = self.supervisor
        if supervisor is None:
            return TunnelStatus(TunnelState.STOPPED, None, "The tunnel has not been started yet.")
        return supervisor.status

    def wait_for(self, state: TunnelState, timeout: float) -> bool:
        """Block until the tunnel reaches ``state`` (see :meth:`TunnelSupervisor.wait_for`)."""
        supervisor = self.supervisor
        return supervisor.wait_for(state, timeout) if supervisor is not None else False

    def _changed(self, status: TunnelStatus) -> None:
        for listener in list(self.listeners):
            try:
                listener(status)
            except Exception:  # a broken listener must not break the tunnel
                logger.exception("tunnel listener failed")


def build_runtime(
    settings: Settings,
    paths: AppPaths,
    *,
    spawn_agent: bool = True,
    tunnel: bool = True,
    authtoken: str | None = None,
    tunnel_options: dict[str, Any] | None = None,
) -> Runtime:
    """The runtime for ``settings``/``paths``, not started yet.

    With ``tunnel`` and an ngrok authtoken (``authtoken``, else the keyring, else ``NGROK_AUTHTOKEN``),
    ``runtime.tunnel`` is a :class:`PortBoundTunnel` that ``Runtime.start()`` starts once the public port is
    bound. ``tunnel_options`` go to :class:`TunnelSupervisor` (timings). Without a token there is no tunnel
    and webhooks reach only this PC (or ``public_base_url``).
    """
    runtime = Runtime(settings, paths, spawn_agent=spawn_agent)
    if not tunnel:
        return runtime
    token = authtoken
    if token is None:
        lookup = find_ngrok_authtoken()
        token = lookup.value
        if token:
            logger.info("ngrok authtoken found in the %s", lookup.source)
    if not token:
        logger.info("no ngrok authtoken: the public tunnel is off")
        return runtime

    def public_port() -> int:
        return runtime.server.public_port if runtime.server is not None else settings.public_port

    runtime.tunnel = PortBoundTunnel(
        public_port,
        ngrok_path=resolve_ngrok_path(settings),
        authtoken=token,
        domain=settings.ngrok_domain,
        config_dir=tunnel_config_dir(paths),
        options=tunnel_options,
    )
    return runtime
