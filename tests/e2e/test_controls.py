"""The trader's controls end to end (issue 13): a real tvbridge (both listeners, migrations), a real agent process
on the paper terminal, alerts over HTTP, on a netting and on a hedging account.

Every refusal is stored with its sentence and the gate (or the agent) that decided; every accepted variant sends
exactly the orders expected. Each test has its own strategy, and on the shared accounts its own symbol, so the
tests do not see each other's positions. The account-wide caps change the app's settings, so those tests start
their own tvbridge.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.conftest import Live, start_live, stop_live
from tests.e2e.paper import quote


@pytest.fixture(scope="module", params=["netting", "hedging"])
def account(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Live]:
    """One paper account per margin mode (10,000 USD, leverage 1:100) for the module's tests."""
    mode = str(request.param)
    live = start_live(tmp_path_factory.mktemp(mode) / "data", sim_margin_mode=mode)
    yield live
    stop_live(live)


def ok(sig: dict[str, Any]) -> dict[str, Any]:
    assert sig["status"] == "executed", (sig["error_message"], sig["notes"])
    return sig


def orders(sig: dict[str, Any]) -> list[tuple[str, str, float]]:
    return [(o["symbol"], o["type"], o["volume"]) for o in sig["orders"]]


def refused(sig: dict[str, Any], status: str, decided_by: str) -> str:
    assert sig["status"] == status, sig
    assert sig["decided_by"] == decided_by, sig
    assert not sig["orders"], sig["orders"]
    message = sig["error_message"]
    assert isinstance(message, str) and message
    return message


def is_netting(live: Live) -> bool:
    return bool(live.admin.get("/api/v1/account").json()[0]["margin_mode"] == "netting")


# -- timeframes -------------------------------------------------------------------------------------------------


def test_the_api_stores_timeframes_in_one_form_and_refuses_what_is_not_one(account: Live) -> None:
    s = account.create_strategy("tf api", timeframes=["60", "4H", "D", "15", "1h"])
    assert s["timeframes"] == ["1h", "4h", "1D", "15m"]
    bad = account.admin.post("/api/v1/strategies", json={"name": "tf bad", "timeframes": ["banana"]})
    assert bad.status_code == 422
    assert "timeframes.0 must be a timeframe such as 15, 60, 240, D" in bad.json()["message"]
    assert 'you sent "banana"' in bad.json()["message"]
    changed = account.admin.patch(f"/api/v1/strategies/{s['strategy_id']}", json={"timeframes": ["M15", "240"]})
    assert changed.status_code == 200 and changed.json()["timeframes"] == ["15m", "4h"]


def test_entries_from_other_timeframes_are_refused_and_exits_always_run(account: Live) -> None:
    s = account.create_strategy("tf gate", timeframes=["1h", "240"], dedup_window_seconds=0)
    wrong = account.trade(s, '{"symbol":"AUDUSD","action":"buy","lots":0.1,"timeframe":"15"}')
    message = refused(wrong, "rejected", "timeframe")
    assert message == (
        "The alert comes from the 15m timeframe, and this strategy trades only 1h, 4h, so it was not traded. "
        "Add 15m to the strategy's timeframes, or fix the alert's chart."
    )
    assert wrong["intent"]["timeframe"] == "15m"
    none = account.trade(s, '{"symbol":"AUDUSD","action":"buy","lots":0.1}')
    assert "names no timeframe" in refused(none, "rejected", "timeframe")
    unreadable = account.trade(s, '{"symbol":"AUDUSD","action":"buy","lots":0.1,"timeframe":"soon"}')
    assert "'soon' could not be read" in refused(unreadable, "rejected", "timeframe")

    # TradingView's {{interval}} for 4 hours is "240", the strategy lists "4h": the same timeframe
    right = ok(account.trade(s, '{"symbol":"AUDUSD","action":"buy","lots":0.1,"interval":"240"}'))
    assert orders(right) == [("AUDUSD", "buy", 0.1)] and right["intent"]["timeframe"] == "4h"
    hourly = ok(account.trade(s, "buy AUDUSD lot=0.1 tf=H1"))
    assert orders(hourly) == [("AUDUSD", "buy", 0.1)]
    # an exit from any chart, or from none, still closes
    out = ok(account.trade(s, '{"symbol":"AUDUSD","action":"closelong","timeframe":"5"}'))
    assert sorted(orders(out)) == (
        [("AUDUSD", "close sell", 0.2)] if is_netting(account) else [("AUDUSD", "close sell", 0.1)] * 2
    )
    assert account.positions(s) == []


