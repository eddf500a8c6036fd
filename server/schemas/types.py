"""Bounded, strict field types for request models (limits in :mod:`server.schemas.bounds`).

Strict: ``true`` is not a number, ``0`` is not a boolean, ``"300"`` is not an integer, ``1.5`` is not a whole
number; a request that says one thing is never read as another. Text refuses control characters (tabs, line
breaks, NUL) and unpaired surrogates (valid in JSON, but not storable as UTF-8).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Annotated, Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from fastapi import Path
from pydantic import AfterValidator, BeforeValidator, Field, Strict, StringConstraints

from contract.timeframes import normalize_timeframe
from server.schemas import bounds


def _omit_default(schema: dict[str, Any]) -> None:
    schema.pop("default", None)


def only_symbol_keys(schema: dict[str, Any]) -> None:
    """Keys outside the symbol pattern are refused: say so in the schema too (pydantic lists the pattern only)."""
    schema["additionalProperties"] = False


def optional(description: str, *schema_fixes: Callable[[dict[str, Any]], None]) -> Any:
    """A PATCH field that may be left out but not sent as ``null`` (its column is NOT NULL).

    The default ``None`` means "unchanged" and is never validated; an explicit ``null`` is refused by the type.
    ``schema_fixes`` repeat the type's own ``json_schema_extra`` (pydantic keeps only the field's).
    """

    def fix(schema: dict[str, Any]) -> None:
        _omit_default(schema)
        for other in schema_fixes:
            other(schema)

    return Field(default=None, description=description, json_schema_extra=fix)


def whole_number(value: Any) -> Any:
    """Read ``90.0`` as ``90`` (JSON Schema counts it as an integer); ``90.5``, ``true`` and ``"90"`` stay refused."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def _text(max_chars: int) -> Any:
    return StringConstraints(min_length=1, max_length=max_chars, pattern=bounds.VISIBLE_TEXT_PATTERN)


Name = Annotated[str, Strict(), _text(bounds.MAX_NAME_CHARS)]
AgentId = Annotated[
    str,
    Strict(),
    StringConstraints(min_length=1, max_length=bounds.MAX_AGENT_ID_CHARS, pattern=bounds.AGENT_ID_PATTERN),
]
Symbol = Annotated[str, Strict(), _text(bounds.MAX_SYMBOL_CHARS)]
Suffix = Annotated[str, Strict(), _text(bounds.MAX_SUFFIX_CHARS)]
LicenseId = Annotated[str, Strict(), _text(bounds.MAX_LICENSE_ID_CHARS)]
AlertSecret = Annotated[str, Strict(), _text(bounds.MAX_ALERT_SECRET_CHARS)]
SigningSecret = Annotated[
    str,
    Strict(),
    StringConstraints(
        min_length=bounds.MIN_SIGNING_SECRET_CHARS,
        max_length=bounds.MAX_SIGNING_SECRET_CHARS,
        pattern=bounds.VISIBLE_TEXT_PATTERN,
    ),
]
RatePerSecond = Annotated[int, Strict(), Field(ge=1, le=bounds.MAX_RATE_PER_SECOND), BeforeValidator(whole_number)]
RatePerMinute = Annotated[int, Strict(), Field(ge=1, le=bounds.MAX_RATE_PER_MINUTE), BeforeValidator(whole_number)]
Flag = Annotated[bool, Strict()]
Lots = Annotated[float, Strict(), Field(gt=0, le=bounds.MAX_LOTS)]
Pct = Annotated[float, Strict(), Field(ge=bounds.MIN_PCT, le=bounds.MAX_PCT)]
PipSize = Annotated[float, Strict(), Field(gt=0, le=bounds.MAX_PIP_SIZE)]
SignalAge = Annotated[int, Strict(), Field(ge=1, le=bounds.MAX_SIGNAL_AGE_SECONDS), BeforeValidator(whole_number)]
DedupWindow = Annotated[int, Strict(), Field(ge=0, le=bounds.MAX_DEDUP_WINDOW_SECONDS), BeforeValidator(whole_number)]
OpenPositions = Annotated[int, Strict(), Field(ge=1, le=bounds.MAX_OPEN_POSITIONS), BeforeValidator(whole_number)]
TradesPerDay = Annotated[int, Strict(), Field(ge=1, le=bounds.MAX_TRADES_PER_DAY), BeforeValidator(whole_number)]
HoldMinutes = Annotated[int, Strict(), Field(ge=1, le=bounds.MAX_HOLD_MINUTES), BeforeValidator(whole_number)]
EntriesPerDirection = Annotated[
    int, Strict(), Field(ge=1, le=bounds.MAX_ENTRIES_PER_DIRECTION), BeforeValidator(whole_number)
]
ClockTime = Annotated[str, Strict(), StringConstraints(pattern=bounds.CLOCK_TIME_PATTERN)]
SessionHours = Annotated[str, Strict(), StringConstraints(pattern=bounds.SESSION_PATTERN)]


