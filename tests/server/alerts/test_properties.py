"""Property tests: the parser never raises anything but AlertRejected, and valid alerts round-trip.

The fuzz tests call ``server.alerts._parse`` (the parser without its safety net), so an exception that the
net would turn into a generic refusal still fails here.
"""

from __future__ import annotations

import json
import math
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

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
from server.alerts import AlertRejected, ParseContext, _parse
from tests.server.alerts import assert_sentence

FAST = settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])

contexts = st.builds(
    ParseContext,
    volume_type=st.sampled_from(["lots", "money_loss", "pct_balance_lots", "pct_balance_margin", "pct_balance_loss"]),
    target_type=st.sampled_from(["pips", "price", "pct"]),
    entry_type=st.sampled_from(["pips", "price", "pct"]),
    license_id=st.none() | st.just("60123456789"),
    default_symbol=st.none() | st.just("EURUSD"),
    dialects=st.sets(st.sampled_from(["tradesgnl", "tradingview_default"])).map(frozenset),
    default_volume_configured=st.booleans(),
)


def check(body: bytes, ctx: ParseContext) -> TradeIntent | None:
    """Parse; a refusal must be a clean sentence. Returns the intent, or None when refused."""
    try:
        intent = _parse(body, ctx)
    except AlertRejected as exc:
        message = str(exc)
        assert_sentence(message)
        assert len(message) < 700, message
        return None
    assert isinstance(intent, TradeIntent)
    TradeIntent.model_validate_json(intent.model_dump_json())  # it travels as JSON in the job payload
    return intent


WORDS = [
    "60123456789", "buy", "sell", "long", "closelong", "closeall", "buylimit", "newsltplong", "eaoff", "CL+OL",
    "EURUSD", "XAUUSD", "OANDA:EURUSD", "NQ1!", "risk", "vol_lots", "vol_dollar", "sl", "tp", "sl_pips", "tp_price",
    "price", "entry_pips", "comment", "secret", "spread", "accfilter", "betrigger", "beoffset", "traildist",
    "trailtrig", "atrperiod", "atrtimeframe", "signal", "symbol", "lots", "qty", "0", "1", "0.5", "-1", "NaN",
    "inf", "1e9", "2340.5", '"', "{{ticker}}", "=", "tp1", "stop", "cancel", "long", "short", "add",
]  # fmt: skip
SEPARATORS = [",", ", ", " ", ";", "\n", "\r\n", "=", "\t", ""]
alert_like_text = st.lists(st.tuples(st.sampled_from(WORDS), st.sampled_from(SEPARATORS)), max_size=14).map(
    lambda parts: "".join(word + sep for word, sep in parts)
)

JSON_KEYS = [
    "symbol", "ticker", "action", "side", "type", "sentiment", "lots", "qty", "quantity", "contracts", "risk",
    "sl", "tp", "sl_pips", "tp_pct", "price", "entry", "time", "timestamp", "max_lag", "id", "comment",
    "strategy", "secret", "market_position", "market_position_size", "prev_market_position",
    "prev_market_position_size", "position_size", "order", "strategy_info", "meta", "orderType", "limitPrice",
    "stopLoss", "takeProfit", "quantityType", "spread", "traildist", "betrigger", "tp1", "msg",
]  # fmt: skip
JSON_SCALARS = st.one_of(
    st.none(), st.booleans(), st.integers(-(10**20), 10**20), st.floats(allow_nan=False, allow_infinity=False),
    st.sampled_from(["buy", "sell", "long", "short", "flat", "exit", "cancel", "limit", "stop", "EURUSD", "1.5",
                     "0", "-2", "NaN", "0,5", "2025-01-15T14:30:05Z", "base", "quote", "fixed_quantity", ""]),
    st.text(max_size=12),
)  # fmt: skip
json_values = st.recursive(
    JSON_SCALARS,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.sampled_from(JSON_KEYS), inner, max_size=4),
    max_leaves=12,
)
json_objects = st.dictionaries(st.sampled_from(JSON_KEYS) | st.text(max_size=8), json_values, max_size=9)


@FAST
@given(st.binary(max_size=400), contexts)
def test_any_bytes_parse_or_are_refused(body: bytes, ctx: ParseContext) -> None:
    check(body, ctx)


