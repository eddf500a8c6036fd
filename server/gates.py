"""The intake gates: an ordered list of small functions, each deciding one thing about one alert.

:data:`GATES` runs in the documented order (docs/architecture.md "Data path of one alert"). Each gate reads an
:class:`Alert` — the strategy and settings from the writer's in-memory view, the parsed body, the agent's daily
P&L, today's trade count, a duplicate lookup — and returns ``None`` (pass) or the :class:`Verdict` that ends the
alert: its final status, the sentence stored as the signal's ``error_message`` (or note), and the gate's name,
stored as the signal's ``decided_by`` so the dashboard can show which gate decided.

Gates that need the terminal's state (spread filter, max open positions, symbol existence) run on the agent, in
``agent.planner``; these need only the view. They run inside the writer, one alert after the other, so the
duplicate check, the trade count and the eaoff/eaon switch see every alert queued before this one.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from contract.intent import ControlAction, TradeIntent
from contract.timeframes import try_normalize_timeframe
from server.alerts import AlertRejected, LicenseMismatch
from server.models import SignalStatus
from server.signatures import SENTENCES, Problem, SignatureCheck
from server.view import AgentPnl, SettingsView, StrategyView

#: Alert ids are unique by construction, so a repeated id is a duplicate for this long.
ALERT_ID_WINDOW = timedelta(hours=24)

#: Bodies beyond this are refused (TradingView documents no limit; real alerts are well under 4 KiB).
MAX_BODY_BYTES = 64 * 1024

#: ``(strategy, intent, body hash, now) -> (earlier signal id, why)`` of the earlier signal this alert repeats.
DuplicateLookup = Callable[[StrategyView, TradeIntent, str, datetime], "tuple[int, str] | None"]


def body_hash(body: bytes) -> str:
    """SHA-256 of the raw body, hex (identical resends of one alert hash the same)."""
    return hashlib.sha256(body).hexdigest()


@dataclass(frozen=True)
class Verdict:
    """How a gate ended an alert: its final ``status``, the sentence for the trader, and the gate's name.
    ``detail``: a short word for the security-event log (which signature problem, which rate limit)."""

    status: SignalStatus
    message: str | None
    gate: str
    detail: str | None = None


@dataclass
class Alert:
    """Everything the gates read about one alert. ``parsed`` is the :class:`TradeIntent` or the parser's refusal
    (``None`` when the body was too large to parse); ``body_size`` in bytes; ``trades_today`` counts the
    strategy's signals created today (UTC) that traded or may still trade; ``pnl`` is the strategy's agent's latest
    daily figures (``None``: no snapshot yet). ``halt`` is set by the eaoff/eaon gate: the strategy's new halted
    state, which the writer stores with the signal.

    Sender authentication: ``signature`` is the checked ``X-TVBridge-Signature`` (``None``: the strategy requires
    none), ``remember_signature(key)`` the writer's replay memory (``False``: seen before);
    ``alert_secret_proven``: the universal endpoint routed the alert by the strategy's webhook secret, which
    stands in for ``secret=``; ``rate_over``: which rate limit the alert is over (``None``: within them), counted
    on the event loop (server/ratelimits.py)."""

    strategy: StrategyView
    settings: SettingsView
    body_size: int
    body_hash: str
    parsed: TradeIntent | AlertRejected | None
    now: datetime
    pnl: AgentPnl | None = None
    trades_today: int = 0
    find_duplicate: DuplicateLookup | None = None
    halt: bool | None = None
    signature: SignatureCheck | None = None
    remember_signature: Callable[[str], bool] | None = None
    alert_secret_proven: bool = False
    rate_over: str | None = None

    @property
    def intent(self) -> TradeIntent:
        """The parsed alert (only after the ``parse`` gate passed). :raises LookupError: it did not parse."""
        if not isinstance(self.parsed, TradeIntent):
            raise LookupError("the alert did not parse")
        return self.parsed


Gate = Callable[[Alert], Verdict | None]


def signature(a: Alert) -> Verdict | None:
    """Refuse an alert of a strategy that requires signed alerts (it has a ``signing_secret``) when the
    ``X-TVBridge-Signature`` header is missing, malformed, dated outside the window, does not match, or repeats one
    already accepted (server/signatures.py). Checked before anything else is read from the alert."""
    check = a.signature
    if check is None:
        return None
    problem = check.problem
    if problem is None and a.remember_signature is not None and not a.remember_signature(check.key):
        problem = Problem.REPLAYED
    if problem is None:
        return None
    return Verdict(SignalStatus.REJECTED, SENTENCES[problem], "signature", problem.value)


def strategy_disabled(a: Alert) -> Verdict | None:
    """A disabled strategy's alerts are stored and discarded."""
    if a.strategy.is_enabled:
        return None
    return Verdict(
        SignalStatus.DISCARDED,
        f"Strategy '{a.strategy.name}' is disabled, so its alerts are not traded. "
        f"Enable it in the tray menu or the dashboard.",
        "strategy_disabled",
    )


