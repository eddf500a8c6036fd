"""Manual approval (issue 13), end to end over real HTTP with the real agent on the simulator: signals of a strategy
with ``require_approval`` wait as ``awaiting_approval`` (their jobs held, invisible to the agent) until the trader
approves (traded as usual), rejects (``rejected`` by ``trader``) or their max age passes (``expired``)."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from pathlib import Path
from typing import Any

from tests.e2e.conftest import Live, start_live, stop_live


def _held(live: Live, signal_id: int) -> list[tuple[str, str]]:
    with sqlite3.connect(live.db) as conn:
        return conn.execute("SELECT agent_id, status FROM jobs WHERE signal_id = ?", (signal_id,)).fetchall()


def _awaiting(live: Live, strategy: dict[str, Any], body: str) -> int:
    resp = live.post_alert(strategy, body, "application/json")
    assert resp.status_code == 200, resp.text
    answer = resp.json()
    assert answer["status"] == "awaiting_approval", answer
    signal_id = int(answer["signal_id"])
    signal = live.admin.get(f"/api/v1/signals/{signal_id}").json()
    assert signal["status"] == "awaiting_approval"
    assert [a["status"] for a in signal["accounts"]] == ["awaiting_approval"]
    assert _held(live, signal_id) == [("default", "held")]  # the agent cannot claim it
    return signal_id


def test_approved_signal_is_traded_once_and_a_second_approval_is_refused(shared_live: Live) -> None:
    strategy = shared_live.create_strategy("approve", require_approval=True)
    assert strategy["require_approval"] is True
    signal_id = _awaiting(shared_live, strategy, '{"symbol": "EURUSD", "action": "buy", "volume": 0.2}')
    waiting = shared_live.admin.get("/api/v1/signals", params={"status": "awaiting_approval"}).json()
    assert signal_id in [s["id"] for s in waiting]

    resp = shared_live.admin.post(f"/api/v1/signals/{signal_id}/approve", json={"via": "dashboard"})
    assert resp.status_code == 200, resp.text
    assert resp.json()["status"] in ("pending", "executed")
    again = shared_live.admin.post(f"/api/v1/signals/{signal_id}/approve")
    assert again.status_code == 409
    assert f"Signal #{signal_id}" in again.json()["detail"]
    assert "already approved" in again.json()["detail"] or "no longer awaiting approval" in again.json()["detail"]

    signal = shared_live.settled(strategy, signal_id)
    assert signal["status"] == "executed", signal
    assert [(o["symbol"], o["type"], o["volume"]) for o in signal["orders"]] == [("EURUSD", "buy", 0.2)]
    assert any(n.startswith("Approved by the trader in the dashboard") for n in signal["notes"])
    assert [(a["agent_id"], a["status"]) for a in signal["accounts"]] == [("default", "executed")]
    positions = shared_live.positions(strategy)
    assert [(p["symbol"], p["type"], p["volume"]) for p in positions] == [("EURUSD", "buy", 0.2)]
    late = shared_live.admin.post(f"/api/v1/signals/{signal_id}/reject")
    assert late.status_code == 409
    assert "no longer awaiting approval: it already ended executed" in late.json()["detail"]


def test_rejected_signal_ends_rejected_by_the_trader_with_the_reason(shared_live: Live) -> None:
    strategy = shared_live.create_strategy("reject", require_approval=True)
    signal_id = _awaiting(shared_live, strategy, '{"symbol": "GBPUSD", "action": "sell", "volume": 0.1}')
    resp = shared_live.admin.post(
        f"/api/v1/signals/{signal_id}/reject", json={"via": "cli", "reason": "news in five minutes"}
    )
    assert resp.status_code == 200, resp.text
    signal = resp.json()
    assert signal["status"] == "rejected"
    assert signal["decided_by"] == "trader"
    assert signal["error_message"].startswith("Rejected by the trader with the CLI at ")
    assert "news in five minutes. Nothing was sent to MetaTrader 5." in signal["error_message"]
    assert signal["orders"] == []
    assert [(a["agent_id"], a["status"]) for a in signal["accounts"]] == [("default", "rejected")]
    refused = shared_live.admin.post(f"/api/v1/signals/{signal_id}/approve")
    assert refused.status_code == 409
    assert "already ended rejected" in refused.json()["detail"]
    assert _held(shared_live, signal_id) == [("default", "done")]


def test_unapproved_signal_expires_at_its_max_age(shared_live: Live) -> None:
    strategy = shared_live.create_strategy("expire", require_approval=True, max_signal_age_seconds=1)
    signal_id = _awaiting(shared_live, strategy, '{"symbol": "USDJPY", "action": "buy", "volume": 0.1}')
    signal = shared_live.wait_final(signal_id, timeout=15)  # waits on the signal's state, not on a clock
    assert signal["status"] == "expired", signal
    assert signal["decided_by"] == "expiry"
    assert "waited for your approval longer than the strategy's max signal age" in signal["error_message"]
    assert signal["orders"] == []
    refused = shared_live.admin.post(f"/api/v1/signals/{signal_id}/approve")
    assert refused.status_code == 409
    assert "can no longer be approved" in refused.json()["detail"]


def test_an_approved_signal_no_agent_takes_in_time_says_when_it_was_approved(shared_live: Live) -> None:
    """Approved, then expired before an agent took it (here its agent is not running): the trader reads when the
    approval came, how long before the max signal age passed, and what to do, not only "no agent picked it up"."""
    strategy = shared_live.create_strategy("approved, nobody took it", require_approval=True,
                                           max_signal_age_seconds=10, agent_id="absent")
    resp = shared_live.post_alert(strategy, '{"symbol": "EURAUD", "action": "buy", "volume": 0.1}', "application/json")
    assert resp.json()["status"] == "awaiting_approval", resp.text
    signal_id = resp.json()["signal_id"]
    approved = shared_live.admin.post(f"/api/v1/signals/{signal_id}/approve", json={"via": "dashboard"})
    assert approved.status_code == 200, approved.text
    signal = shared_live.wait_final(signal_id, timeout=30)  # waits on the signal's state, not on a clock
    assert (signal["status"], signal["decided_by"]) == ("expired", "expiry"), signal
    assert signal["orders"] == []
    error = signal["error_message"]
    assert error.startswith("Not executed: approved at "), error
    assert " s before its max signal age of 10 s passed, and no agent took it in time. Approve waiting signals " \
        "sooner, or raise the strategy's max signal age (and check that the agent 'absent' is running" in error
    assert "no agent picked it up" not in error
    assert any(n.startswith("Approved by the trader in the dashboard at ") for n in signal["notes"])


def test_unknown_signal_is_404_and_a_normal_signal_is_not_approvable(shared_live: Live) -> None:
    assert shared_live.admin.post("/api/v1/signals/999999/approve").status_code == 404
    strategy = shared_live.create_strategy("no approval")
    signal = shared_live.trade(strategy, '{"symbol": "AUDUSD", "action": "buy", "volume": 0.1}', "application/json")
    refused = shared_live.admin.post(f"/api/v1/signals/{signal['id']}/reject", json={"reason": "x"})
    assert refused.status_code == 409


def test_approval_after_a_restart(tmp_path: Path) -> None:
    data = tmp_path / "data"
    live = start_live(data)
    try:
        strategy = live.create_strategy("restart", require_approval=True)
        signal_id = _awaiting(live, strategy, '{"symbol": "EURUSD", "action": "sell", "volume": 0.1}')
    finally:
        stop_live(live)
    live = start_live(data)
    try:
        assert live.admin.get(f"/api/v1/signals/{signal_id}").json()["status"] == "awaiting_approval"
        resp = live.admin.post(f"/api/v1/signals/{signal_id}/approve", json={"via": "tray"})
        assert resp.status_code == 200, resp.text
        signal = live.settled(strategy, signal_id)
        assert signal["status"] == "executed", signal
        assert [(o["symbol"], o["type"], o["volume"]) for o in signal["orders"]] == [("EURUSD", "sell", 0.1)]
    finally:
        stop_live(live)


def _cli(live: Live, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TVBRIDGE_")}
    return subprocess.run([sys.executable, "-m", "tray", *args, "--data-dir", str(live.data_dir)],
                          capture_output=True, text=True, env=env, timeout=60)


def test_cli_approves_and_rejects_and_says_why_it_cannot(shared_live: Live) -> None:
    strategy = shared_live.create_strategy("cli approval", require_approval=True)
    first = _awaiting(shared_live, strategy, '{"symbol": "NZDUSD", "action": "buy", "volume": 0.1}')
    second = _awaiting(shared_live, strategy, '{"symbol": "NZDUSD", "action": "sell", "volume": 0.1}')
    table = _cli(shared_live, "signals", "--status", "awaiting_approval", "--strategy", "cli approval")
    assert table.returncode == 0, table.stderr
    assert f"awaiting your approval: tvbridge signals approve {first}" in table.stdout

    approved = _cli(shared_live, "signals", "approve", str(first))
    assert approved.returncode == 0, approved.stderr
    assert f"Signal #{first} approved" in approved.stdout
    assert shared_live.settled(strategy, first)["status"] == "executed"
    twice = _cli(shared_live, "signals", "approve", str(first))
    assert twice.returncode == 1
    assert f"Signal #{first}" in twice.stdout + twice.stderr

    rejected = _cli(shared_live, "signals", "reject", str(second), "--reason", "too late in the day")
    assert rejected.returncode == 0, rejected.stderr
    signal = shared_live.admin.get(f"/api/v1/signals/{second}").json()
    assert (signal["status"], signal["decided_by"]) == ("rejected", "trader")
    assert "with the CLI" in signal["error_message"] and "too late in the day" in signal["error_message"]


def test_cli_edit_sets_approval_and_accounts(shared_live: Live) -> None:
    strategy = shared_live.create_strategy("cli flow edit")
    edited = _cli(shared_live, "strategy", "edit", "cli flow edit", "--require-approval", "--account", "prop=0.5",
                  "--account", "small=0.25")
    assert edited.returncode == 0, edited.stderr
    assert "require approval" in edited.stdout and "prop x0.5, small x0.25" in edited.stdout
    dropped = _cli(shared_live, "strategy", "edit", "cli flow edit", "--unaccount", "small", "--no-approval")
    assert dropped.returncode == 0, dropped.stderr
    saved = shared_live.admin.get(f"/api/v1/strategies/{strategy['strategy_id']}").json()
    assert saved["require_approval"] is False
    assert saved["accounts"] == [{"agent_id": "prop", "volume_multiplier": 0.5}]
    bad = _cli(shared_live, "strategy", "edit", "cli flow edit", "--account", "prop=half")
    assert bad.returncode == 2 and "must be a number" in bad.stdout + bad.stderr


def test_approval_is_refused_while_trading_is_paused_disabled_or_halted(shared_live: Live) -> None:
    """Pausing all trading, disabling the strategy or halting it (eaoff) stops every new trade: approving a signal
    that waited from before must not slip one through. The approval is refused with a sentence and the signal keeps
    waiting, so it can still be approved once trading may go on."""
    strategy = shared_live.create_strategy("approve while stopped", require_approval=True)
    path = f"/api/v1/strategies/{strategy['strategy_id']}"
    signal_id = _awaiting(shared_live, strategy, '{"symbol": "USDCAD", "action": "buy", "volume": 0.1}')

    def refused(because: str) -> None:
        resp = shared_live.admin.post(f"/api/v1/signals/{signal_id}/approve", json={"via": "tray"})
        assert resp.status_code == 409, resp.text
        assert f"Signal #{signal_id} was not approved" in resp.json()["detail"]
        assert because in resp.json()["detail"]
        assert "still waits for your approval" in resp.json()["detail"]
        assert shared_live.admin.get(f"/api/v1/signals/{signal_id}").json()["status"] == "awaiting_approval"
        assert _held(shared_live, signal_id) == [("default", "held")]

    assert shared_live.admin.patch("/api/v1/settings", json={"trading_paused": True}).status_code == 200
    try:
        refused("Trading is paused for all strategies")
    finally:
        assert shared_live.admin.patch("/api/v1/settings", json={"trading_paused": False}).status_code == 200
    assert shared_live.admin.patch(path, json={"is_enabled": False}).status_code == 200
    refused("is disabled")
    assert shared_live.admin.patch(path, json={"is_enabled": True, "trading_halted": True}).status_code == 200
    refused("is halted")
    assert shared_live.admin.patch(path, json={"trading_halted": False}).status_code == 200

    approved = shared_live.admin.post(f"/api/v1/signals/{signal_id}/approve")
    assert approved.status_code == 200, approved.text
    signal = shared_live.settled(strategy, signal_id)
    assert signal["status"] == "executed", signal
    assert [(o["symbol"], o["type"], o["volume"]) for o in signal["orders"]] == [("USDCAD", "buy", 0.1)]


def test_an_approval_sends_the_controls_in_force_when_it_is_given(shared_live: Live) -> None:
    """A signal waits with its job held; if the trader tightens the strategy's exposure cap or the account's caps
    meanwhile, the approved job must be judged by the caps in force at the approval, not by those of the alert's
    arrival (the job carried them since then)."""
    strategy = shared_live.create_strategy("approve under new caps", require_approval=True)
    signal_id = _awaiting(shared_live, strategy, '{"symbol": "EURCHF", "action": "buy", "volume": 0.5}')
    path = f"/api/v1/strategies/{strategy['strategy_id']}"
    capped = shared_live.admin.patch(path, json={"max_exposure_pct": 1})  # 0.5 lots at 1:100 are about 4.5 %
    assert capped.status_code == 200, capped.text
    assert shared_live.admin.post(f"/api/v1/signals/{signal_id}/approve").status_code == 200
    signal = shared_live.settled(strategy, signal_id)
    assert (signal["status"], signal["decided_by"]) == ("rejected", "agent"), signal
    assert signal["error_message"].startswith("Exposure cap: The strategy's positions hold 0.00% of equity")
    assert "above the strategy cap of 1%: nothing was sent" in signal["error_message"]
    assert signal["orders"] == []
