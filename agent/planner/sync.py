"""TradingView strategy fills: move the strategy's position on the symbol to the position TradingView reports.

A strategy order-fill alert carries ``{{strategy.market_position}}`` and its size, the position before the fill
(``{{strategy.prev_market_position}}``/``_size``) and the fill itself (``{{strategy.order.action}}``/
``{{strategy.order.contracts}}``) (TradingView placeholders, support article 43000531021; tradingview-and-bridges §4).
Sizes are TradingView contracts, i.e. units for FX (``size_unit="units"``), converted with
``trade_contract_size``, unless the strategy sends lots.

Rules:

- The target is the reported position, not the fill: a reversal's ``contracts`` include the closed amount
  ("Reversal fills report contracts = close quantity + new quantity"), so sizing from the fill would double it.
  Only when no position size is given is the target derived from the position before the fill plus the fill.
- The strategy's actual net position (its own positions only) is compared with the position before the fill.
  When they disagree the alert is a duplicate or arrived out of order (tradingview-and-bridges §3.1
  "Duplicates, ordering"), and it is refused rather than applied on top of the wrong position. Sizes agree when
  they differ by less than one volume step (TradingView units need not be a whole number of steps).
- A full exit (target flat) only closes: it can never open the opposite side (corpus: "must NOT open a short").
- Netting: one deal of the difference. A reversal is one deal of current + new volume (DEAL_ENTRY_INOUT,
  mt5-api §5.5), split into a close and an open only when that exceeds ``volume_max``.
- Hedging: close every position on the wrong side (each with its ticket), then open or reduce (oldest first)
  the right side to the target.
- The target is rounded down to the volume step and must reach ``volume_min``; the strategy's ``max_lots``
  applies to the target position. ``risk_override_pct`` does not resize syncs: the bridge follows TradingView's
  size, or every later fill would be out of step.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

from agent.planner.book import LONG, Holding
from agent.planner.context import Context
from agent.planner.entries import market_entry
from agent.planner.plausible import checked_stops
from agent.planner.positions import close_holding
from agent.planner.text import dec, fmt_lots, plain
from agent.planner.types import PlannedRequest, PlanRejected
from agent.planner.volume import round_down, units_to_lots
from contract.intent import Side, SyncAction, VolumeUnit


def plan_sync(ctx: Context, action: SyncAction) -> list[PlannedRequest]:
    """The requests that take the strategy's position on the alert's symbol to TradingView's.

    :raises PlanRejected: out-of-order or duplicate alerts, sizes that cannot be traded, inconsistent alerts.
    """
    spec = ctx.spec
    holdings = ctx.book.positions(spec.name)
    actual = ctx.book.net(spec.name)
    _check_prev(ctx, action, actual)
    wanted = _target(ctx, action, actual)
    target = round_down(abs(wanted), spec) * (1 if wanted > 0 else -1)
    if ctx.settings.risk_override_pct and target != 0:
        ctx.notes.append(
            "The strategy's risk override does not resize TradingView position syncs: the bridge follows "
            "TradingView's position size so that later fills stay in step."
        )
    if wanted != 0:
        _check_target(ctx, action, wanted, target)
    delta = target - actual
    if delta != 0 and action.order_side is not None and (delta > 0) != (action.order_side == Side.BUY):
        raise PlanRejected(
            f"TradingView reports a {action.order_side.value} fill, but going from {_net(actual)} to "
            f"{_net(target)} on {spec.name} needs a {'buy' if delta > 0 else 'sell'}: this alert is a duplicate "
            f"or arrived out of order. Nothing was sent."
        )
    if target == 0:
        if not holdings:
            ctx.idle.append(f"The strategy is already flat on {spec.name}, as TradingView reports: nothing to do.")
            return []
        requests: list[PlannedRequest] = []
        for h in holdings:
            requests += close_holding(ctx, h)
        return requests
    if ctx.netting:
        return _netting(ctx, action, holdings, actual, target)
    return _hedging(ctx, action, holdings, target)


def _netting(
    ctx: Context, action: SyncAction, holdings: Sequence[Holding], actual: Decimal, target: Decimal
) -> list[PlannedRequest]:
    spec = ctx.spec
    long = target > 0
    held = holdings[0] if holdings else None
    if held is not None and (held.side == LONG) != long:
        deal = held.volume + abs(target)
        if spec.volume_max > 0 and deal > dec(spec.volume_max):
            ctx.notes.append(
                f"The reversal on {spec.name} ({fmt_lots(deal)} lots in one deal) is above the symbol's maximum "
                f"volume, so it is sent as a close and then an open."
            )
            return close_holding(ctx, held) + _open(ctx, action, long, abs(target))
        sl, tp = _levels(ctx, action, long)
        return market_entry(ctx, spec, long, deal, sl, tp)
    delta = abs(target - actual)
    if delta == 0:
        ctx.idle.append(
            f"The strategy already holds {_net(actual)} on {spec.name}, as TradingView reports: nothing to do."
        )
        return []
    if abs(target) > abs(actual):
        return _open(ctx, action, long, delta)
    assert held is not None  # |target| < |actual| on the same side
    _check_deal(ctx, delta, actual, target)
    return close_holding(ctx, held, delta)


def _hedging(ctx: Context, action: SyncAction, holdings: Sequence[Holding], target: Decimal) -> list[PlannedRequest]:
    spec = ctx.spec
    long = target > 0
    wrong = [h for h in holdings if (h.side == LONG) != long]
    same = [h for h in holdings if (h.side == LONG) == long]
    held = sum((h.volume for h in same), Decimal(0))
    goal = abs(target)
    if not wrong and held == goal:
        ctx.idle.append(
            f"The strategy already holds {_net(target)} on {spec.name}, as TradingView reports: nothing to do."
        )
        return []
    requests: list[PlannedRequest] = []
    for h in wrong:
        requests += close_holding(ctx, h)
    if goal > held:
        return requests + _open(ctx, action, long, goal - held)
    remaining = held - goal
    if remaining > 0:
        _check_deal(ctx, remaining, held if long else -held, target)
    for h in same:
        if remaining <= 0:
            break
        take = min(h.volume, remaining)
        if take < h.volume and take < dec(spec.volume_min):
            raise PlanRejected(
                f"Reaching TradingView's position of {_net(target)} on {spec.name} would leave a partial close of "
                f"{fmt_lots(take)} lots on #{h.ticket}, below the minimum volume of {plain(spec.volume_min)} lots: "
                f"nothing was sent."
            )
        requests += close_holding(ctx, h, take)
        remaining -= take
    return requests


def _open(ctx: Context, action: SyncAction, long: bool, lots: Decimal) -> list[PlannedRequest]:
    """A market entry of ``lots`` towards the target, with the alert's SL/TP from the expected fill."""
    spec = ctx.spec
    current = ctx.book.net(spec.name)
    _check_deal(ctx, lots, current, current + (lots if long else -lots))
    sl, tp = _levels(ctx, action, long)
    return market_entry(ctx, spec, long, lots, sl, tp)


