"""Which command a JSON or key=value alert asks for: its action word, refined by sentiment and order type.

- The action word is looked up leniently (:func:`server.alerts.commands.any_command`): PineConnector
  commands in any case with ``_``/``-`` ignored, plus ``exit``, ``cancel``, ``close_long``, ``stop_loss`` ...
- TradersPost ``sentiment`` (docs.traderspost.io, core-concepts/webhooks): ``buy`` + ``flat`` closes shorts,
  ``sell`` + ``flat`` closes longs, ``add`` opens in the sentiment's direction. ``buy`` + ``short`` and
  ``sell`` + ``long`` (partial reductions) are refused: the alert does not say how much of the position
  is left, and guessing could flip it.
- ``orderType``/``type`` ``limit``/``stop`` turn a ``buy``/``sell`` into a pending order; other TradersPost
  order types (``stop_limit``, ``trailing_stop``) and ``quantityType`` other than ``fixed_quantity`` are
  refused naming the value, as is a ``stopLoss.type`` other than ``stop``.
"""

from __future__ import annotations

from server.alerts.commands import COMMANDS, Command, any_command, fold_command
from server.alerts.context import AlertRejected
from server.alerts.fields import Slot
from server.alerts.numbers import show
from server.alerts.params import ORDER_TYPES, Params, text_of

_SENTIMENTS = {"long": "long", "bullish": "long", "short": "short", "bearish": "short", "flat": "flat"}


def resolve_command(p: Params) -> Command | None:
    """The command the alert's action key names (refined by sentiment/order type); None without one."""
    _check_unsupported(p)
    value = p.get(Slot.ACTION)
    if value is None:
        return None
    word = text_of(value, 60) or ""
    sentiment = _sentiment(p)
    if fold_command(word) == "add":
        if sentiment not in ("long", "short"):
            raise AlertRejected(
                f"The alert's {value.key} is 'add', which needs sentiment long or short to know the direction. "
                "Add \"sentiment\": \"long\" or \"short\", or send buy/sell."
            )
        command = COMMANDS["buy" if sentiment == "long" else "sell"]
    else:
        found = any_command(word)
        if found is None:
            raise AlertRejected(
                f"The alert's {value.key} is {show(word)}, which is not an order tvbridge knows. Use buy, sell, "
                "closelong, closeshort, closeall, exit, cancel (or another command in docs/alerts.md); "
                "tvbridge never guesses a trade from free text."
            )
        command = _with_sentiment(found, sentiment, value.key)
    return _with_order_type(command, p)


def _sentiment(p: Params) -> str | None:
    value = p.get(Slot.SENTIMENT)
    if value is None:
        return None
    text = (text_of(value, 20) or "").lower()
    sentiment = _SENTIMENTS.get(text)
    if sentiment is None:
        raise AlertRejected(
            f"The alert's sentiment is {show(text)}; it must be long, short or flat. Fix the alert's sentiment."
        )
    return sentiment


def _with_sentiment(command: Command, sentiment: str | None, key: str) -> Command:
    if sentiment is None or command.name not in ("buy", "sell"):
        return command
    buy = command.name == "buy"
    if sentiment == "flat":
        return COMMANDS["closeshort" if buy else "closelong"]
    if (sentiment == "long") == buy:
        return command
    raise AlertRejected(
        f"The alert's {key} {command.name} with sentiment {sentiment} asks to reduce a {sentiment} position "
        "by part of it, which tvbridge cannot do safely without the position's size. Send the strategy shape "
        "(market_position and market_position_size), or closelong/closeshort."
    )


def _with_order_type(command: Command, p: Params) -> Command:
    value = p.get(Slot.ORDER_TYPE)
    if value is None:
        return command
    text = text_of(value, 30) or ""
    folded = fold_command(text)
    if folded not in ORDER_TYPES:
        raise AlertRejected(
            f"The alert's {value.key} is {show(text)}; tvbridge places market, limit and stop orders only. "
            "Use market, limit or stop."
        )
    kind = ORDER_TYPES[folded]
    if kind is None:
        if command.is_pending:
            raise AlertRejected(
                f"The alert's {value.key} is market but the action {command.name} is a pending order. "
                "Keep one of them."
            )
        return command
    if command.name not in ("buy", "sell"):
        if command.is_pending and command.name.endswith(kind):
            return command
        raise AlertRejected(
            f"The alert's {value.key} {show(text)} only applies to buy or sell, not to {command.name}. "
            "Send buy or sell with it."
        )
    return COMMANDS[command.name + kind]


def _check_unsupported(p: Params) -> None:
    quantity_type = p.get(Slot.QUANTITY_TYPE)
    if quantity_type is not None:
        text = text_of(quantity_type, 40) or ""
        if fold_command(text) != "fixedquantity":
            raise AlertRejected(
                f"The alert's {quantity_type.key} {show(text)} is not supported. Send quantity in "
                f"TradingView contracts "
                "(quantityType fixed_quantity), or the size as lots or risk (docs/alerts.md)."
            )
    stop_type = p.get(Slot.STOP_TYPE)
    if stop_type is not None:
        text = text_of(stop_type, 40) or ""
        if fold_command(text) != "stop":
            raise AlertRejected(
                f"The alert's {stop_type.key} {show(text)} is not supported: tvbridge places a plain "
                f"stop-loss. Use type "
                "stop with stopPrice or percent, or traildist= for a trailing stop."
            )
