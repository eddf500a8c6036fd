"""Order lifetime in alerts: expiry= and timeInForce, in every format, and the units-from-settings marker."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from contract.intent import OpenAction, OrderLifetime, TimeInForce
from tests.server.alerts import parse, rejected

SPEC = TimeInForce.SPECIFIED


def lifetime(body: str) -> OrderLifetime | None:
    action = parse(body, default_volume_configured=True).actions[0]
    assert isinstance(action, OpenAction)
    return action.lifetime


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ("60123456789,buylimit,EURUSD,risk=0.1,price=1.08,expiry=30m", OrderLifetime(time_in_force=SPEC,
                                                                                     duration_seconds=1800)),
        ("60123456789,sellstop,EURUSD,risk=0.1,price=20,expiry=4h", OrderLifetime(time_in_force=SPEC,
                                                                                  duration_seconds=14_400)),
        ("buylimit EURUSD lots=0.1 entry_price=1.08 expiry=90s", OrderLifetime(time_in_force=SPEC,
                                                                               duration_seconds=90)),
        ("buylimit EURUSD lots=0.1 entry_price=1.08 expiry=2d", OrderLifetime(time_in_force=SPEC,
                                                                              duration_seconds=172_800)),
        ("buylimit EURUSD lots=0.1 entry_price=1.08 expiry=2026-12-01T18:00:00Z",
         OrderLifetime(time_in_force=SPEC, expires_at=datetime(2026, 12, 1, 18, tzinfo=UTC))),
        ("buylimit EURUSD lots=0.1 entry_price=1.08 expiry=2026-12-01T19:00:00+01:00",
         OrderLifetime(time_in_force=SPEC, expires_at=datetime(2026, 12, 1, 18, tzinfo=UTC))),
        ("buylimit EURUSD lots=0.1 entry_price=1.08 expiry=2026-12-01T18:00",
         OrderLifetime(time_in_force=SPEC, expires_at=datetime(2026, 12, 1, 18, tzinfo=UTC))),
        ("buylimit EURUSD lots=0.1 entry_price=1.08 expiry=1796148000",
         OrderLifetime(time_in_force=SPEC, expires_at=datetime(2026, 12, 1, 18, tzinfo=UTC))),
        ("buylimit EURUSD lots=0.1 entry_price=1.08 expiry=1796148000000",
         OrderLifetime(time_in_force=SPEC, expires_at=datetime(2026, 12, 1, 18, tzinfo=UTC))),
        ("buylimit EURUSD lots=0.1 entry_price=1.08 timeInForce=GTC", OrderLifetime(time_in_force=TimeInForce.GTC)),
        ("buylimit EURUSD lots=0.1 entry_price=1.08 tif=day", OrderLifetime(time_in_force=TimeInForce.DAY)),
        ("buylimit EURUSD lots=0.1 entry_price=1.08 timeInForce=gtd expiry=1h",
         OrderLifetime(time_in_force=SPEC, duration_seconds=3600)),
        ("buylimit EURUSD lots=0.1 entry_price=1.08", None),
    ],
)
def test_text_lifetimes(body: str, expected: OrderLifetime | None) -> None:
    assert lifetime(body) == expected


def test_json_traderspost_time_in_force_and_expiry() -> None:
    body = {"ticker": "EURUSD", "action": "buy", "orderType": "limit", "limitPrice": 1.08, "quantity": 1000,
            "timeInForce": "gtd", "expiry": "2026-12-01T18:00:00Z"}
    assert lifetime(json.dumps(body)) == OrderLifetime(
        time_in_force=SPEC, expires_at=datetime(2026, 12, 1, 18, tzinfo=UTC)
    )
    day = {"ticker": "EURUSD", "action": "buy", "orderType": "stop", "stopPrice": 1.2, "quantity": 1000,
           "timeInForce": "day"}
    assert lifetime(json.dumps(day)) == OrderLifetime(time_in_force=TimeInForce.DAY)
    epoch = {"ticker": "EURUSD", "action": "sell", "orderType": "limit", "limitPrice": 1.2, "quantity": 1000,
             "expiration": 1796148000}
    assert lifetime(json.dumps(epoch)) == OrderLifetime(
        time_in_force=SPEC, expires_at=datetime(2026, 12, 1, 18, tzinfo=UTC)
    )


def test_a_market_order_keeps_gtc_or_day_for_the_agent_to_note() -> None:
    body = {"ticker": "EURUSD", "action": "buy", "quantity": 1000, "timeInForce": "day"}
    assert lifetime(json.dumps(body)) == OrderLifetime(time_in_force=TimeInForce.DAY)


def test_an_exit_keeps_its_time_in_force_in_the_extras() -> None:
    intent = parse(json.dumps({"ticker": "EURUSD", "action": "exit", "timeInForce": "gtc"}))
    assert intent.extras["timeInForce"] == "gtc"


@pytest.mark.parametrize(
    ("body", "needles"),
    [
        ("buylimit EURUSD lots=0.1 entry_price=1.08 timeInForce=ioc", ("ioc", "filling", "gtc, day, or gtd")),
        ("buylimit EURUSD lots=0.1 entry_price=1.08 timeInForce=fok", ("fok", "gtc, day, or gtd")),
        ("buylimit EURUSD lots=0.1 entry_price=1.08 timeInForce=opg", ("opg", "no MetaTrader 5 counterpart")),
        ("buylimit EURUSD lots=0.1 entry_price=1.08 timeInForce=cls", ("cls", "no MetaTrader 5 counterpart")),
        ("buylimit EURUSD lots=0.1 entry_price=1.08 timeInForce=forever", ("forever", "does not know")),
        ("buylimit EURUSD lots=0.1 entry_price=1.08 timeInForce=gtd", ("gtd", "gives no time", "expiry=")),
        ("buylimit EURUSD lots=0.1 entry_price=1.08 timeInForce=gtc expiry=1h", ("keep one",)),
        ("buylimit EURUSD lots=0.1 entry_price=1.08 expiry=30", ("bare number", "30m")),
        ("buylimit EURUSD lots=0.1 entry_price=1.08 expiry=30x", ("not a unit of time",)),
        ("buylimit EURUSD lots=0.1 entry_price=1.08 expiry=0m", ("not a usable lifetime",)),
        ("buylimit EURUSD lots=0.1 entry_price=1.08 expiry=400d", ("not a usable lifetime", "366 days")),
        ("buylimit EURUSD lots=0.1 entry_price=1.08 expiry=tomorrow", ("not a duration or a time",)),
        ("buylimit EURUSD lots=0.1 entry_price=1.08 expiry=1999-01-01T00:00:00Z", ("cannot be when",)),
        ("buy EURUSD lots=0.1 expiry=30m", ("no pending order", "market order")),
        ("60123456789,closelong,EURUSD,expiry=30m", ("no pending order", "closelong")),
        ("60123456789,buylimit,EURUSD,risk=0.1,price=10,expiry=-5m", ("not a duration or a time",)),
    ],
)
def test_lifetime_refusals(body: str, needles: tuple[str, ...]) -> None:
    rejected(body, *needles)


def test_a_strategy_position_alert_refuses_an_expiry() -> None:
    body = {"ticker": "EURUSD", "action": "buy", "contracts": "1000", "market_position": "long",
            "market_position_size": "1000", "prev_market_position": "flat", "prev_market_position_size": "0",
            "expiry": "1h"}
    rejected(json.dumps(body), "filled at market", "expiry")


@given(minutes=st.integers(min_value=1, max_value=366 * 24 * 60))
def test_any_duration_in_minutes_round_trips(minutes: int) -> None:
    assert lifetime(f"buylimit EURUSD lots=0.1 entry_price=1.08 expiry={minutes}m") == OrderLifetime(
        time_in_force=SPEC, duration_seconds=minutes * 60
    )


def test_legacy_levels_in_text_are_marked_as_read_by_the_settings() -> None:
    assert parse("60123456789,sell,XAUUSD,risk=0.05,sl=2340.5,tp=2301").units_from_settings == ["sl", "tp"]
    assert parse("60123456789,sell,XAUUSD,risk=0.05,sl_pips=50,tp=2301").units_from_settings == ["tp"]
    assert parse("sell XAUUSD lot=0.05 sl=2340.5 tp=2301").units_from_settings == ["sl", "tp"]
    assert parse('{"symbol":"XAUUSD","action":"sell","lots":0.05,"sl":2340.5}').units_from_settings == []


@pytest.mark.parametrize(
    "fields",
    [
        {"time_in_force": "specified"},
        {"time_in_force": "specified", "duration_seconds": 60, "expires_at": "2026-12-01T18:00:00Z"},
        {"time_in_force": "gtc", "duration_seconds": 60},
        {"time_in_force": "day", "expires_at": "2026-12-01T18:00:00Z"},
        {"time_in_force": "specified", "expires_at": "2026-12-01T18:00:00"},  # no zone: refused in the contract
        {"time_in_force": "specified", "duration_seconds": 0},
    ],
)
def test_the_contract_refuses_a_lifetime_that_says_two_things_or_nothing(fields: dict[str, object]) -> None:
    with pytest.raises(ValidationError):
        OrderLifetime.model_validate(fields)
