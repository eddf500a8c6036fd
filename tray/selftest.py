"""``tvbridge self-test``: proves this installation can take an alert and trade it, end to end, in seconds.

It starts the real runtime in-process in a temporary data folder, on ports the OS picks (port 0), with the
real agent as a child process (in a frozen build ``sys.executable agent …``, see ``Runtime``) trading on the
simulator; posts one alert over HTTP to the first strategy's webhook URL on the public listener, exactly as
TradingView would; waits for the signal to reach a final state; stops everything and deletes the folder.

Exit code 0 only when the signal was ``executed`` on the simulator. It never touches the user's data, real
MetaTrader 5, the tunnel or the keyring, so it is safe on a trader's PC and in CI. It also checks that the
frozen bundle carries what PyInstaller cannot see (alembic migration scripts, pystray and keyring backends).
It works in a windowed build with no stdout/stderr: ``tray.cli.main`` installs the stream shim first.
"""

from __future__ import annotations

import importlib.machinery
import importlib.util
import json
import logging
import queue
import shutil
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from server.models import FINAL_STATUSES, Signal
from tray.compose import build_runtime
from tray.logs import setup_logging, teardown_logging
from tray.paths import resolve_paths
from tray.settings import Settings

logger = logging.getLogger(__name__)

#: The alert the self-test sends (a JSON alert in TradingView's common shape).
ALERT = b'{"symbol": "EURUSD", "action": "buy", "volume": 0.01, "comment": "tvbridge self-test"}'

#: Modules a frozen build must carry although nothing imports them by name at analysis time.
BUNDLE_MODULES = {
    "all": ["pystray._base", "pystray._dummy", "keyring.backends.fail", "uvicorn.protocols.http.h11_impl",
            "uvicorn.lifespan.on", "uvicorn.loops.asyncio", "agent.mt5sim", "alembic.ddl.sqlite"],
    "win32": ["pystray._win32", "keyring.backends.Windows", "MetaTrader5"],
    "linux": ["pystray._xorg", "pystray._gtk", "pystray._appindicator", "keyring.backends.SecretService"],
}


@dataclass
class SelfTestResult:
    """What happened; ``ok`` is the verdict. Serialised to ``--report`` as JSON."""

    ok: bool = False
    status: str | None = None
    error_message: str | None = None
    steps: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    frozen: bool = bool(getattr(sys, "frozen", False))
    streams_shimmed: bool = False
    seconds: float = 0.0
    details: dict[str, Any] = field(default_factory=dict)

    def step(self, text: str) -> None:
        logger.info("self-test: %s", text)
        self.steps.append(text)

    def problem(self, text: str) -> None:
        logger.error("self-test: %s", text)
        self.problems.append(text)


def check_bundle(platform: str = sys.platform) -> list[str]:
    """Missing pieces of the bundle (empty when complete); meaningful mostly in a frozen build."""
    from server.db import MIGRATIONS_DIR

    missing = []
    for name in ("env.py", "script.py.mako"):
        if not (MIGRATIONS_DIR / name).is_file():
            missing.append(f"migration file {MIGRATIONS_DIR / name}")
    if not list((MIGRATIONS_DIR / "versions").glob("*.py")):
        missing.append(f"migration scripts in {MIGRATIONS_DIR / 'versions'}")
    static = MIGRATIONS_DIR.with_name("static")  # the dashboard (served by the admin app at /) and /docs
    for page in ("index.html", "docs.html", "app/main.js", "vendor/preact-htm/standalone.module.js",
                 "vendor/swagger-ui/swagger-ui-bundle.js"):
        if not (static / page).is_file():
            missing.append(f"dashboard file {static / page}")
    key = "win32" if platform == "win32" else "linux" if platform.startswith("linux") else ""
    for module in BUNDLE_MODULES["all"] + BUNDLE_MODULES.get(key, []):
        if not module_present(module):
            missing.append(f"module {module}")
    return missing


def module_present(name: str) -> bool:
    """Whether module ``name`` can be found, WITHOUT importing it or its parent packages.

    ``importlib.util.find_spec("pystray._xorg")`` would import ``pystray``, whose ``__init__`` picks a
    backend and crashes on a headless Linux box; walking the parents' search paths with ``PathFinder``
    avoids that. In a PyInstaller 6 build the frozen importer is a path hook, so this finds bundled
    modules too.
    """
    parts = name.split(".")
    try:
        spec = importlib.util.find_spec(parts[0])
        for i in range(1, len(parts)):
            if spec is None or spec.submodule_search_locations is None:
                return False
            spec = importlib.machinery.PathFinder.find_spec(".".join(parts[: i + 1]),
                                                            list(spec.submodule_search_locations))
    except (ImportError, ValueError):
        return False
    return spec is not None


