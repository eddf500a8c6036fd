"""key=value, plain text and action-first CSV: separators, CRLF, case, aliases, units and refusals."""

from __future__ import annotations

import pytest

from contract.intent import (
    AlertFormat,
    CancelAction,
    CloseAction,
    OpenAction,
    OrderKind,
    PositionSide,
    Side,
    SyncAction,
    Trailing,
    Volume,
    VolumeUnit,
)
from tests.server.alerts import lots, parse, pips, points, price, rejected, units

BUY_01 = OpenAction(side=Side.BUY, volume=lots(0.1))


@pytest.mark.parametrize(
    "text",
    [
        "signal=buy,symbol=EURUSD,lots=0.1",
        "signal=buy;symbol=EURUSD;lots=0.1",
        "signal=buy symbol=EURUSD lots=0.1",
        "signal=buy\nsymbol=EURUSD\nlots=0.1",
        "signal=buy\r\nsymbol=EURUSD\r\nlots=0.1\r\n",
        "SIGNAL=BUY, SYMBOL=EURUSD, LOTS=0.1",
        "signal = buy , symbol = EURUSD , lots = 0.1",
        "action=long\tticker=EURUSD\tvolume=0.1",
        "side=Buy;pair=EURUSD;lot=0.1;",
    ],
)
def test_key_value_separators_case_and_spaces(text: str) -> None:
    intent = parse(text)
    assert intent.format == AlertFormat.KEY_VALUE
    assert intent.symbol == "EURUSD" and intent.actions == [BUY_01]


@pytest.mark.parametrize(
    "text",
    [
        "buy EURUSD lot=0.1",
        "BUY EURUSD LOT=0.1",
        "Buy  EURUSD\r\nlot=0.1",
        "long tradesymbol=EURUSD lotsize=0.1",
        "bullish EURUSD volume=0.1",
        "BUY,EURUSD,VOLUME=0.1",
        "buy;EURUSD;lots=0.1",
        "enter-long EURUSD lots=0.1",
    ],
)
def test_plain_text_and_action_first_csv(text: str) -> None:
    intent = parse(text)
    assert intent.format == AlertFormat.PLAIN_TEXT
    assert intent.symbol == "EURUSD" and intent.actions == [BUY_01]


def test_plain_text_sl_tp_follow_the_target_type_setting() -> None:
    text = "sell XAUUSD lot=0.05 sl=2340.5 tp=2301"
    assert parse(text).actions == [OpenAction(side=Side.SELL, volume=lots(0.05), sl=pips(2340.5), tp=pips(2301))]
    assert parse(text, target_type="price").actions == [
        OpenAction(side=Side.SELL, volume=lots(0.05), sl=price(2340.5), tp=price(2301))
    ]


def test_explicit_units_in_text() -> None:
    intent = parse("sell XAUUSD lot=0.05 sl_price=2340.5 tp_pips=300 trail=50 trailstart=100", target_type="pct")
    assert intent.actions == [
        OpenAction(side=Side.SELL, volume=lots(0.05), sl=price(2340.5), tp=pips(300),
                   trailing=Trailing(trigger_pips=100, distance_pips=50))
    ]
    assert parse("buy EURUSD lot=1 sl_points=150").actions[0].sl == points(150)  # type: ignore[union-attr]


def test_text_risk_follows_the_volume_type_setting() -> None:
    assert parse("buy EURUSD risk=2").actions == [OpenAction(side=Side.BUY, volume=lots(2))]
    intent = parse("buy EURUSD risk=2 sl=20", volume_type="pct_balance_loss")
    assert intent.actions[0].volume == Volume(unit=VolumeUnit.PCT_BALANCE_LOSS, value=2)  # type: ignore[union-attr]


def test_text_quantity_is_tradingview_units() -> None:
    assert parse("buy EURUSD qty=1000").actions == [OpenAction(side=Side.BUY, volume=units(1000))]


def test_pending_orders_in_text() -> None:
    intent = parse("buylimit EURUSD lot=0.1 price=15")
    assert intent.actions == [OpenAction(side=Side.BUY, kind=OrderKind.LIMIT, volume=lots(0.1), entry=pips(15))]
    intent = parse("signal=buy symbol=EURUSD type=stop entry_price=1.1 lots=0.1")
    assert intent.actions == [OpenAction(side=Side.BUY, kind=OrderKind.STOP, volume=lots(0.1), entry=price(1.1))]


def test_market_price_in_text_is_the_alert_price_only_when_prices_are_configured() -> None:
    assert parse("buy EURUSD lot=0.1 price=1.0845", entry_type="price").alert_price == 1.0845
    assert parse("buy EURUSD lot=0.1 close=1.0845").alert_price == 1.0845


