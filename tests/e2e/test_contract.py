"""The server <-> agent contract over real HTTP: versions refused with a sentence, typed jobs, snapshots that
never go back in time, and positions answered "as of signal N"."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

from contract import CONTRACT_HEADER, CONTRACT_VERSION, AccountSnapshot, PositionState, TradeJob
from tests.e2e.agents import leased_headers
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


def snapshot(seq: int, boot: str, as_of: int | None, *positions: PositionState) -> dict[str, Any]:
    snap = AccountSnapshot(
        boot_id=boot, seq=seq, as_of_signal=as_of, taken_at=datetime.now(UTC), login=1, currency="USD",
        margin_mode="hedging", balance=10_000.0, equity=10_000.0, positions=list(positions),
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
