"""Broker-neutral models: what the agent reads from a broker and the requests it writes to one.

Every broker adapter (today :mod:`agent.mt5`, for the real ``MetaTrader5`` package and the simulator) turns its
own objects into these, and turns these requests into its own calls; nothing above the adapter (planner,
executor, job loop, stop manager) sees a broker's numbers or dicts. The words are the project's field terms
(lot, pip, point, tick, ticket, deal, position, magic number, SL/TP). Prices are in the symbol's quote
currency; volumes in lots; money in the account currency; times in trade-server epoch seconds.

Where a field mirrors an MT5 concept its name is MT5's (``trade_tick_size``, ``trade_stops_level``): MT5 is the
first broker and its documentation (``reference/mt5-api.md``) is where the meaning is defined; another
broker's adapter fills the same field with its own figure (``trade_stops_level = 0`` where there is none).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Literal

from contract.intent import OrderKind, PositionSide, Side


class MarginMode(StrEnum):
    """How positions on one symbol combine: one net position (``netting``) or many (``hedging``, mt5-api §5.5)."""

    NETTING = "netting"
    HEDGING = "hedging"


class TradeMode(StrEnum):
    """What a symbol allows right now (MT5 SYMBOL_TRADE_MODE_*; retcodes 10017, 10042-10044)."""

    DISABLED = "disabled"
    LONG_ONLY = "long_only"
    SHORT_ONLY = "short_only"
    CLOSE_ONLY = "close_only"
    FULL = "full"


class CalcMode(StrEnum):
    """How a symbol's profit and margin are computed (MT5 SYMBOL_CALC_MODE_*, mt5-api §4.3).

    ``forex``/``forex_no_leverage`` are currency pairs; ``cfd``, ``cfd_index`` and ``cfd_leverage`` contracts for
    difference; ``futures`` and ``exchange`` (stocks, bonds, options, exchange futures) follow exchange rules the
    planner does not size margin for; ``other`` anything a broker reports that none of these describe.
    """

    FOREX = "forex"
    FOREX_NO_LEVERAGE = "forex_no_leverage"
    CFD = "cfd"
    CFD_INDEX = "cfd_index"
    CFD_LEVERAGE = "cfd_leverage"
    FUTURES = "futures"
    EXCHANGE = "exchange"
    OTHER = "other"


class OrderType(StrEnum):
    """The type of a pending order: a side and a kind (MT5 ORDER_TYPE_BUY_LIMIT ... SELL_STOP_LIMIT)."""

    BUY_LIMIT = "buy_limit"
    SELL_LIMIT = "sell_limit"
    BUY_STOP = "buy_stop"
    SELL_STOP = "sell_stop"
    BUY_STOP_LIMIT = "buy_stop_limit"
    SELL_STOP_LIMIT = "sell_stop_limit"

    @classmethod
    def of(cls, side: Side, kind: OrderKind) -> OrderType:
        """The pending type for a ``limit`` or ``stop`` entry on ``side``. :raises ValueError: ``kind`` is market."""
        if kind == OrderKind.MARKET:
            raise ValueError("a market order is not a pending order type")
        return cls(f"{side.value}_{kind.value}")

    @property
    def side(self) -> Side:
        """``buy`` for buy-side orders (they open or add to a long), ``sell`` for sell-side ones."""
        return Side.BUY if self.value.startswith("buy") else Side.SELL

    @property
    def position_side(self) -> PositionSide:
        """The side of the position the order opens when it triggers."""
        return PositionSide.LONG if self.side == Side.BUY else PositionSide.SHORT

    @property
    def kind(self) -> Literal["limit", "stop", "stop_limit"]:
        """``limit`` (better than the market), ``stop`` (worse than the market) or ``stop_limit``."""
        if self.value.endswith("stop_limit"):
            return "stop_limit"
        return "limit" if self.value.endswith("limit") else "stop"

    @property
    def label(self) -> str:
        """The type in words: ``"buy limit"``."""
        return self.value.replace("_", " ")


class DealReason(StrEnum):
    """Who or what made a deal (MT5 DEAL_REASON_*): the trader in a terminal (``client``, ``mobile``, ``web``), a
    program (``expert``), the trade server closing at a level or for margin (``sl``, ``tp``, ``stop_out``), or a
    broker operation (``rollover``, ``variation_margin``, ``split``); ``other`` for anything else."""

    CLIENT = "client"
    MOBILE = "mobile"
    WEB = "web"
    EXPERT = "expert"
    SL = "sl"
    TP = "tp"
    STOP_OUT = "stop_out"
    ROLLOVER = "rollover"
    VARIATION_MARGIN = "variation_margin"
    SPLIT = "split"
    OTHER = "other"


class DealOperation(StrEnum):
    """What a deal that trades nothing is (MT5 DEAL_TYPE_* other than buy/sell): money in or out of the account,
    a cost, or a cancelled deal."""

    BALANCE = "balance"
    CREDIT = "credit"
    CHARGE = "charge"
    CORRECTION = "correction"
    BONUS = "bonus"
    COMMISSION = "commission"
    INTEREST = "interest"
    BUY_CANCELED = "buy_canceled"
    SELL_CANCELED = "sell_canceled"
    DIVIDEND = "dividend"
    TAX = "tax"
    OTHER = "other"


class OrderState(StrEnum):
    """Where an order's life ended or stands (MT5 ORDER_STATE_*)."""

    STARTED = "started"
    PLACED = "placed"
    CANCELED = "canceled"
    PARTIAL = "partial"
    FILLED = "filled"
    REJECTED = "rejected"
    EXPIRED = "expired"
    OTHER = "other"