@FAST
@given(st.text(max_size=300), contexts)
def test_any_text_parses_or_is_refused(text: str, ctx: ParseContext) -> None:
    check(text.encode("utf-8", "replace"), ctx)


@FAST
@given(alert_like_text, contexts)
def test_alert_like_text_parses_or_is_refused(text: str, ctx: ParseContext) -> None:
    check(text.encode(), ctx)


@FAST
@given(json_objects, contexts)
def test_json_objects_parse_or_are_refused(data: dict[str, Any], ctx: ParseContext) -> None:
    check(json.dumps(data).encode(), ctx)


def _case(draw: st.DrawFn, word: str) -> str:
    return "".join(c.upper() if draw(st.booleans()) else c.lower() for c in word)


def _pad(draw: st.DrawFn) -> str:
    return draw(st.sampled_from(["", " ", "  "]))


numbers = st.decimals(min_value="0.01", max_value="1000", places=2).map(str)
MARKET = {"buy": Side.BUY, "long": Side.BUY, "bullish": Side.BUY, "sell": Side.SELL, "short": Side.SELL,
          "bear": Side.SELL}  # fmt: skip
PENDING = {"buylimit": (Side.BUY, OrderKind.LIMIT), "buystop": (Side.BUY, OrderKind.STOP),
           "selllimit": (Side.SELL, OrderKind.LIMIT), "sellstop": (Side.SELL, OrderKind.STOP)}  # fmt: skip
VOLUME_KEYS = {"vol_lots": VolumeUnit.LOTS, "vol_pct_bal_margin": VolumeUnit.PCT_BALANCE_MARGIN,
               "vol_dollar": VolumeUnit.MONEY_LOSS, "vol_pct_eq_loss": VolumeUnit.PCT_EQUITY_LOSS}  # fmt: skip
LEVEL_UNITS = {"pips": DistanceUnit.PIPS, "price": DistanceUnit.PRICE, "pct": DistanceUnit.PCT}


@st.composite
def pineconnector_alerts(draw: st.DrawFn) -> tuple[str, ParseContext, OpenAction]:
    """A valid PineConnector entry, its context, and the OpenAction it must give."""
    command = draw(st.sampled_from(sorted(MARKET) + sorted(PENDING)))
    side, kind = (MARKET[command], OrderKind.MARKET) if command in MARKET else PENDING[command]
    target_type = draw(st.sampled_from(sorted(LEVEL_UNITS)))
    ctx = ParseContext(target_type=target_type, entry_type="pips")  # type: ignore[arg-type]
    volume_key = draw(st.sampled_from(["risk", *sorted(VOLUME_KEYS)]))
    volume_value = draw(numbers)
    params = {volume_key: volume_value}
    sl = tp = entry = None
    if draw(st.booleans()) or VOLUME_KEYS.get(volume_key) in (VolumeUnit.MONEY_LOSS, VolumeUnit.PCT_EQUITY_LOSS):
        sl_key, sl_unit = draw(st.sampled_from([("sl", LEVEL_UNITS[target_type]), ("sl_pips", DistanceUnit.PIPS),
                                                ("sl_price", DistanceUnit.PRICE)]))
        params[sl_key] = draw(numbers.filter(lambda v: float(v) < 100))
        sl = Distance(unit=sl_unit, value=float(params[sl_key]))
    if draw(st.booleans()):
        params["tp_pips"] = draw(numbers)
        tp = Distance(unit=DistanceUnit.PIPS, value=float(params["tp_pips"]))
    if kind != OrderKind.MARKET:
        params["price"] = draw(numbers)
        entry = Distance(unit=DistanceUnit.PIPS, value=float(params["price"]))
    items = draw(st.permutations(list(params.items())))
    fields = ["60123456789", _case(draw, command), "EURUSD"] + [f"{_case(draw, k)}{_pad(draw)}={_pad(draw)}{v}"
                                                                for k, v in items]
    body = ",".join(_pad(draw) + field + _pad(draw) for field in fields)
    unit = VOLUME_KEYS.get(volume_key, VolumeUnit.LOTS)
    expected = OpenAction(side=side, kind=kind, volume=Volume(unit=unit, value=float(volume_value)), sl=sl, tp=tp,
                          entry=entry)
    return body, ctx, expected