def _levels(ctx: Context, action: SyncAction, long: bool) -> tuple[float | None, float | None]:
    spec = ctx.spec
    quote = ctx.quote_for(spec.name)
    fill = quote.ask if long else quote.bid
    return checked_stops(
        ctx, action.sl, action.tp, long=long, ref=fill, ref_name="the ask" if long else "the bid", spec=spec,
        pip=lambda: ctx.pip(spec),
    )


def _check_deal(ctx: Context, lots: Decimal, start: Decimal, end: Decimal) -> None:
    """Refuse a deal of ``lots`` (moving ``start`` to ``end``) outside the symbol's volume limits."""
    spec = ctx.spec
    if lots < dec(spec.volume_min):
        limit = f"below the minimum volume of {plain(spec.volume_min)} lots"
    elif spec.volume_max > 0 and lots > dec(spec.volume_max):
        limit = f"above the maximum volume of {plain(spec.volume_max)} lots"
    else:
        return
    raise PlanRejected(
        f"Going from {_net(start)} to TradingView's {_net(end)} on {spec.name} needs a deal of {fmt_lots(lots)} "
        f"lots, {limit}: nothing was sent."
    )


def _check_target(ctx: Context, action: SyncAction, wanted: Decimal, target: Decimal) -> None:
    spec = ctx.spec
    shown = f"TradingView's position of {fmt_lots(abs(wanted))} lots {'long' if wanted > 0 else 'short'}"
    if action.size_unit == VolumeUnit.UNITS and action.target_size is not None:
        shown += f" ({plain(abs(action.target_size))} units)"
    if abs(target) < dec(spec.volume_min) or target == 0:
        raise PlanRejected(
            f"{shown} on {spec.name} is below the minimum volume of {plain(spec.volume_min)} lots: nothing was "
            f"sent. Check that the strategy's alerts send sizes in the unit the strategy expects (units or lots)."
        )
    cap = ctx.settings.max_lots
    if cap is not None and abs(target) > dec(cap):
        raise PlanRejected(
            f"{shown} on {spec.name} is above the strategy's lot cap of {plain(cap)} lots. The bridge never "
            f"reduces a size on its own: nothing was sent."
        )


