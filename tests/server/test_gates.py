"""Each intake gate on its own, and the order they run in (docs/architecture.md "Data path of one alert")."""

from __future__ import annotations

import time
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from contract.intent import TradeIntent
from server import gates, signatures
from server.alerts import AlertRejected, ParseContext, parse_alert
from server.gates import Alert
from server.models import SignalStatus
from server.view import AgentPnl, SettingsView, StrategyView

NOW = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)
BUY = b'{"symbol":"EURUSD","action":"buy","volume":0.1}'
CLOSE = b'{"symbol":"EURUSD","action":"closelong"}'


def timed(when: str) -> bytes:
    return f'{{"symbol":"EURUSD","action":"buy","volume":0.1,"time":"{when}"}}'.encode()


def strategy(**changes: Any) -> StrategyView:
    return replace(StrategyView(id=7, name="Scalper", webhook_secret="s", magic_number=27_700_007), **changes)


def alert(body: bytes = BUY, **changes: Any) -> Alert:
    parsed: TradeIntent | AlertRejected
    try:
        parsed = parse_alert(body)
    except AlertRejected as exc:
        parsed = exc
    base = Alert(
        strategy=strategy(),
        settings=SettingsView(),
        body_size=len(body),
        body_hash=gates.body_hash(body),
        parsed=parsed,
        now=NOW,
    )
    return replace(base, **changes)


def test_the_gates_run_in_the_documented_order() -> None:
    assert [g.__name__ for g in gates.GATES] == [
        "body_size",
        "signature",
        "strategy_disabled",
        "trading_paused",
        "daily_loss_limit",
        "license_id",
        "parse",
        "alert_secret",
        "rate_limit",
        "allowed_pairs",
        "timeframe",
        "duplicate",
        "max_age",
        "ea_switch",
        "halted",
        "daily_trade_cap",
    ]


def test_a_plain_alert_passes_every_gate() -> None:
    assert gates.decide(alert()) is None


def test_the_first_gate_that_refuses_decides() -> None:
    # disabled AND paused AND unparseable: the strategy gate comes first
    everything_wrong = alert(b"nonsense", strategy=strategy(is_enabled=False), settings=SettingsView(None, True))
    verdict = gates.decide(everything_wrong)
    assert verdict is not None and verdict.gate == "strategy_disabled"


def test_strategy_disabled() -> None:
    assert gates.strategy_disabled(alert()) is None
    verdict = gates.strategy_disabled(alert(strategy=strategy(is_enabled=False)))
    assert verdict is not None and verdict.status == SignalStatus.DISCARDED
    assert "'Scalper' is disabled" in (verdict.message or "")


def test_trading_paused() -> None:
    assert gates.trading_paused(alert()) is None
    verdict = gates.trading_paused(alert(settings=SettingsView(trading_paused=True)))
    assert verdict is not None and (verdict.status, verdict.gate) == (SignalStatus.DISCARDED, "trading_paused")


def test_body_size_limit_is_64_kib() -> None:
    assert gates.body_size(alert(body_size=gates.MAX_BODY_BYTES)) is None
    verdict = gates.body_size(alert(body_size=gates.MAX_BODY_BYTES + 1, parsed=None))
    assert verdict is not None and verdict.status == SignalStatus.REJECTED
    assert "65537 bytes" in (verdict.message or "")


@pytest.mark.parametrize(
    ("limit_pct", "pnl", "refused"),
    [
        (None, AgentPnl(10_000, -5_000), False),  # no limit set
        (5.0, None, False),  # no snapshot yet
        (5.0, AgentPnl(0, -100), False),  # no starting balance known
        (5.0, AgentPnl(10_000, -499.99), False),
        (5.0, AgentPnl(10_000, -500), True),  # exactly 5 % of 10,000 lost
        (5.0, AgentPnl(10_000, +800), False),
    ],
)
def test_daily_loss_limit(limit_pct: float | None, pnl: AgentPnl | None, refused: bool) -> None:
    verdict = gates.daily_loss_limit(alert(settings=SettingsView(limit_pct), pnl=pnl))
    assert (verdict is not None) == refused
    if verdict is not None:
        assert (verdict.status, verdict.gate) == (SignalStatus.DISCARDED, "daily_loss_limit")


def test_the_daily_loss_limit_says_what_was_lost_the_limit_and_when_trading_resumes() -> None:
    """The trader reads a sentence, not a code: today's realised loss, the limit in % and in the account currency,
    and what to do; the gate's name stays the machine-readable ``decided_by``."""
    verdict = gates.daily_loss_limit(alert(settings=SettingsView(2.0), pnl=AgentPnl(10_000, -312.5)))
    assert verdict is not None and verdict.gate == "daily_loss_limit"
    assert verdict.message == (
        f"Not traded: today's realised loss on the account of agent '{strategy().agent_id}' is 312.50 (account "
        "currency), which reached the daily loss limit of 2% of the day's starting balance (200.00). New alerts "
        "trade again after 00:00 UTC, when a new day starts, or raise the daily loss limit in Settings."
    )


