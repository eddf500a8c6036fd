"""Stops that look like prices: refuse a pips reading that is off by an order of magnitude.

In text formats a legacy ``sl=``/``tp=`` (and the take-profit levels ``tp1=``/``tp2=``/``tp3=``) is read per the
strategy's Target Type and ``price=`` per its Pending Order Entry setting (PineConnector EA settings,
docs.pineconnector.com/ea; default: pips). A trader who writes prices there under the default — ``sell XAUUSD
lot=0.05 sl=2340.5 tp=2301`` with gold near 2330 — would get an SL 2340.5 pips = 234 dollars away. The alert
cannot say which reading is meant, but the market can: when the number, read as a price, lies on the right side
of the reference price and near it, while the pips (or points) reading puts the level an order of magnitude
further (or closer), the alert is refused with both readings and how to say which one is meant. Nothing is sent.

Only levels whose unit came from the strategy's setting are checked (``TradeIntent.units_from_settings``): an
explicit ``sl_pips=``/``sl_price=`` (or ``tp_*``, ``tpN_*``, ``entry_*``) says which reading is meant and is
never second-guessed. The thresholds, as a price distance from the reference (the fill price for entries and
their take-profit levels, the entry for a pending order's SL/TP, the current price for ``newsltp*`` and for a
pending entry):

- the number as a price is on the level's side of the reference and within :data:`NEAR_PCT` % of it;
- "far": the pips reading is at least :data:`FACTOR` times the price reading's distance and at least
  :data:`MATERIAL_PCT` % of the reference (so a 150-pip USDJPY stop near 150.00 stays a pips stop);
- "close": the pips reading is at most 1/:data:`FACTOR` of the price reading's distance, which is itself within
  :data:`CLOSE_NEAR_PCT` % of the reference (``sl=1.0850`` on EURUSD at 1.0800 read as 1.085 pips).
"""

from __future__ import annotations

from decimal import Decimal

from agent.broker.models import SymbolSpec
from agent.planner.context import Context
from agent.planner.levels import PipFn, distance_in_price, stops_for
from agent.planner.text import dec, fmt_price, plain
from agent.planner.types import PlanRejected
from contract.intent import Distance, DistanceUnit

#: How many times further (or closer) the pips reading must put the level than the price reading.
FACTOR = Decimal(5)
#: The number read as a price must lie within this percentage of the reference price.
NEAR_PCT = Decimal(25)
#: A "far" pips reading moves the level at least this percentage of the reference price away.
MATERIAL_PCT = Decimal(3)
#: A "close" reading: the price reading lies within this percentage of the reference price.
CLOSE_NEAR_PCT = Decimal(5)

_KEYS = {"sl": ("sl", "stop loss", "Target Type"), "tp": ("tp", "take profit", "Target Type"),
         "entry": ("price", "entry", "Pending Order Entry"),
         **{f"tp{n}": (f"tp{n}", "take profit level", "Target Type") for n in (1, 2, 3)}}
_EXPLICIT = {"sl": "sl", "tp": "tp", "entry": "entry", **{f"tp{n}": f"tp{n}" for n in (1, 2, 3)}}


def check_reading(
    ctx: Context, level: str, d: Distance | None, *, above: bool, ref: float, ref_name: str, spec: SymbolSpec,
    pip: PipFn,
) -> None:
    """Refuse ``d`` (the alert's ``level``: ``"sl"``, ``"tp"``, ``"entry"`` or a take-profit level ``"tp1"``,
    ``"tp2"``, ``"tp3"``) when its pips/points reading is off by an order of magnitude from a price reading near
    ``ref`` (see the module rules).

    :param above: the level lies above ``ref`` (a short's SL, a long's TP, a buy stop's entry ...).
    :param ref_name: what ``ref`` is, for the sentence (``"the bid"``, ``"the entry"``).
    :raises PlanRejected: the reading is implausible; the sentence names both readings and how to choose.
    """
    if d is None or level not in ctx.intent.units_from_settings or d.unit not in (DistanceUnit.PIPS,
                                                                                  DistanceUnit.POINTS):
        return
    number, r = dec(d.value), dec(ref)
    if r <= 0:
        return
    price_gap = number - r if above else r - number
    if price_gap <= 0 or price_gap > r * NEAR_PCT / 100:
        return
    as_distance = distance_in_price(d, ref, spec, pip)
    far = as_distance >= price_gap * FACTOR and as_distance >= r * MATERIAL_PCT / 100
    close = as_distance * FACTOR <= price_gap and price_gap <= r * CLOSE_NEAR_PCT / 100
    if not (far or close):
        return
    key, what, setting = _KEYS[level]
    unit = d.unit.value
    digits = spec.digits
    at = r + as_distance if above else r - as_distance
    at_words = f"at {fmt_price(at, digits)}" if at > 0 else "below zero"
    explicit = _EXPLICIT[level]
    raise PlanRejected(
        f"The {what} {key}={plain(d.value)} looks like a price, but the strategy's {setting} setting reads it as "
        f"{unit}: as {unit} it is {fmt_price(as_distance, digits)} away from {ref_name} {fmt_price(r, digits)}, "
        f"{at_words}; as a price it is {fmt_price(number, digits)}, {fmt_price(price_gap, digits)} away. "
        f"Nothing was sent. Say which one is meant: {explicit}_price={plain(d.value)} for a price (or set the "
        f"strategy's {setting} to price), or {explicit}_{unit}={plain(d.value)} for {unit}."
    )


def checked_stops(
    ctx: Context, sl: Distance | None, tp: Distance | None, *, long: bool, ref: float, ref_name: str,
    spec: SymbolSpec, pip: PipFn,
) -> tuple[float | None, float | None]:
    """:func:`agent.planner.levels.stops_for` after :func:`check_reading` of the SL and the TP (named ``tp1`` when a
    single ``tp1=`` level became the take profit)."""
    check_reading(ctx, "sl", sl, above=not long, ref=ref, ref_name=ref_name, spec=spec, pip=pip)
    check_reading(ctx, _tp_key(ctx), tp, above=long, ref=ref, ref_name=ref_name, spec=spec, pip=pip)
    return stops_for(sl, tp, long=long, ref=ref, spec=spec, pip=pip)


def _tp_key(ctx: Context) -> str:
    """``"tp1"`` when the alert's take profit is a single ``tp1=`` read per the Target Type (the parser refuses
    ``tp=`` beside ``tp1=``, so both never come from the setting together), else ``"tp"``."""
    units = ctx.intent.units_from_settings
    return "tp1" if "tp1" in units and "tp" not in units else "tp"