def _to_lots(ctx: Context, action: SyncAction, size: float) -> Decimal:
    value = abs(dec(size))
    if action.size_unit == VolumeUnit.LOTS:
        return value
    if action.size_unit == VolumeUnit.UNITS:
        return units_to_lots(value, ctx.spec)
    raise PlanRejected(
        f"TradingView position sizes must be in units or lots, not {action.size_unit.value.replace('_', ' ')}."
    )


def _target(ctx: Context, action: SyncAction, actual: Decimal) -> Decimal:
    """TradingView's position after the fill, in signed lots (before rounding)."""
    if action.target == "flat":
        return Decimal(0)
    sign = 1 if action.target == "long" else -1
    if action.target_size is not None:
        return sign * _to_lots(ctx, action, action.target_size)
    if action.order_size is not None and action.order_side is not None:
        if action.prev == "flat":
            before = Decimal(0)
        elif action.prev is not None and action.prev_size is not None:
            before = _to_lots(ctx, action, action.prev_size) * (1 if action.prev == "long" else -1)
        else:
            before = actual
        fill = _to_lots(ctx, action, action.order_size) * (1 if action.order_side == Side.BUY else -1)
        after = before + fill
        if after * sign <= 0:
            raise PlanRejected(
                f"TradingView says the position is now {action.target}, but {_net(before)} plus a "
                f"{action.order_side.value} of {fmt_lots(abs(fill))} lots is {_net(after)} on {ctx.spec.name}: "
                f"the alert contradicts itself. Nothing was sent."
            )
        return after
    raise PlanRejected(
        f"TradingView says the position is {action.target} but the alert gives no position size "
        f"({{{{strategy.market_position_size}}}}) and no order size: nothing was sent."
    )


def _check_prev(ctx: Context, action: SyncAction, actual: Decimal) -> None:
    """Refuse when the position TradingView had before this fill is not the one the strategy holds."""
    if action.prev is None:
        return
    step = dec(ctx.spec.volume_step) if ctx.spec.volume_step > 0 else dec(ctx.spec.volume_min)
    if action.prev == "flat":
        agrees, before = actual == 0, "flat"
    else:
        sign = 1 if action.prev == "long" else -1
        agrees, before = actual * sign > 0, action.prev
        if action.prev_size is not None:
            size = _to_lots(ctx, action, action.prev_size)
            before = f"{fmt_lots(size)} lots {action.prev}"
            agrees = agrees and abs(abs(actual) - size) < step
    if not agrees:
        raise PlanRejected(
            f"TradingView says the position before this fill was {before}, but the strategy holds "
            f"{_net(actual, 'no position')} on {ctx.spec.name}: this alert is a duplicate or arrived out of order. "
            f"Nothing was sent."
        )


def _net(lots: Decimal, flat: str = "flat") -> str:
    """``"0.50 lots long"``, ``"0.50 lots short"`` or ``flat``."""
    if lots == 0:
        return flat
    return f"{fmt_lots(abs(lots))} lots {'long' if lots > 0 else 'short'}"
