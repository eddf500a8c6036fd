"""The ready-to-paste messages in docs/alerts.md parse as the page says (placeholders filled in)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from contract.intent import (
    CloseAction,
    ControlAction,
    DistanceUnit,
    OpenAction,
    OrderKind,
    OrderLifetime,
    PositionSide,
    Side,
    SyncAction,
    TimeInForce,
)
from tests.server.alerts import lots, parse, pips, price

DOC = Path(__file__).resolve().parents[3] / "docs" / "alerts.md"

FILLED = {
    "{{ticker}}": "EURUSD",
    "{{close}}": "1.0845",
    "{{timenow}}": "2025-01-15T14:30:05Z",
    "{{interval}}": "15",
    "{{strategy.order.action}}": "sell",
    "{{strategy.order.contracts}}": "20000",
    "{{strategy.order.price}}": "1.0845",
    "{{strategy.market_position}}": "short",
    "{{strategy.market_position_size}}": "10000",
    "{{strategy.prev_market_position}}": "long",
    "{{strategy.prev_market_position_size}}": "10000",
    "{{strategy.order.comment}}": "flip",
    "{{strategy.order.id}}": "Short",
}


def _block(after: str) -> str:
    """The first fenced code block after the heading ``after``."""
    text = DOC.read_text(encoding="utf-8")
    start = text.index("```", text.index(after))
    start = text.index("\n", start) + 1
    return text[start : text.index("```", start)]


def _fill(text: str) -> str:
    for placeholder, value in FILLED.items():
        text = text.replace(placeholder, value)
    return text


def test_message_box_json() -> None:
    intent = parse(_fill(_block("### Indicator alert typed in the Message box")))
    assert intent.actions == [OpenAction(side=Side.BUY, volume=lots(0.1))]
    assert intent.alert_price == 1.0845 and intent.timeframe == "15m" and intent.alert_time is not None


def test_strategy_order_fill_json() -> None:
    intent = parse(_fill(_block("### Strategy order fills")))
    assert intent.actions == [SyncAction(target="short", target_size=10000, prev="long", prev_size=10000,
                                         order_side=Side.SELL, order_size=20000)]
    assert intent.alert_id == "Short-2025-01-15T14:30:05Z"


def test_pineconnector_lines() -> None:
    lines = _fill(_block("### PineConnector")).strip().splitlines()
    expected = [
        [OpenAction(side=Side.BUY, volume=lots(0.1), sl=pips(20), tp=pips(40))],
        [OpenAction(side=Side.SELL, volume=lots(0.2), sl=pips(25), tp=pips(50))],
        [CloseAction(sides=(PositionSide.LONG,))],
        [OpenAction(side=Side.BUY, kind=OrderKind.LIMIT, volume=lots(0.1), entry=pips(10), sl=pips(15),
                    tp=pips(30))],
        [ControlAction(trading_enabled=False)],
    ]
    assert [parse(line).actions for line in lines] == expected


def test_plain_text_lines() -> None:
    buy, close = _block("### Plain text").strip().splitlines()
    assert parse(buy).actions == [OpenAction(side=Side.BUY, volume=lots(0.1), sl=pips(20), tp=pips(40))]
    assert parse(close).actions == [CloseAction(sides=(PositionSide.LONG,))]


@pytest.mark.parametrize(
    ("body", "sl"),
    [('{"symbol":"EURUSD","action":"sell","lots":0.2,"sl":1.0950}', price(1.095))],
)
def test_json_shape_table_plain_row(body: str, sl: object) -> None:
    assert parse(body).actions == [OpenAction(side=Side.SELL, volume=lots(0.2), sl=sl)]  # type: ignore[arg-type]


def test_order_lifetime_comment_and_stop_examples() -> None:
    lines = _block("## Order lifetime, comments and stop sanity").strip().splitlines()
    intents = [parse(line, default_volume_configured=True) for line in lines]
    lifetimes = [a.lifetime for i in intents for a in i.actions if isinstance(a, OpenAction)]
    assert lifetimes == [
        OrderLifetime(time_in_force=TimeInForce.SPECIFIED, duration_seconds=1800),
        OrderLifetime(time_in_force=TimeInForce.SPECIFIED, expires_at=datetime(2026, 12, 1, 18, tzinfo=UTC)),
        OrderLifetime(time_in_force=TimeInForce.DAY),
        OrderLifetime(time_in_force=TimeInForce.GTC),
        None,
        None,
    ]
    assert [i.comment for i in intents] == [None, "gold fade", "london retest", None, None, None]
    stops = intents[-2].actions[0]
    assert isinstance(stops, OpenAction) and stops.sl is not None and stops.sl.unit == DistanceUnit.PRICE
    levels = intents[-1].actions[0]
    assert isinstance(levels, OpenAction)
    assert [lv.tp for lv in levels.take_profits] == [price(2350), price(2360)]
    assert intents[-2].units_from_settings == intents[-1].units_from_settings == []
    text = DOC.read_text(encoding="utf-8")
    start = text.index("```json", text.index("## Order lifetime, comments and stop sanity")) + len("```json")
    body = parse(_fill(text[start : text.index("```", start)]))
    (action,) = body.actions
    assert isinstance(action, OpenAction) and action.kind == OrderKind.LIMIT
    assert action.lifetime == OrderLifetime(time_in_force=TimeInForce.SPECIFIED,
                                            expires_at=datetime(2026, 12, 1, 18, tzinfo=UTC))
    assert body.comment == "london breakout"
@pytest.mark.parametrize("heading", ["### Timeframes", "### Duplicates by meaning"])
def test_the_strategy_controls_examples_carry_the_canonical_timeframe(heading: str) -> None:
    intent = parse(_fill(_block(heading)))
    assert intent.symbol == "EURUSD" and intent.timeframe == "15m"
    assert isinstance(intent.actions[0], OpenAction)
