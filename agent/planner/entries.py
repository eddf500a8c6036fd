"""Market entries: a buy or sell deal at the expected fill, with SL/TP, on netting or hedging accounts.

The deal is priced at the ask for a buy and the bid for a sell (mt5-api §4.2), and SL/TP distances are
measured from that price ("pips from entry", PineConnector Target Type). On a hedging account every entry is
a new position. On a netting account the deal acts on the symbol's one position (mt5-api §5.5):

- same side: it adds volume, and the new order's SL/TP replace the position's; a 0 deletes them. So the
  position's current SL/TP are re-sent for each level the alert leaves out (mt5-api §5.5 "Bridge rule",
  §7 "SL/TP disappeared after adding to a position").
- opposite side, no larger than the position: it only reduces or closes it, so it is planned as a close
  with ``position=ticket`` (SL/TP do not apply) and says so in a note.
- opposite side, larger: one deal reverses the position (DEAL_ENTRY_INOUT); the alert's SL/TP apply to the
  new position.

Breakeven and trailing stops are bridge-side features in PineConnector (MT5 has no native breakeven). The
planner does not run a position monitor: it notes on the plan that they were recorded but are not applied.
"""

from __future__ import annotations

from decimal import Decimal

from agent.broker.models import SymbolSpec
from agent.planner.book import LONG, SHORT
from agent.planner.context import Context
from agent.planner.exposure import check_exposure
from agent.planner.gates import (
    check_can_open,
    check_max_positions,
    check_order_mode,
    check_volume_limit,
    creates_position,
)
from agent.planner.levels import check_position_levels
from agent.planner.lifetime import market_lifetime_note
from agent.planner.ownership import account_position, check_opposing, check_shared_levels, holders
from agent.planner.pending import place
from agent.planner.plausible import checked_stops
from agent.planner.positions import close_holding
from agent.planner.rules import check_entries
from agent.planner.targets import level_prices, plan_levels
from agent.planner.text import fmt_lots, fmt_price, plain
from agent.planner.types import PlannedRequest, RequestKind
from agent.planner.volume import finalize, size_entry
from contract.intent import OpenAction, OrderKind, Side


def plan_open(ctx: Context, action: OpenAction) -> list[PlannedRequest]:
    """The request(s) of an open step: a market deal, or a pending order for limit/stop kinds."""
    _monitor_notes(ctx, action)
    check_entries(ctx, ctx.spec.name, LONG if action.side == Side.BUY else SHORT)
    if action.kind != OrderKind.MARKET:
        return place(ctx, action)
    spec = ctx.spec
    buy = action.side == Side.BUY
    check_order_mode(spec, OrderKind.MARKET, action.sl is not None, action.tp is not None)
    if (note := market_lifetime_note(action.lifetime)) is not None:
        ctx.notes.append(note)
    quote = ctx.quote_for(spec.name)
    fill = quote.ask if buy else quote.bid
    sl, tp = checked_stops(
        ctx, action.sl, action.tp, long=buy, ref=fill, ref_name="the ask" if buy else "the bid", spec=spec,
        pip=lambda: ctx.pip(spec),
    )
    prices = level_prices(ctx, action, spec, buy=buy, fill=fill) if action.take_profits else []
    sizing = size_entry(
        action.volume,
        spec=spec,
        account=ctx.market.account,
        settings=ctx.settings,
        price=fill,
        sl=sl,
        notes=ctx.notes,
    )
    lots = finalize(sizing, spec, ctx.settings, notes=ctx.notes)
    first = _close_opposite(ctx, spec, buy)
    if prices:
        return first + plan_levels(ctx, action, spec, buy=buy, lots=lots, sl=sl, prices=prices)
    return first + market_entry(ctx, spec, buy, lots, sl, tp)


def _close_opposite(ctx: Context, spec: SymbolSpec, buy: bool) -> list[PlannedRequest]:
    """Hedging with ``close_opposite_first``: close the strategy's positions of the other side first (netting
    needs no such step: the deal itself nets them)."""
    if ctx.netting or not ctx.settings.close_opposite_first:
        return []
    opposite = ctx.book.positions(spec.name, (SHORT if buy else LONG,))
    if not opposite:
        return []
    requests = [r for h in opposite for r in close_holding(ctx, h)]
    ctx.notes.append(
        f"The strategy closes its {SHORT if buy else LONG} position{'s' if len(opposite) > 1 else ''} on {spec.name} "
        f"before opening (setting close_opposite_first)."
    )
    return requests


