"""``Buy``, ``Sell`` and ``Close``: the pure-Python helpers of the package's ``__init__.py`` (mt5-api §1.9).

They keep MetaQuotes' quirks on purpose, so code that leans on them behaves here as on Windows:

- the request has ``deviation`` 10 and **no** ``type_filling``, i.e. FOK, so they fail with 10030 on
  IOC-only symbols (XAUUSD in the catalogue);
- ``volume`` is passed through unchanged, so an ``int`` volume gives ``None`` / ``Invalid "volume" argument``;
- without a price they retry up to 10 times with a fresh tick, but only on 10004 (requote) and 10021 (no
  prices), returning the last result;
- ``Close`` sends an opposite deal per position with ``position=ticket`` and returns True (all closed),
  ``"Partially"``, False (nothing closed), or None when a tick or ``order_send`` call fails. It reads the tick of
  ``symbol`` even when closing a ``ticket`` on another symbol, as the original does.
"""

from __future__ import annotations

from typing import Any

from agent.mt5sim import constants as c
from agent.mt5sim.symbols import symbol_info_tick
from agent.mt5sim.trading import order_send, positions_get
from agent.mt5sim.types import OrderSendResult

_RETRY_CODES = (c.TRADE_RETCODE_REQUOTE, c.TRADE_RETCODE_PRICE_OFF)
_TRIES = 10


def _RawOrder(
    order_type: int, symbol: str, volume: Any, price: Any, comment: str | None = None, ticket: int | None = None
) -> OrderSendResult | None:
    """Send a market deal with ``deviation`` 10 and no ``type_filling`` (so FOK)."""
    order: dict[str, Any] = {
        "action": c.TRADE_ACTION_DEAL,
        "symbol": symbol,
        "volume": volume,
        "type": order_type,
        "price": price,
        "deviation": 10,
    }
    if comment is not None:
        order["comment"] = comment
    if ticket is not None:
        order["position"] = ticket
    return order_send(order)


def _market(order_type: int, symbol: str, volume: Any, price: Any, comment: str | None, ticket: int | None) -> Any:
    if price is not None:
        return _RawOrder(order_type, symbol, volume, price, comment, ticket)
    result = None
    for _ in range(_TRIES):
        tick = symbol_info_tick(symbol)
        if tick is None:
            return None
        quote = tick.ask if order_type == c.ORDER_TYPE_BUY else tick.bid
        result = _RawOrder(order_type, symbol, volume, quote, comment, ticket)
        if result is None or result.retcode not in _RETRY_CODES:
            break
    return result


def Buy(
    symbol: str, volume: Any, price: Any = None, *, comment: str | None = None, ticket: int | None = None
) -> OrderSendResult | None:
    """Market buy of ``volume`` lots (a float); at ``price``, or at the ask with up to 10 tries."""
    result: OrderSendResult | None = _market(c.ORDER_TYPE_BUY, symbol, volume, price, comment, ticket)
    return result


def Sell(
    symbol: str, volume: Any, price: Any = None, *, comment: str | None = None, ticket: int | None = None
) -> OrderSendResult | None:
    """Market sell of ``volume`` lots (a float); at ``price``, or at the bid with up to 10 tries."""
    result: OrderSendResult | None = _market(c.ORDER_TYPE_SELL, symbol, volume, price, comment, ticket)
    return result


def Close(
    symbol: str, *, comment: str | None = None, ticket: int | None = None
) -> bool | str | None:
    """Close the position ``ticket``, or every position on ``symbol``, with opposite deals."""
    positions = positions_get(ticket=ticket) if ticket is not None else positions_get(symbol=symbol)
    if positions is None:
        return None
    tried = done = 0
    for position in positions:
        if position.type not in (c.POSITION_TYPE_BUY, c.POSITION_TYPE_SELL):
            continue
        tried += 1
        for _ in range(_TRIES):
            tick = symbol_info_tick(symbol)
            if tick is None:
                return None
            if position.type == c.POSITION_TYPE_BUY:
                result = _RawOrder(c.ORDER_TYPE_SELL, symbol, position.volume, tick.bid, comment, position.ticket)
            else:
                result = _RawOrder(c.ORDER_TYPE_BUY, symbol, position.volume, tick.ask, comment, position.ticket)
            if result is None:
                return None
            if result.retcode not in _RETRY_CODES:
                done += result.retcode == c.TRADE_RETCODE_DONE
                break
    if done:
        return True if done == tried else "Partially"
    return False
