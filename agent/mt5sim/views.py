"""Result tuples built from the simulator's state: symbols, ticks, account, terminal, positions, orders, deals.

Fields the simulator has no data for (sessions, options, community, DOM volumes) are zero/False/"", as a
real terminal reports them for a plain FX account. Every value goes through :meth:`StructSeq.make`, which
guarantees the Appendix A Python types.
"""

from __future__ import annotations

import re

from agent.mt5sim import constants as c
from agent.mt5sim import ledger
from agent.mt5sim.catalogue import SimSymbol
from agent.mt5sim.runtime import Simulator
from agent.mt5sim.state import Deal, Order, Position
from agent.mt5sim.types import AccountInfo, SymbolInfo, TerminalInfo, Tick, TradeDeal, TradeOrder, TradePosition

TERMINAL_BUILD = 4755
TERMINAL_BUILD_DATE = "20 Feb 2025"


def match_group(name: str, group: str) -> bool:
    """MT5 group filter: comma-separated masks with ``*``; a leading ``!`` excludes; the last matching mask
    decides, so ``"*, !*EUR*"`` is "everything but EUR" (mt5-api §1.5). Case-insensitive."""
    selected = False
    for raw in group.split(","):
        mask = raw.strip()
        negate = mask.startswith("!")
        mask = mask[1:] if negate else mask
        if not mask:
            continue
        pattern = ".*".join(re.escape(part) for part in mask.split("*"))
        if re.fullmatch(pattern, name, re.IGNORECASE):
            selected = not negate
    return selected


def tick(sim: Simulator, spec: SimSymbol) -> Tick:
    """The symbol's last tick. The simulated feed is always live: ``time`` is the current server time. A symbol
    just added to Market Watch has an all-zero tick until its first one arrives."""
    if sim.awaiting_first_tick(spec.name):
        empty: Tick = Tick.make(time=0, bid=0.0, ask=0.0, time_msc=0, flags=0)
        return empty
    bid, ask = sim.quote(spec.name)
    now = sim.now_msc()
    result: Tick = Tick.make(
        time=now // 1000, bid=bid, ask=ask, time_msc=now, flags=c.TICK_FLAG_BID | c.TICK_FLAG_ASK
    )
    return result


def symbol_info(sim: Simulator, spec: SimSymbol) -> SymbolInfo:
    """All 96 ``SymbolInfo`` fields; ``trade_tick_value*`` in account currency at current conversion rates."""
    bid, ask = sim.quote(spec.name)
    tick_value = sim.market().tick_value(spec)
    result: SymbolInfo = SymbolInfo.make(
        select=spec.select, visible=spec.select, time=sim.now(), digits=spec.digits,
        spread=round((ask - bid) / spec.point), spread_float=True, trade_calc_mode=spec.trade_calc_mode,
        trade_mode=spec.trade_mode, trade_stops_level=spec.trade_stops_level,
        trade_freeze_level=spec.trade_freeze_level, trade_exemode=spec.trade_exemode,
        swap_mode=c.SYMBOL_SWAP_MODE_POINTS, swap_rollover3days=c.DAY_OF_WEEK_WEDNESDAY,
        expiration_mode=spec.expiration_mode, filling_mode=spec.filling_mode, order_mode=spec.order_mode,
        order_gtc_mode=spec.order_gtc_mode, bid=bid, bidhigh=bid, bidlow=bid, ask=ask, askhigh=ask, asklow=ask,
        point=spec.point, trade_tick_value=tick_value, trade_tick_value_profit=tick_value,
        trade_tick_value_loss=tick_value, trade_tick_size=spec.trade_tick_size,
        trade_contract_size=spec.trade_contract_size, volume_min=spec.volume_min, volume_max=spec.volume_max,
        volume_step=spec.volume_step, volume_limit=spec.volume_limit, swap_long=spec.swap_long,
        swap_short=spec.swap_short, margin_hedged=spec.trade_contract_size,
        currency_base=spec.currency_base, currency_profit=spec.currency_profit,
        currency_margin=spec.currency_margin, description=spec.description, name=spec.name, path=spec.path,
    )
    return result


