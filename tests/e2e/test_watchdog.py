"""Never stuck, never retried forever (issue 9, items 10 and 3): a hung agent's claimed signal gets a provisional
outcome with a sentence and a notification, corrected when an agent returns; a job handed out again and again
after agent deaths is quarantined by the server even when the agent's own crash journal is gone.

Real processes: the server in this process, agents started by hand, frozen with SIGSTOP (hung) or killed with
SIGKILL inside a slow ``order_send`` before the simulated broker executed it.
"""

from __future__ import annotations

import json
import signal
import sys
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from server.models import Signal
from tests.e2e.agents import AgentProc, deals_by_comment, wait_job
from tests.e2e.conftest import Live, start_live, stop_live

pytestmark = pytest.mark.skipif(sys.platform != "linux", reason="sends POSIX signals")

#: ``order_send`` takes 4 s; the broker executes after 2 s.
SLOW_MS = 4000


class Notified:
    """The signals the runtime reported final (what the tray and the notification services are told)."""

    def __init__(self) -> None:
        self.signals: list[Signal] = []
        self._changed = threading.Condition()

    def __call__(self, signal_: Signal) -> None:
        with self._changed:
            self.signals.append(signal_)
            self._changed.notify_all()

    def wait(self, signal_id: int, count: int, timeout: float = 60.0) -> list[Signal]:
        with self._changed:
            assert self._changed.wait_for(lambda: len(self.of(signal_id)) >= count, timeout), self.signals
            return self.of(signal_id)

    def of(self, signal_id: int) -> list[Signal]:
        return [s for s in self.signals if s.id == signal_id]


def wait_started(live: Live, signal_id: int, timeout: float = 30.0) -> None:
    """Wait until the agent noted the signal's job in its crash journal: it is about to send (agent/crashes.py)."""
    job_id = wait_job(live.db, signal_id, lambda j: j["status"] == "claimed")["id"]
    path = live.data_dir / "agents" / "default" / "inflight.json"
    deadline = time.monotonic() + timeout
    while True:
        try:
            if str(job_id) in json.loads(path.read_text(encoding="utf-8")):
                return
        except (OSError, ValueError):
            pass
        assert time.monotonic() < deadline, f"job {job_id} was never started"
        time.sleep(0.005)


def _wait_final(live: Live, signal_id: int, timeout: float = 60.0) -> dict[str, Any]:
    return live.wait_final(signal_id, timeout=timeout)


def _wait_status(live: Live, signal_id: int, predicate: Any, timeout: float = 60.0) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while not predicate(sig := live.admin.get(f"/api/v1/signals/{signal_id}").json()):
        assert time.monotonic() < deadline, sig
        time.sleep(0.05)
    return sig


def test_a_hung_agent_leaves_no_signal_pending_and_its_return_corrects_it(tmp_path: Path) -> None:
    live = start_live(tmp_path / "data", spawn_agent=False, agent_lease_seconds=2)
    notified = Notified()
    live.runtime.on_signal.append(notified)
    token = (live.data_dir / "agent-token").read_text().strip()
    hung = back = None
    try:
        strategy = live.create_strategy("hang", max_signal_age_seconds=3)
        hung = AgentProc(live.runtime.admin_url, live.data_dir, token, name="hung", sim_latency_ms=SLOW_MS)
        live.wait_snapshot(lambda s: (s["balance"] or 0) > 0, timeout=60)
        signal_id = live.post_alert(strategy, '{"symbol":"EURUSD","action":"buy","volume":0.2}').json()["signal_id"]
        wait_started(live, signal_id)
        time.sleep(0.3)  # inside order_send, before the broker executed
        hung.signal(signal.SIGSTOP)  # hung: no renewals, no result

        sig = _wait_final(live, signal_id)
        assert sig["status"] == "failed", sig
        assert "check the terminal" in sig["error_message"], sig
        assert sig["decided_by"] == "watchdog", sig
        [first] = notified.wait(signal_id, 1)
        assert first.status == "failed" and "check the terminal" in (first.error_message or "")

        hung.kill()
        back = AgentProc(live.runtime.admin_url, live.data_dir, token, name="back")
        sig = _wait_status(live, signal_id, lambda s: s["decided_by"] == "agent")
        assert sig["status"] == "expired", sig  # nothing reached the broker, and the alert is too old to send now
        assert any("check the terminal" in note for note in sig["notes"]), sig["notes"]  # the provisional outcome
        assert any("corrected" in note.lower() for note in sig["notes"]), sig["notes"]
        notified.wait(signal_id, 2)
        assert deals_by_comment(live.data_dir)[f"tvb:{signal_id}"] == 0
    finally:
        for proc in (hung, back):
            if proc is not None:
                proc.stop()
        stop_live(live)