@FAST
@given(pineconnector_alerts())
def test_valid_pineconnector_alerts_round_trip(case: tuple[str, ParseContext, OpenAction]) -> None:
    body, ctx, expected = case
    intent = _parse(body.encode(), ctx)
    assert intent.format == AlertFormat.PINECONNECTOR
    assert intent.symbol == "EURUSD" and intent.license_id == "60123456789"
    assert intent.actions == [expected]


@st.composite
def json_alerts(draw: st.DrawFn) -> tuple[str, OpenAction, str]:
    """A valid JSON entry with aliased keys, and the OpenAction and symbol it must give."""
    symbol = draw(st.sampled_from(["EURUSD", "XAUUSD", "BTCUSDT.P", "OANDA:GBPUSD", "NQ1!"]))
    word, side = draw(st.sampled_from([("buy", Side.BUY), ("LONG", Side.BUY), ("Sell", Side.SELL),
                                       ("short", Side.SELL)]))
    volume_key, unit = draw(st.sampled_from([("lots", VolumeUnit.LOTS), ("volume", VolumeUnit.LOTS),
                                             ("qty", VolumeUnit.UNITS), ("contracts", VolumeUnit.UNITS)]))
    value = draw(st.floats(min_value=0.001, max_value=1e6))
    data: dict[str, Any] = {
        draw(st.sampled_from(["symbol", "ticker", "tv_instrument"])): symbol,
        draw(st.sampled_from(["action", "side", "signal", "direction"])): word,
        volume_key: draw(st.sampled_from([value, repr(value)])),
    }
    sl = draw(st.none() | st.floats(min_value=0.01, max_value=1e5))
    if sl is not None:
        data["sl"] = sl
    items = draw(st.permutations(list(data.items())))
    text = json.dumps(dict(items), indent=draw(st.sampled_from([None, 2]))) + draw(st.sampled_from(["", "\n", "\r\n"]))
    expected = OpenAction(side=side, volume=Volume(unit=unit, value=value),
                          sl=None if sl is None else Distance(unit=DistanceUnit.PRICE, value=sl))
    return text, expected, symbol


@FAST
@given(json_alerts())
def test_valid_json_alerts_round_trip(case: tuple[str, OpenAction, str]) -> None:
    text, expected, symbol = case
    intent = _parse(text.encode(), ParseContext())
    assert intent.format == AlertFormat.JSON and intent.symbol == symbol
    assert intent.actions == [expected]
    assert all(math.isfinite(a.volume.value) for a in intent.actions if isinstance(a, OpenAction))


LONG = "1" * 5000
LONG_BODIES = [
    f"buy EURUSD {LONG}", f"buy EURUSD lot={LONG}", f"buy EURUSD lot=1,{LONG}", f"buy EURUSD {'k' * 5000}=1 lot=x",
    f"buy {'E' * 5000} lot=1", f"60123456789,buy,EURUSD,{'k' * 5000}=1", f"60123456789,{'b' * 5000},EURUSD",
    f"60123456789,buy,EURUSD,risk={LONG}", f"60123456789,buy,EURUSD,risk=1,{LONG}", f"60123456789,buy,{'E' * 5000}",
    f"{'w' * 5000} crossed", f'{{"{"k" * 5000}": 1}}', f'{{"symbol": "EURUSD", "action": "{"b" * 5000}"}}',
    f'{{"symbol": "EURUSD", "action": "buy", "{"s" * 5000}": [1]}}', f'{{"symbol": "{"E" * 5000}", "action": "buy"}}',
    f'{{"symbol": "EURUSD", "action": "buy", "lots": "{LONG}"}}', f"signal=buy {'k' * 5000}=1",
    f"signal=buy symbol=EURUSD lots=1 tp_{'x' * 5000}=1", f"60123456789,eaon,{'e' * 5000}",
    f'{{"symbol": "EURUSD", "action": "buy", "lots": 1, "time": "{LONG}"}}',
]  # fmt: skip


def test_long_keys_and_values_give_short_messages() -> None:
    for text in LONG_BODIES:
        for ctx in (ParseContext(), ParseContext(default_volume_configured=True, dialects=frozenset({"tradesgnl"}))):
            check(text.encode(), ctx)
