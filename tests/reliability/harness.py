"""``tvbridge run`` as a separate process, as a trader runs it, so it can be SIGKILLed and started again on the same
data folder and ports; and what the simulated broker executed, read from its own journal on disk."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def alive(pid: int) -> bool:
    """True while ``pid`` runs (a zombie, exited and not yet reaped, counts as gone)."""
    stat = Path(f"/proc/{pid}/stat")
    try:
        return stat.read_text().split(")")[-1].split()[0] != "Z"
    except (FileNotFoundError, ProcessLookupError):
        return False


def wait_gone(pid: int, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while alive(pid):
        assert time.monotonic() < deadline, f"process {pid} did not exit within {timeout} s"
        time.sleep(0.02)


class App:
    """One data folder and one pair of ports; ``start()`` runs ``tvbridge run`` on them (again after a kill).

    ``env`` adds ``TVBRIDGE_*`` settings (the agent inherits them); ``max_open_files`` lowers the process's
    RLIMIT_NOFILE (soft and hard, so the app cannot raise it back).
    """

    def __init__(self, root: Path, *, env: dict[str, str] | None = None, max_open_files: int | None = None) -> None:
        self.root = root
        self.data_dir = root / "data"
        self.public_port, self.admin_port = free_port(), free_port()
        self.env = dict(env or {})
        self.max_open_files = max_open_files
        self.proc: subprocess.Popen[bytes] | None = None
        self.starts = 0

    @property
    def public_url(self) -> str:
        return f"http://127.0.0.1:{self.public_port}"

    @property
    def admin_url(self) -> str:
        return f"http://127.0.0.1:{self.admin_port}"

    def start(self, *, env: dict[str, str] | None = None, wait_agent: bool = True, timeout: float = 60.0) -> None:
        """Start ``tvbridge run`` and wait until both listeners answer (and the agent posted a snapshot)."""
        base = {k: v for k, v in os.environ.items() if not k.startswith("TVBRIDGE_")}
        ports = ["--public-port", str(self.public_port), "--admin-port", str(self.admin_port)]
        command = [sys.executable, "-m", "tray", "run", "--data-dir", str(self.data_dir), *ports, "--broker", "sim"]
        limit = self.max_open_files

        def lower_limit() -> None:
            if limit is not None:
                import resource

                resource.setrlimit(resource.RLIMIT_NOFILE, (limit, limit))

        self.root.mkdir(parents=True, exist_ok=True)
        with (self.root / "stdio.log").open("ab") as log:
            self.proc = subprocess.Popen(
                command, cwd=ROOT, env={**base, **self.env, **(env or {})}, stdin=subprocess.DEVNULL, stdout=log,
                stderr=log, preexec_fn=lower_limit if limit is not None else None,
                start_new_session=True,  # its own process group: kill_tree() reaches the app and its agent at once
            )
        self.starts += 1
        deadline = time.monotonic() + timeout
        while not (self._answers(self.public_url) and self._answers(self.admin_url)):
            assert self.proc.poll() is None, f"tvbridge exited with {self.proc.returncode}: see {self.root}/stdio.log"
            assert time.monotonic() < deadline, "tvbridge did not start"
            time.sleep(0.02)
        if wait_agent:
            with self.admin() as admin:
                wait_for(lambda: (a := admin.get("/api/v1/account").json()) and a[0]["balance"] > 0, timeout)

    @staticmethod
    def _answers(base: str) -> bool:
        try:
            return httpx.get(f"{base}/healthz", timeout=1.0).status_code == 200
        except httpx.TransportError:
            return False

    def admin(self, timeout: float = 10.0) -> httpx.Client:
        token = (self.data_dir / "admin-token").read_text().strip()
        return httpx.Client(base_url=self.admin_url, timeout=timeout, headers={"Authorization": f"Bearer {token}"})

    def agents(self) -> list[int]:
        """The app's child processes (its agent)."""
        if self.proc is None or self.proc.poll() is not None:
            return []
        found: list[int] = []
        for task in Path(f"/proc/{self.proc.pid}/task").iterdir():
            try:
                found += [int(c) for c in (task / "children").read_text().split()]
            except FileNotFoundError:
                continue
        return found

    def kill(self) -> list[int]:
        """SIGKILL the app alone (no clean-up runs); returns its agents, which live on until they see their lifeline
        close (they finish a job in hand first)."""
        assert self.proc is not None
        agents = self.agents()
        self.proc.kill()
        self.proc.wait()
        return agents

    def kill_tree(self) -> None:
        """SIGKILL the app and its agent in one go (their process group), as a power cut or "end process tree"."""
        assert self.proc is not None
        os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait()

    def stop(self) -> None:
        """Stop cleanly (SIGTERM), if running."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(60)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()

    def logs(self) -> str:
        return "".join(p.read_text(errors="replace") for p in sorted((self.data_dir / "logs").glob("*.log*")))


def wait_for(predicate: Callable[[], Any], timeout: float = 30.0, every: float = 0.05) -> Any:
    """The first truthy value of ``predicate()`` (transport errors count as falsy), or AssertionError."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            value = predicate()
            if value:
                return value
        except httpx.TransportError:
            pass
        assert time.monotonic() < deadline, f"condition not met within {timeout} s"
        time.sleep(every)


def deal_comments(data_dir: Path) -> Counter[str]:
    """Deals the simulated broker executed, counted by order comment, from its history journals on disk (the
    simulator's trade-server records: every deal of every agent that ran on this data folder)."""
    found: Counter[str] = Counter()
    for journal in (data_dir / "simulator").rglob("*.history.jsonl"):
        for line in journal.read_text().splitlines():
            if not line.strip():
                continue
            try:
                record = json.loads(line)
            except json.JSONDecodeError:  # the tail of an append a kill cut short: not a deal the broker keeps
                continue
            if "deal" in record:
                found[record["deal"]["comment"]] += 1
    return found


def all_signals(admin: httpx.Client, strategy_id: int) -> list[dict[str, Any]]:
    """Every signal of a strategy, newest first."""
    signals: list[dict[str, Any]] = []
    while page := admin.get(
        "/api/v1/signals", params={"strategy_id": strategy_id, "limit": 200, "offset": len(signals)}
    ).json():
        signals.extend(page)
    return signals
