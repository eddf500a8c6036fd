"""Alerts written for exchanges (TV-Forward, seed 001): two names for one instrument, exchange-only fields, and the
PineConnector line with an empty License ID."""

from __future__ import annotations

import json

import pytest

from server.alerts import AlertRejected, LicenseMismatch, ParseContext, parse_alert
from server.alerts.venue import venue_notes

TV_FORWARD = {
    "ticker": "ETHUSDT.P", "ex": "BITGET", "position_size": "4.8193", "action": "buy", "market_position": "long",
    "market_position_size": "4.8193", "prev_market_position": "flat", "prev_market_position_size": "0",
    "exchange": "bitget", "lever": 22, "td_mode": "isolated", "symbol": "ETHUSDT_UMCBL",
    "api_sec": "asdfasdfasdfasdf",
}  # fmt: skip


def tv_forward(**changes: object) -> bytes:
    return json.dumps({**TV_FORWARD, **changes}).encode()


@pytest.mark.parametrize(
    ("symbol_map", "chosen", "kept"),
    [
        ({"ETHUSDT.P": "ETHUSD"}, "ETHUSDT.P", ("symbol", "ETHUSDT_UMCBL")),
        ({"ethusdt_umcbl": "ETHUSD"}, "ETHUSDT_UMCBL", ("ticker", "ETHUSDT.P")),  # the venue's name, any case
        ({"ETHUSDT.P": "ETHUSD", "ETHUSDT_UMCBL": "ETHUSD"}, "ETHUSDT.P", ("symbol", "ETHUSDT_UMCBL")),
    ],
)
def test_the_name_the_strategy_maps_is_traded_and_the_other_kept(
    symbol_map: dict[str, str], chosen: str, kept: tuple[str, str]
) -> None:
    intent = parse_alert(tv_forward(), ParseContext(symbol_map=symbol_map))
    assert intent.symbol == chosen and intent.secret == "asdfasdfasdfasdf"
    assert intent.extras[kept[0]] == kept[1]
    assert (intent.extras["lever"], intent.extras["td_mode"], intent.extras["exchange"]) == ("22", "isolated", "bitget")


def test_without_a_mapping_or_with_two_different_ones_it_is_refused_saying_what_to_map() -> None:
    with pytest.raises(AlertRejected, match=r"exchange bitget.*--map ETHUSDT\.P=<broker symbol>"):
        parse_alert(tv_forward())
    both = ParseContext(symbol_map={"ETHUSDT.P": "ETHUSD", "ETHUSDT_UMCBL": "ETHUSD.b"})
    with pytest.raises(AlertRejected, match="different broker symbols"):
        parse_alert(tv_forward(), both)
    with pytest.raises(AlertRejected, match="gives the symbol twice"):  # no exchange named: a plain conflict
        parse_alert(b'{"symbol":"EURUSD","ticker":"GBPUSD","action":"buy","lots":1}')


def test_exchange_only_fields_get_a_note_each() -> None:
    intent = parse_alert(tv_forward(), ParseContext(symbol_map={"ETHUSDT.P": "ETHUSD"}))
    notes = venue_notes(intent)
    assert len(notes) == 2
    assert notes[0].startswith("lever=22 (the exchange's leverage) was recorded but does not apply to MetaTrader 5")
    assert notes[1].startswith("td_mode=isolated (the exchange's margin mode)")
    assert venue_notes(parse_alert(b'{"symbol":"EURUSD","action":"buy","lots":1}')) == []


def test_an_empty_license_id_is_never_read_as_plain_text() -> None:
    with pytest.raises(LicenseMismatch, match="empty License ID") as refused:
        parse_alert(b",buy,EURUSD,vol_lots=0.1", ParseContext(license_id="60123456789"))
    assert refused.value.license_id == ""
    with pytest.raises(AlertRejected, match="empty License ID"):
        parse_alert(b" , buy , EURUSD , vol_lots=0.1")
    assert parse_alert(b"buy EURUSD lot=0.1").symbol == "EURUSD"  # plain text without the comma still reads


def test_a_wrong_license_id_is_a_license_mismatch_carrying_what_was_tried() -> None:
    with pytest.raises(LicenseMismatch) as refused:
        parse_alert(b"60999,buy,EURUSD,vol_lots=0.1", ParseContext(license_id="60123456789"))
    assert refused.value.license_id == "60999"
    with pytest.raises(LicenseMismatch):
        parse_alert(b'{"license_id":"60999","symbol":"EURUSD","action":"buy","lots":1}',
                    ParseContext(license_id="60123456789"))
