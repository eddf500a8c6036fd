"""Pending orders, SL/TP changes, and what a new quote sets off.

Actions (mt5-api §2.1-2.2): TRADE_ACTION_PENDING places a limit/stop/stop-limit order, MODIFY changes its
price, SL/TP and lifetime, REMOVE deletes it, SLTP sets both SL and TP of a position (0 removes one).

:func:`on_quote` runs after every ``control.set_quote``: it expires pending orders whose lifetime is over,
turns triggered stop-limit orders into limit orders, fills triggered orders (limit at their price, stop at
market; deal reason EXPERT), then closes positions whose SL or TP is hit (deal reason SL/TP; TP fills at the
TP price, SL at the market price, which is the SL itself unless the quote gapped through it).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from agent.mt5sim import checks, ledger
from agent.mt5sim import constants as c
from agent.mt5sim.catalogue import SimSymbol
from agent.mt5sim.requests import Request
from agent.mt5sim.state import Book, Order, Position

if TYPE_CHECKING:
    from agent.mt5sim.runtime import Simulator

_EPS = 1e-9
_TRIGGERS = {
    c.ORDER_TYPE_BUY_LIMIT: lambda bid, ask, price: ask <= price,
    c.ORDER_TYPE_SELL_LIMIT: lambda bid, ask, price: bid >= price,
    c.ORDER_TYPE_BUY_STOP: lambda bid, ask, price: ask >= price,
    c.ORDER_TYPE_SELL_STOP: lambda bid, ask, price: bid <= price,
    c.ORDER_TYPE_BUY_STOP_LIMIT: lambda bid, ask, price: ask >= price,
    c.ORDER_TYPE_SELL_STOP_LIMIT: lambda bid, ask, price: bid <= price,
}


@dataclass(frozen=True)
class Outcome:
    """What the server did with a request: ``retcode`` plus the result fields it fills in."""

    retcode: int
    deal: int = 0
    order: int = 0
    volume: float = 0.0
    price: float = 0.0
    bid: float = 0.0
    ask: float = 0.0


def post_trade_check(sim: Simulator, book: Book, spec: SimSymbol, opens: int | None) -> int:
    """After trying a trade on ``book`` (a fork): 10034 when it pushes the symbol's open plus pending volume
    on the growing side past ``volume_limit``, 10019 when it raises margin beyond the equity."""
    if opens is not None and spec.volume_limit > 0:
        exposure = sum(p.volume for p in book.positions if p.symbol == spec.name and p.type == opens)
        exposure += sum(
            o.volume_current for o in book.orders if o.symbol == spec.name and checks.side_of(o.type) == opens
        )
        if exposure > spec.volume_limit + _EPS:
            return c.TRADE_RETCODE_LIMIT_VOLUME
    before, after = ledger.figures(sim, sim.book), ledger.figures(sim, book)
    if after.margin > before.margin + 0.005 and after.margin_free < 0:
        return c.TRADE_RETCODE_NO_MONEY
    return 0


def place(sim: Simulator, book: Book, request: Request) -> Outcome:
    """TRADE_ACTION_PENDING: validate and place a pending order (no margin is reserved until it fills)."""
    spec = sim.symbols.get(request.symbol)
    if spec is None:
        return Outcome(c.TRADE_RETCODE_INVALID)
    if request.type not in checks.PENDING_TYPES:
        return Outcome(c.TRADE_RETCODE_INVALID_ORDER)
    if not spec.select:
        return Outcome(c.TRADE_RETCODE_PRICE_OFF)
    bid, ask = sim.quote(spec.name)
    stop_limit = request.type in checks.STOP_LIMIT_TYPES
    retcode = (
        checks.trade_mode(spec, checks.side_of(request.type))
        or (0 if spec.market_open else c.TRADE_RETCODE_MARKET_CLOSED)
        or checks.volume(spec, request.volume)
        or checks.filling(spec, request.type_filling, request.type, pending=True)
        or checks.expiration(spec, request.type_time, request.expiration, sim.now())
        or checks.pending_price(spec, request.type, request.price, request.stoplimit, bid, ask)
        or checks.pending_stops(
            spec, request.type, request.stoplimit if stop_limit else request.price, request.sl, request.tp
        )
        or (c.TRADE_RETCODE_LIMIT_ORDERS if len(book.orders) >= book.account.limit_orders else 0)
    )
    if retcode:
        return Outcome(retcode)
    specified = request.type_time in (c.ORDER_TIME_SPECIFIED, c.ORDER_TIME_SPECIFIED_DAY)
    order = Order(
        ticket=book.new_order_ticket(), symbol=spec.name, type=request.type, volume_initial=request.volume,
        volume_current=request.volume, price_open=request.price, sl=request.sl, tp=request.tp,
        price_stoplimit=request.stoplimit if stop_limit else 0.0, type_time=request.type_time,
        type_filling=request.type_filling, time_expiration=request.expiration if specified else 0,
        magic=request.magic, comment=request.comment, time_setup_msc=sim.now_msc(),
        price_current=ask if checks.side_of(request.type) == c.ORDER_TYPE_BUY else bid,
    )
    book.orders.append(order)
    retcode = post_trade_check(sim, book, spec, checks.side_of(request.type))
    if retcode == c.TRADE_RETCODE_LIMIT_VOLUME:
        return Outcome(retcode)
    return Outcome(c.TRADE_RETCODE_DONE, order=order.ticket, volume=request.volume)


def modify(sim: Simulator, book: Book, request: Request) -> Outcome:
    """TRADE_ACTION_MODIFY: new price, stop-limit price, SL/TP and lifetime for pending order ``order``."""
    order = book.order(request.order)
    if order is None:
        return Outcome(c.TRADE_RETCODE_INVALID)
    spec = sim.symbols[order.symbol]
    bid, ask = sim.quote(spec.name)
    stop_limit = order.type in checks.STOP_LIMIT_TYPES
    stoplimit = request.stoplimit if stop_limit else 0.0
    retcode = (
        checks.trade_mode(spec, None)
        or (0 if spec.market_open else c.TRADE_RETCODE_MARKET_CLOSED)
        or (c.TRADE_RETCODE_FROZEN if checks.order_frozen(spec, order, bid, ask) else 0)
        or checks.pending_price(spec, order.type, request.price, stoplimit, bid, ask)
        or checks.pending_stops(spec, order.type, stoplimit if stop_limit else request.price, request.sl, request.tp)
        or checks.expiration(spec, request.type_time, request.expiration, sim.now())
    )
    if retcode:
        return Outcome(retcode)
    specified = request.type_time in (c.ORDER_TIME_SPECIFIED, c.ORDER_TIME_SPECIFIED_DAY)
    new = (request.price, stoplimit, request.sl, request.tp, request.type_time, request.expiration if specified else 0)
    old = (order.price_open, order.price_stoplimit, order.sl, order.tp, order.type_time, order.time_expiration)
    if new == old:
        return Outcome(c.TRADE_RETCODE_NO_CHANGES)
    (order.price_open, order.price_stoplimit, order.sl, order.tp, order.type_time, order.time_expiration) = new
    return Outcome(c.TRADE_RETCODE_DONE, order=order.ticket)


def remove(sim: Simulator, book: Book, request: Request) -> Outcome:
    """TRADE_ACTION_REMOVE: cancel pending order ``order`` (it moves to history as ORDER_STATE_CANCELED)."""
    order = book.order(request.order)
    if order is None:
        return Outcome(c.TRADE_RETCODE_INVALID)
    spec = sim.symbols[order.symbol]
    bid, ask = sim.quote(spec.name)
    if not spec.market_open:
        return Outcome(c.TRADE_RETCODE_MARKET_CLOSED)
    if checks.order_frozen(spec, order, bid, ask):
        return Outcome(c.TRADE_RETCODE_FROZEN)
    _retire(book, order, c.ORDER_STATE_CANCELED, sim.now_msc())
    return Outcome(c.TRADE_RETCODE_DONE, order=order.ticket)


def sltp(sim: Simulator, book: Book, request: Request) -> Outcome:
    """TRADE_ACTION_SLTP: set both SL and TP of a position (hedging: ``position`` required; 0 removes)."""
    if request.position:
        position = book.position(request.position)
        if position is None:
            closed = book.was_position(request.position)
            return Outcome(c.TRADE_RETCODE_POSITION_CLOSED if closed else c.TRADE_RETCODE_INVALID)
    elif book.account.hedging:
        return Outcome(c.TRADE_RETCODE_INVALID)
    else:
        position = next((p for p in book.positions if p.symbol == request.symbol), None)
        if position is None:
            return Outcome(c.TRADE_RETCODE_INVALID)
    if request.symbol and request.symbol != position.symbol:
        return Outcome(c.TRADE_RETCODE_INVALID)
    spec = sim.symbols[position.symbol]
    bid, ask = sim.quote(spec.name)
    retcode = (
        checks.trade_mode(spec, None)
        or (0 if spec.market_open else c.TRADE_RETCODE_MARKET_CLOSED)
        or (c.TRADE_RETCODE_NO_CHANGES if (request.sl, request.tp) == (position.sl, position.tp) else 0)
        or (c.TRADE_RETCODE_FROZEN if checks.position_frozen(spec, position, bid, ask) else 0)
        or checks.position_stops(spec, position.type, request.sl, request.tp, bid, ask)
    )
    if retcode:
        return Outcome(retcode)
    position.sl, position.tp, position.time_update_msc = request.sl, request.tp, sim.now_msc()
    return Outcome(c.TRADE_RETCODE_DONE)


def expire_orders(sim: Simulator) -> bool:
    """Move pending orders whose lifetime is over to history as ORDER_STATE_EXPIRED; True if any did.

    The server expires orders by its clock; the simulator sweeps before every trade request, order query
    and quote, which is indistinguishable through the API.
    """
    now = sim.now_msc()
    expired = False
    for placed in list(sim.book.orders):
        expires = checks.expiry_msc(placed.type_time, placed.time_expiration, placed.time_setup_msc)
        if expires is not None and now >= expires:
            _retire(sim.book, placed, c.ORDER_STATE_EXPIRED, now)
            expired = True
    if expired:
        sim.changed()
    return expired


def on_quote(sim: Simulator, symbol: str) -> None:
    """Expire, trigger and fill pending orders, then fire SL/TP, after ``symbol``'s quote changed.

    Works on ``sim.book`` in place (the caller persists it). A pending order whose fill would leave negative
    free margin is cancelled as ORDER_STATE_REJECTED, the server's "activation rejected" (retcode 10041).
    """
    expire_orders(sim)
    bid, ask = sim.quote(symbol)
    for ticket in [o.ticket for o in sim.book.orders if o.symbol == symbol]:
        order = sim.book.order(ticket)
        if order is None or not _TRIGGERS[order.type](bid, ask, order.price_open):
            continue
        if order.type in checks.STOP_LIMIT_TYPES:
            # The stop price was reached: the order becomes a limit order at its stop-limit price.
            limit = c.ORDER_TYPE_BUY_LIMIT if order.type == c.ORDER_TYPE_BUY_STOP_LIMIT else c.ORDER_TYPE_SELL_LIMIT
            order.type, order.price_open, order.price_stoplimit = limit, order.price_stoplimit, 0.0
            if not _TRIGGERS[limit](bid, ask, order.price_open):
                continue
        _fill_pending(sim, order.ticket, bid, ask)
    for position in [p for p in sim.book.positions if p.symbol == symbol]:
        _stop_out(sim, position, bid, ask)
    margin_call(sim)


#: Margin level (equity / margin, percent) below which the server closes positions (``margin_so_so``).
STOP_OUT_LEVEL = 30.0


def margin_call(sim: Simulator, *, force: bool = False) -> int:
    """The stop-out: while the margin level is below :data:`STOP_OUT_LEVEL` (``account_info().margin_so_so``),
    close the position with the largest floating loss at the market, deal reason DEAL_REASON_SO and a comment
    ``[so <level>%]`` as MT5 servers write it. ``force`` closes the worst position once whatever the level (a
    test's way to script a stop-out without a market crash). Returns how many positions were closed."""
    closed = 0
    while sim.book.positions:
        money = ledger.figures(sim, sim.book)
        if not force and (money.margin <= 0 or money.margin_level >= STOP_OUT_LEVEL):
            break
        worst = min(sim.book.positions, key=lambda p: (ledger.position_profit(sim, p), p.ticket))
        price = ledger.close_price(sim, worst)
        order = Order(
            ticket=sim.book.new_order_ticket(), symbol=worst.symbol, type=ledger.opposite(worst.type),
            volume_initial=worst.volume, volume_current=worst.volume, price_open=price, sl=0.0, tp=0.0,
            price_stoplimit=0.0, type_time=c.ORDER_TIME_GTC, type_filling=c.ORDER_FILLING_FOK, time_expiration=0,
            magic=worst.magic, comment=f"[so {money.margin_level:.2f}%]", time_setup_msc=sim.now_msc(),
            reason=c.ORDER_REASON_SO,
        )
        ledger.fill(sim, sim.book, order=order, side=order.type, volume=worst.volume, price=price, target=worst,
                    reason=c.DEAL_REASON_SO)
        closed += 1
        force = False
    return closed


def _fill_pending(sim: Simulator, ticket: int, bid: float, ask: float) -> None:
    trial = sim.book.fork()
    order = trial.order(ticket)
    if order is None:
        return
    side = checks.side_of(order.type)
    if order.type in checks.LIMIT_TYPES:
        price = order.price_open
    else:
        price = ask if side == c.ORDER_TYPE_BUY else bid
    trial.orders.remove(order)
    ledger.fill(sim, trial, order=order, side=side, volume=order.volume_current, price=price, target=None,
                reason=c.DEAL_REASON_EXPERT)
    if post_trade_check(sim, trial, sim.symbols[order.symbol], None) == c.TRADE_RETCODE_NO_MONEY:
        original = sim.book.order(ticket)
        if original is not None:
            _retire(sim.book, original, c.ORDER_STATE_REJECTED, sim.now_msc())
        return
    sim.book = trial


def _stop_out(sim: Simulator, position: Position, bid: float, ask: float) -> None:
    buy = position.type == c.POSITION_TYPE_BUY
    ref = bid if buy else ask
    sl_hit = bool(position.sl) and (ref <= position.sl if buy else ref >= position.sl)
    tp_hit = bool(position.tp) and (ref >= position.tp if buy else ref <= position.tp)
    if not (sl_hit or tp_hit):
        return
    spec = sim.symbols[position.symbol]
    reason, price, tag = (
        (c.DEAL_REASON_SL, ref, f"[sl {position.sl:.{spec.digits}f}]")
        if sl_hit
        else (c.DEAL_REASON_TP, position.tp, f"[tp {position.tp:.{spec.digits}f}]")
    )
    book = sim.book
    closing = Order(
        ticket=book.new_order_ticket(), symbol=position.symbol, type=ledger.opposite(position.type),
        volume_initial=position.volume, volume_current=position.volume, price_open=price, sl=position.sl,
        tp=position.tp, price_stoplimit=0.0, type_time=c.ORDER_TIME_GTC, type_filling=c.ORDER_FILLING_FOK,
        time_expiration=0, magic=position.magic, comment=tag, time_setup_msc=sim.now_msc(),
        reason=c.ORDER_REASON_SL if sl_hit else c.ORDER_REASON_TP,
    )
    ledger.fill(
        sim, book, order=closing, side=closing.type, volume=position.volume, price=price, target=position,
        reason=reason,
    )


def _retire(book: Book, order: Order, state: int, now_msc: int) -> None:
    book.orders.remove(order)
    order.state, order.time_done_msc = state, now_msc
    book.history_orders.append(order)
