"""The server <-> agent contract over real HTTP: versions refused with a sentence, typed jobs, snapshots that
never go back in time, and positions answered "as of signal N"."""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

from contract import (
    CONTRACT_HEADER,
    CONTRACT_VERSION,
    AccountSnapshot,
    JobBatch,
    JobOutcome,
    JobResult,
    PositionState,
    SentOrder,
    TradeJob,
)
from tests.e2e.agents import AgentProc, leased_headers
from tests.e2e.conftest import Live, start_live, stop_live


@pytest.fixture(scope="module")
def serverless(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Live]:
    """A runtime without an agent: this module plays the agent over HTTP."""
    live = start_live(tmp_path_factory.mktemp("contract") / "data", spawn_agent=False)
    yield live
    stop_live(live)


def agent_http(live: Live, agent_id: str, version: int | None = CONTRACT_VERSION) -> httpx.Client:
    """A client playing agent ``agent_id``: of our contract version it holds the agent id's lease, as a real agent
    process does before anything else."""
    token = (live.data_dir / "agent-token").read_text().strip()
    headers = {"Authorization": f"Bearer {token}"}
    if version == CONTRACT_VERSION:
        headers = leased_headers(live.runtime.admin_url, token, agent_id)
    elif version is not None:
        headers[CONTRACT_HEADER] = str(version)
    return httpx.Client(base_url=f"{live.runtime.admin_url}/api/v1/agents/{agent_id}", headers=headers, timeout=10)


def snapshot(
    seq: int, boot: str, as_of: int | None, *positions: PositionState, as_of_finish: int | None = None
) -> dict[str, Any]:
    snap = AccountSnapshot(
        boot_id=boot, seq=seq, as_of_signal=as_of, as_of_finish=as_of_finish, taken_at=datetime.now(UTC), login=1,
        currency="USD", margin_mode="hedging", balance=10_000.0, equity=10_000.0, positions=list(positions),
    )
    return snap.model_dump(mode="json")


def position(ticket: int, magic: int, volume: float) -> PositionState:
    return PositionState(ticket=ticket, symbol="EURUSD", type="buy", volume=volume, magic=magic)


@pytest.mark.parametrize("version", [None, CONTRACT_VERSION - 1, CONTRACT_VERSION + 1])
def test_an_agent_of_another_contract_version_is_refused_with_a_sentence_and_takes_no_job(
    serverless: Live, version: int | None
) -> None:
    strategy = serverless.create_strategy(f"versions {version}", agent_id=f"old-{version}")
    queued = serverless.post_alert(strategy, '{"symbol":"EURUSD","action":"buy","volume":0.1}').json()
    with agent_http(serverless, f"old-{version}", version) as agent:
        resp = agent.get("/jobs/next")
    assert resp.status_code == 409
    sentence = resp.json()["detail"]
    assert "Install the same tvbridge version on both" in sentence
    assert ("agent" if version is None or version < CONTRACT_VERSION else "server") + " is older" in sentence
    [row] = [a for a in serverless.admin.get("/api/v1/agents").json() if a["id"] == f"old-{version}"]
    assert row["last_error"] == sentence  # the tray and the dashboard show why the agent trades nothing
    assert serverless.admin.get(f"/api/v1/signals/{queued['signal_id']}").json()["status"] == "pending"


def test_a_job_arrives_typed_with_its_version_deadline_and_settings(serverless: Live) -> None:
    strategy = serverless.create_strategy("typed job", agent_id="typed")
    answer = serverless.post_alert(strategy, '{"symbol":"EURUSD","action":"sell","volume":0.2}').json()
    with agent_http(serverless, "typed") as agent:
        job = TradeJob.model_validate(agent.get("/jobs/next").json())
    assert job.contract_version == CONTRACT_VERSION
    assert (job.signal_id, job.strategy_id, job.attempts) == (answer["signal_id"], strategy["strategy_id"], 1)
    assert job.settings.magic_number == strategy["magic_number"]
    assert job.settings.comment == f"tvb:{answer['signal_id']}"
    assert job.intent.symbol == "EURUSD" and job.deadline > datetime.now(UTC)


def test_positions_are_answered_as_of_a_signal_and_an_older_snapshot_never_replaces_a_newer(
    serverless: Live,
) -> None:
    strategy = serverless.create_strategy("versioned", agent_id="versioned")
    magic = strategy["magic_number"]

    def read() -> dict[str, Any]:
        return dict(serverless.admin.get("/api/v1/positions", params={"strategy_id": strategy["strategy_id"]}).json())

    with agent_http(serverless, "versioned") as agent:
        assert agent.post("/snapshot", json=snapshot(2, "boot-a", 7, position(1, magic, 0.5))).status_code == 204
        assert agent.post("/snapshot", json=snapshot(1, "boot-a", 6)).status_code == 204  # late, older: ignored
        held = read()
        assert held["as_of_signal"] == 7
        assert [(p["ticket"], p["volume"], p["strategy_name"]) for p in held["positions"]] == [(1, 0.5, "versioned")]
        # a new agent process (another boot) starts its own sequence
        assert agent.post("/snapshot", json=snapshot(1, "boot-b", 9)).status_code == 204
        assert read() | {"taken_at": None} == {"as_of_signal": 9, "taken_at": None, "positions": []}


