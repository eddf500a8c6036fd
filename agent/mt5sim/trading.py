"""Trading functions: positions and orders, history, margin/profit calculation, ``order_check``,
``order_send`` (mt5-api §1.6-1.8)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from agent.mt5sim import constants as c
from agent.mt5sim import engine, errors, pending, views
from agent.mt5sim.calls import NOARGS, VARARGS, as_number, checked_int, checked_str, history_date, require_ipc, surface
from agent.mt5sim.errors import CallError
from agent.mt5sim.requests import fits_short_string, parse_call
from agent.mt5sim.runtime import SIM
from agent.mt5sim.types import OrderCheckResult, OrderSendResult, TradeDeal, TradeOrder, TradePosition

T = TypeVar("T")
MAX_GROUP = 1998


def _live_filter(
    kwargs: dict[str, Any], items: Sequence[T], ticket_of: Callable[[T], int], symbol_of: Callable[[T], str]
) -> list[T]:
    """``ticket`` beats ``symbol`` beats ``group`` (5.0.6231 behaviour, mt5-api §1.6); unknown keys ignored."""
    if "ticket" in kwargs:
        ticket = checked_int(kwargs["ticket"], "ticket")
        return [i for i in items if ticket_of(i) == ticket]
    if "symbol" in kwargs:
        if not fits_short_string(kwargs["symbol"]):
            raise CallError(errors.invalid_argument("symbol"))
        return [i for i in items if symbol_of(i) == kwargs["symbol"]]
    if "group" in kwargs:
        group = checked_str(kwargs["group"], "group", MAX_GROUP)
        return [i for i in items if views.match_group(symbol_of(i), group)]
    return list(items)


@surface(None, NOARGS)
def positions_total() -> int:
    """Number of open positions."""
    require_ipc()
    return len(SIM.book.positions)


@surface(None)
def positions_get(*args: Any, **kwargs: Any) -> tuple[TradePosition, ...]:
    """Open positions, all or by keyword ``ticket=``/``symbol=``/``group=``; ``()`` when none match.

    Positional arguments give None with (-2, 'Unnamed arguments not allowed').
    """
    if args:
        raise CallError(errors.UNNAMED_NOT_ALLOWED)
    matches = _live_filter(kwargs, SIM.book.positions, lambda p: p.ticket, lambda p: p.symbol)
    require_ipc()
    return tuple(views.position(SIM, p) for p in matches)


@surface(None, NOARGS)
def orders_total() -> int:
    """Number of active pending orders."""
    require_ipc()
    pending.expire_orders(SIM)
    return len(SIM.book.orders)


@surface(None)
def orders_get(*args: Any, **kwargs: Any) -> tuple[TradeOrder, ...]:
    """Active pending orders only, all or by keyword ``ticket=``/``symbol=``/``group=``; ``()`` when none."""
    if args:
        raise CallError(errors.UNNAMED_NOT_ALLOWED)
    _live_filter(kwargs, (), lambda o: o.ticket, lambda o: o.symbol)  # argument errors come before -10004
    require_ipc()
    pending.expire_orders(SIM)
    matches = _live_filter(kwargs, SIM.book.orders, lambda o: o.ticket, lambda o: o.symbol)
    return tuple(views.order(SIM, o) for o in matches)


def _history(
    args: tuple[Any, ...],
    kwargs: dict[str, Any],
    items: Sequence[T],
    order_of: Callable[[T], int],
    position_of: Callable[[T], int],
    time_of: Callable[[T], int],
    symbol_of: Callable[[T], str],
) -> list[T]:
    """Shared history filter: ``ticket=`` (the ORDER ticket, also for deals), ``position=`` (position
    identifier), or ``(date_from, date_to[, group=])`` inclusive, in server epoch seconds."""
    if "ticket" in kwargs:
        ticket = checked_int(kwargs["ticket"], "ticket")
        return [i for i in items if order_of(i) == ticket]
    if "position" in kwargs:
        position = checked_int(kwargs["position"], "position")
        return [i for i in items if position_of(i) == position]
    if not args:
        raise CallError(errors.INVALID_ARGUMENTS)
    if len(args) != 2:
        raise CallError(errors.INVALID_ARG_COUNT)
    start, end = history_date(args[0], 1), history_date(args[1], 2)
    group = checked_str(kwargs["group"], "group", MAX_GROUP) if "group" in kwargs else None
    return [
        i for i in items
        if start <= time_of(i) <= end and (group is None or views.match_group(symbol_of(i), group))
    ]


@surface(None)
def history_orders_get(*args: Any, **kwargs: Any) -> tuple[TradeOrder, ...]:
    """Filled, cancelled and expired orders: ``(date_from, date_to, group=...)``, ``ticket=`` or ``position=``."""
    if SIM.ipc:
        pending.expire_orders(SIM)
    matches = _history(
        args, kwargs, SIM.book.history_orders, lambda o: o.ticket, lambda o: o.position_id,
        lambda o: o.time_setup_msc // 1000, lambda o: o.symbol,
    )
    require_ipc()
    return tuple(views.order(SIM, o) for o in matches)


@surface(None)
def history_deals_get(*args: Any, **kwargs: Any) -> tuple[TradeDeal, ...]:
    """Deals: ``(date_from, date_to, group=...)``, ``ticket=`` (the deal's ORDER ticket) or ``position=``."""
    matches = _history(
        args, kwargs, SIM.book.deals, lambda d: d.order, lambda d: d.position_id, lambda d: d.time_msc // 1000,
        lambda d: d.symbol,
    )
    require_ipc()
    return tuple(views.deal(d) for d in matches)


@surface(None, VARARGS)
def history_orders_total(*args: Any) -> int:
    """``history_orders_total(date_from, date_to)``: number of historical orders set up in the range."""
    if len(args) != 2:
        raise CallError(errors.INVALID_ARG_COUNT)
    start, end = history_date(args[0], 1), history_date(args[1], 2)
    require_ipc()
    return sum(1 for o in SIM.book.history_orders if start <= o.time_setup_msc // 1000 <= end)


@surface(None, VARARGS)
def history_deals_total(*args: Any) -> int:
    """``history_deals_total(date_from, date_to)``: number of deals in the range."""
    if len(args) != 2:
        raise CallError(errors.INVALID_ARG_COUNT)
    start, end = history_date(args[0], 1), history_date(args[1], 2)
    require_ipc()
    return sum(1 for d in SIM.book.deals if start <= d.time_msc // 1000 <= end)


def _calc_args(args: tuple[Any, ...], count: int) -> tuple[int, Any, list[float]]:
    # PyArg_ParseTuple "kOdd(d)": an int action, any symbol object, then doubles (ints are fine here).
    if len(args) != count or not isinstance(args[0], int) or not fits_short_string(args[1]):
        raise CallError(errors.INVALID_ARGUMENTS)
    numbers = [as_number(a) for a in args[2:]]
    require_ipc()
    if args[0] not in (c.ORDER_TYPE_BUY, c.ORDER_TYPE_SELL) or args[1] not in SIM.symbols:
        raise CallError(errors.INVALID_PARAMS)
    return args[0], SIM.symbols[args[1]], numbers


@surface(None, VARARGS)
def order_calc_margin(*args: Any) -> float:
    """``order_calc_margin(action, symbol, volume, price)``: margin in account currency for ``volume`` lots
    at ``price``, ignoring existing positions (mt5-api §1.8); formula per ``trade_calc_mode`` and leverage."""
    _, spec, (volume, price) = _calc_args(args, 4)
    return SIM.market().margin(spec, volume, price, SIM.book.account.leverage)


@surface(None, VARARGS)
def order_calc_profit(*args: Any) -> float:
    """``order_calc_profit(action, symbol, volume, price_open, price_close)``: profit in account currency,
    consistent with ``trade_tick_value``/``trade_tick_size``/``trade_contract_size`` (mt5-api §4.3)."""
    action, spec, (volume, price_open, price_close) = _calc_args(args, 5)
    return SIM.market().profit(spec, action, volume, price_open, price_close)


@surface(None)
def order_check(*args: Any, **kwargs: Any) -> OrderCheckResult:
    """Check a request: ``order_check(request_dict)`` or ``order_check(**request)``. See :func:`order_send`
    for argument rules. Returns retcode 0 / 'Done' with projected account figures, or the failing retcode."""
    request = parse_call("order_check", args, kwargs)
    require_ipc()
    return engine.order_check(SIM, request)


@surface(None)
def order_send(*args: Any, **kwargs: Any) -> OrderSendResult:
    """Send a request: ``order_send(request_dict)`` or ``order_send(**request)``.

    Returns an ``OrderSendResult`` for everything the trade server answers, rejections included (retcode
    10004-10046, ``comment`` such as 'Invalid stops'). Returns None with ``last_error()`` for: bad arguments
    (-2, mt5-api §1.7), no IPC (-10004), the Python API disabled in the terminal (-8), and injected IPC
    faults (-10001/-10002). Raises ``SystemError`` for negative or oversized integer fields, as the real
    module does.
    """
    request = parse_call("order_send", args, kwargs)
    require_ipc()
    return engine.order_send(SIM, request)
