"""No input crashes the agent (issue 9.3): every alert ends as one outcome with a sentence, through the real
executor, the MT5 adapter and the simulator; the crash classes an adversarial run found are regression cases,
and a fuzz test drives parser -> planner -> executor with generated alerts.

Each case is followed by an ordinary trade on the same executor: the agent is still trading afterwards.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import HealthCheck, event, given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

import agent.mt5sim as mt5
from agent.executor import JobExecutor
from agent.mt5.adapter import Mt5Broker
from agent.mt5sim import control
from contract import JobResult, TradeJob
from contract.intent import (
    AlertFormat,
    Distance,
    DistanceUnit,
    OpenAction,
    OrderKind,
    Side,
    TradeIntent,
    Volume,
    VolumeUnit,
)
from contract.settings import ExecutionSettings
from server.alerts import ParseContext, parse_alert
from server.alerts.context import AlertRejected

MAGIC = 90_909
_ids = iter(range(1, 1_000_000))


@pytest.fixture
def executor() -> Iterator[JobExecutor]:
    control.reset()
    control.configure(None, margin_mode="netting", balance=10_000.0)
    control.set_terminal(first_tick_ms=0)
    broker = Mt5Broker(mt5, kind="sim", price_feed=control.set_quote, sleep=lambda _s: None)
    broker.connect()
    yield JobExecutor(broker)
    control.reset()


def job_of(intent: TradeIntent) -> TradeJob:
    n = next(_ids)
    return TradeJob(
        id=n, signal_id=n, strategy_id=1, intent=intent,
        settings=ExecutionSettings(magic_number=MAGIC, comment=f"tvb:{n}", default_volume_lots=0.01),
        deadline=datetime.now(UTC) + timedelta(minutes=5),
    )


def buy(**kw: Any) -> OpenAction:
    return OpenAction(side=Side.BUY, volume=Volume(unit=VolumeUnit.LOTS, value=0.1), **kw)


def price(value: float) -> Distance:
    return Distance(unit=DistanceUnit.PRICE, value=value)


def assert_ends_with_a_sentence(result: JobResult) -> None:
    assert result.status in ("executed", "rejected", "discarded", "failed", "expired"), result
    if result.status != "executed":
        assert result.error_message and len(result.error_message) > 20, result


def assert_still_trading(executor: JobExecutor) -> None:
    result = executor.execute(job_of(TradeIntent(format=AlertFormat.JSON, symbol="EURUSD", actions=[buy()])))
    assert result.status == "executed", result


# -- the crash classes of issue 9 ---------------------------------------------------------------------------


@pytest.mark.parametrize("field", ["sl", "tp"])
def test_a_price_level_of_1e23_is_refused_not_a_crash(executor: JobExecutor, field: str) -> None:
    # Used to raise decimal.InvalidOperation while rounding the level to the symbol's digits.
    intent = TradeIntent(format=AlertFormat.JSON, symbol="EURUSD", actions=[buy(**{field: price(1e23)})])
    result = executor.execute(job_of(intent))
    assert result.status == "rejected"
    assert "cannot be used on EURUSD" in (result.error_message or "")
    assert mt5.positions_get() == ()
    assert_still_trading(executor)


def test_an_alert_price_that_rounds_to_0_in_paper_mode_fails_with_a_sentence(executor: JobExecutor) -> None:
    # Used to raise ValueError from the simulator's quote.
    intent = TradeIntent(format=AlertFormat.JSON, symbol="EURUSD", actions=[buy()], alert_price=0.000001)
    result = executor.execute(job_of(intent))
    assert result.status == "failed"
    assert "not a usable price for EURUSD" in (result.error_message or "")
    assert_still_trading(executor)


def test_a_margin_sized_buy_limit_at_1e_300_is_refused_not_a_crash(executor: JobExecutor) -> None:
    # Used to raise decimal.DivisionByZero: the entry rounds to 0, and so does the margin of one lot.
    action = OpenAction(
        side=Side.BUY, kind=OrderKind.LIMIT, volume=Volume(unit=VolumeUnit.PCT_BALANCE_MARGIN, value=1.0),
        entry=price(1e-300),
    )
    result = executor.execute(job_of(TradeIntent(format=AlertFormat.JSON, symbol="EURUSD", actions=[action])))
    assert result.status == "rejected"
    assert "rounds to 0" in (result.error_message or "")
    assert mt5.orders_get() == ()
    assert_still_trading(executor)


@pytest.mark.parametrize(
    "body",
    [
        '{"symbol": "EURUSD", "action": "buy", "volume": 0.1, "sl": 1e23}',
        "1,buy,EURUSD,risk=0.1,tp_price=100000000000000000000000",
        '{"symbol": "EURUSD", "action": "buylimit", "vol_pct_bal_margin": 1, "entry_price": 1e-300}',
    ],
)
def test_the_parser_refuses_absurd_numbers_up_front(body: str) -> None:
    with pytest.raises(AlertRejected, match="too large to be a real value|too close to 0"):
        parse_alert(body.encode(), ParseContext())


def test_any_other_error_fails_that_one_signal_with_a_sentence(executor: JobExecutor) -> None:
    # An intent no server would build (a step that is not one of the contract's actions), as an older or
    # damaged server could send: the planner trips over it; the agent reports it and goes on.
    broken = TradeIntent.model_construct(format=AlertFormat.JSON, symbol="EURUSD", actions=[object()])
    result = executor.execute(job_of(broken))
    assert result.status == "failed"
    assert "internal error" in (result.error_message or "") and "Nothing was sent" in (result.error_message or "")
    assert_still_trading(executor)


# -- fuzz: parser -> planner -> executor ----------------------------------------------------------------------

# Mostly numbers an alert really carries (so most alerts reach the planner), some at and beyond every edge.
NUMBERS = st.one_of(
    st.integers(1, 300).map(str),
    st.decimals(min_value="0.01", max_value="5", places=2).map(str),
    st.floats(0.00001, 1e5, allow_nan=False).map(lambda f: f"{f:.5f}"),
    st.sampled_from(["1e23", "1e-300", "0", "-0", "-5", "1e15", "1e-12", "0.0000001", "NaN", "inf", "9" * 30, "1,5"]),
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
)
KEYS = st.sampled_from([
    "risk", "sl", "tp", "sl_pips", "tp_pips", "sl_price", "tp_price", "price", "entry_price", "entry_pips",
    "vol_lots", "vol_pct_bal_loss", "vol_pct_bal_margin", "vol_dollar", "betrigger", "beoffset",
    "trailtrig", "traildist", "trailstep", "spread", "accfilter",
])
COMMANDS = st.sampled_from([
    "buy", "sell", "buylimit", "selllimit", "buystop", "sellstop", "closelong", "closeshort", "closeall",
    "closelongbuy", "cancellong", "newsltplong", "newsltpbuylimit", "closelongpct", "long", "short",
])
SYMBOLS = st.sampled_from(["EURUSD", "USDJPY", "XAUUSD", "US30", "BTCUSD", "OANDA:GBPUSD", "NQ1!", "EURUSX"])


@st.composite
def pineconnector_alerts(draw: st.DrawFn) -> str:
    params = draw(st.lists(st.tuples(KEYS, NUMBERS), max_size=3, unique_by=lambda kv: kv[0]))
    fields = [draw(st.sampled_from(["1", "60123456789"])), draw(COMMANDS), draw(SYMBOLS)]
    return ",".join(fields + [f"{k}={v}" for k, v in params])


@st.composite
def json_alerts(draw: st.DrawFn) -> str:
    params = draw(st.lists(st.tuples(KEYS, NUMBERS), max_size=3, unique_by=lambda kv: kv[0]))
    body = [f'"symbol": "{draw(SYMBOLS)}"', f'"action": "{draw(COMMANDS)}"']
    body += [f'"{k}": {v}' for k, v in params]
    return "{" + ", ".join(body) + "}"


@hsettings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture]
)
@given(body=st.one_of(pineconnector_alerts(), json_alerts()), alert_price=st.none() | st.floats(1e-9, 1e9))
def test_generated_alerts_end_with_one_outcome_and_never_crash(
    executor: JobExecutor, body: str, alert_price: float | None
) -> None:
    try:
        intent = parse_alert(body.encode(), ParseContext(default_volume_configured=True))
    except AlertRejected as exc:
        assert str(exc)  # refused at intake, with a sentence
        event("refused by the parser")
        return
    if alert_price is not None:
        intent = intent.model_copy(update={"alert_price": alert_price})
    result = executor.execute(job_of(intent))  # must not raise
    event(f"executor: {result.status}")
    assert_ends_with_a_sentence(result)
    assert "internal error" not in (result.error_message or ""), result.error_message
