"""JSON alerts: aliases, case, nesting, fixed units, shapes (TradersPost, strategy, 3Commas) and diagnostics."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Literal

import pytest

from contract.intent import (
    AlertFormat,
    CancelAction,
    CloseAction,
    ControlAction,
    OpenAction,
    OrderKind,
    PositionSide,
    Side,
    SyncAction,
    Volume,
    VolumeUnit,
)
from tests.server.alerts import lots, parse, pct, pips, points, price, rejected, units

LONG, SHORT = (PositionSide.LONG,), (PositionSide.SHORT,)


def body(**fields: object) -> str:
    return json.dumps(fields)


@pytest.mark.parametrize("key", ["symbol", "ticker", "tv_instrument", "Symbol", "TICKER"])
def test_symbol_aliases(key: str) -> None:
    assert parse(body(**{key: "EURUSD", "action": "buy", "lots": 1})).symbol == "EURUSD"


def test_meta_ticker() -> None:
    intent = parse('{"meta": {"ticker": "XAUUSD", "interval": "5"}, "action": "sell", "lots": 1}')
    assert intent.symbol == "XAUUSD" and intent.timeframe == "5m"


@pytest.mark.parametrize("key", ["action", "side", "signal", "direction", "trend", "bias", "type"])
@pytest.mark.parametrize(("word", "side"), [("buy", Side.BUY), ("LONG", Side.BUY), ("Sell", Side.SELL),
                                            ("short", Side.SELL), ("bullish", Side.BUY), ("bearish", Side.SELL)])
def test_action_aliases_any_case(key: str, word: str, side: Side) -> None:
    intent = parse(body(symbol="EURUSD", **{key: word}, lots=0.1))
    assert intent.actions == [OpenAction(side=side, volume=lots(0.1))]
    assert intent.format == AlertFormat.JSON


def test_agreeing_aliases_are_accepted_and_conflicting_ones_refused() -> None:
    assert parse(body(symbol="EURUSD", ticker="EURUSD", action="buy", side="long", lots=1)).symbol == "EURUSD"
    rejected(body(symbol="EURUSD", ticker="GBPUSD", action="buy", lots=1), "symbol twice", "EURUSD", "GBPUSD")
    rejected(body(symbol="EURUSD", action="buy", side="sell", lots=1), "action twice")


@pytest.mark.parametrize(
    ("key", "volume"),
    [
        ("volume", lots(0.5)), ("lots", lots(0.5)), ("lot", lots(0.5)), ("lot_size", lots(0.5)),
        ("vol_lots", lots(0.5)),
        ("qty", units(0.5)), ("quantity", units(0.5)), ("contracts", units(0.5)), ("units", units(0.5)),
        ("vol_pct_bal_margin", Volume(unit=VolumeUnit.PCT_BALANCE_MARGIN, value=0.5)),
    ],
)  # fmt: skip
def test_volume_keys_and_their_units(key: str, volume: Volume) -> None:
    for value in (0.5, "0.5", " 0.5 "):
        assert parse(body(symbol="EURUSD", action="buy", **{key: value})).actions[0].volume == volume  # type: ignore[union-attr]


def test_risk_is_percent_of_balance_lost_at_the_stop() -> None:
    intent = parse(body(symbol="XAUUSD", action="buy", risk="1.5", sl=2300))
    assert intent.actions == [
        OpenAction(side=Side.BUY, volume=Volume(unit=VolumeUnit.PCT_BALANCE_LOSS, value=1.5), sl=price(2300))
    ]
    rejected(body(symbol="XAUUSD", action="buy", risk=1), "stop-loss")


@pytest.mark.parametrize(
    ("fields", "sl", "tp"),
    [
        ({"sl": 1.05, "tp": "1.2"}, price(1.05), price(1.2)),
        ({"stop_loss": 1.05, "take_profit": 1.2}, price(1.05), price(1.2)),
        ({"stopLoss": 1.05, "takeProfit": 1.2}, price(1.05), price(1.2)),
        ({"sl_pips": 20, "tp_pips": 40}, pips(20), pips(40)),
        ({"sl_points": 200, "tp_points": 400}, points(200), points(400)),
        ({"sl_pct": 1, "tp_pct": 2}, pct(1), pct(2)),
        ({"stopLoss": {"type": "stop", "stopPrice": 1.05}, "takeProfit": {"limitPrice": 1.2}}, price(1.05), price(1.2)),
        ({"stopLoss": {"percent": 1}, "takeProfit": {"percent": 2}}, pct(1), pct(2)),
    ],
)
def test_sl_tp_keys_in_json(fields: dict[str, object], sl: object, tp: object) -> None:
    intent = parse(json.dumps({"symbol": "EURUSD", "action": "buy", "lots": 1, **fields}), target_type="pips")
    assert intent.actions == [OpenAction(side=Side.BUY, volume=lots(1), sl=sl, tp=tp)]  # type: ignore[arg-type]


@pytest.mark.parametrize("key", ["price", "entry", "trigger_price", "close", "signalPrice"])
def test_price_aliases_give_the_alert_price(key: str) -> None:
    assert parse(body(symbol="EURUSD", action="buy", lots=1, **{key: "1.0845"})).alert_price == 1.0845


@pytest.mark.parametrize(
    ("key", "value", "canonical"), [("timeframe", "15", "15m"), ("tf", "60", "1h"), ("interval", 240, "4h")]
)
def test_timeframe_aliases(key: str, value: object, canonical: str) -> None:
    assert parse(body(symbol="EURUSD", action="buy", lots=1, **{key: value})).timeframe == canonical


@pytest.mark.parametrize(
    "value",
    ["2025-01-15T14:30:05Z", "2025-01-15T15:30:05+01:00", "2025-01-15 14:30:05", 1736951405, "1736951405",
     1736951405000, "1736951405000"],
)  # fmt: skip
@pytest.mark.parametrize("key", ["time", "timenow", "timestamp"])
def test_times_become_aware_utc(key: str, value: object) -> None:
    intent = parse(body(symbol="EURUSD", action="buy", lots=1, **{key: value}))
    assert intent.alert_time == datetime(2025, 1, 15, 14, 30, 5, tzinfo=UTC)


@pytest.mark.parametrize("value", ["yesterday", "2025-13-01T00:00:00Z", -5, "1e30", True, "1970-01-01T00:00:00Z"])
def test_bad_times_are_refused(value: object) -> None:
    rejected(body(symbol="EURUSD", action="buy", lots=1, time=value), "time")


def test_ids_comment_routing_and_filters() -> None:
    intent = parse(body(symbol="EURUSD", action="buy", lots=1, id=42, comment="Breakout", strategy="london",
                        api_sec="s3cret", spread=2, accfilter=500, max_lag=60))
    assert (intent.alert_id, intent.comment, intent.strategy, intent.secret) == ("42", "Breakout", "london", "s3cret")
    assert (intent.max_spread_pips, intent.account_filter, intent.max_age_seconds) == (2, 500, 60)
    assert parse(body(symbol="EURUSD", action="buy", lots=1, alert_id="a-1")).alert_id == "a-1"
    assert parse(body(symbol="EURUSD", action="buy", lots=1, message="note")).comment == "note"


@pytest.mark.parametrize(
    ("action", "actions"),
    [
        ("closelong", [CloseAction(sides=LONG)]),
        ("close_long", [CloseAction(sides=LONG)]),
        ("close_short", [CloseAction(sides=SHORT)]),
        ("Exit-Long", [CloseAction(sides=LONG)]),
        ("exit", [CloseAction()]),
        ("stop_loss", [CloseAction()]),
        ("take_profit", [CloseAction()]),
        ("cancel", [CancelAction()]),
        ("cancel_short", [CancelAction(sides=SHORT)]),
        ("closeall", [CloseAction(all_symbols=True, include_pending=True)]),
        ("eaoff", [ControlAction(trading_enabled=False)]),
    ],
)
def test_stratoquant_and_other_alert_types(action: str, actions: list[object]) -> None:
    assert parse(body(symbol="EURUSD", type=action)).actions == actions


def test_account_wide_commands_need_no_symbol() -> None:
    assert parse(body(action="closeall")).symbol is None
    rejected(body(action="closelong"), "no symbol")
    assert parse(body(action="closelong"), default_symbol="GBPUSD").symbol == "GBPUSD"


@pytest.mark.parametrize(
    ("action", "sentiment", "actions"),
    [
        ("buy", "long", [OpenAction(side=Side.BUY, volume=units(100))]),
        ("sell", "short", [OpenAction(side=Side.SELL, volume=units(100))]),
        ("buy", "flat", [CloseAction(sides=SHORT)]),
        ("sell", "flat", [CloseAction(sides=LONG)]),
        ("exit", "flat", [CloseAction()]),
        ("add", "long", [OpenAction(side=Side.BUY, volume=units(100))]),
        ("add", "short", [OpenAction(side=Side.SELL, volume=units(100))]),
        ("cancel", None, [CancelAction()]),
    ],
)
def test_traderspost_shape(action: str, sentiment: str | None, actions: list[object]) -> None:
    fields: dict[str, object] = {"ticker": "EURUSD", "action": action, "quantity": 100}
    if sentiment:
        fields["sentiment"] = sentiment
    assert parse(json.dumps(fields)).actions == actions


@pytest.mark.parametrize(
    ("fields", "needle"),
    [
        ({"action": "sell", "sentiment": "long"}, "reduce"),
        ({"action": "add"}, "sentiment"),
        ({"action": "buy", "sentiment": "up"}, "sentiment"),
        ({"action": "buy", "quantityType": "percent_of_equity"}, "quantityType"),
        ({"action": "buy", "orderType": "trailing_stop"}, "orderType"),
        ({"action": "buy", "stopLoss": {"type": "stop_limit", "stopPrice": 1}}, "stopLoss.type"),
        ({"action": "buy", "stopLoss": {"amount": 5}}, "stopLoss.amount"),
    ],
)
def test_traderspost_refusals(fields: dict[str, object], needle: str) -> None:
    rejected(json.dumps({"ticker": "EURUSD", "quantity": 100, **fields}), needle)


def test_traderspost_limit_and_stop_orders() -> None:
    intent = parse(body(ticker="EURUSD", action="buy", orderType="limit", limitPrice=1.07, quantity=1000,
                        quantityType="fixed_quantity"))
    assert intent.actions == [OpenAction(side=Side.BUY, kind=OrderKind.LIMIT, volume=units(1000), entry=price(1.07))]
    intent = parse(body(ticker="EURUSD", action="sell", orderType="stop", stopPrice=1.05, lots=1))
    assert intent.actions == [OpenAction(side=Side.SELL, kind=OrderKind.STOP, volume=lots(1), entry=price(1.05))]
    rejected(body(ticker="EURUSD", action="buy", orderType="limit", lots=1), "entry")


def test_pending_actions_in_json_take_an_absolute_entry() -> None:
    intent = parse(body(symbol="EURUSD", action="buy_stop", lots=1, price=1.1, sl_pips=10))
    assert intent.actions == [OpenAction(side=Side.BUY, kind=OrderKind.STOP, volume=lots(1), entry=price(1.1),
                                         sl=pips(10))]


def test_strategy_shape_nested_like_the_placeholders() -> None:
    intent = parse(json.dumps({
        "ticker": "EURUSD",
        "strategy": {
            "order": {"action": "buy", "contracts": "2", "price": "1.08", "id": "Long", "comment": "flip"},
            "market_position": "long", "market_position_size": "1",
            "prev_market_position": "short", "prev_market_position_size": "1",
        },
    }))  # fmt: skip
    assert intent.actions == [SyncAction(target="long", target_size=1, prev="short", prev_size=1,
                                         order_side=Side.BUY, order_size=2)]
    assert intent.alert_price == 1.08 and intent.comment == "flip"
    assert intent.extras["strategy.order.id"] == "Long"


@pytest.mark.parametrize(("size", "target"), [("-3", "short"), ("0", "flat"), ("2.5", "long")])
def test_signed_position_size_alone_gives_the_target(size: str, target: Literal["long", "short", "flat"]) -> None:
    intent = parse(body(ticker="EURUSD", action="sell", contracts=1, position_size=size))
    assert intent.actions == [SyncAction(target=target, target_size=abs(float(size)), order_side=Side.SELL,
                                         order_size=1)]


@pytest.mark.parametrize(
    ("fields", "needle"),
    [
        ({"market_position": "long", "position_size": "-1"}, "inconsistent"),
        ({"market_position": "flat", "market_position_size": "2"}, "inconsistent"),
        ({"market_position": "long", "market_position_size": "0"}, "inconsistent"),
        ({"market_position": "sideways"}, "long, short or flat"),
        ({"market_position": "long", "market_position_size": "-1"}, "negative"),
        ({"market_position": "long", "lots": 1}, "contracts"),
        ({"market_position": "long", "action": "buylimit"}, "buy or sell"),
        ({"market_position": "long", "market_position_size": "2", "prev_market_position": "long",
          "prev_market_position_size": "1", "action": "sell"}, "inconsistent"),
    ],
)  # fmt: skip
def test_strategy_shape_refusals(fields: dict[str, object], needle: str) -> None:
    rejected(json.dumps({"ticker": "EURUSD", **fields}), needle)


def test_3commas_quote_amounts_are_not_sizes() -> None:
    intent = parse(json.dumps({"tv_instrument": "BTCUSDT.P", "action": "buy",
                               "strategy_info": {"market_position": "long", "market_position_size": "0.01"},
                               "order": {"amount": "500", "currency_type": "quote"}}))
    assert intent.actions[0].order_size is None  # type: ignore[union-attr]
    rejected(json.dumps({"symbol": "BTCUSD", "action": "buy", "order": {"amount": "5", "currency_type": "quote"}}),
             "quote")
    assert parse(json.dumps({"symbol": "BTCUSD", "action": "buy", "order": {"amount": "0.5"}})).actions == [
        OpenAction(side=Side.BUY, volume=units(0.5))
    ]


def test_unknown_keys_are_kept_unless_they_look_like_order_settings() -> None:
    intent = parse(body(symbol="EURUSD", action="buy", lots=1, slippage=3, note="x", tags=["a"], extra={"k": "v"}))
    assert intent.extras == {"slippage": "3", "note": "x", "tags": '["a"]', "extra.k": "v"}
    for key in ("tp4", "stop", "sl2", "trailing_pct", "lot_pct", "stopPrice_x", "size", "amount"):
        rejected(body(symbol="EURUSD", action="buy", lots=1, **{key: 1}), key)


def test_null_and_empty_values_are_absent() -> None:
    intent = parse(body(symbol="EURUSD", action="buy", lots=1, sl=None, tp="", comment=None))
    assert intent.actions == [OpenAction(side=Side.BUY, volume=lots(1))]


@pytest.mark.parametrize(
    ("text", "needles"),
    [
        ('{"ticker":"EURUSD","action":"buy","lots":0.1,}', ("trailing comma", "line 1, column 46")),
        ('{"a":[1,2,]}', ("trailing comma",)),
        ('{\n  "ticker": "EURUSD",\n  "action": "buy",\n}', ("trailing comma", "line 4")),
        ("{'ticker':'EURUSD'}", ("single quotes",)),
        ('{ticker:"EURUSD"}', ("key without double quotes",)),
        ('{"ticker":"EURUSD" "action":"buy"}', ("missing comma",)),
        ('{"ticker":"EURUSD,"action":"buy"}', ("invalid JSON",)),
        ('{"ticker":"EURUSD', ("never closed",)),
        ('{"ticker":EURUSD}', ("not valid JSON",)),
        ('{"ticker":"EURUSD"}{"action":"buy"}', ("more text after",)),
        ('{"ticker":"EURUSD",', ("ends early",)),
        ('{"lots":NaN}', ("NaN",)),
        ('{"lots":Infinity}', ("NaN",)),
        ('{"lots":nan}', ("NaN",)),
        ('{"a":1,"a":2}', ("twice",)),
        ("[" * 5000 + "]" * 5000, ("nested too deeply",)),
        ('{"lots":' + "9" * 5000 + "}", ("too long",)),
        ("[1, 2]", ("JSON list",)),
        ('{"ticker":"EURUSD","action":"buy","lots":"0,5"}', ("decimal comma",)),
        ('{"ticker":"EURUSD","action":"buy","lots":"1,000"}', ("thousands separator",)),
        ('{"ticker":"EURUSD","action":"buy","lots":true}', ("not a number",)),
        ('{"ticker":"EURUSD","action":"buy","lots":[1]}', ("single value",)),
        ('{"ticker":"EURUSD","action":"buy","lots":0.1,"sl":"NaN"}', ("NaN",)),
        ('{"ticker":["EURUSD"],"action":"buy","lots":0.1}', ("single value",)),
        ('{"ticker":"EUR USD","action":"buy","lots":0.1}', ("not a symbol",)),
        ('{"ticker":"EURUSD","action":"hold","lots":0.1}', ("not an order",)),
        ('{"ticker":"EURUSD","msg":"Long EURUSD at 1.08"}', ("no trade instruction",)),
        ('{"ticker":"EURUSD","action":"buy","lots":-1}', ("greater than 0",)),
        ('{"ticker":"EURUSD","action":{"side":"buy"},"lots":1}', ("no trade instruction",)),
    ],
)
def test_json_refusals(text: str, needles: tuple[str, ...]) -> None:
    rejected(text, *needles)


def test_trailing_newline_and_whitespace_are_still_json() -> None:
    intent = parse('\r\n  {"symbol": "EURUSD", "action": "buy", "lots": 1}\r\n\n')
    assert intent.format == AlertFormat.JSON and intent.actions == [OpenAction(side=Side.BUY, volume=lots(1))]


def test_byte_order_mark_is_ignored() -> None:
    assert parse('\ufeff{"symbol": "EURUSD", "action": "buy", "lots": 1}').symbol == "EURUSD"


def test_fire_time_wins_over_bar_time_and_the_bar_time_is_kept() -> None:
    intent = parse(body(symbol="EURUSD", action="buy", lots=1, time="2025-01-15T14:00:00Z",
                        timenow="2025-01-15T14:30:05Z"))
    assert intent.alert_time == datetime(2025, 1, 15, 14, 30, 5, tzinfo=UTC)
    assert intent.extras["time"] == "2025-01-15T14:00:00Z"


def test_informational_fields_may_repeat_and_the_first_wins() -> None:
    intent = parse(body(symbol="EURUSD", action="buy", lots=1, close=1.1, order_price=1.2, comment="a", message="b"))
    assert (intent.alert_price, intent.comment) == (1.1, "a")
    assert intent.extras["order_price"] == "1.2" and intent.extras["message"] == "b"


def test_long_free_text_comments_are_cut_not_refused() -> None:
    intent = parse(body(symbol="EURUSD", action="buy", lots=1, message="x" * 5000))
    assert intent.comment == "x" * 200


def test_a_license_id_in_json_must_match_the_strategy() -> None:
    assert parse(body(symbol="EURUSD", action="buy", lots=1, license_id="601")).license_id == "601"
    rejected(body(symbol="EURUSD", action="buy", lots=1, license_id="601"), "License ID", license_id="700")


def test_a_decimal_number_is_not_a_symbol_but_an_integer_ticker_is() -> None:
    rejected("EURUSD,buy,0.1", "not a symbol")
    assert parse(body(ticker=700, action="buy", lots=1)).symbol == "700"
