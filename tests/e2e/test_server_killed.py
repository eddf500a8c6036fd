"""The server killed (SIGKILL: no clean-up at all) in the middle of a stream of alerts: after a restart, every alert
that was answered 200 is stored exactly once, reaches a final status, and was traded at most once.

This is what group commit must not break: a webhook is answered only after the transaction holding its signal is
durable, and a job is claimed durably before the agent sees it, so neither an answered alert nor a claimed job can
be lost or handed out twice, wherever in a group the kill lands.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections import Counter
from pathlib import Path

import httpx
import pytest

from tests.e2e.senders import Answer, post_concurrently
from tests.e2e.test_intake_load import deal_comments, settle

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Tvbridge:
    """``tvbridge run`` as a separate process, as a trader runs it."""

    def __init__(self, data_dir: Path) -> None:
        self.data_dir = data_dir
        self.public_port, self.admin_port = free_port(), free_port()
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        ports = ["--public-port", str(self.public_port), "--admin-port", str(self.admin_port)]
        command = [sys.executable, "-m", "tray", "run", "--data-dir", str(self.data_dir), *ports, "--broker", "sim"]
        log = (self.data_dir.parent / "stdio.log").open("ab")
        self.proc = subprocess.Popen(command, cwd=ROOT, stdin=subprocess.DEVNULL, stdout=log, stderr=log)
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"http://127.0.0.1:{self.public_port}/healthz").status_code == 200:
                    return
            except httpx.TransportError:
                pass
            assert self.proc.poll() is None and time.monotonic() < deadline, "tvbridge did not start"
            time.sleep(0.02)

    def children(self) -> list[int]:
        assert self.proc is not None
        found: list[int] = []
        for task in Path(f"/proc/{self.proc.pid}/task").iterdir():
            found += [int(c) for c in (task / "children").read_text().split()]
        return found

    def admin(self) -> httpx.Client:
        token = (self.data_dir / "admin-token").read_text().strip()
        headers = {"Authorization": f"Bearer {token}"}
        return httpx.Client(base_url=f"http://127.0.0.1:{self.admin_port}", timeout=30, headers=headers)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            self.proc.wait(60)


def wait_gone(pid: int, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while Path(f"/proc/{pid}").exists() and Path(f"/proc/{pid}/stat").read_text().split()[2] != "Z":
        assert time.monotonic() < deadline, f"process {pid} did not exit"
        time.sleep(0.05)


@pytest.mark.skipif(sys.platform != "linux", reason="reads /proc to find the agent process")
def test_every_answered_alert_survives_a_kill_mid_stream_exactly_once(tmp_path: Path) -> None:
    app = Tvbridge(tmp_path / "data")
    app.start()
    try:
        with app.admin() as admin:
            # a stream of 3000 alerts to one strategy: past its default rate limits, which are not what this tests
            strategy = admin.post("/api/v1/strategies", json={
                "name": "crash", "rate_limit_per_second": 10_000, "rate_limit_per_minute": 600_000}).json()
        url = httpx.URL(strategy["webhook_url"])
        sides = ("buy", "sell")
        bodies = [
            f'{{"symbol":"EURUSD","action":"{sides[n % 2]}","volume":0.01,"id":"k-{n}"}}'.encode() for n in range(3000)
        ]
        answers: list[Answer] = []

        def stream() -> None:  # 20 senders, each until its connection breaks
            answers.extend(post_concurrently(url.host, url.port or 80, url.path, bodies, 20, partial=True))

        database = app.data_dir.joinpath("tvbridge.db")
        empty = database.stat().st_size  # the migrated schema alone (it grows with the tables)
        sender = threading.Thread(target=stream)
        sender.start()
        while database.stat().st_size < empty + 200_000:  # well into the stream
            time.sleep(0.01)
        agents = app.children()
        assert app.proc is not None
        os.kill(app.proc.pid, signal.SIGKILL)
        app.proc.wait()
        sender.join(60)
        for pid in agents:  # the agent saw its lifeline close: it finishes its job in hand and exits
            wait_gone(pid)

        acked = {a.body["signal_id"] for a in answers if a.status == 200}
        assert len(acked) > 50, "the kill came too early to test anything"

        app.start()  # a new server and agent: the agent reconciles what the old one had claimed
        with app.admin() as admin:
            signals = {s["id"]: s for s in settle(admin, strategy["strategy_id"])}
        deals = deal_comments(app.data_dir)
        assert set(acked) <= set(signals), "an answered alert was lost"
        per_alert = Counter(str(s["raw_payload"]) for s in signals.values())
        assert max(per_alert.values()) == 1, "an alert was stored twice"
        assert {s["status"] for s in signals.values()} <= {"executed", "failed"}
        for signal_id, s in signals.items():
            assert deals[f"tvb:{signal_id}"] <= 1, f"signal {signal_id} was traded twice"
            if s["status"] == "executed":
                assert deals[f"tvb:{signal_id}"] == 1, f"signal {signal_id} executed without a deal"
    finally:
        app.stop()
