"""Parser -> planner -> executor in one process, over sequences of generated alerts (issue 9: no input crashes the
agent, and a strategy never touches what is not its own).

Extends tests/agent/test_crash_safety.py, whose fuzz test runs one JSON or PineConnector alert at a time on a
netting account, and whose regression cases are the three crash classes of item 3. Here, with its generators:

- every format the parser reads (JSON, PineConnector, key=value, plain text), with numbers at and beyond every edge;
- sequences of up to eight alerts on one account, so closes, partial closes, modifications and cancellations
  find the positions and pending orders the earlier alerts opened;
- netting and hedging accounts; on hedging, a position of the trader's own (magic 0) and one of another strategy
  on the same symbols, which must come out of every sequence exactly as they went in;
- every alert ends with one outcome and, unless executed, a sentence; no internal error; every request the agent
  sent carries the strategy's magic number and the signal's comment.

Seeded with the run's seed (tests/reliability/conftest.py); longer: ``TVBRIDGE_FUZZ_EXAMPLES=5000``.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from hypothesis import HealthCheck, event, given, seed, settings
from hypothesis import strategies as st

import agent.mt5sim as mt5
from agent.executor import JobExecutor
from agent.mt5.adapter import Mt5Broker
from agent.mt5sim import control
from contract import TradeJob
from contract.settings import ExecutionSettings
from server.alerts import ParseContext, parse_alert
from server.alerts.context import AlertRejected
from tests.agent.test_crash_safety import (
    COMMANDS,
    KEYS,
    NUMBERS,
    SYMBOLS,
    assert_ends_with_a_sentence,
    json_alerts,
    pineconnector_alerts,
)
from tests.reliability.conftest import SEED, scaled

EXAMPLES = scaled("TVBRIDGE_FUZZ_EXAMPLES", 400)  # sequences of up to 8 alerts each
MAGIC = 31_337
OTHER_MAGIC = 42_424


@st.composite
def keyvalue_alerts(draw: st.DrawFn) -> str:
    params = draw(st.lists(st.tuples(KEYS, NUMBERS), max_size=3, unique_by=lambda kv: kv[0]))
    fields = [f"signal={draw(COMMANDS)}", f"symbol={draw(SYMBOLS)}"] + [f"{k}={v}" for k, v in params]
    return ",".join(draw(st.permutations(fields)))


@st.composite
def plain_text_alerts(draw: st.DrawFn) -> str:
    params = draw(st.lists(st.tuples(KEYS, NUMBERS), max_size=3, unique_by=lambda kv: kv[0]))
    return " ".join([draw(COMMANDS), draw(SYMBOLS)] + [f"{k}={v}" for k, v in params])


ALERTS = st.one_of(json_alerts(), pineconnector_alerts(), keyvalue_alerts(), plain_text_alerts())


def open_broker(margin_mode: str) -> Mt5Broker:
    control.reset()
    control.configure(None, margin_mode=margin_mode, balance=10_000.0)
    control.set_terminal(first_tick_ms=0)
    broker = Mt5Broker(mt5, kind="sim", price_feed=control.set_quote, sleep=lambda _s: None)
    broker.connect()
    return broker


def not_ours(magic: int, symbol: str, volume: float) -> None:
    """Open a position that belongs to someone else (magic 0: the trader's own)."""
    mt5.symbol_select(symbol, True)
    tick = mt5.symbol_info_tick(symbol)
    filling = mt5.ORDER_FILLING_FOK if mt5.symbol_info(symbol).filling_mode & 1 else mt5.ORDER_FILLING_IOC
    result = mt5.order_send({"action": mt5.TRADE_ACTION_DEAL, "symbol": symbol, "volume": volume,
                             "type": mt5.ORDER_TYPE_BUY, "price": tick.ask, "magic": magic, "comment": "not tvb",
                             "type_filling": filling})
    assert result is not None and result.retcode == mt5.TRADE_RETCODE_DONE, (result, mt5.last_error())


def others() -> list[tuple[Any, ...]]:
    """Positions and pending orders that are not the strategy's, as comparable tuples."""
    positions = [(p.ticket, p.symbol, p.type, p.volume, p.sl, p.tp, p.magic) for p in mt5.positions_get() or ()
                 if p.magic != MAGIC]
    orders = [(o.ticket, o.symbol, o.type, o.volume_current, o.price_open, o.sl, o.tp, o.magic)
              for o in mt5.orders_get() or () if o.magic != MAGIC]
    return sorted(positions) + sorted(orders)


_ids = iter(range(1, 10**9))


@seed(SEED)
@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    margin_mode=st.sampled_from(["netting", "hedging"]),
    bodies=st.lists(ALERTS, min_size=1, max_size=8),
    alert_price=st.none() | st.floats(1e-9, 1e9),
)
def test_alert_sequences_end_each_with_one_outcome_and_touch_nothing_else(
    margin_mode: str, bodies: list[str], alert_price: float | None
) -> None:
    broker = open_broker(margin_mode)
    try:
        if margin_mode == "hedging":
            not_ours(0, "EURUSD", 0.07)
            not_ours(OTHER_MAGIC, "XAUUSD", 0.03)
        before = others()
        executor = JobExecutor(broker)
        for body in bodies:
            try:
                intent = parse_alert(body.encode(), ParseContext(default_volume_configured=True))
            except AlertRejected as exc:
                assert str(exc)  # refused at intake, with a sentence
                event("refused by the parser")
                continue
            if alert_price is not None:
                intent = intent.model_copy(update={"alert_price": alert_price})
            n = next(_ids)
            job = TradeJob(
                id=n, signal_id=n, strategy_id=1, intent=intent,
                settings=ExecutionSettings(magic_number=MAGIC, comment=f"tvb:{n}", default_volume_lots=0.01),
                deadline=datetime.now(UTC) + timedelta(minutes=5),
            )
            result = executor.execute(job)  # must not raise
            event(f"{margin_mode}: {result.status}")
            assert_ends_with_a_sentence(result)
            assert "internal error" not in (result.error_message or ""), result.error_message
            for deal in mt5.history_deals_get(0, 2**32 - 1) or ():
                if deal.comment == f"tvb:{n}":
                    assert deal.magic == MAGIC, deal
        assert others() == before, "a strategy changed a position or order that is not its own"
    finally:
        control.reset()
