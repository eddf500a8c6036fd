"""The ngrok tunnel supervisor: keeps TradingView's way in (a public https URL) alive, and says why not.

One :class:`TunnelSupervisor` owns one ngrok agent process, started through pyngrok 9 with an explicit
``PyngrokConfig`` (our own ``ngrok.yml`` in ``config_dir``, an explicit existing ``ngrok_path``: pyngrok is
never allowed to download anything). All work runs on one daemon thread; the public methods return at once.

State machine (:class:`TunnelState`)::

    DISABLED                      no authtoken: nothing is started
    STARTING ──connect ok──▶ ONLINE ──session not online──▶ RECONNECTING ──back online──▶ ONLINE
        │                      │                               │
        │ error / deadline     │ agent died / endpoint gone     │ still down after reconnect_grace
        ▼                      ▼                               ▼
      ERROR ◀──────────────────┴───────────────────────────────┘   (agent killed, back-off, then STARTING)
    any state ──stop()──▶ STOPPED

Detection ladder, every ``check_interval`` seconds or at once when the agent logs an error: agent process
alive → ``GET /api/status`` says ``online`` → our endpoint still listed. While the session is down the agent
reconnects by itself; we only kill and restart it after ``reconnect_grace`` seconds. Restarts back off
exponentially from ``backoff_initial`` to ``backoff_max`` seconds; a refused authtoken (ERR_NGROK_4018)
waits ``backoff_max`` at once, because retrying quickly cannot fix it.

pyngrok pitfalls handled here (reference desktop-shell.md §1.6): the log callback never raises (an
exception would silently kill pyngrok's monitor thread and, with it, the pipe draining); ``connect()`` runs
on a worker thread under our own deadline because a silent agent makes it block forever; the authtoken is
redacted from every log record, including the agent lines pyngrok logs verbatim.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from pyngrok import process
from pyngrok.conf import PyngrokConfig
from pyngrok.log import NgrokLog
from pyngrok.ngrok import NgrokTunnel
from pyngrok.process import NgrokProcess

from tray import tunnel_agent as agentlib
from tray import tunnel_status as texts
from tray.tunnel_status import AgentError, TunnelState, TunnelStatus

__all__ = ["ENDPOINT_NAME", "TunnelState", "TunnelStatus", "TunnelSupervisor"]

logger = logging.getLogger(__name__)

#: The name of our endpoint on the agent (one agent per supervisor, so one name is enough).
ENDPOINT_NAME = "tvbridge-webhooks"


class _Failed(Exception):
    """Internal: an attempt failed or the running agent must be replaced.

    ``reason`` is plain text for the trader; ``delay_max`` forces the longest back-off (refused token);
    ``ran_well`` (set by the loop) says the agent had been online long enough to reset the back-off.
    """

    def __init__(self, reason: str, *, delay_max: bool = False) -> None:
        super().__init__(reason)
        self.reason = reason
        self.delay_max = delay_max
        self.ran_well = False


class TunnelSupervisor:
    """Start, watch and restart one ngrok agent + endpoint that forwards to ``upstream_url``.

    :param upstream_url: the local public listener, e.g. ``http://127.0.0.1:8765`` (a bare port is
        accepted; ``localhost`` is rewritten to ``127.0.0.1`` because it can resolve to ``::1`` on Windows).
    :param ngrok_path: the ngrok executable to run. ``None`` or a missing file → ERROR (never downloaded).
    :param authtoken: the ngrok authtoken, resolved by the caller (keyring or ``NGROK_AUTHTOKEN``).
        ``None``/empty → DISABLED. It is passed to the agent on its command line (pyngrok's way) and is
        redacted from every log record and reason.
    :param domain: the reserved/dev domain to publish (``my-app.ngrok-free.app`` or a full ``https://`` URL);
        ``None`` lets ngrok pick one.
    :param config_dir: a private folder for our ``ngrok.yml`` and ``ngrok.pid`` (created if missing).
    :param on_change: called with the new :class:`TunnelStatus` on every change of state, URL or reason,
        outside any lock, from the supervisor thread (or the caller's, for start/stop). Exceptions it
        raises are logged and ignored.
    :param check_interval: seconds between health checks while running.
    :param connect_deadline: seconds one start (agent launch + endpoint creation) may take before the agent
        is killed and the attempt counts as failed.
    :param reconnect_grace: seconds the agent may spend reconnecting by itself before it is restarted.
    :param backoff_initial: first delay, in seconds, before a restart; doubles on each failure...
    :param backoff_max: ...up to this many seconds (also the delay after a refused authtoken).
    :raises ValueError: on a malformed ``upstream_url`` or a non-positive interval.
    """

    def __init__(
        self,
        *,
        upstream_url: str,
        ngrok_path: str | None,
        authtoken: str | None,
        domain: str | None = None,
        config_dir: Path,
        on_change: Callable[[TunnelStatus], None] | None = None,
        check_interval: float = 5.0,
        connect_deadline: float = 20.0,
        reconnect_grace: float = 60.0,
        backoff_initial: float = 1.0,
        backoff_max: float = 60.0,
    ) -> None:
        for name, value in (("check_interval", check_interval), ("connect_deadline", connect_deadline),
                            ("backoff_initial", backoff_initial), ("backoff_max", backoff_max)):
            if value <= 0:
                raise ValueError(f"{name} must be > 0 seconds, got {value!r}")
        if reconnect_grace < 0:
            raise ValueError(f"reconnect_grace must be >= 0 seconds, got {reconnect_grace!r}")
        self._upstream_url = texts.normalise_upstream(upstream_url)
        self._ngrok_path = ngrok_path
        self._authtoken = authtoken or None
        self._domain = texts.normalise_domain(domain) if domain else None
        self._config_dir = Path(config_dir)
        self._config_path = str(self._config_dir / "ngrok.yml")
        self._on_change = on_change
        self._check_interval = check_interval
        self._connect_deadline = connect_deadline
        self._reconnect_grace = reconnect_grace
        self._backoff_initial = backoff_initial
        self._backoff_max = max(backoff_max, backoff_initial)
        # seconds for one agent API call made by a health check
        self._probe_timeout = min(4.0, max(0.5, check_interval))

        self._lock = threading.Lock()
        self._changed = threading.Condition(self._lock)
        self._status = TunnelStatus(TunnelState.STOPPED, None, "The tunnel has not been started.")
        self._entered: dict[TunnelState, int] = dict.fromkeys(TunnelState, 0)
        self._notify_lock = threading.RLock()  # keeps on_change calls in order

        self._stop = threading.Event()
        self._wake = threading.Event()
        self._thread: threading.Thread | None = None
        self._started = False
        self._stopped = False

        self._agent_lock = threading.Lock()
        self._agent: NgrokProcess | None = None
        self._tunnel: NgrokTunnel | None = None
        self._launch: agentlib.AgentLaunch | None = None  # the start attempt in progress
        self._generation = 0
        self._last_error: tuple[int, AgentError] | None = None  # (generation, error)
        self._redaction: agentlib.RedactingFilter | None = None

    # ------------------------------------------------------------------------------------ public API
    @property
    def status(self) -> TunnelStatus:
        """The current :class:`TunnelStatus` (a snapshot; never blocks for long)."""
        with self._lock:
            return self._status

    def start(self) -> None:
        """Begin supervising. Returns immediately; all work happens on a daemon thread.

        With no authtoken the state becomes DISABLED and nothing runs. Calling it again is a no-op.

        :raises RuntimeError: if the supervisor was already stopped (make a new one instead).
        """
        with self._lock:
            if self._stopped:
                raise RuntimeError("a stopped TunnelSupervisor cannot be restarted; create a new one")
            if self._started:
                return
            self._started = True
        if not self._authtoken:
            self._set_status(TunnelState.DISABLED, texts.reason_disabled())
            return
        self._redaction = agentlib.attach_redaction(self._authtoken)
        self._thread = threading.Thread(target=self._run, name="tvbridge-tunnel", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 10.0) -> None:
        """Stop supervising: delete our endpoint, kill our agent (only ours), then report STOPPED.

        Idempotent. Waits up to ``timeout`` seconds for the supervisor thread; if it is stuck, the agent is
        killed from here anyway so no process is left behind.
        """
        with self._lock:
            if self._stopped:
                return
            self._stopped = True
        self._stop.set()
        self._wake.set()
        thread = self._thread
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout)
            if thread.is_alive():
                logger.warning("The tunnel supervisor thread did not finish within %.1f s", timeout)
        self._teardown(disconnect=thread is None or not thread.is_alive())
        if self._redaction is not None:
            agentlib.detach_redaction(self._redaction)
        self._set_status(TunnelState.STOPPED, "The tunnel is stopped.", final=True)

    def wait_for(self, state: TunnelState, timeout: float) -> bool:
        """Block until the tunnel is in ``state`` or enters it (even briefly), at most ``timeout`` seconds.

        :return: ``True`` if the state was reached, ``False`` on time-out.
        """
        deadline = time.monotonic() + timeout
        with self._changed:
            entered = self._entered[state]
            while self._status.state != state and self._entered[state] == entered:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return False
                self._changed.wait(remaining)
            return True

    # ----------------------------------------------------------------------------- status plumbing
    def _set_status(self, state: TunnelState, reason: str, public_url: str | None = None, *,
                    final: bool = False) -> None:
        reason = agentlib.redact(reason, self._authtoken)
        # _notify_lock serialises "change + callback" so on_change sees changes in the order they happened
        with self._notify_lock:
            with self._changed:
                if self._stopped and not final:
                    return
                old = self._status
                if (old.state, old.public_url, old.reason) == (state, public_url, reason):
                    return
                since = old.since if old.state == state else datetime.now(UTC)
                new = TunnelStatus(state, public_url, reason, since)
                self._status = new
                if state != old.state:
                    self._entered[state] += 1
                self._changed.notify_all()
            if state != old.state:
                logger.info("Tunnel %s -> %s: %s", old.state, state, reason)
            if self._on_change is not None:
                try:
                    self._on_change(new)
                except Exception:
                    logger.warning("The tunnel on_change callback failed; ignored", exc_info=True)

    # --------------------------------------------------------------------------- supervisor thread
    def _run(self) -> None:
        try:
            self._loop()
        except Exception:
            logger.exception("The tunnel supervisor failed unexpectedly")
            self._set_status(TunnelState.ERROR, "The tunnel supervisor failed; restart tvbridge.")
        finally:
            self._teardown(disconnect=True)

    def _loop(self) -> None:
        failures = 0
        while not self._stop.is_set():
            failure = self._attempt()
            if failure is None or self._stop.is_set():
                return
            if failure.ran_well:
                failures = 0  # it was online for a good while: start the back-off over
            if failure.delay_max:
                delay = self._backoff_max
            else:
                delay = min(self._backoff_initial * 2 ** min(failures, 32), self._backoff_max)
            failures += 1
            self._set_status(TunnelState.ERROR, f"{failure.reason} Next try in {texts.seconds(delay)}.")
            if self._stop.wait(delay):
                return

    def _attempt(self) -> _Failed | None:
        """Start the agent and watch it. ``None`` means "stopped"; otherwise why a new attempt is needed."""
        problem = self._binary_problem()
        if problem is not None:
            return _Failed(problem)
        try:
            self._start_once()
        except _Failed as failed:
            self._teardown(disconnect=False)
            return failed
        online_at = time.monotonic()
        try:
            self._watch()
        except _Failed as failed:
            self._teardown(disconnect=False)
            failed.ran_well = time.monotonic() - online_at >= self._backoff_max
            return failed
        return None

    def _binary_problem(self) -> str | None:
        if self._ngrok_path and Path(self._ngrok_path).is_file():
            return None
        return texts.reason_binary(self._ngrok_path)

    def _start_once(self) -> None:
        """One start attempt: ONLINE on return, :class:`_Failed` otherwise."""
        assert self._ngrok_path is not None
        self._set_status(TunnelState.STARTING, "Starting ngrok and opening the public webhook address…")
        with self._agent_lock:
            stale = self._launch
        if stale is not None and stale.is_alive():
            stale.abandon(join=0.5)
            raise _Failed("The previous ngrok start is still being cleaned up.")
        self._generation += 1
        agentlib.forget_pyngrok_state(self._ngrok_path, self._config_path)
        if agentlib.registered_process(self._ngrok_path) is not None:
            raise _Failed(f"Another ngrok agent from {self._ngrok_path} is already running inside tvbridge; "
                          "it is left alone.")
        agentlib.kill_orphaned_agent(self._config_dir, self._ngrok_path, self._config_path)
        agentlib.write_agent_config(self._config_dir, agentlib.pick_loopback_port())
        cfg = PyngrokConfig(
            ngrok_path=self._ngrok_path,
            config_path=self._config_path,
            auth_token=self._authtoken,
            monitor_thread=True,
            log_event_callback=self._make_log_callback(self._generation),
            startup_timeout=max(1, int(self._connect_deadline)),
            request_timeout=min(4.0, self._connect_deadline),
            config_version="3",
        )
        launch = agentlib.AgentLaunch(cfg, self._upstream_url, ENDPOINT_NAME, self._domain)
        with self._agent_lock:
            self._launch = launch
        launch.begin()
        deadline = time.monotonic() + self._connect_deadline
        recorded = False
        while not launch.wait(0.05):
            if not recorded:  # note the PID as soon as it exists, so a crash of tvbridge cannot orphan it
                recorded = self._record_pid(launch)
            if self._stop.is_set() or time.monotonic() >= deadline:
                if launch.abandon():  # else it stays in self._launch and blocks the next attempt
                    with self._agent_lock:
                        self._launch = None
                if self._stop.is_set():
                    raise _Failed("Stopped while starting.")
                raise _Failed(texts.reason_deadline(self._connect_deadline, self._current_error()))
        with self._agent_lock:
            self._launch = None
            self._agent, self._tunnel = launch.agent, launch.tunnel
        if launch.error is not None or launch.tunnel is None or launch.agent is None:
            reason, delay_max = texts.classify_start_error(launch.error, self._authtoken,
                                                              self._current_error())
            raise _Failed(reason, delay_max=delay_max)
        if not recorded:
            self._record_pid(launch)
        self._set_status(TunnelState.ONLINE, texts.reason_online(launch.tunnel.public_url),
                         launch.tunnel.public_url)

    def _record_pid(self, launch: agentlib.AgentLaunch) -> bool:
        entry = launch.process()
        if entry is None:
            return False
        agentlib.record_agent(self._config_dir, entry.proc.pid, launch.cfg.ngrok_path, self._config_path)
        return True

    def _watch(self) -> None:
        """Run the detection ladder until stopped (return) or a restart is needed (raise _Failed)."""
        down_since: float | None = None
        self._wake.clear()
        while not self._stop.wait(0):
            self._wake.wait(self._check_interval)  # an agent ERROR line wakes us early
            self._wake.clear()
            if self._stop.is_set():
                return
            with self._agent_lock:
                agent, tunnel = self._agent, self._tunnel
            if agent is None or tunnel is None or agent.api_url is None or tunnel.public_url is None:
                raise _Failed("The ngrok agent went away.")
            self._check_agent_alive(agent)  # rung 1: the process
            err = self._current_error()
            if err is not None and err.code in agentlib.AUTH_ERROR_CODES:
                raise _Failed(texts.reason_auth(err.code), delay_max=True)
            # rungs 2 and 3: the session is online, and our endpoint is still listed
            probe = agentlib.probe_agent(agent.api_url, tunnel.name or ENDPOINT_NAME, tunnel.public_url,
                                         self._probe_timeout)
            if probe.session_online and probe.endpoint_listed:
                down_since = None
                self._last_error = None
                online = texts.reason_online(tunnel.public_url)
                self._set_status(TunnelState.ONLINE, online, tunnel.public_url)
            elif probe.session_online:
                raise _Failed("ngrok dropped the public webhook address.")
            else:
                now = time.monotonic()
                down_since = now if down_since is None else down_since
                if now - down_since >= self._reconnect_grace:
                    raise _Failed(f"ngrok could not reconnect within {texts.seconds(self._reconnect_grace)}"
                                  f"{texts.error_suffix(err, probe.detail)}.")
                self._set_status(TunnelState.RECONNECTING, texts.reason_reconnecting(err, probe.detail),
                                 tunnel.public_url)

    def _check_agent_alive(self, agent: NgrokProcess) -> None:
        if process.is_process_running(agent.pyngrok_config.ngrok_path) and agent.proc.poll() is None:
            return
        err = self._current_error()
        if err is not None and err.code in agentlib.AUTH_ERROR_CODES:
            raise _Failed(texts.reason_auth(err.code), delay_max=True)
        raise _Failed(texts.reason_agent_died(agent.proc.poll(), err))

    # ------------------------------------------------------------------------------ agent errors
    def _make_log_callback(self, generation: int) -> Callable[[NgrokLog], None]:
        def on_log(log: NgrokLog) -> None:
            # Runs on pyngrok's monitor thread: it must never raise (that would kill the monitor, and
            # with it the draining of the agent's stdout pipe) and never block.
            try:
                if generation != self._generation or log.lvl not in ("ERROR", "CRITICAL"):
                    return
                text = agentlib.redact(log.err or log.msg or log.line, self._authtoken)
                error = AgentError(agentlib.first_sentence(text), agentlib.error_code(text))
                self._last_error = (generation, error)
                self._wake.set()
            except Exception:
                logger.debug("Ignored a failure in the ngrok log callback", exc_info=True)

        return on_log

    def _current_error(self) -> AgentError | None:
        last = self._last_error
        return last[1] if last is not None and last[0] == self._generation else None

    # ---------------------------------------------------------------------------------- teardown
    def _teardown(self, *, disconnect: bool) -> None:
        """Delete our endpoint (optionally), kill our agent and forget pyngrok's state for it. Idempotent."""
        with self._agent_lock:
            agent, tunnel, launch = self._agent, self._tunnel, self._launch
            self._agent = self._tunnel = None
            if launch is not None and not launch.is_alive():
                self._launch = None
        if self._ngrok_path is None:
            return
        if agent is not None:
            alive = agent.proc.poll() is None
            if disconnect and alive and tunnel is not None and tunnel.uri and agent.api_url:
                agentlib.delete_endpoint(agent.api_url, tunnel.uri, timeout=min(2.0, self._probe_timeout))
            agentlib.kill_agent(agent)
        if launch is not None and (entry := launch.process()) is not None:
            agentlib.kill_agent(entry)
        agentlib.clear_agent_record(self._config_dir)  # every agent of ours is dead by now
        urls = [tunnel.public_url] if tunnel is not None and tunnel.public_url else []
        agentlib.forget_pyngrok_state(self._ngrok_path, self._config_path, urls)
