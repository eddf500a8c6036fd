"""record_deals against a real migrated SQLite database: every deal once, trades rebuilt stably."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, col, select

from contract.deals import DEAL_REASON_EXPERT, DEAL_TYPE_BUY, Deal, DealBatch, SyncCursor
from server.db import make_engine, migrate
from server.ledger.ingest import read_cursor, record_deals
from server.ledger.models import LedgerDeal, LedgerHolding, LedgerTrade
from server.models import Signal, Strategy
from tests.server.ledger.scenario import ACCOUNT_NET, netting_day

A, B = 27_700_001, 27_700_002


@pytest.fixture
def engine(tmp_path: Path) -> Iterator[Engine]:
    engine = make_engine(tmp_path / "ledger.db")
    migrate(engine)
    with Session(engine) as session:
        session.add(Strategy(id=1, name="A", webhook_secret="a" * 43, magic_number=A))
        session.add(Strategy(id=2, name="B", webhook_secret="b" * 43, magic_number=B))
        session.commit()  # no ORM relationship orders the inserts: the strategies first, for the foreign keys
        session.add_all([Signal(id=11, strategy_id=1), Signal(id=12, strategy_id=2), Signal(id=13, strategy_id=1)])
        session.commit()
    yield engine
    engine.dispose()


def batch(deals: list[Deal], through: int | None = None) -> DealBatch:
    return DealBatch(login=5_550_001, server="Demo-Server", currency="USD", margin_mode="netting", deals=deals,
                     cursor=SyncCursor(through_msc=through) if through is not None else None)


def post(engine: Engine, deals: list[Deal], through: int | None = None) -> tuple[int, int]:
    with Session(engine) as session:
        done = record_deals(session, "default", batch(deals, through))
        session.commit()
    return done.stored, done.duplicates


def trades(engine: Engine) -> list[LedgerTrade]:
    with Session(engine) as session:
        return list(session.exec(select(LedgerTrade).order_by(col(LedgerTrade.id))).all())


def test_deals_are_stored_once_attributed_and_trades_keep_their_ids(engine: Engine) -> None:
    deals = netting_day(A, B, 11, 12, 13)
    assert post(engine, deals) == (5, 0)
    first = [(t.id, t.trade_key, t.strategy_id, t.net_pnl, t.exit_reason) for t in trades(engine)]
    assert sorted(r[2:] for r in first if r[2]) == [(1, 493.0, "signal"), (2, -54.0, "sl")]
    assert round(sum(t.net_pnl for t in trades(engine)), 2) == ACCOUNT_NET
    assert post(engine, deals) == (0, 5)  # the agent's overlap: nothing new, nothing moves
    assert [(t.id, t.trade_key, t.strategy_id, t.net_pnl, t.exit_reason) for t in trades(engine)] == first
    with Session(engine) as session:
        stored = {d.deal_ticket: d for d in session.exec(select(LedgerDeal)).all()}
    assert (stored[9001].strategy_id, stored[9001].signal_id) == (1, 11)
    assert (stored[9003].strategy_id, stored[9003].signal_id) == (None, None)  # the trader's own
    assert (stored[9005].strategy_id, stored[9005].signal_id) == (1, None)  # SL: A's magic, "[sl ...]" comment


def test_deals_arriving_out_of_order_give_the_same_trades(engine: Engine, tmp_path: Path) -> None:
    deals = netting_day(A, B, 11, 12, 13)
    post(engine, deals[3:])  # the close first: volume the ledger has not seen open yet
    post(engine, deals[:3])
    late = {(t.trade_key, t.net_pnl, t.exit_reason) for t in trades(engine)}
    assert late == {("9004:27700001", 493.0, "signal"), ("9005:27700002", -54.0, "sl"), ("9005:0", 46.0, "sl")}


def test_open_shares_follow_the_deals(engine: Engine) -> None:
    deals = netting_day(A, B, 11, 12, 13)
    post(engine, deals[:4])
    with Session(engine) as session:
        held = {h.magic: (h.strategy_id, h.volume) for h in session.exec(select(LedgerHolding)).all()}
    assert held == {B: (2, 0.5), 0: (None, 0.5)}
    post(engine, deals[4:])
    with Session(engine) as session:
        assert session.exec(select(LedgerHolding)).all() == []


def test_a_signal_of_another_strategy_is_not_credited(engine: Engine) -> None:
    deal = netting_day(A, B, 12, 12, 13)[0]  # A's magic number with B's signal in the comment
    post(engine, [deal])
    with Session(engine) as session:
        row = session.exec(select(LedgerDeal)).one()
    assert (row.strategy_id, row.signal_id) == (1, None)


def test_unsigned_64_bit_tickets_and_magic_numbers_survive(engine: Engine) -> None:
    huge = Deal(ticket=2**64 - 5, order=2**63 + 1, time=1_772_442_000, type=DEAL_TYPE_BUY, magic=2**64 - 1,
                position_id=2**63 + 7, reason=DEAL_REASON_EXPERT, volume=0.1, price=1.1, symbol="EURUSD")
    assert post(engine, [huge]) == (1, 0)
    assert post(engine, [huge]) == (0, 1)
    with Session(engine) as session:
        row = session.exec(select(LedgerDeal)).one()
        holding = session.exec(select(LedgerHolding)).one()
    assert (row.deal_ticket, row.order_ticket, row.magic, row.position_id) == (2**64 - 5, 2**63 + 1, 2**64 - 1,
                                                                              2**63 + 7)
    assert (holding.magic, holding.position_id, holding.strategy_id) == (2**64 - 1, 2**63 + 7, None)


def test_the_cursor_only_moves_forward_and_a_connection_works_too(engine: Engine) -> None:
    post(engine, [], through=5_000)
    with engine.begin() as conn:
        record_deals(conn, "default", batch(netting_day(A, B, 11, 12, 13)[:1], through=3_000))
    with Session(engine) as session:
        assert read_cursor(session, "default", 5_550_001) == SyncCursor(through_msc=5_000)
        assert read_cursor(session, "other", 5_550_001) is None
        assert len(session.exec(select(LedgerDeal)).all()) == 1
