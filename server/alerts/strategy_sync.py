"""TradingView strategy order-fill alerts as a :class:`contract.intent.SyncAction`: reach the strategy's position.

A JSON alert is a sync when it carries ``market_position`` (``{{strategy.market_position}}``) or
``position_size`` (``{{strategy.position_size}}``, signed). The fields (TradingView placeholder docs, support
article 43000531021; 3Commas ``strategy_info``, help.3commas.io 9374557):

- target: ``market_position`` long/short/flat, or the sign of ``position_size``; both must agree;
- target size: ``market_position_size``, or ``|position_size|``; flat must be 0 and long/short above 0;
- previous: ``prev_market_position``/``prev_market_position_size``;
- the fill: ``action``/``order.action`` (buy/sell) and ``contracts``/``quantity``/``order.contracts``
  (or 3Commas ``order.amount`` in base units). A reversal's contracts include the closed amount.

Sizes are TradingView contracts (``VolumeUnit.UNITS``); a lots key in a strategy alert is refused because
mixing units there would size the position wrongly. A fill whose side contradicts the move from the
previous to the new position (a sell that made the position longer) is refused as inconsistent. The corpus
strategy.exit line (``position_size 0``, prev long, sell) therefore closes the long and never opens a short.
"""

from __future__ import annotations

from typing import Literal

from contract.intent import Side, SyncAction, VolumeUnit
from server.alerts.commands import CloseStep, any_command
from server.alerts.context import AlertRejected, ParseContext
from server.alerts.fields import Slot
from server.alerts.numbers import parse_number, positive, show
from server.alerts.orders import Built, distance_of
from server.alerts.params import Params, Value, text_of

Position = Literal["long", "short", "flat"]
_POSITIONS: dict[str, Position] = {"long": "long", "short": "short", "flat": "flat"}


def is_sync(p: Params) -> bool:
    """True when the alert reports a strategy position (the TradingView strategy shape)."""
    return p.get(Slot.POSITION) is not None or p.get(Slot.SIGNED_POSITION_SIZE) is not None


def build_sync(p: Params, ctx: ParseContext) -> Built:
    """The SyncAction the strategy fields describe, and the alert's price."""
    target, target_size = _target(p)
    prev_value = p.get(Slot.PREV_POSITION)
    prev = _position(prev_value) if prev_value else None
    prev_size_value = p.get(Slot.PREV_POSITION_SIZE)
    prev_size = _size(prev_size_value) if prev_size_value else None
    order_side = _order_side(p)
    order_size = _order_size(p)
    if order_side is not None and prev is not None and prev_size is not None and target_size is not None:
        moved = _signed(target, target_size) - _signed(prev, prev_size)
        if moved > 0 and order_side == Side.SELL or moved < 0 and order_side == Side.BUY:
            raise AlertRejected(
                f"The alert is inconsistent: a {order_side.value} fill cannot take the position from {prev} "
                f"{prev_size:g} to {target} {target_size:g}. Send TradingView's own placeholders "
                "({{strategy.order.action}}, {{strategy.market_position}}, ...) unchanged."
            )
    sl_value, tp_value = p.get(Slot.SL), p.get(Slot.TP)
    price_value = p.get(Slot.ALERT_PRICE) or p.get(Slot.ENTRY)
    action = SyncAction(
        target=target,
        target_size=target_size,
        prev=prev,
        prev_size=prev_size,
        order_side=order_side,
        order_size=order_size,
        size_unit=VolumeUnit.UNITS,
        sl=distance_of(sl_value, p.mode, ctx) if sl_value else None,
        tp=distance_of(tp_value, p.mode, ctx) if tp_value else None,
    )
    alert_price = positive(price_value.raw, price_value.key, "a price") if price_value else None
    return Built([action], alert_price)


def _target(p: Params) -> tuple[Position, float | None]:
    position_value, size_value = p.get(Slot.POSITION), p.get(Slot.POSITION_SIZE)
    signed_value = p.get(Slot.SIGNED_POSITION_SIZE)
    signed = parse_number(signed_value.raw, signed_value.key) if signed_value else None
    from_sign: Position | None = None
    if signed is not None:
        from_sign = "long" if signed > 0 else "short" if signed < 0 else "flat"
    target = _position(position_value) if position_value else from_sign
    if target is None:  # pragma: no cover - is_sync guarantees one of the two
        raise AlertRejected("The alert has no market_position. Add {{strategy.market_position}}.")
    if from_sign is not None and from_sign != target:
        raise AlertRejected(
            f"The alert is inconsistent: market_position is {target} but position_size is {signed:g}. Send "
            "TradingView's placeholders unchanged."
        )
    size = _size(size_value) if size_value else abs(signed) if signed is not None else None
    if size is not None and (target == "flat") != (size == 0):
        raise AlertRejected(
            f"The alert is inconsistent: market_position is {target} with a size of {size:g}. Send "
            "{{strategy.market_position}} and {{strategy.market_position_size}} unchanged."
        )
    return target, size


def _position(value: Value) -> Position:
    text = (text_of(value, 20) or "").lower()
    position = _POSITIONS.get(text)
    if position is None:
        raise AlertRejected(f"The alert's {value.key} is {show(text)}; it must be long, short or flat. Use "
                            "{{strategy.market_position}}.")
    return position


def _size(value: Value) -> float:
    size = parse_number(value.raw, value.key)
    if size < 0:
        raise AlertRejected(f"The alert's {value.key} is {size:g}; a position size cannot be negative. Use "
                            "{{strategy.market_position_size}}, which is never negative.")
    return size


def _signed(position: Position, size: float) -> float:
    return size if position == "long" else -size if position == "short" else 0.0


def _order_side(p: Params) -> Side | None:
    value = p.get(Slot.ACTION)
    if value is None:
        return None
    word = text_of(value, 40) or ""
    command = any_command(word)
    if command is not None and command.name in ("buy", "sell"):
        return Side(command.name)
    if command is not None and all(isinstance(s, CloseStep) and s.portion is None for s in command.steps):
        return None
    raise AlertRejected(
        f"The alert's {value.key} is {show(word)}, but a strategy position alert needs the fill's side, "
        f"buy or sell. Use "
        "{{strategy.order.action}}."
    )


def _order_size(p: Params) -> float | None:
    value = p.get(Slot.VOLUME)
    if value is not None:
        if value.spec.unit != VolumeUnit.UNITS:
            raise AlertRejected(
                f"The alert's {value.key} is not in TradingView contracts, but a strategy position "
                f"alert sizes everything in "
                "contracts. Use \"contracts\": \"{{strategy.order.contracts}}\", or remove market_position to "
                "send a plain order in lots."
            )
        return positive(value.raw, value.key, "the order's contracts")
    amount = p.get(Slot.ORDER_AMOUNT)
    currency = p.get(Slot.CURRENCY_TYPE)
    if amount is None or currency is not None and (text_of(currency, 20) or "").lower() == "quote":
        return None
    return positive(amount.raw, amount.key, "the order's amount")