def known_time_zone(name: str) -> str:
    """An IANA time zone name this computer knows (``Europe/London``, ``UTC``)."""
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(
            f"must be a time zone name such as Europe/London, America/New_York or UTC; {name!r} is not one"
        ) from None
    return name


#: The IANA time zones this computer knows (the ``tzdata`` package on Windows), listed in the schema.
TIME_ZONES = sorted(available_timezones() | {"UTC"})


def time_zone_enum(schema: dict[str, Any]) -> None:
    """The schema of a time zone field lists the names it accepts (a client never has to guess one)."""
    schema["enum"] = TIME_ZONES


TimeZone = Annotated[
    str,
    Strict(),
    StringConstraints(min_length=1, max_length=bounds.MAX_TIMEZONE_CHARS),
    AfterValidator(known_time_zone),
    Field(json_schema_extra=time_zone_enum),
]
SymbolList = Annotated[list[Symbol], Field(max_length=bounds.MAX_SYMBOLS)]
SymbolMap = Annotated[dict[Symbol, Symbol], Field(max_length=bounds.MAX_SYMBOLS, json_schema_extra=only_symbol_keys)]
PipSizes = Annotated[dict[Symbol, PipSize], Field(max_length=bounds.MAX_SYMBOLS, json_schema_extra=only_symbol_keys)]

#: An id in a URL path (``/strategies/{strategy_id}``): 1 .. 2**63-1, SQLite's INTEGER range.
def path_id(what: str) -> Any:
    """A bounded ``Path`` parameter for the id of a ``what``."""
    return Path(ge=1, le=bounds.MAX_ID, description=f"The {what}'s id (1 to 2^63-1).")


def _iso_only(value: Any) -> Any:
    """Refuse epoch numbers where an ISO 8601 time is documented (pydantic would read ``0.5`` as a timestamp)."""
    if isinstance(value, int | float) or (isinstance(value, str) and _is_number(value)):
        raise ValueError("must be a date and time in ISO 8601, such as 2026-11-30T12:00:00Z")
    return value


def _is_number(text: str) -> bool:
    """Whether ``text`` reads as a number in any of Python's spellings (``1e-83``, ``inf``, ``1_000``): pydantic would
    take such text as a Unix time."""
    try:
        float(text)
    except ValueError:
        return False
    return True


#: A time given as ISO 8601 text (a zone-less one is read as UTC by the routes).
IsoTime = Annotated[datetime, BeforeValidator(_iso_only)]


def _timeframes(values: list[str]) -> list[str]:
    """Each timeframe in its canonical form (``"60"`` -> ``"1h"``), once each, in the order given.

    :raises ValueError: one is not a timeframe (the sentence names it)."""
    out: list[str] = []
    for value in values:
        canonical = normalize_timeframe(value)
        if canonical not in out:
            out.append(canonical)
    return out


Timeframes = Annotated[
    list[Annotated[str, Strict(), StringConstraints(pattern=bounds.TIMEFRAME_PATTERN)]],
    Field(max_length=bounds.MAX_TIMEFRAMES),
    AfterValidator(_timeframes),
]
RiskMultiplier = Annotated[
    float, Strict(), Field(ge=bounds.MIN_RISK_MULTIPLIER, le=bounds.MAX_RISK_MULTIPLIER)
]
ExposurePct = Annotated[float, Strict(), Field(ge=bounds.MIN_EXPOSURE_PCT, le=bounds.MAX_EXPOSURE_PCT)]

#: Default shares (TP1 first) of take-profit levels an alert gives without shares: weights, normalised to 100 %
#: (``[50, 30, 20]`` and ``[5, 3, 2]`` are the same split), so every list the schema allows is valid.
TpSplit = Annotated[list[Annotated[float, Strict(), Field(gt=0, le=100)]], Field(max_length=3)]
