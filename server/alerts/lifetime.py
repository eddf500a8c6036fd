"""A pending order's lifetime: ``expiry=`` and ``timeInForce``, read into :class:`contract.intent.OrderLifetime`.

Spellings (documented in docs/alerts.md "Order lifetime, comments and stop sanity"):

- ``timeInForce`` (TradersPost and TradingView-style JSON; ``tif`` too, any case): ``gtc`` (good till cancelled),
  ``day`` (until the end of the trading day), ``gtd`` (good till date: needs an expiry). TradersPost's other values
  (traderspost.io "Invalid Time In Force": ``opg``, ``cls``, ``ioc``, ``fok``) have no MT5 pending-order
  counterpart (ENUM_ORDER_TYPE_TIME has GTC, DAY, SPECIFIED, SPECIFIED_DAY; mt5-api §2.3) and are refused with a
  sentence, like any unknown value: a lifetime is never silently dropped.
- ``expiry=`` (PineConnector-style; JSON ``expiry``/``expiration``/``expireTime``): a duration from when the agent
  places the order (``90s``, ``30m``, ``4h``, ``2d``; up to 366 days), an ISO 8601 time (``2026-12-01T18:00:00Z``;
  ``{{timenow}}``'s form; without an offset it is read as UTC, like every TradingView time), or Unix epoch
  seconds/milliseconds. A bare small number is refused: it could be minutes, hours or days.

Where it applies: an expiry (or ``gtd``) only on an entry that places a pending order (``buylimit`` ...); ``gtc``
and ``day`` also on a market entry (where they mean nothing: MT5 fills it at once; the agent says so in the
signal's notes), and on closes, cancels and modifications they are kept in the signal's extras (TradersPost's
"Exit time in force" sends them on exits). Whether the symbol allows it, and whether the time is in the future, is
decided by the agent, which knows the symbol's expiration modes and the time (``agent/planner/lifetime.py``).
"""

from __future__ import annotations

import math
import re
from datetime import UTC, datetime

from contract.intent import OrderLifetime, TimeInForce
from server.alerts.commands import Command
from server.alerts.context import AlertRejected
from server.alerts.fields import Slot
from server.alerts.numbers import NUMBER_RE, show
from server.alerts.params import Params, Value, text_of

#: The longest lifetime accepted (MT5 has no limit of its own; a longer one is a typo).
MAX_DURATION_SECONDS = 366 * 86_400

_UNITS = {
    "s": 1, "sec": 1, "secs": 1, "second": 1, "seconds": 1,
    "m": 60, "min": 60, "mins": 60, "minute": 60, "minutes": 60,
    "h": 3600, "hr": 3600, "hrs": 3600, "hour": 3600, "hours": 3600,
    "d": 86_400, "day": 86_400, "days": 86_400,
}  # fmt: skip
_DURATION = re.compile(r"(\d{1,9}(?:\.\d{1,6})?)\s*([a-z]{1,7})")
_EPOCH_MS = 1e11
_EARLIEST = datetime(2000, 1, 1, tzinfo=UTC)
_LATEST = datetime(2100, 1, 1, tzinfo=UTC)

_TIF = {
    "gtc": TimeInForce.GTC, "goodtillcancel": TimeInForce.GTC, "goodtillcancelled": TimeInForce.GTC,
    "goodtilcanceled": TimeInForce.GTC, "goodtillcanceled": TimeInForce.GTC,
    "day": TimeInForce.DAY,
    "gtd": TimeInForce.SPECIFIED, "goodtilldate": TimeInForce.SPECIFIED, "specified": TimeInForce.SPECIFIED,
}  # fmt: skip
_NO_MT5 = {
    "ioc": "ioc (immediate or cancel) is a way of filling at once, which tvbridge chooses from the symbol's "
    "filling modes",
    "fok": "fok (fill or kill) is a way of filling at once, which tvbridge chooses from the symbol's filling modes",
    "opg": "opg (only at the market's open) has no MetaTrader 5 counterpart",
    "cls": "cls (only at the market's close) has no MetaTrader 5 counterpart",
}
_USE = "Use gtc, day, or gtd with expiry= (such as expiry=30m or expiry=2026-12-01T18:00:00Z), or leave it out."


def lifetime_of(command: Command, p: Params) -> OrderLifetime | None:
    """The lifetime the alert asked for (``None``: none given, or one kept in extras on a step it does not apply
    to).

    :raises AlertRejected: an unknown or unsupported ``timeInForce``, an unreadable expiry, ``gtd`` without an
        expiry, ``gtc``/``day`` together with an expiry, or an expiry on an alert that places no pending order.
    """
    tif_value, expiry_value = p.get(Slot.TIME_IN_FORCE), p.get(Slot.EXPIRY)
    if tif_value is None and expiry_value is None:
        return None
    tif = _time_in_force(tif_value) if tif_value else TimeInForce.SPECIFIED
    if expiry_value is not None and tif is not TimeInForce.SPECIFIED:
        assert tif_value is not None
        raise AlertRejected(
            f"The alert gives {tif_value.key}={tif.value}, which never expires at a set time, and also "
            f"{expiry_value.key}. Keep one: {tif_value.key}=gtd with {expiry_value.key}, or only {tif_value.key}."
        )
    if tif is TimeInForce.SPECIFIED and expiry_value is None:
        assert tif_value is not None
        raise AlertRejected(
            f"The alert's {tif_value.key} is gtd (good till date) but gives no time. Add expiry= with a duration "
            "or a time, such as expiry=4h or expiry=2026-12-01T18:00:00Z."
        )
    step = command.open_step
    if tif is TimeInForce.SPECIFIED:
        assert expiry_value is not None
        if not command.is_pending:
            what = "a market order, which MetaTrader 5 fills at once" if step else f"the command {command.name}"
            raise AlertRejected(
                f"The alert's {expiry_value.key} sets when a pending order expires, but this alert places no pending "
                f"order ({what}). Use buylimit, buystop, selllimit or sellstop (JSON: \"orderType\": \"limit\" or "
                f"\"stop\"), or remove {expiry_value.key}."
            )
        return _expiry(expiry_value)
    if step is None:
        assert tif_value is not None
        p.extra(tif_value.key, tif.value)  # an exit's time in force: MT5 closes at once; visible in the log
        return None
    return OrderLifetime(time_in_force=tif)