def trading_paused(a: Alert) -> Verdict | None:
    """While trading is paused (tray "Pause all trading") every alert is discarded."""
    if not a.settings.trading_paused:
        return None
    return Verdict(
        SignalStatus.DISCARDED,
        "Trading is paused for all strategies. Resume it with `tvbridge resume`, the tray menu or the dashboard.",
        "trading_paused",
    )


def body_size(a: Alert) -> Verdict | None:
    """Refuse a body over :data:`MAX_BODY_BYTES`."""
    if a.body_size <= MAX_BODY_BYTES:
        return None
    return Verdict(
        SignalStatus.REJECTED,
        f"The alert message is {a.body_size} bytes, larger than the 64 KiB limit. Send only the order fields.",
        "body_size",
    )


def daily_loss_limit(a: Alert) -> Verdict | None:
    """Discard alerts once today's realised loss reached ``daily_loss_limit_pct`` of the day's starting balance.

    Reads the strategy's agent's latest account snapshot (``realized_pnl_today``, account currency). No snapshot
    yet or no limit set: pass. The sentence gives the loss, the limit in % and in the account currency, and when
    trading resumes; the machine-readable reason is the gate's name, ``daily_loss_limit`` (the signal's
    ``decided_by``).
    """
    if not loss_limit_reached(a.settings, a.pnl, a.now):
        return None
    assert a.pnl is not None and a.settings.daily_loss_limit_pct is not None
    loss, pct = -a.pnl.realized_pnl_today, a.settings.daily_loss_limit_pct
    return Verdict(
        SignalStatus.DISCARDED,
        f"Not traded: today's realised loss on the account of agent '{a.strategy.agent_id}' is {loss:,.2f} (account "
        f"currency), which reached the daily loss limit of {pct:g}% of the day's starting balance "
        f"({a.pnl.day_start_balance * pct / 100.0:,.2f}). New alerts trade again after 00:00 UTC, when a new day "
        f"starts, or raise the daily loss limit in Settings.",
        "daily_loss_limit",
    )


def loss_limit_reached(settings: SettingsView, pnl: AgentPnl | None, now: datetime) -> bool:
    """True when an agent's realised loss today (``pnl``, its latest snapshot's figures, account currency) reached
    ``settings.daily_loss_limit_pct`` of its day's starting balance; False without a limit, without a snapshot, or
    with one of an earlier UTC day than ``now`` (the agent has not reported today yet: yesterday's loss is not
    today's)."""
    limit_pct = settings.daily_loss_limit_pct
    if limit_pct is None or pnl is None or pnl.day_start_balance <= 0:
        return False
    if pnl.day is not None and pnl.day < now.date():
        return False
    return -pnl.realized_pnl_today >= pnl.day_start_balance * limit_pct / 100.0


def account_loss_refusal(settings: SettingsView, pnl: AgentPnl | None, now: datetime) -> str | None:
    """Why one further account of a strategy (:meth:`StrategyView.targets` beyond the primary, whose limit the
    ``daily_loss_limit`` gate checks for the whole signal) must not trade an alert: its own realised loss today
    reached the daily loss limit. ``None``: it may trade. The limit is the account's own, like its snapshot."""
    if not loss_limit_reached(settings, pnl, now):
        return None
    assert pnl is not None and settings.daily_loss_limit_pct is not None
    return (
        f"Not sent on this account: its realised loss today ({-pnl.realized_pnl_today:,.2f}) reached the daily loss "
        f"limit of {settings.daily_loss_limit_pct:g}% of its day's starting balance "
        f"({pnl.day_start_balance * settings.daily_loss_limit_pct / 100.0:,.2f}). It trades new alerts again "
        f"tomorrow (00:00 UTC), or raise the daily loss limit in Settings."
    )


def license_id(a: Alert) -> Verdict | None:
    """Refuse a PineConnector alert whose License ID is not the strategy's (or is empty): an authentication
    failure, counted as such, not a syntax error (the parser tells them apart with :class:`LicenseMismatch`)."""
    if not isinstance(a.parsed, LicenseMismatch):
        return None
    return Verdict(SignalStatus.REJECTED, str(a.parsed), "license_id")


def parse(a: Alert) -> Verdict | None:
    """Refuse a body the alert language cannot read (``server.alerts``), with the parser's sentence."""
    if isinstance(a.parsed, TradeIntent):
        return None
    reason = str(a.parsed) if a.parsed is not None else "The alert message could not be read."
    return Verdict(SignalStatus.REJECTED, reason, "parse")


