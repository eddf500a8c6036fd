"""The paper market: thin liquidity gives partial fills (IOC) or rejections (FOK), the stop-out closes the worst
position with DEAL_REASON_SO, manual trades carry DEAL_REASON_CLIENT, the desk takes command files, and the seeded
random walk moves prices with each symbol's volatility so SL/TP trigger."""

from __future__ import annotations

import json
import math
from collections.abc import Iterator
from pathlib import Path

import pytest

import agent.mt5sim as mt5
from agent.mt5sim import control
from agent.mt5sim.desk import Desk
from agent.mt5sim.feed import RandomWalk, TerminalQuotes


@pytest.fixture(autouse=True)
def terminal() -> Iterator[None]:
    control.reset()
    control.configure(None, margin_mode="netting", balance=10_000.0)
    assert mt5.initialize()
    yield
    control.reset()


def deal(symbol: str, lots: float, filling: int, side: int = mt5.ORDER_TYPE_BUY) -> object:
    tick = mt5.symbol_info_tick(symbol)
    return mt5.order_send({
        "action": mt5.TRADE_ACTION_DEAL, "symbol": symbol, "volume": lots, "type": side,
        "price": tick.ask if side == mt5.ORDER_TYPE_BUY else tick.bid, "type_filling": filling, "magic": 7,
    })


def test_thin_liquidity_fills_an_ioc_deal_partly_and_rejects_a_fok_deal() -> None:
    control.set_symbol("EURUSD", liquidity_lots=0.37)
    partial = deal("EURUSD", 1.0, mt5.ORDER_FILLING_IOC)
    assert (partial.retcode, partial.volume) == (mt5.TRADE_RETCODE_DONE_PARTIAL, 0.37)
    (position,) = mt5.positions_get(symbol="EURUSD")
    assert position.volume == 0.37
    (last,) = [d for d in mt5.history_deals_get(ticket=partial.order)]
    assert last.volume == 0.37
    whole = deal("EURUSD", 1.0, mt5.ORDER_FILLING_FOK)
    assert whole.retcode == mt5.TRADE_RETCODE_REJECT and whole.volume == 0.0
    small = deal("EURUSD", 0.3, mt5.ORDER_FILLING_FOK)  # within the liquidity: filled whole
    assert (small.retcode, small.volume) == (mt5.TRADE_RETCODE_DONE, 0.3)


def test_the_stop_out_closes_the_worst_position_when_margin_runs_out() -> None:
    control.set_quote("EURUSD", 1.10000)
    control.set_quote("GBPUSD", 1.27000)
    assert deal("EURUSD", 5.0, mt5.ORDER_FILLING_FOK).retcode == mt5.TRADE_RETCODE_DONE
    assert deal("GBPUSD", 0.1, mt5.ORDER_FILLING_FOK).retcode == mt5.TRADE_RETCODE_DONE
    control.set_quote("EURUSD", 1.08100)  # 5 lots lose ~9,560 USD: the margin level falls below 30 %
    symbols = [p.symbol for p in mt5.positions_get()]
    assert symbols == ["GBPUSD"]
    (so,) = [d for d in mt5.history_deals_get(0, 2**31) if d.reason == mt5.DEAL_REASON_SO]
    assert (so.symbol, so.volume, so.price, so.comment[:4]) == ("EURUSD", 5.0, 1.081, "[so ")
    assert so.profit == round((1.081 - 1.10012) * 500_000, 2)


def test_a_forced_stop_out_and_manual_trades_carry_their_reasons() -> None:
    retcode, _, order = control.manual_trade("AUDUSD", "buy", 0.2)
    assert retcode == mt5.TRADE_RETCODE_DONE
    (position,) = mt5.positions_get(symbol="AUDUSD")
    assert (position.magic, position.reason) == (0, mt5.POSITION_REASON_CLIENT)
    (opening,) = mt5.history_deals_get(ticket=order)
    assert opening.reason == mt5.DEAL_REASON_CLIENT
    assert control.stop_out() == 1
    assert mt5.positions_get(symbol="AUDUSD") == ()


