"""The trade server's clock offset (agent/broker/clock.py): measured only from ticks seen to advance, rounded to 15
minutes, kept per trade server for weekends; and the adapter's deal lookups use it (mt5-api §1.6)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

import agent.mt5sim as mt5
from agent.broker.clock import ServerClock
from agent.mt5.adapter import Mt5Broker
from agent.mt5sim import control

NOW = 1_800_000_000.0  # UTC epoch seconds


class Clock:
    def __init__(self) -> None:
        self.now = NOW

    def __call__(self) -> float:
        return self.now


def test_an_advancing_tick_measures_the_offset_rounded_to_a_quarter_hour(tmp_path: Path) -> None:
    now = Clock()
    clock = ServerClock(tmp_path / "clock.json", now=now)
    clock.use_server("Broker-Live")
    server_ms = int((NOW + 3 * 3600) * 1000)
    clock.observe("EURUSD", server_ms - 400)  # one look: nothing is known yet (the tick could be days old)
    assert clock.offset is None
    now.now += 2.0
    clock.observe("EURUSD", server_ms + 1_600 - 350)  # it advanced: live, at most 2 s old
    assert clock.offset == 3 * 3600 and clock.measured
    assert json.loads((tmp_path / "clock.json").read_text())["offset_seconds"] == 10800


def test_a_weekend_tick_that_does_not_move_is_never_taken_for_the_clock(tmp_path: Path) -> None:
    now = Clock()
    clock = ServerClock(tmp_path / "clock.json", now=now)
    clock.use_server("Broker-Live")
    friday_close = int((NOW - 40 * 3600) * 1000)  # the last tick, 40 hours ago
    for _ in range(3):
        clock.observe("EURUSD", friday_close)
        now.now += 60
    assert clock.offset is None


def test_a_tick_seen_after_a_long_pause_is_not_trusted(tmp_path: Path) -> None:
    now = Clock()
    clock = ServerClock(now=now)
    clock.use_server("X")
    clock.observe("EURUSD", int(NOW * 1000))
    now.now += 3600  # an hour between looks: the new tick may be up to an hour old
    clock.observe("EURUSD", int((NOW + 1200) * 1000))
    assert clock.offset is None


def test_the_last_measurement_of_the_same_server_is_remembered(tmp_path: Path) -> None:
    path = tmp_path / "clock.json"
    path.write_text(json.dumps({"server": "Broker-Live", "offset_seconds": 7200}))
    clock = ServerClock(path)
    clock.use_server("Broker-Live")
    assert clock.offset == 7200 and not clock.measured  # a weekend start: the remembered figure
    other = ServerClock(path)
    other.use_server("Another-Server")
    assert other.offset is None  # another trade server's clock says nothing about this one


@pytest.fixture
def far_server() -> Iterator[Mt5Broker]:
    control.reset()
    control.configure(None, margin_mode="netting", balance=10_000.0)
    control.set_time_offset(-3 * 3600)
    broker = Mt5Broker(mt5, kind="sim", sleep=lambda _s: None)
    broker.connect()
    yield broker
    control.reset()


def next_tick(broker: Mt5Broker, symbol: str) -> None:
    """Read ``symbol``'s tick once the server's clock has moved on from the last one read (a live feed)."""
    last = broker.quote(symbol).time_msc
    while mt5.symbol_info_tick(symbol).time_msc == last:
        pass
    broker.quote(symbol)


def test_the_adapter_measures_the_simulated_server_and_finds_todays_deals_in_utc(far_server: Mt5Broker) -> None:
    next_tick(far_server, "EURUSD")
    assert far_server.server_offset() == -10800
    sent = datetime.now(UTC)
    control.manual_trade("EURUSD", "buy", 0.1)
    found = far_server.deals_since(sent - timedelta(minutes=5))
    assert [d.volume for d in found if d.side is not None] == [0.1]  # server time 3 h before UTC, still found


def test_while_the_offset_is_unknown_the_lookup_is_widened_not_narrowed(far_server: Mt5Broker) -> None:
    far_server.clock.use_server("nothing measured")
    control.manual_trade("EURUSD", "buy", 0.2)
    assert far_server.clock.offset is None or not far_server.clock.measured
    found = far_server.deal_history(0, 2**31)  # everything
    since = datetime.now(UTC) - timedelta(minutes=5)
    widened = far_server.deals_since(since)
    assert {d.ticket for d in found} <= {d.ticket for d in widened}
