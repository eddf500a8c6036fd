"""The burst rule both the tray and the notification targets use (server/notifications/burst.py)."""

from __future__ import annotations

from collections import Counter

from server.notifications.burst import BurstGate, summary_text


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_a_burst_passes_then_is_counted_and_the_summary_counts_against_the_next_window() -> None:
    clock, summaries = Clock(), list[Counter[str]]()
    gate = BurstGate(2, 60.0, summaries.append, clock=clock)
    try:
        assert [gate.admit("executed") for _ in range(2)] == [True, True]
        assert not gate.admit("executed") and not gate.admit("failed") and not gate.admit("executed")
        clock.now += 60.0
        gate.flush()  # what the window's timer does
        assert summaries == [Counter({"executed": 2, "failed": 1})]
        assert summary_text(summaries[0]) == "3 more signals: 2 executed, 1 failed. See the signal log for details."
        assert gate.admit("executed")  # the summary took one of the new window's two
        assert not gate.admit("executed")
    finally:
        gate.close()


def test_a_new_window_opens_with_the_first_notification_after_the_last_one_ended() -> None:
    clock = Clock()
    gate = BurstGate(1, 10.0, lambda held: None, clock=clock)
    try:
        assert gate.admit("executed")
        clock.now += 9.9
        assert not gate.admit("executed")
        gate.flush()
        clock.now += 10.0
        assert gate.admit("executed")
    finally:
        gate.close()


def test_close_drops_what_is_held_and_admits_nothing_more() -> None:
    summaries: list[Counter[str]] = []
    gate = BurstGate(1, 60.0, summaries.append, clock=Clock())
    assert gate.admit("executed")
    assert not gate.admit("failed")
    gate.close()
    gate.flush()
    assert summaries == []
    assert not gate.admit("executed")
