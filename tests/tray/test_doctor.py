"""``tvbridge doctor`` against real things: real ports, a real data folder, the MT5 simulator standing in for the
MetaTrader5 module (same API), and a running tvbridge whose tunnel goes through the fake ngrok agent
(tests/fakes/fake_ngrok.py, a real process that pyngrok drives exactly like ngrok)."""

from __future__ import annotations

import json
import os
import signal
import socket
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import keyring
import keyring.backend
import pytest
from pyngrok import installer
from typer.testing import CliRunner

import agent.mt5sim as mt5sim
from agent.mt5sim import control
from tests.fakes.keyring import MemoryKeyring
from tests.fakes.ngrok import pid_alive, write_ngrok_wrapper
from tray.cli import app
from tray.compose import build_runtime
from tray.doctor import FAIL, PASS, SKIP, exit_code, format_report, probe_terminal, run_checks
from tray.paths import resolve_paths
from tray.settings import Settings
from tray.status import AppState, compute_status
from tray.tunnel import TunnelState

TOKEN = "2dOcToRtOkEn_e2e_0123456789abcdef"
FAST = {"check_interval": 0.2, "connect_deadline": 10.0, "reconnect_grace": 1.0, "backoff_initial": 0.2,
        "backoff_max": 1.0}


@pytest.fixture(autouse=True)
def memory(monkeypatch: pytest.MonkeyPatch) -> Iterator[MemoryKeyring]:
    monkeypatch.delenv("NGROK_AUTHTOKEN", raising=False)
    for key in list(os.environ):
        if key.startswith("TVBRIDGE_"):
            monkeypatch.delenv(key)
    previous = keyring.get_keyring()
    backend = MemoryKeyring()
    keyring.set_keyring(backend)
    yield backend
    keyring.set_keyring(previous)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def by_name(checks: list[Any]) -> dict[str, Any]:
    return {c.name: c for c in checks}


def test_all_good_on_a_prepared_machine(tmp_path: Path, memory: MemoryKeyring) -> None:
    memory.set_password("tvbridge/ngrok", "authtoken", TOKEN)
    ngrok = tmp_path / "ngrok"
    ngrok.write_text("#!/bin/sh\n")
    settings = Settings(public_port=free_port(), admin_port=free_port(), ngrok_path=str(ngrok))
    checks = run_checks(settings, resolve_paths(tmp_path / "data"), platform="linux")
    status = {c.name: c.status for c in checks}
    assert status == {"Data folder": PASS, "tvbridge": SKIP, "Broker": PASS, "AutoTrading": SKIP, "Ports": PASS,
                      "ngrok authtoken": PASS, "ngrok program": PASS, "Tunnel": SKIP}
    assert "the simulator is what tvbridge uses" in by_name(checks)["Broker"].message
    assert "from the keyring" in by_name(checks)["ngrok authtoken"].message
    assert exit_code(checks) == 0
    report = format_report(checks)
    assert report.endswith("All checks passed.") and TOKEN not in report


def test_problems_are_reported_in_plain_words(tmp_path: Path) -> None:
    blocker = socket.socket()
    blocker.bind(("127.0.0.1", 0))
    blocker.listen()
    taken = blocker.getsockname()[1]
    not_a_folder = tmp_path / "file"
    not_a_folder.write_text("x")
    try:
        settings = Settings(public_port=taken, admin_port=free_port(), broker="mt5")
        checks = by_name(run_checks(settings, resolve_paths(not_a_folder / "data"), platform="linux"))
    finally:
        blocker.close()
    assert checks["Data folder"].status == FAIL and "cannot write" in checks["Data folder"].message
    assert checks["Broker"].status == FAIL and "runs only on Windows" in checks["Broker"].message
    assert "`tvbridge config set broker sim`" in checks["Broker"].message
    assert checks["Ports"].status == FAIL and f"Port {taken} (webhooks) is used by another program" in \
        checks["Ports"].message
    assert checks["ngrok authtoken"].status == FAIL and "tvbridge secret set ngrok-authtoken" in \
        checks["ngrok authtoken"].message
    assert checks["ngrok program"].status == FAIL
    assert exit_code(list(checks.values())) == 1


def test_own_public_url_needs_no_tunnel(tmp_path: Path) -> None:
    settings = Settings(public_port=free_port(), admin_port=free_port(), public_base_url="https://hooks.example.com")
    checks = by_name(run_checks(settings, resolve_paths(tmp_path / "data"), platform="linux"))
    assert checks["ngrok authtoken"].status == SKIP and "ngrok program" not in checks
    assert exit_code(list(checks.values())) == 0


@pytest.fixture
def sim() -> Iterator[Any]:
    control.reset()
    control.configure(None)
    yield mt5sim
    control.reset()


