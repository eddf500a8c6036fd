"""Pending orders: placing buy/sell limit and stop orders, and deleting them.

Placement (PineConnector ``buylimit``/``buystop``/``selllimit``/``sellstop``, tradingview-and-bridges §1.3-1.5):
the entry is an absolute price or a distance from the market (the ask for buy orders, the bid for sell orders);
SL/TP are measured from the entry. The entry must be on the right side of the market by at least the stops
level (buy limit below the ask, buy stop above it, sell limit above the bid, sell stop below it; mt5-api §4.2),
the order lives as the alert asked where the symbol allows it (good till cancelled by default; ``expiry=``,
``timeInForce``: :mod:`agent.planner.lifetime`, mt5-api §2.3), and loss-based sizing uses the entry-to-SL
distance. ``type_filling`` is the adapter's (it uses RETURN for pending orders, mt5-api §2.4).

Deletion (``cancellong``/``cancelshort``): TRADE_ACTION_REMOVE with ``order=ticket`` (mt5-api §2.2) for each of
this strategy's pending orders on the chosen side(s) and kind(s).
"""

from __future__ import annotations

from collections.abc import Sequence

from agent.broker.models import OrderType, TradeMode
from agent.planner.context import Context
from agent.planner.gates import (
    check_can_open,
    check_max_positions,
    check_order_mode,
    check_volume_limit,
    creates_position,
)
from agent.planner.levels import check_pending_levels, entry_price, order_frozen
from agent.planner.lifetime import pending_lifetime
from agent.planner.plausible import check_reading, checked_stops
from agent.planner.text import fmt_price, plain
from agent.planner.types import PlannedRequest, PlanRejected
from agent.planner.volume import finalize, size_entry
from contract.intent import OpenAction, OrderKind, PositionSide, Side


def place(ctx: Context, action: OpenAction) -> list[PlannedRequest]:
    """The pending order of a limit or stop entry.

    :raises PlanRejected: no entry, a price on the wrong side or too close, a size that cannot be placed, or a
        symbol that does not allow the order type.
    """
    spec = ctx.spec
    buy = action.side == Side.BUY
    order_type = OrderType.of(action.side, action.kind)
    name = order_type.label
    if action.entry is None:
        raise PlanRejected(f"A {name} order needs an entry price (price=, entry_price, entry_pips or entry_pct).")
    check_order_mode(spec, action.kind, action.sl is not None, action.tp is not None)
    check_can_open(spec, buy)
    quote = ctx.quote_for(spec.name)
    market_ref = quote.ask if buy else quote.bid
    check_reading(
        ctx, "entry", action.entry, above=order_type in (OrderType.BUY_STOP, OrderType.SELL_LIMIT), ref=market_ref,
        ref_name="the ask" if buy else "the bid", spec=spec, pip=lambda: ctx.pip(spec),
    )
    entry = entry_price(action.entry, order_type, quote, spec, lambda: ctx.pip(spec))
    sl, tp = checked_stops(
        ctx, action.sl, action.tp, long=buy, ref=entry, ref_name="the entry", spec=spec, pip=lambda: ctx.pip(spec)
    )
    check_pending_levels(spec, quote, order_type, entry, sl, tp)
    life = pending_lifetime(ctx, action.lifetime)
    sizing = size_entry(
        action.volume,
        spec=spec,
        account=ctx.market.account,
        settings=ctx.settings,
        price=entry,
        sl=sl,
        notes=ctx.notes,
    )
    lots = finalize(sizing, spec, ctx.settings)
    check_max_positions(ctx, creates_position(ctx, spec.name))
    check_volume_limit(ctx, spec, buy, lots)
    digits = spec.digits
    levels = ", ".join(f"{label} {fmt_price(v, digits)}" for label, v in (("SL", sl), ("TP", tp)) if v is not None)
    return [
        PlannedRequest(
            request=ctx.pending(
                spec, order_type, lots, entry, sl or 0.0, tp or 0.0,
                type_time=life.type_time, expiration=life.expiration,
            ),
            description=f"place {name} {plain(lots)} lots {spec.name} at {fmt_price(entry, digits)}"
            + (f" ({levels})" if levels else "")
            + (f", {life.words}" if action.lifetime else ""),
            opens=True,
            kind="pending",
        )
    ]


def cancel_orders(
    ctx: Context,
    symbol: str | None,
    sides: Sequence[PositionSide],
    kinds: Sequence[OrderKind],
    *,
    verb: str = "cancel",
) -> list[PlannedRequest]:
    """Deletions of this strategy's pending orders; a note when there are none.

    :param symbol: one symbol, or ``None`` for every symbol (``closeall``).
    :param verb: ``"cancel"`` for a cancel step (no orders is then "nothing to do"), ``"close"`` when a close step
        also deletes orders (no orders is then only a note).
    """
    orders = ctx.book.pending(symbol, sides, kinds)
    if not orders:
        side_words = {str(s) for s in sides}
        label = "" if len(side_words) != 1 else ("buy " if side_words == {"long"} else "sell ")
        kind_words = {str(k) for k in kinds}
        label += "" if len(kind_words) != 1 else f"{kind_words.pop()} "
        where = f"on {symbol}" if symbol else "on any symbol"
        sentence = f"No pending {label}orders {where} for this strategy: nothing to {verb}."
        (ctx.idle if verb == "cancel" else ctx.notes).append(sentence)
        return []
    requests = []
    for order in orders:
        spec = ctx.market.specs.get(order.symbol) or (ctx.spec if order.symbol == ctx.spec.name else None)
        digits = spec.digits if spec is not None else 5
        if spec is not None and spec.trade_mode == TradeMode.DISABLED:
            raise PlanRejected(
                f"Trading is disabled on {order.symbol} at this broker (symbol trade mode), so its "
                f"pending order #{order.ticket} cannot be deleted now."
            )
        quote = ctx.market.quote if order.symbol == ctx.spec.name else ctx.market.quotes.get(order.symbol)
        frozen = order_frozen(spec, quote, order.type, order.price_open) if spec and quote else None
        if frozen:
            raise PlanRejected(
                f"The {order.type.label} #{order.ticket} on {order.symbol} cannot be deleted now: {frozen}. "
                f"Nothing was sent: send the alert again once the price has moved away."
            )
        requests.append(
            PlannedRequest(
                request=ctx.remove(order),
                description=f"cancel {order.type.label} #{order.ticket} "
                f"{plain(order.volume)} lots {order.symbol} at {fmt_price(order.price_open, digits)}",
                kind="cancel",
            )
        )
        ctx.book.drop_order(order)
    return requests
