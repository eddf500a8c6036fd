"""The deal sync (agent/dealsync.py) against a real server (uvicorn on loopback, migrated SQLite) and the simulator
in this process: it waits for the server clock, posts the history with the account's facts and the clock offset,
resumes from the server's cursor without posting twice, and reports pending orders that expired."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

import agent.mt5sim as mt5
from agent.dealsync import DealSync
from agent.ledger_client import LedgerClient
from agent.mt5.adapter import Mt5Broker
from agent.mt5sim import control
from tests.e2e.conftest import Live, start_live, stop_live

MAGIC = 27_700_002  # the first strategy tvbridge creates ("My first strategy") has 27_700_001


@pytest.fixture
def server(tmp_path: Path) -> Iterator[Live]:
    live = start_live(tmp_path / "data", spawn_agent=False)
    yield live
    stop_live(live)


@pytest.fixture
def broker() -> Iterator[Mt5Broker]:
    control.reset()
    control.configure(None, margin_mode="hedging", balance=10_000.0)
    control.set_time_offset(3 * 3600)  # a server at UTC+3
    b = Mt5Broker(mt5, kind="sim", sleep=lambda _s: None)
    b.connect()
    yield b
    control.reset()


def client(live: Live) -> LedgerClient:
    token = (live.data_dir / "agent-token").read_text().strip()
    return LedgerClient(live.runtime.admin_url, token, "default")


def measure(broker: Mt5Broker) -> None:
    """Look at ticks until the server clock is measured (the simulator's ticks advance with the clock)."""
    while broker.server_offset() is None or not broker.clock.measured:
        broker.quote("EURUSD")


def test_the_history_is_posted_once_with_the_offset_and_resumed_from_the_cursor(
    server: Live, broker: Mt5Broker
) -> None:
    strategy = server.create_strategy("synced")
    _, _, ticket = control.manual_trade("EURUSD", "buy", 0.2, magic=strategy["magic_number"], comment="tvb:999")
    sync = DealSync(broker, client(server))
    broker.clock.use_server("not yet")  # nothing measured: the sync waits rather than stamp a wrong offset
    assert sync.sync_once() is None
    broker.clock.use_server("TVBridge-Simulator")
    measure(broker)
    assert sync.sync_once() == 2  # the initial deposit and the buy
    assert sync.sync_once() == 0  # the overlap reads them again: nothing is posted twice
    control.manual_trade("EURUSD", "sell", 0.2, magic=strategy["magic_number"], position=ticket)
    fresh = DealSync(broker, client(server))  # a restarted agent: resumes from the server's cursor, minus the overlap
    assert fresh.sync_once() == 2  # the buy again (inside the overlap) and the sell
    assert server.count_rows("ledger_deals") == 3  # the server stored each deal once
    (trade,) = server.admin.get("/api/v1/trades", params={"strategy_id": strategy["strategy_id"]}).json()["trades"]
    assert abs(datetime.fromisoformat(trade["exit_time"]) - datetime.now(UTC)) < timedelta(minutes=1)  # in UTC
    assert trade["currency"] == "USD" and trade["exit_reason"] == "signal"


def test_a_pending_order_that_expired_is_reported(server: Live, broker: Mt5Broker) -> None:
    measure(broker)
    strategy = server.create_strategy("expiring")
    tick = mt5.symbol_info_tick("EURUSD")
    placed = mt5.order_send({
        "action": mt5.TRADE_ACTION_PENDING, "symbol": "EURUSD", "volume": 0.1, "type": mt5.ORDER_TYPE_BUY_LIMIT,
        "price": round(tick.ask - 0.01, 5), "type_time": mt5.ORDER_TIME_SPECIFIED, "expiration": tick.time + 1,
        "type_filling": mt5.ORDER_FILLING_RETURN, "magic": strategy["magic_number"], "comment": "tvb:1",
    })
    assert placed.retcode == mt5.TRADE_RETCODE_DONE
    sync = DealSync(broker, client(server))
    sync.sync_once()  # sees it pending
    while mt5.orders_get():  # its lifetime ends with the server's clock
        pass
    sync.sync_once()
    trades = server.admin.get("/api/v1/trades", params={"exit_reason": "expired_pending"}).json()["trades"]
    assert [(t["strategy_name"], t["volume"], t["entry_price"]) for t in trades] == [
        ("expiring", 0.1, round(tick.ask - 0.01, 5))
    ]
