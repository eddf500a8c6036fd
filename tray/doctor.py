"""``tvbridge doctor``: checks the things that stop alerts from trading, and says each in plain words.

Checks, in order: data folder writable · a running tvbridge (its admin API answers) · the broker (MT5
package importable, or the simulator) · the MT5 terminal reachable · AutoTrading on · ports free (or used
by this tvbridge) · ngrok authtoken present · ngrok program present · tunnel online (when running).

When tvbridge is running, terminal and AutoTrading come from what its agents last reported
(``GET /api/v1/agents``), so the doctor never opens a second connection to the terminal; otherwise it asks
the terminal directly (``initialize``/``terminal_info``/``shutdown``). Exit code 0 when every check passed
(skipped checks do not count), 1 otherwise.
"""

from __future__ import annotations

import importlib
import json
import os
import socket
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from types import ModuleType
from typing import Any

import httpx

from tray.compose import resolve_ngrok_path
from tray.paths import AppPaths
from tray.runtime import RUNTIME_FILE
from tray.secrets import find_ngrok_authtoken, get_mt5_password
from tray.settings import Settings
from tray.single_instance import read_instance_info

PASS, FAIL, SKIP = "ok", "FAIL", "skip"


@dataclass(frozen=True)
class Check:
    """One line of the report. ``status`` is :data:`PASS`, :data:`FAIL` or :data:`SKIP`."""

    name: str
    status: str
    message: str

    @property
    def failed(self) -> bool:
        return self.status == FAIL


@dataclass
class Running:
    """A running tvbridge as seen through its admin API (``None`` fields when a call failed)."""

    admin_url: str
    agents: list[dict[str, Any]] | None
    tunnel: dict[str, Any] | None


def _mt5_loader() -> ModuleType:
    return importlib.import_module("MetaTrader5")


def run_checks(
    settings: Settings,
    paths: AppPaths,
    *,
    mt5_loader: Callable[[], ModuleType] = _mt5_loader,
    platform: str = sys.platform,
) -> list[Check]:
    """Run every check and return them in order (never raises)."""
    checks = [check_data_folder(paths)]
    running = find_running(settings, paths)
    if running is None:
        checks.append(Check("tvbridge", SKIP, "tvbridge is not running; the checks that need it are skipped."))
    else:
        checks.append(Check("tvbridge", PASS, f"tvbridge is running (admin API {running.admin_url})."))
    checks += check_broker(settings, running, mt5_loader, platform)
    checks.append(check_ports(settings, running))
    checks += check_tunnel(settings, running)
    return checks


def exit_code(checks: list[Check]) -> int:
    """0 when no check failed, else 1."""
    return 1 if any(c.failed for c in checks) else 0


def format_report(checks: list[Check]) -> str:
    """The report as text lines: ``[ ok ] Name: message``."""
    lines = [f"[{c.status:^4}] {c.name}: {c.message}" for c in checks]
    failed = sum(c.failed for c in checks)
    lines.append("All checks passed." if not failed else f"{failed} check(s) failed: see above what to do.")
    return "\n".join(lines)


# -- individual checks ---------------------------------------------------------------------------------


def check_data_folder(paths: AppPaths) -> Check:
    """The data and log folders exist (or can be created) and accept a new file."""
    try:
        paths.ensure()
        for folder in (paths.data_dir, paths.log_dir):
            fd, name = tempfile.mkstemp(prefix=".doctor-", dir=folder)
            os.close(fd)
            os.unlink(name)
    except OSError as exc:
        return Check("Data folder", FAIL, f"tvbridge cannot write to its folder ({exc}). Free some disk space or "
                     "fix the folder's permissions.")
    return Check("Data folder", PASS, f"{paths.data_dir} is writable.")


