"""A job the agent died on twice is quarantined, not run a third time (issue 9.3), over real processes: the real
runtime, its agent process on a slow simulated broker, and SIGKILL while the agent executes the job.

The agent notes a job in its crash journal (``agents/<id>/inflight.json``) before it sends anything; the test
waits for that note (the state says the job is in flight) and kills the agent inside the broker's round trip,
so nothing reaches the broker. After the second death the restarted agent reports the signal ``failed`` with a
sentence, and trades the next alert normally.
"""

from __future__ import annotations

import json
import os
import signal
import time
from pathlib import Path

from tests.e2e.conftest import Live, start_live, stop_live

ROUND_TRIP_MS = 3_000  # the first half (1.5 s) passes before the simulated broker executes anything


def starts_of(live: Live, job_id: int) -> int:
    path = live.data_dir / "agents" / "default" / "inflight.json"
    try:
        return int(json.loads(path.read_text(encoding="utf-8")).get(str(job_id), 0))
    except (OSError, ValueError):
        return 0


def kill_when_started(live: Live, job_id: int, starts: int, timeout: float = 60.0) -> None:
    """SIGKILL the agent as soon as its crash journal shows its ``starts``-th start of ``job_id``."""
    deadline = time.monotonic() + timeout
    while starts_of(live, job_id) < starts:
        assert time.monotonic() < deadline, f"job {job_id} was not started {starts} times"
        time.sleep(0.005)
    agent = live.runtime.agent
    assert agent is not None and agent.proc is not None
    os.kill(agent.proc.pid, signal.SIGKILL)


def job_of(live: Live, signal_id: int) -> int:
    import sqlite3

    with sqlite3.connect(live.db) as conn:
        row = conn.execute("SELECT id FROM jobs WHERE signal_id = ?", (signal_id,)).fetchone()
    assert row is not None
    return int(row[0])


def test_a_job_that_killed_the_agent_twice_is_quarantined(tmp_path: Path) -> None:
    live = start_live(tmp_path / "data", sim_latency_ms=ROUND_TRIP_MS)
    try:
        strategy = live.create_strategy("quarantine", max_signal_age_seconds=300)
        resp = live.post_alert(strategy, '{"symbol":"EURUSD","action":"buy","lots":0.1}')
        signal_id = resp.json()["signal_id"]
        job_id = job_of(live, signal_id)
        kill_when_started(live, job_id, 1)
        kill_when_started(live, job_id, 2)  # the restarted agent found nothing sent and ran it again
        sig = live.wait_final(signal_id, timeout=60)
        assert sig["status"] == "failed", sig
        assert sig["error_message"].startswith("Quarantined: the agent stopped 2 times"), sig["error_message"]
        assert sig["orders"] == []
        deadline = time.monotonic() + 10
        while starts_of(live, job_id):  # once its result is posted, the job leaves the crash journal
            assert time.monotonic() < deadline, "the quarantined job stayed in the crash journal"
            time.sleep(0.01)

        after = live.trade(strategy, '{"symbol":"EURUSD","action":"buy","lots":0.2}')
        assert after["status"] == "executed", after  # the agent trades the next alert
        assert [(p["symbol"], p["volume"]) for p in live.positions(strategy)] == [("EURUSD", 0.2)]
    finally:
        stop_live(live)
