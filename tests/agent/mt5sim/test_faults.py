"""Scripted order_send failures (control.inject_fault) and simulated latency."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator

import pytest

import agent.mt5sim as mt5
from agent.mt5sim import control

BUY = {"action": 1, "symbol": "EURUSD", "volume": 0.1, "type": 0, "type_filling": 0}


@pytest.fixture(autouse=True)
def connected() -> Iterator[None]:
    control.reset()
    control.configure()
    assert mt5.initialize()
    yield
    control.reset()


@pytest.mark.parametrize(
    ("kind", "retcode", "comment"),
    [
        ("requote", 10004, "Requote"),
        ("price_changed", 10020, "Prices changed"),
        ("price_off", 10021, "No prices"),
        ("timeout", 10012, "Request canceled by timeout"),
        ("too_many_requests", 10024, "Too many requests"),
        ("connection", 10031, "No connection"),
        ("market_closed", 10018, "Market closed"),
    ],
)
def test_result_faults_fail_the_next_send_only(kind: str, retcode: int, comment: str) -> None:
    control.inject_fault(kind)
    result = mt5.order_send(BUY)
    assert (result.retcode, result.comment, result.deal, result.order) == (retcode, comment, 0, 0)
    assert mt5.last_error() == (1, "Success")
    assert mt5.positions_total() == 0
    assert mt5.order_send(BUY).retcode == mt5.TRADE_RETCODE_DONE


def test_requote_carries_the_current_prices() -> None:
    control.set_quote("EURUSD", 1.12000, 1.12015)
    control.inject_fault("requote")
    result = mt5.order_send(BUY)
    assert (result.bid, result.ask) == (1.12000, 1.12015)


@pytest.mark.parametrize(("kind", "error"), [("ipc_send", (-10001, "IPC send failed")),
                                             ("ipc_recv", (-10002, "IPC recv failed"))])
def test_ipc_faults_return_none(kind: str, error: tuple[int, str]) -> None:
    control.inject_fault(kind)
    assert mt5.order_send(BUY) is None
    assert mt5.last_error() == error
    assert mt5.positions_total() == 0


@pytest.mark.parametrize("kind", ["timeout", "ipc_recv"])
def test_ambiguous_faults_can_execute_the_trade_anyway(kind: str) -> None:
    control.inject_fault(kind, executed=True)
    result = mt5.order_send({**BUY, "magic": 99, "comment": "tv:dup-check"})
    assert result is None or result.retcode == mt5.TRADE_RETCODE_TIMEOUT
    (position,) = mt5.positions_get()  # the hazard: it did happen; reconcile by magic + comment
    assert (position.magic, position.comment) == (99, "tv:dup-check")


def test_count_queues_several_failures() -> None:
    control.inject_fault("too_many_requests", count=2)
    control.inject_fault("requote")
    codes = [mt5.order_send(BUY).retcode for _ in range(4)]
    assert codes == [10024, 10024, 10004, 10009]


def test_faults_affect_order_send_only() -> None:
    control.inject_fault("connection")
    assert mt5.order_check(BUY).retcode == 0
    assert mt5.order_send(BUY).retcode == mt5.TRADE_RETCODE_CONNECTION


def test_inject_fault_validates_its_arguments() -> None:
    with pytest.raises(ValueError, match="unknown fault"):
        control.inject_fault("meteor")
    with pytest.raises(ValueError):
        control.inject_fault("requote", count=0)
    with pytest.raises(ValueError):
        control.inject_fault("requote", executed=True)
    control.inject_fault("requote")
    control.clear_faults()
    assert mt5.order_send(BUY).retcode == mt5.TRADE_RETCODE_DONE


def test_latency_blocks_other_calls_for_the_round_trip() -> None:
    control.set_terminal(latency_ms=200)
    assert mt5.terminal_info().ping_last == 200_000
    sending = threading.Event()
    finished: list[float] = []

    def send() -> None:
        sending.set()
        mt5.order_send(BUY)
        finished.append(time.monotonic())

    start = time.monotonic()
    worker = threading.Thread(target=send)
    worker.start()
    sending.wait(timeout=5)
    time.sleep(0.05)
    mt5.account_info()  # waits until the order_send round trip releases the terminal
    read_done = time.monotonic()
    worker.join(timeout=5)
    assert finished and finished[0] - start >= 0.19
    assert read_done - start >= 0.19