# -- risk multiplier --------------------------------------------------------------------------------------------


def test_the_risk_multiplier_scales_every_entry_and_rounds_down_to_the_step(account: Live) -> None:
    s = account.create_strategy("multiplier", risk_multiplier=0.5, dedup_window_seconds=0)
    assert s["risk_multiplier"] == 0.5
    half = ok(account.trade(s, '{"symbol":"USDCAD","action":"buy","lots":0.25}'))  # 0.125 -> 0.12
    assert orders(half) == [("USDCAD", "buy", 0.12)]
    assert any("x the strategy's risk multiplier 0.5 = 0.125" in n and "0.12" in n for n in half["notes"]), half
    pending = ok(account.trade(s, '{"symbol":"USDCAD","action":"buylimit","lots":1,"price":1.2}'))
    assert orders(pending) == [("USDCAD", "buy_limit", 0.5)]
    tiny = account.trade(s, '{"symbol":"USDCAD","action":"buy","lots":0.01}')  # 0.005 -> 0.00: below 0.01
    message = refused(tiny, "rejected", "agent")
    assert message == (
        "The size of 0.01 lots x the strategy's risk multiplier 0.5 = 0.005 lots (rounded down to the volume step: "
        "0.00), which is below USDCAD's minimum volume of 0.01 lots: nothing was sent."
    )
    ok(account.trade(s, '{"symbol":"USDCAD","action":"closelong"}'))
    ok(account.trade(s, '{"symbol":"USDCAD","action":"cancellong"}'))


def test_a_multiplier_above_one_scales_up_and_the_api_bounds_it(account: Live) -> None:
    s = account.create_strategy("double", risk_multiplier=2, dedup_window_seconds=0)
    doubled = ok(account.trade(s, '{"symbol":"NZDUSD","action":"sell","lots":0.15}'))
    assert orders(doubled) == [("NZDUSD", "sell", 0.3)]
    ok(account.trade(s, '{"symbol":"NZDUSD","action":"closeshort"}'))
    for bad in (0, -1, 101, "2"):
        resp = account.admin.post("/api/v1/strategies", json={"name": "bad multiplier", "risk_multiplier": bad})
        assert resp.status_code == 422, (bad, resp.text)


# -- duplicates by meaning --------------------------------------------------------------------------------------


def test_duplicates_by_meaning_same_symbol_direction_and_timeframe_within_the_window(account: Live) -> None:
    s = account.create_strategy("meaning", dedup_by="meaning", dedup_window_seconds=600)
    first = ok(account.trade(s, '{"symbol":"EURGBP","action":"buy","lots":0.1,"timeframe":"60","price":0.85,'
                                '"comment":"first"}'))
    again = account.trade(s, '{"symbol":"OANDA:EURGBP","action":"buy","lots":0.2,"interval":"1h","price":0.86,'
                             '"comment":"second"}')
    message = refused(again, "duplicate", "duplicate")
    assert message == (
        f"Duplicate of signal #{first['id']} (the same EURGBP buy on 1h within 600 s; this strategy counts "
        f"duplicates by meaning); it was not traded again. Set the strategy's dedup_by to body to trade every alert "
        f"that differs."
    )
    other_tf = ok(account.trade(s, '{"symbol":"EURGBP","action":"buy","lots":0.1,"timeframe":"15"}'))
    assert orders(other_tf) == [("EURGBP", "buy", 0.1)]
    other_side = ok(account.trade(s, '{"symbol":"EURGBP","action":"sell","lots":0.1,"timeframe":"60"}'))
    assert [o[1] for o in orders(other_side)] in (["sell"], ["close sell"])
    # exits are never duplicates by meaning
    ok(account.trade(s, '{"symbol":"EURGBP","action":"closeall","timeframe":"60"}'))
    closed_again = account.trade(s, '{"symbol":"EURGBP","action":"closeall","timeframe":"60","comment":"again"}')
    assert closed_again["decided_by"] != "duplicate", closed_again


def test_simultaneous_alerts_of_one_meaning_trade_once(account: Live) -> None:
    s = account.create_strategy("meaning burst", dedup_by="meaning", dedup_window_seconds=600)
    bodies = [f'{{"symbol":"CHFJPY","action":"sell","lots":0.1,"tf":"15","price":170.{40 + i}}}' for i in range(8)]
    with ThreadPoolExecutor(8) as pool:
        answers = list(pool.map(lambda b: account.post_alert(s, b), bodies))
    assert all(a.status_code == 200 for a in answers)
    final = [account.settled(s, a.json()["signal_id"]) for a in answers]
    assert sorted(sig["status"] for sig in final) == ["duplicate"] * 7 + ["executed"]
    (done,) = [sig for sig in final if sig["status"] == "executed"]
    assert orders(done) == [("CHFJPY", "sell", 0.1)]
    assert all(f"Duplicate of signal #{done['id']} " in sig["error_message"] for sig in final if sig is not done)
    ok(account.trade(s, '{"symbol":"CHFJPY","action":"closeshort"}'))