def test_the_desk_runs_command_files_in_order_and_answers_each(tmp_path: Path) -> None:
    desk = Desk(tmp_path)
    (tmp_path / "001.json").write_text(json.dumps({"op": "quote", "symbol": "EURUSD", "bid": 1.2}))
    (tmp_path / "002.json").write_text(json.dumps({"op": "trade", "symbol": "EURUSD", "side": "sell", "volume": 0.4}))
    (tmp_path / "003.json").write_text(json.dumps({"op": "close", "ticket": 1}))
    (tmp_path / "004.json").write_text("not json")
    assert desk.poll() == 4
    answers = [json.loads((tmp_path / f"00{i}.done.json").read_text()) for i in range(1, 5)]
    assert answers[0] == {"ok": True, "result": {}}
    assert answers[1]["ok"] and answers[1]["result"]["retcode"] == mt5.TRADE_RETCODE_DONE
    assert answers[2] == {"ok": False, "error": "ValueError: no open position #1"}
    assert not answers[3]["ok"]
    (position,) = mt5.positions_get(symbol="EURUSD")
    assert (position.type, position.volume, position.price_open) == (mt5.POSITION_TYPE_SELL, 0.4, 1.2)
    assert sorted(p.name for p in tmp_path.iterdir()) == [f"00{i}.done.json" for i in range(1, 5)]


def test_the_random_walk_is_seeded_and_moves_with_the_symbols_volatility() -> None:
    first = RandomWalk(42).step(60.0)
    control.reset()
    control.configure(None, margin_mode="netting", balance=10_000.0)
    assert mt5.initialize()
    again = RandomWalk(42).step(60.0)
    assert first == again and "EURUSD" in first  # the same seed, the same prices
    walk = RandomWalk(7)
    moves = []
    before = control_bid("XAUUSD")
    for _ in range(400):
        now = walk.step(3600.0)["XAUUSD"]
        moves.append(math.log(now / before))
        before = now
    hourly = (sum(m * m for m in moves) / len(moves)) ** 0.5
    assert hourly == pytest.approx(0.010 / math.sqrt(24), rel=0.15)  # gold: about 1 % a day
    bid, ask = mt5.symbol_info_tick("XAUUSD").bid, mt5.symbol_info_tick("XAUUSD").ask
    assert round(ask - bid, 2) == 0.20  # the symbol's typical spread on top


def control_bid(symbol: str) -> float:
    return float(mt5.symbol_info_tick(symbol).bid)


def test_the_walk_reaches_a_stop_loss_in_paper_mode() -> None:
    control.set_quote("EURUSD", 1.10000)
    tick = mt5.symbol_info_tick("EURUSD")
    result = mt5.order_send({
        "action": mt5.TRADE_ACTION_DEAL, "symbol": "EURUSD", "volume": 0.1, "type": mt5.ORDER_TYPE_BUY,
        "price": tick.ask, "sl": 1.0990, "tp": 1.1030, "type_filling": mt5.ORDER_FILLING_FOK, "magic": 7,
    })
    assert result.retcode == mt5.TRADE_RETCODE_DONE
    walk = RandomWalk(2024)
    for _ in range(2000):
        walk.step(3600.0)
        if not mt5.positions_get(symbol="EURUSD"):
            break
    (closing,) = [d for d in mt5.history_deals_get(position=result.order) if d.entry == mt5.DEAL_ENTRY_OUT]
    assert closing.reason in (mt5.DEAL_REASON_SL, mt5.DEAL_REASON_TP)


class LiveTerminal:
    """A stand-in for the MetaTrader5 package's read-only surface (a live terminal's quotes)."""

    def __init__(self) -> None:
        self.selected: list[str] = []

    def symbol_select(self, name: str, enable: bool) -> bool:
        self.selected.append(name)
        return True

    def symbol_info_tick(self, name: str) -> object | None:
        if name != "EURUSD":
            return None
        return type("Tick", (), {"bid": 1.23456, "ask": 1.23466})()


def test_live_quotes_are_copied_into_the_paper_market() -> None:
    copied = TerminalQuotes(LiveTerminal()).copy()
    assert copied == {"EURUSD": (1.23456, 1.23466)}
    tick = mt5.symbol_info_tick("EURUSD")
    assert (tick.bid, tick.ask) == (1.23456, 1.23466)
