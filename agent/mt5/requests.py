"""Broker-neutral requests -> ``order_send`` request dicts.

The dicts use the MetaTrader5 module's keys with the exact Python types its C parser accepts (mt5-api §1.7):
``float`` for volume/price/sl/tp, never ``int``; ``int`` for action/type/magic/order/position/deviation/
type_time; ``str`` of at most 29 characters for symbol/comment. Every missing key is 0 to the parser, so each
recipe (mt5-api §2.2) sets exactly the keys its action needs:

- a market order: TRADE_ACTION_DEAL with ``sl``/``tp`` (the position's levels) and ``deviation``;
- a close: an opposite TRADE_ACTION_DEAL with ``position=ticket`` (mandatory on hedging, where a deal
  without it opens a new position; mt5-api §5.5) and no ``sl``/``tp``;
- a pending order: TRADE_ACTION_PENDING with its lifetime: ``type_time`` (ORDER_TIME_GTC/DAY/SPECIFIED/
  SPECIFIED_DAY) and, for the specified ones, ``expiration`` in trade-server epoch seconds (mt5-api §2.3);
- SL/TP of a position: TRADE_ACTION_SLTP with BOTH levels, since a 0 removes one;
- SL/TP of a pending order: TRADE_ACTION_MODIFY with the order's price and its own lifetime (a modification
  sets ``type_time``/``expiration`` too: sending GTC would make an expiring order live forever);
- a deletion: TRADE_ACTION_REMOVE.

``type_filling`` is added by the adapter, which picks it from the symbol (:mod:`agent.mt5.filling`).
"""

from __future__ import annotations

from typing import Any

from agent.broker.models import (
    CancelOrder,
    ClosePosition,
    MarketOrder,
    ModifyOrder,
    ModifyPosition,
    OrderRequest,
    OrderTime,
    PendingOrder,
)
from agent.mt5 import constants as c
from agent.mt5.convert import MT5_PENDING_TYPES, ORDER_TIMES
from contract.intent import PositionSide, Side


def _tags(request: OrderRequest) -> dict[str, Any]:
    return {"magic": int(request.magic), "comment": str(request.comment)}


def _lifetime(request: PendingOrder | ModifyOrder) -> dict[str, Any]:
    """``type_time`` and, for SPECIFIED/SPECIFIED_DAY, ``expiration`` (int epoch seconds, server time)."""
    lifetime: dict[str, Any] = {"type_time": int(ORDER_TIMES[request.type_time])}
    if request.type_time in (OrderTime.SPECIFIED, OrderTime.SPECIFIED_DAY):
        lifetime["expiration"] = int(request.expiration)
    return lifetime


def build(request: OrderRequest) -> dict[str, Any]:
    """The ``order_send`` dict for ``request`` (without ``type_filling``)."""
    if isinstance(request, MarketOrder):
        buy = request.side == Side.BUY
        return {
            "action": c.TRADE_ACTION_DEAL,
            "symbol": request.symbol,
            "volume": float(request.volume),
            "type": c.ORDER_TYPE_BUY if buy else c.ORDER_TYPE_SELL,
            "price": float(request.price),
            "sl": float(request.sl),
            "tp": float(request.tp),
            "deviation": int(request.deviation_points),
            **_tags(request),
        }
    if isinstance(request, ClosePosition):
        long = request.position_side == PositionSide.LONG
        req: dict[str, Any] = {
            "action": c.TRADE_ACTION_DEAL,
            "symbol": request.symbol,
            "volume": float(request.volume),
            "type": c.ORDER_TYPE_SELL if long else c.ORDER_TYPE_BUY,
            "price": float(request.price),
        }
        if request.position:
            req["position"] = int(request.position)
        return {**req, "deviation": int(request.deviation_points), **_tags(request)}
    if isinstance(request, PendingOrder):
        return {
            "action": c.TRADE_ACTION_PENDING,
            "symbol": request.symbol,
            "volume": float(request.volume),
            "type": MT5_PENDING_TYPES[request.type],
            "price": float(request.price),
            "sl": float(request.sl),
            "tp": float(request.tp),
            **_lifetime(request),
            **_tags(request),
        }
    if isinstance(request, ModifyPosition):
        return {
            "action": c.TRADE_ACTION_SLTP,
            "symbol": request.symbol,
            "position": int(request.position),
            "sl": float(request.sl),
            "tp": float(request.tp),
            **_tags(request),
        }
    if isinstance(request, ModifyOrder):
        return {
            "action": c.TRADE_ACTION_MODIFY,
            "order": int(request.order),
            "symbol": request.symbol,
            "price": float(request.price),
            "sl": float(request.sl),
            "tp": float(request.tp),
            **_lifetime(request),
            **_tags(request),
        }
    assert isinstance(request, CancelOrder)
    return {"action": c.TRADE_ACTION_REMOVE, "order": int(request.order), **_tags(request)}


def is_trade(request: dict[str, Any]) -> bool:
    """True for requests that execute or place volume (a deal or a pending order): they need ``type_filling``."""
    return request.get("action") in (c.TRADE_ACTION_DEAL, c.TRADE_ACTION_PENDING)


def is_pending(request: dict[str, Any]) -> bool:
    """True for TRADE_ACTION_PENDING."""
    return request.get("action") == c.TRADE_ACTION_PENDING


def market_price_key(request: dict[str, Any]) -> str | None:
    """``"ask"`` for a buy deal, ``"bid"`` for a sell deal (mt5-api §4.2), ``None`` for anything else."""
    if request.get("action") != c.TRADE_ACTION_DEAL:
        return None
    return "ask" if request.get("type") == c.ORDER_TYPE_BUY else "bid"
