"""What would this alert do now? (issue 11, alert builder): ``POST /api/v1/strategies/{id}/dry-run`` answers the
parsed intent and the exact orders the agent's planner would send against the live account, and sends nothing:
no signal, no deal, no trade counted. Without an agent, or with one that does not answer, it says so in bounded
time."""

from __future__ import annotations

import signal
import sys
from pathlib import Path

import pytest

from tests.e2e.agents import AgentProc, deals_by_comment
from tests.e2e.conftest import Live, start_live, stop_live


def dry_run(live: Live, strategy: dict[str, object], message: str) -> dict[str, object]:
    resp = live.admin.post(f"/api/v1/strategies/{strategy['strategy_id']}/dry-run", json={"message": message},
                           timeout=30)
    assert resp.status_code == 200, resp.text
    return dict(resp.json())


def test_a_dry_run_answers_the_orders_the_planner_would_send_and_sends_nothing(shared_live: Live) -> None:
    live = shared_live
    strategy = live.create_strategy("dry", default_volume=0.1)
    held = live.trade(strategy, '{"symbol":"GBPUSD","action":"buy","volume":0.3}')  # something to close later
    assert held["status"] == "executed"
    deals_before = sum(deals_by_comment(live.data_dir).values())
    signals_before = live.count_rows("tv_signals")

    answer = dry_run(live, strategy, '{"symbol":"EURUSD","action":"buy","volume":0.25,"sl_pips":20}')
    assert answer["planned"] is True and answer["outcome"] == "executed", answer
    assert answer["parse"]["words"][0].startswith("Buy 0.25 lots of EURUSD")  # type: ignore[index]
    [order] = answer["orders"]  # type: ignore[misc]
    assert (order["type"], order["symbol"], order["volume"]) == ("buy", "EURUSD", 0.25)
    assert order["sl"] > 0  # 20 pips below the live ask, in the symbol's price
    assert "nothing was sent" in str(answer["sentence"])

    close = dry_run(live, strategy, '{"symbol":"GBPUSD","action":"closelong"}')
    assert close["outcome"] == "executed", close
    [closing] = close["orders"]  # type: ignore[misc]
    assert (closing["type"], closing["volume"]) == ("close sell", 0.3)  # the position the strategy holds now
    assert closing["position_ticket"] > 0

    refused = dry_run(live, strategy, "this is not an alert")
    assert refused["planned"] is False and str(refused["sentence"]).startswith("Nothing would be sent")

    assert live.count_rows("tv_signals") == signals_before  # a dry run is no signal
    assert sum(deals_by_comment(live.data_dir).values()) == deals_before  # and sent nothing
    positions = live.admin.get("/api/v1/positions", params={"strategy_id": strategy["strategy_id"]}).json()
    assert [(p["symbol"], p["volume"]) for p in positions["positions"]] == [("GBPUSD", 0.3)]


def test_without_an_agent_a_dry_run_says_so_at_once(tmp_path: Path) -> None:
    live = start_live(tmp_path / "data", spawn_agent=False)
    try:
        strategy = live.create_strategy("no agent")
        answer = dry_run(live, strategy, '{"symbol":"EURUSD","action":"buy","volume":0.1}')
        assert answer["planned"] is False and answer["orders"] == []
        assert "No agent is connected for agent id 'default'" in str(answer["sentence"])
        assert answer["parse"]["accepted"] is True  # type: ignore[index]
        assert live.count_rows("jobs") == 0
    finally:
        stop_live(live)


@pytest.mark.skipif(sys.platform != "linux", reason="sends POSIX signals")
def test_an_agent_that_does_not_answer_gets_a_bounded_wait_and_a_sentence(tmp_path: Path) -> None:
    live = start_live(tmp_path / "data", spawn_agent=False)
    token = (live.data_dir / "agent-token").read_text().strip()
    agent = AgentProc(live.runtime.admin_url, live.data_dir, token, name="frozen")
    try:
        strategy = live.create_strategy("frozen agent")
        live.wait_snapshot(lambda s: (s["balance"] or 0) > 0, timeout=60)
        agent.signal(signal.SIGSTOP)  # connected a moment ago, holds its lease, answers nothing now
        answer = dry_run(live, strategy, '{"symbol":"EURUSD","action":"buy","volume":0.1}')
        assert answer["planned"] is False
        assert "did not answer within 10 s" in str(answer["sentence"]) and "Nothing was sent" in str(answer["sentence"])
    finally:
        agent.stop()
        stop_live(live)
