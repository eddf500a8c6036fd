"""Close, partial close and reversal through the real server and agent, on netting and hedging accounts."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.conftest import Live, start_live, stop_live


@pytest.fixture(scope="module", params=["netting", "hedging"])
def account(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Live]:
    live = start_live(tmp_path_factory.mktemp(request.param) / "data", sim_margin_mode=request.param)
    yield live
    stop_live(live)


def held(live: Live, strategy: dict[str, Any]) -> list[tuple[str, float]]:
    """(type, lots) of the strategy's positions, as of its newest signal that sent orders."""
    return sorted((p["type"], p["volume"]) for p in live.positions(strategy))


def tv_fill(action: str, contracts: int, position: str, size: int, prev: str, prev_size: int, n: int) -> str:
    """A TradingView strategy order-fill alert ({{strategy.*}} placeholders substituted), sizes in units."""
    return json.dumps({
        "ticker": "EURUSD", "action": action, "contracts": str(contracts), "market_position": position,
        "market_position_size": str(size), "prev_market_position": prev, "prev_market_position_size": str(prev_size),
        "id": f"fill-{n}",
    })


def test_partial_close_by_percent(account: Live) -> None:
    strategy = account.create_strategy("partial")
    assert account.trade(strategy, "1,buy,GBPUSD,vol_lots=0.8")["status"] == "executed"
    sig = account.trade(strategy, "1,closelongpct,GBPUSD,risk=25")
    assert sig["status"] == "executed", sig["error_message"]
    assert [(o["type"], o["volume"]) for o in sig["orders"]] == [("close sell", 0.2)]
    assert held(account, strategy) == [("buy", 0.6)]


def test_tradingview_reversal_reaches_the_target_position_and_refuses_a_replay(account: Live) -> None:
    strategy = account.create_strategy("reversal")
    opened = account.trade(strategy, tv_fill("buy", 50_000, "long", 50_000, "flat", 0, 1))
    assert opened["status"] == "executed", opened["error_message"]
    assert held(account, strategy) == [("buy", 0.5)]
    # the reversal fill: 150,000 contracts = 50,000 to close the long + 100,000 to open the short
    reversed_ = account.trade(strategy, tv_fill("sell", 150_000, "short", 100_000, "long", 50_000, 2))
    assert reversed_["status"] == "executed", reversed_["error_message"]
    assert held(account, strategy) == [("sell", 1.0)]
    # the same fill delivered again under a new id (out of order / replayed): the position no longer matches
    replay = account.trade(strategy, tv_fill("sell", 150_000, "short", 100_000, "long", 50_000, 3))
    assert replay["status"] in ("rejected", "discarded")
    assert "out of order" in replay["error_message"] or "duplicate" in replay["error_message"]
    assert held(account, strategy) == [("sell", 1.0)]
    flat = account.trade(strategy, tv_fill("buy", 100_000, "flat", 0, "short", 100_000, 4))
    assert flat["status"] == "executed"
    assert held(account, strategy) == []  # flat: closed, and nothing opened the other way


def test_close_then_reverse_macro(account: Live) -> None:
    strategy = account.create_strategy("macro")
    assert account.trade(strategy, "1,buy,AUDUSD,vol_lots=0.3")["status"] == "executed"
    sig = account.trade(strategy, "1,closelongopenshort,AUDUSD,vol_lots=0.2")
    assert sig["status"] == "executed", sig["error_message"]
    assert held(account, strategy) == [("sell", 0.2)]


def test_hedging_keeps_each_ticket_and_closes_each_by_ticket(tmp_path: Path) -> None:
    live = start_live(tmp_path / "data", sim_margin_mode="hedging")
    try:
        strategy = live.create_strategy("tickets")
        for i in range(3):
            assert live.trade(strategy, f"1,buy,USDCHF,vol_lots=0.1,comment=leg{i}")["status"] == "executed"
        assert held(live, strategy) == [("buy", 0.1)] * 3
        sig = live.trade(strategy, "1,closelong,USDCHF")
        tickets = {o["position_ticket"] for o in sig["orders"]}
        assert len(tickets) == 3 and all(o["type"] == "close sell" for o in sig["orders"])
        assert held(live, strategy) == []
    finally:
        stop_live(live)
