"""MT5 result types -> broker-neutral models (:mod:`agent.broker.models`).

The ``MetaTrader5`` module (and the simulator) return structseq-like tuples whose fields are MT5 numbers
(``SymbolInfo``, ``Tick``, ``AccountInfo``, ``TradePosition``, ``TradeOrder``, ``TradeDeal``; field meanings in
``reference/mt5-api.md`` Appendix A and the MQL5 docs). This module is where those numbers are read, so nothing
above the adapter needs them.
"""

from __future__ import annotations

from typing import Any

from agent.broker.models import (
    AccountView,
    CalcMode,
    Deal,
    DealEntry,
    DealOperation,
    DealReason,
    HistoricalOrder,
    MarginMode,
    OrderState,
    OrderTime,
    OrderType,
    OrderView,
    PositionView,
    Quote,
    SymbolSpec,
    TradeMode,
)
from agent.mt5 import constants as c
from agent.mt5.flags import SymbolExpiration, SymbolOrderMode
from contract.intent import Side

TRADE_MODES = {
    c.SYMBOL_TRADE_MODE_DISABLED: TradeMode.DISABLED,
    c.SYMBOL_TRADE_MODE_LONGONLY: TradeMode.LONG_ONLY,
    c.SYMBOL_TRADE_MODE_SHORTONLY: TradeMode.SHORT_ONLY,
    c.SYMBOL_TRADE_MODE_CLOSEONLY: TradeMode.CLOSE_ONLY,
    c.SYMBOL_TRADE_MODE_FULL: TradeMode.FULL,
}
CALC_MODES = {
    c.SYMBOL_CALC_MODE_FOREX: CalcMode.FOREX,
    c.SYMBOL_CALC_MODE_FOREX_NO_LEVERAGE: CalcMode.FOREX_NO_LEVERAGE,
    c.SYMBOL_CALC_MODE_CFD: CalcMode.CFD,
    c.SYMBOL_CALC_MODE_CFDINDEX: CalcMode.CFD_INDEX,
    c.SYMBOL_CALC_MODE_CFDLEVERAGE: CalcMode.CFD_LEVERAGE,
    c.SYMBOL_CALC_MODE_FUTURES: CalcMode.FUTURES,
    c.SYMBOL_CALC_MODE_EXCH_STOCKS: CalcMode.EXCHANGE,
    c.SYMBOL_CALC_MODE_EXCH_FUTURES: CalcMode.EXCHANGE,
    c.SYMBOL_CALC_MODE_EXCH_OPTIONS: CalcMode.EXCHANGE,
    c.SYMBOL_CALC_MODE_EXCH_OPTIONS_MARGIN: CalcMode.EXCHANGE,
    c.SYMBOL_CALC_MODE_EXCH_BONDS: CalcMode.EXCHANGE,
    c.SYMBOL_CALC_MODE_EXCH_STOCKS_MOEX: CalcMode.EXCHANGE,
    c.SYMBOL_CALC_MODE_EXCH_BONDS_MOEX: CalcMode.EXCHANGE,
}
#: ORDER_TYPE_* of pending orders <-> the neutral type.
PENDING_TYPES: dict[int, OrderType] = {
    c.ORDER_TYPE_BUY_LIMIT: OrderType.BUY_LIMIT,
    c.ORDER_TYPE_SELL_LIMIT: OrderType.SELL_LIMIT,
    c.ORDER_TYPE_BUY_STOP: OrderType.BUY_STOP,
    c.ORDER_TYPE_SELL_STOP: OrderType.SELL_STOP,
    c.ORDER_TYPE_BUY_STOP_LIMIT: OrderType.BUY_STOP_LIMIT,
    c.ORDER_TYPE_SELL_STOP_LIMIT: OrderType.SELL_STOP_LIMIT,
}
MT5_PENDING_TYPES: dict[OrderType, int] = {neutral: mt5 for mt5, neutral in PENDING_TYPES.items()}
DEAL_ENTRIES = {
    c.DEAL_ENTRY_IN: DealEntry.IN,
    c.DEAL_ENTRY_OUT: DealEntry.OUT,
    c.DEAL_ENTRY_INOUT: DealEntry.INOUT,
    c.DEAL_ENTRY_OUT_BY: DealEntry.OUT_BY,
}