@pytest.mark.parametrize(
    ("text", "actions"),
    [
        ("closelong EURUSD", [CloseAction(sides=(PositionSide.LONG,))]),
        ("close EURUSD", [CloseAction()]),
        ("cancel long EURUSD", [CancelAction(sides=(PositionSide.LONG,))]),
        ("cancel short EURUSD", [CancelAction(sides=(PositionSide.SHORT,))]),
        ("closeall", [CloseAction(all_symbols=True, include_pending=True)]),
        ("closeall_on_ticker EURUSD", [CloseAction()]),
        ("signal=closelong,symbol=EURUSD", [CloseAction(sides=(PositionSide.LONG,))]),
        ("signal=exit_short symbol=EURUSD", [CloseAction(sides=(PositionSide.SHORT,))]),
    ],
)
def test_text_close_and_cancel(text: str, actions: list[object]) -> None:
    assert parse(text).actions == actions


def test_quoted_values_and_extras() -> None:
    intent = parse('buy EURUSD lot=0.1 comment="london breakout" secret=abc strategy=ldn id=7 note=hello')
    assert intent.comment == "london breakout" and intent.secret == "abc" and intent.strategy == "ldn"
    assert intent.alert_id == "7" and intent.extras == {"note": "hello"}


def test_default_symbol_and_a_symbol_key() -> None:
    assert parse("BUY SL=50 TP=100 LOT=0.01", default_symbol="GBPUSD").symbol == "GBPUSD"
    assert parse("buy lot=0.1 symbol=USDJPY").symbol == "USDJPY"
    rejected("buy EURUSD lot=0.1 symbol=USDJPY", "symbol twice")


@pytest.mark.parametrize(
    ("text", "needles"),
    [
        ("EURUSD crossed 1.08", ("no trade instruction", "EURUSD crossed 1.08")),
        ("Price alert: EURUSD above 1.08", ("no trade instruction",)),
        ("hold EURUSD", ("no trade instruction",)),
        ("buy EURUSD now", ("'now'",)),
        ("buy EURUSD 0.1", ("'0.1' has no key", "lot=0.1")),
        ("buy 0.1 EURUSD", ("'0.1' has no key",)),
        ("buy EURUSD\nsell GBPUSD", ("second command",)),
        ("buy EURUSD lot=0,5", ("decimal comma", "lot=0.5")),
        ("BUY,EURUSD,VOLUME=0,10", ("decimal comma",)),
        ("buy EURUSD lot=0", ("greater than 0",)),
        ("buy EURUSD lot=-0.1", ("greater than 0",)),
        ("buy EURUSD lot=NaN", ("NaN",)),
        ("buy EURUSD lot=0.1 sl=nan", ("NaN",)),
        ("buy EURUSD lot=inf", ("infinite",)),
        ("buy EURUSD lot=abc", ("not a number",)),
        ("buy EURUSD lot=0.1 sl=", ("no value",)),
        ("buy EURUSD lot=0.1,=5", ("no key",)),
        ('buy EURUSD lot=0.1 comment="open', ("quote",)),
        ("buy EURUSD lot=0.1 tp4=1.2", ("tp4",)),
        ("buy EURUSD lot=0.1 stoploss_pips_x=1", ("stoploss_pips_x",)),
        ("buy EURUSD lot=0.1 lots=0.2", ("more than one volume",)),
        ("buy EURUSD", ("no volume",)),
        ("signal=hold symbol=EURUSD", ("not an order",)),
        ("symbol=EURUSD lots=0.1", ("no trade instruction",)),
        ("signal=buy symbol=EURUSD lots=0.1 stray", ("'stray'",)),
        ("buy lot=0.1", ("no symbol",)),
        ("buylimit EURUSD lot=0.1", ("entry",)),
        ("buy EURUSD lot=0.1 entry_pips=5", ("pending",)),
        ("sell EURUSD vol_dollar=50", ("stop-loss",)),
    ],
)
def test_text_refusals(text: str, needles: tuple[str, ...]) -> None:
    rejected(text, *needles)


def test_tradingview_default_message_dialect() -> None:
    body = "My Strategy: order buy @ 20000 filled on BTCUSDT.P. New strategy position is 0"
    rejected(body, "default strategy message")
    intent = parse(body, dialects={"tradingview_default"})
    assert intent.symbol == "BTCUSDT.P"
    assert intent.actions == [SyncAction(target="flat", target_size=0, order_side=Side.BUY, order_size=20000)]
    rejected("hello world", "no trade instruction", dialects={"tradingview_default"})
