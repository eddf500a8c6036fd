"""The normalized trade intent: what an alert asked for, with every unit explicit.

This is the contract between the server's alert parser (``server.alerts``), which turns a raw TradingView
body into a :class:`TradeIntent`, and the agent's order planner (``agent.planner``), which turns an intent plus
the terminal's symbol spec, quote, account and positions into concrete MT5 requests. It travels inside the
job payload as JSON, so every model here is a plain pydantic model with no behaviour beyond validation.

Units are never implied. A stop-loss of "50" becomes ``Distance(unit="pips", value=50)`` or
``Distance(unit="price", value=50.0)`` at parse time, using the strategy's settings for PineConnector's
legacy parameters (``risk=``, ``sl=``, ``tp=``, ``price=``) whose meaning depends on the EA settings
(PineConnector EA "Volume Type", "Target Type", "Pending Order Entry"; see
``reference/tradingview-and-bridges.md`` §1.4-1.5).

An intent is an ordered list of :data:`Action` steps, because PineConnector macros combine them
(``closelongbuy`` = close longs, then open a buy; ``closealleaoff`` = close everything, then halt).
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Annotated, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, model_validator


class Side(StrEnum):
    """Direction of an order or a position. ``long`` positions come from buys, ``short`` from sells."""

    BUY = "buy"
    SELL = "sell"


class PositionSide(StrEnum):
    """Which positions (or pending orders) a close, cancel or modify step touches."""

    LONG = "long"
    SHORT = "short"


class OrderKind(StrEnum):
    """Market execution, or a pending order that triggers at ``entry``.

    ``limit`` buys below / sells above the market; ``stop`` buys above / sells below it
    (MQL5 ENUM_ORDER_TYPE: ORDER_TYPE_BUY_LIMIT, ORDER_TYPE_BUY_STOP, ...).
    """

    MARKET = "market"
    LIMIT = "limit"
    STOP = "stop"


class VolumeUnit(StrEnum):
    """How ``Volume.value`` is to be read.

    - ``lots``: MT5 lots, rounded down to the symbol's ``volume_step``.
    - ``units``: TradingView ``contracts`` (FX units, coins, shares); lots = units / ``trade_contract_size``.
    - ``pct_balance_loss`` / ``pct_equity_loss``: percent of balance / equity lost if the SL is hit (needs an SL).
    - ``money_loss``: account-currency amount lost if the SL is hit (PineConnector ``vol_dollar``; needs an SL).
    - ``pct_balance_lots``: PineConnector "% of Balance (Lots)": 1 % = 0.1 lot per 1,000 of balance.
    - ``pct_balance_margin``: percent of balance committed as margin (PineConnector ``vol_pct_bal_margin``).
    - ``default``: the alert named no volume; the strategy's default lot size applies (refused if it has none).
    """

    LOTS = "lots"
    UNITS = "units"
    PCT_BALANCE_LOSS = "pct_balance_loss"
    PCT_EQUITY_LOSS = "pct_equity_loss"
    MONEY_LOSS = "money_loss"
    PCT_BALANCE_LOTS = "pct_balance_lots"
    PCT_BALANCE_MARGIN = "pct_balance_margin"
    DEFAULT = "default"


class Volume(BaseModel):
    """A requested size. ``value`` is in ``unit`` and is always > 0 (the parser refuses 0 and negatives)."""

    model_config = ConfigDict(frozen=True)

    unit: VolumeUnit
    value: float = 0.0

    @property
    def needs_stop_loss(self) -> bool:
        """True for loss-based sizing, which cannot be computed without an SL distance."""
        return self.unit in (VolumeUnit.PCT_BALANCE_LOSS, VolumeUnit.PCT_EQUITY_LOSS, VolumeUnit.MONEY_LOSS)


class DistanceUnit(StrEnum):
    """How a stop-loss, take-profit or pending-entry value is to be read.

    - ``price``: an absolute price.
    - ``pips``: a distance in pips (pip size from the symbol: see ``agent.planner``).
    - ``points``: a distance in MT5 points (``SymbolInfo.point``).
    - ``pct``: a distance in percent of the reference price.
    """

    PRICE = "price"
    PIPS = "pips"
    POINTS = "points"
    PCT = "pct"


class Distance(BaseModel):
    """An SL, TP or entry level: an absolute price or a distance from a reference price.

    The reference is the fill price for SL/TP of new market orders, the order's entry price for SL/TP of
    pending orders, and the current price for ``newsltp*`` modifications and for pending entries given as
    a distance (PineConnector EA docs, Target Type and Pending Order Entry).
    """

    model_config = ConfigDict(frozen=True)

    unit: DistanceUnit
    value: float


class Trailing(BaseModel):
    """Bridge-side trailing stop (PineConnector ``trailtrig``/``traildist``/``trailstep``, in pips)."""

    model_config = ConfigDict(frozen=True)

    trigger_pips: float | None = None
    distance_pips: float
    step_pips: float | None = None


class Breakeven(BaseModel):
    """Bridge-side breakeven (PineConnector ``betrigger``/``beoffset``, in pips from entry)."""

    model_config = ConfigDict(frozen=True)

    trigger_pips: float
    offset_pips: float = 0.0


class TakeProfitLevel(BaseModel):
    """One of several take-profit levels of an entry (TP1, TP2, TP3): its target and its share of the volume.

    ``tp`` follows the same unit rules as a single ``tp=`` (PineConnector Target Type in text formats, a price in
    JSON). ``share_pct`` is the percent of the entry's volume closed at this level (0 < share <= 100); the
    parser fills in omitted shares, so in an intent the shares of one entry always sum to 100.
    """

    model_config = ConfigDict(frozen=True)

    tp: Distance
    share_pct: float = Field(gt=0, le=100)


class TimeInForce(StrEnum):
    """How long a pending order stays in the terminal (MQL5 ENUM_ORDER_TYPE_TIME, mt5-api §2.3).

    - ``gtc``: good till cancelled (ORDER_TIME_GTC);
    - ``day``: until the end of the trading day (ORDER_TIME_DAY);
    - ``specified``: until a moment (ORDER_TIME_SPECIFIED with ``expiration``): an absolute time or a duration
      from when the agent places it.

    Alert spellings (``timeInForce`` of TradersPost/TradingView JSON, ``expiry=``) are mapped in
    ``server/alerts/lifetime.py``.
    """

    GTC = "gtc"
    DAY = "day"
    SPECIFIED = "specified"


class OrderLifetime(BaseModel):
    """A pending order's lifetime as the alert asked for it.

    ``time_in_force`` says which kind. For ``specified`` exactly one of ``expires_at`` (an aware UTC moment) and
    ``duration_seconds`` (> 0, counted from when the agent places the order) is set; both are ``None`` otherwise.
    The agent turns it into MT5 ``type_time``/``expiration`` where the symbol's expiration modes allow it.
    """

    model_config = ConfigDict(frozen=True)

    time_in_force: TimeInForce
    expires_at: AwareDatetime | None = None
    duration_seconds: int | None = Field(default=None, gt=0)

    @model_validator(mode="after")
    def _one_expiry_for_specified(self) -> OrderLifetime:
        given = (self.expires_at is not None) + (self.duration_seconds is not None)
        if given != (1 if self.time_in_force is TimeInForce.SPECIFIED else 0):
            raise ValueError("specified needs exactly one of expires_at and duration_seconds; gtc and day neither")
        return self


class OpenAction(BaseModel):
    """Open a position (market) or place a pending order.

    ``entry`` is required for ``limit``/``stop`` and ignored for ``market``. ``sl``/``tp`` of ``None`` mean
    no stop / no target. ``lifetime`` is the pending order's lifetime (``None``: not given, good till cancelled);
    on a market order only ``gtc``/``day`` are possible and mean nothing (MT5 fills it at once).

    ``take_profits``: several take-profit levels (TP1 first, nearest the market), each closing its share of the
    volume; when set, ``tp`` is ``None``. Hedging accounts get one position per level with its own TP; netting
    accounts one position whose TP is the last level's, the agent closing each earlier level's share as the price
    reaches it (docs/alerts.md "Several take-profit levels").
    """

    model_config = ConfigDict(frozen=True)

    type: Literal["open"] = "open"
    side: Side
    kind: OrderKind = OrderKind.MARKET
    volume: Volume
    sl: Distance | None = None
    tp: Distance | None = None
    entry: Distance | None = None
    trailing: Trailing | None = None
    breakeven: Breakeven | None = None
    take_profits: tuple[TakeProfitLevel, ...] = ()
    lifetime: OrderLifetime | None = None


class CloseAction(BaseModel):
    """Close this strategy's positions (only those carrying its magic number).

    ``sides`` picks long, short or both. ``all_symbols`` widens the scope from the alert's symbol to every
    symbol (PineConnector ``closeall``). ``portion_pct`` (0 < p <= 100) closes that percent of each position;
    ``portion_lots`` closes that many lots; both ``None`` closes fully.
    """

    model_config = ConfigDict(frozen=True)

    type: Literal["close"] = "close"
    sides: tuple[PositionSide, ...] = (PositionSide.LONG, PositionSide.SHORT)
    all_symbols: bool = False
    portion_pct: float | None = None
    portion_lots: float | None = None
    include_pending: bool = False


class CancelAction(BaseModel):
    """Delete this strategy's pending orders on the symbol: buy-side (``long``) and/or sell-side (``short``).

    ``kinds`` narrows to limit or stop orders; empty means both.
    """

    model_config = ConfigDict(frozen=True)

    type: Literal["cancel"] = "cancel"
    sides: tuple[PositionSide, ...] = (PositionSide.LONG, PositionSide.SHORT)
    kinds: tuple[OrderKind, ...] = ()


class ModifyAction(BaseModel):
    """Move SL and/or TP of open positions (``target="positions"``) or pending orders (``"orders"``).

    A ``None`` level is left unchanged. Pip distances are measured from the current price for positions
    (PineConnector ``newsltp*``) and from the order's entry price for pending orders.
    """

    model_config = ConfigDict(frozen=True)

    type: Literal["modify"] = "modify"
    target: Literal["positions", "orders"] = "positions"
    sides: tuple[PositionSide, ...] = (PositionSide.LONG, PositionSide.SHORT)
    kinds: tuple[OrderKind, ...] = ()
    sl: Distance | None = None
    tp: Distance | None = None


class SyncAction(BaseModel):
    """Reach a target position: TradingView strategy order-fill alerts (``{{strategy.*}}`` placeholders).

    ``target`` is ``{{strategy.market_position}}``; ``target_size`` its absolute size
    (``{{strategy.market_position_size}}`` or ``|{{strategy.position_size}}|``). ``prev``/``prev_size`` are the
    position TradingView had before the fill, used to refuse duplicates and out-of-order alerts. Sizes are in
    ``size_unit`` (TradingView contracts are ``units``). ``order_side``/``order_size`` are
    ``{{strategy.order.action}}``/``{{strategy.order.contracts}}``; a reversal's contracts include the closed
    amount (TradingView placeholders, support article 43000531021).
    """

    model_config = ConfigDict(frozen=True)

    type: Literal["sync"] = "sync"
    target: Literal["long", "short", "flat"]
    target_size: float | None = None
    prev: Literal["long", "short", "flat"] | None = None
    prev_size: float | None = None
    order_side: Side | None = None
    order_size: float | None = None
    size_unit: VolumeUnit = VolumeUnit.UNITS
    sl: Distance | None = None
    tp: Distance | None = None


class ControlAction(BaseModel):
    """Halt (``enabled=False``, PineConnector ``eaoff``) or resume (``eaon``) entries for the strategy."""

    model_config = ConfigDict(frozen=True)

    type: Literal["control"] = "control"
    trading_enabled: bool


Action = Annotated[
    OpenAction | CloseAction | CancelAction | ModifyAction | SyncAction | ControlAction,
    Field(discriminator="type"),
]


class AlertFormat(StrEnum):
    """Which syntax the body was recognised as (detected from the body, never from the Content-Type)."""

    JSON = "json"
    PINECONNECTOR = "pineconnector"
    KEY_VALUE = "key_value"
    PLAIN_TEXT = "plain_text"


#: A level whose unit may come from the strategy's settings (``TradeIntent.units_from_settings``): the stop loss,
#: the take profit, the pending entry, and take-profit levels 1-3.
SettingsLevel = Literal["sl", "tp", "entry", "tp1", "tp2", "tp3"]


class TradeIntent(BaseModel):
    """Everything an alert asked for, normalized.

    ``symbol`` is the symbol as the alert wrote it, after trimming only (``OANDA:EURUSD``, ``BTCUSDT.P``):
    mapping to a broker symbol happens on the agent, which knows the terminal's symbol list.
    ``actions`` run in order; a failed step stops the rest.

    Filters: ``max_spread_pips`` skips the alert if the current spread is wider (PineConnector ``spread=``);
    ``account_filter`` skips it unless the account figure exceeds it (``accfilter=``).

    Provenance: ``alert_id`` is the idempotency key when the alert carries one; ``alert_time`` is when
    TradingView fired it (for the staleness gate); ``alert_price`` is the close/price it carried, the
    simulator's quote in paper mode; ``secret``/``license_id``/``strategy`` route and authenticate it.
    ``extras`` keeps keys the bridge logged but did not need (``close_price``, ``exit_reason`` ...).

    ``units_from_settings`` names the levels whose unit came from the strategy's Target Type / Pending Order Entry
    setting (a legacy ``sl=``, ``tp=`` or ``price=``, or a take-profit level ``tp1=``/``tp2=``/``tp3=``, in a text
    format) rather than from the alert's own key: the agent refuses a pips or points reading of those that looks
    like a price near the market (``agent/planner/plausible.py``).
    ``timeframe`` is the chart's timeframe in its canonical form (:mod:`contract.timeframes`: ``"60"`` -> ``"1h"``,
    ``"D"`` -> ``"1D"``), or the text as written when it is not a timeframe; ``None`` when the alert names none.

    Staleness: ``max_age_seconds`` is the alert's own limit on its age (3Commas ``max_lag``, in seconds,
    measured from ``alert_time``); when set it replaces the strategy's maximum signal age for this alert.
    """

    format: AlertFormat
    symbol: str | None = None
    actions: list[Action] = Field(default_factory=list)
    comment: str | None = None
    alert_id: str | None = None
    alert_time: datetime | None = None
    alert_price: float | None = None
    timeframe: str | None = None
    max_spread_pips: float | None = None
    account_filter: float | None = None
    secret: str | None = None
    license_id: str | None = None
    strategy: str | None = None
    max_age_seconds: int | None = None
    extras: dict[str, str] = Field(default_factory=dict)
    units_from_settings: list[SettingsLevel] = Field(default_factory=list)

    @property
    def opens_exposure(self) -> bool:
        """True when a step can add exposure (used by gates that only guard entries, e.g. ``eaoff``)."""
        return any(isinstance(a, OpenAction | SyncAction) for a in self.actions)

    def summary(self) -> str:
        """A one-line human description, e.g. ``"open buy market 0.1 lots EURUSD"`` for logs and the tray."""
        parts: list[str] = []
        for a in self.actions:
            if isinstance(a, OpenAction):
                parts.append(f"open {a.side} {a.kind} {a.volume.value:g} {a.volume.unit}")
                if a.take_profits:
                    parts[-1] += f" with {len(a.take_profits)} take-profit levels"
            elif isinstance(a, SyncAction):
                parts.append(f"sync to {a.target} {a.target_size or 0:g}")
            elif isinstance(a, ControlAction):
                parts.append("trading on" if a.trading_enabled else "trading off")
            else:
                parts.append(f"{a.type} {'/'.join(a.sides)}")
        return "; ".join(parts) + (f" {self.symbol}" if self.symbol else "")