def test_a_snapshot_with_nonsense_is_refused_whole(serverless: Live) -> None:
    bad = snapshot(1, "boot", 1) | {"positions": [{"ticket": -1, "symbol": "", "type": "<script>", "volume": 1}]}
    with agent_http(serverless, "strict") as agent:
        assert agent.post("/snapshot", json=bad).status_code == 422


def test_executed_signals_carry_the_positions_they_left(tmp_path: Path) -> None:
    live = start_live(tmp_path / "data", sim_margin_mode="hedging")
    try:
        strategy = live.create_strategy("after")
        first = live.trade(strategy, '{"symbol":"EURUSD","action":"buy","volume":0.1}')
        second = live.trade(strategy, '{"symbol":"EURUSD","action":"buy","volume":0.2}')
        assert [p["volume"] for p in first["positions_after"]] == [0.1]
        assert sorted(p["volume"] for p in second["positions_after"]) == [0.1, 0.2]
        assert {p["magic"] for p in second["positions_after"]} == {strategy["magic_number"]}
        assert sorted(p["volume"] for p in live.positions(strategy)) == [0.1, 0.2]
    finally:
        stop_live(live)


def _awaiting(live: Live, strategy: dict[str, Any], volume: float = 0.1) -> int:
    body = f'{{"symbol":"EURUSD","action":"buy","volume":{volume}}}'  # another volume: not a duplicate
    resp = live.post_alert(strategy, body, "application/json")
    assert resp.status_code == 200 and resp.json()["status"] == "awaiting_approval", resp.text
    return int(resp.json()["signal_id"])


def _approve_and_claim(live: Live, agent: httpx.Client, signal_id: int) -> TradeJob:
    assert live.admin.post(f"/api/v1/signals/{signal_id}/approve", json={"via": "dashboard"}).status_code == 200
    [job] = JobBatch.model_validate(agent.post("/jobs/claim", params={"max": 1, "wait": 10}).json()).jobs
    assert job.signal_id == signal_id
    return job


def _executed(finish_seq: int, ticket: int, *after: PositionState) -> dict[str, Any]:
    order = SentOrder(symbol="EURUSD", type="buy", volume=0.1, deal_ticket=ticket, position_ticket=ticket)
    result = JobResult(status=JobOutcome.EXECUTED, orders=[order], positions_after=list(after), finish_seq=finish_seq)
    return result.model_dump(mode="json")


def test_a_signal_approved_after_a_later_one_is_not_claimed_by_a_snapshot_read_before_it(serverless: Live) -> None:
    """Signal A waits for approval, B (later) executes and a snapshot reflects it; then A executes. Until a snapshot
    read after A arrives, positions are answered as of a signal before A (not as of B), and the strategy cannot be
    deleted on the snapshot that lacks A's position."""
    strategy = serverless.create_strategy("reordered", agent_id="reordered", require_approval=True)
    sid, magic = strategy["strategy_id"], strategy["magic_number"]
    a, b = _awaiting(serverless, strategy, 0.1), _awaiting(serverless, strategy, 0.2)
    assert a < b

    def read() -> dict[str, Any]:
        return dict(serverless.admin.get("/api/v1/positions", params={"strategy_id": sid}).json())

    with agent_http(serverless, "reordered") as agent:
        job_b = _approve_and_claim(serverless, agent, b)
        assert agent.post(f"/jobs/{job_b.id}/result", json=_executed(1, 11)).status_code == 200  # it left nothing
        assert agent.post("/snapshot", json=snapshot(1, "boot", b, as_of_finish=1)).status_code == 204
        assert read()["as_of_signal"] == b

        job_a = _approve_and_claim(serverless, agent, a)
        opened = position(12, magic, 0.1)
        assert agent.post(f"/jobs/{job_a.id}/result", json=_executed(2, 12, opened)).status_code == 200
        stale = read()
        assert stale["as_of_signal"] == a - 1, stale  # the snapshot was read before A finished
        assert stale["positions"] == []
        refused = serverless.admin.delete(f"/api/v1/strategies/{sid}")
        assert refused.status_code == 409, refused.text
        assert "ticket 12, on agent reordered" in refused.json()["detail"]
        [account] = serverless.admin.get("/api/v1/account", params={"agent_id": "reordered"}).json()
        assert account["as_of_signal"] == a - 1

        # the agent's next snapshot is read after A (its counter is 2): now it reflects both
        assert agent.post("/snapshot", json=snapshot(2, "boot", b, opened, as_of_finish=2)).status_code == 204
        fresh = read()
        assert fresh["as_of_signal"] == b
        assert [(p["ticket"], p["agent_id"]) for p in fresh["positions"]] == [(12, "reordered")]


