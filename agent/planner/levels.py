"""SL, TP and pending-entry prices: from the alert's distances to normalised prices, and the broker's checks.

Reference prices (PineConnector EA "Target Type" and "Pending Order Entry", docs.pineconnector.com/ea,
tradingview-and-bridges §1.5; mt5-api §4.2):

- SL/TP of a new market order: the expected fill, the ask for a buy and the bid for a sell ("pips from entry").
- SL/TP of a pending order: the order's entry price.
- SL/TP of ``newsltp*`` on open positions: the current price the position closes at, the bid for a long and the
  ask for a short ("from the current price for newsltp").
- A pending entry given as a distance: from the market, the ask for buy orders and the bid for sell orders
  (corpus: "BUY LIMIT 10 pips below current Ask").

Prices are normalised to the tick size, then to the digits: ``round(round(p / tick) * tick, digits)``, because
``trade_tick_size`` can be larger than ``point`` on CFDs (mt5-api §4.2).

Checks, with StopsLevel = ``trade_stops_level * point`` (mt5-api §4.2 table, MQL5 forum 163012 / article 2555):

=========  ===========================  ======================  ======================
Order      Price rule                   SL rule                 TP rule
=========  ===========================  ======================  ======================
Buy        --                           Bid - SL >= StopsLevel  TP - Bid >= StopsLevel
Sell       --                           SL - Ask >= StopsLevel  Ask - TP >= StopsLevel
BuyLimit   Ask - Open >= StopsLevel     Open - SL >= StopsLevel TP - Open >= StopsLevel
SellLimit  Open - Bid >= StopsLevel     SL - Open >= StopsLevel Open - TP >= StopsLevel
BuyStop    Open - Ask >= StopsLevel     Open - SL >= StopsLevel TP - Open >= StopsLevel
SellStop   Bid - Open >= StopsLevel     SL - Open >= StopsLevel Open - TP >= StopsLevel
=========  ===========================  ======================  ======================

Every gap must also be above zero: a level on or through its reference price is on the wrong side, which MT5
rejects with 10016 even when the stops level is 0 (mt5-api §4.2).

Freeze level (``trade_freeze_level`` points; MQL5 article 2555, mt5-api §4.2): inside that zone around a
trigger the broker refuses to close or modify a position or to modify or delete a pending order (10029). A
position is frozen while its close price (bid for a long, ask for a short) is that close to its SL or TP; a
pending order while the market (ask for buy orders, bid for sell orders) is that close to its price. The
planner checks it before it sends, and says so when a close is blocked.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import ROUND_HALF_EVEN, Decimal, InvalidOperation

from agent.broker.models import OrderType, Quote, SymbolSpec
from agent.planner.text import dec, fmt_price, plain
from agent.planner.types import PlanRejected
from contract.intent import Distance, DistanceUnit, Side

PipFn = Callable[[], Decimal]


def normalize_price(price: float | Decimal, spec: SymbolSpec) -> float:
    """``price`` rounded to the symbol's tick size, then to its digits (mt5-api §4.2).

    :raises PlanRejected: a number no price can be (not finite, or too large to round to the symbol's digits).
    """
    try:
        p = dec(price)
        tick = dec(spec.trade_tick_size) if spec.trade_tick_size > 0 else dec(spec.point)
        if tick > 0:
            p = (p / tick).to_integral_value(ROUND_HALF_EVEN) * tick
        return float(p.quantize(Decimal(1).scaleb(-max(spec.digits, 0)), ROUND_HALF_EVEN))
    except (InvalidOperation, OverflowError, ValueError) as exc:
        raise PlanRejected(
            f"The price {price} cannot be used on {spec.name}: it is far outside any price the symbol can have."
        ) from exc


def distance_in_price(d: Distance, ref: float, spec: SymbolSpec, pip: PipFn) -> Decimal:
    """The price distance of a pips/points/pct ``d`` measured from ``ref``."""
    value = dec(d.value)
    if d.unit == DistanceUnit.PIPS:
        return value * pip()
    if d.unit == DistanceUnit.POINTS:
        return value * dec(spec.point)
    return dec(ref) * value / 100


def level_price(
    d: Distance | None, *, above: bool, ref: float, spec: SymbolSpec, pip: PipFn, what: str
) -> float | None:
    """The price of an SL/TP/entry ``d``: absolute, or ``ref`` plus (``above``) or minus a distance.

    :param what: the level's name for messages (``"stop loss"``).
    :return: the normalised price, or ``None`` when ``d`` is ``None``.
    :raises PlanRejected: the result is not a positive price.
    """
    if d is None:
        return None
    if d.unit == DistanceUnit.PRICE:
        raw = dec(d.value)
    else:
        gap = distance_in_price(d, ref, spec, pip)
        raw = dec(ref) + gap if above else dec(ref) - gap
    if not raw.is_finite() or raw <= 0:
        raise PlanRejected(
            f"The {what} of {plain(d.value)} {d.unit.value} gives the price {plain(raw)} on {spec.name}, "
            f"which is not a valid price."
        )
    price = normalize_price(raw, spec)
    if price <= 0:
        raise PlanRejected(
            f"The {what} of {plain(d.value)} {d.unit.value} gives the price {plain(raw)} on {spec.name}, which "
            f"rounds to 0 at the symbol's tick size: not a valid price."
        )
    return price


def stops_for(
    sl: Distance | None, tp: Distance | None, *, long: bool, ref: float, spec: SymbolSpec, pip: PipFn
) -> tuple[float | None, float | None]:
    """SL and TP prices for a ``long`` (or short) position or order whose levels are measured from ``ref``."""
    return (
        level_price(sl, above=not long, ref=ref, spec=spec, pip=pip, what="stop loss"),
        level_price(tp, above=long, ref=ref, spec=spec, pip=pip, what="take profit"),
    )


def entry_price(d: Distance, order_type: OrderType, quote: Quote, spec: SymbolSpec, pip: PipFn) -> float:
    """A pending order's price: absolute, or a distance from the ask (buy orders) or the bid (sell orders)."""
    buy = order_type.side == Side.BUY
    above = order_type in (OrderType.BUY_STOP, OrderType.SELL_LIMIT)
    price = level_price(d, above=above, ref=quote.ask if buy else quote.bid, spec=spec, pip=pip, what="entry")
    assert price is not None  # d is not None
    return price


def check_position_levels(spec: SymbolSpec, quote: Quote, *, long: bool, sl: float | None, tp: float | None) -> None:
    """Refuse SL/TP of a (future) position that the server would answer with 10016 (table rows Buy/Sell).

    :raises PlanRejected: a level on the wrong side of the closing price or inside the stops level.
    """
    if long:
        ref, ref_name = quote.bid, "bid"
        checks = [("stop loss", sl, "below"), ("take profit", tp, "above")]
    else:
        ref, ref_name = quote.ask, "ask"
        checks = [("stop loss", sl, "above"), ("take profit", tp, "below")]
    owner = f"a {'long' if long else 'short'} position"
    for what, level, side in checks:
        if level is not None and level > 0:
            _check_gap(spec, what, owner, level, side, ref_name, ref)


def check_pending_levels(
    spec: SymbolSpec, quote: Quote, order_type: OrderType, entry: float, sl: float | None, tp: float | None
) -> None:
    """Refuse a pending order whose price, SL or TP the server would reject (10015/10016; table rows 3-6).

    :raises PlanRejected: the entry on the wrong side of the market, or a level too close.
    """
    name = order_type.label
    rules = {
        OrderType.BUY_LIMIT: ("below", "ask", quote.ask, "buy stop"),
        OrderType.SELL_LIMIT: ("above", "bid", quote.bid, "sell stop"),
        OrderType.BUY_STOP: ("above", "ask", quote.ask, "buy limit"),
        OrderType.SELL_STOP: ("below", "bid", quote.bid, "sell limit"),
    }
    side, ref_name, ref, other = rules[order_type]
    _check_gap(spec, "price", f"a {name}", entry, side, ref_name, ref, hint=f" (a {other} goes on the other side)")
    buy = order_type.side == Side.BUY
    owner = f"a {name} at {fmt_price(entry, spec.digits)}"
    _opt_gap(spec, "stop loss", owner, sl, "below" if buy else "above", "entry price", entry)
    _opt_gap(spec, "take profit", owner, tp, "above" if buy else "below", "entry price", entry)


def _opt_gap(
    spec: SymbolSpec, what: str, owner: str, level: float | None, side: str, ref_name: str, ref: float
) -> None:
    if level is not None and level > 0:
        _check_gap(spec, what, owner, level, side, ref_name, ref)


def _check_gap(
    spec: SymbolSpec,
    what: str,
    owner: str,
    level: float,
    side: str,
    ref_name: str,
    ref: float,
    hint: str = "",
) -> None:
    """Refuse ``level`` unless it is strictly on ``side`` of ``ref`` by at least the stops level."""
    gap = dec(level) - dec(ref) if side == "above" else dec(ref) - dec(level)
    digits = spec.digits
    if gap <= 0:
        raise PlanRejected(
            f"The {what} {fmt_price(level, digits)} of {owner} on {spec.name} is not {side} the {ref_name} "
            f"{fmt_price(ref, digits)}: it must be {side} it{hint}."
        )
    point = dec(spec.point)
    minimum = dec(spec.trade_stops_level) * point
    if gap < minimum:
        raise PlanRejected(
            f"The {what} {fmt_price(level, digits)} of {owner} on {spec.name} is only "
            f"{fmt_price(gap, digits)} ({plain(gap / point)} points) from the {ref_name} {fmt_price(ref, digits)}; "
            f"the broker's minimum stop distance (stops level) is {spec.trade_stops_level} points "
            f"({fmt_price(minimum, digits)})."
        )


def position_frozen(spec: SymbolSpec, quote: Quote, *, long: bool, sl: float, tp: float) -> str | None:
    """Why a position cannot be closed or modified right now (its close price inside the freeze level of its SL
    or TP), as a clause for a sentence; ``None`` when it can."""
    zone = dec(spec.trade_freeze_level) * dec(spec.point)
    if zone <= 0:
        return None
    ref, ref_name = (quote.bid, "bid") if long else (quote.ask, "ask")
    for what, level in (("stop loss", sl), ("take profit", tp)):
        if level > 0 and abs(dec(ref) - dec(level)) < zone:
            return (
                f"the {ref_name} {fmt_price(ref, spec.digits)} is within the broker's freeze level of "
                f"{spec.trade_freeze_level} points ({fmt_price(zone, spec.digits)}) of its {what} "
                f"{fmt_price(level, spec.digits)}, where the broker refuses to close or change a position"
            )
    return None


def order_frozen(spec: SymbolSpec, quote: Quote, order_type: OrderType, price: float) -> str | None:
    """Why a pending order cannot be modified or deleted right now (the market inside the freeze level of its
    price), as a clause for a sentence; ``None`` when it can."""
    zone = dec(spec.trade_freeze_level) * dec(spec.point)
    if zone <= 0:
        return None
    ref, ref_name = (quote.ask, "ask") if order_type.side == Side.BUY else (quote.bid, "bid")
    if abs(dec(ref) - dec(price)) < zone:
        return (
            f"the {ref_name} {fmt_price(ref, spec.digits)} is within the broker's freeze level of "
            f"{spec.trade_freeze_level} points ({fmt_price(zone, spec.digits)}) of its price "
            f"{fmt_price(price, spec.digits)}, where the broker refuses to change or delete a pending order"
        )
    return None