def check_sync_lifetime(p: Params) -> None:
    """A TradingView strategy-position alert (filled at market): ``gtc``/``day`` is kept in the extras, an expiry
    refused (it would never act), an unknown ``timeInForce`` refused.

    :raises AlertRejected: an expiry, ``gtd`` or an unknown/unsupported ``timeInForce``.
    """
    tif_value, expiry_value = p.get(Slot.TIME_IN_FORCE), p.get(Slot.EXPIRY)
    tif = _time_in_force(tif_value) if tif_value else None
    refused = expiry_value or (tif_value if tif is TimeInForce.SPECIFIED else None)
    if refused is not None:
        raise AlertRejected(
            f"The alert's {refused.key} sets when a pending order expires, but a strategy position alert is filled "
            f"at market at once. Remove {refused.key}."
        )
    if tif_value is not None and tif is not None:
        p.extra(tif_value.key, tif.value)


def _time_in_force(value: Value) -> TimeInForce:
    text = (text_of(value, 40) or "").lower().replace("_", "").replace("-", "").replace(" ", "")
    found = _TIF.get(text)
    if found is not None:
        return found
    if text in _NO_MT5:
        raise AlertRejected(
            f"The alert's {value.key} is {text}: {_NO_MT5[text]}, and MetaTrader 5 pending orders only live "
            f"until cancelled, until the end of the day or until a set time. {_USE}"
        )
    raise AlertRejected(f"The alert's {value.key} is {show(text_of(value, 40))}, which tvbridge does not know. {_USE}")


def _expiry(value: Value) -> OrderLifetime:
    raw = value.raw
    hint = (
        f"Write {value.key} as a duration (90s, 30m, 4h, 2d), a time such as 2026-12-01T18:00:00Z (UTC unless it "
        "has an offset), or Unix epoch seconds."
    )
    if isinstance(raw, bool) or isinstance(raw, dict | list):
        raise AlertRejected(f"The alert's {value.key} is {show(raw)}, which is not a duration or a time. {hint}")
    if isinstance(raw, int | float):
        return _epoch(float(raw), value, hint)
    text = (text_of(value, 60) or "").strip()
    duration = _DURATION.fullmatch(text.lower())
    if duration is not None:
        amount, unit = float(duration.group(1)), duration.group(2)
        if unit not in _UNITS:
            raise AlertRejected(f"The alert's {value.key} is {show(text)}: {show(unit)} is not a unit of time. {hint}")
        seconds = math.floor(amount * _UNITS[unit])
        if seconds < 1 or seconds > MAX_DURATION_SECONDS:
            raise AlertRejected(
                f"The alert's {value.key} is {show(text)}, which is not a usable lifetime: send from 1 second to "
                f"366 days (such as 30m or 4h)."
            )
        return OrderLifetime(time_in_force=TimeInForce.SPECIFIED, duration_seconds=seconds)
    if NUMBER_RE.fullmatch(text):
        return _epoch(float(text), value, hint)
    try:
        if len(text) > 40 or not text.isascii():
            raise ValueError(text)
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise AlertRejected(
            f"The alert's {value.key} is {show(text)}, which is not a duration or a time. {hint}"
        ) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return _moment(moment.astimezone(UTC), value, hint)


def _epoch(number: float, value: Value, hint: str) -> OrderLifetime:
    if not math.isfinite(number) or number < 1e9:
        example = f"{number:g}" if math.isfinite(number) and number > 0 else "30"
        raise AlertRejected(
            f"The alert's {value.key} is {show(value.raw)}: a bare number could be minutes, hours or days, and is "
            f"too small to be a Unix time. Add the unit, such as {value.key}={example}m for {example} minutes. {hint}"
        )
    seconds = number / 1000 if number > _EPOCH_MS else number
    if seconds > _LATEST.timestamp():
        raise AlertRejected(f"The alert's {value.key} is {show(value.raw)}, which is not a usable time. {hint}")
    return _moment(datetime.fromtimestamp(seconds, tz=UTC), value, hint)


def _moment(moment: datetime, value: Value, hint: str) -> OrderLifetime:
    if not _EARLIEST <= moment < _LATEST:
        raise AlertRejected(
            f"The alert's {value.key} is {moment:%Y-%m-%d %H:%M} UTC, which cannot be when an order expires. {hint}"
        )
    return OrderLifetime(time_in_force=TimeInForce.SPECIFIED, expires_at=moment.replace(microsecond=0))