DEAL_REASONS = {
    c.DEAL_REASON_CLIENT: DealReason.CLIENT,
    c.DEAL_REASON_MOBILE: DealReason.MOBILE,
    c.DEAL_REASON_WEB: DealReason.WEB,
    c.DEAL_REASON_EXPERT: DealReason.EXPERT,
    c.DEAL_REASON_SL: DealReason.SL,
    c.DEAL_REASON_TP: DealReason.TP,
    c.DEAL_REASON_SO: DealReason.STOP_OUT,
    c.DEAL_REASON_ROLLOVER: DealReason.ROLLOVER,
    c.DEAL_REASON_VMARGIN: DealReason.VARIATION_MARGIN,
    c.DEAL_REASON_SPLIT: DealReason.SPLIT,
}
#: DEAL_TYPE_* of deals that trade nothing (mt5-constants §1.9; the dividend and tax types have no TYPE_ infix).
DEAL_OPERATIONS = {
    c.DEAL_TYPE_BALANCE: DealOperation.BALANCE,
    c.DEAL_TYPE_CREDIT: DealOperation.CREDIT,
    c.DEAL_TYPE_CHARGE: DealOperation.CHARGE,
    c.DEAL_TYPE_CORRECTION: DealOperation.CORRECTION,
    c.DEAL_TYPE_BONUS: DealOperation.BONUS,
    c.DEAL_TYPE_COMMISSION: DealOperation.COMMISSION,
    c.DEAL_TYPE_COMMISSION_DAILY: DealOperation.COMMISSION,
    c.DEAL_TYPE_COMMISSION_MONTHLY: DealOperation.COMMISSION,
    c.DEAL_TYPE_COMMISSION_AGENT_DAILY: DealOperation.COMMISSION,
    c.DEAL_TYPE_COMMISSION_AGENT_MONTHLY: DealOperation.COMMISSION,
    c.DEAL_TYPE_INTEREST: DealOperation.INTEREST,
    c.DEAL_TYPE_BUY_CANCELED: DealOperation.BUY_CANCELED,
    c.DEAL_TYPE_SELL_CANCELED: DealOperation.SELL_CANCELED,
    c.DEAL_DIVIDEND: DealOperation.DIVIDEND,
    c.DEAL_DIVIDEND_FRANKED: DealOperation.DIVIDEND,
    c.DEAL_TAX: DealOperation.TAX,
}
ORDER_STATES = {
    c.ORDER_STATE_STARTED: OrderState.STARTED,
    c.ORDER_STATE_PLACED: OrderState.PLACED,
    c.ORDER_STATE_CANCELED: OrderState.CANCELED,
    c.ORDER_STATE_PARTIAL: OrderState.PARTIAL,
    c.ORDER_STATE_FILLED: OrderState.FILLED,
    c.ORDER_STATE_REJECTED: OrderState.REJECTED,
    c.ORDER_STATE_EXPIRED: OrderState.EXPIRED,
}


def symbol_spec(info: Any) -> SymbolSpec:
    """A ``SymbolInfo`` as a :class:`SymbolSpec`; trade/calc modes and order-mode bits become neutral fields."""
    order_mode = SymbolOrderMode(int(info.order_mode) & 127)
    return SymbolSpec(
        name=info.name,
        digits=int(info.digits),
        point=float(info.point),
        trade_tick_size=float(info.trade_tick_size),
        trade_tick_value=float(info.trade_tick_value),
        trade_contract_size=float(info.trade_contract_size),
        volume_min=float(info.volume_min),
        volume_max=float(info.volume_max),
        volume_step=float(info.volume_step),
        trade_tick_value_loss=float(info.trade_tick_value_loss),
        trade_tick_value_profit=float(info.trade_tick_value_profit),
        volume_limit=float(info.volume_limit),
        trade_stops_level=int(info.trade_stops_level),
        trade_freeze_level=int(info.trade_freeze_level),
        trade_mode=TRADE_MODES.get(int(info.trade_mode), TradeMode.DISABLED),
        calc_mode=CALC_MODES.get(int(info.trade_calc_mode), CalcMode.OTHER),
        market_orders=SymbolOrderMode.MARKET in order_mode,
        limit_orders=SymbolOrderMode.LIMIT in order_mode,
        stop_orders=SymbolOrderMode.STOP in order_mode,
        stop_loss=SymbolOrderMode.SL in order_mode,
        take_profit=SymbolOrderMode.TP in order_mode,
        currency_base=info.currency_base,
        currency_profit=info.currency_profit,
        currency_margin=info.currency_margin,
        path=info.path,
        expiration_modes=expiration_modes(int(info.expiration_mode)),
    )


