"""Collecting an alert's keys: one value per slot, refusing conflicts, keeping the rest for the log.

Every format parser records its keys in a :class:`Params`. A slot (:class:`server.alerts.fields.Slot`) takes
one key: a second key for a volume, SL, TP or entry is refused even with the same value (``sl=10,sl_pips=10``:
ExecRelay ``ErrDuplicateSL``, corpus); a second key for another slot is accepted when it agrees
(``symbol`` and ``ticker`` both ``EURUSD``, ``buy`` and ``long``) and refused when it does not. Informational
slots (alert price, comment, timeframe, bar time) keep the first key and log the others. Unknown keys are kept
in ``extras`` unless they look like an order setting (``tp1``, ``stop``), which is refused so a typo never
drops a stop-loss silently. Key names are made printable and short before they appear in any message.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from server.alerts.commands import any_command, fold_command
from server.alerts.context import AlertRejected
from server.alerts.fields import KEYS, TP_LEVEL_SLOTS, TP_SHARE_SLOTS, FieldSpec, Slot, looks_like_order_setting
from server.alerts.numbers import NUMBER_RE, label, show

Mode = Literal["text", "json"]

_LEVEL_SLOTS = (Slot.VOLUME, Slot.SL, Slot.TP, Slot.ENTRY, *TP_LEVEL_SLOTS, *TP_SHARE_SLOTS)
_FIRST_WINS = (Slot.ALERT_PRICE, Slot.COMMENT, Slot.ORDER_COMMENT, Slot.TIMEFRAME, Slot.BAR_TIME)
_MAX_TEXT = 200
_MAX_EXTRAS = 64
_QUOTES = "\"'“”‘’"
#: Order types for ``type``/``orderType`` (TradersPost ``orderType``; MQL5 ORDER_TYPE_*_LIMIT/_STOP).
ORDER_TYPES = {"market": None, "limit": "limit", "stop": "stop"}


@dataclass(slots=True)
class Value:
    """One key as the alert wrote it (``key`` is used in messages) with its meaning and raw value."""

    key: str
    spec: FieldSpec
    raw: object


class Params:
    """The keys of one alert, one per slot, plus the extras it carried (kept for the log)."""

    def __init__(self, mode: Mode) -> None:
        self.mode: Mode = mode
        self.values: dict[Slot, Value] = {}
        self.extras: dict[str, str] = {}
        #: Further symbols that differ from the first (TV-Forward: ``ticker`` and the exchange's ``symbol``);
        #: :func:`server.alerts.orders.require_symbol` picks the one the strategy maps, or refuses.
        self.other_symbols: list[Value] = []

    def add(self, key: str, spec: FieldSpec, raw: object) -> None:
        """Record ``key``; refuse a second key for a level slot, or a conflicting one for any other slot."""
        key = label(key)
        prev = self.values.get(spec.slot)
        if prev is None:
            self.values[spec.slot] = Value(key, spec, raw)
            return
        if spec.slot in _FIRST_WINS:
            self.extra(key, raw)
            return
        if spec.slot in _LEVEL_SLOTS:
            raise AlertRejected(
                f"The alert has more than one {spec.slot.value} parameter ({prev.key} and {key}). "
                f"Keep only one {spec.slot.value} parameter."
            )
        if _same(prev.raw, raw):
            return
        if spec.slot is Slot.SYMBOL:
            self.other_symbols.append(Value(key, spec, raw))
            return
        raise AlertRejected(
            f"The alert gives the {spec.slot.value} twice with different values ({prev.key}={show(prev.raw)} "
            f"and {key}={show(raw)}). Keep only one of them."
        )

    def take(self, written: str, name: str, raw: object) -> None:
        """Record a JSON or key=value key (``name`` compacted): a known key sets its slot; ``type`` is an
        order type (market/limit/stop) or else an action (StratoQuant); an unknown key is kept in extras,
        unless it looks like a stop, target or size setting, which is refused rather than ignored."""
        spec = KEYS.get(name)
        if name == "type":
            is_kind = isinstance(raw, str) and fold_command(raw) in ORDER_TYPES
            spec = FieldSpec(Slot.ORDER_TYPE if is_kind else Slot.ACTION)
        if spec is not None:
            self.add(written, spec, raw)
            if spec.slot is Slot.ALERT_PRICE:
                self.extra(written, raw)  # close_price & co. stay visible in the log
        elif looks_like_order_setting(name):
            raise AlertRejected(
                f"The alert has a key {show(written)} that tvbridge does not know, and it looks like a stop-loss, "
                "take-profit, volume or trailing setting, so the alert was refused rather than traded without it. "
                "Use a documented key (sl, tp, sl_pips, tp_price, lots, qty, risk, traildist; see docs/alerts.md)."
            )
        else:
            self.extra(written, raw)

    def get(self, slot: Slot) -> Value | None:
        """The value recorded for ``slot``, if any."""
        return self.values.get(slot)

    def extra(self, key: str, raw: object) -> None:
        """Keep a key the bridge does not act on (``close_price``, ``exit_reason``...) for the log."""
        if len(self.extras) < _MAX_EXTRAS and raw is not None:
            text = raw if isinstance(raw, str) else _plain(raw)
            self.extras[key[:_MAX_TEXT]] = text[:_MAX_TEXT]


def _plain(raw: object) -> str:
    if isinstance(raw, bool):
        return "true" if raw else "false"
    if isinstance(raw, float) and raw.is_integer() and abs(raw) < 1e15:
        return str(int(raw))
    return str(raw)


def _same(a: object, b: object) -> bool:
    """Two values for one slot agree: equal text (any case), or two words for one command (buy/long)."""
    if isinstance(a, str) and isinstance(b, str):
        ca, cb = any_command(a), any_command(b)
        if ca is not None and cb is not None:
            return ca.steps == cb.steps
    return _plain(a).strip().lower() == _plain(b).strip().lower()


def text_of(value: Value, limit: int = _MAX_TEXT) -> str | None:
    """A text value (numbers written plainly); None when empty. Objects and over-long values are refused."""
    raw = value.raw
    if isinstance(raw, dict | list) or raw is None:
        if raw is None:
            return None
        raise AlertRejected(f"The alert's {value.key} must be text, not a list or an object. Write a plain value.")
    text = _plain(raw).strip()
    if len(text) > limit:
        raise AlertRejected(f"The alert's {value.key} is longer than {limit} characters. Shorten it.")
    return text or None


def strip_quotes(text: str) -> str:
    """``"strategy 1"`` -> ``strategy 1`` (old PineConnector examples quote comments, §1.4)."""
    if len(text) >= 2 and text[0] in _QUOTES and text[-1] in _QUOTES:
        return text[1:-1].strip()
    return text


def clean_symbol(value: Value) -> str:
    """The symbol as written, trimmed; refused if it cannot be a symbol (mapping happens on the agent)."""
    text = text_of(value, 64)
    if text is not None and "." in text and NUMBER_RE.fullmatch(text):
        raise AlertRejected(
            f"The alert's {value.key} is {show(text)}, a number, not a symbol. Put the symbol there, such as "
            "EURUSD; numbers go in key=value parameters (risk=0.1)."
        )
    if text is None:
        raise AlertRejected(
            f"The alert's {value.key} is empty. Put the symbol there, such as EURUSD or {{{{ticker}}}}."
        )
    bad = next((ch for ch in text if ch.isspace() or not ch.isprintable() or ch in "=,;\"'{}<>"), None)
    if bad is not None:
        raise AlertRejected(
            f"The alert's {value.key} is {show(text)}, which is not a symbol name (it contains {show(bad)}). "
            "Write the symbol alone, such as EURUSD or OANDA:EURUSD."
        )
    return text
