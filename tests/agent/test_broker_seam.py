"""The broker interface over the MT5 adapter and the simulator: neutral models out, neutral requests in, and the
MT5 fidelity rules the adapter owns (credentials, invalid parameters, the first tick of a new symbol)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest

import agent.mt5sim as mt5
from agent.broker import Broker, BrokerUnavailable, OrderRefused, submit
from agent.broker.factory import BrokerConfig, open_broker
from agent.broker.models import (
    CalcMode,
    CancelOrder,
    ClosePosition,
    DealEntry,
    MarginMode,
    MarketOrder,
    ModifyOrder,
    ModifyPosition,
    OrderType,
    PendingOrder,
    TradeMode,
)
from agent.mt5.adapter import Mt5Broker, TerminalConfig
from agent.mt5sim import control
from contract.intent import PositionSide, Side

MAGIC = 31_337


@pytest.fixture
def broker() -> Iterator[Mt5Broker]:
    control.reset()
    control.configure(None, margin_mode="hedging", balance=10_000.0)
    b = Mt5Broker(mt5, kind="sim", sleep=lambda _s: None)
    b.connect()
    yield b
    control.reset()


def test_the_mt5_adapter_is_a_broker(broker: Mt5Broker) -> None:
    assert isinstance(broker, Broker)
    assert isinstance(open_broker(BrokerConfig(kind="sim")), Broker)


def test_reads_are_broker_neutral(broker: Mt5Broker) -> None:
    spec = broker.symbol_spec("US30")
    assert (spec.trade_mode, spec.calc_mode, spec.market_orders, spec.stop_loss) == (
        TradeMode.FULL, CalcMode.CFD_INDEX, True, True,
    )
    account = broker.account()
    assert (account.margin_mode, account.server, account.currency) == (MarginMode.HEDGING, "TVBridge-Simulator", "USD")
    [deposit] = broker.deals_since(datetime.now(UTC) - timedelta(days=1))
    assert deposit.side is None and not deposit.realises_pnl  # a balance operation trades nothing
    health = broker.health()
    assert health.connected and health.trade_allowed and not health.api_disabled


def test_every_write_goes_through_the_interface(broker: Mt5Broker) -> None:
    quote = broker.quote("EURUSD")
    opened = submit(broker, MarketOrder("EURUSD", Side.BUY, 0.2, quote.ask, magic=MAGIC, comment="tvb:1"))
    assert opened.code == mt5.TRADE_RETCODE_DONE and opened.deal > 0
    [position] = broker.positions(magic=MAGIC)
    assert (position.side, position.volume, position.comment) == ("long", 0.2, "tvb:1")
    submit(broker, ModifyPosition("EURUSD", position.ticket, sl=round(quote.bid - 0.002, 5), tp=0.0, magic=MAGIC))
    assert broker.positions(magic=MAGIC)[0].sl == round(quote.bid - 0.002, 5)
    submit(broker, ClosePosition("EURUSD", position.ticket, PositionSide.LONG, 0.1, quote.bid, magic=MAGIC))
    assert broker.positions(magic=MAGIC)[0].volume == 0.1  # part of it

    placed = submit(broker, PendingOrder("EURUSD", OrderType.SELL_STOP, 0.1, round(quote.bid - 0.005, 5), magic=MAGIC))
    [order] = broker.orders(magic=MAGIC)
    assert (order.ticket, order.type, order.type.kind) == (placed.order, OrderType.SELL_STOP, "stop")
    submit(broker, ModifyOrder("EURUSD", order.ticket, order.price_open, sl=0.0, tp=round(quote.bid - 0.01, 5)))
    assert broker.orders(magic=MAGIC)[0].tp == round(quote.bid - 0.01, 5)
    submit(broker, CancelOrder("EURUSD", order.ticket, magic=MAGIC))
    assert broker.orders(magic=MAGIC) == ()
    closing = [d for d in broker.deals_since(datetime.now(UTC) - timedelta(days=1)) if d.magic == MAGIC]
    assert [(d.side, d.entry) for d in closing] == [(Side.BUY, DealEntry.IN), (Side.SELL, DealEntry.OUT)]


def test_a_refusal_carries_the_brokers_code_and_a_sentence(broker: Mt5Broker) -> None:
    control.set_terminal(trade_allowed=False)
    with pytest.raises(OrderRefused, match="Algo Trading button") as exc:
        broker.place_order(MarketOrder("EURUSD", Side.BUY, 0.1, broker.quote("EURUSD").ask))
    assert exc.value.code == mt5.TRADE_RETCODE_CLIENT_DISABLES_AT


# -- MT5 fidelity --------------------------------------------------------------------------------------------


def test_only_configured_credentials_are_passed_to_initialize() -> None:
    # A login without a configured server or password: sending server="" would make the terminal look for a
    # server named "" and refuse the login (-6). Only what is set is passed (mt5-api §1.3).
    control.reset()
    control.configure(None)
    broker = Mt5Broker(mt5, TerminalConfig(login=5_000_001), kind="sim")
    broker.connect()
    assert broker.account().login == 5_000_001
    control.reset()


def test_a_wrong_server_is_still_refused_with_a_sentence() -> None:
    control.reset()
    control.configure(None)
    broker = Mt5Broker(mt5, TerminalConfig(login=5_000_001, server="Other-Server"), kind="sim")
    with pytest.raises(BrokerUnavailable, match="refused the login"):
        broker.connect()
    control.reset()


def test_invalid_parameters_at_initialize_are_explained_not_called_a_bug() -> None:
    control.reset()
    control.configure(None)
    broker = Mt5Broker(mt5, TerminalConfig(path="C:\\" + "x" * 300 + "\\terminal64.exe"), kind="sim")
    with pytest.raises(BrokerUnavailable) as exc:
        broker.connect()
    sentence = str(exc.value)
    assert "invalid parameters" in sentence and "mt5_path" in sentence and "-2" in sentence
    assert "bug" not in sentence
    control.reset()


def test_a_symbol_new_to_market_watch_is_read_once_its_first_tick_arrives(broker: Mt5Broker) -> None:
    control.set_terminal(first_tick_ms=20)
    assert mt5.symbol_info("XAGUSD").select is False
    spec = broker.symbol_spec("XAGUSD")  # selects it, then waits (bounded) for its first tick
    quote = broker.quote(spec.name)
    assert quote.bid > 0 and quote.ask > quote.bid


def test_a_symbol_without_a_first_tick_is_refused_after_the_bound() -> None:
    control.reset()
    control.configure(None)
    control.set_terminal(first_tick_ms=600_000)  # the broker sends nothing for it
    broker = Mt5Broker(mt5, kind="sim", sleep=lambda _s: None, first_tick_timeout=0.05)
    broker.connect()
    with pytest.raises(OrderRefused, match="no price for XAGUSD"):
        broker.symbol_spec("XAGUSD")
    control.reset()


def test_paper_mode_refuses_an_alert_price_it_cannot_quote(broker: Mt5Broker) -> None:
    paper = Mt5Broker(mt5, kind="sim", price_feed=control.set_quote)
    with pytest.raises(OrderRefused, match="not a usable price for EURUSD"):
        paper.follow_alert_price("EURUSD", 0.000001)  # rounds to 0 at 5 digits
    broker.follow_alert_price("EURUSD", 0.000001)  # a live broker ignores alert prices
