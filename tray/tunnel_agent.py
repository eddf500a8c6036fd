"""Low-level glue between :mod:`tray.tunnel` and pyngrok 9 / the ngrok agent process.

Everything here is a small, stateless helper the supervisor composes:

* writing our own agent config (``version: "3"``, API on loopback, never a token in the file);
* forgetting pyngrok's module-global caches for *our* ngrok path only (``process._current_processes``,
  ``ngrok._current_tunnels``, ``installer._config_cache``), which pyngrok keys globally;
* killing *our* agent process without pyngrok's process lock (a start-up that hangs holds that lock
  forever, so ``ngrok.kill()`` would deadlock);
* probing the agent API (``/api/status``, ``/api/endpoints``) without ever starting or installing anything;
* a PID file so an agent orphaned by a crashed tvbridge is found and killed on the next start, after
  checking that the process really is our agent (reference desktop-shell.md §4.5);
* redaction of the authtoken from log records, reasons and agent error text.

Nothing in this module downloads ngrok: every call path takes an explicit, existing ``ngrok_path``.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import re
import socket
import sys
import threading
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from pyngrok import installer, ngrok, process
from pyngrok.conf import PyngrokConfig
from pyngrok.exception import PyngrokError
from pyngrok.log import NgrokLog
from pyngrok.ngrok import NgrokTunnel
from pyngrok.process import NgrokProcess

logger = logging.getLogger(__name__)

#: Error codes meaning "the account/authtoken was refused"; retrying quickly cannot help.
AUTH_ERROR_CODES = frozenset({"ERR_NGROK_4018", "ERR_NGROK_105", "ERR_NGROK_107"})
#: "This endpoint is already online elsewhere" (an orphaned agent, or a session from before sleep).
ALREADY_ONLINE_CODE = "ERR_NGROK_334"
#: Loggers whose records may carry agent output or options (pyngrok logs every agent line verbatim).
REDACTED_LOGGERS = (
    "pyngrok", "pyngrok.process", "pyngrok.process.ngrok", "pyngrok.ngrok", "pyngrok.installer",
    "pyngrok.agent", "tray.tunnel", __name__,
)
_ERROR_CODE = re.compile(r"ERR_NGROK_\d+")
_PID_FILE = "ngrok.pid"
#: The most of a dead agent's unread output we read back (characters); its error lines are the last few.
_EXIT_OUTPUT_LIMIT = 64 * 1024


def error_code(text: str | None) -> str | None:
    """Return the first ``ERR_NGROK_<n>`` code found in ``text``, or ``None``."""
    match = _ERROR_CODE.search(text or "")
    return match.group(0) if match else None


def redact(text: str, secret: str | None) -> str:
    """Return ``text`` with every occurrence of ``secret`` replaced by ``********``."""
    return text.replace(secret, "********") if secret else text


def first_sentence(err: str, limit: int = 160) -> str:
    """Shorten an agent ``err=`` value for a human: its first line (real or escaped), ``limit`` chars."""
    head = re.split(r"\\r|\\n|\r|\n", err.strip(), maxsplit=1)[0].strip()
    return head if len(head) <= limit else head[: limit - 1] + "…"


class RedactingFilter(logging.Filter):
    """A logging filter that rewrites records so that they never contain ``secret``.

    Attach it to the loggers named in :data:`REDACTED_LOGGERS` (filters on a logger only see records
    created on that logger). pyngrok logs every agent line verbatim, and an agent that rejects a
    malformed token (ERR_NGROK_105) prints the token back.
    """

    def __init__(self, secret: str) -> None:
        super().__init__()
        self._secret = secret

    def filter(self, record: logging.LogRecord) -> bool:
        """Rewrite ``record`` in place (message, args, exception text); always keep it."""
        try:
            message = record.getMessage()
        except Exception:  # a malformed record is not ours to fix; leave it as is
            return True
        if self._secret in message:
            record.msg, record.args = redact(message, self._secret), None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text and self._secret in record.exc_text:
            record.exc_text = redact(record.exc_text, self._secret)
        return True


def attach_redaction(secret: str) -> RedactingFilter:
    """Install a :class:`RedactingFilter` for ``secret`` on every logger in :data:`REDACTED_LOGGERS`."""
    flt = RedactingFilter(secret)
    for name in REDACTED_LOGGERS:
        logging.getLogger(name).addFilter(flt)
    return flt


def detach_redaction(flt: RedactingFilter) -> None:
    """Remove a filter installed by :func:`attach_redaction` (idempotent)."""
    for name in REDACTED_LOGGERS:
        logging.getLogger(name).removeFilter(flt)


def pick_loopback_port() -> int:
    """Return a TCP port that was free on 127.0.0.1 a moment ago, for the agent's local API.

    We choose the port ourselves rather than writing ``web_addr: 127.0.0.1:0`` because it is not
    documented whether the real agent then logs the *bound* port in ``starting web service addr=``, and
    pyngrok takes the API URL from that line. A port stolen in between only costs one failed start.
    """
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def write_agent_config(config_dir: Path, web_port: int) -> Path:
    """Write ``<config_dir>/ngrok.yml`` (v3, agent API on ``127.0.0.1:<web_port>``, no token); return it."""
    config_dir.mkdir(parents=True, exist_ok=True)
    path = config_dir / "ngrok.yml"
    doc = {"version": "3", "agent": {"web_addr": f"127.0.0.1:{web_port}"}}
    tmp = path.with_suffix(".yml.tmp")
    tmp.write_text(yaml.safe_dump(doc, sort_keys=False), encoding="utf-8")
    os.replace(tmp, path)
    return path


def registered_process(ngrok_path: str) -> NgrokProcess | None:
    """Return pyngrok's registered agent for ``ngrok_path`` without taking its lock (may be dead)."""
    return process._current_processes.get(ngrok_path)


