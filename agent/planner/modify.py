"""Moving SL/TP of open positions (``newsltplong``/``newsltpshort``) and of pending orders (``newsltpbuystop`` ...).

Positions: a :class:`~agent.broker.models.ModifyPosition` with the ticket and BOTH levels, the one the alert
leaves out re-sent unchanged, because a 0 removes it (MT5 TRADE_ACTION_SLTP, mt5-api §1.7 and §2.2 "ALWAYS send
both values"). Distances are measured from the current price the position closes at, the bid for a long and the
ask for a short (PineConnector: "from the current price for newsltp*"), and the new levels are checked against
the same price (mt5-api §4.2 Buy/Sell rows).

Pending orders: a :class:`~agent.broker.models.ModifyOrder` keeping the order's own price, with both levels;
distances are measured from the order's entry price and checked against it (§4.2 rows 3-6). Orders are good till
cancelled, the only lifetime the planner places; stop-limit orders (which would also need a limit price) are
left alone with a note.

A position or order already at the requested levels is skipped (the server would answer 10025 "no changes"),
and one inside the symbol's freeze level is refused with a sentence (the broker would answer 10029)."""

from __future__ import annotations

from agent.planner.book import LONG
from agent.planner.context import Context
from agent.planner.gates import check_level_modes, check_tradable
from agent.planner.levels import (
    check_pending_levels,
    check_position_levels,
    order_frozen,
    position_frozen,
)
from agent.planner.ownership import check_shared_levels
from agent.planner.plausible import checked_stops
from agent.planner.positions import sides_label
from agent.planner.text import fmt_price
from agent.planner.types import PlannedRequest, PlanRejected
from contract.intent import ModifyAction, Side


def plan_modify(ctx: Context, action: ModifyAction) -> list[PlannedRequest]:
    """The requests of a modify step.

    :raises PlanRejected: a new level on the wrong side or inside the stops level, a disabled symbol.
    """
    if action.sl is None and action.tp is None:
        ctx.idle.append("The alert names no new stop loss or take profit: nothing to modify.")
        return []
    if action.target == "positions":
        return _positions(ctx, action)
    return _orders(ctx, action)


def _positions(ctx: Context, action: ModifyAction) -> list[PlannedRequest]:
    spec = ctx.spec
    holdings = ctx.book.positions(spec.name, action.sides)
    if not holdings:
        ctx.idle.append(
            f"No open {sides_label(action.sides)}positions on {spec.name} for this strategy: nothing to modify."
        )
        return []
    check_tradable(spec)
    check_level_modes(spec, action.sl is not None, action.tp is not None)
    quote = ctx.quote_for(spec.name)
    requests = []
    unchanged = []
    for h in holdings:
        if h.ticket == 0:
            raise PlanRejected(
                f"This alert would modify a {spec.name} position it opens itself, whose ticket is unknown until "
                f"the order is filled: send the new levels as a separate alert."
            )
        long = h.side == LONG
        frozen = position_frozen(spec, quote, long=long, sl=h.sl, tp=h.tp)
        if frozen:
            raise PlanRejected(
                f"The SL/TP of {h.side} position #{h.ticket} on {spec.name} cannot be changed now: {frozen}. "
                f"Nothing was sent: send the alert again once the price has moved away."
            )
        new_sl, new_tp = checked_stops(
            ctx,
            action.sl,
            action.tp,
            long=long,
            ref=quote.bid if long else quote.ask,
            ref_name="the bid" if long else "the ask",
            spec=spec,
            pip=lambda: ctx.pip(spec),
        )
        check_position_levels(spec, quote, long=long, sl=new_sl, tp=new_tp)
        sl = h.sl if new_sl is None else new_sl
        tp = h.tp if new_tp is None else new_tp
        if sl == h.sl and tp == h.tp:
            unchanged.append(f"#{h.ticket}")
            continue
        if h.shared:
            check_shared_levels(ctx, spec, h.net, sl, tp)
        requests.append(
            PlannedRequest(
                request=ctx.sltp(spec.name, h.ticket, sl, tp),
                description=f"modify {h.side} #{h.ticket} {spec.name}: {_change(h.sl, sl, h.tp, tp, spec.digits)}",
                kind="modify",
            )
        )
        h.sl, h.tp = sl, tp
    _report_unchanged(ctx, requests, unchanged, f"{spec.name} positions")
    return requests


def _orders(ctx: Context, action: ModifyAction) -> list[PlannedRequest]:
    spec = ctx.spec
    orders = ctx.book.pending(spec.name, action.sides, action.kinds)
    if not orders:
        words = {str(s) for s in action.sides}
        label = "" if len(words) != 1 else ("buy " if words == {"long"} else "sell ")
        ctx.idle.append(f"No pending {label}orders on {spec.name} for this strategy: nothing to modify.")
        return []
    check_tradable(spec)
    check_level_modes(spec, action.sl is not None, action.tp is not None)
    quote = ctx.quote_for(spec.name)
    requests = []
    unchanged = []
    for o in orders:
        if o.type.kind == "stop_limit":
            ctx.notes.append(f"Stop-limit order #{o.ticket} on {spec.name} was left unchanged (not supported).")
            continue
        buy = o.type.side == Side.BUY
        frozen = order_frozen(spec, quote, o.type, o.price_open)
        if frozen:
            raise PlanRejected(
                f"The {o.type.label} #{o.ticket} on {spec.name} cannot be changed now: {frozen}. Nothing was sent."
            )
        new_sl, new_tp = checked_stops(
            ctx, action.sl, action.tp, long=buy, ref=o.price_open, ref_name="the order's price", spec=spec,
            pip=lambda: ctx.pip(spec),
        )
        check_pending_levels(spec, quote, o.type, o.price_open, new_sl, new_tp)
        sl = o.sl if new_sl is None else new_sl
        tp = o.tp if new_tp is None else new_tp
        if sl == o.sl and tp == o.tp:
            unchanged.append(f"#{o.ticket}")
            continue
        requests.append(
            PlannedRequest(
                request=ctx.modify(o, sl, tp),
                description=f"modify {o.type.label} #{o.ticket} {spec.name}: "
                f"{_change(o.sl, sl, o.tp, tp, spec.digits)}",
                kind="modify",
            )
        )
    _report_unchanged(ctx, requests, unchanged, f"{spec.name} pending orders")
    return requests


def _change(old_sl: float, sl: float, old_tp: float, tp: float, digits: int) -> str:
    def one(name: str, old: float, new: float) -> str:
        shown = fmt_price(new, digits) if new else "none"
        if old == new:
            return f"{name} unchanged {shown}"
        return f"{name} {fmt_price(old, digits) if old else 'none'} -> {shown}"

    return f"{one('SL', old_sl, sl)}, {one('TP', old_tp, tp)}"


def _report_unchanged(ctx: Context, requests: list[PlannedRequest], unchanged: list[str], what: str) -> None:
    if not unchanged:
        return
    sentence = f"{', '.join(unchanged)} already at the requested levels ({what}): nothing to change there."
    (ctx.idle if not requests else ctx.notes).append(sentence)
