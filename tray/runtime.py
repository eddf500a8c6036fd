"""The composition root: builds everything in order and stops it in reverse.

Start order: folders -> database (migrations) -> tokens -> services -> both listeners -> tunnel -> agent
process. Stop order is the reverse. ``tvbridge run`` and the tray app both use :class:`Runtime`; nothing runs
at import time.
"""

from __future__ import annotations

import gc
import json
import logging
import os
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import Engine

from server.agents import AgentService
from server.app import create_admin_app, create_public_app
from server.context import ServerContext
from server.db import make_engine, migrate
from server.intake import AlertIntake
from server.leases import Leases
from server.models import Signal
from server.notifications import NotificationService
from server.queue import JobQueue
from server.security import ADMIN_TOKEN_FILE, AGENT_TOKEN_FILE, SECURITY_KEY_FILE, load_or_create_token
from server.security_events import Alarm, Fingerprinter, SecurityMonitor
from server.serve import ServerThread
from server.strategies import StrategyService
from server.view import View
from server.writer import Writer
from tray.paths import AppPaths
from tray.settings import Settings

logger = logging.getLogger(__name__)

#: Written at start, removed at stop: ``{"pid", "admin_url", "public_url"}`` of the running instance.
RUNTIME_FILE = "runtime.json"


def agent_command(settings: Settings, paths: AppPaths, admin_url: str) -> list[str]:
    """The command line that starts this installation's agent process (frozen exe or ``python -m tray``)."""
    base = [sys.executable] if getattr(sys, "frozen", False) else [sys.executable, "-m", "tray"]
    return [
        *base,
        "agent",
        "--admin-url",
        admin_url,
        "--agent-id",
        settings.agent_id,
        "--data-dir",
        str(paths.data_dir),
        "--broker",
        settings.broker,
        "--lifeline",
    ]


def agent_environment(settings: Settings, agent_token: str) -> dict[str, str]:
    """The agent's environment: ours, plus every resolved setting as ``TVBRIDGE_*`` (so the child trades with
    exactly the settings this process resolved from file, environment and options) and the agent token."""
    env = dict(os.environ)
    for key, value in settings.model_dump().items():
        if value is not None:
            env[f"TVBRIDGE_{key.upper()}"] = str(value)
    env["TVBRIDGE_AGENT_TOKEN"] = agent_token
    return env


class AgentProcess:
    """Runs the agent as a child process and restarts it when it dies, with back-off: ``restart_delay`` seconds,
    doubling up to 30 s while it keeps dying, and back to ``restart_delay`` once a run lasted ``healthy_after``
    seconds (a crash after a day of trading is not the sixth crash in a row).

    The agent token goes through the environment, never the command line (visible to other processes).
    ``clock`` (monotonic seconds) is injectable for tests; ``delays`` records each back-off waited.
    """

    def __init__(
        self,
        command: list[str],
        env: dict[str, str],
        *,
        restart_delay: float = 1.0,
        healthy_after: float = 60.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.command = command
        self.env = env
        self.restart_delay = restart_delay
        self.healthy_after = healthy_after
        self._clock = clock
        self.proc: subprocess.Popen[bytes] | None = None
        self.restarts = 0
        self.delays: list[float] = []
        self._started_at = 0.0
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._supervise, name="agent-supervisor", daemon=True)

    def start(self) -> None:
        """Start the agent and its supervisor thread."""
        self._spawn()
        self._thread.start()

    def _spawn(self) -> None:
        stdio = subprocess.DEVNULL if sys.stderr is None else None
        # stdin is the agent's lifeline: we never write to it; EOF (our close in stop(), or the OS closing it
        # when this process dies, on every platform) tells the agent to finish its current job and exit.
        self.proc = subprocess.Popen(self.command, env=self.env, stdin=subprocess.PIPE, stdout=stdio, stderr=stdio)
        self._started_at = self._clock()
        logger.info("agent process started (pid %s)", self.proc.pid)

    def _supervise(self) -> None:
        delay = self.restart_delay
        while not self._stopping.is_set():
            assert self.proc is not None
            code = self.proc.wait()
            if self._stopping.is_set():
                return
            if self._clock() - self._started_at >= self.healthy_after:
                delay = self.restart_delay  # it ran well for a while: this is a new failure, not the same one
            logger.error("agent process exited with code %s; restarting in %.0f s", code, delay)
            self.delays.append(delay)
            if self._stopping.wait(delay):
                return
            self.restarts += 1
            self._spawn()
            delay = min(delay * 2, 30.0)

    def stop(self, timeout: float = 15.0) -> None:
        """Ask the agent to finish (closing its lifeline: it completes a trade in flight, then exits), then kill it
        after ``timeout`` seconds. ``terminate()`` is not the request: on Windows it is TerminateProcess."""
        self._stopping.set()
        if self.proc is None or self.proc.poll() is not None:
            return
        if self.proc.stdin is not None:
            self.proc.stdin.close()
        try:
            self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            logger.error("agent did not stop in %.0f s; killing it", timeout)
            self.proc.kill()
            self.proc.wait()