def test_terminal_and_autotrading_are_read_from_the_mt5_api(sim: Any, tmp_path: Path) -> None:
    """The simulator implements the MetaTrader5 module's API, so the doctor's Windows path runs here."""
    settings = Settings(broker="mt5", public_port=free_port(), admin_port=free_port())
    checks = by_name(run_checks(settings, resolve_paths(tmp_path / "data"), mt5_loader=lambda: sim,
                                platform="win32"))
    assert (checks["Broker"].status, checks["MT5 terminal"].status, checks["AutoTrading"].status) == (PASS, PASS, PASS)

    control.set_terminal(trade_allowed=False)  # the AutoTrading button is off
    [terminal, autotrading] = probe_terminal(sim, settings)
    assert terminal.status == PASS
    assert autotrading.status == FAIL and "press the AutoTrading" in autotrading.message

    control.set_terminal(trade_allowed=True)
    control.set_initialize_failure("not_found")  # no terminal installed / running
    [terminal, autotrading] = probe_terminal(sim, settings)
    assert terminal.status == FAIL and "MetaTrader 5 did not answer" in terminal.message
    assert "code -10003" in terminal.message and autotrading.status == SKIP
    control.set_initialize_failure(None)

    control.set_terminal(connected=False)
    assert probe_terminal(sim, settings)[0].status == FAIL  # initialize cannot log in: IPC timeout


# -- a running tvbridge with its tunnel through the fake ngrok agent -----------------------------------------


@pytest.fixture
def fake_ngrok(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[Path, Path]]:
    """An executable ``ngrok`` that runs the fake agent; yields (its path, its state file)."""

    def no_download(*args: Any, **kwargs: Any) -> None:
        raise AssertionError("pyngrok tried to download ngrok")

    monkeypatch.setattr(installer, "install_ngrok", no_download)
    wrapper = write_ngrok_wrapper(tmp_path / "bin")
    state = tmp_path / "fake-ngrok.jsonl"
    for var in ("FAKE_NGROK_MODE", "FAKE_NGROK_BUSY_URLS", "PYNGROK_NGROK_PATH"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("FAKE_NGROK_STATE_FILE", str(state))
    yield wrapper, state
    events = [json.loads(line) for line in state.read_text().splitlines()] if state.exists() else []
    leftovers = [e["pid"] for e in events if e["event"] == "invoke" and pid_alive(e["pid"])]
    for pid in leftovers:
        os.kill(pid, signal.SIGKILL)
    assert not leftovers, f"ngrok agents left running: {leftovers}"


@pytest.mark.skipif(sys.platform == "win32", reason="the fake agent is a #! script")
def test_doctor_and_tray_status_see_a_running_tvbridge_and_its_tunnel(
        tmp_path: Path, memory: MemoryKeyring, fake_ngrok: tuple[Path, Path]) -> None:
    ngrok, state = fake_ngrok
    memory.set_password("tvbridge/ngrok", "authtoken", TOKEN)
    paths = resolve_paths(tmp_path / "data")
    settings = Settings(public_port=0, admin_port=0, ngrok_path=str(ngrok), ngrok_domain="doctor-test.ngrok-free.app")
    runtime = build_runtime(settings, paths, spawn_agent=True, tunnel_options=FAST)
    runtime.start()
    try:
        assert runtime.tunnel is not None and runtime.server is not None and runtime.ctx is not None
        assert runtime.tunnel.wait_for(TunnelState.ONLINE, 20), runtime.tunnel.status
        # the tunnel forwards to the port the OS picked for the public listener (port 0 in the settings)
        assert runtime.tunnel.upstream_url == f"http://127.0.0.1:{runtime.server.public_port}"
        assert runtime.public_base_url() == "https://doctor-test.ngrok-free.app"
        strategy, _ = runtime.ctx.strategies.list()[0]
        url = runtime.ctx.strategies.webhook_url(strategy)
        assert url.startswith("https://doctor-test.ngrok-free.app/api/v1/webhooks/tv/")

        api = [json.loads(line) for line in state.read_text().splitlines() if '"api"' in line][-1]["url"]
        [endpoint] = httpx.get(f"{api}/api/endpoints", timeout=5).json()["endpoints"]
        assert endpoint["upstream"]["url"] == runtime.tunnel.upstream_url
        edge = endpoint["x_fake_forward_url"]  # "the internet side" of the fake tunnel
        answer = httpx.post(edge + httpx.URL(url).path, content=b'{"symbol":"EURUSD","action":"buy","volume":0.01}',
                            timeout=10).json()
        assert answer["status"] == "pending"

        # the doctor finds this instance through runtime.json (its ports are not the configured ones)
        checks = by_name(run_checks(Settings(ngrok_path=str(ngrok)), paths, platform="linux"))
        assert checks["tvbridge"].status == PASS and runtime.admin_url in checks["tvbridge"].message
        assert checks["Tunnel"].status == PASS and "https://doctor-test.ngrok-free.app" in checks["Tunnel"].message
        assert checks["Ports"].status == PASS and "this running tvbridge" in checks["Ports"].message

        deadline = time.monotonic() + 20
        while compute_status(runtime).state is not AppState.RUNNING and time.monotonic() < deadline:
            time.sleep(0.1)  # until the agent has reported in
        assert compute_status(runtime).state is AppState.RUNNING, compute_status(runtime).reasons
        checks = by_name(run_checks(Settings(ngrok_path=str(ngrok)), paths, platform="linux"))
        assert checks["AutoTrading"].status == PASS
        assert exit_code(list(checks.values())) == 0, format_report(list(checks.values()))
    finally:
        runtime.stop()


def test_doctor_command_exit_code(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["doctor", "--data-dir", str(tmp_path / "data")])
    assert result.exit_code == 1
    assert "[FAIL] ngrok authtoken: No ngrok authtoken is set" in result.output
    assert "check(s) failed" in result.output
