"""Strict reading of the values an alert carries: numbers, times, and how values are quoted in messages.

Every function here either returns a clean value or raises :class:`AlertRejected` with a sentence that names
the key, says what is wrong and how to fix it. Nothing is guessed:

- A number is ``[+-]digits[.digits][e±N]`` in ASCII. ``NaN``/``na``/``inf`` are refused because Pine's
  ``str.tostring(na)`` leaks ``NaN`` into messages when a variable has no value (corpus: ``sl=NaN``), and an
  order without its intended stop must never be sent silently.
- A decimal comma (``0,5``) is refused, never read as 0.5 or 5 (reference §5.3, "reject decimal commas").
- Times are ISO 8601 (TradingView's ``{{time}}``/``{{timenow}}`` are ``yyyy-MM-ddTHH:mm:ssZ``, placeholder
  docs, support article 43000531021) or epoch seconds/milliseconds, and always come back as aware UTC.
"""

from __future__ import annotations

import math
import re
from datetime import UTC, datetime

from server.alerts.context import AlertRejected

#: ASCII decimal number; ``[0-9]`` rather than ``\\d``, which would also match non-ASCII digits.
NUMBER_RE = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]{1,3})?")
_DECIMAL_COMMA = re.compile(r"[+-]?[0-9]+(?:,[0-9]+)+")
_NOT_A_NUMBER = {"nan", "-nan", "+nan", "na", "n/a"}
_INFINITE = {"inf", "+inf", "-inf", "infinity", "+infinity", "-infinity"}
_MAX_NUMBER_TEXT = 40
#: The largest and (but for 0) the smallest magnitude a number in an alert may have. No price, volume, distance or
#: amount of money is beyond them, and refusing such numbers here keeps them from the agent's arithmetic
#: (issue 9: a price of 1e23 or an entry of 1e-300 used to crash the agent's planner).
MAX_MAGNITUDE = 1e15
MIN_MAGNITUDE = 1e-12
#: Epoch values above this are milliseconds (1e11 s is the year 5138; 1e11 ms is 1973).
_EPOCH_MS_THRESHOLD = 1e11
_EARLIEST = datetime(2000, 1, 1, tzinfo=UTC)
_LATEST = datetime(2100, 1, 1, tzinfo=UTC)


def show(value: object, limit: int = 40) -> str:
    """``value`` as it may appear inside a message: quoted, printable, and at most ``limit`` characters."""
    text = value if isinstance(value, str) else _scalar_text(value)
    clean = "".join(ch if ch.isprintable() else "?" for ch in text[: limit + 1])
    if len(clean) > limit:
        clean = clean[: limit - 1] + "…"
    return f"'{clean}'"


def label(key: str, limit: int = 40) -> str:
    """A key as written, made safe for a message (printable, at most ``limit`` characters), unquoted."""
    return show(key, limit)[1:-1]


def show_keys(keys: list[str], limit: int = 120) -> str:
    """Key names for a message: printable, comma-separated, cut at ``limit`` characters."""
    text = ", ".join(label(key, 30) for key in keys[:12])
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _scalar_text(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float | str):
        return str(value)
    return type(value).__name__


def parse_number(raw: object, key: str) -> float:
    """Read ``raw`` (a text value or a JSON number) as a finite float; refuse anything else naming ``key``."""
    if isinstance(raw, bool) or raw is None:
        raise AlertRejected(f"The alert's {key} is {show(raw)}, not a number. Write a number such as {key}=0.1.")
    if isinstance(raw, int):
        if abs(raw) > 10**15:
            raise AlertRejected(f"The alert's {key} is too large to be a real value. Check the number in the alert.")
        return float(raw)
    if isinstance(raw, float):
        if not math.isfinite(raw):
            raise _not_finite(key, str(raw))
        return in_limits(raw, key)
    if not isinstance(raw, str):
        raise AlertRejected(f"The alert's {key} must be a number, not a list or an object. Write a number such as 0.1.")
    text = raw.strip()
    if not text:
        raise AlertRejected(f"The alert's {key} has no value. Write a number after it, or leave {key} out.")
    if len(text) <= _MAX_NUMBER_TEXT and NUMBER_RE.fullmatch(text):
        value = float(text)
        if math.isfinite(value):
            return in_limits(value, key)
    folded = text.lower()
    if folded in _NOT_A_NUMBER or folded in _INFINITE:
        raise _not_finite(key, text)
    if len(text) <= _MAX_NUMBER_TEXT and _DECIMAL_COMMA.fullmatch(text):
        raise decimal_comma(key, text)
    raise AlertRejected(
        f"The alert's {key} is {show(text)}, which is not a number. Write a plain number with a dot for "
        f"decimals, such as {key}=0.1."
    )