def alert_secret_matches(strategy: StrategyView, intent: TradeIntent, proven: bool = False) -> bool:
    """True when the strategy needs no alert secret, the alert's ``secret=`` equals it (constant-time compare), or
    the alert was routed by the strategy's webhook secret on the universal endpoint (``proven``)."""
    if not strategy.alert_secret or proven:
        return True
    given = (intent.secret or "").encode("utf-8")
    return hmac.compare_digest(given, strategy.alert_secret.encode("utf-8"))


def alert_secret(a: Alert) -> Verdict | None:
    """Refuse an alert whose ``secret=`` differs from the strategy's alert secret (when one is set)."""
    if alert_secret_matches(a.strategy, a.intent, a.alert_secret_proven):
        return None
    return Verdict(
        SignalStatus.REJECTED,
        "The alert's secret= does not match this strategy's alert secret, so it was not traded. "
        "Fix the secret in the alert message or in the strategy settings.",
        "alert_secret",
    )


def rate_limit(a: Alert) -> Verdict | None:
    """Discard an alert over the strategy's ``rate_limit_per_second`` or ``rate_limit_per_minute`` (counted in
    arrival order; only alerts that passed the sender checks above count, so someone who knows a URL but not its
    secrets cannot use up the strategy's allowance). Answered 200 like every stored alert: TradingView must not
    resend it."""
    if a.rate_over is None:
        return None
    return Verdict(
        SignalStatus.DISCARDED,
        f"Discarded by the strategy's rate limit: {a.rate_over} (allowed: {a.strategy.rate_limit_per_second:,} a "
        f"second, {a.strategy.rate_limit_per_minute:,} a minute). A sender may be looping; raise the strategy's "
        f"rate limits if this traffic is real.",
        "rate_limit",
        a.rate_over,
    )


def _base_symbol(symbol: str) -> str:
    return symbol.split(":")[-1].strip().upper()


def allowed_pairs(a: Alert) -> Verdict | None:
    """Refuse a symbol outside the strategy's ``allowed_pairs`` (empty list: every symbol is allowed).

    Compared case-insensitively, with and without a TradingView ``EXCHANGE:`` prefix.
    """
    symbol = a.intent.symbol
    if not a.strategy.allowed_pairs or not symbol:
        return None
    allowed = {_base_symbol(p) for p in a.strategy.allowed_pairs}
    if _base_symbol(symbol) in allowed:
        return None
    return Verdict(
        SignalStatus.REJECTED,
        f"Symbol {symbol} is not in this strategy's allowed pairs ({', '.join(sorted(allowed))}). "
        f"Add it to the strategy's allowed pairs, or fix the symbol in the alert.",
        "allowed_pairs",
    )


def timeframe(a: Alert) -> Verdict | None:
    """Refuse an entry from a chart timeframe outside the strategy's ``timeframes`` (empty: every timeframe).

    Both sides are canonical (:mod:`contract.timeframes`: ``"60"``, ``"1h"`` and ``"H1"`` are all ``1h``). An
    alert naming no timeframe is refused too, since it cannot be shown to come from an allowed chart. Exits
    (closes, cancels, modifications, eaoff/eaon) pass: refusing one would leave the trader exposed."""
    allowed = a.strategy.timeframes
    if not allowed or not a.intent.opens_exposure:
        return None
    raw = a.intent.timeframe
    canonical = try_normalize_timeframe(raw)
    if canonical is not None and canonical in allowed:
        return None
    listed = ", ".join(allowed)
    if raw is None:
        message = (
            f"The alert names no timeframe, and this strategy trades only {listed}, so it was not traded. "
            f"Add timeframe={{{{interval}}}} to the alert message."
        )
    elif canonical is None:
        message = (
            f"The alert's timeframe {raw!r} could not be read, and this strategy trades only {listed}, so it was not "
            f"traded. Send timeframe={{{{interval}}}} (15, 60, 240, D ...) or a form such as 15m, 1h, 1D."
        )
    else:
        shown = canonical if canonical == raw else f"{raw} ({canonical})"
        message = (
            f"The alert comes from the {shown} timeframe, and this strategy trades only {listed}, so it was not "
            f"traded. Add {canonical} to the strategy's timeframes, or fix the alert's chart."
        )
    return Verdict(SignalStatus.REJECTED, message, "timeframe")