def test_a_snapshot_that_reflects_a_result_not_yet_posted_keeps_its_version_when_the_result_arrives(
    serverless: Live,
) -> None:
    """The outbox may post a result after the snapshot that reflects it: its number is within the snapshot's
    counter, so it lowers nothing."""
    strategy = serverless.create_strategy("result late", agent_id="late-result", require_approval=True)
    a = _awaiting(serverless, strategy)
    with agent_http(serverless, "late-result") as agent:
        job = _approve_and_claim(serverless, agent, a)
        held = position(21, strategy["magic_number"], 0.1)
        assert agent.post("/snapshot", json=snapshot(1, "boot", a, held, as_of_finish=1)).status_code == 204
        assert agent.post(f"/jobs/{job.id}/result", json=_executed(1, 21, held)).status_code == 200
    found = serverless.admin.get("/api/v1/positions", params={"strategy_id": strategy["strategy_id"]}).json()
    assert found["as_of_signal"] == a
    assert [p["ticket"] for p in found["positions"]] == [21]


def test_positions_of_a_strategy_come_from_every_account_it_trades_on(serverless: Live) -> None:
    strategy = serverless.create_strategy(
        "fanned positions", agent_id="fan-main", accounts=[{"agent_id": "fan-more", "volume_multiplier": 0.5}]
    )
    magic = strategy["magic_number"]
    with agent_http(serverless, "fan-main") as main, agent_http(serverless, "fan-more") as more:
        assert main.post("/snapshot", json=snapshot(1, "m", 7, position(31, magic, 0.2))).status_code == 204
        assert more.post("/snapshot", json=snapshot(1, "f", 5, position(32, magic, 0.1))).status_code == 204
    found = serverless.admin.get("/api/v1/positions", params={"strategy_id": strategy["strategy_id"]}).json()
    assert sorted((p["ticket"], p["agent_id"]) for p in found["positions"]) == [(31, "fan-main"), (32, "fan-more")]
    assert found["as_of_signal"] == 5  # the lowest of the accounts it trades on


def _agent_up(live: Live, agent_id: str, boot_ids: set[str]) -> str:
    """The boot id of a snapshot of ``agent_id`` from a process not in ``boot_ids`` (waits for its first post)."""
    deadline = time.monotonic() + 60
    while True:
        rows = [s for s in live.admin.get("/api/v1/account", params={"agent_id": agent_id}).json() if s["balance"]]
        if rows and rows[0]["boot_id"] not in boot_ids:
            return str(rows[0]["boot_id"])
        assert time.monotonic() < deadline, f"no snapshot of a new {agent_id} process: {rows}"
        time.sleep(0.05)


def test_the_finish_counter_goes_on_across_an_agent_restart(serverless: Live, tmp_path: Path) -> None:
    """A real agent process numbers its finished jobs; the next process of the agent id numbers on from the
    highest number the server stored (GET /progress), so a snapshot of the new process never claims a job of the
    old one it did not see, nor is a number given twice."""
    token = (serverless.data_dir / "agent-token").read_text().strip()
    strategy = serverless.create_strategy("restarts", agent_id="restarts")
    first = AgentProc(serverless.runtime.admin_url, tmp_path / "agent", token, agent_id="restarts", name="first")
    try:
        boot = _agent_up(serverless, "restarts", set())
        one = serverless.trade(strategy, '{"symbol":"EURUSD","action":"buy","volume":0.1}')
    finally:
        first.stop()
    second = AgentProc(serverless.runtime.admin_url, tmp_path / "agent", token, agent_id="restarts", name="second")
    try:
        _agent_up(serverless, "restarts", {boot})
        two = serverless.trade(strategy, '{"symbol":"EURUSD","action":"buy","volume":0.2}')
        assert (one["status"], two["status"]) == ("executed", "executed")
        with sqlite3.connect(serverless.db) as conn:
            numbered = conn.execute(
                "SELECT signal_id, finish_seq FROM jobs WHERE agent_id = 'restarts' ORDER BY finish_seq"
            ).fetchall()
        assert numbered == [(one["id"], 1), (two["id"], 2)]
        # as of signal two (the netting account holds one position of both), versioned by as_of_finish
        assert [p["volume"] for p in serverless.positions(strategy)] == [0.3]
        with sqlite3.connect(serverless.db) as conn:
            [(as_of_finish,)] = conn.execute(
                "SELECT as_of_finish FROM account_snapshots WHERE agent_id = 'restarts'"
            ).fetchall()
        assert as_of_finish >= 2
    finally:
        second.stop()