def test_parse_refusal_carries_the_parsers_sentence() -> None:
    assert gates.parse(alert()) is None
    verdict = gates.parse(alert(b"hello there"))
    assert verdict is not None and verdict.status == SignalStatus.REJECTED and verdict.gate == "parse"
    assert verdict.message and verdict.message != "None"


def test_alert_secret() -> None:
    assert gates.alert_secret(alert()) is None  # no alert secret configured
    keyed = strategy(alert_secret="k3y")
    right, wrong = (f'{{"symbol":"EURUSD","action":"buy","lots":1,"secret":"{k}"}}'.encode() for k in ("k3y", "no"))
    assert gates.alert_secret(alert(right, strategy=keyed)) is None
    verdict = gates.alert_secret(alert(wrong, strategy=keyed))
    assert verdict is not None and verdict.status == SignalStatus.REJECTED


def test_allowed_pairs_ignore_case_and_exchange_prefix() -> None:
    assert gates.allowed_pairs(alert()) is None  # empty list: everything allowed
    fx = strategy(allowed_pairs=("eurusd", "GBPUSD"))
    assert gates.allowed_pairs(alert(b'{"symbol":"FX:EURUSD","action":"buy","lots":1}', strategy=fx)) is None
    verdict = gates.allowed_pairs(alert(b'{"symbol":"XAUUSD","action":"buy","lots":1}', strategy=fx))
    assert verdict is not None and "XAUUSD is not in this strategy's allowed pairs" in (verdict.message or "")


def test_duplicate_names_the_earlier_signal() -> None:
    seen: list[tuple[str, str | None]] = []

    def lookup(s: StrategyView, intent: TradeIntent, digest: str, now: datetime) -> tuple[int, str] | None:
        seen.append((digest, intent.alert_id))
        return (41, "alert id 'x'") if intent.alert_id == "x" else None

    assert gates.duplicate(alert(find_duplicate=lookup)) is None
    repeated = alert(b'{"symbol":"EURUSD","action":"buy","lots":1,"id":"x"}', find_duplicate=lookup)
    verdict = gates.duplicate(repeated)
    assert verdict is not None and verdict.status == SignalStatus.DUPLICATE
    assert "Duplicate of signal #41 (alert id 'x')" in (verdict.message or "")
    assert seen[-1] == (repeated.body_hash, "x")


def test_max_age_counts_from_the_alerts_own_time() -> None:
    assert gates.max_age(alert()) is None  # no timestamp: checked at execution
    fresh = (NOW - timedelta(seconds=299)).isoformat()
    old = (NOW - timedelta(seconds=301)).isoformat()
    assert gates.max_age(alert(timed(fresh))) is None
    verdict = gates.max_age(alert(timed(old)))
    assert verdict is not None and verdict.status == SignalStatus.REJECTED and "301 s old" in (verdict.message or "")


def test_ea_switch_alone_is_executed_and_sets_the_halt() -> None:
    off = alert(b"eaoff")
    verdict = gates.ea_switch(off)
    assert verdict is not None and (verdict.status, verdict.gate) == (SignalStatus.EXECUTED, "ea_switch")
    assert off.halt is True and "halted" in (verdict.message or "")
    on = alert(b"eaon", strategy=strategy(trading_halted=True))
    assert gates.ea_switch(on) is not None and on.halt is False
    assert gates.ea_switch(alert()) is None


def test_halted_refuses_entries_but_not_closes() -> None:
    halted = strategy(trading_halted=True)
    verdict = gates.halted(alert(strategy=halted))
    assert verdict is not None and verdict.status == SignalStatus.DISCARDED
    assert gates.halted(alert(CLOSE, strategy=halted)) is None
    assert gates.halted(alert()) is None
    switching = alert(strategy=halted, halt=False)  # the alert itself switches the strategy back on
    assert gates.halted(switching) is None


def test_daily_trade_cap_counts_todays_signals_and_spares_closes() -> None:
    capped = strategy(max_trades_per_day=3)
    assert gates.daily_trade_cap(alert(strategy=capped, trades_today=2)) is None
    verdict = gates.daily_trade_cap(alert(strategy=capped, trades_today=3))
    assert verdict is not None and (verdict.status, verdict.gate) == (SignalStatus.DISCARDED, "daily_trade_cap")
    assert "3 of 3 trades today" in (verdict.message or "")
    assert gates.daily_trade_cap(alert(CLOSE, strategy=capped, trades_today=9)) is None
    assert gates.daily_trade_cap(alert(trades_today=1000)) is None  # no cap set


