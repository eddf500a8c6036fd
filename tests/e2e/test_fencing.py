"""One agent acts for an agent id at a time (issue 9, item 1 and "one process holds the terminal").

Over real processes: ``tvbridge run`` killed mid-order and started again while its orphaned agent still finishes
the order; two agents started for one agent id on one PC (the terminal lock) and on two machines (the server's
lease, with the first one frozen and then thawed). The simulated broker's history journal is the judge: every
process appends the deals it executes there, so a signal sent twice shows two deals with its comment.
"""

from __future__ import annotations

import signal
import sqlite3
import sys
import time
from pathlib import Path

import httpx
import pytest

from tests.e2e.agents import AgentProc, deals_by_comment, wait_job
from tests.e2e.conftest import Live, start_live, stop_live
from tests.e2e.test_server_killed import Tvbridge, wait_gone

pytestmark = pytest.mark.skipif(sys.platform != "linux", reason="reads /proc and sends POSIX signals")

#: A slow broker: ``order_send`` takes 20 s (the broker executes after 10 s), so the restarted app's agent is up and
#: reconciling well before the orphan's order reaches the broker, even on a busy machine: without fencing it sends
#: the signal a second time.
SLOW_MS = 20_000


def _token(data_dir: Path) -> str:
    return (data_dir / "agent-token").read_text().strip()


def _finish_order(live: Live, signal_ids: list[int]) -> list[int]:
    """The ``finish_seq`` each signal's job was numbered with by the agent process that finished it."""
    with sqlite3.connect(live.db) as conn:
        found = dict(conn.execute("SELECT signal_id, finish_seq FROM jobs").fetchall())
    return [found[i] for i in signal_ids]


def _numbered_on(earlier: list[int], later: list[int]) -> None:
    """Each job has a number of its own, and the process that took over numbered its jobs on from the other's: a
    snapshot of it can never claim a job of the other one that it did not see (server/reflected.py)."""
    assert None not in earlier + later and len(set(earlier + later)) == len(earlier + later), (earlier, later)
    assert max(earlier) < min(later), (earlier, later)


@pytest.mark.parametrize(
    "same_ports", [True, False], ids=["orphan-reaches-the-new-server", "orphan-cut-off-from-the-new-server"]
)
def test_the_app_killed_mid_order_and_restarted_leads_to_exactly_one_order(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, same_ports: bool
) -> None:
    """Issue 9 item 1. The orphaned agent finishes its order; the new app's agent waits for the terminal lock, then
    takes over and reconciles. With the same ports the orphan even reports its result to the new server first."""
    monkeypatch.setenv("TVBRIDGE_SIM_LATENCY_MS", str(SLOW_MS))
    app = Tvbridge(tmp_path / "data")
    app.start()
    try:
        with app.admin() as admin:
            strategy = admin.post("/api/v1/strategies", json={"name": "crash", "max_signal_age_seconds": 300}).json()
            agent_up = time.monotonic() + 60
            while not [a for a in admin.get("/api/v1/account").json() if (a.get("balance") or 0) > 0]:
                assert time.monotonic() < agent_up, "the agent never connected"
                time.sleep(0.05)
        url = httpx.URL(strategy["webhook_url"])
        body = b'{"symbol":"EURUSD","action":"buy"}'
        resp = httpx.post(f"http://127.0.0.1:{app.public_port}{url.path}", content=body)
        signal_id = resp.json()["signal_id"]
        wait_job(app.data_dir / "tvbridge.db", signal_id, lambda j: j["status"] == "claimed")
        orphans = app.children()
        time.sleep(0.5)  # the agent is inside order_send: the broker has not executed yet
        assert app.proc is not None
        app.proc.kill()  # SIGKILL: the app's agent is orphaned, sees its lifeline close and finishes the order
        app.proc.wait()
        if not same_ports:
            app = Tvbridge(app.data_dir)
        app.start()  # at once, while the orphan is still sending
        with app.admin() as admin:
            deadline = time.monotonic() + 120
            while (sig := admin.get(f"/api/v1/signals/{signal_id}").json())["status"] == "pending":
                assert time.monotonic() < deadline, sig
                time.sleep(0.05)
        for pid in orphans:
            wait_gone(pid)
        assert sig["status"] == "executed", sig
        assert deals_by_comment(app.data_dir)[f"tvb:{signal_id}"] == 1, "the signal was sent twice"
        if not same_ports:
            assert any("not sent again" in note for note in sig["notes"]), sig["notes"]  # found by its comment
    finally:
        app.stop()


