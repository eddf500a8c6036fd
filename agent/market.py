"""Plain snapshots of the terminal's state, as the order planner sees it.

The MT5 adapter (``agent.mt5.adapter``) builds these from the ``MetaTrader5`` module's result types
(``SymbolInfo``, ``Tick``, ``AccountInfo``, ``TradePosition``, ``TradeOrder``; field meanings in
``reference/mt5-api.md`` Appendix A and the MQL5 docs). The planner (``agent.planner``) is a pure function
of them, so it can be tested against hand-written specs for FX, JPY, metal and index symbols without a
terminal. Prices are in the symbol's quote currency; volumes in lots; money in the account currency.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum


class MarginMode(StrEnum):
    """``AccountInfo.margin_mode``: 0 retail netting, 1 exchange (netting), 2 retail hedging (mt5-api §5.5)."""

    NETTING = "netting"
    HEDGING = "hedging"


@dataclass(frozen=True)
class SymbolSpec:
    """The trading rules of one broker symbol (a subset of ``SymbolInfo``).

    ``point`` is the smallest displayed increment (10**-digits); ``trade_tick_size`` the smallest allowed
    price change and ``trade_tick_value`` the account-currency value of one tick for 1 lot (``_loss``/
    ``_profit`` variants when the broker distinguishes them). ``trade_stops_level``/``trade_freeze_level``
    are in points. ``filling_mode``/``order_mode`` are the SYMBOL_FILLING_* / SYMBOL_ORDER_* bit masks;
    ``trade_mode`` is SYMBOL_TRADE_MODE_* and ``trade_exemode`` SYMBOL_TRADE_EXECUTION_*.
    """

    name: str
    digits: int
    point: float
    trade_tick_size: float
    trade_tick_value: float
    trade_contract_size: float
    volume_min: float
    volume_max: float
    volume_step: float
    trade_tick_value_loss: float = 0.0
    trade_tick_value_profit: float = 0.0
    volume_limit: float = 0.0
    trade_stops_level: int = 0
    trade_freeze_level: int = 0
    trade_mode: int = 4
    trade_exemode: int = 2
    filling_mode: int = 1
    order_mode: int = 127
    trade_calc_mode: int = 0
    currency_base: str = ""
    currency_profit: str = ""
    currency_margin: str = ""
    path: str = ""

    @property
    def is_forex(self) -> bool:
        """FX pairs: calc mode FOREX / FOREX_NO_LEVERAGE (0, 5), the rule mt5-api §4.3 gives for pips."""
        return self.trade_calc_mode in (0, 5)


@dataclass(frozen=True)
class Quote:
    """The latest tick: ``bid``/``ask`` prices and ``time`` in trade-server epoch seconds."""

    bid: float
    ask: float
    time: int = 0

    @property
    def spread(self) -> float:
        """Ask minus bid, in price units."""
        return self.ask - self.bid


@dataclass(frozen=True)
class AccountView:
    """Account figures in the account currency; ``margin_mode`` decides close/reverse strategy."""

    login: int
    currency: str
    balance: float
    equity: float
    margin_free: float
    margin_mode: MarginMode
    leverage: int = 100


@dataclass(frozen=True)
class PositionView:
    """One open position. ``side`` is ``long`` for POSITION_TYPE_BUY, ``short`` for POSITION_TYPE_SELL."""

    ticket: int
    symbol: str
    side: str
    volume: float
    price_open: float
    sl: float
    tp: float
    magic: int
    comment: str = ""
    identifier: int = 0
    profit: float = 0.0
    time: int = 0


@dataclass(frozen=True)
class OrderView:
    """One pending order. ``type`` is the ORDER_TYPE_* value (2 BUY_LIMIT, 3 SELL_LIMIT, 4 BUY_STOP, 5 SELL_STOP)."""

    ticket: int
    symbol: str
    type: int
    volume: float
    price_open: float
    sl: float
    tp: float
    magic: int
    comment: str = ""


@dataclass(frozen=True)
class MarketView:
    """Everything the planner may look at for one alert: the resolved symbol's spec and quote, the account,
    and this strategy's own positions and pending orders (already filtered by magic number).

    ``positions``/``orders`` cover the alert's symbol; ``all_positions``/``all_orders`` every symbol (for
    ``closeall``). ``specs``/``quotes`` hold the spec and quote of every symbol that appears in them.
    """

    symbol: SymbolSpec
    quote: Quote
    account: AccountView
    positions: tuple[PositionView, ...] = ()
    orders: tuple[OrderView, ...] = ()
    all_positions: tuple[PositionView, ...] = ()
    all_orders: tuple[OrderView, ...] = ()
    specs: dict[str, SymbolSpec] = field(default_factory=dict)
    quotes: dict[str, Quote] = field(default_factory=dict)
