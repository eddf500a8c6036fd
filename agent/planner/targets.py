"""Market entries with several take-profit levels (TP1, TP2, TP3), each closing a share of the volume.

Volumes: each level but the last gets ``total x share``, rounded DOWN to the volume step; the last level gets
what is left, so the levels always add up to the entry's volume exactly (the rounding remainder rides to the last
level). A level below the symbol's ``volume_min`` refuses the alert with a sentence: the bridge never merges or
drops a level on its own.

Prices: each level is measured like a single ``tp=`` (from the expected fill, PineConnector Target Type), must be
on the profit side of the market (mt5-api §4.2 table) and further from it than the level before (TP1 nearest): on
netting the last level is the broker's TP of the whole position, and a nearer one would close it before the
earlier levels.

- **Hedging**: one position per level, each with its own TP and the common SL, all with the strategy's magic
  number and the comment ``tvb:<signal id>/<level>`` (the alert's ``comment=`` after a space in the room left,
  agent/planner/comment.py), so a crash between two levels leaves each level findable (agent/executor.py sends
  only the missing ones).
- **Netting**: one deal for the whole volume (MT5 keeps one position per symbol, mt5-api §5.5) with the last
  level as its TP at the broker; the agent closes each earlier level's share as the price reaches it
  (agent/targets.py), and the ledger records each close as "TP<n> reached".
"""

from __future__ import annotations

from decimal import Decimal

from agent.broker.models import SymbolSpec
from agent.planner.book import LONG, SHORT
from agent.planner.comment import split_level
from agent.planner.context import Context
from agent.planner.levels import check_position_levels, level_price
from agent.planner.plausible import check_reading
from agent.planner.text import dec, fmt_lots, fmt_price, plain
from agent.planner.types import PlannedRequest, PlanRejected, TargetLevel
from agent.planner.volume import round_down
from contract.intent import OpenAction


def level_siblings(ctx: Context, symbol: str | None, side: str | None = None) -> int:
    """How many of the strategy's hedging positions on ``symbol`` (every symbol: ``None``) and ``side`` (both:
    ``None``) are further levels of an entry already counted (``tvb:<id>/2`` and ``/3`` beside ``/1``): one entry
    with three levels is one entry for pyramiding and one position for ``max_open_positions``."""
    if ctx.netting:
        return 0
    open_tickets = {h.ticket for h in ctx.book.positions(symbol, (side,) if side else (LONG, SHORT))}
    comments = {p.ticket: p.comment for p in (*ctx.market.positions, *ctx.market.all_positions)}
    tags: list[str] = []
    for ticket, comment in comments.items():
        if ticket in open_tickets and (found := split_level(comment)) is not None:
            tags.append(found[0])
    return len(tags) - len(set(tags))


def level_prices(ctx: Context, action: OpenAction, spec: SymbolSpec, *, buy: bool, fill: float) -> list[float]:
    """The normalised price of each level, checked against the market and against each other.

    :raises PlanRejected: a level on the wrong side of the market, inside the stops level, or not further than the
        level before it; a ``tpN=`` read as pips per the Target Type that looks like a price
        (:func:`agent.planner.plausible.check_reading`).
    """
    quote = ctx.quote_for(spec.name)
    prices: list[float] = []
    for n, lv in enumerate(action.take_profits, 1):
        check_reading(
            ctx, f"tp{n}", lv.tp, above=buy, ref=fill, ref_name="the ask" if buy else "the bid", spec=spec,
            pip=lambda: ctx.pip(spec),
        )
        price = level_price(lv.tp, above=buy, ref=fill, spec=spec, pip=lambda: ctx.pip(spec), what=f"TP{n}")
        assert price is not None  # lv.tp is set
        try:
            check_position_levels(spec, quote, long=buy, sl=None, tp=price)
        except PlanRejected as exc:
            raise PlanRejected(f"TP{n}: {exc} Nothing was sent.") from exc
        if prices and (price <= prices[-1] if buy else price >= prices[-1]):
            way = "above" if buy else "below"
            raise PlanRejected(
                f"TP{n} {fmt_price(price, spec.digits)} is not {way} TP{n - 1} {fmt_price(prices[-1], spec.digits)}: "
                f"the levels of a {'buy' if buy else 'sell'} go further from the market one after the other "
                f"(TP1 nearest). Nothing was sent."
            )
        prices.append(price)
    return prices


