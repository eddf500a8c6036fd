"""Ownership on netting accounts: what a deal does to the other owners of the symbol's one position, and whether the
strategy's settings allow it.

A netting account keeps one position per symbol (mt5-api §5.5); the strategy's holding is its own share of it
(:mod:`agent.shares`). The share model (:mod:`contract.netting`) books an opposite deal against the dealer's own
share first, then against the other owners pro rata, and only then reverses the position; a deal in the position's
direction adds to the dealer's share. Two things can therefore move what another owner holds:

- **netting against others**: an opposite deal larger than the strategy's own share. Governed by
  ``netting_against_others``: ``refuse`` (default: nothing is sent, a sentence says why), ``strategies`` (other
  tvbridge strategies' shares may move, never manual trades or other EAs) or ``anyone``. What was allowed is
  reported, and the ledger records whose share moved (exit reason ``other_strategy`` / ``manual``).
- **shared SL/TP**: a netting position has one SL and one TP for everyone holding it, and an adding deal's
  levels replace them (a 0 removes them, mt5-api §5.5 "SL/TP inheritance"); a modification moves them too.
  Governed by ``shared_stops``: ``refuse`` (default) or ``allow`` (and say so).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from agent.broker.models import SymbolSpec
from agent.planner.book import Holding, NetPosition, Owner
from agent.planner.context import Context
from agent.planner.text import fmt_lots, fmt_price
from agent.planner.types import PlanRejected


@dataclass(frozen=True)
class Opposing:
    """What an opposite deal of ``lots`` does on a netting position: ``own`` lots close the strategy's share,
    ``foreign`` lots are taken from the other owners (``taken``: each one's part), ``opens`` lots reverse the
    position into the strategy's new share."""

    lots: Decimal
    own: Decimal
    foreign: Decimal
    taken: tuple[tuple[Owner, Decimal], ...]
    opens: Decimal


def opposing(net: NetPosition, lots: Decimal) -> Opposing:
    """Split an opposite deal of ``lots`` on ``net`` as the share model books it."""
    own = min(lots, abs(net.own))
    others = abs(net.others_volume)
    foreign = min(lots - own, others)
    taken = tuple((o, abs(o.volume) * foreign / others) for o in net.others if o.volume) if foreign else ()
    return Opposing(lots, own, foreign, taken, lots - own - foreign)


def account_position(net: NetPosition, spec: SymbolSpec) -> str:
    """``the account's 1.50-lot EURUSD long``."""
    return f"the account's {fmt_lots(abs(net.volume))}-lot {spec.name} {net.side}"


def holders(owners: list[Owner] | tuple[Owner, ...]) -> str:
    """``strategy 'B' (1.00 lots) and manual trades and other EAs (0.50 lots)``."""
    parts = [f"{o.name} ({fmt_lots(abs(o.volume))} lots)" for o in owners if o.volume]
    return " and ".join(parts) if parts else "nobody else"


def check_opposing(ctx: Context, spec: SymbolSpec, buy: bool, lots: Decimal, net: NetPosition) -> Opposing:
    """Allow or refuse an opposite deal on a netting position by ``netting_against_others``.

    :raises PlanRejected: the deal would net against volume the setting does not let the strategy touch.
    """
    effect = opposing(net, lots)
    if not effect.foreign:
        return effect
    policy = ctx.settings.netting_against_others
    manual = [o for o, _ in effect.taken if not o.strategy]
    allowed = policy == "anyone" or (policy == "strategies" and not manual)
    me = ctx.book.name()
    what = f"{'buy' if buy else 'sell'} of {fmt_lots(lots)} lots"
    own = f"closes the {fmt_lots(effect.own)} lots {me} holds and " if effect.own else ""
    moved = "; ".join(f"{fmt_lots(part)} lots of {o.name}" for o, part in effect.taken)
    if not allowed:
        whose = "the trader's manual trades or another EA" if manual else "another strategy"
        raise PlanRejected(
            f"On this netting account the {what} {own}would net {fmt_lots(effect.foreign)} lots against "
            f"{account_position(net, spec)} held by {holders(net.others)}: it would move {moved}. {me.capitalize()} "
            f"trades only its own share, and its setting netting_against_others = {policy} does not let it move "
            f"the volume of {whose}, so nothing was sent. Close only the strategy's own lots, or change the setting."
        )
    ctx.notes.append(
        f"On this netting account the {what} {own}nets {fmt_lots(effect.foreign)} lots against "
        f"{account_position(net, spec)}: it moves {moved} (allowed by netting_against_others = {policy}); the "
        f"ledger records those closes as made by {me}."
    )
    return effect


def check_shared_levels(
    ctx: Context, spec: SymbolSpec, net: NetPosition | None, sl: float, tp: float, *, adding: Decimal | None = None
) -> None:
    """Allow or refuse SL/TP that would replace the levels of a netting position other owners share.

    ``sl``/``tp`` are the levels the request sets on the whole position (0.0: none); ``adding`` the lots of an
    adding deal (``None`` for a modification).

    :raises PlanRejected: the levels would change and ``shared_stops`` is ``refuse``.
    """
    if net is None or not net.others_volume:
        return
    changes = [
        f"{name} {fmt_price(old, spec.digits) if old else 'none'} -> {fmt_price(new, spec.digits) if new else 'none'}"
        for name, old, new in (("SL", net.sl, sl), ("TP", net.tp, tp))
        if old != new
    ]
    me = ctx.book.name()
    if not changes:
        if adding is not None and (net.sl or net.tp):
            kept = ", ".join(f"{n} {fmt_price(v, spec.digits)}" for n, v in (("SL", net.sl), ("TP", net.tp)) if v)
            ctx.notes.append(
                f"{account_position(net, spec).capitalize()} is shared with {holders(net.others)}: its {kept} stay "
                f"as they are and now also cover the {fmt_lots(adding)} lots of {me}."
            )
        return
    change = ", ".join(changes)
    if ctx.settings.shared_stops != "allow":
        raise PlanRejected(
            f"The SL/TP of a netting position belong to the whole position, and {account_position(net, spec)} is "
            f"shared with {holders(net.others)}: this alert would change them ({change}) for them too. "
            f"The setting shared_stops = refuse of {me} does not allow that, so nothing was sent. Send the "
            f"alert without SL/TP, or allow shared stops in the strategy's settings."
        )
    ctx.notes.append(
        f"The SL/TP of {account_position(net, spec)} are shared with {holders(net.others)}: this alert changes "
        f"them for everyone holding it ({change}; allowed by shared_stops = allow)."
    )


def close_description(ctx: Context, spec: SymbolSpec, holding: Holding, volume: Decimal) -> str | None:
    """What closing ``volume`` of the strategy's share does to a shared netting position, in words:
    ``close the 1.00 lots of strategy 'A' in the account's 1.50-lot EURUSD long #5 (0.50 of strategy 'B' stay
    open)``;
    ``None`` when the strategy holds the position alone."""
    net = holding.net
    if net is None or not net.others_volume:
        return None
    left = holding.volume - volume
    mine = f"{fmt_lots(left)} of {ctx.book.name()} and " if left > 0 else ""
    remains = " and ".join(f"{fmt_lots(abs(o.volume))} of {o.name}" for o in net.others if o.volume)
    ticket = f" #{holding.ticket}" if holding.ticket else ""
    return (
        f"close the {fmt_lots(volume)} lots of {ctx.book.name()} in {account_position(net, spec)}{ticket} "
        f"({mine}{remains} stay open)"
    )
