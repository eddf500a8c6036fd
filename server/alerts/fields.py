"""Which key means what: one alias table for JSON, key=value and plain text, and PineConnector's strict subset.

Keys are compared *compacted*: lower case with ``_``, ``-``, ``.``, and spaces removed, so ``sl_pips``,
``SL-PIPS``, ``stopLoss`` and ``meta.ticker``'s leaf all match one entry. Each key names a :class:`Slot`
(what it sets) and, for sizes and levels, a unit. ``LEGACY`` units depend on the format
(:mod:`server.alerts.orders`): in text formats they follow the strategy's PineConnector EA settings
(ParseContext ``volume_type``/``target_type``/``entry_type``); in JSON they are fixed.

Volume keys and their units (design decision, documented in docs/alerts.md):

- lots: ``volume``, ``lots``, ``lot``, ``lotsize``, ``vol_lots``, ``risk_lots`` (TradingRouter);
- TradingView contracts = units (FX units, coins, shares; the agent divides by ``trade_contract_size``):
  ``qty``, ``quantity``, ``contracts``, ``units``, and ``order.contracts`` — this is what
  ``{{strategy.order.contracts}}`` fills in (placeholder docs: "units for FX, not lots"; corpus TradersPost
  line: quantity 100000 = 1 lot);
- ``risk``: PineConnector's legacy key; in JSON it is percent of balance lost at the SL (theconnector.fr);
- explicit PineConnector v3 keys ``vol_dollar``, ``vol_pct_bal_loss``, ``vol_pct_eq_loss``,
  ``vol_pct_bal_margin`` (docs.pineconnector.com/syntax) and TradingRouter's ``risk_pct_bal_loss``,
  ``risk_cncy_amt`` (tradingrouter.com/howtouse/syntax).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

from contract.intent import DistanceUnit, VolumeUnit


class Slot(Enum):
    """What a key sets. A slot may be set once: two keys for one slot are refused (ExecRelay §1.8)."""

    VOLUME = "volume"
    SL = "stop-loss"
    TP = "take-profit"
    ENTRY = "entry"
    SYMBOL = "symbol"
    ACTION = "action"
    SENTIMENT = "sentiment"
    ORDER_TYPE = "order type"
    ALERT_PRICE = "price"
    TIMEFRAME = "timeframe"
    COMMENT = "comment"
    ORDER_COMMENT = "order comment"
    ALERT_ID = "alert id"
    TIME = "time"
    BAR_TIME = "bar time"
    STRATEGY = "strategy"
    SECRET = "secret"
    LICENSE = "license id"
    MAX_AGE = "max_lag"
    SPREAD = "spread"
    ACCFILTER = "accfilter"
    BE_TRIGGER = "betrigger"
    BE_OFFSET = "beoffset"
    TRAIL_TRIGGER = "trailtrig"
    TRAIL_DISTANCE = "traildist"
    TRAIL_STEP = "trailstep"
    ATR_TIMEFRAME = "atrtimeframe"
    ATR_PERIOD = "atrperiod"
    ATR_MULTIPLIER = "atrmultiplier"
    ATR_SHIFT = "atrshift"
    ATR_TRIGGER = "atrtrigger"
    POSITION = "market_position"
    POSITION_SIZE = "market_position_size"
    PREV_POSITION = "prev_market_position"
    PREV_POSITION_SIZE = "prev_market_position_size"
    SIGNED_POSITION_SIZE = "position_size"
    ORDER_AMOUNT = "order amount"
    CURRENCY_TYPE = "currency type"
    QUANTITY_TYPE = "quantityType"
    STOP_TYPE = "stopLoss.type"
    # Several take-profit levels (server/alerts/takeprofits.py): each level's target and its share of the volume.
    TP1 = "TP1"
    TP2 = "TP2"
    TP3 = "TP3"
    TP1_SHARE = "TP1 share"
    TP2_SHARE = "TP2 share"
    TP3_SHARE = "TP3 share"
    EXPIRY = "expiry"
    TIME_IN_FORCE = "timeInForce"


#: The unit marker for keys whose unit depends on the format and the strategy's settings.
LEGACY = "legacy"


@dataclass(frozen=True, slots=True)
class FieldSpec:
    """A key's meaning: its slot and, for volumes and levels, its unit (a unit value or ``LEGACY``)."""

    slot: Slot
    unit: str | None = None


def compact(key: str) -> str:
    """``key`` folded for lookup: lower case without ``_``, ``-``, ``.``, and spaces."""
    return key.lower().replace("_", "").replace("-", "").replace(".", "").replace(" ", "")


def _spec(slot: Slot, unit: VolumeUnit | DistanceUnit | str | None = None) -> FieldSpec:
    return FieldSpec(slot, None if unit is None else str(unit))


_V, _D = VolumeUnit, DistanceUnit