def test_a_job_handed_out_three_times_is_quarantined_by_the_server_without_the_crash_journal(tmp_path: Path) -> None:
    live = start_live(tmp_path / "data", spawn_agent=False)
    token = (live.data_dir / "agent-token").read_text().strip()
    journal = live.data_dir / "agents" / "default" / "inflight.json"
    agents: list[AgentProc] = []
    try:
        strategy = live.create_strategy("crashes", max_signal_age_seconds=300)
        signal_id = 0
        for n in range(2):  # two agents die inside the job's order_send
            agent = AgentProc(live.runtime.admin_url, live.data_dir, token, name=f"dies-{n}", sim_latency_ms=SLOW_MS)
            agents.append(agent)
            if n == 0:
                live.wait_snapshot(lambda s: (s["balance"] or 0) > 0, timeout=60)
                body = '{"symbol":"EURUSD","action":"buy","volume":0.3}'
                signal_id = live.post_alert(strategy, body).json()["signal_id"]
            wait_started(live, signal_id)
            time.sleep(0.3)  # inside order_send, before the broker executed
            agent.kill()
            journal.unlink(missing_ok=True)  # the crash journal is lost (or the agent moved to another machine)

        agents.append(AgentProc(live.runtime.admin_url, live.data_dir, token, name="third", sim_latency_ms=SLOW_MS))
        sig = _wait_final(live, signal_id, timeout=60)
        assert sig["status"] == "failed", sig
        assert "Quarantined" in sig["error_message"], sig
        assert any("quarantined" in note.lower() for note in sig["notes"]), sig["notes"]
        assert deals_by_comment(live.data_dir)[f"tvb:{signal_id}"] == 0
        assert wait_job(live.db, signal_id, lambda j: j["status"] == "done")["attempts"] == 3
    finally:
        for proc in agents:
            proc.stop()
        stop_live(live)


def test_a_hung_broker_write_ends_the_agent_and_the_alert_ends_quarantined_not_sent(tmp_path: Path) -> None:
    """The simulated terminal never answers ``order_send`` in time: the watchdog ends the agent (its log holds the
    hung call's stack), the app restarts it, the job is taken over and tried again, and after the second death the
    alert ends ``failed`` (quarantined) instead of hanging the agent for ever. Nothing reached the broker."""
    live = start_live(tmp_path / "data", sim_latency_ms=60_000, broker_write_limit_seconds=2)
    try:
        strategy = live.create_strategy("hangs", max_signal_age_seconds=300)
        signal_id = live.post_alert(strategy, '{"symbol":"EURUSD","action":"buy","volume":0.1}').json()["signal_id"]
        sig = _wait_final(live, signal_id, timeout=90)
        assert sig["status"] == "failed" and "Quarantined" in sig["error_message"], sig
        agent = live.runtime.agent
        assert agent is not None and agent.restarts >= 2
        log = (live.data_dir / "logs" / "agent-default.log").read_text(errors="replace")
        assert "Timeout (" in log and "in order_send" in log
        assert deals_by_comment(live.data_dir)[f"tvb:{signal_id}"] == 0
    finally:
        stop_live(live)