class OrderTime(StrEnum):
    """How long a pending order lives (MT5 ENUM_ORDER_TYPE_TIME, mt5-api §2.3): until cancelled (``gtc``), to the
    end of the trading day (``day``), until ``expiration`` (``specified``), or to the end of ``expiration``'s day
    (``specified_day``)."""

    GTC = "gtc"
    DAY = "day"
    SPECIFIED = "specified"
    SPECIFIED_DAY = "specified_day"


class DealEntry(StrEnum):
    """What a deal did to its position (MT5 DEAL_ENTRY_*): opened (``in``), closed (``out``), reversed
    (``inout``, netting) or closed by an opposite position (``out_by``)."""

    IN = "in"
    OUT = "out"
    INOUT = "inout"
    OUT_BY = "out_by"


@dataclass(frozen=True)
class SymbolSpec:
    """The trading rules of one broker symbol.

    ``point`` is the smallest displayed increment (10**-digits); ``trade_tick_size`` the smallest allowed price
    change and ``trade_tick_value`` the account-currency value of one tick for 1 lot (``_loss``/``_profit``
    variants when the broker distinguishes them). ``trade_stops_level`` is the minimum distance of SL/TP and
    pending prices from the market and ``trade_freeze_level`` the zone near a trigger in which orders and
    positions cannot be modified, deleted or closed, both in points (mt5-api §4.2). ``volume_limit`` caps one
    side's open plus pending lots (0: no cap). The ``*_orders``/``stop_loss``/``take_profit`` flags say which
    order kinds and levels the symbol accepts; ``expiration_modes`` which pending-order lifetimes
    (``SymbolInfo.expiration_mode`` bits SYMBOL_EXPIRATION_GTC/DAY/SPECIFIED/SPECIFIED_DAY, mt5-constants §2).
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
    trade_mode: TradeMode = TradeMode.FULL
    calc_mode: CalcMode = CalcMode.FOREX
    market_orders: bool = True
    limit_orders: bool = True
    stop_orders: bool = True
    stop_loss: bool = True
    take_profit: bool = True
    currency_base: str = ""
    currency_profit: str = ""
    currency_margin: str = ""
    path: str = ""
    expiration_modes: frozenset[OrderTime] = frozenset(OrderTime)

    @property
    def is_forex(self) -> bool:
        """FX pairs: calc mode forex / forex without leverage, the rule mt5-api §4.3 gives for pips."""
        return self.calc_mode in (CalcMode.FOREX, CalcMode.FOREX_NO_LEVERAGE)

    def accepts(self, kind: OrderKind) -> bool:
        """True when the symbol takes orders of ``kind`` (market, limit, stop)."""
        return {OrderKind.MARKET: self.market_orders, OrderKind.LIMIT: self.limit_orders,
                OrderKind.STOP: self.stop_orders}[kind]


@dataclass(frozen=True)
class Quote:
    """The latest tick: ``bid``/``ask`` prices, ``time`` in trade-server epoch seconds and ``time_msc`` in
    trade-server epoch milliseconds (0 when the broker gives none)."""

    bid: float
    ask: float
    time: int = 0
    time_msc: int = 0

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
    server: str = ""
    currency_digits: int = 2


@dataclass(frozen=True)
class PositionView:
    """One open position. ``side`` is ``long`` (opened by a buy) or ``short``; ``identifier`` the id its deals
    carry (on netting it survives a reversal, which gives the position a new ticket); ``time`` when it opened,
    in trade-server epoch seconds."""

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
    """One active pending order: its type, the lots still to fill and its trigger price; its lifetime
    ``type_time`` and ``expiration`` (trade-server epoch seconds, 0 unless specified)."""

    ticket: int
    symbol: str
    type: OrderType
    volume: float
    price_open: float
    sl: float
    tp: float
    magic: int
    comment: str = ""
    type_time: OrderTime = OrderTime.GTC
    expiration: int = 0


@dataclass(frozen=True)
class Deal:
    """One executed deal. ``side`` is ``None`` for balance operations (deposits, credit, charges), which
    trade nothing, and ``operation`` then says which; ``profit``/``swap``/``commission``/``fee`` are in the
    account currency; ``order`` is the ticket of the order that made it and ``position_id`` the identifier of the
    position it belongs to. ``time``/``time_msc`` are trade-server epoch seconds / milliseconds; ``reason`` who
    or what made it."""

    ticket: int
    order: int
    position_id: int
    symbol: str
    side: Side | None
    entry: DealEntry
    volume: float
    price: float
    magic: int = 0
    comment: str = ""
    profit: float = 0.0
    swap: float = 0.0
    commission: float = 0.0
    fee: float = 0.0
    time: int = 0
    time_msc: int = 0
    reason: DealReason = DealReason.EXPERT
    operation: DealOperation | None = None
    external_id: str = ""

    @property
    def server_msc(self) -> int:
        """The deal's trade-server time in ms (``time_msc``, or ``time`` when the broker gave no ms)."""
        return self.time_msc or self.time * 1000

    @property
    def realises_pnl(self) -> bool:
        """True for trading deals that close (part of) a position: their P&L is realised."""
        return self.side is not None and self.entry != DealEntry.IN

    @property
    def pnl(self) -> float:
        """Profit + swap + commission + fee, in the account currency."""
        return self.profit + self.swap + self.commission + self.fee