def test_deadline_counts_from_the_fired_time_never_from_the_future() -> None:
    intent = parse_alert(timed((NOW - timedelta(seconds=60)).isoformat()))
    assert gates.deadline(strategy(), intent, NOW) == NOW + timedelta(seconds=240)
    future = parse_alert(timed((NOW + timedelta(hours=1)).isoformat()))
    assert gates.deadline(strategy(), future, NOW) == NOW + timedelta(seconds=300)


# -- sender authentication (issue 12) ----------------------------------------------------------------------------


def test_signature_passes_without_a_signing_secret_and_refuses_each_problem() -> None:
    assert gates.signature(alert()) is None  # the strategy requires no signature
    key = "k" * 32
    good = signatures.check(key, signatures.sign(key, BUY), BUY, time.time())
    assert gates.signature(alert(signature=good)) is None
    for problem in signatures.Problem:
        if problem is signatures.Problem.REPLAYED:
            continue
        verdict = gates.signature(alert(signature=signatures.SignatureCheck(problem)))
        assert verdict is not None and (verdict.status, verdict.gate) == (SignalStatus.REJECTED, "signature")
        assert verdict.detail == problem.value and verdict.message == signatures.SENTENCES[problem]


def test_signature_asks_the_replay_memory_and_refuses_a_repeat() -> None:
    key = "k" * 32
    good = signatures.check(key, signatures.sign(key, BUY), BUY, time.time())
    memory = signatures.ReplayMemory()
    remember = lambda k: memory.remember(7, k, time.time())  # noqa: E731 - the gate's callable
    assert gates.signature(alert(signature=good, remember_signature=remember)) is None
    verdict = gates.signature(alert(signature=good, remember_signature=remember))
    assert verdict is not None and verdict.detail == "replayed" and "replay" in (verdict.message or "")


def test_license_id_refuses_a_mismatch_as_authentication_not_syntax() -> None:
    licensed = parse_context_with(license_id="60123456789")
    for body in (b"60999,buy,EURUSD,vol_lots=0.1", b",buy,EURUSD,vol_lots=0.1"):
        a = alert(body, strategy=strategy(license_id="60123456789"), parsed=parsed_under(body, licensed))
        verdict = gates.license_id(a)
        assert verdict is not None and (verdict.status, verdict.gate) == (SignalStatus.REJECTED, "license_id")
        assert gates.decide(a) == verdict  # it decides before the parse gate would
    assert gates.license_id(alert(b"nonsense")) is None  # a syntax error is the parse gate's
    assert gates.license_id(alert()) is None


def test_alert_secret_is_satisfied_by_the_webhook_secret_on_the_universal_endpoint() -> None:
    guarded = strategy(alert_secret="s3cret")
    assert gates.alert_secret(alert(strategy=guarded)) is not None
    assert gates.alert_secret(alert(strategy=guarded, alert_secret_proven=True)) is None
    assert gates.alert_secret(alert(b'{"symbol":"EURUSD","action":"buy","lots":1,"secret":"s3cret"}',
                                    strategy=guarded)) is None


def test_rate_limit_discards_with_the_limit_in_the_sentence() -> None:
    assert gates.rate_limit(alert()) is None
    verdict = gates.rate_limit(alert(rate_over="more than 50 alerts within one second"))
    assert verdict is not None and (verdict.status, verdict.gate) == (SignalStatus.DISCARDED, "rate_limit")
    assert "more than 50 alerts within one second" in (verdict.message or "")
    assert "50 a second, 600 a minute" in (verdict.message or "")


def test_an_unauthenticated_alert_is_refused_before_anything_else_is_read() -> None:
    unsigned = alert(b"nonsense", strategy=strategy(is_enabled=False),
                     signature=signatures.SignatureCheck(signatures.Problem.MISSING))
    verdict = gates.decide(unsigned)
    assert verdict is not None and verdict.gate == "signature"


def parse_context_with(**settings: Any) -> ParseContext:
    return ParseContext(**settings)


def parsed_under(body: bytes, ctx: ParseContext) -> TradeIntent | AlertRejected:
    try:
        return parse_alert(body, ctx)
    except AlertRejected as exc:
        return exc


def test_every_gate_has_words_for_the_dashboard() -> None:
    from server.routes.explain import _GATE_WORDS

    assert {g.__name__ for g in gates.GATES} <= set(_GATE_WORDS)


def test_the_signing_secret_stays_out_of_reprs() -> None:
    from server.models import Strategy

    key = "never-show-this-signing-secret"
    assert key not in repr(strategy(signing_secret=key))
    assert key not in repr(Strategy(name="s", webhook_secret="w", magic_number=1, signing_secret=key))
