"""``tvbridge run`` as a user runs it: a real process, real logging, a clean stop on SIGTERM."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait_for(predicate, timeout: float = 30.0):  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            value = predicate()
            if value:
                return value
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    raise AssertionError("condition not met in time")


def test_run_prints_urls_trades_logs_without_secrets_and_stops_on_sigterm(tmp_path: Path) -> None:
    data = tmp_path / "data"
    public, admin = _free_port(), _free_port()
    out = tmp_path / "stdout.txt"
    env = {k: v for k, v in os.environ.items() if not k.startswith("TVBRIDGE_")}
    with out.open("w") as fh:
        proc = subprocess.Popen(
            [sys.executable, "-m", "tray", "run", "--data-dir", str(data), "--public-port", str(public),
             "--admin-port", str(admin)],
            stdout=fh, stderr=subprocess.STDOUT, env=env,
        )
    try:
        url = _wait_for(lambda: re.search(r"http://127\.0\.0\.1:\d+/api/v1/webhooks/tv/\S+", out.read_text()))
        webhook = url.group(0)
        secret = webhook.rsplit("/", 1)[1]
        token = (data / "admin-token").read_text().strip()
        admin_http = httpx.Client(base_url=f"http://127.0.0.1:{admin}", headers={"Authorization": f"Bearer {token}"})
        _wait_for(lambda: admin_http.get("/api/v1/account").json())
        answer = httpx.post(webhook, content='{"symbol":"EURUSD","action":"buy","volume":0.05}').json()
        signal_id = answer["signal_id"]
        final = _wait_for(
            lambda: (s := admin_http.get(f"/api/v1/signals/{signal_id}").json())["status"] != "pending" and s
        )
        assert final["status"] == "executed"
        httpx.post(f"http://127.0.0.1:{public}/api/v1/webhooks/tv/unknown-secret-xyz", content=b"buy EURUSD")
    finally:
        proc.send_signal(signal.SIGTERM)
        code = proc.wait(timeout=30)
    assert code == 0
    text = out.read_text()
    assert "admin-token" in text and "stopping" in text
    logs = "".join(p.read_text() for p in (data / "logs").glob("*.log*"))
    assert "POST /api/v1/webhooks/tv/*** HTTP/1.1" in logs  # uvicorn's access log is there, redacted
    assert secret not in logs and "unknown-secret-xyz" not in logs and token not in logs
    # the agent process stopped with the server (no orphan)
    assert "agent process started" in logs


def _children(pid: int) -> list[int]:
    out = subprocess.run(["ps", "-o", "pid=", "--ppid", str(pid)], capture_output=True, text=True).stdout
    return [int(p) for p in out.split()]


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # a zombie (exited, not yet reaped by its new parent) counts as gone
    stat = Path(f"/proc/{pid}/stat")
    return stat.exists() and stat.read_text().split()[2] != "Z"


def test_the_agent_exits_when_the_app_dies_without_stopping_it(tmp_path: Path) -> None:
    data = tmp_path / "data"
    env = {k: v for k, v in os.environ.items() if not k.startswith("TVBRIDGE_")}
    proc = subprocess.Popen(
        [sys.executable, "-m", "tray", "run", "--data-dir", str(data), "--public-port", "0", "--admin-port", "0"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env,
    )
    try:
        agents = _wait_for(lambda: _children(proc.pid))
    finally:
        proc.kill()  # SIGKILL: no clean-up runs in the app
        proc.wait()
    [agent_pid] = agents
    deadline = time.monotonic() + 15
    while _alive(agent_pid) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not _alive(agent_pid), "the agent outlived its app"


def _cli(data: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TVBRIDGE_")}
    return subprocess.run([sys.executable, "-m", "tray", *args, "--data-dir", str(data)],
                          capture_output=True, text=True, env=env, timeout=60)


def test_strategy_and_send_commands_drive_a_running_instance(tmp_path: Path) -> None:
    data = tmp_path / "data"
    env = {k: v for k, v in os.environ.items() if not k.startswith("TVBRIDGE_")}
    proc = subprocess.Popen(
        [sys.executable, "-m", "tray", "run", "--data-dir", str(data), "--public-port", "0", "--admin-port", "0"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env,
    )
    try:
        _wait_for(lambda: (data / "runtime.json").exists())
        created = _cli(data, "strategy", "create", "Gold scalper", "--default-volume", "0.05",
                       "--allowed-pairs", "XAUUSD")
        assert created.returncode == 0, created.stderr
        assert re.search(r"\[2\] Gold scalper: http://127\.0\.0\.1:\d+/api/v1/webhooks/tv/\S+", created.stdout)

        sent = _cli(data, "send", "2", "buy XAUUSD")
        assert sent.returncode == 0, sent.stderr
        assert "outcome: executed" in sent.stdout and "buy 0.05 XAUUSD" in sent.stdout

        alert = tmp_path / "alert.txt"
        alert.write_text("60123456789,sell,EURUSD,vol_lots=0.1\n")
        refused = _cli(data, "send", "2", "--file", str(alert))
        assert "outcome: rejected" in refused.stdout and "allowed pairs" in refused.stdout

        assert _cli(data, "strategy", "disable", "2").returncode == 0
        listed = _cli(data, "strategy", "list")
        assert "[2] Gold scalper (disabled, 2 signals)" in listed.stdout
        off = _cli(data, "send", "2", "buy XAUUSD lot=0.01")
        assert "outcome: discarded" in off.stdout and "disabled" in off.stdout
    finally:
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=30) == 0