@dataclass(frozen=True)
class HistoricalOrder:
    """An order from the account's history (or still active): its ``type`` (``None`` for a market or close-by
    order), ``state``, the lots asked for (``volume_initial``) and left unfilled (``volume_current``), its price,
    magic number and comment, and when it was placed and finished (trade-server epoch ms)."""

    ticket: int
    symbol: str
    type: OrderType | None
    state: OrderState
    volume_initial: float
    volume_current: float
    price_open: float
    magic: int = 0
    comment: str = ""
    time_setup_msc: int = 0
    time_done_msc: int = 0


@dataclass(frozen=True)
class BrokerHealth:
    """``connected``: the broker link is up; ``trade_allowed``: automated trading is switched on (MT5's Algo
    Trading button); ``api_disabled``: the terminal blocks trading through the API."""

    connected: bool
    trade_allowed: bool
    api_disabled: bool = False


# -- requests ---------------------------------------------------------------------------------------------
# Every request carries the strategy's magic number and comment (``tvb:<signal id>``): they are how the agent
# recognises its own orders, positions and deals, after a crash included.


@dataclass(frozen=True)
class MarketOrder:
    """Buy or sell ``volume`` lots at the market: opens, adds to, or (netting) reverses a position.

    ``price`` is the expected fill (the ask for a buy, the bid for a sell); ``sl``/``tp`` the resulting
    position's levels (0.0: none); ``deviation_points`` the accepted slippage in points.
    """

    symbol: str
    side: Side
    volume: float
    price: float
    sl: float = 0.0
    tp: float = 0.0
    deviation_points: int = 0
    magic: int = 0
    comment: str = ""


