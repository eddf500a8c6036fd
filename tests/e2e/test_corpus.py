"""Every line of the alert corpus (``tests/data/alerts/corpus.jsonl``) through the real server and agent,
asserting its ``expect``: the orders on the simulator, or the refusal and its message.

One hedging account for the module, one strategy per case: positions are told apart by magic number, so
cases cannot disturb each other. ``expect`` assumes PineConnector's default EA settings (lots, pips, pips).
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.conftest import Live, start_live, stop_live

#: The corpus, carried by the repository (tests/data/README.md says where it comes from).
CORPUS = Path(__file__).resolve().parents[1] / "data" / "alerts" / "corpus.jsonl"
LINES = [json.loads(line) for line in CORPUS.read_text().splitlines() if line.strip()]

#: Corpus bodies carry fixed timestamps from 2025: they are replayed as if TradingView fired them now (a max
#: signal age is at most a day), except line 28, which tests the staleness gate with its own timestamp.
FIXED_TIME = re.compile(r"20\d\d-\d\d-\d\dT\d\d:\d\d:\d\dZ")


def fired_now(body: str) -> str:
    """``body`` with its fixed alert time replaced by the current UTC time."""
    return FIXED_TIME.sub(datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"), body)
PIP = {"EURUSD": 0.0001, "GBPUSD": 0.0001, "GBPJPY": 0.01, "XAUUSD": 0.1}


@pytest.fixture(scope="module")
def hedging() -> Iterator[Live]:
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        # A large account: the module keeps ~60 positions open at once, each strategy's own.
        live = start_live(Path(tmp) / "data", sim_margin_mode="hedging", sim_balance=1_000_000.0)
        yield live
        stop_live(live)


@dataclass
class Case:
    """A corpus line, the strategy settings its ``expect`` assumes, alerts that set the scene first, and
    what the outcome must be."""

    line: int
    status: str
    settings: dict[str, Any] = field(default_factory=dict)
    setup: list[str] = field(default_factory=list)
    message: str | None = None  # a fragment the error message must contain
    check: Callable[[Live, dict[str, Any], dict[str, Any]], None] | None = None
    body: str | None = None  # a variant body instead of the corpus line's
    id: str = ""


def positions(live: Live, strategy: dict[str, Any]) -> list[dict[str, Any]]:
    """This strategy's open positions as of its newest signal that sent orders."""
    return live.positions(strategy)


def orders(sig: dict[str, Any]) -> list[tuple[str, str, float]]:
    return [(o["type"], o["symbol"], o["volume"]) for o in sig["orders"]]


def near(a: float, b: float, tol: float = 1e-6) -> bool:
    return abs(a - b) <= tol


def only(*expected: tuple[str, str, float]) -> Callable[[Live, dict[str, Any], dict[str, Any]], None]:
    def check(_live: Live, _strategy: dict[str, Any], sig: dict[str, Any]) -> None:
        assert orders(sig) == list(expected)

    return check


def sl_tp(symbol: str, sl_pips: float | None, tp_pips: float | None, *, sell: bool = False):  # type: ignore[no-untyped-def]
    def check(_live: Live, _strategy: dict[str, Any], sig: dict[str, Any]) -> None:
        [o] = sig["orders"]
        sign = 1 if sell else -1
        if sl_pips is not None:
            assert near(o["sl"], o["price"] + sign * sl_pips * PIP[symbol], 1e-5 * o["price"]), o
        if tp_pips is not None:
            assert near(o["tp"], o["price"] - sign * tp_pips * PIP[symbol], 1e-5 * o["price"]), o

    return check


def _gbpjpy_risk(_live: Live, _strategy: dict[str, Any], sig: dict[str, Any]) -> None:
    [o] = sig["orders"]
    assert o["type"] == "sell" and o["symbol"] == "GBPJPY"
    assert near(o["sl"], o["price"] + 0.20, 0.0015)
    # 20 pips of GBPJPY ~ 0.20 JPY x 100,000 / ~150 = ~133 USD per lot: 50 USD -> ~0.37 lots, rounded down
    assert 0.30 <= o["volume"] <= 0.40


