"""Events (server/ledger/events.py): a strategy's trades its signals did not close become one event each, with a
sentence, linked to the signal that opened the share; exit-rule closes name their rule."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, col, select

from contract.deals import (
    DEAL_ENTRY_IN,
    DEAL_ENTRY_OUT,
    DEAL_REASON_EXPERT,
    DEAL_TYPE_BUY,
    DEAL_TYPE_SELL,
    Deal,
    DealBatch,
    ExpiredOrder,
)
from contract.settings import EXIT_COMMENTS
from server.db import make_engine, migrate
from server.ledger.ingest import record_deals
from server.ledger.models import LedgerTrade
from server.models import Signal, Strategy
from tests.server.ledger.scenario import netting_day

A, B = 27_700_001, 27_700_002


@pytest.fixture
def engine(tmp_path: Path) -> Iterator[Engine]:
    engine = make_engine(tmp_path / "events.db")
    migrate(engine)
    with Session(engine) as session:
        session.add(Strategy(id=1, name="A", webhook_secret="a" * 43, magic_number=A))
        session.add(Strategy(id=2, name="B", webhook_secret="b" * 43, magic_number=B))
        session.commit()
        session.add_all([Signal(id=11, strategy_id=1), Signal(id=12, strategy_id=2), Signal(id=13, strategy_id=1)])
        session.commit()
    yield engine
    engine.dispose()


Made = list[tuple[str, int | None, int | None, str]]


def post(engine: Engine, deals: list[Deal], expired: list[ExpiredOrder] | None = None) -> Made:
    batch = DealBatch(login=1, currency="USD", margin_mode="netting", deals=deals, expired_orders=expired or [])
    with Session(engine) as session:
        done = record_deals(session, "default", batch)
        made = [(e.kind, e.strategy_id, e.signal_id, e.message) for e in done.events]
        session.commit()
    return made


def test_an_sl_close_is_an_event_of_the_signal_that_opened_the_share_once(engine: Engine) -> None:
    made = post(engine, netting_day(A, B, 11, 12, 13))
    assert made == [(
        "sl", 2, 12,
        "The stop loss closed the 0.50-lot EURUSD long of strategy 'B' at 1.102; net P&L -54.00 USD.",
    )]  # A's own close is its signal's, the trader's share belongs to no strategy: no event for them
    assert post(engine, netting_day(A, B, 11, 12, 13)) == []  # the overlap posts them again: nothing new


def _deal(ticket: int, minute: int, **fields: object) -> Deal:
    msc = int(datetime(2026, 3, 2, 9, minute, tzinfo=UTC).timestamp()) * 1000
    return Deal.model_validate({"ticket": ticket, "order": ticket, "time": msc // 1000, "time_msc": msc,
                                "position_id": 77, "symbol": "GBPUSD", "reason": DEAL_REASON_EXPERT, **fields})


def test_exit_rule_closes_name_their_rule_in_the_trade_and_the_event(engine: Engine) -> None:
    made = post(engine, [
        _deal(1, 0, type=DEAL_TYPE_BUY, entry=DEAL_ENTRY_IN, magic=A, volume=1.0, price=1.27, comment="tvb:11"),
        _deal(2, 30, type=DEAL_TYPE_SELL, entry=DEAL_ENTRY_OUT, magic=A, volume=0.4, price=1.271, profit=40.0,
              comment=EXIT_COMMENTS["max_hold"]),
        _deal(3, 45, type=DEAL_TYPE_SELL, entry=DEAL_ENTRY_OUT, magic=A, volume=0.6, price=1.272, profit=120.0,
              comment=EXIT_COMMENTS["flat_time"]),
    ])
    assert [row[:3] for row in made] == [("max_hold", 1, 11), ("flat_time", 1, 11)]
    assert "it reached the strategy's maximum hold time (0.60 lots of it remain open)" in made[0][3]
    assert "the strategy's daily flat time passed; net P&L 120.00 USD" in made[1][3]
    with Session(engine) as session:
        reasons = session.exec(select(LedgerTrade.exit_reason).order_by(col(LedgerTrade.id))).all()
    assert reasons == ["max_hold", "flat_time"]


def test_an_expired_pending_order_is_an_event_without_money(engine: Engine) -> None:
    order = ExpiredOrder(ticket=5, time_setup_msc=1_000_000, time_done_msc=2_000_000, type=2, magic=B,
                         volume_initial=0.3, volume_current=0.3, price_open=1.25, symbol="GBPUSD", comment="tvb:12")
    made = post(engine, [], [order])
    assert made == [("expired_pending", 2, 12,
                     "The pending long order for 0.30 lots GBPUSD at 1.25 of strategy 'B' expired unfilled.")]