def run_selftest(*, timeout: float = 60.0, keep: bool = False, streams_shimmed: bool = False) -> SelfTestResult:
    """Run the self-test (see the module docstring). Never raises; the verdict is ``result.ok``."""
    started = time.monotonic()
    result = SelfTestResult(streams_shimmed=streams_shimmed)
    root = Path(tempfile.mkdtemp(prefix="tvbridge-selftest-"))
    paths = resolve_paths(root / "data")
    runtime = None
    try:
        paths.ensure()
        setup_logging(paths.log_dir, "selftest")
        _quiet_console()  # the verdict and steps are printed; the full log is in the (--keep) folder
        result.details["data_dir"] = str(paths.data_dir)
        missing = check_bundle()
        for item in missing:
            result.problem(f"missing from the bundle: {item}")
        result.step("bundle checked" + (f" ({len(missing)} missing)" if missing else ""))
        result.details["keyring"] = _keyring_backend()

        finals: queue.Queue[Signal] = queue.Queue()
        settings = Settings(public_port=0, admin_port=0, broker="sim", agent_id="default", public_base_url=None)
        runtime = build_runtime(settings, paths, spawn_agent=True, tunnel=False)
        runtime.on_signal.append(finals.put)
        runtime.start()
        assert runtime.ctx is not None and runtime.server is not None
        agent_pid = runtime.agent.proc.pid if runtime.agent is not None and runtime.agent.proc is not None else None
        result.step(f"runtime started: public port {runtime.server.public_port}, admin port "
                    f"{runtime.server.admin_port}, agent pid {agent_pid}")

        strategy, _count = runtime.ctx.strategies.list()[0]
        url = runtime.ctx.strategies.webhook_url(strategy)
        resp = httpx.post(url, content=ALERT, headers={"Content-Type": "text/plain"}, timeout=10)
        answer = resp.json()
        result.step(f"alert posted over HTTP: {resp.status_code} {answer.get('status')}")
        signal_id = answer.get("signal_id")
        if resp.status_code != 200 or signal_id is None:
            result.problem(f"the webhook answered {resp.status_code}: {answer}")
            return result

        final = _wait_final(runtime, finals, int(signal_id), started + timeout)
        if final is None:
            result.problem(f"signal #{signal_id} was not resolved within {timeout:g} s (is the agent starting?)")
            return result
        result.status, result.error_message = str(final.status), final.error_message
        result.details.update(fill_price=final.fill_price, order_ticket=final.order_ticket)
        result.step(f"signal #{signal_id} {final.status}" + (f": {final.error_message}" if final.error_message else ""))
        if final.status != "executed":
            result.problem(f"the alert was not executed: {final.status} {final.error_message or ''}".strip())
        result.ok = not result.problems
        return result
    except Exception as exc:
        logger.exception("self-test failed")
        result.problem(f"{type(exc).__name__}: {exc}")
        return result
    finally:
        if runtime is not None:
            runtime.stop()
            result.step("runtime stopped")
        result.seconds = round(time.monotonic() - started, 3)
        teardown_logging()
        if keep:
            result.details["kept"] = str(root)
        else:
            shutil.rmtree(root, ignore_errors=True)


def _wait_final(runtime: Any, finals: queue.Queue[Signal], signal_id: int, deadline: float) -> Signal | None:
    """The signal once final: from the on_signal notification, or read from the database as a fallback."""
    from sqlmodel import Session

    while time.monotonic() < deadline:
        try:
            signal = finals.get(timeout=0.25)
            if signal.id == signal_id:
                return signal
        except queue.Empty:
            pass
        with Session(runtime.engine) as session:
            row = session.get(Signal, signal_id)
            if row is not None and row.status in FINAL_STATUSES:
                return row
    return None


def _quiet_console() -> None:
    root = logging.getLogger()
    for handler in list(root.handlers):
        if type(handler) is logging.StreamHandler and getattr(handler, "_tvbridge", False):
            root.removeHandler(handler)


def _keyring_backend() -> str:
    """The active keyring backend's class name (``WinVaultKeyring`` on Windows); read only, nothing stored."""
    try:
        from tray.secrets import backend_name

        return backend_name()
    except Exception as exc:  # reported, not fatal: the self-test is about the alert path
        return f"unavailable ({type(exc).__name__})"


def report_json(result: SelfTestResult) -> str:
    """The result as JSON (for ``--report``)."""
    return json.dumps(result.__dict__, indent=2, default=str)
