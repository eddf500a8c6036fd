"""Planned requests sent to the MT5 simulator: the trade engine accepts them and the book ends where it should.

The MarketView is built here the way the adapter builds it (symbol_info, symbol_info_tick, account_info,
positions_get/orders_get filtered by magic); ``type_filling`` is added as the adapter does (mt5-api §2.4).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from agent.market import AccountView, MarginMode, MarketView, OrderView, PositionView, Quote, SymbolSpec
from agent.planner import plan, resolve_symbol
from contract.intent import CloseAction, ModifyAction, OrderKind, PositionSide, Side, SyncAction, VolumeUnit
from tests.agent.planner import MAGIC, intent, open_, pips, settings, vol

mt5 = pytest.importorskip("agent.mt5sim")
control = pytest.importorskip("agent.mt5sim.control")

_SPEC_FIELDS = [f for f in SymbolSpec.__dataclass_fields__ if f != "name"]


def _spec(name: str) -> SymbolSpec:
    info = mt5.symbol_info(name)
    return SymbolSpec(name=info.name, **{f: getattr(info, f) for f in _SPEC_FIELDS})


def _view(name: str) -> MarketView:
    a = mt5.account_info()
    acct = AccountView(
        login=a.login,
        currency=a.currency,
        balance=a.balance,
        equity=a.equity,
        margin_free=a.margin_free,
        margin_mode=MarginMode.HEDGING if a.margin_mode == 2 else MarginMode.NETTING,
        leverage=a.leverage,
    )
    positions = tuple(
        PositionView(
            p.ticket,
            p.symbol,
            "long" if p.type == 0 else "short",
            p.volume,
            p.price_open,
            p.sl,
            p.tp,
            p.magic,
            time=p.time,
        )
        for p in mt5.positions_get()
        if p.magic == MAGIC
    )
    orders = tuple(
        OrderView(o.ticket, o.symbol, o.type, o.volume_current, o.price_open, o.sl, o.tp, o.magic)
        for o in mt5.orders_get()
        if o.magic == MAGIC
    )
    names = {name} | {p.symbol for p in positions} | {o.symbol for o in orders}
    quotes = {}
    for n in names:
        mt5.symbol_select(n, True)
        tick = mt5.symbol_info_tick(n)
        quotes[n] = Quote(bid=tick.bid, ask=tick.ask, time=tick.time)
    specs = {n: _spec(n) for n in names}
    return MarketView(
        symbol=specs[name],
        quote=quotes[name],
        account=acct,
        positions=tuple(p for p in positions if p.symbol == name),
        orders=tuple(o for o in orders if o.symbol == name),
        all_positions=positions,
        all_orders=orders,
        specs=specs,
        quotes=quotes,
    )


def _send(alert_symbol: str, *actions: Any) -> list[int]:
    s = settings()
    name = resolve_symbol(alert_symbol, s, [x.name for x in mt5.symbols_get()])
    codes = []
    for planned in plan(intent(*actions, symbol=alert_symbol), s, _view(name)).requests:
        req = dict(planned.request)
        if req["action"] == mt5.TRADE_ACTION_PENDING:
            req["type_filling"] = mt5.ORDER_FILLING_RETURN
        elif req["action"] == mt5.TRADE_ACTION_DEAL:
            mode = _spec(req["symbol"]).filling_mode
            req["type_filling"] = mt5.ORDER_FILLING_FOK if mode & 1 else mt5.ORDER_FILLING_IOC
        result = mt5.order_send(req)
        assert result is not None, mt5.last_error()
        codes.append(result.retcode)
    return codes


def _net(symbol: str) -> float:
    return round(sum(p.volume if p.type == 0 else -p.volume for p in mt5.positions_get(symbol=symbol)), 8)


@pytest.fixture(params=["netting", "hedging"])
def account_mode(request: pytest.FixtureRequest) -> Iterator[str]:
    control.reset()
    control.configure(margin_mode=request.param, symbol_suffix=".a")
    assert mt5.initialize()
    yield request.param
    control.reset()


def test_entries_modifications_and_exits_are_accepted(account_mode: str) -> None:
    risk = vol(1, VolumeUnit.PCT_BALANCE_LOSS)
    assert _send("OANDA:EURUSD", open_("buy", risk, sl=pips(20), tp=pips(40))) == [10009]
    assert _send("EURUSD", open_("buy", 0.1)) == [10009]
    if account_mode == "netting":  # the add kept the position's SL/TP
        (p,) = mt5.positions_get(symbol="EURUSD.a")
        assert p.sl > 0 and p.tp > 0
    assert set(_send("EURUSD", ModifyAction(sides=(PositionSide.LONG,), sl=pips(15)))) == {10009}
    assert _send("GBPJPY", open_("sell", vol(50, VolumeUnit.MONEY_LOSS), sl=pips(20))) == [10009]
    assert _send("XAUUSD", open_("sell", 0.05, OrderKind.STOP, entry=pips(50), sl=pips(50), tp=pips(100))) == [10009]
    assert set(_send("EURUSD", CloseAction(sides=(PositionSide.LONG,), portion_pct=50))) == {10009}
    assert set(_send("EURUSD", CloseAction(all_symbols=True, include_pending=True))) == {10009}
    assert mt5.positions_get() == () and mt5.orders_get() == ()


def test_strategy_reversal_and_exit(account_mode: str) -> None:
    entry = SyncAction(target="long", target_size=50_000, prev="flat", order_side=Side.BUY, order_size=50_000)
    assert _send("EURUSD", entry) == [10009]
    assert _net("EURUSD.a") == 0.5
    reverse = SyncAction(
        target="short",
        target_size=100_000,
        prev="long",
        prev_size=50_000,
        order_side=Side.SELL,
        order_size=150_000,
        sl=pips(30),
    )
    assert set(_send("EURUSD", reverse)) == {10009}
    assert _net("EURUSD.a") == -1.0
    exit_ = SyncAction(
        target="flat", target_size=0, prev="short", prev_size=100_000, order_side=Side.BUY, order_size=100_000
    )
    assert _send("EURUSD", exit_) == [10009]
    assert mt5.positions_get() == ()