_GROUPS: list[tuple[FieldSpec, tuple[str, ...]]] = [
    # Volume.
    (_spec(Slot.VOLUME, LEGACY), ("risk",)),
    (_spec(Slot.VOLUME, _V.LOTS), ("vollots", "volume", "lots", "lot", "lotsize", "risklots")),
    (_spec(Slot.VOLUME, _V.UNITS), ("qty", "quantity", "contracts", "units", "ordercontracts")),
    (_spec(Slot.VOLUME, _V.MONEY_LOSS), ("voldollar", "riskcncyamt")),
    (_spec(Slot.VOLUME, _V.PCT_BALANCE_LOSS), ("volpctballoss", "riskpctballoss", "riskpct", "riskpercent")),
    (_spec(Slot.VOLUME, _V.PCT_EQUITY_LOSS), ("volpcteqloss",)),
    (_spec(Slot.VOLUME, _V.PCT_BALANCE_MARGIN), ("volpctbalmargin",)),
    # Stop-loss and take-profit (TradersPost objects flatten to stopLoss.stopPrice etc.).
    (_spec(Slot.SL, LEGACY), ("sl", "stoploss")),
    (_spec(Slot.SL, _D.PIPS), ("slpips", "stoplosspips")),
    (_spec(Slot.SL, _D.PRICE), ("slprice", "stoplossprice", "stoplossstopprice")),
    (_spec(Slot.SL, _D.PCT), ("slpct", "stoplosspct", "stoplosspercent")),
    (_spec(Slot.SL, _D.POINTS), ("slpoints", "stoplosspoints")),
    (_spec(Slot.TP, LEGACY), ("tp", "takeprofit")),
    (_spec(Slot.TP, _D.PIPS), ("tppips", "takeprofitpips")),
    (_spec(Slot.TP, _D.PRICE), ("tpprice", "takeprofitprice", "takeprofitlimitprice")),
    (_spec(Slot.TP, _D.PCT), ("tppct", "takeprofitpct", "takeprofitpercent")),
    (_spec(Slot.TP, _D.POINTS), ("tppoints", "takeprofitpoints")),
    # Pending entry; on a market order a price-valued entry is the alert's price.
    (_spec(Slot.ENTRY, LEGACY), ("price", "entry")),
    (_spec(Slot.ENTRY, _D.PRICE), ("entryprice", "limitprice", "stopprice")),
    (_spec(Slot.ENTRY, _D.PIPS), ("entrypips",)),
    (_spec(Slot.ENTRY, _D.PCT), ("entrypct",)),
    # What and where.
    (_spec(Slot.SYMBOL), ("symbol", "ticker", "tvinstrument", "tradesymbol", "instrument", "pair")),
    (_spec(Slot.ACTION), ("action", "side", "signal", "direction", "trend", "bias", "orderaction")),
    (_spec(Slot.SENTIMENT), ("sentiment",)),
    (_spec(Slot.ORDER_TYPE), ("ordertype",)),
    (_spec(Slot.ALERT_PRICE), ("close", "closeprice", "triggerprice", "signalprice", "orderprice")),
    (_spec(Slot.TIMEFRAME), ("timeframe", "tf", "interval")),
    (_spec(Slot.COMMENT), ("comment", "message", "msg")),
    (_spec(Slot.ORDER_COMMENT), ("ordercomment",)),
    (_spec(Slot.ALERT_ID), ("alertid", "id", "alerttimestamp", "idempotencykey")),
    # When the alert fired ({{timenow}}, 3Commas timestamp); {{time}} is the bar's open time, used only
    # when no fire time is given (corpus indicator line).
    (_spec(Slot.TIME), ("timenow", "timestamp", "alerttime")),
    (_spec(Slot.BAR_TIME), ("time", "bartime")),
    # Routing and authentication.
    (_spec(Slot.STRATEGY), ("strategy", "strategyname")),
    (_spec(Slot.SECRET), ("secret", "apisec", "passphrase")),
    (_spec(Slot.LICENSE), ("licenseid", "license")),
    # Filters and bridge-side management (PineConnector cheatsheet; Milvetti library; ExecRelay).
    (_spec(Slot.MAX_AGE), ("maxlag", "maxage", "maxageseconds")),
    (_spec(Slot.SPREAD), ("spread", "maxspread")),
    (_spec(Slot.ACCFILTER), ("accfilter", "accountfilter")),
    (_spec(Slot.BE_TRIGGER), ("betrigger",)),
    (_spec(Slot.BE_OFFSET), ("beoffset",)),
    (_spec(Slot.TRAIL_TRIGGER), ("trailtrig", "trailstart")),
    (_spec(Slot.TRAIL_DISTANCE), ("traildist", "trail")),
    (_spec(Slot.TRAIL_STEP), ("trailstep",)),
    (_spec(Slot.ATR_TIMEFRAME), ("atrtimeframe",)),
    (_spec(Slot.ATR_PERIOD), ("atrperiod",)),
    (_spec(Slot.ATR_MULTIPLIER), ("atrmultiplier",)),
    (_spec(Slot.ATR_SHIFT), ("atrshift",)),
    (_spec(Slot.ATR_TRIGGER), ("atrtrigger",)),
    # TradingView strategy placeholders and 3Commas/TradersPost specifics.
    (_spec(Slot.POSITION), ("marketposition",)),
    (_spec(Slot.POSITION_SIZE), ("marketpositionsize",)),
    (_spec(Slot.PREV_POSITION), ("prevmarketposition",)),
    (_spec(Slot.PREV_POSITION_SIZE), ("prevmarketpositionsize",)),
    (_spec(Slot.SIGNED_POSITION_SIZE), ("positionsize",)),
    (_spec(Slot.ORDER_AMOUNT), ("orderamount",)),
    (_spec(Slot.CURRENCY_TYPE), ("ordercurrencytype", "currencytype")),
    (_spec(Slot.QUANTITY_TYPE), ("quantitytype",)),
    (_spec(Slot.STOP_TYPE), ("stoplosstype",)),
    # A pending order's lifetime (server/alerts/lifetime.py): PineConnector-style expiry=, TradersPost timeInForce.
    (_spec(Slot.EXPIRY), ("expiry", "expiration", "expires", "expire", "expiretime", "expirytime", "gtdtime")),
    (_spec(Slot.TIME_IN_FORCE), ("timeinforce", "tif")),
]

