"""A strategy's own entry rules: the trading session and the pyramiding limit (outcome ``discarded``: the entry was
deliberately skipped, with a sentence).

- Session (``settings.trading_session``, ``HH:MM-HH:MM`` in ``settings.rules_timezone``; it may cross midnight, e.g.
  ``22:00-06:00``): outside it, an alert that adds exposure is skipped. Exits are never held back: an alert that
  only closes, cancels or modifies passes, and one that mixes an exit with an entry (``closelongbuy``) is skipped
  as a whole, as the spread and account filters skip it (PineConnector skips the signal).
- Pyramiding (``settings.max_entries_per_direction``, as PineConnector's and PickMyTrade's "max entries per
  direction"): an entry on a side of a symbol where the strategy already made that many entries (open positions on
  hedging; entry deals of its share since it was last flat on netting; pending orders on that side count too).

Time zones are IANA names read through :mod:`zoneinfo` (the ``tzdata`` package on Windows).
"""

from __future__ import annotations

from datetime import datetime, time
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from agent.planner.context import Context
from agent.planner.targets import level_siblings
from agent.planner.types import PlanRejected
from contract.intent import OpenAction, SyncAction, TradeIntent


def zone(name: str) -> ZoneInfo:
    """The IANA time zone ``name``. :raises PlanRejected: an unknown zone (the settings are wrong)."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise PlanRejected(
            f"The strategy's rules time zone {name!r} is not a time zone this computer knows (use a name such as "
            f"Europe/London or America/New_York)."
        ) from exc


def clock(text: str) -> time:
    """``HH:MM`` as a :class:`datetime.time`."""
    hours, minutes = text.split(":")
    return time(int(hours), int(minutes))


def in_session(session: str, moment: datetime, tz: ZoneInfo) -> bool:
    """True when aware ``moment`` lies inside ``session`` (``HH:MM-HH:MM``, start included, end excluded) in
    ``tz``; a session whose end is not after its start crosses midnight."""
    start, end = (clock(part) for part in session.split("-"))
    local = moment.astimezone(tz).time().replace(second=0, microsecond=0)
    if start < end:
        return start <= local < end
    return local >= start or local < end


def opens(intent: TradeIntent) -> bool:
    """True when a step can add exposure (a sync to flat only closes)."""
    return any(isinstance(a, OpenAction) or (isinstance(a, SyncAction) and a.target != "flat") for a in intent.actions)


def check_session(ctx: Context) -> None:
    """Skip an alert that adds exposure outside the strategy's trading session."""
    session, now = ctx.settings.trading_session, ctx.market.now
    if not session or now is None or not opens(ctx.intent):
        return
    tz = zone(ctx.settings.rules_timezone)
    if in_session(session, now, tz):
        return
    raise PlanRejected(
        f"Outside the strategy's trading session ({session} {tz.key}; it is {now.astimezone(tz):%H:%M} there), so "
        f"this entry was skipped. Exits are never held back by the session.",
        outcome="discarded",
    )


def check_entries(ctx: Context, symbol: str, side: str) -> None:
    """Skip an entry on ``side`` (``long``/``short``) of ``symbol`` beyond ``max_entries_per_direction``."""
    cap = ctx.settings.max_entries_per_direction
    if cap is None:
        return
    made = sum(h.entries for h in ctx.book.positions(symbol, (side,))) - level_siblings(ctx, symbol, side)
    made += len(ctx.book.pending(symbol, (side,)))
    if made >= cap:
        raise PlanRejected(
            f"Pyramiding limit: {ctx.book.name()} already has {made} {side} entr{'y' if made == 1 else 'ies'} on "
            f"{symbol} (max entries per direction {cap}), so this entry was skipped.",
            outcome="discarded",
        )