def market_entry(
    ctx: Context,
    spec: SymbolSpec,
    buy: bool,
    lots: Decimal,
    sl: float | None,
    tp: float | None,
    *,
    level: int | None = None,
) -> list[PlannedRequest]:
    """Plan a deal that buys (or sells) ``lots`` on ``spec``, netting-aware; the book is updated.

    :param lots: a valid volume (already rounded and checked by :func:`~agent.planner.volume.finalize`).
    :param sl: the SL price for the resulting position, or ``None``; likewise ``tp``.
    :param level: the take-profit level (1 = TP1) whose own position this deal opens (hedging; agent.planner.targets).
    :raises PlanRejected: trade mode, max open positions, volume limit or SL/TP checks.
    """
    side = LONG if buy else SHORT
    quote = ctx.quote_for(spec.name)
    net = ctx.book.net_position(spec.name) if ctx.netting else None
    held = next(iter(ctx.book.positions(spec.name)), None) if ctx.netting else None
    kind: RequestKind = "open"
    deal = "buy" if buy else "sell"
    nets_against = ""
    if net is not None and net.side != side:
        effect = check_opposing(ctx, spec, buy, lots, net)
        if held is not None and effect.own == lots:
            verb = "closes" if lots == held.volume else "reduces"
            whose = f"the {fmt_lots(held.volume)}-lot share of {ctx.book.name()} in the" if held.shared else "the"
            ctx.notes.append(
                f"On this netting account the {deal} of {fmt_lots(lots)} lots {verb} {whose} "
                f"{fmt_lots(abs(net.volume))}-lot {net.side} position on {spec.name}"
                + ("; the alert's SL/TP do not apply to a close." if sl or tp else ".")
            )
            return close_holding(ctx, held, lots)
        if effect.foreign:
            nets_against = "; ".join(f"{fmt_lots(part)} lots of {o.name}" for o, part in effect.taken)
        if effect.opens:
            check_exposure(ctx, buy=buy, lots=lots, creates_new=False, closes=lots - effect.opens)
            kind = "reverse"
            ctx.notes.append(
                f"On this netting account the {deal} of {fmt_lots(lots)} lots closes the "
                f"{fmt_lots(abs(net.volume))}-lot {net.side} position on {spec.name} and leaves a "
                f"{fmt_lots(effect.opens)}-lot {side} position"
                + (f" for {ctx.book.name()}." if effect.foreign else ".")
            )
        else:
            kind, sl, tp = "close", None, None  # a reducing deal keeps the position's SL/TP (mt5-api §5.5)
    else:
        # an entry's further take-profit levels are the same entry: it was checked at TP1
        check_max_positions(ctx, creates_position(ctx, spec.name) and (level or 1) == 1)
        check_volume_limit(ctx, spec, buy, lots)
        check_exposure(ctx, buy=buy, lots=lots, creates_new=creates_position(ctx, spec.name))
        if net is not None:
            sl, tp = _keep_netting_levels(ctx, spec, net.sl, net.tp, sl, tp)
            check_shared_levels(ctx, spec, net, sl or 0.0, tp or 0.0, adding=lots)
            if net.others_volume:
                ctx.notes.append(
                    f"On this netting account the {deal} of {fmt_lots(lots)} lots adds to "
                    f"{account_position(net, spec)}, held by {holders(net.others)}: the share of {ctx.book.name()} "
                    f"becomes {fmt_lots(abs(net.own) + lots)} lots; the others' shares do not change."
                )
    if kind != "close":
        check_can_open(spec, buy)
        check_position_levels(spec, quote, long=buy, sl=sl, tp=tp)
    price = quote.ask if buy else quote.bid
    request = ctx.market_order(
        spec, Side.BUY if buy else Side.SELL, lots, price, sl=sl or 0.0, tp=tp or 0.0, level=level
    )
    tp_name = "TP" if level is None else f"TP{level}"
    levels = ", ".join(f"{n} {fmt_price(v, spec.digits)}" for n, v in (("SL", sl), (tp_name, tp)) if v)
    ctx.book.add(spec.name, side, lots, sl or 0.0, tp or 0.0)
    verb = "reverse to" if kind == "reverse" else ("add" if net is not None and kind == "open" else "")
    description = " ".join(
        w for w in (verb, deal, f"{plain(lots)} lots", spec.name, "at market") if w
    ) + (f" ({levels})" if levels else "") + (f", netting against {nets_against}" if nets_against else "")
    return [PlannedRequest(request=request, description=description, opens=kind != "close", kind=kind, level=level)]


def _keep_netting_levels(
    ctx: Context, spec: SymbolSpec, old_sl: float, old_tp: float, sl: float | None, tp: float | None
) -> tuple[float | None, float | None]:
    """SL/TP for a netting add: the alert's where given, else the position's current ones (mt5-api §5.5)."""
    given = [name for name, level in (("SL", sl), ("TP", tp)) if level is not None]
    if given:
        ctx.notes.append(
            f"On this netting account the alert's {' and '.join(given)} replace{'s' if len(given) == 1 else ''} "
            f"the level{'s' if len(given) > 1 else ''} of the whole {spec.name} position."
        )
    kept = []
    if sl is None and old_sl > 0:
        sl = old_sl
        kept.append(f"SL {fmt_price(old_sl, spec.digits)}")
    if tp is None and old_tp > 0:
        tp = old_tp
        kept.append(f"TP {fmt_price(old_tp, spec.digits)}")
    if kept:
        ctx.notes.append(
            f"Adding to the {spec.name} position on a netting account: its {' and '.join(kept)} "
            f"{'is' if len(kept) == 1 else 'are'} re-sent with the order, because MT5 would otherwise remove "
            f"{'it' if len(kept) == 1 else 'them'}."
        )
    return sl, tp


def _monitor_notes(ctx: Context, action: OpenAction) -> None:
    """Say what the agent's stop manager (agent/stops.py) will do with breakeven and trailing settings."""
    if action.breakeven is not None:
        be = action.breakeven
        target = f"the entry price + {plain(be.offset_pips)} pips" if be.offset_pips else "the entry price"
        ctx.notes.append(
            f"Breakeven: after {plain(be.trigger_pips)} pips of profit tvbridge moves the stop loss to {target} "
            f"(checked twice a second while tvbridge runs; it cannot act while the PC is off)."
        )
    if action.trailing is not None:
        tr = action.trailing
        parts = [f"distance {plain(tr.distance_pips)} pips"]
        if tr.trigger_pips is not None:
            parts.insert(0, f"from {plain(tr.trigger_pips)} pips of profit")
        if tr.step_pips is not None:
            parts.append(f"in steps of {plain(tr.step_pips)} pips")
        ctx.notes.append(
            f"Trailing stop ({', '.join(parts)}): tvbridge moves the stop loss as the price moves (checked twice "
            f"a second while tvbridge runs; it cannot act while the PC is off)."
        )
