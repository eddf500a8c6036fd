"""Checks that skip or refuse an alert before any request is sent.

Filters (outcome ``discarded``: the alert was deliberately skipped):

- Spread filter, ``intent.max_spread_pips`` (PineConnector ``spread=``; cheatsheet "Spread Filter"): skipped when
  the current spread, in pips of the symbol, is above the maximum.
- Account filter, ``intent.account_filter`` (PineConnector ``accfilter=``): processed only when the basis
  exceeds the figure ("Signal processed if balance > $x", docs.pineconnector.com/cheatsheet). The basis is the
  balance, PineConnector's default; its other bases (equity, free margin, margin %) have no setting here yet.
- ``settings.max_open_positions``: an entry that would open one more position than the cap.

Both filters guard entries. An alert that only closes, cancels or modifies is never skipped by them, because
skipping an exit leaves the trader exposed; the plan notes that the filter was not applied. An alert that
mixes an exit with an entry (``closelongbuy``) is skipped as a whole, as PineConnector skips the signal.

Broker rules (outcome ``rejected``): the symbol's trade mode (SYMBOL_TRADE_MODE_*: disabled, long only, short
only, close only; retcodes 10017 and 10042-10044, mt5-api §3.2), its order mode bits (SYMBOL_ORDER_*: market,
limit, stop, SL, TP; 10035) and its ``volume_limit`` on one direction (10034, mt5-api §4.1).
"""

from __future__ import annotations

from decimal import Decimal

from agent.broker.models import SymbolSpec, TradeMode
from agent.planner.context import Context
from agent.planner.targets import level_siblings
from agent.planner.text import dec, fmt_lots, fmt_money, plain
from agent.planner.types import PlanRejected
from contract.intent import OpenAction, OrderKind, SyncAction, TradeIntent

_MODE_NAMES = {
    TradeMode.LONG_ONLY: "long-only",
    TradeMode.SHORT_ONLY: "short-only",
    TradeMode.CLOSE_ONLY: "close-only",
}


def check_filters(ctx: Context) -> None:
    """Apply the spread and account filters to entries; skip the alert (``discarded``) when one fails."""
    intent = ctx.intent
    if intent.max_spread_pips is None and intent.account_filter is None:
        return
    if not _opens(intent):
        ctx.notes.append(
            "The alert's spread/account filter guards entries only; this alert only closes, cancels or "
            "modifies, so the filter was not applied."
        )
        return
    if intent.max_spread_pips is not None:
        _spread_filter(ctx, dec(intent.max_spread_pips))
    if intent.account_filter is not None:
        _account_filter(ctx, dec(intent.account_filter))


def _opens(intent: TradeIntent) -> bool:
    """True when a step can add exposure; a sync to flat only closes, so it is an exit."""
    return any(isinstance(a, OpenAction) or (isinstance(a, SyncAction) and a.target != "flat") for a in intent.actions)


def _spread_filter(ctx: Context, maximum: Decimal) -> None:
    spec = ctx.spec
    quote = ctx.quote_for(spec.name)
    try:
        pip = ctx.pip(spec)
    except PlanRejected as exc:
        raise PlanRejected(f"The alert's spread filter is in pips. {exc}") from exc
    spread = (dec(quote.ask) - dec(quote.bid)) / pip
    if spread > maximum:
        raise PlanRejected(
            f"Spread filter: the {spec.name} spread is {plain(round(spread, 2))} pips, above the alert's maximum "
            f"of {plain(maximum)} pips, so the alert was skipped.",
            outcome="discarded",
        )


def _account_filter(ctx: Context, minimum: Decimal) -> None:
    account = ctx.market.account
    if dec(account.balance) <= minimum:
        raise PlanRejected(
            f"Account filter: the account's balance of {fmt_money(account.balance, account.currency)} is not above "
            f"the alert's minimum of {plain(minimum)}, so the alert was skipped.",
            outcome="discarded",
        )