def duplicate(a: Alert) -> Verdict | None:
    """A repeat of an earlier signal that traded or may still trade: same alert id within 24 h, or, for alerts
    without an id, the identical body within the strategy's ``dedup_window_seconds`` (TradingView resends an
    alert after a 5xx, tradingview-and-bridges.md §4). The lookup is the writer's, so two copies arriving
    together are told apart."""
    if a.find_duplicate is None:
        return None
    found = a.find_duplicate(a.strategy, a.intent, a.body_hash, a.now)
    if found is None:
        return None
    earlier, why = found
    tail = (
        "Set the strategy's dedup_by to body to trade every alert that differs."
        if why.endswith("by meaning")
        else "TradingView resends an alert when a server answers with an error."
    )
    return Verdict(
        SignalStatus.DUPLICATE, f"Duplicate of signal #{earlier} ({why}); it was not traded again. {tail}", "duplicate"
    )


def max_age_seconds(strategy: StrategyView, intent: TradeIntent) -> int:
    """How old an alert may get before it must not trade: its own ``max_lag`` if it carries one (3Commas),
    else the strategy's ``max_signal_age_seconds``."""
    return intent.max_age_seconds or strategy.max_signal_age_seconds


def deadline(strategy: StrategyView, intent: TradeIntent, now: datetime) -> datetime:
    """The moment after which the alert's job must not be sent: max age counted from when TradingView fired the
    alert (its ``time``/``timenow``/``timestamp``) when it says so, else from its receipt. Delivery delays eat
    into the age, they do not extend it."""
    fired = min(intent.alert_time, now) if intent.alert_time is not None else now
    return fired + timedelta(seconds=max_age_seconds(strategy, intent))


def max_age(a: Alert) -> Verdict | None:
    """Refuse an alert whose own timestamp (``time``/``timenow``/``timestamp``) is older than the max age
    (:func:`max_age_seconds`). Alerts without a timestamp pass (their age is checked at execution)."""
    intent = a.intent
    if intent.alert_time is None:
        return None
    limit = max_age_seconds(a.strategy, intent)
    age = (a.now - intent.alert_time).total_seconds()
    if age <= limit:
        return None
    return Verdict(
        SignalStatus.REJECTED,
        f"The alert is {age:.0f} s old (fired {intent.alert_time:%Y-%m-%d %H:%M:%S} UTC), older than the "
        f"maximum age of {limit} s, so it was not traded. Check the alert's time field, your PC clock, "
        f"or raise the strategy's max signal age.",
        "max_age",
    )


def ea_switch(a: Alert) -> Verdict | None:
    """``eaoff``/``eaon`` halt or resume the strategy's entries (sets :attr:`Alert.halt`, the last switch wins).
    An alert that only switches is done here (``executed``); one with more steps goes on."""
    control = [s for s in a.intent.actions if isinstance(s, ControlAction)]
    if not control:
        return None
    a.halt = not control[-1].trading_enabled
    if len(control) < len(a.intent.actions):
        return None
    state = "halted: new entries are refused until an eaon alert" if a.halt else "resumed"
    return Verdict(SignalStatus.EXECUTED, f"Strategy '{a.strategy.name}' {state}.", "ea_switch")


def halted(a: Alert) -> Verdict | None:
    """While an eaoff alert halts the strategy, alerts that open exposure are discarded (closes still run).
    An alert that switches the strategy itself is judged by its own switch."""
    if a.halt is not None or not a.strategy.trading_halted or not a.intent.opens_exposure:
        return None
    return Verdict(
        SignalStatus.DISCARDED,
        f"Strategy '{a.strategy.name}' is halted by an eaoff alert; entries are refused until an eaon alert.",
        "halted",
    )


def daily_trade_cap(a: Alert) -> Verdict | None:
    """Refuse entries once ``max_trades_per_day`` of the strategy's signals (UTC day) were executed or are
    pending."""
    cap = a.strategy.max_trades_per_day
    if cap is None or not a.intent.opens_exposure or a.trades_today < cap:
        return None
    return Verdict(
        SignalStatus.DISCARDED,
        f"Daily trade cap reached: {a.trades_today} of {cap} trades today for this strategy. "
        f"New entries resume tomorrow (UTC), or raise the strategy's max trades per day.",
        "daily_trade_cap",
    )


#: The gates in the documented order; the first verdict ends the alert.
GATES: tuple[Gate, ...] = (
    body_size,
    signature,
    strategy_disabled,
    trading_paused,
    daily_loss_limit,
    license_id,
    parse,
    alert_secret,
    rate_limit,
    allowed_pairs,
    timeframe,
    duplicate,
    max_age,
    ea_switch,
    halted,
    daily_trade_cap,
)


def decide(alert: Alert, gates: tuple[Gate, ...] = GATES) -> Verdict | None:
    """Run ``gates`` in order; the first :class:`Verdict`, or ``None`` when the alert is to be traded."""
    for gate in gates:
        verdict = gate(alert)
        if verdict is not None:
            return verdict
    return None