@dataclass
class Runtime:
    """The whole app in one object. ``start()``/``stop()``; ``stop()`` is idempotent.

    ``spawn_agent=False`` runs only the server (an agent is then started elsewhere, e.g. on the VPS beside MT5).
    ``on_signal`` listeners are called (from a worker thread) with every signal that reaches a final state;
    ``on_alarm`` listeners with every security alarm (refused senders crossed the threshold); ``on_event``
    listeners with every new ledger event (a strategy's trade closed by its SL/TP, a stop-out, by hand, by another
    strategy or an exit rule: ``server.ledger.schemas.EventOut``). Notifications to the trader's targets
    (``notifications``, apprise) listen to signals, alarms and the tunnel.
    """

    settings: Settings
    paths: AppPaths
    spawn_agent: bool = True
    on_signal: list[Callable[[Signal], None]] = field(default_factory=list)
    on_alarm: list[Callable[[Alarm], None]] = field(default_factory=list)
    on_event: list[Callable[[Any], None]] = field(default_factory=list)
    engine: Engine | None = None
    monitor: SecurityMonitor | None = None
    notifications: NotificationService | None = None
    writer: Writer | None = None
    ctx: ServerContext | None = None
    server: ServerThread | None = None
    agent: AgentProcess | None = None
    tunnel: Any = None

    def public_base_url(self) -> str:
        """The tunnel's URL when it is online, else the configured base URL, else the local public listener."""
        url = getattr(getattr(self.tunnel, "status", None), "public_url", None)
        if url:
            return str(url)
        if self.settings.public_base_url:
            return self.settings.public_base_url
        port = self.server.public_port if self.server else self.settings.public_port
        return f"http://127.0.0.1:{port}"

    @property
    def admin_url(self) -> str:
        """Base URL of the running admin listener."""
        port = self.server.admin_port if self.server else self.settings.admin_port
        return f"http://127.0.0.1:{port}"

    def _emit(self, signal: Signal) -> None:
        for listener in list(self.on_signal):
            try:
                listener(signal)
            except Exception:  # a broken listener must not break intake
                logger.exception("signal listener failed")

    def _alarm(self, alarm: Alarm) -> None:
        for listener in list(self.on_alarm):
            try:
                listener(alarm)
            except Exception:  # a broken listener must not silence the others
                logger.exception("alarm listener failed")

    def _strategy_name(self, strategy_id: int) -> str | None:
        return self.ctx.strategies.get(strategy_id).name if self.ctx is not None else None

    def _start_notifications(self, events: list[str] | None) -> NotificationService:
        """The notification targets (keyring URLs), listening to signals, alarms and the tunnel."""
        from tray.notify import TunnelWatch
        from tray.secrets import KeyringUrlStore

        service = NotificationService(KeyringUrlStore(), events, strategy_name=self._strategy_name)
        service.start()
        self.on_signal.append(service.on_signal)
        self.on_alarm.append(service.on_alarm)
        listeners = getattr(self.tunnel, "listeners", None)
        if isinstance(listeners, list):
            watch = TunnelWatch()

            def tunnel_changed(status: Any) -> None:
                shown = watch.change(status)
                if shown is not None:
                    service.on_tunnel(shown[1], shown[0])

            listeners.append(tunnel_changed)
        return service
    def _emit_event(self, event: Any) -> None:
        for listener in list(self.on_event):
            try:
                listener(event)
            except Exception:  # a broken listener must not break the agent's deal posts
                logger.exception("ledger event listener failed")

    def start(self) -> None:
        """Start everything. :raises ServerStartError: a port is taken. :raises OSError: data folder unwritable."""
        self.paths.ensure()
        migrations = make_engine(self.paths.database)
        migrate(migrations)
        migrations.dispose()
        # From here on only the writer writes; every other connection is a reader (server/db.py).
        self.engine = make_engine(self.paths.database, read_only=True)
        view = View()
        self.writer = Writer(self.paths.database, view, on_resolved=self._emit)
        self.writer.start()
        admin_token = load_or_create_token(self.paths.data_dir, ADMIN_TOKEN_FILE)
        agent_token = load_or_create_token(self.paths.data_dir, AGENT_TOKEN_FILE)
        self.monitor = SecurityMonitor(Fingerprinter(load_or_create_token(self.paths.data_dir, SECURITY_KEY_FILE)))
        self.monitor.on_alarm.append(self._alarm)
        self.monitor.start(self.writer)
        strategies = StrategyService(self.engine, self.public_base_url, self.writer)
        if not view.catalog.strategies:
            strategies.create("My first strategy")
            logger.info("created a first strategy with default volume 0.01 lots")
        jobs = JobQueue(self.writer, self.engine, Leases(self.settings.agent_lease_seconds))
        self.ctx = ServerContext(
            engine=self.engine,
            writer=self.writer,
            view=view,
            admin_token=admin_token,
            agent_token=agent_token,
            public_base_url=self.public_base_url,
            intake=AlertIntake(self.writer, view, jobs, self.monitor),
            strategies=strategies,
            agents=AgentService(self.writer, jobs.leases),
            queue=jobs,
            tunnel_status=self.tunnel_status,
            app_status=self.app_status,
            on_ledger_event=self._emit_event,
        )
        self.notifications = self._start_notifications(self.ctx.read_settings().notify_events)
        self.ctx.notifications = self.notifications
        self.server = ServerThread(
            create_public_app(self.ctx),
            create_admin_app(self.ctx),
            host=self.settings.host,
            public_port=self.settings.public_port,
            admin_port=self.settings.admin_port,
            before_stop=jobs.polls.shutdown,
        )
        self.server.start()
        # Everything built so far lives as long as the process: keep it out of the collector's full passes, which
        # otherwise walk every object of FastAPI, SQLAlchemy and pydantic and held intake for up to ~100 ms at
        # a time under a burst (docs/benchmarks.md).
        gc.collect()
        gc.freeze()
        logger.info("listening: public %s, admin %s", self.public_base_url(), self.admin_url)
        if self.tunnel is not None:
            self.tunnel.start()
        self._write_runtime_file()
        if self.spawn_agent:
            env = agent_environment(self.settings, agent_token)
            self.agent = AgentProcess(agent_command(self.settings, self.paths, self.admin_url), env)
            self.agent.start()

    @property
    def runtime_file(self) -> Path:
        """``runtime.json`` in the data folder: how CLI commands find this running instance."""
        return self.paths.data_dir / RUNTIME_FILE

    def _write_runtime_file(self) -> None:
        info = {"pid": os.getpid(), "admin_url": self.admin_url, "public_url": self.public_base_url()}
        tmp = self.runtime_file.with_suffix(".tmp")
        tmp.write_text(json.dumps(info), encoding="utf-8")
        os.replace(tmp, self.runtime_file)

    def app_status(self) -> dict[str, Any]:
        """The tray icon's state for ``GET /api/v1/status``: ``{"state", "reasons"}`` (see tray/status.py)."""
        from tray.status import compute_status  # status reads the runtime: imported late, no import cycle

        report = compute_status(self)
        return {"state": str(report.state), "reasons": list(report.reasons)}

    def sign_in_url(self) -> str:
        """A single-use dashboard sign-in link (valid for a minute). :raises RuntimeError: not started."""
        if self.ctx is None:
            raise RuntimeError("tvbridge is not running.")
        return self.ctx.sessions.sign_in_url(self.admin_url)

    def tunnel_status(self) -> dict[str, Any]:
        """The tunnel state for ``GET /api/v1/tunnel``."""
        status = getattr(self.tunnel, "status", None)
        if status is None:
            return {
                "state": "disabled",
                "public_url": None,
                "reason": "No tunnel configured: webhooks are reachable only on this PC.",
            }
        return {
            "state": str(status.state),
            "public_url": status.public_url,
            "reason": status.reason,
            "since": status.since.isoformat(),
        }

    def stop(self) -> None:
        """Stop in reverse order: agent, tunnel, listeners, the writer, database."""
        if self.agent is not None:
            self.agent.stop()
            self.agent = None
        if self.tunnel is not None:
            self.tunnel.stop()
        if self.server is not None:
            self.server.stop()
            self.server = None
            self.runtime_file.unlink(missing_ok=True)
        if self.notifications is not None:
            self.notifications.stop()
            self.notifications = None
        if self.monitor is not None:
            self.monitor.stop()  # its last counts go through the writer: before the writer stops
            self.monitor = None
        if self.writer is not None:
            self.writer.stop()
            self.writer = None
        if self.engine is not None:
            self.engine.dispose()
            self.engine = None
