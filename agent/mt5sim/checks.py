"""The trade server's request checks, each returning a TRADE_RETCODE_* (0 when the request passes).

Sources: filling rules mt5-api §2.4 (MT5 help fill policy table, CTrade::FillingCheck); volume §4.1; price,
stops and freeze levels §4.2 (table from https://www.mql5.com/en/forum/163012, freeze zone from
https://www.mql5.com/en/articles/2555); trade modes and expiration §2.3, §3.2. Distances are compared in
price units with a tenth of a point of tolerance so float noise never decides a check.
"""

from __future__ import annotations

from agent.mt5.flags import SymbolExpiration, SymbolFilling
from agent.mt5sim import constants as c
from agent.mt5sim.catalogue import SimSymbol
from agent.mt5sim.pricing import is_step_multiple, on_tick
from agent.mt5sim.state import Order, Position

BUY_TYPES = frozenset({c.ORDER_TYPE_BUY, c.ORDER_TYPE_BUY_LIMIT, c.ORDER_TYPE_BUY_STOP, c.ORDER_TYPE_BUY_STOP_LIMIT})
PENDING_TYPES = frozenset(range(c.ORDER_TYPE_BUY_LIMIT, c.ORDER_TYPE_SELL_STOP_LIMIT + 1))
LIMIT_TYPES = frozenset({c.ORDER_TYPE_BUY_LIMIT, c.ORDER_TYPE_SELL_LIMIT})
STOP_LIMIT_TYPES = frozenset({c.ORDER_TYPE_BUY_STOP_LIMIT, c.ORDER_TYPE_SELL_STOP_LIMIT})
_EXPIRATION_BITS = {
    c.ORDER_TIME_GTC: SymbolExpiration.GTC,
    c.ORDER_TIME_DAY: SymbolExpiration.DAY,
    c.ORDER_TIME_SPECIFIED: SymbolExpiration.SPECIFIED,
    c.ORDER_TIME_SPECIFIED_DAY: SymbolExpiration.SPECIFIED_DAY,
}
_DAY = 86_400


def side_of(order_type: int) -> int:
    """ORDER_TYPE_BUY for every buy-side order type, ORDER_TYPE_SELL otherwise."""
    return c.ORDER_TYPE_BUY if order_type in BUY_TYPES else c.ORDER_TYPE_SELL


def _eps(spec: SimSymbol) -> float:
    return spec.point / 10.0


def volume(spec: SimSymbol, lots: float) -> int:
    """10014 unless ``volume_min <= lots <= volume_max`` and ``lots`` is on the ``volume_step`` grid."""
    tolerance = spec.volume_step * 1e-6
    if lots <= 0 or lots < spec.volume_min - tolerance or lots > spec.volume_max + tolerance:
        return c.TRADE_RETCODE_INVALID_VOLUME
    if not is_step_multiple(lots, spec.volume_min, spec.volume_step):
        return c.TRADE_RETCODE_INVALID_VOLUME
    return 0


def filling(spec: SimSymbol, type_filling: int, order_type: int, pending: bool) -> int:
    """10030 when ``type_filling`` (ORDER_FILLING_*) is not allowed for this symbol and order.

    Market orders: Instant/Request execution take FOK only; otherwise FOK/IOC need their bit in
    ``filling_mode`` and RETURN is allowed only in Exchange execution. Pending orders: RETURN always, FOK/IOC
    with their bit, BOC only for limit orders on symbols with the BOC bit.
    """
    bits = spec.filling_mode
    if not pending and spec.trade_exemode in (c.SYMBOL_TRADE_EXECUTION_REQUEST, c.SYMBOL_TRADE_EXECUTION_INSTANT):
        allowed = type_filling == c.ORDER_FILLING_FOK
    elif type_filling == c.ORDER_FILLING_FOK:
        allowed = bool(bits & SymbolFilling.FOK)
    elif type_filling == c.ORDER_FILLING_IOC:
        allowed = bool(bits & SymbolFilling.IOC)
    elif type_filling == c.ORDER_FILLING_RETURN:
        allowed = pending or spec.trade_exemode == c.SYMBOL_TRADE_EXECUTION_EXCHANGE
    elif type_filling == c.ORDER_FILLING_BOC:
        allowed = pending and order_type in LIMIT_TYPES and bool(bits & SymbolFilling.BOC)
    else:
        allowed = False
    return 0 if allowed else c.TRADE_RETCODE_INVALID_FILL


def trade_mode(spec: SimSymbol, opens: int | None) -> int:
    """10017/10042/10043/10044 from ``trade_mode``; ``opens`` is the side that grows exposure (None: close)."""
    mode = spec.trade_mode
    if mode == c.SYMBOL_TRADE_MODE_DISABLED:
        return c.TRADE_RETCODE_TRADE_DISABLED
    if opens is None:
        return 0
    if mode == c.SYMBOL_TRADE_MODE_CLOSEONLY:
        return c.TRADE_RETCODE_CLOSE_ONLY
    if mode == c.SYMBOL_TRADE_MODE_LONGONLY and opens == c.ORDER_TYPE_SELL:
        return c.TRADE_RETCODE_LONG_ONLY
    if mode == c.SYMBOL_TRADE_MODE_SHORTONLY and opens == c.ORDER_TYPE_BUY:
        return c.TRADE_RETCODE_SHORT_ONLY
    return 0


