"""Trades and open shares built from deals: netting shares, hedging positions, partial closes, reasons."""

from __future__ import annotations

import math

from contract.deals import (
    DEAL_ENTRY_IN,
    DEAL_ENTRY_OUT,
    DEAL_REASON_CLIENT,
    DEAL_REASON_EXPERT,
    DEAL_REASON_TP,
    DEAL_TYPE_BUY,
    DEAL_TYPE_SELL,
    Deal,
    ExpiredOrder,
)
from server.ledger.attribution import Owners
from server.ledger.trades import build_symbol, expired_trades
from tests.server.ledger.scenario import ACCOUNT_NET, OFFSET, at, netting_day

A, B = 27_700_001, 27_700_002
OWNERS = Owners(strategies={A: 1, B: 2}, signals={11: 1, 12: 2, 13: 1})


def test_netting_trades_show_each_strategys_own_entry_and_sum_to_the_account() -> None:
    built = build_symbol(netting_day(A, B, 11, 12, 13), OWNERS)
    by_owner = {t.magic: t for t in built.trades}
    a, b, manual = by_owner[A], by_owner[B], by_owner[0]
    assert (a.strategy_id, a.exit_reason, a.side, a.volume) == (1, "signal", "long", 1.0)
    assert (a.entry_price, a.exit_price, a.profit, a.commission, a.net_pnl) == (1.1, 1.105, 500.0, -7.0, 493.0)
    assert (a.entry_signal_id, a.exit_signal_id) == (11, 13)
    assert a.entry_time == at(9, 0) and a.exit_time == at(10, 0) and a.duration_seconds == 3600  # UTC, not UTC+3
    assert (b.strategy_id, b.exit_reason, b.profit, b.commission, b.swap, b.net_pnl) == (2, "sl", -50.0, -3.5, -0.5,
                                                                                          -54.0)
    assert (b.entry_signal_id, b.exit_signal_id, b.closed_by_magic) == (12, None, None)  # the server closed it
    assert (manual.strategy_id, manual.exit_reason, manual.net_pnl) == (None, "sl", 46.0)
    assert round(sum(t.net_pnl for t in built.trades), 2) == ACCOUNT_NET
    assert built.holdings == []


def test_open_shares_are_the_holdings() -> None:
    built = build_symbol(netting_day(A, B, 11, 12, 13)[:4], OWNERS)  # before the SL
    held = {h.magic: h for h in built.holdings}
    assert set(held) == {B, 0}
    assert (held[B].strategy_id, held[B].volume, held[B].entry_price, held[B].entry_signal_id) == (2, 0.5, 1.103, 12)
    assert held[B].opened_at == at(9, 5) and held[B].commission == -1.75
    assert (held[0].strategy_id, held[0].volume, held[0].entry_price) == (None, 0.5, 1.101)


def _deal(ticket: int, **fields: object) -> Deal:
    return Deal.model_validate({"ticket": ticket, "order": ticket, "time": 1_772_442_000 + ticket * 60,
                                "symbol": "GBPUSD", "server_offset_seconds": OFFSET, **fields})


def test_partial_closes_are_trades_of_their_own_and_say_so() -> None:
    deals = [
        _deal(1, type=DEAL_TYPE_BUY, magic=A, position_id=1, reason=DEAL_REASON_EXPERT, volume=1.0, price=1.25,
              comment="tvb:11"),
        _deal(2, type=DEAL_TYPE_SELL, entry=DEAL_ENTRY_OUT, magic=A, position_id=1, reason=DEAL_REASON_EXPERT,
              volume=0.4, price=1.26, profit=400.0, comment="tvb:13"),
        _deal(3, type=DEAL_TYPE_SELL, entry=DEAL_ENTRY_OUT, magic=A, position_id=1, reason=DEAL_REASON_EXPERT,
              volume=0.6, price=1.24, profit=-600.0),
    ]
    first, last = build_symbol(deals, OWNERS).trades
    assert (first.exit_reason, first.volume, first.remaining_volume, first.net_pnl, first.exit_signal_id) == (
        "partial", 0.4, 0.6, 400.0, 13)
    assert (last.exit_reason, last.volume, last.remaining_volume, last.net_pnl) == ("signal", 0.6, 0.0, -600.0)
    assert first.entry_deal_ticket == last.entry_deal_ticket == 1


def test_hedging_positions_belong_to_their_opener_and_keep_mt5s_profit() -> None:
    deals = [
        _deal(1, type=DEAL_TYPE_BUY, entry=DEAL_ENTRY_IN, magic=A, position_id=1, reason=DEAL_REASON_EXPERT,
              volume=1.0, price=1.25),
        _deal(2, type=DEAL_TYPE_SELL, entry=DEAL_ENTRY_IN, magic=B, position_id=2, reason=DEAL_REASON_EXPERT,
              volume=0.5, price=1.2498),
        _deal(3, type=DEAL_TYPE_SELL, entry=DEAL_ENTRY_OUT, magic=0, position_id=1, reason=DEAL_REASON_CLIENT,
              volume=1.0, price=1.2513, profit=130.0),
        _deal(4, type=DEAL_TYPE_BUY, entry=DEAL_ENTRY_OUT, magic=B, position_id=2, reason=DEAL_REASON_TP,
              volume=0.5, price=1.2448, profit=250.0),
    ]
    trades = build_symbol(deals, OWNERS).trades
    assert [(t.magic, t.position_id, t.side, t.exit_reason, t.profit) for t in trades] == [
        (A, 1, "long", "manual", 130.0),
        (B, 2, "short", "tp", 250.0),
    ]


def test_an_expired_pending_order_is_a_trade_without_money() -> None:
    order = ExpiredOrder(ticket=77, time_setup_msc=(1_772_442_000 + OFFSET) * 1000,
                         time_done_msc=(1_772_445_600 + OFFSET) * 1000, type=2, magic=A, volume_initial=0.3,
                         volume_current=0.3, price_open=1.2, symbol="EURUSD", comment="tvb:11",
                         server_offset_seconds=OFFSET)
    (trade,) = expired_trades([order], OWNERS)
    assert (trade.exit_reason, trade.side, trade.volume, trade.net_pnl, trade.strategy_id) == (
        "expired_pending", "long", 0.3, 0.0, 1)
    assert trade.entry_signal_id == trade.exit_signal_id == 11
    assert trade.exit_time.timestamp() == 1_772_445_600 and math.isclose(trade.duration_seconds or 0, 3600)
