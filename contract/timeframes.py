"""Chart timeframes in one canonical form, whatever way an alert or a trader writes them.

Alerts carry the chart's timeframe as TradingView's ``{{interval}}`` placeholder or as the trader typed it:
TradingView writes minutes as plain numbers (``"1"``, ``"15"``, ``"60"``, ``"240"``) and seconds, days, weeks
and months with a letter (``"1S"``, ``"D"``, ``"1D"``, ``"W"``, ``"M"``, ``"3M"``; TradingView support article
"Pine Script: timeframe.period", which returns the same strings); traders also write ``"1h"``, ``"4H"``,
``"15m"``, ``"15min"``, and MetaTrader's names (``"M15"``, ``"H4"``, ``"D1"``, ``"W1"``, ``"MN1"``, MQL5
ENUM_TIMEFRAMES).

The canonical form is a count and a unit: ``<n>s`` seconds, ``<n>m`` minutes, ``<n>h`` hours, ``<n>D`` days,
``<n>W`` weeks, ``<n>M`` months — each time the largest unit that divides it exactly, so ``"60"``, ``"1h"`` and
``"H1"`` are all ``"1h"``, ``"1440"`` and ``"D"`` are ``"1D"``, ``"90"`` stays ``"90m"``. Tick and range charts
(``"100T"``, ``"10R"``) are kept as ``<n>T`` / ``<n>R``. A canonical form normalises to itself.

As TradingView writes them, an upper-case ``M`` after a number is months (``"3M"``) and a lower-case ``m``
minutes (``"3m"``); MetaTrader's ``M`` before the number is minutes (``"M3"``).
"""

from __future__ import annotations

import re

_SECONDS_PER = {"s": 1, "m": 60, "h": 3600}
_UNIT_WORDS = {
    "s": "s", "sec": "s", "secs": "s", "second": "s", "seconds": "s",
    "m": "m", "min": "m", "mins": "m", "minute": "m", "minutes": "m",
    "h": "h", "hr": "h", "hrs": "h", "hour": "h", "hours": "h",
    "d": "D", "day": "D", "days": "D",
    "w": "W", "wk": "W", "week": "W", "weeks": "W",
    "mo": "M", "mon": "M", "month": "M", "months": "M",
    "t": "T", "tick": "T", "ticks": "T",
    "r": "R", "range": "R",
}
#: MetaTrader 5's timeframe names (ENUM_TIMEFRAMES without the PERIOD_ prefix): the unit comes first.
_MT5 = re.compile(r"^(?:PERIOD_)?(MN|M|H|D|W)(\d{1,4})$", re.IGNORECASE)
_NUMBER_UNIT = re.compile(r"^(\d{1,6})\s*([A-Za-z]*)$")
_UNIT_ONLY = re.compile(r"^([A-Za-z]+)$")

#: The largest count accepted in any unit (a year of minutes is 525,600; nothing real comes near it).
MAX_COUNT = 999_999


class UnknownTimeframe(ValueError):
    """The text is not a timeframe this module can read; ``str()`` is a sentence naming it."""


def normalize_timeframe(text: str) -> str:
    """The canonical form of ``text`` (see the module's docstring).

    :param text: a timeframe as an alert or a trader wrote it: ``"60"``, ``"1h"``, ``"4H"``, ``"D"``, ``"M15"``.
    :return: ``"1m"``, ``"15m"``, ``"1h"``, ``"4h"``, ``"1D"``, ``"1W"``, ``"1M"``, ``"30s"``, ``"100T"`` ...
    :raises UnknownTimeframe: not a timeframe, or a count of 0.
    """
    raw = text.strip()
    count, unit = _read(raw)
    if count <= 0 or count > MAX_COUNT:
        raise UnknownTimeframe(f"The timeframe {text!r} is not a timeframe: its count must be 1 to {MAX_COUNT:,}.")
    return _canonical(count, unit)


def try_normalize_timeframe(text: str | None) -> str | None:
    """:func:`normalize_timeframe`, or ``None`` for ``None`` or text that is not a timeframe."""
    if text is None:
        return None
    try:
        return normalize_timeframe(text)
    except UnknownTimeframe:
        return None


def _read(raw: str) -> tuple[int, str]:
    """``(count, unit)`` with unit one of ``s m h D W M T R``."""
    mt5 = _MT5.match(raw)
    if mt5:
        letter, number = mt5.group(1).upper(), int(mt5.group(2))
        return number, {"MN": "M", "M": "m", "H": "h", "D": "D", "W": "W"}[letter]
    match = _NUMBER_UNIT.match(raw)
    if match:
        number, word = int(match.group(1)), match.group(2)
        if not word:
            return number, "m"  # TradingView: a plain number is minutes
        return number, _unit(word, raw)
    only = _UNIT_ONLY.match(raw)
    if only and _unit(only.group(1), raw) in ("D", "W", "M"):
        return 1, _unit(only.group(1), raw)  # TradingView writes one day, week, month as "D", "W", "M"
    raise UnknownTimeframe(_unknown(raw))


def _unit(word: str, raw: str) -> str:
    if word in ("M", "MO", "MN"):
        return "M"  # TradingView: upper-case M is months ("3M", "M")
    if word == "m":
        return "m"
    unit = _UNIT_WORDS.get(word.lower())
    if unit is None:
        raise UnknownTimeframe(_unknown(raw))
    return unit


def _unknown(raw: str) -> str:
    return (
        f"The timeframe {raw!r} could not be read. Write it as TradingView's {{{{interval}}}} does (15, 60, 240, D, "
        f"W, M) or as 15m, 1h, 4h, 1D."
    )


def _canonical(count: int, unit: str) -> str:
    if unit in _SECONDS_PER:
        seconds = count * _SECONDS_PER[unit]
        if seconds % 86_400 == 0:
            days = seconds // 86_400
            return f"{days // 7}W" if days % 7 == 0 else f"{days}D"
        for name in ("h", "m"):
            if seconds % _SECONDS_PER[name] == 0:
                return f"{seconds // _SECONDS_PER[name]}{name}"
        return f"{seconds}s"
    if unit == "D" and count % 7 == 0:
        return f"{count // 7}W"
    return f"{count}{unit}"
