"""Broker-neutral deals and orders (:mod:`agent.broker.models`) as the contract carries them to the server.

The contract's :class:`~contract.deals.Deal` keeps MT5's field names and integer codes (the ledger's vocabulary,
mt5-api Appendix A); a broker adapter speaks neutral words (``side``, ``reason``, ``operation``). These tables are
the one place that turns the words back into the contract's codes, so every broker's deals reach the ledger
alike. ``offset`` is the broker clock's offset from UTC in seconds (:meth:`Broker.server_offset`), stamped on each
deal so the server can place it in UTC.
"""

from __future__ import annotations

from agent.broker.models import (
    Deal,
    DealEntry,
    DealOperation,
    DealReason,
    HistoricalOrder,
    OrderType,
)
from contract import deals as cd
from contract.intent import Side

_ENTRIES = {
    DealEntry.IN: cd.DEAL_ENTRY_IN,
    DealEntry.OUT: cd.DEAL_ENTRY_OUT,
    DealEntry.INOUT: cd.DEAL_ENTRY_INOUT,
    DealEntry.OUT_BY: cd.DEAL_ENTRY_OUT_BY,
}
_REASONS = {
    DealReason.CLIENT: cd.DEAL_REASON_CLIENT,
    DealReason.MOBILE: cd.DEAL_REASON_MOBILE,
    DealReason.WEB: cd.DEAL_REASON_WEB,
    DealReason.EXPERT: cd.DEAL_REASON_EXPERT,
    DealReason.SL: cd.DEAL_REASON_SL,
    DealReason.TP: cd.DEAL_REASON_TP,
    DealReason.STOP_OUT: cd.DEAL_REASON_SO,
    DealReason.ROLLOVER: cd.DEAL_REASON_ROLLOVER,
    DealReason.VARIATION_MARGIN: cd.DEAL_REASON_VMARGIN,
    DealReason.SPLIT: cd.DEAL_REASON_SPLIT,
}
_OPERATIONS = {
    DealOperation.BALANCE: cd.DEAL_TYPE_BALANCE,
    DealOperation.CREDIT: cd.DEAL_TYPE_CREDIT,
    DealOperation.CHARGE: cd.DEAL_TYPE_CHARGE,
    DealOperation.CORRECTION: cd.DEAL_TYPE_CORRECTION,
    DealOperation.BONUS: cd.DEAL_TYPE_BONUS,
    DealOperation.COMMISSION: cd.DEAL_TYPE_COMMISSION,
    DealOperation.INTEREST: cd.DEAL_TYPE_INTEREST,
    DealOperation.BUY_CANCELED: cd.DEAL_TYPE_BUY_CANCELED,
    DealOperation.SELL_CANCELED: cd.DEAL_TYPE_SELL_CANCELED,
    DealOperation.DIVIDEND: cd.DEAL_DIVIDEND,
    DealOperation.TAX: cd.DEAL_TAX,
    DealOperation.OTHER: cd.DEAL_TYPE_CORRECTION,
}
_PENDING_TYPES = {
    OrderType.BUY_LIMIT: cd.ORDER_TYPE_BUY_LIMIT,
    OrderType.SELL_LIMIT: cd.ORDER_TYPE_SELL_LIMIT,
    OrderType.BUY_STOP: cd.ORDER_TYPE_BUY_STOP,
    OrderType.SELL_STOP: cd.ORDER_TYPE_SELL_STOP,
    OrderType.BUY_STOP_LIMIT: cd.ORDER_TYPE_BUY_STOP_LIMIT,
    OrderType.SELL_STOP_LIMIT: cd.ORDER_TYPE_SELL_STOP_LIMIT,
}
#: Reasons a reason code does not name: a program's (EXPERT) is the safe reading (it never counts as manual).
_OTHER_REASON = cd.DEAL_REASON_EXPERT


def _clip(text: str, limit: int) -> str:
    return text[:limit]


def contract_deal(deal: Deal, offset: int) -> cd.Deal:
    """``deal`` as the contract's :class:`~contract.deals.Deal`, stamped with the clock ``offset`` (seconds)."""
    if deal.side is not None:
        kind = cd.DEAL_TYPE_BUY if deal.side == Side.BUY else cd.DEAL_TYPE_SELL
    else:
        kind = _OPERATIONS.get(deal.operation or DealOperation.OTHER, cd.DEAL_TYPE_CORRECTION)
    return cd.Deal(
        ticket=deal.ticket,
        order=deal.order,
        time=deal.time or deal.server_msc // 1000,
        time_msc=deal.server_msc,
        type=kind,
        entry=_ENTRIES[deal.entry],
        magic=deal.magic,
        position_id=deal.position_id,
        reason=_REASONS.get(deal.reason, _OTHER_REASON),
        volume=deal.volume,
        price=deal.price,
        commission=deal.commission,
        swap=deal.swap,
        profit=deal.profit,
        fee=deal.fee,
        symbol=_clip(deal.symbol, 64),
        comment=_clip(deal.comment, 64),
        external_id=_clip(deal.external_id, 128),
        server_offset_seconds=offset,
    )


def expired_order(order: HistoricalOrder, offset: int) -> cd.ExpiredOrder | None:
    """A pending order that expired with volume unfilled, as the contract's
    :class:`~contract.deals.ExpiredOrder`; ``None`` for any other order."""
    if order.type is None or order.state != "expired" or order.volume_current <= 0 or not order.symbol:
        return None
    return cd.ExpiredOrder(
        ticket=order.ticket,
        time_setup_msc=order.time_setup_msc,
        time_done_msc=order.time_done_msc or order.time_setup_msc,
        type=_PENDING_TYPES[order.type],
        magic=order.magic,
        volume_initial=order.volume_initial,
        volume_current=order.volume_current,
        price_open=order.price_open,
        symbol=_clip(order.symbol, 64),
        comment=_clip(order.comment, 64),
        server_offset_seconds=offset,
    )