#: The take-profit level slots, TP1 first, and their share slots (server/alerts/takeprofits.py).
TP_LEVEL_SLOTS = (Slot.TP1, Slot.TP2, Slot.TP3)
TP_SHARE_SLOTS = (Slot.TP1_SHARE, Slot.TP2_SHARE, Slot.TP3_SHARE)
#: ``tpN`` (units as ``tp=``), ``tpN_pips``/``_price``/``_pct``/``_points`` (units as ``tp_pips``...), ``tpN_share``
#: (percent of the entry's volume closed at level N); TradeSgnl writes ``tp1=``, ``tp2=``, ``tp3=``
#: (docs.tradesgnl.com/signals).
_TP_LEVEL_KEYS: list[tuple[FieldSpec, tuple[str, ...]]] = [
    group
    for n, (level, share) in enumerate(zip(TP_LEVEL_SLOTS, TP_SHARE_SLOTS, strict=True), 1)
    for group in (
        (_spec(level, LEGACY), (f"tp{n}", f"takeprofit{n}")),
        (_spec(level, _D.PIPS), (f"tp{n}pips",)),
        (_spec(level, _D.PRICE), (f"tp{n}price",)),
        (_spec(level, _D.PCT), (f"tp{n}pct",)),
        (_spec(level, _D.POINTS), (f"tp{n}points",)),
        (_spec(share), (f"tp{n}share",)),
    )
]
_GROUPS += _TP_LEVEL_KEYS

#: Every known key (compacted) for JSON, key=value and plain text.
KEYS: dict[str, FieldSpec] = {name: spec for spec, names in _GROUPS for name in names}

#: The keys a PineConnector message may carry (docs.pineconnector.com/syntax, cheatsheet; ExecRelay
#: ``paramKindFromKey``), plus ``strategy=`` (tvbridge's routing extension). Anything else is refused.
PINECONNECTOR_KEYS: frozenset[str] = frozenset(
    {
        "risk", "vollots", "voldollar", "volpctballoss", "volpcteqloss", "volpctbalmargin",
        "sl", "slpips", "slprice", "slpct", "tp", "tppips", "tpprice", "tppct",
        "price", "entryprice", "entrypips", "entrypct",
        "spread", "accfilter", "comment", "secret", "strategy", "expiry",
        "betrigger", "beoffset", "trailtrig", "traildist", "trailstep",
        "atrtimeframe", "atrperiod", "atrmultiplier", "atrshift", "atrtrigger",
    }
    | {name for _, names in _TP_LEVEL_KEYS for name in names if not name.startswith("takeprofit")}
)  # fmt: skip

#: TradeSgnl spellings accepted when the ``tradesgnl`` dialect is on (docs.tradesgnl.com/signals).
TRADESGNL_ALIASES: dict[str, str] = {
    "trtrig": "trailtrig",
    "trdist": "traildist",
    "trstep": "trailstep",
    "betrig": "betrigger",
    "bedist": "beoffset",
}

_RISKY_WORDS = (
    "stop", "loss", "profit", "lot", "risk", "qty", "quantity", "volume", "size", "amount", "trail", "breakeven",
)  # fmt: skip


def looks_like_order_setting(key: str) -> bool:
    """True for an unknown key that probably meant a stop, target, size or trailing setting (``tp1``,
    ``stop``, ``lot_pct``): refused rather than ignored, so a typo never drops a stop-loss silently."""
    name = compact(key)
    if name[:2] in ("sl", "tp") and (len(name) == 2 or not name[2].isalpha()):
        return True
    return any(word in name for word in _RISKY_WORDS)