@dataclass(frozen=True)
class PendingOrder:
    """Place a pending order that triggers at ``price``; ``sl``/``tp`` 0.0 for none. It lives per ``type_time``
    (good till cancelled by default); ``expiration`` is the trade-server epoch second it expires at for
    ``specified``/``specified_day`` (0 otherwise; mt5-api §2.3: server time, not UTC)."""

    symbol: str
    type: OrderType
    volume: float
    price: float
    sl: float = 0.0
    tp: float = 0.0
    magic: int = 0
    comment: str = ""
    type_time: OrderTime = OrderTime.GTC
    expiration: int = 0


@dataclass(frozen=True)
class ClosePosition:
    """Close ``volume`` lots of the ``position_side`` position ``position`` (a ticket) at the market.

    ``price`` is the expected fill: the bid for a long, the ask for a short. ``position`` 0 means "the
    symbol's one position" and is valid only on netting accounts (a position this same plan opened, whose
    ticket is not known yet); a close never opens the other side.
    """

    symbol: str
    position: int
    position_side: PositionSide
    volume: float
    price: float
    deviation_points: int = 0
    magic: int = 0
    comment: str = ""


@dataclass(frozen=True)
class ModifyPosition:
    """Set both SL and TP of open position ``position`` (0.0 removes a level, so both are always given)."""

    symbol: str
    position: int
    sl: float
    tp: float
    magic: int = 0
    comment: str = ""


@dataclass(frozen=True)
class ModifyOrder:
    """Set both SL and TP of pending order ``order``, keeping its trigger ``price`` and its lifetime
    (``type_time``/``expiration``: TRADE_ACTION_MODIFY sets them too, so they are sent as the order has them)."""

    symbol: str
    order: int
    price: float
    sl: float
    tp: float
    magic: int = 0
    comment: str = ""
    type_time: OrderTime = OrderTime.GTC
    expiration: int = 0


@dataclass(frozen=True)
class CancelOrder:
    """Delete pending order ``order``."""

    symbol: str
    order: int
    magic: int = 0
    comment: str = ""


#: Everything the agent can ask a broker to do.
OrderRequest = MarketOrder | PendingOrder | ClosePosition | ModifyPosition | ModifyOrder | CancelOrder


@dataclass(frozen=True)
class OrderReceipt:
    """What the broker did with one request.

    ``order``/``deal`` are the tickets it created (0 when none: a modification creates no deal, a pending order
    no deal until it triggers); ``volume``/``price`` the filled lots and price of a deal (0.0 otherwise);
    ``code`` the broker's own answer code (MT5: the trade server retcode), ``code_name`` its name
    (MT5: ``DONE`` for TRADE_RETCODE_DONE), ``message`` the broker's own text and ``sentence`` what the answer
    means, for the trader. ``requested_volume`` is the lots the request asked for and ``partial`` is True when
    the broker filled less (MT5: retcode 10010 TRADE_RETCODE_DONE_PARTIAL, or a deal volume below the request);
    ``volume`` is then the filled part.
    """

    order: int
    deal: int
    volume: float
    price: float
    code: int | None = None
    message: str = ""
    code_name: str = ""
    sentence: str = ""
    requested_volume: float = 0.0
    partial: bool = False