def test_dedup_by_body_keeps_todays_behaviour(account: Live) -> None:
    s = account.create_strategy("body", dedup_window_seconds=600)
    assert s["dedup_by"] == "body"
    a = ok(account.trade(s, '{"symbol":"EURAUD","action":"buy","lots":0.1,"timeframe":"60","price":1.64}'))
    b = ok(account.trade(s, '{"symbol":"EURAUD","action":"buy","lots":0.1,"timeframe":"60","price":1.65}'))
    assert orders(a) == orders(b) == [("EURAUD", "buy", 0.1)]
    same = account.trade(s, '{"symbol":"EURAUD","action":"buy","lots":0.1,"timeframe":"60","price":1.65}')
    assert f"Duplicate of signal #{b['id']} (an identical message within 600 s)" in refused(
        same, "duplicate", "duplicate"
    )
    ok(account.trade(s, '{"symbol":"EURAUD","action":"closelong"}'))


# -- max lots: refuse or cap ------------------------------------------------------------------------------------


def test_max_lots_refuses_by_default_and_caps_when_asked(account: Live) -> None:
    strict = account.create_strategy("lots refuse", max_lots=0.5, dedup_window_seconds=0)
    assert strict["max_lots_mode"] == "refuse"
    too_big = account.trade(strict, '{"symbol":"USDCHF","action":"buy","lots":1.2}')
    assert refused(too_big, "rejected", "agent") == (
        "The size of 1.20 lots is above the strategy's lot cap of 0.5 lots. The bridge never reduces a size on its "
        "own (set the strategy's max_lots_mode to cap to send max_lots instead): nothing was sent."
    )

    capped = account.create_strategy("lots cap", max_lots=0.5, max_lots_mode="cap", dedup_window_seconds=0)
    sig = ok(account.trade(capped, '{"symbol":"USDCHF","action":"buy","lots":1.2}'))
    assert orders(sig) == [("USDCHF", "buy", 0.5)]
    assert "The size of 1.20 lots; capped to the strategy's max lots of 0.5 (max_lots_mode cap): 0.50 lots were sent." \
        in sig["notes"], sig["notes"]
    within = ok(account.trade(capped, '{"symbol":"USDCHF","action":"buy","lots":0.3}'))
    assert orders(within) == [("USDCHF", "buy", 0.3)] and not any("capped" in n for n in within["notes"])
    ok(account.trade(capped, '{"symbol":"USDCHF","action":"closelong"}'))
    bad = account.admin.patch(f"/api/v1/strategies/{capped['strategy_id']}", json={"max_lots_mode": "clamp"})
    assert bad.status_code == 422


# -- exposure caps ----------------------------------------------------------------------------------------------

_FIGURES = re.compile(
    r"hold ([\d,.]+)% of equity as (\w+) .*this entry adds ([\d,.]+)% .*would make ([\d,.]+)%, above the "
    r"(\w+) cap of ([\d.]+)%"
)


def figures(message: str) -> tuple[float, str, float, float, str, float]:
    found = _FIGURES.search(message)
    assert found, message
    n = [float(found.group(i).replace(",", "")) for i in (1, 3, 4, 6)]
    return n[0], found.group(2), n[1], n[2], found.group(5), n[3]


def test_the_strategy_margin_cap_refuses_the_entry_that_would_cross_it(account: Live) -> None:
    # 1 lot of GBPUSD at about 1.27 holds about 1,270 USD of margin at 1:100: 12.7% of 10,000 USD
    s = account.create_strategy("margin cap", max_exposure_pct=20, dedup_window_seconds=0)
    first = ok(account.trade(s, '{"symbol":"GBPUSD","action":"buy","lots":1}'))
    assert orders(first) == [("GBPUSD", "buy", 1.0)]
    over = account.trade(s, '{"symbol":"GBPUSD","action":"buy","lots":1}')
    message = refused(over, "rejected", "agent")
    before, basis, adds, after, who, cap = figures(message)
    assert basis == "margin" and who == "strategy" and cap == 20
    assert 10 < before < 15 and 10 < adds < 15 and after == pytest.approx(before + adds, abs=0.02) and after > cap
    assert message.startswith("Exposure cap: The strategy's positions hold ")
    assert message.endswith("nothing was sent. Reduce the size, close positions, or raise max_exposure_pct.")
    small = ok(account.trade(s, '{"symbol":"GBPUSD","action":"buy","lots":0.3}'))  # about 3.8%: 16.5% in all
    assert orders(small) == [("GBPUSD", "buy", 0.3)]
    # exits are never refused, even above the cap
    account.admin.patch(f"/api/v1/strategies/{s['strategy_id']}", json={"max_exposure_pct": 1})
    out = ok(account.trade(s, '{"symbol":"GBPUSD","action":"closelong"}'))
    assert sum(o[2] for o in orders(out)) == pytest.approx(1.3)