def check_tradable(spec: SymbolSpec) -> None:
    """Refuse any request on a symbol whose trade mode is disabled (10017)."""
    if spec.trade_mode == TradeMode.DISABLED:
        raise PlanRejected(
            f"Trading is disabled on {spec.name} at this broker (symbol trade mode): nothing can be sent for it."
        )


def check_can_open(spec: SymbolSpec, buy: bool) -> None:
    """Refuse a request that opens exposure on ``buy`` (or sell) side against the symbol's trade mode."""
    check_tradable(spec)
    mode = spec.trade_mode
    side = "buy" if buy else "sell"
    if (
        mode == TradeMode.CLOSE_ONLY
        or (mode == TradeMode.LONG_ONLY and not buy)
        or (mode == TradeMode.SHORT_ONLY and buy)
    ):
        raise PlanRejected(
            f"{spec.name} is {_MODE_NAMES[mode]} at this broker (symbol trade mode), so a {side} that opens "
            f"a position or order cannot be placed."
        )


def check_order_mode(spec: SymbolSpec, kind: OrderKind, has_sl: bool, has_tp: bool) -> None:
    """Refuse an order kind, SL or TP that the symbol does not accept (MT5 order mode, 10035)."""
    label = {OrderKind.MARKET: "market orders", OrderKind.LIMIT: "limit orders", OrderKind.STOP: "stop orders"}[kind]
    if not spec.accepts(kind):
        raise PlanRejected(f"{spec.name} does not accept {label} at this broker (symbol order mode).")
    check_level_modes(spec, has_sl, has_tp)


def check_level_modes(spec: SymbolSpec, has_sl: bool, has_tp: bool) -> None:
    """Refuse an SL or TP that the symbol does not accept (MT5 order mode bits SYMBOL_ORDER_SL/TP)."""
    for allowed, given, what in ((spec.stop_loss, has_sl, "stop losses"), (spec.take_profit, has_tp, "take profits")):
        if given and not allowed:
            raise PlanRejected(f"{spec.name} does not accept {what} at this broker (symbol order mode).")


def check_max_positions(ctx: Context, creates_new: bool) -> None:
    """Skip an entry that would open a position beyond ``settings.max_open_positions``. The positions of one
    entry's take-profit levels (hedging, agent/planner/targets.py) are one position here, as they are one entry for
    pyramiding: the entry is checked once, and a held entry's levels count once."""
    cap = ctx.settings.max_open_positions
    if cap is None or not creates_new:
        return
    held = ctx.book.count() - level_siblings(ctx, None)
    if held >= cap:
        raise PlanRejected(
            f"Max open positions: the strategy already holds {held} position{'s' if held != 1 else ''} "
            f"(limit {cap}), so this entry was skipped.",
            outcome="discarded",
        )


def check_volume_limit(ctx: Context, spec: SymbolSpec, long: bool, lots: Decimal) -> None:
    """Refuse an entry that takes this strategy's open plus pending volume on one side past ``volume_limit``."""
    if spec.volume_limit <= 0:
        return
    side = "long" if long else "short"
    held = sum((h.volume for h in ctx.book.positions(spec.name, (side,))), Decimal(0))
    held += sum((dec(o.volume) for o in ctx.book.pending(spec.name, (side,))), Decimal(0))
    if held + lots > dec(spec.volume_limit):
        raise PlanRejected(
            f"{spec.name} allows at most {plain(spec.volume_limit)} lots open and pending on one side; the strategy "
            f"has {fmt_lots(held)} {side} and this entry adds {fmt_lots(lots)}: nothing was sent."
        )


def creates_position(ctx: Context, symbol: str) -> bool:
    """True when an entry on ``symbol`` adds a position: always on hedging; on netting only from flat, since a
    netting deal adds to, reduces or reverses the one position (mt5-api §5.5)."""
    return not ctx.netting or not ctx.book.positions(symbol)
