"""Exactly-once across an agent crash mid-order, end to end.

The simulator's ``order_send`` takes ``sim_latency_ms``: half before the broker executes, half while the answer
travels back. Killing the agent (SIGKILL: no clean-up) in either half must end with exactly one order:
- first half: nothing reached the broker, so the restarted agent sends it (once);
- second half: the broker executed but the agent never learned it; the restarted agent finds the order by its
  comment and reports it without sending it again.
"""

from __future__ import annotations

import os
import signal
import sqlite3
import time
from pathlib import Path

import pytest

from tests.e2e.conftest import Live, start_live, stop_live

ROUND_TRIP_MS = 3000


def _claimed_at(live: Live, signal_id: int, timeout: float = 10.0) -> float:
    """Wait until the agent has claimed the signal's job; return the monotonic time it was seen claimed."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with sqlite3.connect(live.db) as conn:
            row = conn.execute("SELECT status FROM jobs WHERE signal_id = ?", (signal_id,)).fetchone()
        if row and row[0] == "claimed":
            return time.monotonic()
        time.sleep(0.01)
    raise AssertionError("the job was never claimed")


@pytest.mark.parametrize(
    ("kill_after", "reconciled"),
    [(0.5, False), (2.2, True)],  # seconds after the claim: inside the first / the second half of the trip
    ids=["before-the-broker-executed", "after-the-broker-executed"],
)
def test_an_agent_killed_mid_order_leads_to_exactly_one_order(
    tmp_path: Path, kill_after: float, reconciled: bool
) -> None:
    live = start_live(tmp_path / "data", sim_latency_ms=ROUND_TRIP_MS)
    try:
        strategy = live.create_strategy("crash", max_signal_age_seconds=120)
        resp = live.post_alert(strategy, '{"symbol":"EURUSD","action":"buy","lots":0.3}')
        signal_id = resp.json()["signal_id"]
        claimed = _claimed_at(live, signal_id)
        agent = live.runtime.agent
        assert agent is not None and agent.proc is not None
        time.sleep(max(0.0, claimed + kill_after - time.monotonic()))
        os.kill(agent.proc.pid, signal.SIGKILL)
        sig = live.settled(strategy, signal_id, timeout=60)
        assert sig["status"] == "executed", sig
        assert agent.restarts >= 1
        if reconciled:
            assert any("not sent again" in n for n in sig["notes"]), sig["notes"]
        else:
            assert not sig["notes"]
        positions = live.positions(strategy)
        assert [(p["symbol"], p["volume"]) for p in positions] == [("EURUSD", 0.3)]  # one order, not two
    finally:
        stop_live(live)
