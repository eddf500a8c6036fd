"""Closing this strategy's positions: full, partial (by percent or by lots), on one symbol or all.

A close is an opposite DEAL at the price the position closes at, the bid for a long and the ask for a short
(mt5-api §4.2), with ``position=ticket``. The ticket is mandatory on hedging accounts, where an opposite deal
without it opens a new position (mt5-api §5.5 and §7 "close opened a new opposite position"); on netting it is
optional (mqltraderequest: "can also be specified in the netting system") and the planner sends it anyway, so a
close can only ever close. Positions are closed oldest first, which is what FIFO accounts require (10045).
A close larger than ``volume_max`` is split into several deals.

Partial closes (PineConnector ``closelongpct``/``closelongvol``; tradingview-and-bridges §1.3):

- by percent: that percent of each position, rounded DOWN to the volume step. A position whose share falls
  below ``volume_min`` is skipped with a note; when every position is skipped the alert is refused with the
  computed size. The planner never closes more than asked.
- by lots: that many lots in total per symbol, oldest positions first; a request larger than what is held closes
  everything held (with a note); a request below ``volume_min`` is refused.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

from agent.planner.book import LONG, Holding
from agent.planner.context import Context
from agent.planner.gates import check_tradable
from agent.planner.levels import position_frozen
from agent.planner.ownership import close_description
from agent.planner.pending import cancel_orders
from agent.planner.text import dec, fmt_lots, plain
from agent.planner.types import PlannedRequest, PlanRejected
from agent.planner.volume import round_down
from contract.intent import CloseAction, PositionSide


def plan_close(ctx: Context, action: CloseAction) -> list[PlannedRequest]:
    """The requests of a close step (and of ``closeall``'s pending-order deletions, sent first).

    :raises PlanRejected: a partial close whose every share is below the minimum volume, a missing quote.
    """
    symbol = None if action.all_symbols else ctx.spec.name
    requests: list[PlannedRequest] = []
    if action.include_pending:
        # Delete pending orders first so none of them fills while the positions are being closed.
        requests += cancel_orders(ctx, symbol, action.sides, (), verb="close")
    holdings = ctx.book.positions(symbol, action.sides)
    if not holdings:
        ctx.idle.append(
            f"No open {sides_label(action.sides)}positions {scope(symbol)} for this strategy: nothing to close."
        )
        return requests
    if action.portion_lots is not None:
        requests += _close_lots(ctx, holdings, dec(action.portion_lots))
    elif action.portion_pct is not None and action.portion_pct < 100:
        requests += _close_pct(ctx, holdings, dec(action.portion_pct))
    else:
        for h in holdings:
            requests += close_holding(ctx, h)
    return requests


def close_holding(ctx: Context, holding: Holding, volume: Decimal | None = None) -> list[PlannedRequest]:
    """Deal(s) closing ``volume`` lots (all when ``None``) of ``holding``; the book is updated.

    :raises PlanRejected: the symbol is disabled, has no quote, the position is inside the freeze level of its
        SL/TP (the broker would refuse the close), or it was opened by this same plan on a hedging account (its
        ticket is not known yet).
    """
    spec = ctx.spec_for(holding.symbol)
    check_tradable(spec)
    quote = ctx.quote_for(holding.symbol)
    if holding.ticket == 0 and not ctx.netting:
        raise PlanRejected(
            f"This alert would close a {holding.symbol} position it opens itself; on a hedging account its ticket "
            f"is unknown until the order is filled, so send the close as a separate alert."
        )
    total = holding.volume
    volume = total if volume is None else volume
    long = holding.side == LONG
    frozen = position_frozen(spec, quote, long=long, sl=holding.sl, tp=holding.tp) if holding.ticket else None
    if frozen:
        raise PlanRejected(
            f"The {holding.side} position #{holding.ticket} on {holding.symbol} cannot be closed now: {frozen}. "
            f"Nothing was sent: send the close again once the price has moved away, or let its stop act."
        )
    price = quote.bid if long else quote.ask
    side = PositionSide.LONG if long else PositionSide.SHORT
    who = f"{holding.side} #{holding.ticket}" if holding.ticket else f"{holding.side} (opened by this alert)"
    chunks = _chunks(volume, dec(spec.volume_min), dec(spec.volume_max), holding.symbol)
    shared = close_description(ctx, spec, holding, volume)
    requests = []
    for i, chunk in enumerate(chunks, 1):
        what = f"{plain(chunk)} lots" if chunk == total else f"{plain(chunk)} of {plain(total)} lots"
        part = f" (deal {i} of {len(chunks)})" if len(chunks) > 1 else ""
        requests.append(
            PlannedRequest(
                request=ctx.close(spec, holding.ticket, side, chunk, price),
                description=(shared + part) if shared else f"close {who} {what} {holding.symbol}{part}",
                kind="close",
            )
        )
    ctx.book.take(holding, volume)
    return requests


def _close_pct(ctx: Context, holdings: Sequence[Holding], pct: Decimal) -> list[PlannedRequest]:
    if pct <= 0:
        raise PlanRejected(f"The alert asks to close {plain(pct)}% of the positions; the share must be above 0.")
    requests: list[PlannedRequest] = []
    skipped: list[str] = []
    for h in holdings:
        spec = ctx.spec_for(h.symbol)
        raw = h.volume * pct / 100
        lots = round_down(raw, spec)
        if lots <= 0 or lots < dec(spec.volume_min):
            skipped.append(
                f"{plain(pct)}% of the {fmt_lots(h.volume)}-lot {h.side} #{h.ticket} on {h.symbol} is "
                f"{fmt_lots(raw)} lots, below the minimum volume of {plain(spec.volume_min)} lots"
            )
            continue
        requests += close_holding(ctx, h, lots)
    if not requests:
        raise PlanRejected("; ".join(skipped) + ": nothing was closed.")
    if skipped:
        ctx.notes.append("Skipped on partial close: " + "; ".join(skipped) + ".")
    return requests


def _close_lots(ctx: Context, holdings: Sequence[Holding], asked: Decimal) -> list[PlannedRequest]:
    if asked <= 0:
        raise PlanRejected(f"The alert asks to close {plain(asked)} lots; the volume must be above 0.")
    requests: list[PlannedRequest] = []
    for symbol in dict.fromkeys(h.symbol for h in holdings):
        spec = ctx.spec_for(symbol)
        group = [h for h in holdings if h.symbol == symbol]
        remaining = round_down(asked, spec)
        if remaining <= 0 or remaining < dec(spec.volume_min):
            raise PlanRejected(
                f"Closing {fmt_lots(asked)} lots on {symbol} is below its minimum volume of "
                f"{plain(spec.volume_min)} lots: nothing was closed."
            )
        held = sum((h.volume for h in group), Decimal(0))
        if remaining > held:
            ctx.notes.append(
                f"The alert asked to close {fmt_lots(asked)} lots on {symbol}, but the strategy holds "
                f"{fmt_lots(held)} lots there: closing all of it."
            )
            remaining = held
        for h in group:
            if remaining <= 0:
                break
            take = min(h.volume, remaining)
            if take < h.volume and take < dec(spec.volume_min):
                ctx.notes.append(
                    f"The last {fmt_lots(take)} lots to close on {symbol} are below its minimum volume of "
                    f"{plain(spec.volume_min)} lots and were left open."
                )
                break
            requests += close_holding(ctx, h, take)
            remaining -= take
    return requests


def _chunks(volume: Decimal, spec_min: Decimal, spec_max: Decimal, symbol: str) -> list[Decimal]:
    """``volume`` split into deals of at most ``spec_max`` (0 = no maximum), none below ``spec_min``.

    :raises PlanRejected: no such split exists (the maximum is less than twice the minimum).
    """
    if spec_max <= 0 or volume <= spec_max:
        return [volume]
    parts = []
    while volume > spec_max:
        parts.append(spec_max)
        volume -= spec_max
    if 0 < volume < spec_min:
        # Move the shortfall from the previous deal, which must stay at or above the minimum.
        shortfall = spec_min - volume
        if parts[-1] - shortfall < spec_min:
            raise PlanRejected(
                f"Closing this volume on {symbol} needs several deals of at most {plain(spec_max)} lots, and they "
                f"cannot all reach its minimum volume of {plain(spec_min)} lots: close it by hand."
            )
        parts[-1] -= shortfall
        volume = spec_min
    return [*parts, volume] if volume > 0 else parts


def sides_label(sides: Sequence[PositionSide | str]) -> str:
    """``"long "``, ``"short "`` or ``""`` (both) for sentences such as "No open long positions"."""
    wanted = {str(s) for s in sides}
    return f"{wanted.pop()} " if len(wanted) == 1 else ""


def scope(symbol: str | None) -> str:
    """``"on EURUSD"`` or ``"on any symbol"``."""
    return f"on {symbol}" if symbol else "on any symbol"