def level_volumes(ctx: Context, action: OpenAction, spec: SymbolSpec, total: Decimal) -> list[Decimal]:
    """Each level's lots: its share of ``total`` rounded down to the step, the remainder on the last level.

    :raises PlanRejected: a level below the symbol's minimum volume.
    """
    shares = [dec(lv.share_pct) for lv in action.take_profits]
    volumes = [round_down(total * share / 100, spec) for share in shares[:-1]]
    volumes.append(total - sum(volumes, Decimal(0)))
    minimum = dec(spec.volume_min)
    for n, (share, lots) in enumerate(zip(shares, volumes, strict=True), 1):
        if lots <= 0 or lots < minimum:
            raise PlanRejected(
                f"TP{n}'s share of {plain(share)}% of {fmt_lots(total)} lots comes to {fmt_lots(lots)} lots "
                f"(rounded down to the volume step {plain(spec.volume_step)}), below {spec.name}'s minimum volume "
                f"of {plain(spec.volume_min)} lots. Send a larger volume, fewer levels or larger shares: "
                f"nothing was sent."
            )
    return volumes


def share_words(lots: Decimal, total: Decimal, asked_pct: Decimal) -> str:
    """``50%`` when the level's lots are the share asked for, else ``33%; asked 30%`` (the volume step's rounding
    moved it), so a trader reads what each level really closes. Percentages of ``total`` lots, to 1 decimal."""
    tenth = Decimal("0.1")
    got = (lots * 100 / total).quantize(tenth) if total else Decimal(0)
    asked = asked_pct.quantize(tenth)
    return f"{plain(asked)}%" if got == asked else f"{plain(got)}%; asked {plain(asked)}%"


def plan_levels(
    ctx: Context, action: OpenAction, spec: SymbolSpec, *, buy: bool, lots: Decimal, sl: float | None,
    prices: list[float],
) -> list[PlannedRequest]:
    """The entry's requests: one per level on hedging, one with agent-watched levels on netting."""
    from agent.planner.entries import market_entry  # entries imports this module

    volumes = level_volumes(ctx, action, spec, lots)
    digits = spec.digits
    plan = ", ".join(
        f"TP{n} {fmt_price(p, digits)} for {fmt_lots(v)} lots ({share_words(v, lots, dec(lv.share_pct))})"
        for n, (p, v, lv) in enumerate(zip(prices, volumes, action.take_profits, strict=True), 1)
    )
    ctx.notes.append(f"Take-profit levels of the {fmt_lots(lots)} lots: {plan}.")
    if not ctx.netting:
        ctx.notes.append(
            f"On this hedging account each level is its own position with its own take profit"
            f"{' and the common stop loss ' + fmt_price(sl, digits) if sl else ''}; the broker closes each at "
            f"its level, even while tvbridge is not running."
        )
        requests: list[PlannedRequest] = []
        for n, (price, volume) in enumerate(zip(prices, volumes, strict=True), 1):
            (entry,) = market_entry(ctx, spec, buy, volume, sl, price, level=n)
            requests.append(entry)
        return requests
    net = ctx.book.net_position(spec.name)
    side = LONG if buy else SHORT
    if net is not None and net.side != side:
        raise PlanRejected(
            f"On this netting account the {'buy' if buy else 'sell'} would net against the {net.side} position on "
            f"{spec.name}, and take-profit levels need a position of their own side to close parts of. Close the "
            f"{net.side} position first (or send one tp=): nothing was sent."
        )
    last = len(prices)
    targets = tuple(
        TargetLevel(number=n, price=p, lots=float(v))
        for n, (p, v) in enumerate(zip(prices[:-1], volumes[:-1], strict=True), 1)
    )
    watched = ", ".join(f"{fmt_lots(t.lots)} lots at TP{t.number}" for t in targets)
    ctx.notes.append(
        f"On this netting account the {spec.name} position is one: it gets TP{last} "
        f"{fmt_price(prices[-1], digits)} at the broker, and tvbridge closes {watched} when the "
        f"{'bid' if buy else 'ask'} reaches them (checked twice a second while tvbridge runs; it cannot act while "
        f"the PC is off, and then the broker's TP{last} closes everything)."
    )
    (entry,) = market_entry(ctx, spec, buy, lots, sl, prices[-1])
    return [PlannedRequest(entry.request, entry.description, entry.opens, entry.kind, targets=targets)]
