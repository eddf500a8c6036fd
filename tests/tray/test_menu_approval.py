"""The tray's part of manual approval (issue 13), headless against a real running tvbridge (see test_menu.py): the
"Waiting for approval" menu appears while signals wait, approves and rejects them, and a notification says a signal
waits."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from server.models import SignalStatus
from tests.tray.test_menu import Tray, first_strategy_id, no_ngrok_token, start_tray, wait_until  # noqa: F401


@pytest.fixture
def tray(tmp_path: Path) -> Iterator[Tray]:
    running = start_tray(tmp_path)
    yield running
    running.app.quit()


def test_waiting_signals_are_approved_and_rejected_from_the_tray(tray: Tray) -> None:
    sid = first_strategy_id(tray)
    assert not [i for i in tray.menu if i.text.startswith("Waiting for approval")]  # hidden while none waits
    with tray.admin() as admin:
        admin.patch(f"/api/v1/strategies/{sid}", json={"require_approval": True})
    buy = tray.post_alert(sid, '{"symbol": "EURUSD", "action": "buy", "volume": 0.02}')
    sell = tray.post_alert(sid, '{"symbol": "EURUSD", "action": "sell", "volume": 0.01}')
    assert buy["status"] == sell["status"] == "awaiting_approval"

    tray.app.refresh()  # what the status loop does every few seconds
    titles = [title for title, _ in tray.icon.notifications]
    assert f"Signal #{buy['signal_id']} awaits your approval" in titles
    assert f"Signal #{sell['signal_id']} awaits your approval" in titles
    assert tray.item("Waiting for approval").text == "Waiting for approval (2)"
    entries = [i.text for i in tray.item("Waiting for approval").submenu]
    assert entries == [f"#{buy['signal_id']} buy 0.02 EURUSD (My first strategy)",
                       f"#{sell['signal_id']} sell 0.01 EURUSD (My first strategy)"]

    tray.click("Waiting for approval", f"#{buy['signal_id']}", "Approve")
    assert tray.icon.notifications[-1][0] == f"Signal #{buy['signal_id']} approved"
    assert wait_until(lambda: tray.signal(buy["signal_id"]).status == SignalStatus.EXECUTED)

    tray.click("Waiting for approval", f"#{sell['signal_id']}", "Reject")
    rejected = tray.signal(sell["signal_id"])
    assert (rejected.status, rejected.decided_by) == (SignalStatus.REJECTED, "trader")
    assert "from the tray" in (rejected.error_message or "")
    assert not [i for i in tray.menu if i.text.startswith("Waiting for approval")]
    tray.icon.notifications.clear()
    tray.app.refresh()
    assert not [t for t, _ in tray.icon.notifications if t and "awaits your approval" in t]  # each notified once