def account_info(sim: Simulator) -> AccountInfo:
    """The account with balance, equity, margin and free margin at current quotes."""
    account = sim.book.account
    money = ledger.figures(sim, sim.book)
    result: AccountInfo = AccountInfo.make(
        login=account.login, trade_mode=c.ACCOUNT_TRADE_MODE_DEMO, leverage=account.leverage,
        limit_orders=account.limit_orders, margin_so_mode=c.ACCOUNT_STOPOUT_MODE_PERCENT,
        trade_allowed=account.trade_allowed, trade_expert=account.trade_expert, margin_mode=account.margin_mode,
        currency_digits=2, fifo_close=account.fifo_close, balance=money.balance, credit=money.credit,
        profit=money.profit, equity=money.equity, margin=money.margin, margin_free=money.margin_free,
        margin_level=money.margin_level, margin_so_call=50.0, margin_so_so=30.0, name=account.name,
        server=account.server, currency=account.currency, company=account.company,
    )
    return result


def terminal_info(sim: Simulator) -> TerminalInfo:
    """Terminal flags; ``ping_last`` is the simulated latency in microseconds."""
    folder = str(sim.state_path.parent) if sim.state_path is not None else ""
    result: TerminalInfo = TerminalInfo.make(
        connected=sim.terminal.connected, trade_allowed=sim.terminal.trade_allowed,
        tradeapi_disabled=sim.terminal.tradeapi_disabled, build=TERMINAL_BUILD, maxbars=100_000,
        ping_last=int(sim.terminal.latency_ms * 1000), company=sim.book.account.company,
        name="MetaTrader 5 Simulator", language="English", path=folder, data_path=folder,
        commondata_path=folder,
    )
    return result


def position(sim: Simulator, p: Position) -> TradePosition:
    """One open position with ``price_current`` and ``profit`` at the current quote."""
    result: TradePosition = TradePosition.make(
        ticket=p.ticket, time=p.time_msc // 1000, time_msc=p.time_msc, time_update=p.time_update_msc // 1000,
        time_update_msc=p.time_update_msc, type=p.type, magic=p.magic, identifier=p.identifier, reason=p.reason,
        volume=p.volume, price_open=p.price_open, sl=p.sl, tp=p.tp, price_current=ledger.close_price(sim, p),
        profit=ledger.position_profit(sim, p), symbol=p.symbol, comment=p.comment, external_id=p.external_id,
    )
    return result


def order(sim: Simulator, o: Order) -> TradeOrder:
    """A pending order (``price_current`` is the live quote) or a historical one."""
    current = o.price_current
    if o.state == c.ORDER_STATE_PLACED and o.symbol in sim.symbols:
        bid, ask = sim.quote(o.symbol)
        current = ask if o.type % 2 == 0 else bid  # even ORDER_TYPE_* values are the buy side
    result: TradeOrder = TradeOrder.make(
        ticket=o.ticket, time_setup=o.time_setup_msc // 1000, time_setup_msc=o.time_setup_msc,
        time_done=o.time_done_msc // 1000, time_done_msc=o.time_done_msc, time_expiration=o.time_expiration,
        type=o.type, type_time=o.type_time, type_filling=o.type_filling, state=o.state, magic=o.magic,
        position_id=o.position_id, position_by_id=o.position_by_id, reason=o.reason,
        volume_initial=o.volume_initial, volume_current=o.volume_current, price_open=o.price_open, sl=o.sl,
        tp=o.tp, price_current=current, price_stoplimit=o.price_stoplimit, symbol=o.symbol, comment=o.comment,
        external_id=o.external_id,
    )
    return result


def deal(d: Deal) -> TradeDeal:
    """One deal from history."""
    result: TradeDeal = TradeDeal.make(
        ticket=d.ticket, order=d.order, time=d.time_msc // 1000, time_msc=d.time_msc, type=d.type,
        entry=d.entry, magic=d.magic, position_id=d.position_id, reason=d.reason, volume=d.volume,
        price=d.price, commission=d.commission, swap=d.swap, profit=d.profit, fee=d.fee, symbol=d.symbol,
        comment=d.comment, external_id=d.external_id,
    )
    return result