def _buy_limit_in_pips(_live: Live, _strategy: dict[str, Any], sig: dict[str, Any]) -> None:
    [o] = sig["orders"]
    assert (o["type"], o["volume"]) == ("buy_limit", 0.2)
    assert near(o["sl"], o["price"] - 0.0015, 2e-5) and near(o["tp"], o["price"] + 0.0030, 2e-5)
    assert o["price"] < 1.0855  # below the ask


def _sell_stop_gold(_live: Live, _strategy: dict[str, Any], sig: dict[str, Any]) -> None:
    [o] = sig["orders"]
    assert (o["type"], o["price"], o["volume"]) == ("sell_stop", 2318.40, 0.05)
    assert (o["sl"], o["tp"]) == (2323.40, 2308.40)  # 50 / 100 pips of 0.10 from the entry


def _newsltp(_live: Live, _strategy: dict[str, Any], sig: dict[str, Any]) -> None:
    [o] = sig["orders"]
    assert o["type"] == "sltp"
    assert near(o["tp"] - o["sl"], 0.0045, 2e-5)  # 15 pips below and 30 above the current price


def _cancelled(_live: Live, _strategy: dict[str, Any], sig: dict[str, Any]) -> None:
    assert [o["type"] for o in sig["orders"]] == ["remove"]


def _flat_both(live: Live, strategy: dict[str, Any], sig: dict[str, Any]) -> None:
    assert sorted(o["type"] for o in sig["orders"]) == ["close buy", "close sell"]
    assert positions(live, strategy) == []


def _close_all(live: Live, strategy: dict[str, Any], sig: dict[str, Any]) -> None:
    kinds = sorted(o["type"] for o in sig["orders"])
    assert kinds == ["close sell", "close sell", "remove"], kinds
    assert positions(live, strategy) == []
    bystander = next(s for s in live.admin.get("/api/v1/strategies").json() if s["name"] == "bystander")
    assert len(positions(live, bystander)) == 1  # another strategy's position is never touched


def _close_then_buy(live: Live, strategy: dict[str, Any], sig: dict[str, Any]) -> None:
    assert orders(sig) == [("close sell", "EURUSD", 0.1), ("buy", "EURUSD", 1.0)]
    assert [(p["type"], p["volume"]) for p in positions(live, strategy)] == [("buy", 1.0)]


def _stop_moves(  # type: ignore[no-untyped-def]
    word: str, profit_pips: float, sl_from_entry_pips: float | None, sl_from_bid_pips: float | None
):
    """The bridge-side stop manager at work: after the fill, the market moves ``profit_pips`` in the position's
    favour (another strategy's alert carrying a price sets the paper quote) and MT5's stop loss must follow."""

    def check(live: Live, strategy: dict[str, Any], sig: dict[str, Any]) -> None:
        assert orders(sig) == [("buy", "EURUSD", 1.0)]
        assert any(word in n.lower() for n in sig["notes"]), sig["notes"]
        [pos] = positions(live, strategy)
        entry, first_sl = pos["price_open"], pos["sl"]
        bid = round(entry + profit_pips * 0.0001, 5)
        mover = live.create_strategy(f"quote mover {word}")
        live.trade(mover, f'{{"symbol":"EURUSD","action":"buy","lots":0.01,"price":{bid}}}')
        if sl_from_entry_pips is not None:
            want = entry + sl_from_entry_pips * 0.0001
        else:
            want = bid - (sl_from_bid_pips or 0) * 0.0001
        deadline = time.monotonic() + 10
        while True:
            [pos] = positions(live, strategy)
            if abs(pos["sl"] - want) < 1e-6 or time.monotonic() > deadline:
                break
            time.sleep(0.1)
        assert pos["sl"] != first_sl and abs(pos["sl"] - want) < 1e-6, (pos, want)

    return check