def in_limits(value: float, key: str) -> float:
    """``value`` when its magnitude is within :data:`MIN_MAGNITUDE` .. :data:`MAX_MAGNITUDE` (or it is 0)."""
    if abs(value) > MAX_MAGNITUDE:
        raise AlertRejected(
            f"The alert's {key} is {value:g}, too large to be a real value. Check the number in the alert."
        )
    if value != 0 and abs(value) < MIN_MAGNITUDE:
        raise AlertRejected(
            f"The alert's {key} is {value:g}, too close to 0 to be a real price, size or distance. Check the number "
            "in the alert."
        )
    return value


def _not_finite(key: str, text: str) -> AlertRejected:
    if "inf" in text.lower():
        return AlertRejected(
            f"The alert's {key} is infinite ({show(text)}), not a number, usually after a division by zero in "
            f"the script. Send a real number for {key}, or leave {key} out; the alert was refused rather than "
            "traded."
        )
    return AlertRejected(
        f"The alert's {key} is NaN (not a number): the Pine script sent {show(text)}, usually because the "
        "variable had no value (na) when the alert fired. Only fire the alert when the value exists (test it "
        f"with na()), or leave {key} out; the alert was refused rather than traded without it."
    )


def decimal_comma(key: str, text: str) -> AlertRejected:
    """The refusal for ``0,5``: the trader's locale wrote a decimal comma (reference §5.3)."""
    key, text = label(key), label(text)
    return AlertRejected(
        f"The alert's {key}={text} uses a decimal comma or a thousands separator. Write numbers with a dot "
        f"for decimals and no separators, such as {key}={text.replace(',', '.', 1).replace(',', '')}; "
        "in Pine use str.tostring(x, '#.#####') instead of a locale format."
    )


def positive(raw: object, key: str, what: str, fix: str | None = None) -> float:
    """A number that must be greater than zero (volumes, stop distances, prices); ``fix`` ends the message."""
    value = parse_number(raw, key)
    if value <= 0:
        advice = fix or f"Send a positive {key}, or leave {key} out if you want none."
        raise AlertRejected(f"The alert's {key} is {value:g}, but {what} must be greater than 0. {advice}")
    return value


def whole_seconds(raw: object, key: str) -> int:
    """A positive whole number of seconds (3Commas ``max_lag``)."""
    value = parse_number(raw, key)
    if value <= 0 or value != int(value) or value > 10**9:
        raise AlertRejected(f"The alert's {key} must be a whole number of seconds greater than 0, such as {key}=300.")
    return int(value)


def parse_time(raw: object, key: str) -> datetime:
    """An ISO 8601 string or epoch seconds/milliseconds as an aware UTC datetime (naive ISO is read as UTC)."""
    hint = f"Use {{{{timenow}}}} for {key}, which TradingView fills as 2025-01-15T14:30:05Z."
    if isinstance(raw, int | float) and not isinstance(raw, bool):
        return _from_epoch(float(raw), key, hint)
    if not isinstance(raw, str) or not raw.strip():
        raise AlertRejected(f"The alert's {key} is {show(raw)}, which is not a date and time. {hint}")
    text = raw.strip()
    if len(text) <= 20 and NUMBER_RE.fullmatch(text):
        return _from_epoch(float(text), key, hint)
    try:
        if len(text) > 40 or not text.isascii():
            raise ValueError(text)
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise AlertRejected(f"The alert's {key} is {show(text)}, which is not a date and time. {hint}") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return _in_range(moment.astimezone(UTC), key, hint)


def _from_epoch(value: float, key: str, hint: str) -> datetime:
    if not math.isfinite(value) or value < 0 or value > 1e14:
        raise AlertRejected(f"The alert's {key} is not a usable epoch timestamp. {hint}")
    seconds = value / 1000 if value > _EPOCH_MS_THRESHOLD else value
    return _in_range(datetime.fromtimestamp(seconds, tz=UTC), key, hint)


def _in_range(moment: datetime, key: str, hint: str) -> datetime:
    if not _EARLIEST <= moment < _LATEST:
        raise AlertRejected(f"The alert's {key} is {moment:%Y-%m-%d}, which cannot be when the alert fired. {hint}")
    return moment