def _distance_ok(spec: SimSymbol, distance: float) -> bool:
    # Strictly on the right side, and at least trade_stops_level points away.
    level = spec.trade_stops_level * spec.point
    return distance > _eps(spec) and distance >= level - _eps(spec)


def position_stops(spec: SimSymbol, side: int, sl: float, tp: float, bid: float, ask: float) -> int:
    """10016 for SL/TP of a position on the wrong side of, or within ``trade_stops_level`` of, its close
    price (bid for a buy, ask for a sell), or off the tick grid. 0 means "no SL"/"no TP"."""
    ref = bid if side == c.ORDER_TYPE_BUY else ask
    sign = 1.0 if side == c.ORDER_TYPE_BUY else -1.0
    if sl and (not on_tick(sl, spec.trade_tick_size) or not _distance_ok(spec, sign * (ref - sl))):
        return c.TRADE_RETCODE_INVALID_STOPS
    if tp and (not on_tick(tp, spec.trade_tick_size) or not _distance_ok(spec, sign * (tp - ref))):
        return c.TRADE_RETCODE_INVALID_STOPS
    return 0


def pending_price(spec: SimSymbol, order_type: int, price: float, stoplimit: float, bid: float, ask: float) -> int:
    """10015 for a pending price that is missing, off the tick grid, on the wrong side of the market or
    within ``trade_stops_level`` of it; for stop-limit orders also a bad ``stoplimit`` (the limit price)."""
    if price <= 0 or not on_tick(price, spec.trade_tick_size):
        return c.TRADE_RETCODE_INVALID_PRICE
    distance = {
        c.ORDER_TYPE_BUY_LIMIT: ask - price,
        c.ORDER_TYPE_SELL_LIMIT: price - bid,
        c.ORDER_TYPE_BUY_STOP: price - ask,
        c.ORDER_TYPE_SELL_STOP: bid - price,
        c.ORDER_TYPE_BUY_STOP_LIMIT: price - ask,
        c.ORDER_TYPE_SELL_STOP_LIMIT: bid - price,
    }[order_type]
    if not _distance_ok(spec, distance):
        return c.TRADE_RETCODE_INVALID_PRICE
    if order_type in STOP_LIMIT_TYPES:
        if stoplimit <= 0 or not on_tick(stoplimit, spec.trade_tick_size):
            return c.TRADE_RETCODE_INVALID_PRICE
        # The limit order placed at the trigger must sit on its limit side of the trigger price.
        wrong_side = stoplimit > price if order_type == c.ORDER_TYPE_BUY_STOP_LIMIT else stoplimit < price
        if wrong_side:
            return c.TRADE_RETCODE_INVALID_PRICE
    return 0


def pending_stops(spec: SimSymbol, order_type: int, open_price: float, sl: float, tp: float) -> int:
    """10016 for SL/TP of a pending order on the wrong side of, or too close to, its open price."""
    sign = 1.0 if order_type in BUY_TYPES else -1.0
    if sl and (not on_tick(sl, spec.trade_tick_size) or not _distance_ok(spec, sign * (open_price - sl))):
        return c.TRADE_RETCODE_INVALID_STOPS
    if tp and (not on_tick(tp, spec.trade_tick_size) or not _distance_ok(spec, sign * (tp - open_price))):
        return c.TRADE_RETCODE_INVALID_STOPS
    return 0


def position_frozen(spec: SimSymbol, position: Position, bid: float, ask: float) -> bool:
    """True when the close price is within ``trade_freeze_level`` points of the position's SL or TP."""
    zone = spec.trade_freeze_level * spec.point
    if zone <= 0:
        return False
    ref = bid if position.type == c.POSITION_TYPE_BUY else ask
    return any(level and abs(ref - level) < zone - _eps(spec) for level in (position.sl, position.tp))


def order_frozen(spec: SimSymbol, order: Order, bid: float, ask: float) -> bool:
    """True when the market is within ``trade_freeze_level`` points of a pending order's trigger price."""
    zone = spec.trade_freeze_level * spec.point
    ref = ask if order.type in BUY_TYPES else bid
    return zone > 0 and abs(ref - order.price_open) < zone - _eps(spec)


def expiration(spec: SimSymbol, type_time: int, expires: int, now_s: int) -> int:
    """10022 for a ``type_time`` the symbol's ``expiration_mode`` does not allow, or an expiry in the past."""
    bit = _EXPIRATION_BITS.get(type_time)
    if bit is None or not spec.expiration_mode & bit:
        return c.TRADE_RETCODE_INVALID_EXPIRATION
    if type_time == c.ORDER_TIME_SPECIFIED and expires <= now_s:
        return c.TRADE_RETCODE_INVALID_EXPIRATION
    if type_time == c.ORDER_TIME_SPECIFIED_DAY and expires // _DAY * _DAY + _DAY <= now_s:
        return c.TRADE_RETCODE_INVALID_EXPIRATION
    return 0


def expiry_msc(type_time: int, expires: int, setup_msc: int) -> int | None:
    """When a pending order expires, in server epoch ms (``None`` for GTC): DAY at the end of the setup day,
    SPECIFIED at ``expires``, SPECIFIED_DAY at the end of ``expires``' day."""
    if type_time == c.ORDER_TIME_DAY:
        return (setup_msc // 1000 // _DAY + 1) * _DAY * 1000
    if type_time == c.ORDER_TIME_SPECIFIED:
        return expires * 1000
    if type_time == c.ORDER_TIME_SPECIFIED_DAY:
        return (expires // _DAY + 1) * _DAY * 1000
    return None