def _flat_exit(live: Live, strategy: dict[str, Any], sig: dict[str, Any]) -> None:
    assert orders(sig) == [("close sell", "GBPUSD", 0.5)]
    assert positions(live, strategy) == []  # closed, and no short opened


def _gold_absolute(_live: Live, _strategy: dict[str, Any], sig: dict[str, Any]) -> None:
    [o] = sig["orders"]
    assert (o["type"], o["volume"], o["sl"], o["tp"]) == ("buy", 0.05, 2318.2, 2358.25)


def _gold_risk(live: Live, _strategy: dict[str, Any], sig: dict[str, Any]) -> None:
    [o] = sig["orders"]
    assert (o["type"], o["sl"], o["tp"]) == ("buy", 2325.5, 2352.0)
    balance = live.admin.get("/api/v1/account").json()[0]["balance"]
    loss = o["volume"] * (o["price"] - 2325.5) * 100  # contract 100 oz
    assert 0.0099 * balance < loss <= 0.01 * balance  # 1 % of the balance, rounded down to the lot step


SETUP_LONG = '{"symbol": "%s", "action": "buy", "lots": %s}'

CASES = [
    Case(0, "executed", check=only(("buy", "AUDUSD", 0.1))),
    Case(1, "executed", check=sl_tp("GBPJPY", 50, None, sell=True)),
    Case(2, "executed", setup=[SETUP_LONG % ("GBPUSD", 0.1)], check=only(("close sell", "GBPUSD", 0.1))),
    Case(2, "discarded", message="nothing to close", id="2-no-position"),
    Case(3, "executed", check=only(("buy", "US30.Cash", 1.0))),
    Case(4, "executed", check=only(("buy", "AUDUSD", 0.1))),
    Case(5, "executed", settings={"alert_secret": "HappyTrader501"}, check=only(("sell", "EURUSD", 1.0))),
    Case(5, "rejected", settings={"alert_secret": "SomethingElse"}, message="secret", id="5-wrong-secret"),
    Case(6, "executed", check=_gbpjpy_risk),
    Case(7, "executed", check=_buy_limit_in_pips),
    Case(8, "executed", check=_sell_stop_gold),
    Case(9, "executed", setup=[SETUP_LONG % ("EURUSD", 0.1)], check=_newsltp),
    Case(10, "executed", setup=["60123456789,buylimit,EURUSD,vol_lots=0.1,entry_pips=20"], check=_cancelled),
    Case(11, "executed", setup=[SETUP_LONG % ("USDJPY", 0.1), '{"symbol":"USDJPY","action":"sell","lots":0.1}'],
         check=_flat_both),
    Case(12, "executed", setup=[SETUP_LONG % ("EURUSD", 0.1), SETUP_LONG % ("GBPUSD", 0.1),
                                "60123456789,buylimit,EURUSD,vol_lots=0.1,entry_pips=20"], check=_close_all),
    Case(13, "executed", setup=[SETUP_LONG % ("EURUSD", 0.1)], check=_close_then_buy),
    Case(14, "executed", check=_stop_moves("breakeven", 17, sl_from_entry_pips=2, sl_from_bid_pips=None)),
    Case(15, "executed", check=_stop_moves("trailing", 16, sl_from_entry_pips=None, sl_from_bid_pips=10)),
    Case(16, "executed", check=sl_tp("EURUSD", 20, None)),
    Case(16, "discarded", body="60123456789,buy,EURUSD,risk=1,sl=20,spread=0.5", message="spread", id="16-wide"),
    Case(17, "executed", check=only(("buy", "EURUSD", 1.0))),
    Case(17, "discarded", body="60123456789,buy,EURUSD,risk=1,accfilter=50000000", message="50000000", id="17-low"),
    Case(19, "executed", check=only(("buy", "EURUSD", 0.1))),
    Case(20, "rejected", message="unknown command 'hold'"),
    Case(21, "rejected", settings={"default_volume": None}, message="volume"),
    Case(22, "rejected", message="entry"),
    Case(23, "rejected", message="more than one stop-loss"),
    Case(24, "rejected", message="NaN"),
    Case(25, "rejected", message="maximum"),
    Case(26, "executed", check=only(("buy", "EURUSD", 1.0))),
    Case(27, "executed", setup=[SETUP_LONG % ("GBPUSD", 0.5)], check=_flat_exit),
    Case(28, "rejected", message="older than the maximum age of 300 s"),
    Case(29, "rejected", message="trailing comma"),
    Case(30, "executed", check=only(("sell", "EURUSD", 0.2))),
    Case(31, "rejected", message="BTCUSDT.P"),
    Case(31, "rejected", settings={"symbol_map": {"BTCUSDT.P": "BTCUSD"}}, message="minimum", id="31-mapped"),
    Case(32, "rejected", message="NQ1!"),
    Case(33, "rejected", message="placeholder"),
    Case(34, "executed", check=_gold_absolute),
    Case(35, "executed", check=_gold_risk),
    Case(36, "rejected", message="greater than 0"),
    Case(37, "rejected", message="no trade instruction"),
    Case(38, "rejected", message="no trade instruction"),
    Case(39, "executed", check=only(("buy", "EURUSD", 0.05))),
    Case(40, "rejected", message="default strategy message"),
    Case(41, "executed", settings={"default_symbol": "EURUSD"}, check=sl_tp("EURUSD", 50, 100)),
    Case(42, "executed", check=sl_tp("EURUSD", 100, 150)),
    Case(43, "executed", setup=[SETUP_LONG % ("EURUSD", 0.1)], check=only(("close sell", "EURUSD", 0.1))),
    Case(44, "rejected", message="unknown command 'EURUSD'"),
    Case(45, "executed", check=sl_tp("EURUSD", 50, 100)),
    Case(46, "rejected", message="empty"),
]


