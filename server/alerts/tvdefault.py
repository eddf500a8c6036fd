"""Opt-in dialect ``tradingview_default``: TradingView's default strategy order-fill message.

Left unchanged, a strategy alert's message reads ``RSI Strategy (14, 30, 70): order sell @ 1 filled on
EURUSD. New strategy position is -1``. It is refused by default (corpus line: "reject by default
('unrecognized format'); only parse in an opt-in mode"), because it is prose whose wording TradingView may
change. With the dialect enabled it becomes a SyncAction: the fill's side and contracts, and the new signed
position. ``@ 1`` is TradingView contracts (units), not lots.
"""

from __future__ import annotations

import re

from contract.intent import AlertFormat, Side, SyncAction, TradeIntent, VolumeUnit
from server.alerts.fields import FieldSpec, Slot
from server.alerts.params import Value, clean_symbol

_PATTERN = re.compile(
    r"order (buy|sell) @ ([0-9]{1,12}(?:\.[0-9]{1,12})?) filled on (\S{1,64}?)\.? "
    r"New strategy position is (-?[0-9]{1,12}(?:\.[0-9]{1,12})?)",
    re.IGNORECASE,
)


def looks_like_default_message(text: str) -> bool:
    """True for TradingView's default strategy message (used for a precise refusal when not enabled)."""
    return _PATTERN.search(text) is not None


def parse_default_message(text: str) -> TradeIntent | None:
    """The intent for a default strategy message, or None when the text is not one."""
    match = _PATTERN.search(text)
    if match is None:
        return None
    side, contracts, ticker, position = match.groups()
    size = float(position)
    action = SyncAction(
        target="long" if size > 0 else "short" if size < 0 else "flat",
        target_size=abs(size),
        order_side=Side(side.lower()),
        order_size=float(contracts),
        size_unit=VolumeUnit.UNITS,
    )
    symbol = clean_symbol(Value("symbol", FieldSpec(Slot.SYMBOL), ticker))
    return TradeIntent(format=AlertFormat.PLAIN_TEXT, symbol=symbol, actions=[action])
