"""``order_check`` and ``order_send``: terminal gates, scripted faults, dispatch by action, results.

Every request is tried on a fork of the book (:meth:`Book.fork`). ``order_send`` keeps the fork when the
server accepts the request; ``order_check`` only reads the projected account figures from it and answers
retcode 0 / ``'Done'`` (mt5-api §2.2). A rejection is a result with a retcode, never ``None``; ``None`` (via
:class:`CallError`) is reserved for failures before the trade server: no IPC, the Python-API switch (-8) and
scripted IPC faults (mt5-api §1.2, §3.1).

Market deals (TRADE_ACTION_DEAL) and close-by live here; pending orders, SL/TP and modify/remove in
:mod:`agent.mt5sim.pending`.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from agent.mt5.flags import TRADE_RETCODE_HEDGE_PROHIBITED
from agent.mt5sim import checks, errors, ledger, pending
from agent.mt5sim import constants as c
from agent.mt5sim.catalogue import SimSymbol
from agent.mt5sim.errors import CallError
from agent.mt5sim.requests import Request
from agent.mt5sim.runtime import Fault, Simulator
from agent.mt5sim.state import Book, Order, Position
from agent.mt5sim.types import OrderCheckResult, OrderSendResult

Outcome = pending.Outcome
SUCCESS = frozenset({c.TRADE_RETCODE_DONE, c.TRADE_RETCODE_PLACED, c.TRADE_RETCODE_DONE_PARTIAL})

# Scripted faults that come back as a result (the rest raise CallError); see control.inject_fault.
FAULT_RETCODES = {
    "requote": c.TRADE_RETCODE_REQUOTE,
    "price_changed": c.TRADE_RETCODE_PRICE_CHANGED,
    "price_off": c.TRADE_RETCODE_PRICE_OFF,
    "timeout": c.TRADE_RETCODE_TIMEOUT,
    "too_many_requests": c.TRADE_RETCODE_TOO_MANY_REQUESTS,
    "connection": c.TRADE_RETCODE_CONNECTION,
    "market_closed": c.TRADE_RETCODE_MARKET_CLOSED,
}
FAULT_KINDS = frozenset(FAULT_RETCODES) | {"ipc_send", "ipc_recv"}
_WITH_PRICES = frozenset({c.TRADE_RETCODE_REQUOTE, c.TRADE_RETCODE_PRICE_CHANGED})
_EPS = 1e-9


@dataclass(frozen=True)
class _Deal:
    """What a validated DEAL request will do: the side, the position it closes (if named) and whether it
    grows exposure (``opens`` is the growing side, ``None`` for a pure reduction/close)."""

    side: int
    target: Position | None
    net: Position | None
    opens: int | None


def order_send(sim: Simulator, request: Request) -> OrderSendResult:
    """Send ``request`` to the simulated trade server and return its ``OrderSendResult``.

    :raises CallError: -8 when the Python API is disabled in the terminal; -10001/-10002 for IPC faults.
    """
    fault = sim.faults.popleft() if sim.faults else None
    if fault is not None and fault.kind == "ipc_send":
        raise CallError(errors.IPC_SEND)
    # The real call blocks for the whole broker round trip, and so does everything else (mt5-api §5.1): half
    # of it before the server executes the request, half while the answer travels back. A caller that dies
    # in the second half has traded without knowing it, the case reconciliation exists for.
    half_trip = sim.terminal.latency_ms / 2000.0
    if half_trip > 0:
        time.sleep(half_trip)
    if sim.terminal.tradeapi_disabled:
        raise CallError(errors.AUTOTRADING_DISABLED)
    result = _faulted(sim, request, fault) if fault is not None else _send(sim, request)
    if half_trip > 0:
        time.sleep(half_trip)
    return result


def order_check(sim: Simulator, request: Request) -> OrderCheckResult:
    """Check ``request`` without executing it: retcode 0 and ``'Done'`` on success, with the account
    figures (balance, equity, profit, margin, free margin, margin level) projected after the trade.

    The check runs the trade server's rules only: the terminal switches (Algo Trading, broker link) and
    scripted faults concern sending, so they affect ``order_send`` alone.
    """
    pending.expire_orders(sim)
    trial = sim.book.fork()
    outcome = dispatch(sim, trial, request)
    retcode = 0 if outcome.retcode in SUCCESS else outcome.retcode
    projected = trial if retcode in (0, c.TRADE_RETCODE_NO_MONEY) else sim.book
    money = ledger.figures(sim, projected)
    result: OrderCheckResult = OrderCheckResult.make(
        retcode=retcode, balance=money.balance, equity=money.equity, profit=money.profit, margin=money.margin,
        margin_free=money.margin_free, margin_level=money.margin_level, comment=errors.retcode_comment(retcode),
        request=request.echo(),
    )
    return result


def dispatch(sim: Simulator, book: Book, request: Request) -> Outcome:
    """Validate and execute ``request`` against ``book`` (a fork); returns the outcome with its retcode."""
    handler = _HANDLERS.get(request.action)
    if handler is None:
        return Outcome(c.TRADE_RETCODE_INVALID)
    return handler(sim, book, request)


def execute(sim: Simulator, request: Request, reason: int) -> OrderSendResult:
    """Execute ``request`` as the trade server would, with deal reason ``reason`` (DEAL_REASON_*): a trade made
    by hand in the terminal (``CLIENT``) rather than through the Python API. No scripted fault or latency
    applies (those belong to the API's ``order_send``)."""
    previous, sim.deal_reason = sim.deal_reason, reason
    try:
        return _send(sim, request)
    finally:
        sim.deal_reason = previous


def _send(sim: Simulator, request: Request) -> OrderSendResult:
    gate = _terminal_gate(sim)
    if not gate and request.symbol in sim.symbols and sim.awaiting_first_tick(request.symbol):
        gate = c.TRADE_RETCODE_PRICE_OFF  # no tick yet: the server has no price to execute at
    if gate:
        return _result(gate, request)
    pending.expire_orders(sim)
    trial = sim.book.fork()
    outcome = dispatch(sim, trial, request)
    if outcome.retcode not in SUCCESS:
        return _result(outcome.retcode, request, outcome)
    sim.book = trial
    sim.changed()
    return _result(outcome.retcode, request, outcome, request_id=sim.next_request_id())


def _faulted(sim: Simulator, request: Request, fault: Fault) -> OrderSendResult:
    if fault.kind in ("timeout", "ipc_recv") and fault.executed:
        # The hazard these faults model: the trade went through, but the answer never came back.
        _send(sim, request)
    if fault.kind == "ipc_recv":
        raise CallError(errors.IPC_RECV)
    retcode = FAULT_RETCODES[fault.kind]
    if retcode in _WITH_PRICES and request.symbol in sim.symbols:
        bid, ask = sim.quote(request.symbol)
        return _result(retcode, request, Outcome(retcode, bid=bid, ask=ask))
    return _result(retcode, request)


def _terminal_gate(sim: Simulator) -> int:
    """Terminal and account switches checked before the server looks at the request (mt5-api §5.4)."""
    if not sim.terminal.connected:
        return c.TRADE_RETCODE_CONNECTION
    if not sim.terminal.trade_allowed:
        return c.TRADE_RETCODE_CLIENT_DISABLES_AT
    if not sim.book.account.trade_expert:
        return c.TRADE_RETCODE_SERVER_DISABLES_AT
    if not sim.book.account.trade_allowed:
        return c.TRADE_RETCODE_TRADE_DISABLED
    return 0


def _result(retcode: int, request: Request, outcome: Outcome | None = None, request_id: int = 0) -> OrderSendResult:
    o = outcome or Outcome(retcode)
    result: OrderSendResult = OrderSendResult.make(
        retcode=retcode, deal=o.deal, order=o.order, volume=o.volume, price=o.price, bid=o.bid, ask=o.ask,
        comment=errors.retcode_comment(retcode), request_id=request_id, retcode_external=0, request=request.echo(),
    )
    return result


def _resolve_deal(book: Book, request: Request) -> _Deal | int:
    """Work out which position a DEAL touches; an int is the retcode of a request that cannot be valid."""
    target = None
    if request.position:
        target = book.position(request.position)
        if target is None:
            return c.TRADE_RETCODE_POSITION_CLOSED if book.was_position(request.position) else c.TRADE_RETCODE_INVALID
        if request.symbol and request.symbol != target.symbol:
            return c.TRADE_RETCODE_INVALID
        if target.type == request.type and book.account.hedging:
            return c.TRADE_RETCODE_INVALID  # a hedging "close" must be the opposite deal
        if target.type != request.type and request.volume > target.volume + _EPS:
            return c.TRADE_RETCODE_INVALID_CLOSE_VOLUME
    net = target
    if net is None and not book.account.hedging:
        net = next((p for p in book.positions if p.symbol == request.symbol), None)
    closing = net is not None and net.type != request.type and request.volume <= net.volume + _EPS
    return _Deal(request.type, target, net, None if closing else request.type)


def _deal_action(sim: Simulator, book: Book, request: Request) -> Outcome:
    """TRADE_ACTION_DEAL: open, add, reduce, close or reverse at market (mt5-api §2.1, §5.5)."""
    if request.type not in (c.ORDER_TYPE_BUY, c.ORDER_TYPE_SELL):
        return Outcome(c.TRADE_RETCODE_INVALID_ORDER)
    plan = _resolve_deal(book, request)
    if isinstance(plan, int):
        return Outcome(plan)
    symbol = plan.target.symbol if plan.target is not None else request.symbol
    spec = sim.symbols.get(symbol)
    if spec is None:
        return Outcome(c.TRADE_RETCODE_INVALID)
    if not spec.select:
        return Outcome(c.TRADE_RETCODE_PRICE_OFF)  # not in Market Watch: the terminal has no prices
    bid, ask = sim.quote(symbol)
    price = ask if plan.side == c.ORDER_TYPE_BUY else bid
    retcode = (
        checks.trade_mode(spec, plan.opens)
        or (0 if spec.market_open else c.TRADE_RETCODE_MARKET_CLOSED)
        or checks.volume(spec, request.volume)
        or checks.filling(spec, request.type_filling, request.type, pending=False)
        or _instant_price(spec.trade_exemode, spec.point, request, price)
        or _deal_rules(sim, book, spec, request, plan)
    )
    filled = request.volume if not retcode else 0.0
    if not retcode:
        filled, retcode = _liquidity(spec, request)
    if retcode:
        quoted = retcode == c.TRADE_RETCODE_REQUOTE
        return Outcome(retcode, bid=bid if quoted else 0.0, ask=ask if quoted else 0.0)
    order = Order(
        ticket=book.new_order_ticket(), symbol=symbol, type=plan.side, volume_initial=request.volume,
        volume_current=request.volume, price_open=price, sl=request.sl, tp=request.tp, price_stoplimit=0.0,
        type_time=c.ORDER_TIME_GTC, type_filling=request.type_filling, time_expiration=0, magic=request.magic,
        comment=request.comment, time_setup_msc=sim.now_msc(),
    )
    deal = ledger.fill(
        sim, book, order=order, side=plan.side, volume=filled, price=price, target=plan.target,
        reason=sim.deal_reason,
    )
    retcode = pending.post_trade_check(sim, book, spec, plan.opens)
    if retcode:
        return Outcome(retcode)
    done = c.TRADE_RETCODE_DONE if filled >= request.volume - _EPS else c.TRADE_RETCODE_DONE_PARTIAL
    return Outcome(done, deal.ticket, order.ticket, filled, price, bid, ask)


def _liquidity(spec: SimSymbol, request: Request) -> tuple[float, int]:
    """The lots a market deal fills when the symbol's ``liquidity_lots`` is thinner than the request: an IOC deal
    fills what the market takes (rounded down to the volume step; 10010 DONE_PARTIAL), a FOK deal must fill whole
    or not at all (10006 REJECT); unlimited liquidity (0) fills everything. Returns ``(lots, retcode)``."""
    available = spec.liquidity_lots
    if available <= 0 or request.volume <= available + _EPS:
        return request.volume, 0
    if request.type_filling != c.ORDER_FILLING_IOC:
        return 0.0, c.TRADE_RETCODE_REJECT
    steps = int((available - spec.volume_min) / spec.volume_step + 1e-9)
    lots = round(spec.volume_min + steps * spec.volume_step, 8)
    if lots < spec.volume_min - _EPS:
        return 0.0, c.TRADE_RETCODE_REJECT
    return lots, 0


def _instant_price(exemode: int, point: float, request: Request, price: float) -> int:
    """Instant/Request execution: the request needs a price within ``deviation`` points, else a requote."""
    if exemode not in (c.SYMBOL_TRADE_EXECUTION_INSTANT, c.SYMBOL_TRADE_EXECUTION_REQUEST):
        return 0
    if request.price <= 0:
        return c.TRADE_RETCODE_INVALID_PRICE
    if abs(request.price - price) > request.deviation * point + point / 10:
        return c.TRADE_RETCODE_REQUOTE
    return 0


def _deal_rules(sim: Simulator, book: Book, spec: SimSymbol, request: Request, plan: _Deal) -> int:
    """Stops for exposure-growing deals; freeze, FIFO and hedge-prohibited rules for the position touched."""
    bid, ask = sim.quote(spec.name)
    account = book.account
    if plan.net is not None and plan.net.type != plan.side and checks.position_frozen(spec, plan.net, bid, ask):
        return c.TRADE_RETCODE_FROZEN
    if plan.target is not None and account.hedging and account.fifo_close:
        older = [p for p in book.positions if p.symbol == spec.name and p.type == plan.target.type]
        if min(older, key=lambda p: (p.time_msc, p.ticket)) is not plan.target:
            return c.TRADE_RETCODE_FIFO_CLOSE
    if plan.opens is None:
        return 0
    if account.hedging and account.hedge_prohibited and plan.target is None:
        if any(p.symbol == spec.name and p.type != plan.side for p in book.positions):
            return TRADE_RETCODE_HEDGE_PROHIBITED
    return checks.position_stops(spec, plan.side, request.sl, request.tp, bid, ask)


def _close_by(sim: Simulator, book: Book, request: Request) -> Outcome:
    """TRADE_ACTION_CLOSE_BY (hedging only): close ``position`` by the opposite ``position_by``."""
    if not book.account.hedging:
        return Outcome(c.TRADE_RETCODE_INVALID)
    first, second = book.position(request.position), book.position(request.position_by)
    if first is None or second is None:
        gone = book.was_position(request.position) or book.was_position(request.position_by)
        return Outcome(c.TRADE_RETCODE_POSITION_CLOSED if gone else c.TRADE_RETCODE_INVALID)
    if first.symbol != second.symbol or first.type == second.type or first is second:
        return Outcome(c.TRADE_RETCODE_INVALID)
    if request.symbol and request.symbol != first.symbol:
        return Outcome(c.TRADE_RETCODE_INVALID)
    spec = sim.symbols[first.symbol]
    bid, ask = sim.quote(spec.name)
    retcode = checks.trade_mode(spec, None) or (0 if spec.market_open else c.TRADE_RETCODE_MARKET_CLOSED)
    if not retcode and any(checks.position_frozen(spec, p, bid, ask) for p in (first, second)):
        retcode = c.TRADE_RETCODE_FROZEN
    if retcode:
        return Outcome(retcode)
    order = Order(
        ticket=book.new_order_ticket(), symbol=first.symbol, type=c.ORDER_TYPE_CLOSE_BY,
        volume_initial=min(first.volume, second.volume), volume_current=0.0, price_open=0.0, sl=0.0, tp=0.0,
        price_stoplimit=0.0, type_time=c.ORDER_TIME_GTC, type_filling=request.type_filling, time_expiration=0,
        magic=request.magic, comment=f"#{first.ticket} by #{second.ticket}", time_setup_msc=sim.now_msc(),
    )
    deal = ledger.close_by(sim, book, order, first, second)
    return Outcome(c.TRADE_RETCODE_DONE, deal.ticket, order.ticket, deal.volume, deal.price, bid, ask)


_HANDLERS: dict[int, Callable[[Simulator, Book, Request], Outcome]] = {
    c.TRADE_ACTION_DEAL: _deal_action,
    c.TRADE_ACTION_PENDING: pending.place,
    c.TRADE_ACTION_SLTP: pending.sltp,
    c.TRADE_ACTION_MODIFY: pending.modify,
    c.TRADE_ACTION_REMOVE: pending.remove,
    c.TRADE_ACTION_CLOSE_BY: _close_by,
}
