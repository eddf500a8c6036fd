"""What the agent reports about orders: broker-neutral requests, receipts and found deals/orders as the contract's
:class:`~contract.jobs.SentOrder`, and account state as :class:`~contract.account.PositionState`.

``SentOrder.type`` names are part of the contract that the dashboard and the tests read: ``buy``/``sell`` for a
market deal, ``close buy``/``close sell`` for a deal that closes a short/long, ``buy_limit`` ... for pending
orders, ``sltp`` (SL/TP of a position), ``modify`` (a pending order) and ``remove`` (a deletion).
"""

from __future__ import annotations

from typing import Any

from agent.broker.models import (
    CancelOrder,
    ClosePosition,
    Deal,
    MarketOrder,
    ModifyOrder,
    ModifyPosition,
    OrderReceipt,
    OrderRequest,
    OrderView,
    PendingOrder,
    PositionView,
)
from contract import PlannedOrder, PositionState, SentOrder
from contract.intent import PositionSide, Side
from contract.netting import OwnerShare


def order_type_name(request: OrderRequest) -> str:
    """A readable name for a request: ``buy``, ``sell``, ``close buy`` (a deal closing a short), ``buy_limit``."""
    if isinstance(request, MarketOrder):
        return request.side.value
    if isinstance(request, ClosePosition):
        return "close sell" if request.position_side == PositionSide.LONG else "close buy"
    if isinstance(request, PendingOrder):
        return request.type.value
    if isinstance(request, ModifyPosition):
        return "sltp"
    if isinstance(request, ModifyOrder):
        return "modify"
    assert isinstance(request, CancelOrder)
    return "remove"


def sent_order(description: str, request: OrderRequest, receipt: OrderReceipt) -> SentOrder:
    """One request the agent sent and what the broker answered."""
    volume = getattr(request, "volume", 0.0)
    price = getattr(request, "price", 0.0)
    position = request.position if isinstance(request, ClosePosition | ModifyPosition) else 0
    return SentOrder(
        description=description,
        symbol=request.symbol,
        type=order_type_name(request),
        volume=receipt.volume or volume,
        requested_volume=float(volume),
        partial=receipt.partial,
        price=receipt.price or price,
        sl=getattr(request, "sl", 0.0),
        tp=getattr(request, "tp", 0.0),
        order_ticket=receipt.order,
        deal_ticket=receipt.deal,
        position_ticket=position,
        retcode=receipt.code,
        retcode_name=receipt.code_name,
        message=receipt.sentence,
        comment=receipt.message,
        **_lifetime(request),
    )


def planned_order(description: str, request: OrderRequest) -> PlannedOrder:
    """One request the planner would send, for a dry run (nothing sent)."""
    position = request.position if isinstance(request, ClosePosition | ModifyPosition) else 0
    return PlannedOrder(
        description=description,
        symbol=request.symbol,
        type=order_type_name(request),
        volume=getattr(request, "volume", 0.0),
        price=getattr(request, "price", 0.0) or 0.0,
        sl=getattr(request, "sl", 0.0) or 0.0,
        tp=getattr(request, "tp", 0.0) or 0.0,
        position_ticket=position,
    )
def _lifetime(request: OrderRequest) -> dict[str, Any]:
    """``type_time``/``expiration`` of a pending order or its modification (nothing for other requests)."""
    if isinstance(request, PendingOrder | ModifyOrder):
        return {"type_time": str(request.type_time), "expiration": int(request.expiration)}
    return {}


def found_deal(deal: Deal, description: str) -> SentOrder:
    """A deal found by its comment, in the shape of an order the agent sent (its answer code unknown)."""
    return SentOrder(
        description=description,
        symbol=deal.symbol,
        type="buy" if deal.side == Side.BUY else "sell",
        volume=deal.volume,
        price=deal.price,
        order_ticket=deal.order,
        deal_ticket=deal.ticket,
        position_ticket=deal.position_id,
        comment=deal.comment,
    )


def found_order(order: OrderView, description: str) -> SentOrder:
    """A pending order found by its comment, in the shape of an order the agent sent."""
    return SentOrder(
        description=description,
        symbol=order.symbol,
        type=order.type.value,
        volume=order.volume,
        price=order.price_open,
        sl=order.sl,
        tp=order.tp,
        order_ticket=order.ticket,
        comment=order.comment,
    )


def position_states(positions: tuple[PositionView, ...]) -> list[PositionState]:
    """Positions as the contract carries them (``type`` is ``buy``/``sell`` like MT5's POSITION_TYPE)."""
    return [
        PositionState(
            ticket=p.ticket,
            symbol=p.symbol,
            type="buy" if p.side == "long" else "sell",
            volume=p.volume,
            price_open=p.price_open,
            sl=p.sl,
            tp=p.tp,
            magic=p.magic,
            profit=p.profit,
            comment=p.comment,
            identifier=p.identifier,
        )
        for p in positions
    ]


def share_states(position: PositionView, shares: list[tuple[int, OwnerShare]]) -> list[PositionState]:
    """One row per owner's share of a netting position (``position_volume`` = the whole position's lots); the
    position itself when it has one owner. A share's floating P&L is its part of the position's, pro rata by lots."""
    if len(shares) == 1 and shares[0][0] == position.magic:
        return position_states((position,))
    rows = []
    for magic, share in shares:
        lots = abs(share.volume)
        rows.append(
            PositionState(
                ticket=position.ticket,
                symbol=position.symbol,
                type="buy" if position.side == "long" else "sell",
                volume=round(lots, 8),
                price_open=share.price or position.price_open,
                sl=position.sl,
                tp=position.tp,
                magic=magic,
                profit=round(position.profit * lots / position.volume, 2) if position.volume else 0.0,
                comment=position.comment if magic == position.magic else "",
                identifier=position.identifier,
                position_volume=position.volume,
            )
        )
    return rows
