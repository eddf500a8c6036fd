"""Tests of the alert language (``server.alerts``), with small helpers shared by the test modules."""

from __future__ import annotations

from typing import Any

import pytest

from contract.intent import Distance, DistanceUnit, TradeIntent, Volume, VolumeUnit
from server.alerts import AlertRejected, ParseContext, parse_alert


def context(**settings: Any) -> ParseContext:
    """A ParseContext; ``dialects`` may be given as a set of names."""
    if "dialects" in settings:
        settings["dialects"] = frozenset(settings["dialects"])
    return ParseContext(**settings)


def parse(body: str | bytes, **settings: Any) -> TradeIntent:
    """Parse ``body`` with a context built from ``settings`` (PineConnector defaults otherwise)."""
    raw = body.encode() if isinstance(body, str) else body
    return parse_alert(raw, context(**settings))


def rejected(body: str | bytes, *needles: str, **settings: Any) -> str:
    """Assert ``body`` is refused with a trader-facing sentence containing every needle (any case)."""
    with pytest.raises(AlertRejected) as caught:
        parse(body, **settings)
    message = str(caught.value)
    assert_sentence(message)
    for needle in needles:
        assert needle.lower() in message.lower(), f"{needle!r} not in {message!r}"
    return message


def assert_sentence(message: str) -> None:
    """A refusal is a plain, non-empty sentence: capital or quote first, full stop last, no traceback."""
    assert message and message == message.strip()
    assert message[0].isupper() or message[0] in "'{", message
    assert message.endswith("."), message
    assert "Traceback" not in message and "Error(" not in message and "\n" not in message


def lots(value: float) -> Volume:
    return Volume(unit=VolumeUnit.LOTS, value=value)


def units(value: float) -> Volume:
    return Volume(unit=VolumeUnit.UNITS, value=value)


def pips(value: float) -> Distance:
    return Distance(unit=DistanceUnit.PIPS, value=value)


def price(value: float) -> Distance:
    return Distance(unit=DistanceUnit.PRICE, value=value)


def pct(value: float) -> Distance:
    return Distance(unit=DistanceUnit.PCT, value=value)


def points(value: float) -> Distance:
    return Distance(unit=DistanceUnit.POINTS, value=value)
