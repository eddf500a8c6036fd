"""Parsed alerts in words (the dashboard's signal detail and the alert builder's check)."""

from __future__ import annotations

import pytest

from server.alerts import ParseContext, parse_alert
from server.dashboard.words import intent_words, num


def words(message: str) -> list[str]:
    return intent_words(parse_alert(message.encode(), ParseContext(default_volume_configured=True)))


@pytest.mark.parametrize(("message", "expected"), [
    ("60123456789,buylimit,EURUSD,vol_lots=0.1,entry_pips=10,sl_pips=15,tp_pips=30", [
        "Place a buy limit order for 0.1 lots of EURUSD, entry 10 pips from the current price.",
        "Stop-loss 15 pips from the entry price.", "Take-profit 30 pips from the entry price."]),
    ('{"symbol": "XAUUSD", "action": "sell", "risk": 1, "sl": 2400}', [
        "Sell XAUUSD at the market price, sized to lose 1% of the balance at the stop-loss.",
        "Stop-loss at 2400.", "No take-profit."]),
    ("60123456789,closelongpct,EURUSD,risk=50",
     ["Close 50% of each of this strategy's long (buy) positions on EURUSD."]),
    ("60123456789,closeall,EURUSD", ["Close this strategy's long (buy) and short (sell) positions on every symbol "
                                     "and delete its pending orders."]),
    ("60123456789,eaoff,eaoff", ["Halt new entries for this strategy until an eaon alert (eaoff)."]),
    ('{"symbol":"EURUSD","action":"buy","lots":1, "take_profits": [{"price": 1.105, "share": 60}, {"pips": 90}]}', [
        "Buy 1 lots of EURUSD at the market price.", "No stop-loss.",
        "TP1: close 60% of the volume at 1.105.", "TP2: close 40% of the volume 90 pips from the fill price."]),
    ("60123456789,newsltplong,EURUSD,sl_pips=10", [
        "Set the stop-loss 10 pips from the current price on this strategy's open long positions on EURUSD."]),
])
def test_intents_read_as_sentences(message: str, expected: list[str]) -> None:
    assert words(message)[: len(expected)] == expected


def test_strategy_sync_and_provenance() -> None:
    out = words('{"ticker": "GBPUSD", "action": "sell", "contracts": "50000", "market_position": "flat", '
                '"prev_market_position": "long", "prev_market_position_size": "50000", "id": "a-1", '
                '"timenow": "2025-01-15T14:30:05Z", "comment": "exit"}')
    assert out[0].startswith("Bring this strategy's GBPUSD position to flat (no position)")
    assert "Fired by TradingView at 2025-01-15 14:30:05 UTC." in out
    assert "Alert id a-1: a repeat of it within 24 hours is not traded again." in out
    assert out[-1] == "Comment: exit"


def test_numbers_have_no_float_noise() -> None:
    assert [num(0.1), num(100000.0), num(1e-7), num(2e20)] == ["0.1", "100000", "0.0000001", "2e+20"]
