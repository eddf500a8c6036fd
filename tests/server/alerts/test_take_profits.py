"""Several take-profit levels (server/alerts/takeprofits.py): every syntax, share filling, and each refusal."""

from __future__ import annotations

import pytest

from contract.intent import Distance, DistanceUnit, OpenAction, Side, TakeProfitLevel
from server.alerts.context import EaDistanceType
from tests.server.alerts import lots, parse, pips, price, rejected


def levels(body: str, **settings: object) -> tuple[TakeProfitLevel, ...]:
    (action,) = parse(body, **settings).actions
    assert isinstance(action, OpenAction)
    return action.take_profits


def level(tp: Distance, share: float) -> TakeProfitLevel:
    return TakeProfitLevel(tp=tp, share_pct=share)


def test_pineconnector_levels_follow_the_target_type_and_split_the_rest_equally() -> None:
    body = "60123456789,buy,EURUSD,risk=1,sl=20,tp1=10,tp2=20,tp3=30,tp1_share=50"
    assert levels(body) == (level(pips(10), 50), level(pips(20), 25), level(pips(30), 25))
    as_price = levels(body.replace("sl=20", "sl=1.09"), target_type=EaDistanceType.PRICE)
    assert as_price == (level(price(10), 50), level(price(20), 25), level(price(30), 25))


def test_levels_without_shares_split_the_volume_equally() -> None:
    shares = [lv.share_pct for lv in levels("60123456789,sell,EURUSD,risk=1,tp1=10,tp2=20,tp3=30")]
    assert shares == pytest.approx([100 / 3] * 3)


def test_explicit_units_per_level() -> None:
    body = "60123456789,buy,XAUUSD,vol_lots=0.3,tp1_pips=10,tp2_price=2050.5,tp3_pct=1,tp2_share=30,tp3_share=20"
    assert levels(body) == (
        level(pips(10), 50),
        level(price(2050.5), 30),
        level(Distance(unit=DistanceUnit.PCT, value=1), 20),
    )


def test_key_value_and_plain_text() -> None:
    assert levels("buy EURUSD lot=0.3 tp1=10 tp2=20 tp2_share=40") == (level(pips(10), 60), level(pips(20), 40))
    assert levels("symbol=EURUSD action=sell lots=1 tp1_points=100 tp2_points=250") == (
        level(Distance(unit=DistanceUnit.POINTS, value=100), 50),
        level(Distance(unit=DistanceUnit.POINTS, value=250), 50),
    )


def test_json_flat_keys_are_prices_like_tp() -> None:
    body = '{"symbol":"EURUSD","action":"buy","lots":1,"sl":1.09,"tp1":1.105,"tp2":1.11,"tp1_share":70}'
    (action,) = parse(body).actions
    assert action == OpenAction(
        side=Side.BUY, volume=lots(1), sl=price(1.09), take_profits=(level(price(1.105), 70), level(price(1.11), 30))
    )


def test_json_list() -> None:
    body = (
        '{"symbol":"EURUSD","action":"buy","lots":1,"take_profits":'
        '[{"price":1.105,"share":50},{"pips":40,"share":30},1.12]}'
    )
    assert levels(body) == (level(price(1.105), 50), level(pips(40), 30), level(price(1.12), 20))


def test_one_level_is_a_plain_take_profit() -> None:
    (action,) = parse("60123456789,buy,EURUSD,risk=1,tp1=10").actions
    assert isinstance(action, OpenAction)
    assert action.tp == pips(10) and action.take_profits == ()


def test_levels_read_per_the_target_type_are_marked_as_read_by_the_settings() -> None:
    assert parse("buy XAUUSD lot=0.03 tp1=2350 tp2=2360").units_from_settings == ["tp1", "tp2"]
    assert parse("60123456789,buy,XAUUSD,risk=1,sl=50,tp1_price=2350,tp2=2360,tp3=2370").units_from_settings == [
        "sl", "tp2", "tp3",
    ]
    single = parse("buy XAUUSD lot=0.03 tp1=2350")  # a lone tp1= is the plain take profit, still marked "tp1"
    assert single.units_from_settings == ["tp1"] and single.actions[0] == OpenAction(
        side=Side.BUY, volume=lots(0.03), tp=pips(2350)
    )
    assert parse("buy XAUUSD lot=0.03 tp1_pips=20 tp2_price=2360").units_from_settings == []
    assert parse('{"symbol":"XAUUSD","action":"buy","lots":0.03,"tp1":2350,"tp2":2360}').units_from_settings == []


