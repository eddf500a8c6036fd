"""Server-side gates an alert passes before it becomes a job. Each returns ``None`` (pass) or the sentence
stored as the signal's ``error_message``.

Gates that need the terminal's state (spread filter, max open positions, symbol existence) run on the agent,
in ``agent.planner``; these need only the database.
"""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta

from sqlalchemy import func
from sqlmodel import Session, col, select

from contract.intent import TradeIntent
from server.models import AccountSnapshot, AppSettings, Signal, SignalStatus, Strategy

#: The ``error_message`` of a signal discarded by the daily loss limit (an exact, documented string).
DAILY_LOSS_LIMIT_REACHED = "daily_loss_limit_reached"

#: Alert ids are unique by construction, so a repeated id is a duplicate for this long.
ALERT_ID_WINDOW = timedelta(hours=24)


def body_hash(body: bytes) -> str:
    """SHA-256 of the raw body, hex (identical resends of one alert hash the same)."""
    return hashlib.sha256(body).hexdigest()


def daily_loss_breached(session: Session, strategy: Strategy, settings: AppSettings) -> bool:
    """True when today's realised loss reached ``daily_loss_limit_pct`` of the day's starting balance.

    Reads the latest account snapshot of the strategy's agent (``AccountSnapshot.realized_pnl_today``,
    account currency). No snapshot yet or no limit set: not breached.
    """
    if settings.daily_loss_limit_pct is None:
        return False
    snap = session.get(AccountSnapshot, strategy.agent_id)
    if snap is None or snap.day_start_balance <= 0:
        return False
    limit = snap.day_start_balance * settings.daily_loss_limit_pct / 100.0
    return -snap.realized_pnl_today >= limit


def _base_symbol(symbol: str) -> str:
    return symbol.split(":")[-1].strip().upper()


def symbol_not_allowed(strategy: Strategy, intent: TradeIntent) -> str | None:
    """Refuse a symbol outside the strategy's ``allowed_pairs`` (empty list: every symbol is allowed).

    Compared case-insensitively, with and without a TradingView ``EXCHANGE:`` prefix.
    """
    if not strategy.allowed_pairs or not intent.symbol:
        return None
    allowed = {_base_symbol(p) for p in strategy.allowed_pairs}
    if _base_symbol(intent.symbol) in allowed:
        return None
    return (
        f"Symbol {intent.symbol} is not in this strategy's allowed pairs ({', '.join(sorted(allowed))}). "
        f"Add it to the strategy's allowed pairs, or fix the symbol in the alert."
    )


def find_duplicate(
    session: Session, strategy: Strategy, intent: TradeIntent, digest: str, now: datetime
) -> tuple[Signal, str] | None:
    """The earlier signal this alert repeats, with the reason, or ``None``.

    Same ``alert_id`` within 24 h, or, for alerts without an id, the identical body within the strategy's
    ``dedup_window_seconds`` (TradingView resends an alert after a 5xx, tradingview-and-bridges.md §4).
    Only earlier signals that traded or may still trade (``executed``, ``pending``) count: an alert that was
    refused, discarded or failed must go through when it is sent again.
    """
    live = col(Signal.status).in_([SignalStatus.EXECUTED, SignalStatus.PENDING])
    base = select(Signal).where(Signal.strategy_id == strategy.id, live)
    if intent.alert_id:
        stmt = base.where(Signal.idempotency_key == intent.alert_id, Signal.created_at >= now - ALERT_ID_WINDOW)
        hit = session.exec(stmt.order_by(col(Signal.id).desc())).first()
        return (hit, f"alert id {intent.alert_id!r}") if hit else None
    if strategy.dedup_window_seconds <= 0:
        return None
    since = now - timedelta(seconds=strategy.dedup_window_seconds)
    stmt = base.where(Signal.body_hash == digest, Signal.created_at >= since)
    hit = session.exec(stmt.order_by(col(Signal.id).desc())).first()
    return (hit, f"an identical message within {strategy.dedup_window_seconds} s") if hit else None


def max_age_seconds(strategy: Strategy, intent: TradeIntent) -> int:
    """How old an alert may get before it must not trade: its own ``max_lag`` if it carries one (3Commas),
    else the strategy's ``max_signal_age_seconds``."""
    return intent.max_age_seconds or strategy.max_signal_age_seconds


def deadline(strategy: Strategy, intent: TradeIntent, now: datetime) -> datetime:
    """The moment after which the alert's job must not be sent: max age counted from when TradingView fired the
    alert (its ``time``/``timenow``/``timestamp``) when it says so, else from its receipt. Delivery delays eat
    into the age, they do not extend it."""
    fired = min(intent.alert_time, now) if intent.alert_time is not None else now
    return fired + timedelta(seconds=max_age_seconds(strategy, intent))


def stale_reason(strategy: Strategy, intent: TradeIntent, now: datetime) -> str | None:
    """Refuse an alert whose own timestamp (``time``/``timenow``/``timestamp``) is older than the max age.

    The max age is the alert's own ``max_lag`` when it carries one, else the strategy's
    ``max_signal_age_seconds``. Alerts without a timestamp pass (their age is checked at execution).
    """
    if intent.alert_time is None:
        return None
    max_age = max_age_seconds(strategy, intent)
    age = (now - intent.alert_time).total_seconds()
    if age <= max_age:
        return None
    return (
        f"The alert is {age:.0f} s old (fired {intent.alert_time:%Y-%m-%d %H:%M:%S} UTC), older than the "
        f"maximum age of {max_age} s, so it was not traded. Check the alert's time field, your PC clock, "
        f"or raise the strategy's max signal age."
    )


def trade_cap_reached(session: Session, strategy: Strategy, now: datetime) -> str | None:
    """Refuse entries once the strategy's ``max_trades_per_day`` signals (UTC day) were executed or are pending."""
    if strategy.max_trades_per_day is None:
        return None
    day_start = now.replace(hour=0, minute=0, second=0, microsecond=0)
    stmt = select(func.count()).where(
        Signal.strategy_id == strategy.id,
        Signal.created_at >= day_start,
        col(Signal.status).in_([SignalStatus.EXECUTED, SignalStatus.PENDING]),
    )
    count = session.exec(stmt).one()
    if count < strategy.max_trades_per_day:
        return None
    return (
        f"Daily trade cap reached: {count} of {strategy.max_trades_per_day} trades today for this strategy. "
        f"New entries resume tomorrow (UTC), or raise the strategy's max trades per day."
    )
