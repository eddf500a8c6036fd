"""Processes under test for the intake benchmark: start one pinned to a core, time it to ready, read its memory.

Linux only (``taskset``, ``/proc``), like the benchmark itself.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]


def free_port() -> int:
    """A TCP port free on 127.0.0.1 right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def pinned(command: list[str], core: int | None) -> list[str]:
    """``command`` run on CPU ``core`` only (``taskset`` execs it, so the pid is the command's own)."""
    return command if core is None else ["taskset", "-c", str(core), *command]


def tree_pids(pid: int) -> list[int]:
    """``pid`` and all its descendants (read from ``/proc/<pid>/task/<tid>/children``)."""
    found, todo = [], [pid]
    while todo:
        current = todo.pop()
        found.append(current)
        for task in Path(f"/proc/{current}/task").glob("*"):
            try:
                todo.extend(int(c) for c in (task / "children").read_text().split())
            except OSError:
                continue
    return found


def rss_mib(pid: int) -> float:
    """Resident memory of ``pid`` and its descendants, summed, in MiB (``VmRSS``; shared pages count in each)."""
    total_kib = 0
    for p in tree_pids(pid):
        try:
            for line in Path(f"/proc/{p}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total_kib += int(line.split()[1])
        except OSError:
            continue
    return total_kib / 1024


class ServerProcess:
    """A server under test. ``start()`` returns the seconds from spawning it to its ``/healthz`` answering 200
    (what "ready to take alerts" means for a listener: the database is open before the listener binds)."""

    def __init__(self, command: list[str], health_url: str, *, core: int | None, log: Path) -> None:
        self.command = pinned(command, core)
        self.health_url = health_url
        self.log = log
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self, timeout: float = 60.0) -> float:
        """Spawn and wait until ready. :raises RuntimeError: it died or was not ready within ``timeout``."""
        with self.log.open("ab") as out:
            started = time.perf_counter()
            self.proc = subprocess.Popen(self.command, cwd=ROOT, stdin=subprocess.DEVNULL, stdout=out, stderr=out)
        with httpx.Client(timeout=1.0) as client:
            while True:
                try:
                    if client.get(self.health_url).status_code == 200:
                        return time.perf_counter() - started
                except httpx.TransportError:
                    pass
                if self.proc.poll() is not None or time.perf_counter() - started > timeout:
                    raise RuntimeError(f"{self.command} did not become ready; see {self.log}")
                time.sleep(0.005)

    @property
    def pid(self) -> int:
        """The process id (the server's own: ``taskset`` execs it)."""
        assert self.proc is not None
        return self.proc.pid

    def rss_mib(self) -> float:
        """Resident memory of the process and its children (the agent), summed, in MiB."""
        return rss_mib(self.pid)

    def stop(self, timeout: float = 30.0) -> None:
        """SIGTERM (tvbridge then stops its agent and listeners in order) and wait; SIGKILL if it hangs."""
        if self.proc is None or self.proc.poll() is not None:
            return
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            for pid in reversed(tree_pids(self.proc.pid)):
                try:
                    os.kill(pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
            self.proc.wait(timeout)


def ceiling_process(db: Path, port: int, *, core: int | None, log: Path) -> ServerProcess:
    """The bare FastAPI + ``sqlite3`` ceiling (``bench/ceiling.py``) on ``127.0.0.1:port``."""
    command = [sys.executable, str(ROOT / "bench" / "ceiling.py"), "--db", str(db), "--port", str(port)]
    return ServerProcess(command, f"http://127.0.0.1:{port}/healthz", core=core, log=log)


def tvbridge_process(data_dir: Path, public_port: int, admin_port: int, *, core: int | None,
                     log: Path) -> ServerProcess:
    """``tvbridge run`` (both listeners and its agent on the simulator broker) in ``data_dir``."""
    command = [sys.executable, "-m", "tray", "run", "--data-dir", str(data_dir), "--public-port", str(public_port),
               "--admin-port", str(admin_port), "--broker", "sim"]
    return ServerProcess(command, f"http://127.0.0.1:{public_port}/healthz", core=core, log=log)