def forget_pyngrok_state(ngrok_path: str, config_path: str, public_urls: Iterable[str] = ()) -> None:
    """Drop pyngrok's cached state for our path: a dead registered process, our tunnels, the parsed config.

    A *live* process registered for the path is left alone (the caller decides what it is).
    """
    entry = registered_process(ngrok_path)
    if entry is not None and entry.proc.poll() is not None:
        process._current_processes.pop(ngrok_path, None)
    for url in public_urls:
        tunnel = ngrok._current_tunnels.get(url)
        if tunnel is not None and tunnel.pyngrok_config.ngrok_path == ngrok_path:
            ngrok._current_tunnels.pop(url, None)
    with installer.config_file_lock:
        installer._config_cache.pop(config_path, None)


def kill_agent(agent: NgrokProcess, wait: float = 5.0) -> int | None:
    """Kill one agent process (SIGKILL / TerminateProcess), reap it and unregister it from pyngrok.

    Works while pyngrok's process lock is held by a hung start-up (it never takes that lock).
    Returns the exit status, or ``None`` if the process could not be reaped within ``wait`` seconds.
    """
    agent.stop_monitor_thread()
    with contextlib.suppress(OSError):
        agent.proc.kill()
    try:
        status = agent.proc.wait(timeout=wait)
    except Exception:  # subprocess.TimeoutExpired: the OS did not reap it in time
        logger.warning("ngrok agent (pid %s) did not exit after kill", agent.proc.pid)
        status = None
    path = agent.pyngrok_config.ngrok_path
    if process._current_processes.get(path) is agent:
        process._current_processes.pop(path, None)
    return status


