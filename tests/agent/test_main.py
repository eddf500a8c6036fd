"""The agent's own entry point: ``python -m agent`` runs an agent against a running server, ``tvbridge agent``
forwards to it, and an agent that cannot run says why in one sentence with exit code 2."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tests.e2e.conftest import start_live, stop_live

REPO = Path(__file__).resolve().parents[2]


def run(*args: str, env: dict[str, str] | None = None, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("TVBRIDGE_")}
    return subprocess.run(
        [sys.executable, *args], cwd=REPO, env={**clean, **(env or {})}, capture_output=True, text=True,
        timeout=timeout, stdin=subprocess.DEVNULL,
    )


def test_python_m_agent_and_tvbridge_agent_take_the_same_options() -> None:
    own, forwarded = run("-m", "agent", "--help"), run("-m", "tray", "agent", "--help")
    assert own.returncode == forwarded.returncode == 0
    for option in ("--admin-url", "--agent-id", "--data-dir", "--broker"):
        assert option in own.stdout and option in forwarded.stdout


def test_an_agent_without_a_token_says_so(tmp_path: Path) -> None:
    result = run("-m", "agent", "--data-dir", str(tmp_path))
    assert result.returncode == 2
    assert f"No agent token at {tmp_path / 'agent-token'}" in result.stderr


def test_an_agent_for_a_broker_this_machine_lacks_says_so(tmp_path: Path) -> None:
    if sys.platform == "win32":  # pragma: no cover - the package exists there
        return
    result = run("-m", "agent", "--data-dir", str(tmp_path), "--broker", "mt5", env={"TVBRIDGE_AGENT_TOKEN": "x"})
    assert result.returncode == 2
    assert "The MetaTrader5 package is not installed" in result.stderr


def test_python_m_agent_trades_for_a_running_server(tmp_path: Path) -> None:
    live = start_live(tmp_path / "data", spawn_agent=False)
    token = (tmp_path / "data" / "agent-token").read_text().strip()
    agent = subprocess.Popen(
        [sys.executable, "-m", "agent", "--admin-url", live.runtime.admin_url, "--data-dir",
         str(tmp_path / "agent"), "--lifeline"],
        cwd=REPO, env={**os.environ, "TVBRIDGE_AGENT_TOKEN": token}, stdin=subprocess.PIPE,
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    try:
        strategy = live.create_strategy("standalone")
        sig = live.trade(strategy, '{"symbol":"EURUSD","action":"buy","lots":0.1}')
        assert sig["status"] == "executed", sig
        assert (tmp_path / "agent" / "simulator" / "default").is_dir()  # its state lives in its own data folder
    finally:
        assert agent.stdin is not None
        agent.stdin.close()  # the lifeline: the agent finishes and exits
        code = agent.wait(timeout=30)
        stop_live(live)
    assert code == 0
