"""Every line of the alert corpus (tests/data/alerts/corpus.jsonl) at the parser level.

The bodies are embedded here, exactly as in the corpus, with what the parser must produce for the context
the line's ``expect`` assumes (PineConnector defaults: volume in lots, targets and entries in pips). Lines
whose ``expect`` depends on what only the agent or the server knows (symbol mapping, broker suffix, spread,
account filter, secret match, staleness, max lot) are checked for what the parser hands over to them.
``test_embedded_table_matches_the_corpus_file`` fails if the corpus file and this table drift apart.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from contract.intent import (
    AlertFormat,
    Breakeven,
    CancelAction,
    CloseAction,
    ControlAction,
    ModifyAction,
    OpenAction,
    OrderKind,
    PositionSide,
    Side,
    SyncAction,
    Trailing,
    Volume,
    VolumeUnit,
)
from tests.server.alerts import lots, parse, pips, price, rejected, units

LONG, SHORT = (PositionSide.LONG,), (PositionSide.SHORT,)
DEFAULT = Volume(unit=VolumeUnit.DEFAULT)


@dataclass
class Expect:
    """What the parser produces for a corpus body: an intent (actions + fields) or a refusal."""

    actions: list[Any] | None = None
    fields: dict[str, Any] = field(default_factory=dict)
    reject: tuple[str, ...] = ()
    settings: dict[str, Any] = field(default_factory=dict)
    fmt: AlertFormat | None = None


PC = AlertFormat.PINECONNECTOR
LIC = {"license_id": "60123456789"}

CORPUS: dict[str, Expect] = {
    "60123456789,buy,AUDUSD,risk=0.1": Expect(
        [OpenAction(side=Side.BUY, volume=lots(0.1))], {"symbol": "AUDUSD", **LIC}, fmt=PC
    ),
    "60123456789,sell,GBPJPY,sl=50,risk=1": Expect(
        [OpenAction(side=Side.SELL, volume=lots(1), sl=pips(50))], {"symbol": "GBPJPY"}, fmt=PC
    ),
    "60123456789,closelong,GBPUSD": Expect([CloseAction(sides=LONG)], {"symbol": "GBPUSD"}, fmt=PC),
    "60123456789,long,US30.Cash,risk=1": Expect(
        [OpenAction(side=Side.BUY, volume=lots(1))], {"symbol": "US30.Cash"}, fmt=PC
    ),
    "60123456789,buy,AUDUSD,vol_lots=0.1": Expect(
        [OpenAction(side=Side.BUY, volume=lots(0.1))], {"symbol": "AUDUSD"},
        # Explicit v3 key: lots whatever the Volume Type setting says.
        settings={"volume_type": "pct_balance_loss"},
    ),
    # The secret is compared with the strategy's by the server; the parser hands it over.
    "60123456789,sell,EURUSD,vol_lots=1, secret=HappyTrader501": Expect(
        [OpenAction(side=Side.SELL, volume=lots(1))], {"symbol": "EURUSD", "secret": "HappyTrader501"}
    ),
    "60123456789,sell,GBPJPY,vol_dollar=50,sl_pips=20": Expect(
        [OpenAction(side=Side.SELL, volume=Volume(unit=VolumeUnit.MONEY_LOSS, value=50), sl=pips(20))]
    ),
    "60123456789,buylimit,EURUSD,risk=0.2,price=10,sl=15,tp=30": Expect(
        [OpenAction(side=Side.BUY, kind=OrderKind.LIMIT, volume=lots(0.2), entry=pips(10), sl=pips(15), tp=pips(30))]
    ),
    "60123456789,sellstop,XAUUSD,vol_lots=0.05,entry_price=2318.40,sl_pips=50,tp_pips=100": Expect(
        [OpenAction(side=Side.SELL, kind=OrderKind.STOP, volume=lots(0.05), entry=price(2318.40), sl=pips(50),
                    tp=pips(100))],
        {"symbol": "XAUUSD"},
    ),
    "60123456789,newsltplong,EURUSD,sl=15,tp=30": Expect(
        [ModifyAction(target="positions", sides=LONG, sl=pips(15), tp=pips(30))]
    ),
    "60123456789,cancellong,EURUSD": Expect([CancelAction(sides=LONG)]),
    "60123456789,closelongshort,USDJPY": Expect([CloseAction()], {"symbol": "USDJPY"}),
    "60123456789,closeall,EURUSD": Expect([CloseAction(all_symbols=True, include_pending=True)]),
    "60123456789,closelongbuy,EURUSD,risk=1": Expect(
        [CloseAction(sides=LONG), OpenAction(side=Side.BUY, volume=lots(1))]
    ),
    "60123456789,buy,EURUSD,risk=1,sl=20,tp=40,betrigger=15,beoffset=2": Expect(
        [OpenAction(side=Side.BUY, volume=lots(1), sl=pips(20), tp=pips(40),
                    breakeven=Breakeven(trigger_pips=15, offset_pips=2))]
    ),
    "60123456789,buy,EURUSD,vol_lots=1,sl_pips=10,tp_pips=20,trailtrig=15,traildist=10,trailstep=3": Expect(
        [OpenAction(side=Side.BUY, volume=lots(1), sl=pips(10), tp=pips(20),
                    trailing=Trailing(trigger_pips=15, distance_pips=10, step_pips=3))]
    ),
    # The spread gate runs on the agent, which knows the spread.
    "60123456789,buy,EURUSD,risk=1,sl=20,spread=2": Expect(
        [OpenAction(side=Side.BUY, volume=lots(1), sl=pips(20))], {"max_spread_pips": 2.0}
    ),
    "60123456789,buy,EURUSD,risk=1,accfilter=500": Expect(
        [OpenAction(side=Side.BUY, volume=lots(1))], {"account_filter": 500.0}
    ),
    "60123456789,eaoff,eaoff": Expect([ControlAction(trading_enabled=False)], {"symbol": None, **LIC}),
    # The exchange prefix is stripped by the agent's symbol mapping; the parser keeps the symbol as written.
    "60123456789,buy,OANDA:EURUSD,risk=0.1": Expect(
        [OpenAction(side=Side.BUY, volume=lots(0.1))], {"symbol": "OANDA:EURUSD"}
    ),
    "60123456789,hold,EURUSD": Expect(reject=("unknown command", "hold")),
    "60123456789,buy,EURUSD": Expect(reject=("no volume", "default lot")),
    "60123456789,buylimit,EURUSD,vol_lots=1": Expect(reject=("pending order", "entry")),
    "60123456789,buy,EURUSD,vol_lots=1,sl=10,sl_pips=10": Expect(reject=("more than one stop-loss",)),
    "60123456789,buy,EURUSD,risk=1,sl=NaN,tp=40": Expect(reject=("NaN", "sl")),
    # The max-lot cap is the strategy's (planner): the parser passes 500 lots through, unclamped.
    "60123456789,buy,EURUSD,vol_lots=500": Expect([OpenAction(side=Side.BUY, volume=lots(500))]),
    '{\n    "ticker": "EURUSD",\n    "action": "buy",\n    "sentiment": "long",\n    "quantity": "100000",\n'
    '    "price": "1.08452",\n    "time": "2025-01-15T14:30:05Z",\n    "interval": "15"\n}': Expect(
        [OpenAction(side=Side.BUY, volume=units(100000))],
        {"symbol": "EURUSD", "alert_price": 1.08452, "timeframe": "15m",
         "alert_time": datetime(2025, 1, 15, 14, 30, 5, tzinfo=UTC)},
        fmt=AlertFormat.JSON,
    ),
    '{"ticker":"GBPUSD","action":"sell","contracts":"50000","position_size":"0","market_position":"flat",'
    '"prev_market_position":"long","order_id":"Long Exit","comment":"TP"}': Expect(
        [SyncAction(target="flat", target_size=0, prev="long", order_side=Side.SELL, order_size=50000)],
        {"symbol": "GBPUSD", "comment": "TP"},
    ),
    '{"secret":"eyJhbGciOiJIUzI1NiJ9.c2lnbmFs.abc123","max_lag":"300","timestamp":"2025-03-04T12:00:07Z",'
    '"trigger_price":"67432.5","tv_exchange":"BYBIT","tv_instrument":"BTCUSDT.P","action":"buy",'
    '"bot_uuid":"4e1f0c2a-7d2b-4f7e-9a51-0c8d1c2b3a44","strategy_info":{"market_position":"long",'
    '"market_position_size":"0.005","prev_market_position":"flat","prev_market_position_size":"0"},'
    '"order":{"amount":"0.005","currency_type":"base"}}': Expect(
        [SyncAction(target="long", target_size=0.005, prev="flat", prev_size=0, order_side=Side.BUY,
                    order_size=0.005)],
        {"symbol": "BTCUSDT.P", "max_age_seconds": 300, "alert_price": 67432.5,
         "secret": "eyJhbGciOiJIUzI1NiJ9.c2lnbmFs.abc123",
         "alert_time": datetime(2025, 3, 4, 12, 0, 7, tzinfo=UTC)},
    ),
    '{"ticker":"EURUSD","action":"buy","lots":0.1,}': Expect(reject=("invalid JSON", "trailing comma", "line 1")),
    '{"ticker":"OANDA:EURUSD","action":"sell","lots":0.2}': Expect(
        [OpenAction(side=Side.SELL, volume=lots(0.2))], {"symbol": "OANDA:EURUSD"}
    ),
    '{"ticker":"BTCUSDT.P","exchange":"BINANCE","action":"buy","contracts":"0.005","price":"67432.50"}': Expect(
        [OpenAction(side=Side.BUY, volume=units(0.005))], {"symbol": "BTCUSDT.P", "alert_price": 67432.5}
    ),
    '{"ticker":"NQ1!","exchange":"CME_MINI","action":"buy","quantity":"1","price":"18500.25"}': Expect(
        [OpenAction(side=Side.BUY, volume=units(1))], {"symbol": "NQ1!"}
    ),
    "{{strategy.order.alert_message}}": Expect(reject=("placeholder", "did not substitute", "alert_message")),
    '{"ticker":"XAUUSD","action":"buy","entry":2331.55,"sl":2318.2,"tp":2358.25,"tf":"60",'
    '"time":"2025-02-03T09:00:02Z"}': Expect(
        [OpenAction(side=Side.BUY, volume=DEFAULT, sl=price(2318.2), tp=price(2358.25))],
        {"alert_price": 2331.55, "timeframe": "1h", "alert_time": datetime(2025, 2, 3, 9, 0, 2, tzinfo=UTC)},
        settings={"default_volume_configured": True},
    ),
    '{"action":"buy","symbol":"XAUUSD","risk":1,"sl":2325.50,"tp":2352.00,"source":"TradingView",'
    '"id":"tv-xauusd-001","account":"MY_ACCOUNT","platform":"MT5"}': Expect(
        [OpenAction(side=Side.BUY, volume=Volume(unit=VolumeUnit.PCT_BALANCE_LOSS, value=1), sl=price(2325.5),
                    tp=price(2352))],
        {"alert_id": "tv-xauusd-001"},
    ),
    '{"ticker":"EURUSD","action":"buy","lots":0}': Expect(reject=("greater than 0",)),
    '{"key":"9T2q394M92","msg":"Long *#EURUSD* at `1.08452`"}': Expect(reject=("no trade instruction", "not an order")),
    '{"key":"WebhookReceived:8a2f1c","message":"I\'m a webhook!"}': Expect(reject=("no trade instruction",)),
    "buy EURUSD": Expect(
        [OpenAction(side=Side.BUY, volume=DEFAULT)], {"symbol": "EURUSD"},
        settings={"default_volume_configured": True}, fmt=AlertFormat.PLAIN_TEXT,
    ),
    "RSI Strategy (14, 30, 70): order sell @ 1 filled on EURUSD. New strategy position is -1": Expect(
        reject=("unrecognized format", "default strategy message")
    ),
    "BUY SL=50 TP=100 LOT=0.01": Expect(
        [OpenAction(side=Side.BUY, volume=lots(0.01), sl=pips(50), tp=pips(100))], {"symbol": "EURUSD"},
        settings={"default_symbol": "EURUSD"},
    ),
    "long tradesymbol=EURUSD sl=100 tp=150 lotsize=0.15": Expect(
        [OpenAction(side=Side.BUY, volume=lots(0.15), sl=pips(100), tp=pips(150))], {"symbol": "EURUSD"}
    ),
    "signal=closelong,symbol=EURUSD,close_price=1.08000,exit_reason=stop_loss": Expect(
        [CloseAction(sides=LONG)], {"symbol": "EURUSD", "alert_price": 1.08}, fmt=AlertFormat.KEY_VALUE
    ),
    "LicenseID,EURUSD,buy,risk=0.01,sl=50,tp=100": Expect(reject=("unknown command", "EURUSD", "TradeSgnl")),
    "BUY,EURUSD,VOLUME=0.10,SL=50,TP=100,KEY=TB-XXXX-XXXX": Expect(
        [OpenAction(side=Side.BUY, volume=lots(0.1), sl=pips(50), tp=pips(100))], {"symbol": "EURUSD"}
    ),
    "": Expect(reject=("empty",)),
}


@pytest.mark.parametrize("body", list(CORPUS), ids=[f"line{n + 1}" for n in range(len(CORPUS))])
def test_corpus_line(body: str) -> None:
    expect = CORPUS[body]
    if expect.reject:
        rejected(body, *expect.reject, **expect.settings)
        return
    intent = parse(body, **expect.settings)
    assert intent.actions == expect.actions
    for name, value in expect.fields.items():
        assert getattr(intent, name) == value, name
    if expect.fmt is not None:
        assert intent.format == expect.fmt


#: The corpus, carried by the repository (tests/data/README.md says where it comes from).
CORPUS_FILE = Path(__file__).resolve().parents[2] / "data" / "alerts" / "corpus.jsonl"


def test_embedded_table_matches_the_corpus_file() -> None:
    lines = CORPUS_FILE.read_text(encoding="utf-8").splitlines()
    bodies = [json.loads(line)["body"] for line in lines if line.strip()]
    assert sorted(bodies) == sorted(CORPUS)


# Corpus lines whose expect names a second mode: the opt-in dialects and a configured default lot.


def test_tradesgnl_line_parses_when_the_dialect_is_enabled() -> None:
    intent = parse("LicenseID,EURUSD,buy,risk=0.01,sl=50,tp=100", dialects={"tradesgnl"})
    assert intent.actions == [OpenAction(side=Side.BUY, volume=lots(0.01), sl=pips(50), tp=pips(100))]
    assert intent.symbol == "EURUSD"
    assert intent.license_id == "LicenseID"


def test_default_strategy_message_parses_when_the_dialect_is_enabled() -> None:
    body = "RSI Strategy (14, 30, 70): order sell @ 1 filled on EURUSD. New strategy position is -1"
    intent = parse(body, dialects={"tradingview_default"})
    assert intent.actions == [
        SyncAction(target="short", target_size=1, order_side=Side.SELL, order_size=1, size_unit=VolumeUnit.UNITS)
    ]
    assert intent.symbol == "EURUSD"


def test_entry_without_volume_uses_the_default_lot_only_when_configured() -> None:
    intent = parse("60123456789,buy,EURUSD", default_volume_configured=True)
    assert intent.actions == [OpenAction(side=Side.BUY, volume=DEFAULT)]
    rejected("buy EURUSD", "no volume")
    rejected('{"ticker":"XAUUSD","action":"buy"}', "no volume")


def test_symbolless_text_needs_the_strategy_default_symbol() -> None:
    rejected("BUY SL=50 TP=100 LOT=0.01", "no symbol", "default symbol")


def test_close_price_and_exit_reason_are_kept_for_the_log() -> None:
    intent = parse("signal=closelong,symbol=EURUSD,close_price=1.08000,exit_reason=stop_loss")
    assert intent.extras == {"close_price": "1.08000", "exit_reason": "stop_loss"}


def test_theconnector_and_3commas_extras_are_kept() -> None:
    three_commas = next(body for body in CORPUS if body.startswith('{"secret"'))
    assert parse(three_commas).extras["bot_uuid"] == "4e1f0c2a-7d2b-4f7e-9a51-0c8d1c2b3a44"
    connector = next(body for body in CORPUS if '"account":"MY_ACCOUNT"' in body)
    assert parse(connector).extras == {"source": "TradingView", "account": "MY_ACCOUNT", "platform": "MT5"}