class AgentLaunch:
    """One start of the agent and our endpoint, on a worker thread, that the caller can abandon.

    ``ngrok.connect()`` can block forever (a silent agent defeats pyngrok's ``startup_timeout``) while
    holding pyngrok's process lock, so it must never run on the supervisor thread. Usage: :meth:`begin`,
    then :meth:`wait` in short slices until it returns ``True`` (then read ``agent``/``tunnel``/``error``)
    or the caller's deadline passes (then :meth:`abandon`).
    """

    def __init__(self, cfg: PyngrokConfig, upstream_url: str, name: str, url: str | None) -> None:
        self.cfg = cfg
        self.agent: NgrokProcess | None = None
        self.tunnel: NgrokTunnel | None = None
        self.error: Exception | None = None
        #: Lines the agent wrote before it exited that pyngrok never read (see :meth:`_read_exit_output`).
        self.unread_lines: list[NgrokLog] = []
        self._spawned: NgrokProcess | None = None
        self._on_log = cfg.log_event_callback
        cfg.log_event_callback = self._note_log
        self._options = {"url": url} if url else {}
        self._upstream_url = upstream_url
        self._name = name
        self._done = threading.Event()
        self._worker = threading.Thread(target=self._connect, name="tvbridge-ngrok-connect", daemon=True)

    def begin(self) -> None:
        """Start the worker thread."""
        self._worker.start()

    def wait(self, timeout: float) -> bool:
        """Wait up to ``timeout`` seconds; ``True`` once the attempt has finished (well or not)."""
        return self._done.wait(timeout)

    def process(self) -> NgrokProcess | None:
        """The agent process this launch spawned, as soon as pyngrok has registered it (else ``None``)."""
        entry = registered_process(self.cfg.ngrok_path)
        return entry if entry is not None and entry.pyngrok_config is self.cfg else None

    def abandon(self, join: float = 2.0) -> bool:
        """Kill the agent this launch spawned; ``True`` if the worker then unwound within ``join`` seconds.

        Once the agent is dead pyngrok's ``readline()`` sees EOF, so the worker normally finishes at once.
        """
        entry = self.process()
        if entry is not None:
            kill_agent(entry)
        self._worker.join(join)
        return not self._worker.is_alive()

    def is_alive(self) -> bool:
        """Whether the worker thread is still running (e.g. after an abandon that did not unwind)."""
        return self._worker.is_alive()

    def _connect(self) -> None:
        try:
            # process.get_process validates the path and never installs; ngrok.connect then reuses it.
            self.agent = process.get_process(self.cfg)
            self.tunnel = ngrok.connect(self._upstream_url, proto="http", name=self._name,
                                        pyngrok_config=self.cfg, **self._options)
        except Exception as exc:  # handed to the supervisor thread, which decides
            self.error = exc
            if getattr(exc, "ngrok_error", None) is None:
                self.unread_lines = self._read_exit_output()
        finally:
            self._done.set()

    def _note_log(self, log: NgrokLog) -> None:
        """pyngrok's log callback: remember the process that wrote the line, then pass the line on.

        The first line pyngrok reads comes while it still holds the process it spawned, so this is where
        the process can be caught even when pyngrok forgets it a moment later (a start that failed).
        """
        if self._spawned is None:
            self._spawned = self.process()
        if self._on_log is not None:
            self._on_log(log)

    def _read_exit_output(self) -> list[NgrokLog]:
        """What a start-up agent wrote before exiting that pyngrok did not read, logged and passed on.

        pyngrok stops reading stdout as soon as the process is dead after a line, so on a busy PC the
        agent's own error ("ERR_NGROK_105 ...") can still be sitting in the pipe, and the start fails as
        "unable to start". Only a dead agent that never became healthy is read (no monitor thread then
        shares the pipe), at most 64 KiB, on this worker thread (the supervisor's deadline bounds it).
        """
        spawned = self._spawned
        if spawned is None or spawned.healthy() or spawned.proc.poll() is None or spawned.proc.stdout is None:
            return []
        try:
            text = spawned.proc.stdout.read(_EXIT_OUTPUT_LIMIT)
        except (OSError, ValueError):  # the pipe is gone or closed: nothing more to learn
            return []
        lines = [NgrokLog(line) for line in text.splitlines() if line.strip()]
        levels = logging.getLevelNamesMapping()
        for line in lines:
            logger.log(levels.get(line.lvl, logging.INFO), "ngrok (read after it exited): %s", line.line)
            if self._on_log is not None:
                self._on_log(line)
        return lines


@dataclass(frozen=True)
class Probe:
    """One look at a running agent: session online?, our endpoint listed?, and why not (plain text)."""

    session_online: bool
    endpoint_listed: bool
    detail: str = ""


def probe_agent(api_url: str, endpoint_name: str, public_url: str, timeout: float) -> Probe:
    """Ask the agent API (never starting anything) whether its session is online and our endpoint exists.

    ``timeout`` is per request, in seconds. API failures count as "not online" with the error as detail.
    """
    try:
        status = ngrok.api_request(f"{api_url}/api/status", method="GET", timeout=timeout)
    except PyngrokError as exc:
        return Probe(False, False, f"the ngrok agent API did not answer ({first_sentence(str(exc))})")
    state = str(status.get("status") or "unknown")
    if state != "online":
        return Probe(False, False, f"ngrok reports its session as {state!r}")
    try:
        listing = ngrok.api_request(f"{api_url}/api/endpoints", method="GET", timeout=timeout)
    except PyngrokError as exc:
        return Probe(True, False, f"the ngrok agent API did not answer ({first_sentence(str(exc))})")
    items: list[dict[str, Any]] = listing.get("endpoints") or listing.get("tunnels") or []
    listed = any(
        item.get("name") == endpoint_name or (item.get("url") or item.get("public_url")) == public_url
        for item in items
    )
    return Probe(True, listed, "" if listed else "ngrok no longer lists the tunnel endpoint")