def test_every_corpus_line_is_covered() -> None:
    covered = {c.line for c in CASES} | {18}  # 18 (eaoff) has its own test below
    assert covered == set(range(len(LINES)))


@pytest.mark.parametrize("case", CASES, ids=[c.id or str(c.line) for c in CASES])
def test_corpus_line(hedging: Live, case: Case) -> None:
    line = LINES[case.line]
    settings = {"default_volume": 0.05, **case.settings}
    if case.line == 12:
        bystander = hedging.create_strategy("bystander")
        assert hedging.trade(bystander, SETUP_LONG % ("EURUSD", 0.1))["status"] == "executed"
    strategy = hedging.create_strategy(f"corpus {case.id or case.line}", **settings)
    for body in case.setup:
        assert hedging.trade(strategy, body)["status"] == "executed"
    body = case.body or (line["body"] if case.line == 28 else fired_now(line["body"]))
    sig = hedging.trade(strategy, body, line["content_type"])
    assert sig["status"] == case.status, (line["expect"], sig["error_message"], sig["orders"])
    if case.message:
        assert case.message.lower() in (sig["error_message"] or "").lower(), sig["error_message"]
    if case.status != "executed":
        assert sig["orders"] == []
    if case.check:
        case.check(hedging, strategy, sig)


def test_eaoff_halts_entries_until_eaon(hedging: Live) -> None:
    assert LINES[18]["body"] == "60123456789,eaoff,eaoff"
    strategy = hedging.create_strategy("ea switch")
    assert hedging.trade(strategy, LINES[18]["body"])["status"] == "executed"
    refused = hedging.trade(strategy, "60123456789,buy,EURUSD,vol_lots=0.1")
    assert refused["status"] == "discarded" and "eaon" in refused["error_message"]
    assert hedging.trade(strategy, "60123456789,eaon,eaon")["status"] == "executed"
    assert hedging.trade(strategy, "60123456789,buy,EURUSD,vol_lots=0.1")["status"] == "executed"
