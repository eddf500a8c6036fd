"""Planner tests, and the hand-written specs and builders they share.

The specs mirror real broker symbols (values as MT5 reports them, mt5-api §4.3 worked examples): 5-digit
EURUSD/GBPUSD, 3-digit JPY pairs whose tick value is about 0.67 USD per 0.001, XAUUSD (digits 2, contract 100,
tick 0.01 worth 1.00), XAGUSD, an index CFD whose tick size (1.0) is larger than its point (0.1) and BTCUSD.
The account currency is USD.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from typing import Any

from agent.broker.models import (
    AccountView,
    CalcMode,
    MarginMode,
    OrderType,
    OrderView,
    PositionView,
    Quote,
    SymbolSpec,
)
from agent.market import MarketView
from agent.mt5 import requests as mt5_requests
from agent.planner import PlannedRequest
from contract.intent import (
    AlertFormat,
    Distance,
    DistanceUnit,
    OpenAction,
    OrderKind,
    Side,
    TradeIntent,
    Volume,
    VolumeUnit,
)
from contract.settings import ExecutionSettings

MAGIC = 424242

EURUSD = SymbolSpec(
    name="EURUSD",
    digits=5,
    point=0.00001,
    trade_tick_size=0.00001,
    trade_tick_value=1.0,
    trade_contract_size=100_000.0,
    volume_min=0.01,
    volume_max=100.0,
    volume_step=0.01,
    calc_mode=CalcMode.FOREX,
    currency_base="EUR",
    currency_profit="USD",
    currency_margin="EUR",
    path="Forex\\Majors\\EURUSD",
)
GBPUSD = replace(EURUSD, name="GBPUSD", currency_base="GBP", currency_margin="GBP", path="Forex\\Majors\\GBPUSD")
USDJPY = SymbolSpec(
    name="USDJPY",
    digits=3,
    point=0.001,
    trade_tick_size=0.001,
    trade_tick_value=0.67,
    trade_contract_size=100_000.0,
    volume_min=0.01,
    volume_max=100.0,
    volume_step=0.01,
    calc_mode=CalcMode.FOREX,
    currency_base="USD",
    currency_profit="JPY",
    currency_margin="USD",
    path="Forex\\Majors\\USDJPY",
)
GBPJPY = replace(USDJPY, name="GBPJPY", currency_base="GBP", currency_margin="GBP", path="Forex\\Crosses\\GBPJPY")
XAUUSD = SymbolSpec(
    name="XAUUSD",
    digits=2,
    point=0.01,
    trade_tick_size=0.01,
    trade_tick_value=1.0,
    trade_contract_size=100.0,
    volume_min=0.01,
    volume_max=50.0,
    volume_step=0.01,
    calc_mode=CalcMode.CFD,
    currency_base="XAU",
    currency_profit="USD",
    currency_margin="XAU",
    path="Metals\\XAUUSD",
)
XAGUSD = replace(
    XAUUSD,
    name="XAGUSD",
    digits=3,
    point=0.001,
    trade_tick_size=0.001,
    trade_tick_value=5.0,
    trade_contract_size=5000.0,
    currency_base="XAG",
    currency_margin="XAG",
    path="Metals\\XAGUSD",
)
US30 = SymbolSpec(
    name="US30.Cash",
    digits=1,
    point=0.1,
    trade_tick_size=1.0,
    trade_tick_value=1.0,
    trade_contract_size=1.0,
    volume_min=0.1,
    volume_max=50.0,
    volume_step=0.1,
    trade_stops_level=50,
    calc_mode=CalcMode.CFD,
    currency_base="USD",
    currency_profit="USD",
    currency_margin="USD",
    path="Indices\\US30.Cash",
)
BTCUSD = SymbolSpec(
    name="BTCUSD",
    digits=2,
    point=0.01,
    trade_tick_size=0.01,
    trade_tick_value=0.01,
    trade_contract_size=1.0,
    volume_min=0.01,
    volume_max=10.0,
    volume_step=0.01,
    calc_mode=CalcMode.CFD,
    currency_base="BTC",
    currency_profit="USD",
    currency_margin="BTC",
    path="Crypto\\BTCUSD",
)

SPECS = {s.name: s for s in (EURUSD, GBPUSD, USDJPY, GBPJPY, XAUUSD, XAGUSD, US30, BTCUSD)}
QUOTES = {
    "EURUSD": Quote(bid=1.09990, ask=1.10000),
    "GBPUSD": Quote(bid=1.27000, ask=1.27010),
    "USDJPY": Quote(bid=150.000, ask=150.010),
    "GBPJPY": Quote(bid=190.000, ask=190.020),
    "XAUUSD": Quote(bid=1999.80, ask=2000.00),
    "XAGUSD": Quote(bid=25.000, ask=25.020),
    "US30.Cash": Quote(bid=39000.0, ask=39002.0),
    "BTCUSD": Quote(bid=67400.00, ask=67420.00),
}

NETTING = MarginMode.NETTING
HEDGING = MarginMode.HEDGING


def account(
    mode: MarginMode = HEDGING, *, balance: float = 10_000.0, equity: float | None = None, leverage: int = 100
) -> AccountView:
    """A USD account."""
    return AccountView(
        login=5001,
        currency="USD",
        balance=balance,
        equity=balance if equity is None else equity,
        margin_free=balance,
        margin_mode=mode,
        leverage=leverage,
    )


def pos(
    ticket: int,
    side: str = "long",
    volume: float = 0.5,
    symbol: str = "EURUSD",
    *,
    sl: float = 0.0,
    tp: float = 0.0,
    magic: int = MAGIC,
    time: int | None = None,
) -> PositionView:
    """A position of this strategy; ``time`` defaults to the ticket so tickets are in age order."""
    price = QUOTES[symbol].bid if symbol in QUOTES else 1.0
    return PositionView(
        ticket=ticket,
        symbol=symbol,
        side=side,
        volume=volume,
        price_open=price,
        sl=sl,
        tp=tp,
        magic=magic,
        time=ticket if time is None else time,
    )


def order(
    ticket: int,
    type_: OrderType | str,
    price: float,
    volume: float = 0.2,
    symbol: str = "EURUSD",
    *,
    sl: float = 0.0,
    tp: float = 0.0,
    magic: int = MAGIC,
) -> OrderView:
    """A pending order of this strategy (``type_``: ``buy_limit``, ``sell_stop`` ...)."""
    return OrderView(
        ticket=ticket, symbol=symbol, type=OrderType(type_), volume=volume, price_open=price, sl=sl, tp=tp, magic=magic
    )


def market(
    spec: SymbolSpec = EURUSD,
    *,
    mode: MarginMode = HEDGING,
    positions: Iterable[PositionView] = (),
    orders: Iterable[OrderView] = (),
    quote: Quote | None = None,
    acct: AccountView | None = None,
) -> MarketView:
    """A MarketView as the adapter builds it: per-symbol and all-symbol views, specs and quotes of every symbol."""
    positions, orders = tuple(positions), tuple(orders)
    names = {spec.name} | {p.symbol for p in positions} | {o.symbol for o in orders}
    quotes = {n: QUOTES[n] for n in names if n in QUOTES}
    q = quote or QUOTES[spec.name]
    quotes[spec.name] = q
    return MarketView(
        symbol=spec,
        quote=q,
        account=acct or account(mode),
        positions=tuple(p for p in positions if p.symbol == spec.name),
        orders=tuple(o for o in orders if o.symbol == spec.name),
        all_positions=positions,
        all_orders=orders,
        specs={n: (spec if n == spec.name else SPECS[n]) for n in names},
        quotes=quotes,
    )


def settings(**kw: Any) -> ExecutionSettings:
    """The strategy's settings with this suite's magic number and comment."""
    return ExecutionSettings(**{"magic_number": MAGIC, "comment": "tv:sig-1", **kw})


def intent(*actions: Any, symbol: str = "EURUSD", **kw: Any) -> TradeIntent:
    """An intent made of ``actions``."""
    return TradeIntent(format=AlertFormat.PINECONNECTOR, symbol=symbol, actions=list(actions), **kw)


def pips(value: float) -> Distance:
    return Distance(unit=DistanceUnit.PIPS, value=value)


def price(value: float) -> Distance:
    return Distance(unit=DistanceUnit.PRICE, value=value)


def points(value: float) -> Distance:
    return Distance(unit=DistanceUnit.POINTS, value=value)


def pct(value: float) -> Distance:
    return Distance(unit=DistanceUnit.PCT, value=value)


def vol(value: float = 0.0, unit: VolumeUnit = VolumeUnit.LOTS) -> Volume:
    return Volume(unit=unit, value=value)


def open_(side: str = "buy", volume: Volume | float = 0.1, kind: OrderKind = OrderKind.MARKET, **kw: Any) -> OpenAction:
    """An open step; a float volume is lots."""
    v = volume if isinstance(volume, Volume) else vol(volume)
    return OpenAction(side=Side(side), kind=kind, volume=v, **kw)


def sent(planned: PlannedRequest) -> dict[str, Any]:
    """The ``order_send`` dict the MT5 adapter builds for a planned request (``type_filling`` aside)."""
    return mt5_requests.build(planned.request)