def delete_endpoint(api_url: str, uri: str, timeout: float) -> None:
    """``DELETE`` our endpoint on the agent (best effort: errors are logged at debug level)."""
    try:
        ngrok.api_request(f"{api_url}{uri}", method="DELETE", timeout=timeout)
    except PyngrokError as exc:
        logger.debug("could not delete the ngrok endpoint %s: %s", uri, first_sentence(str(exc)))


# ----------------------------------------------------------------------------------- orphaned agents
def record_agent(config_dir: Path, pid: int, ngrok_path: str, config_path: str) -> None:
    """Remember our running agent in ``<config_dir>/ngrok.pid`` (JSON: pid, ngrok_path, config_path)."""
    doc = {"pid": pid, "ngrok_path": ngrok_path, "config_path": config_path}
    with contextlib.suppress(OSError):
        (config_dir / _PID_FILE).write_text(json.dumps(doc), encoding="utf-8")


def clear_agent_record(config_dir: Path) -> None:
    """Delete the PID file, if any."""
    with contextlib.suppress(OSError):
        (config_dir / _PID_FILE).unlink()


def kill_orphaned_agent(config_dir: Path, ngrok_path: str, config_path: str) -> bool:
    """Kill an agent left running by a previous tvbridge run, if the PID file names one that is ours.

    "Ours" is checked from the operating system, never assumed from the PID alone (PIDs are reused): on
    Linux its command line must be ``... start ... --config <config_path>`` (our private config path);
    on Windows its image must be ``ngrok_path``. Elsewhere nothing is killed. Returns ``True`` if a
    process was killed.
    """
    path = config_dir / _PID_FILE
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
        pid = int(doc["pid"])
    except (OSError, ValueError, KeyError, TypeError):
        return False
    killed = False
    if pid != os.getpid() and doc.get("config_path") == config_path and _is_our_agent(pid, ngrok_path,
                                                                                        config_path):
        killed = _terminate_pid(pid)
        if killed:
            logger.warning("Stopped an ngrok agent left running by an earlier tvbridge run (pid %s)", pid)
    with contextlib.suppress(OSError):
        path.unlink()
    return killed


def _is_our_agent(pid: int, ngrok_path: str, config_path: str) -> bool:
    if sys.platform == "win32":
        image = _win_image_path(pid)
        return image is not None and os.path.normcase(os.path.realpath(image)) == os.path.normcase(
            os.path.realpath(ngrok_path))
    try:
        raw = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return False
    args = [a.decode(errors="replace") for a in raw.split(b"\0") if a]
    return "start" in args and any(
        a == config_path or a == f"--config={config_path}" for a in args
    )


def _terminate_pid(pid: int) -> bool:
    if sys.platform == "win32":
        return _win_terminate(pid)
    import signal

    try:
        os.kill(pid, signal.SIGKILL)
    except OSError:
        return False
    return True


if sys.platform == "win32":  # pragma: no cover - not exercised on Linux CI
    import ctypes
    from ctypes import wintypes

    _PROCESS_TERMINATE = 0x0001
    _PROCESS_QUERY_LIMITED_INFORMATION = 0x1000

    def _win_image_path(pid: int) -> str | None:
        kernel32 = ctypes.windll.kernel32
        handle = kernel32.OpenProcess(_PROCESS_QUERY_LIMITED_INFORMATION, False, pid)
        if not handle:
            return None
        try:
            size = wintypes.DWORD(32768)
            buf = ctypes.create_unicode_buffer(size.value)
            if not kernel32.QueryFullProcessImageNameW(handle, 0, buf, ctypes.byref(size)):
                return None
            return str(buf.value)
        finally:
            kernel32.CloseHandle(handle)

    def _win_terminate(pid: int) -> bool:
        kernel32 = ctypes.windll.kernel32
        handle = kernel32.OpenProcess(_PROCESS_TERMINATE, False, pid)
        if not handle:
            return False
        try:
            return bool(kernel32.TerminateProcess(handle, 1))
        finally:
            kernel32.CloseHandle(handle)