@pytest.mark.parametrize(
    ("body", "needles"),
    [
        ("60123456789,buy,EURUSD,risk=1,tp1=10,tp2=20,tp1_share=60,tp2_share=30", ("add up to 90 %", "TP1 60 %")),
        ("60123456789,buy,EURUSD,risk=1,tp1=10,tp2=20,tp1_share=0.5,tp2_share=0.5", ("not 0.5",)),
        ("60123456789,buy,EURUSD,risk=1,tp1=10,tp2=20,tp3=5,tp1_share=60,tp2_share=40", ("nothing for TP3",)),
        ("60123456789,buy,EURUSD,risk=1,tp1=10,tp2=20,tp1_share=150", ("at most 100",)),
        ("60123456789,buy,EURUSD,risk=1,tp1=10,tp2=20,tp1_share=0", ("above 0",)),
        ("60123456789,buy,EURUSD,risk=1,tp=5,tp1=10,tp2=20", ("both a single take-profit",)),
        ("60123456789,buy,EURUSD,risk=1,tp1=10,tp3=20", ("not level 2", "without gaps")),
        ("60123456789,buy,EURUSD,risk=1,tp1=10,tp2_share=20", ("tp2_share", "no take-profit level 2")),
        ("60123456789,buy,EURUSD,risk=1,tp1=10,tp1_pips=10,tp2=20", ("more than one TP1",)),
        ("60123456789,buy,EURUSD,risk=1,tp1=10,tp2=20,tp4=30", ("tp4",)),
        ("60123456789,buylimit,EURUSD,risk=1,price=10,tp1=10,tp2=20", ("market entries only",)),
        ("60123456789,closelong,EURUSD,tp1=10,tp2=20", ("opens nothing",)),
        ("60123456789,buy,EURUSD,risk=1,tp1=-10,tp2=20", ("tp1",)),
        ('{"symbol":"EURUSD","action":"buy","lots":1,"take_profits":[1,2,3,4]}', ("at most 3",)),
        ('{"symbol":"EURUSD","action":"buy","lots":1,"take_profits":[{"pips":4,"price":1}]}', ("exactly one of",)),
        ('{"symbol":"EURUSD","action":"buy","lots":1,"take_profits":["near"]}', ("must be a price",)),
        ('{"symbol":"EURUSD","action":"buy","lots":1,"take_profits":[]}', ("empty list",)),
    ],
)
def test_refusals_are_sentences(body: str, needles: tuple[str, ...]) -> None:
    rejected(body, *needles)


def test_the_examples_in_docs_alerts_parse_as_documented() -> None:
    import re
    from pathlib import Path

    doc = (Path(__file__).resolve().parents[3] / "docs" / "alerts.md").read_text(encoding="utf-8")
    section = doc[doc.index("## Several take-profit levels") :]
    section = section[: section.index("\n## ", 5)]
    blocks = [b.replace("{{ticker}}", "EURUSD") for b in re.findall(r"```(?:json)?\n(.*?)```", section, re.S)]
    assert len(blocks) == 4
    got = [[(lv.tp, lv.share_pct) for lv in levels(b)] for b in blocks]
    assert got[0] == [(pips(20), 50), (pips(40), 30), (pips(60), 20)]
    assert [tp for tp, _ in got[1]] == [price(2350), price(2365), price(2380)]
    assert [share for _, share in got[1]] == pytest.approx([100 / 3] * 3)
    assert got[2] == [(price(1.105), 50), (price(1.11), 30), (price(1.115), 20)]
    assert got[3] == [(price(1.08), 50), (price(1.075), 50)]


def test_the_strategy_default_split_fills_levels_given_without_shares() -> None:
    body = "60123456789,buy,EURUSD,risk=1,tp1=10,tp2=20,tp3=30"
    assert [lv.share_pct for lv in levels(body, tp_split=(50, 30, 20))] == [50, 30, 20]
    # a share in the alert wins: the alert's own rules apply (the rest split equally)
    assert [lv.share_pct for lv in levels(body + ",tp1_share=40", tp_split=(50, 30, 20))] == [40, 30, 30]
    rejected(body.replace(",tp3=30", ""), "default split 50/30/20 is for 3 levels", tp_split=(50, 30, 20))
