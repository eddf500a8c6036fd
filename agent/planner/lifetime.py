"""A pending order's lifetime: the alert's :class:`~contract.intent.OrderLifetime` -> MT5 ``type_time`` and
``expiration``, only where the symbol allows it.

Rules (mt5-api §2.3 "type_time / expiration"; mt5-constants §1.4, §2):

- The lifetimes a symbol takes are its ``SymbolInfo.expiration_mode`` bits (SYMBOL_EXPIRATION_GTC 1, DAY 2,
  SPECIFIED 4, SPECIFIED_DAY 8); any other is answered 10022 TRADE_RETCODE_INVALID_EXPIRATION. The planner
  refuses it first with a sentence naming what the symbol allows and how to ask for it.
- No lifetime in the alert: good till cancelled, as before (ORDER_TIME_GTC) — refused on a symbol without GTC,
  since choosing another lifetime for the trader would be a guess.
- ``gtc`` -> ORDER_TIME_GTC, ``day`` -> ORDER_TIME_DAY, ``specified`` -> ORDER_TIME_SPECIFIED with ``expiration``.
- ``expiration`` is in trade-server seconds, not UTC: the expiry (an absolute UTC time, or now + a duration) plus
  the broker clock's measured offset (:mod:`agent.broker.clock`). While the offset is not measured yet it is read
  from the tick just taken, rounded to 15 minutes like the clock does (the tick's time is the server's "now",
  mt5-api §2.3 [inf]), and the signal's notes say so.
- An expiry not in the future, or more than 366 days ahead, is refused: nothing is sent.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from agent.broker.clock import MAX_OFFSET_SECONDS, STEP_SECONDS
from agent.broker.models import OrderTime, SymbolSpec
from agent.planner.context import Context
from agent.planner.types import PlanRejected
from contract.intent import OrderLifetime, TimeInForce

#: The furthest expiry accepted.
MAX_AHEAD = timedelta(days=366)

_WORDS = {
    OrderTime.GTC: "good till cancelled (timeInForce=gtc)",
    OrderTime.DAY: "for the day (timeInForce=day)",
    OrderTime.SPECIFIED: "until a set time (expiry=)",
    OrderTime.SPECIFIED_DAY: "to the end of a given day",
}
_ORDER = (OrderTime.GTC, OrderTime.DAY, OrderTime.SPECIFIED, OrderTime.SPECIFIED_DAY)


@dataclass(frozen=True)
class PendingLifetime:
    """What a pending order is sent with: ``type_time``, ``expiration`` (trade-server epoch seconds, 0 unless
    specified), and ``words`` for the request's description (``"good till cancelled"``, ``"expires 2026-12-01
    18:00:00 UTC"``)."""

    type_time: OrderTime
    expiration: int = 0
    words: str = "good till cancelled"


def allowed_words(spec: SymbolSpec) -> str:
    """The lifetimes ``spec`` allows, in words: ``"good till cancelled (timeInForce=gtc) or for the day ..."``."""
    names = [_WORDS[t] for t in _ORDER if t in spec.expiration_modes]
    if not names:
        return "none (the broker gives no expiration mode for it)"
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " or " + names[-1]


def pending_lifetime(ctx: Context, lifetime: OrderLifetime | None) -> PendingLifetime:
    """The lifetime to send a pending order of the alert's symbol with.

    :raises PlanRejected: the symbol does not allow it, or the expiry is not in the future or absurdly far.
    """
    spec = ctx.spec
    tif = lifetime.time_in_force if lifetime else TimeInForce.GTC
    wanted = {TimeInForce.GTC: OrderTime.GTC, TimeInForce.DAY: OrderTime.DAY}.get(tif, OrderTime.SPECIFIED)
    if wanted not in spec.expiration_modes:
        asked = _WORDS[wanted].split(" (")[0]
        default = "" if lifetime else " (an alert without timeInForce or expiry asks for that)"
        raise PlanRejected(
            f"{spec.name} does not take pending orders that live {asked}{default}: the broker allows "
            f"{allowed_words(spec)}. Change the alert's lifetime to one of those. Nothing was sent."
        )
    if wanted is OrderTime.GTC:
        return PendingLifetime(OrderTime.GTC)
    if wanted is OrderTime.DAY:
        return PendingLifetime(OrderTime.DAY, words="for the day")
    assert lifetime is not None
    now = ctx.market.now or datetime.now(UTC)
    if lifetime.duration_seconds is not None:
        expires = now + timedelta(seconds=lifetime.duration_seconds)
    else:
        assert lifetime.expires_at is not None
        expires = lifetime.expires_at.astimezone(UTC)
    if expires <= now:
        raise PlanRejected(
            f"The alert's expiry {expires:%Y-%m-%d %H:%M:%S} UTC is already past (now {now:%Y-%m-%d %H:%M:%S} UTC): "
            f"the pending order would expire before it is placed. Nothing was sent: send a later expiry or a "
            f"duration such as expiry=30m."
        )
    if expires - now > MAX_AHEAD:
        raise PlanRejected(
            f"The alert's expiry {expires:%Y-%m-%d %H:%M} UTC is more than 366 days away, which is not a usable "
            f"order lifetime. Nothing was sent: check the date, or use timeInForce=gtc."
        )
    offset = _server_offset(ctx, now)
    return PendingLifetime(
        OrderTime.SPECIFIED,
        expiration=int(expires.timestamp()) + offset,
        words=f"expires {expires:%Y-%m-%d %H:%M:%S} UTC",
    )


def _server_offset(ctx: Context, now: datetime) -> int:
    """The broker clock's offset from UTC in seconds: measured, or read from the current tick (with a note)."""
    if ctx.market.server_offset is not None:
        return ctx.market.server_offset
    quote = ctx.market.quote
    tick_seconds = quote.time_msc / 1000 if quote.time_msc else float(quote.time)
    if tick_seconds > 0:
        offset = round((tick_seconds - now.timestamp()) / STEP_SECONDS) * STEP_SECONDS
        if abs(offset) <= MAX_OFFSET_SECONDS:
            ctx.notes.append(
                f"The broker's clock was not measured yet: the expiry was converted to its time with the offset "
                f"read from the latest {ctx.spec.name} tick (UTC{offset / 3600:+g} h)."
            )
            return offset
    raise PlanRejected(
        f"The broker's clock is not known yet (no live {ctx.spec.name} tick), so the expiry cannot be converted to "
        f"the trade server's time. Nothing was sent: send the alert again once prices are arriving."
    )


def market_lifetime_note(lifetime: OrderLifetime | None) -> str | None:
    """A note for a market entry that carried ``gtc``/``day`` (the parser refuses an expiry there)."""
    if lifetime is None:
        return None
    return (
        f"timeInForce {lifetime.time_in_force.value} has no effect on a market order: MetaTrader 5 fills it at once."
    )
