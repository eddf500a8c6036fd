"""Symbol functions: ``symbols_total``, ``symbols_get``, ``symbol_info``, ``symbol_info_tick``,
``symbol_select``, the market book, and the price-history functions (mt5-api §1.5)."""

from __future__ import annotations

from typing import Any

from agent.mt5sim import constants as c
from agent.mt5sim import errors, views
from agent.mt5sim.calls import NOARGS, VARARGS, checked_str, require_ipc, surface
from agent.mt5sim.catalogue import SimSymbol
from agent.mt5sim.errors import CallError
from agent.mt5sim.requests import fits_short_string
from agent.mt5sim.runtime import SIM
from agent.mt5sim.types import BookInfo, SymbolInfo, Tick

MAX_GROUP = 1998


def _one_symbol(args: tuple[Any, ...]) -> SimSymbol:
    """Exactly one positional ``str`` of <= 29 chars naming a known symbol (-2, then -1 for unknown names)."""
    if len(args) != 1 or not fits_short_string(args[0]):
        raise CallError(errors.INVALID_ARGUMENTS)
    require_ipc()
    spec = SIM.symbols.get(args[0])
    if spec is None:
        raise CallError(errors.CALL_FAILED)
    return spec


@surface(None, NOARGS)
def symbols_total() -> int:
    """Number of all symbols on the server (in Market Watch or not)."""
    require_ipc()
    return len(SIM.symbols)


@surface(None)
def symbols_get(*args: Any, **kwargs: Any) -> tuple[SymbolInfo, ...]:
    """All symbols, or those matching ``group`` (``"*USD*"``, ``"*, !*EUR*"``); ``()`` when none match."""
    if len(args) > 1:
        raise CallError(errors.INVALID_ARG_COUNT)
    group = args[0] if args else kwargs.get("group")
    if group is not None:
        checked_str(group, "group", MAX_GROUP)
    require_ipc()
    specs = [s for s in SIM.symbols.values() if group is None or views.match_group(s.name, group)]
    return tuple(views.symbol_info(SIM, spec) for spec in specs)


@surface(None, VARARGS)
def symbol_info(*args: Any) -> SymbolInfo:
    """``symbol_info(symbol)``: the 96-field ``SymbolInfo``; None with (-1) for an unknown symbol."""
    return views.symbol_info(SIM, _one_symbol(args))


@surface(None, VARARGS)
def symbol_info_tick(*args: Any) -> Tick:
    """``symbol_info_tick(symbol)``: the last ``Tick``. None with (-1) for unknown symbols and for symbols
    not in Market Watch, which have no ticks until ``symbol_select(symbol, True)`` (mt5-api §1.5); right after
    that, an all-zero tick until the first one arrives (``Terminal.first_tick_ms``)."""
    spec = _one_symbol(args)
    if not spec.select:
        raise CallError(errors.CALL_FAILED)
    return views.tick(SIM, spec)


@surface(False, VARARGS)
def symbol_select(*args: Any) -> bool:
    """``symbol_select(symbol[, enable=True])``: add to / remove from Market Watch (``enable`` by truthiness).

    False with (-1) for an unknown symbol, or when removing a symbol that has positions or pending orders.
    """
    if not 1 <= len(args) <= 2 or not fits_short_string(args[0]):
        raise CallError(errors.INVALID_ARGUMENTS)
    require_ipc()
    spec = SIM.symbols.get(args[0])
    if spec is None:
        raise CallError(errors.CALL_FAILED)
    enable = bool(args[1]) if len(args) == 2 else True
    book = SIM.book
    busy = any(p.symbol == spec.name for p in book.positions) or any(o.symbol == spec.name for o in book.orders)
    if not enable and busy:
        raise CallError(errors.CALL_FAILED)
    if enable:
        SIM.select(spec.name)
    else:
        spec.select = False
    return True


@surface(False, VARARGS)
def market_book_add(*args: Any) -> bool:
    """Subscribe to the Depth of Market of a symbol (the simulator has one level each side)."""
    SIM.book_subscriptions.add(_one_symbol(args).name)
    return True


@surface(False, VARARGS)
def market_book_release(*args: Any) -> bool:
    """Cancel a ``market_book_add`` subscription; False with (-1) when there was none."""
    name = _one_symbol(args).name
    if name not in SIM.book_subscriptions:
        raise CallError(errors.CALL_FAILED)
    SIM.book_subscriptions.discard(name)
    return True


@surface(None, VARARGS)
def market_book_get(*args: Any) -> tuple[BookInfo, ...]:
    """The Depth of Market: one sell level at the ask and one buy level at the bid (subscribe first)."""
    spec = _one_symbol(args)
    if spec.name not in SIM.book_subscriptions:
        raise CallError(errors.CALL_FAILED)
    bid, ask = SIM.quote(spec.name)
    return (
        BookInfo.make(type=c.BOOK_TYPE_SELL, price=ask, volume=100, volume_dbl=100.0),
        BookInfo.make(type=c.BOOK_TYPE_BUY, price=bid, volume=100, volume_dbl=100.0),
    )


def _no_history(args: tuple[Any, ...], count: int) -> None:
    """The simulator keeps no bars or tick history: the terminal answers "invalid params", as a real one
    does when the requested range is not loaded (mt5-api §7)."""
    if len(args) != count:
        raise CallError(errors.INVALID_ARG_COUNT)
    if not fits_short_string(args[0]):
        raise CallError(errors.invalid_unnamed(1))
    require_ipc()
    raise CallError(errors.INVALID_PARAMS)


@surface(None, VARARGS)
def copy_rates_from(*args: Any) -> None:
    """``copy_rates_from(symbol, timeframe, date_from, count)``: always None, (-2, 'Terminal: Invalid params')."""
    _no_history(args, 4)


@surface(None, VARARGS)
def copy_rates_from_pos(*args: Any) -> None:
    """``copy_rates_from_pos(symbol, timeframe, start_pos, count)``: no history in the simulator (None)."""
    _no_history(args, 4)


@surface(None, VARARGS)
def copy_rates_range(*args: Any) -> None:
    """``copy_rates_range(symbol, timeframe, date_from, date_to)``: no history in the simulator (None)."""
    _no_history(args, 4)


@surface(None, VARARGS)
def copy_ticks_from(*args: Any) -> None:
    """``copy_ticks_from(symbol, date_from, count, flags)``: no history in the simulator (None)."""
    _no_history(args, 4)


@surface(None, VARARGS)
def copy_ticks_range(*args: Any) -> None:
    """``copy_ticks_range(symbol, date_from, date_to, flags)``: no history in the simulator (None)."""
    _no_history(args, 4)
