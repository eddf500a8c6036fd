"""Deals against positions: netting and hedging bookkeeping, close-by, and the account's money figures.

Rules (mt5-api §5.5 and the MT5 help on SL/TP inheritance):

- Netting (one position per symbol): a deal in the position's direction adds to it at the volume-weighted
  price and its SL/TP *replace* the position's (0 wipes them); an opposite deal reduces (SL/TP kept), closes,
  or reverses it. A reversal is one ``DEAL_ENTRY_INOUT`` deal of the full order volume; the position keeps its
  ``identifier`` and takes the reversing order's ticket.
- Hedging: a deal with a target position closes (part of) it with ``DEAL_ENTRY_OUT``; without one it always
  opens a new position, even if it is opposite to an existing one.
- Realised profit (plus commission) moves the balance on every closing deal.

Functions take the :class:`~agent.mt5sim.state.Book` to change separately from the simulator, so the engine can
run a deal on a copy of the book to project margin for ``order_check`` and the 10019 check.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from agent.mt5sim import constants as c
from agent.mt5sim.catalogue import SimSymbol
from agent.mt5sim.state import Book, Deal, Order, Position

if TYPE_CHECKING:
    from agent.mt5sim.runtime import Simulator

_VOLUME_EPS = 1e-9


@dataclass(frozen=True)
class Figures:
    """Account money in account currency; ``margin_level`` in percent (0 without margin)."""

    balance: float
    credit: float
    profit: float
    equity: float
    margin: float
    margin_free: float
    margin_level: float


def opposite(side: int) -> int:
    """The other direction: BUY (0) <-> SELL (1)."""
    return c.ORDER_TYPE_SELL if side == c.ORDER_TYPE_BUY else c.ORDER_TYPE_BUY


def close_price(sim: Simulator, position: Position) -> float:
    """The price a position closes at now: bid for a buy, ask for a sell (mt5-api §4.2)."""
    bid, ask = sim.quote(position.symbol)
    return bid if position.type == c.POSITION_TYPE_BUY else ask


def position_profit(sim: Simulator, position: Position) -> float:
    """Floating profit of ``position`` in account currency at the current quote."""
    spec = sim.symbols[position.symbol]
    market = sim.market()
    return market.profit(spec, position.type, position.volume, position.price_open, close_price(sim, position))


def figures(sim: Simulator, book: Book) -> Figures:
    """Balance, floating profit, equity and margin of ``book`` at current quotes.

    Margin is the sum of each position's margin at its open price; hedged pairs are not discounted
    (``SymbolInfo.margin_hedged`` is reported as the full contract size, which matches that).
    """
    account = book.account
    market = sim.market()
    profit = round(sum(position_profit(sim, p) for p in book.positions), 2)
    margin = round(
        sum(market.margin(sim.symbols[p.symbol], p.volume, p.price_open, account.leverage) for p in book.positions),
        2,
    )
    equity = round(account.balance + account.credit + profit, 2)
    level = round(equity / margin * 100.0, 2) if margin > 0 else 0.0
    return Figures(account.balance, account.credit, profit, equity, margin, round(equity - margin, 2), level)


def fill(
    sim: Simulator,
    book: Book,
    *,
    order: Order,
    side: int,
    volume: float,
    price: float,
    target: Position | None,
    reason: int,
) -> Deal:
    """Execute ``order`` as one deal of ``volume`` lots at ``price`` and record order and deal in history.

    ``side`` is ORDER_TYPE_BUY/SELL. ``target`` is the position named by the request (``position`` field);
    on netting accounts the symbol's position is used when it is ``None``. The order's ``sl``/``tp`` are those
    the request carried. Returns the deal.
    """
    spec = sim.symbols[order.symbol]
    if target is None and not book.account.hedging:
        target = next((p for p in book.positions if p.symbol == order.symbol), None)
    now = sim.now_msc()
    if target is None:
        deal = _deal(sim, book, spec, order, side, volume, price, c.DEAL_ENTRY_IN, order.ticket, 0.0, reason)
        book.positions.append(_new_position(order, order.ticket, side, volume, price, now, reason))
    elif target.type == side:
        deal = _deal(sim, book, spec, order, side, volume, price, c.DEAL_ENTRY_IN, target.identifier, 0.0, reason)
        total = target.volume + volume
        target.price_open = round((target.price_open * target.volume + price * volume) / total, spec.digits + 3)
        target.volume = round(total, 8)
        # Netting inheritance: the new order's SL/TP replace the position's, and 0 removes them.
        target.sl, target.tp, target.time_update_msc = order.sl, order.tp, now
    else:
        closed = min(volume, target.volume)
        profit = sim.market().profit(spec, target.type, closed, target.price_open, price)
        reverses = volume > target.volume + _VOLUME_EPS
        entry = c.DEAL_ENTRY_INOUT if reverses else c.DEAL_ENTRY_OUT
        deal = _deal(sim, book, spec, order, side, volume, price, entry, target.identifier, profit, reason)
        remaining = round(target.volume - volume, 8)
        if reverses:
            index = book.positions.index(target)
            book.positions[index] = _new_position(order, target.identifier, side, -remaining, price, now, reason)
        elif remaining > _VOLUME_EPS:
            target.volume, target.time_update_msc = remaining, now
        else:
            book.positions.remove(target)
    order.position_id = deal.position_id
    _archive(order, c.ORDER_STATE_FILLED, price, now)
    book.history_orders.append(order)
    return deal


def close_by(sim: Simulator, book: Book, order: Order, first: Position, second: Position) -> Deal:
    """Close ``first`` by the opposite ``second`` (hedging): two ``DEAL_ENTRY_OUT_BY`` deals at ``second``'s
    open price. The whole profit sits on the first deal; the larger position keeps the remaining volume and
    its own open price (MT5 help, "Close By")."""
    spec = sim.symbols[first.symbol]
    volume = min(first.volume, second.volume)
    price = second.price_open
    profit = sim.market().profit(spec, first.type, volume, first.price_open, price)
    deal = _deal(
        sim, book, spec, order, opposite(first.type), volume, price, c.DEAL_ENTRY_OUT_BY, first.identifier,
        profit, c.DEAL_REASON_EXPERT,
    )
    _deal(
        sim, book, spec, order, opposite(second.type), volume, price, c.DEAL_ENTRY_OUT_BY, second.identifier,
        0.0, c.DEAL_REASON_EXPERT,
    )
    now = sim.now_msc()
    for position in (first, second):
        position.volume = round(position.volume - volume, 8)
        position.time_update_msc = now
        if position.volume <= _VOLUME_EPS:
            book.positions.remove(position)
    order.volume_initial = volume
    order.position_id, order.position_by_id = first.identifier, second.identifier
    _archive(order, c.ORDER_STATE_FILLED, price, now)
    book.history_orders.append(order)
    return deal


def balance_deal(book: Book, amount: float, comment: str, now_msc: int) -> Deal:
    """Record a DEAL_TYPE_BALANCE deal (deposit or withdrawal) and move the balance by ``amount``."""
    deal = Deal(
        ticket=book.new_deal_ticket(), order=0, time_msc=now_msc, type=c.DEAL_TYPE_BALANCE,
        entry=c.DEAL_ENTRY_IN, magic=0, position_id=0, reason=c.DEAL_REASON_CLIENT, volume=0.0, price=0.0,
        profit=round(amount, 2), symbol="", comment=comment,
    )
    book.deals.append(deal)
    book.account.balance = round(book.account.balance + amount, 2)
    return deal


def _deal(
    sim: Simulator, book: Book, spec: SimSymbol, order: Order, side: int, volume: float, price: float,
    entry: int, position_id: int, profit: float, reason: int,
) -> Deal:
    commission = 0.0 - round(spec.commission_per_lot * volume, 2)  # 0.0 - x: never a -0.0 commission
    deal = Deal(
        ticket=book.new_deal_ticket(), order=order.ticket, time_msc=sim.now_msc(), type=side, entry=entry,
        magic=order.magic, position_id=position_id, reason=reason, volume=volume, price=price, profit=profit,
        symbol=order.symbol, comment=order.comment, commission=commission,
    )
    book.deals.append(deal)
    book.account.balance = round(book.account.balance + profit + commission, 2)
    return deal


#: POSITION_REASON_* of a position opened by a deal of each DEAL_REASON_* (the rest: EXPERT).
_POSITION_REASONS = {
    c.DEAL_REASON_CLIENT: c.POSITION_REASON_CLIENT,
    c.DEAL_REASON_MOBILE: c.POSITION_REASON_MOBILE,
    c.DEAL_REASON_WEB: c.POSITION_REASON_WEB,
}


def _new_position(
    order: Order, identifier: int, side: int, volume: float, price: float, now: int, reason: int
) -> Position:
    return Position(
        ticket=order.ticket, identifier=identifier, symbol=order.symbol, type=side, volume=round(volume, 8),
        price_open=price, sl=order.sl, tp=order.tp, magic=order.magic, comment=order.comment, time_msc=now,
        time_update_msc=now, reason=_POSITION_REASONS.get(reason, c.POSITION_REASON_EXPERT),
    )


def _archive(order: Order, state: int, price: float, now: int) -> None:
    order.state, order.volume_current, order.price_current, order.time_done_msc = state, 0.0, price, now