def test_the_strategy_notional_cap_counts_volume_times_contract_size_times_price(account: Live) -> None:
    # 0.3 lots of AUDJPY: 30,000 AUD, about 19,800 USD: about 198% of equity; the cap is 300%
    s = account.create_strategy(
        "notional cap", max_exposure_pct=300, exposure_basis="notional", dedup_window_seconds=0
    )
    ok(account.trade(s, '{"symbol":"AUDJPY","action":"sell","lots":0.3}'))
    over = account.trade(s, '{"symbol":"AUDJPY","action":"sell","lots":0.2}')
    before, basis, adds, after, who, cap = figures(refused(over, "rejected", "agent"))
    assert basis == "notional" and who == "strategy" and cap == 300
    assert 180 < before < 220 and 120 < adds < 150 and after > cap
    ok(account.trade(s, '{"symbol":"AUDJPY","action":"closeshort"}'))


@pytest.fixture(params=["netting", "hedging"])
def fresh(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Live]:
    """A tvbridge of its own (the account-wide caps are app settings)."""
    live = start_live(tmp_path / "data", sim_margin_mode=str(request.param))
    yield live
    stop_live(live)


def test_account_caps_count_every_strategys_positions(fresh: Live) -> None:
    a = fresh.create_strategy("acct A", dedup_window_seconds=0)
    b = fresh.create_strategy("acct B", dedup_window_seconds=0)
    answer = fresh.admin.patch("/api/v1/settings", json={"account_max_open_positions": 2})
    assert answer.status_code == 200 and answer.json()["account_max_open_positions"] == 2
    ok(fresh.trade(a, '{"symbol":"EURUSD","action":"buy","lots":0.1}'))
    ok(fresh.trade(b, '{"symbol":"GBPUSD","action":"buy","lots":0.1}'))
    third = fresh.trade(b, '{"symbol":"USDJPY","action":"buy","lots":0.1}')
    assert refused(third, "rejected", "agent") == (
        "Account max open positions: the account already holds 2 positions (all strategies and manual trades; "
        "limit 2), so this entry was refused: nothing was sent. Close a position or raise the account's limit."
    )
    adding = fresh.trade(a, '{"symbol":"EURUSD","action":"buy","lots":0.1}')
    if is_netting(fresh):  # adding to the one EURUSD position opens none
        assert orders(ok(adding)) == [("EURUSD", "buy", 0.1)]
    else:
        refused(adding, "rejected", "agent")

    # account margin cap: about 1.1% + 1.3% (+ 1.1%) held; 0.5 lots of USDJPY at 1:100 add 5%
    fresh.admin.patch("/api/v1/settings", json={"account_max_open_positions": None, "account_max_exposure_pct": 5})
    settings = fresh.admin.get("/api/v1/settings").json()
    assert settings["account_max_exposure_pct"] == 5 and settings["account_exposure_basis"] == "margin"
    quote(fresh, "USDJPY", 150.0)
    over = fresh.trade(b, '{"symbol":"USDJPY","action":"buy","lots":0.5}')
    before, basis, adds, after, who, cap = figures(refused(over, "rejected", "agent"))
    assert basis == "margin" and who == "account" and cap == 5 and 2 < before < 4 and adds == pytest.approx(5, 0.01)
    ok(fresh.trade(b, '{"symbol":"USDJPY","action":"buy","lots":0.1}'))  # 1% more: within
    # exits run whatever the caps
    fresh.admin.patch("/api/v1/settings", json={"account_max_exposure_pct": 0.01, "account_max_open_positions": 1})
    ok(fresh.trade(a, '{"symbol":"EURUSD","action":"closelong"}'))
    ok(fresh.trade(b, '{"symbol":"GBPUSD","action":"closelong"}'))
    ok(fresh.trade(b, '{"symbol":"USDJPY","action":"closelong"}'))