def _wait_executed(live: Live, strategy: dict[str, object], ids: list[int], timeout: float = 60) -> None:
    for signal_id in ids:
        sig = live.settled(strategy, signal_id, timeout=timeout)  # type: ignore[arg-type]
        assert sig["status"] == "executed", sig


def test_two_agents_on_one_pc_for_one_agent_id_never_both_send(tmp_path: Path) -> None:
    live = start_live(tmp_path / "data", spawn_agent=False)
    first = second = None
    try:
        token = _token(live.data_dir)
        strategy = live.create_strategy("two agents")
        first = AgentProc(live.runtime.admin_url, live.data_dir, token, name="first")
        live.wait_snapshot(lambda s: (s["balance"] or 0) > 0, timeout=60)
        second = AgentProc(live.runtime.admin_url, live.data_dir, token, name="second")
        second.wait_log("Another agent for agent id 'default' is running on this computer")
        ids = [live.post_alert(strategy, f'{{"symbol":"EURUSD","action":"buy","volume":0.01,"id":"a{n}"}}')
               .json()["signal_id"] for n in range(10)]
        _wait_executed(live, strategy, ids)
        deals = deals_by_comment(live.data_dir)
        assert all(deals[f"tvb:{i}"] == 1 for i in ids), deals
        assert sum(p["volume"] for p in live.positions(strategy)) == pytest.approx(0.10)
        assert "job " not in second.text(), "the waiting agent took a job"

        first.kill()  # the terminal lock goes with the process: the second agent takes over at once
        second.wait_log("This agent process took over agent id 'default'")
        more = [live.post_alert(strategy, f'{{"symbol":"EURUSD","action":"buy","volume":0.01,"id":"b{n}"}}')
                .json()["signal_id"] for n in range(5)]
        _wait_executed(live, strategy, more)
        deals = deals_by_comment(live.data_dir)
        assert all(deals[f"tvb:{i}"] == 1 for i in ids + more), deals
        assert sum(p["volume"] for p in live.positions(strategy)) == pytest.approx(0.15)
        _numbered_on(_finish_order(live, ids), _finish_order(live, more))
    finally:
        for proc in (first, second):
            if proc is not None:
                proc.stop()
        stop_live(live)


def test_two_agents_on_two_machines_for_one_agent_id_never_both_send(tmp_path: Path) -> None:
    """The second machine waits for the lease; the first is frozen (a hung or cut-off PC) and loses it; thawed, it
    finds itself fenced off and sends nothing, while the second trades."""
    live = start_live(tmp_path / "data", spawn_agent=False, agent_lease_seconds=2)
    here, there = tmp_path / "pc-1", tmp_path / "pc-2"
    first = second = None
    try:
        token = _token(live.data_dir)
        strategy = live.create_strategy("two machines")
        first = AgentProc(live.runtime.admin_url, here, token, name="first")
        live.wait_snapshot(lambda s: (s["balance"] or 0) > 0, timeout=60)
        second = AgentProc(live.runtime.admin_url, there, token, name="second")
        second.wait_log("holds agent id 'default': this one waits for its lease")
        before = [live.post_alert(strategy, f'{{"symbol":"EURUSD","action":"buy","volume":0.01,"id":"a{n}"}}')
                  .json()["signal_id"] for n in range(5)]
        _wait_executed(live, strategy, before)

        first.signal(signal.SIGSTOP)  # frozen while waiting for jobs: its lease lapses, the second takes over
        second.wait_log("This agent process took over agent id 'default'")
        during = [live.post_alert(strategy, f'{{"symbol":"EURUSD","action":"buy","volume":0.01,"id":"b{n}"}}')
                  .json()["signal_id"] for n in range(5)]
        _wait_executed(live, strategy, during)
        first.signal(signal.SIGCONT)
        first.wait_log("Another agent process took over agent id 'default'")
        after = [live.post_alert(strategy, f'{{"symbol":"EURUSD","action":"buy","volume":0.01,"id":"c{n}"}}')
                 .json()["signal_id"] for n in range(5)]
        _wait_executed(live, strategy, after)

        on_first, on_second = deals_by_comment(here), deals_by_comment(there)
        for signal_id in before + during + after:
            comment = f"tvb:{signal_id}"
            assert on_first[comment] + on_second[comment] == 1, (comment, on_first, on_second)
        assert not any(on_first[f"tvb:{i}"] for i in during + after), "the fenced-off agent sent"
        _numbered_on(_finish_order(live, before), _finish_order(live, during + after))  # on another machine
    finally:
        for proc in (first, second):
            if proc is not None:
                proc.stop()
        stop_live(live)