#: ORDER_TIME_* values (mt5-constants §1.4) by lifetime, and SYMBOL_EXPIRATION_* bits allowing each.
ORDER_TIMES = {
    OrderTime.GTC: c.ORDER_TIME_GTC,
    OrderTime.DAY: c.ORDER_TIME_DAY,
    OrderTime.SPECIFIED: c.ORDER_TIME_SPECIFIED,
    OrderTime.SPECIFIED_DAY: c.ORDER_TIME_SPECIFIED_DAY,
}
_EXPIRATION_BITS = {
    OrderTime.GTC: SymbolExpiration.GTC,
    OrderTime.DAY: SymbolExpiration.DAY,
    OrderTime.SPECIFIED: SymbolExpiration.SPECIFIED,
    OrderTime.SPECIFIED_DAY: SymbolExpiration.SPECIFIED_DAY,
}


def expiration_modes(mask: int) -> frozenset[OrderTime]:
    """The lifetimes a ``SymbolInfo.expiration_mode`` bit mask allows."""
    return frozenset(t for t, bit in _EXPIRATION_BITS.items() if mask & bit)


def quote(tick: Any) -> Quote:
    """A ``Tick`` as a :class:`Quote`."""
    return Quote(bid=float(tick.bid), ask=float(tick.ask), time=int(tick.time), time_msc=int(tick.time_msc))


def account(info: Any) -> AccountView:
    """An ``AccountInfo``; ``margin_mode`` 2 (ACCOUNT_MARGIN_MODE_RETAIL_HEDGING) is hedging, 0/1 netting."""
    hedging = info.margin_mode == c.ACCOUNT_MARGIN_MODE_RETAIL_HEDGING
    return AccountView(
        login=int(info.login),
        currency=info.currency,
        balance=float(info.balance),
        equity=float(info.equity),
        margin_free=float(info.margin_free),
        margin_mode=MarginMode.HEDGING if hedging else MarginMode.NETTING,
        leverage=int(info.leverage),
        server=info.server,
        currency_digits=int(info.currency_digits),
    )


def position(p: Any) -> PositionView:
    """A ``TradePosition``; POSITION_TYPE_BUY is ``long``."""
    return PositionView(
        ticket=p.ticket,
        symbol=p.symbol,
        side="long" if p.type == c.POSITION_TYPE_BUY else "short",
        volume=p.volume,
        price_open=p.price_open,
        sl=p.sl,
        tp=p.tp,
        magic=p.magic,
        comment=p.comment,
        identifier=p.identifier,
        profit=p.profit,
        time=p.time,
    )


def order(o: Any) -> OrderView | None:
    """An active pending ``TradeOrder``; ``None`` for a type that is not a pending order (close-by)."""
    kind = PENDING_TYPES.get(o.type)
    if kind is None:
        return None
    return OrderView(
        ticket=o.ticket,
        symbol=o.symbol,
        type=kind,
        volume=o.volume_current,
        price_open=o.price_open,
        sl=o.sl,
        tp=o.tp,
        magic=o.magic,
        comment=o.comment,
        type_time=next((t for t, v in ORDER_TIMES.items() if v == int(o.type_time)), OrderTime.GTC),
        expiration=int(o.time_expiration),
    )


def deal(d: Any) -> Deal:
    """A ``TradeDeal``; DEAL_TYPE_BUY/SELL trade, every other type (balance, credit, charges ...) does not."""
    side = {c.DEAL_TYPE_BUY: Side.BUY, c.DEAL_TYPE_SELL: Side.SELL}.get(d.type)
    return Deal(
        ticket=d.ticket,
        order=d.order,
        position_id=d.position_id,
        symbol=d.symbol,
        side=side,
        entry=DEAL_ENTRIES.get(d.entry, DealEntry.IN),
        volume=d.volume,
        price=d.price,
        magic=d.magic,
        comment=d.comment,
        profit=d.profit,
        swap=d.swap,
        commission=d.commission,
        fee=getattr(d, "fee", 0.0),
        time=d.time,
        time_msc=int(d.time_msc),
        reason=DEAL_REASONS.get(d.reason, DealReason.OTHER),
        operation=None if side is not None else DEAL_OPERATIONS.get(d.type, DealOperation.OTHER),
        external_id=str(getattr(d, "external_id", "") or ""),
    )


def historical_order(o: Any) -> HistoricalOrder:
    """A ``TradeOrder`` from the history (or still active): pending types become :class:`OrderType`, market and
    close-by orders ``None``."""
    return HistoricalOrder(
        ticket=int(o.ticket),
        symbol=o.symbol,
        type=PENDING_TYPES.get(o.type),
        state=ORDER_STATES.get(o.state, OrderState.OTHER),
        volume_initial=float(o.volume_initial),
        volume_current=float(o.volume_current),
        price_open=float(o.price_open),
        magic=int(o.magic),
        comment=o.comment,
        time_setup_msc=int(o.time_setup_msc),
        time_done_msc=int(o.time_done_msc),
    )
