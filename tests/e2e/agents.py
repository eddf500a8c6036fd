"""Agent processes started by hand, as a trader would start a second one (on this PC or on another machine), and
what the simulated broker recorded: the deals of its history journal, by order comment."""

from __future__ import annotations

import json
import os
import re
import signal
import sqlite3
import subprocess
import sys
import time
import uuid
from collections import Counter
from pathlib import Path
from typing import Any

import httpx

from agent.planner.comment import names_signal
from contract import CONTRACT_HEADER, CONTRACT_VERSION, LEASE_HEADER

ROOT = Path(__file__).resolve().parents[2]


class AgentProc:
    """``python -m agent`` for ``agent_id`` with its own state in ``data_dir`` (the server's data folder: the same
    PC; another folder: another machine), its log in ``log``."""

    def __init__(
        self, admin_url: str, data_dir: Path, token: str, *, agent_id: str = "default", name: str = "agent",
        **settings: Any,
    ) -> None:
        self.log = data_dir.parent / f"{name}.log"
        data_dir.mkdir(parents=True, exist_ok=True)
        env = {**os.environ, "TVBRIDGE_AGENT_TOKEN": token, "PYTHONUNBUFFERED": "1"}
        env.update({f"TVBRIDGE_{k.upper()}": str(v) for k, v in settings.items()})
        command = [sys.executable, "-m", "agent", "--admin-url", admin_url, "--agent-id", agent_id,
                   "--data-dir", str(data_dir), "--broker", "sim"]
        with self.log.open("ab") as out:
            self.proc = subprocess.Popen(command, cwd=ROOT, env=env, stdin=subprocess.DEVNULL, stdout=out, stderr=out)

    @property
    def pid(self) -> int:
        return self.proc.pid

    def text(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""

    def wait_log(self, pattern: str, timeout: float = 30.0, count: int = 1) -> None:
        """Wait until the agent's log holds ``count`` lines matching ``pattern`` (the agent says so itself)."""
        deadline = time.monotonic() + timeout
        while len(re.findall(pattern, self.text())) < count:
            assert self.proc.poll() is None or time.monotonic() < deadline, f"agent exited:\n{self.text()[-3000:]}"
            assert time.monotonic() < deadline, f"no {pattern!r} in the agent's log:\n{self.text()[-3000:]}"
            time.sleep(0.02)

    def signal(self, sig: int) -> None:
        if self.proc.poll() is None:
            os.kill(self.proc.pid, sig)

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait(30)

    def stop(self) -> None:
        """SIGCONT (in case it was frozen), then SIGTERM and wait; SIGKILL if it does not go."""
        if self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGCONT)
            self.proc.terminate()
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(30)


def leased_headers(admin_url: str, token: str, agent_id: str) -> dict[str, str]:
    """Headers of a test client that plays the agent ``agent_id`` over HTTP: the agent token, the contract version
    and the lease epoch it was just granted (as a real agent process gets it before anything else)."""
    headers = {"Authorization": f"Bearer {token}", CONTRACT_HEADER: str(CONTRACT_VERSION)}
    ask = {"holder": uuid.uuid4().hex, "host": "test", "pid": os.getpid()}
    resp = httpx.post(f"{admin_url}/api/v1/agents/{agent_id}/lease", json=ask, headers=headers, timeout=10)
    assert resp.status_code == 200, resp.text
    return {**headers, LEASE_HEADER: str(resp.json()["epoch"])}


def deals_by_comment(*data_dirs: Path) -> Counter[str]:
    """Every deal the simulated brokers of ``data_dirs`` executed, counted by order comment (their history journals
    on disk, which every process appends to)."""
    found: Counter[str] = Counter()
    for data_dir in data_dirs:
        for journal in (data_dir / "simulator").rglob("*.history.jsonl"):
            for line in journal.read_text().splitlines():
                try:
                    record = json.loads(line)
                except ValueError:
                    continue  # a torn last line
                if "deal" in record and record["deal"]["comment"]:
                    found[record["deal"]["comment"]] += 1
    return found


def broker_holds_a_deal_of(data_dir: Path, signal_id: int) -> bool:
    """Whether the simulated broker of ``data_dir`` has executed a deal of ``signal_id`` for good: the deal is in its
    history journal *and* counted by its book's snapshot (journal lines after the snapshot's count are what a crash
    between the two writes leaves, and the next load drops them: agent/mt5sim/state.py)."""
    for snapshot in (data_dir / "simulator").rglob("mt5sim-*.json"):
        try:
            counted = json.loads(snapshot.read_text())["journal"]["deals"]
        except (OSError, ValueError, KeyError):
            continue
        journal = snapshot.with_name(snapshot.stem + ".history.jsonl")
        deals = []
        for line in journal.read_text().splitlines() if journal.exists() else ():
            try:
                record = json.loads(line)
            except ValueError:
                continue  # a torn last line
            if "deal" in record:
                deals.append(record["deal"])
        if any(names_signal(d["comment"], f"tvb:{signal_id}") for d in deals[:counted]):
            return True
    return False


def kill_after_the_broker_executed(pid: int, data_dir: Path, signal_id: int, timeout: float = 30.0) -> None:
    """SIGKILL the agent ``pid`` as soon as the simulated broker of ``data_dir`` has executed a deal of
    ``signal_id`` (:func:`broker_holds_a_deal_of`).

    With the simulator's ``latency_ms`` round trip the deal is saved half-way through ``order_send``, and the answer
    is still travelling for the other half: killed then, the agent has traded without knowing it. Waiting on the
    broker's state, not on a clock, keeps that true however late the agent got to send.
    """
    deadline = time.monotonic() + timeout
    while not broker_holds_a_deal_of(data_dir, signal_id):
        assert time.monotonic() < deadline, f"the broker never executed signal {signal_id}"
        time.sleep(0.01)
    os.kill(pid, signal.SIGKILL)


def job_of(db: Path, signal_id: int) -> dict[str, Any]:
    """The signal's job row (status, attempts ...), read as another process would."""
    with sqlite3.connect(db) as conn:
        conn.row_factory = sqlite3.Row
        row = conn.execute("SELECT * FROM jobs WHERE signal_id = ?", (signal_id,)).fetchone()
    return dict(row) if row is not None else {}


def wait_job(db: Path, signal_id: int, predicate: Any, timeout: float = 30.0) -> dict[str, Any]:
    """Wait until the signal's job row satisfies ``predicate``; return it."""
    deadline = time.monotonic() + timeout
    while True:
        job = job_of(db, signal_id)
        if job and predicate(job):
            return job
        assert time.monotonic() < deadline, f"job of signal {signal_id} never matched: {job}"
        time.sleep(0.01)