def find_running(settings: Settings, paths: AppPaths, timeout: float = 2.0) -> Running | None:
    """The running tvbridge for ``paths``, found through ``instance.json`` or the configured admin port."""
    info = read_instance_info(paths) or {}
    urls = [u for u in (info.get("admin_url"), _runtime_file_url(paths), settings.admin_url) if u]
    try:
        token = (paths.data_dir / "admin-token").read_text(encoding="ascii").strip()
    except OSError:
        return None
    for url in dict.fromkeys(urls):
        try:
            with httpx.Client(base_url=url, headers={"Authorization": f"Bearer {token}"}, timeout=timeout) as http:
                if http.get("/healthz").status_code != 200:
                    continue
                agents = _get_json(http, "/api/v1/agents")
                tunnel = _get_json(http, "/api/v1/tunnel")
        except httpx.HTTPError:
            continue
        return Running(url, agents, tunnel)
    return None


def _runtime_file_url(paths: AppPaths) -> str | None:
    """The admin URL the running runtime wrote in ``runtime.json`` (right even with port 0)."""
    try:
        doc = json.loads((paths.data_dir / RUNTIME_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    url = doc.get("admin_url") if isinstance(doc, dict) else None
    return str(url) if url else None


def _get_json(http: httpx.Client, path: str) -> Any:
    resp = http.get(path)
    return resp.json() if resp.status_code == 200 else None


def check_broker(
    settings: Settings, running: Running | None, mt5_loader: Callable[[], ModuleType], platform: str
) -> list[Check]:
    """Broker package, terminal connection and AutoTrading."""
    agents = [a for a in (running.agents or []) if a.get("id") == settings.agent_id] if running else []
    agent = agents[0] if agents else None
    if settings.broker == "sim":
        where = " On this system (not Windows) the simulator is what tvbridge uses." if platform != "win32" else ""
        checks = [Check("Broker", PASS, "Paper trading on the built-in MetaTrader 5 simulator: no terminal "
                        f"needed, no real money.{where}")]
        checks.append(_autotrading_from_agent(agent, settings) if agent else
                      Check("AutoTrading", SKIP, "The simulator allows trading; start tvbridge to check its agent."))
        return checks
    try:
        module = mt5_loader()
    except ImportError:
        if platform != "win32":
            return [Check("Broker", FAIL, "broker is set to mt5, but MetaTrader 5 runs only on Windows: on this "
                          "system the simulator is used instead. Run `tvbridge config set broker sim`.")]
        return [Check("Broker", FAIL, "The MetaTrader5 Python package is missing: reinstall tvbridge.")]
    checks = [Check("Broker", PASS, "The MetaTrader5 package is installed.")]
    if agent is not None:
        connected = agent.get("terminal_connected")
        checks.append(Check("MT5 terminal", PASS if connected else FAIL,
                            "The agent is connected to MetaTrader 5." if connected else
                            f"The agent cannot reach MetaTrader 5: {agent.get('last_error') or 'no reason given'}. "
                            "Start the terminal and log in to your account."))
        checks.append(_autotrading_from_agent(agent, settings))
        return checks
    return checks + probe_terminal(module, settings)


def _autotrading_from_agent(agent: dict[str, Any], settings: Settings) -> Check:
    allowed = agent.get("trade_allowed")
    if allowed is None:
        return Check("AutoTrading", SKIP, f"Agent '{settings.agent_id}' has not reported AutoTrading yet.")
    if allowed:
        return Check("AutoTrading", PASS, "AutoTrading is on.")
    return Check("AutoTrading", FAIL, "AutoTrading is off in MetaTrader 5: press the AutoTrading (Algo Trading) "
                 "button in the terminal's toolbar so it turns green.")


def probe_terminal(module: Any, settings: Settings) -> list[Check]:
    """Connect to the terminal once (``module`` is ``MetaTrader5`` or a drop-in), read its state, disconnect."""
    kwargs: dict[str, Any] = {"timeout": 10_000}
    if settings.mt5_login is not None:
        kwargs["login"] = settings.mt5_login
        password = get_mt5_password(settings.mt5_login)
        if password:
            kwargs["password"] = password
        if settings.mt5_server:
            kwargs["server"] = settings.mt5_server
    args = (settings.mt5_path,) if settings.mt5_path else ()
    try:
        if not module.initialize(*args, **kwargs):
            code, text = module.last_error()
            return [Check("MT5 terminal", FAIL, f"MetaTrader 5 did not answer ({text}, code {code}). Is the "
                          "terminal installed, running and logged in to your account?"),
                    Check("AutoTrading", SKIP, "Cannot tell while the terminal is unreachable.")]
        info = module.terminal_info()
    finally:
        try:
            module.shutdown()
        except Exception:  # noqa: S110 - best effort: the doctor is done with the terminal either way
            pass
    checks = [Check("MT5 terminal", PASS if info.connected else FAIL,
                    "MetaTrader 5 answers and is connected to the broker." if info.connected else
                    "MetaTrader 5 answers but has no connection to the broker's server: check its internet "
                    "connection and login.")]
    checks.append(Check("AutoTrading", PASS, "AutoTrading is on.") if info.trade_allowed else
                  Check("AutoTrading", FAIL, "AutoTrading is off in MetaTrader 5: press the AutoTrading (Algo "
                        "Trading) button in the terminal's toolbar so it turns green."))
    return checks


def port_free(host: str, port: int) -> bool:
    """True when nothing listens on ``host:port`` (we could bind it)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        if sys.platform == "win32":  # pragma: no cover - Windows: refuse to share the port like uvicorn would
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_EXCLUSIVEADDRUSE, 1)  # type: ignore[attr-defined,unused-ignore]
        else:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as uvicorn binds
        try:
            sock.bind((host, port))
        except OSError:
            return False
    return True


def check_ports(settings: Settings, running: Running | None) -> Check:
    """Both listener ports are free, or held by this tvbridge."""
    if running is not None:
        return Check("Ports", PASS, "The ports are in use by this running tvbridge.")
    taken = [
        f"{port} ({what})"
        for what, port, key in (("webhooks", settings.public_port, "public_port"),
                                ("admin", settings.admin_port, "admin_port"))
        if port and not port_free(settings.host, port)
    ]
    if not taken:
        return Check("Ports", PASS, f"Ports {settings.public_port} and {settings.admin_port} are free.")
    return Check("Ports", FAIL, f"Port {' and '.join(taken)} is used by another program. Close it, or choose "
                 "another port, e.g. `tvbridge config set public_port 8775` (then update your TradingView URLs "
                 "only if you do not use the tunnel).")


def check_tunnel(settings: Settings, running: Running | None) -> list[Check]:
    """Token present, ngrok present, tunnel online (when running)."""
    lookup = find_ngrok_authtoken()
    checks: list[Check] = []
    if lookup.value:
        checks.append(Check("ngrok authtoken", PASS, f"An ngrok authtoken is set (from the {lookup.source})."))
    elif settings.public_base_url:
        checks.append(Check("ngrok authtoken", SKIP, f"No tunnel needed: webhooks use {settings.public_base_url}."))
        return checks
    else:
        hint = f" Note: {lookup.problem}" if lookup.problem else ""
        checks.append(Check("ngrok authtoken", FAIL, "No ngrok authtoken is set, so TradingView cannot reach this PC. "
                            "Copy yours from dashboard.ngrok.com and run `tvbridge secret set ngrok-authtoken`."
                            f"{hint}"))
    ngrok_path = resolve_ngrok_path(settings)
    if ngrok_path and os.path.isfile(ngrok_path):
        checks.append(Check("ngrok program", PASS, f"{ngrok_path}"))
    else:
        where = f" at {ngrok_path}" if ngrok_path else ""
        checks.append(Check("ngrok program", FAIL, f"The ngrok program was not found{where}. Download it from "
                            "ngrok.com/download and run `tvbridge config set ngrok_path <path to ngrok>` (an "
                            "installer built with ngrok bundled needs no setting)."))
    if running is None:
        checks.append(Check("Tunnel", SKIP, "tvbridge is not running."))
    elif running.tunnel is None:
        checks.append(Check("Tunnel", FAIL, "The running tvbridge did not report its tunnel."))
    elif running.tunnel.get("state") == "online":
        checks.append(Check("Tunnel", PASS, f"Online: TradingView reaches {running.tunnel.get('public_url')}."))
    else:
        state, reason = running.tunnel.get("state"), running.tunnel.get("reason")
        checks.append(Check("Tunnel", FAIL, f"The tunnel is {state}: {reason}"))
    return checks
