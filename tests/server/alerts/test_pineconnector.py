"""PineConnector comma syntax: every command, alias and macro, parameters, legacy units and §1.8 validation."""

from __future__ import annotations

from typing import Literal

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
    Trailing,
    Volume,
    VolumeUnit,
)
from tests.server.alerts import lots, parse, pct, pips, price, rejected

LONG, SHORT, BOTH = (PositionSide.LONG,), (PositionSide.SHORT,), (PositionSide.LONG, PositionSide.SHORT)
BUY = OpenAction(side=Side.BUY, volume=lots(1))
SELL = OpenAction(side=Side.SELL, volume=lots(1))
ENTRY = "price=10"


def _pending(side: Side, kind: OrderKind) -> OpenAction:
    return OpenAction(side=side, kind=kind, volume=lots(1), entry=pips(10))


COMMANDS = [
    ("buy", "", [BUY]),
    ("long", "", [BUY]),
    ("bull", "", [BUY]),
    ("bullish", "", [BUY]),
    ("sell", "", [SELL]),
    ("short", "", [SELL]),
    ("bear", "", [SELL]),
    ("bearish", "", [SELL]),
    ("buystop", ENTRY, [_pending(Side.BUY, OrderKind.STOP)]),
    ("buylimit", ENTRY, [_pending(Side.BUY, OrderKind.LIMIT)]),
    ("sellstop", ENTRY, [_pending(Side.SELL, OrderKind.STOP)]),
    ("selllimit", ENTRY, [_pending(Side.SELL, OrderKind.LIMIT)]),
    ("closelong", "", [CloseAction(sides=LONG)]),
    ("closeshort", "", [CloseAction(sides=SHORT)]),
    ("closelongshort", "", [CloseAction(sides=BOTH)]),
    ("closeall", "", [CloseAction(all_symbols=True, include_pending=True)]),
    ("closealleaoff", "", [CloseAction(all_symbols=True, include_pending=True), ControlAction(trading_enabled=False)]),
    ("closelongpct", "", [CloseAction(sides=LONG, portion_pct=1)]),
    ("closeshortpct", "", [CloseAction(sides=SHORT, portion_pct=1)]),
    ("closelongvol", "", [CloseAction(sides=LONG, portion_lots=1)]),
    ("closeshortvol", "", [CloseAction(sides=SHORT, portion_lots=1)]),
    ("cancellong", "", [CancelAction(sides=LONG)]),
    ("cancelshort", "", [CancelAction(sides=SHORT)]),
    ("closelongbuy", "", [CloseAction(sides=LONG), BUY]),
    ("closeshortsell", "", [CloseAction(sides=SHORT), SELL]),
    ("closelongopenlong", "", [CloseAction(sides=LONG), BUY]),
    ("CL+OL", "", [CloseAction(sides=LONG), BUY]),
    ("closelongopenshort", "", [CloseAction(sides=LONG), SELL]),
    ("cl+os", "", [CloseAction(sides=LONG), SELL]),
    ("closeshortopenlong", "", [CloseAction(sides=SHORT), BUY]),
    ("CS+OL", "", [CloseAction(sides=SHORT), BUY]),
    ("closeshortopenshort", "", [CloseAction(sides=SHORT), SELL]),
    ("CS+OS", "", [CloseAction(sides=SHORT), SELL]),
    ("closelongshortopenlong", "", [CloseAction(sides=BOTH), BUY]),
    ("CLS+OL", "", [CloseAction(sides=BOTH), BUY]),
    ("closelongshortopenshort", "", [CloseAction(sides=BOTH), SELL]),
    ("CLS+OS", "", [CloseAction(sides=BOTH), SELL]),
    ("cancellongbuystop", ENTRY, [CancelAction(sides=LONG), _pending(Side.BUY, OrderKind.STOP)]),
    ("cancellongbuylimit", ENTRY, [CancelAction(sides=LONG), _pending(Side.BUY, OrderKind.LIMIT)]),
    ("cancelshortsellstop", ENTRY, [CancelAction(sides=SHORT), _pending(Side.SELL, OrderKind.STOP)]),
    ("cancelshortselllimit", ENTRY, [CancelAction(sides=SHORT), _pending(Side.SELL, OrderKind.LIMIT)]),
]


@pytest.mark.parametrize(("command", "extra", "actions"), COMMANDS, ids=[c[0] for c in COMMANDS])
def test_every_command(command: str, extra: str, actions: list[object]) -> None:
    body = f"60123456789,{command},EURUSD,risk=1" + (f",{extra}" if extra else "")
    intent = parse(body)
    assert intent.format == AlertFormat.PINECONNECTOR
    assert intent.actions == actions
    assert intent.symbol == "EURUSD"
    assert intent.license_id == "60123456789"


@pytest.mark.parametrize(
    ("command", "sides", "target", "kinds"),
    [
        ("newsltplong", LONG, "positions", ()),
        ("newsltpshort", SHORT, "positions", ()),
        ("newsltpbuystop", LONG, "orders", (OrderKind.STOP,)),
        ("newsltpbuylimit", LONG, "orders", (OrderKind.LIMIT,)),
        ("newsltpsellstop", SHORT, "orders", (OrderKind.STOP,)),
        ("newsltpselllimit", SHORT, "orders", (OrderKind.LIMIT,)),
    ],
)
def test_newsltp_commands(
    command: str, sides: tuple[PositionSide, ...], target: Literal["positions", "orders"], kinds: tuple[OrderKind]
) -> None:
    intent = parse(f"60123456789,{command},EURUSD,sl=15,tp_price=1.1")
    assert intent.actions == [ModifyAction(target=target, sides=sides, kinds=kinds, sl=pips(15), tp=price(1.1))]


@pytest.mark.parametrize("word", ["eaon", "eaoff", "EAOFF", " eaon "])
def test_ea_control_repeats_the_command_as_symbol(word: str) -> None:
    intent = parse(f"60123456789,{word},{word}")
    assert intent.actions == [ControlAction(trading_enabled=word.strip().lower() == "eaon")]
    assert intent.symbol is None
    assert not intent.opens_exposure


def test_ea_control_with_a_symbol_is_refused() -> None:
    rejected("60123456789,eaon,EURUSD", "eaon,eaon")


def test_case_and_spaces_are_tolerated() -> None:
    intent = parse("60123456789 , BuY , EURUSD , Risk = 0.5 , SL_PIPS = 20 , tp = 40 ")
    assert intent.actions == [OpenAction(side=Side.BUY, volume=lots(0.5), sl=pips(20), tp=pips(40))]
    assert intent.symbol == "EURUSD"


def test_symbol_case_is_kept_as_written() -> None:
    assert parse("60123456789,buy,eurusd.a,risk=1").symbol == "eurusd.a"


def test_trailing_empty_fields_are_ignored() -> None:
    assert parse("60123456789,buy,EURUSD,risk=1,").actions == [BUY]


@pytest.mark.parametrize(
    ("volume_type", "unit"),
    [
        ("lots", VolumeUnit.LOTS),
        ("money_loss", VolumeUnit.MONEY_LOSS),
        ("pct_balance_lots", VolumeUnit.PCT_BALANCE_LOTS),
        ("pct_balance_margin", VolumeUnit.PCT_BALANCE_MARGIN),
        ("pct_balance_loss", VolumeUnit.PCT_BALANCE_LOSS),
    ],
)
def test_legacy_risk_follows_volume_type(volume_type: str, unit: VolumeUnit) -> None:
    intent = parse("60123456789,buy,EURUSD,risk=2,sl=20", volume_type=volume_type)
    assert intent.actions[0].volume == Volume(unit=unit, value=2)  # type: ignore[union-attr]


@pytest.mark.parametrize(("target_type", "made"), [("pips", pips), ("price", price), ("pct", pct)])
def test_legacy_sl_tp_follow_target_type(target_type: str, made: object) -> None:
    intent = parse("60123456789,buy,EURUSD,risk=1,sl=1.5,tp=3", target_type=target_type)
    action = intent.actions[0]
    assert isinstance(action, OpenAction)
    assert action.sl == made(1.5) and action.tp == made(3)  # type: ignore[operator]


@pytest.mark.parametrize(("entry_type", "made"), [("pips", pips), ("price", price), ("pct", pct)])
def test_legacy_price_follows_pending_order_entry(entry_type: str, made: object) -> None:
    intent = parse("60123456789,buystop,EURUSD,risk=1,price=1.5", entry_type=entry_type)
    assert intent.actions[0].entry == made(1.5)  # type: ignore[union-attr,operator]


@pytest.mark.parametrize(
    ("key", "volume"),
    [
        ("vol_lots", Volume(unit=VolumeUnit.LOTS, value=2)),
        ("vol_dollar", Volume(unit=VolumeUnit.MONEY_LOSS, value=2)),
        ("vol_pct_bal_loss", Volume(unit=VolumeUnit.PCT_BALANCE_LOSS, value=2)),
        ("vol_pct_eq_loss", Volume(unit=VolumeUnit.PCT_EQUITY_LOSS, value=2)),
        ("vol_pct_bal_margin", Volume(unit=VolumeUnit.PCT_BALANCE_MARGIN, value=2)),
    ],
)
def test_explicit_volume_keys_ignore_the_setting(key: str, volume: Volume) -> None:
    intent = parse(f"60123456789,buy,EURUSD,{key}=2,sl_pips=20", volume_type="pct_balance_lots")
    assert intent.actions[0].volume == volume  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("params", "sl", "tp", "entry"),
    [
        ("sl_pips=10,tp_pips=20,entry_pips=5", pips(10), pips(20), pips(5)),
        ("sl_price=1.05,tp_price=1.2,entry_price=1.1", price(1.05), price(1.2), price(1.1)),
        ("sl_pct=1,tp_pct=2,entry_pct=0.5", pct(1), pct(2), pct(0.5)),
    ],
)
def test_explicit_level_keys_ignore_the_settings(params: str, sl: object, tp: object, entry: object) -> None:
    intent = parse(f"60123456789,selllimit,EURUSD,vol_lots=1,{params}", target_type="price", entry_type="pct")
    assert intent.actions == [
        OpenAction(side=Side.SELL, kind=OrderKind.LIMIT, volume=lots(1), sl=sl, tp=tp, entry=entry)  # type: ignore[arg-type]
    ]


def test_filters_comment_secret_and_strategy() -> None:
    intent = parse('60123456789,buy,EURUSD,risk=1,spread=1.5,accfilter=1000,comment="Breakout 1",'
                   "secret=HappyTrader501,strategy=london")
    assert intent.max_spread_pips == 1.5
    assert intent.account_filter == 1000
    assert intent.comment == "Breakout 1"
    assert intent.secret == "HappyTrader501"
    assert intent.strategy == "london"


def test_breakeven_and_trailing() -> None:
    intent = parse("60123456789,buy,EURUSD,risk=1,sl=20,betrigger=15,trailtrig=10,traildist=5")
    action = intent.actions[0]
    assert isinstance(action, OpenAction)
    assert action.breakeven == Breakeven(trigger_pips=15, offset_pips=0)
    assert action.trailing == Trailing(trigger_pips=10, distance_pips=5)


def test_atr_trailing_keys_are_kept_in_extras() -> None:
    intent = parse("60123456789,buy,EURUSD,vol_lots=1,sl_pips=10,atrtimeframe=60,atrperiod=14,atrmultiplier=2,"
                   "atrshift=1,atrtrigger=8")
    assert intent.extras == {"atrtimeframe": "60", "atrperiod": "14", "atrmultiplier": "2", "atrshift": "1",
                             "atrtrigger": "8"}


def test_zero_risk_beside_an_explicit_volume_is_ignored() -> None:
    assert parse("60123456789,buy,EURUSD,risk=0,vol_lots=1").actions == [BUY]
    assert parse("60123456789,buy,EURUSD,vol_lots=1,risk=0").actions == [BUY]


def test_close_commands_ignore_entry_parameters() -> None:
    assert parse("60123456789,closelong,EURUSD,risk=1,sl=20").actions == [CloseAction(sides=LONG)]


def test_license_id_must_match_the_strategy() -> None:
    assert parse("60123456789,buy,EURUSD,risk=1", license_id="60123456789").actions == [BUY]
    rejected("70000000000,buy,EURUSD,risk=1", "License ID", "does not match", license_id="60123456789")


@pytest.mark.parametrize(
    ("body", "needles"),
    [
        ("60123456789,hold,EURUSD", ("unknown command", "hold")),
        ("60123456789,EURUSD,buy,risk=1", ("unknown command", "EURUSD")),
        ("60123456789,buy,EURUSD,risk=1,foo=bar", ("unknown parameter", "foo")),
        ("60123456789,buy,EURUSD,risk=1,pending=10", ("unknown parameter", "pending")),
        ("60123456789,buy,EURUSD,vol_lots=1,risk=1", ("more than one volume",)),
        ("60123456789,buy,EURUSD,vol_lots=1,sl=10,sl_pips=10", ("more than one stop-loss",)),
        ("60123456789,buy,EURUSD,vol_lots=1,tp=10,tp_price=1.2", ("more than one take-profit",)),
        ("60123456789,buylimit,EURUSD,vol_lots=1,price=10,entry_pips=10", ("more than one entry",)),
        ("60123456789,buy,EURUSD,risk=1,risk=2", ("twice",)),
        ("60123456789,buylimit,EURUSD,vol_lots=1", ("pending order", "entry")),
        ("60123456789,sell,EURUSD,vol_dollar=50", ("stop-loss",)),
        ("60123456789,sell,EURUSD,vol_pct_eq_loss=1", ("stop-loss",)),
        ("60123456789,buy,EURUSD,vol_lots=1,comment=123456789012345678901", ("20",)),
        ("60123456789,buy,EURUSD,vol_lots=1,atrperiod=14", ("atrtimeframe", "atrperiod")),
        ("60123456789,newsltplong,EURUSD,spread=1", ("neither",)),
        ("60123456789,closelongvol,EURUSD", ("risk=",)),
        ("60123456789,closelongpct,EURUSD,risk=150", ("over 100",)),
        ("60123456789,buy,EURUSD", ("no volume",)),
        ("60123456789,buy,EURUSD,risk=0", ("greater than 0",)),
        ("60123456789,buy,EURUSD,risk=-1", ("greater than 0",)),
        ("60123456789,buy,EURUSD,risk=0,5", ("decimal comma", "risk=0.5")),
        ("60123456789,buy,EURUSD,risk=1,sl=NaN", ("NaN",)),
        ("60123456789,buy,EURUSD,risk=1,sl=0", ("greater than 0",)),
        ("60123456789,buy,EURUSD,risk=1,sl_pct=100", ("below 100",)),
        ("60123456789,buy,EURUSD,risk=1,beoffset=2", ("betrigger",)),
        ("60123456789,buy,EURUSD,risk=1,trailtrig=2", ("traildist",)),
        ("60123456789,buy,EURUSD,risk=1,sl=", ("no value",)),
        ("60123456789,buy,EURUSD,sell", ("second command",)),
        ("60123456789,buy,EURUSD,risk", ("not a key=value",)),
        ("60123456789,buy,EURUSD risk=1", ("symbol",)),
        ("60123456789,buy", ("no symbol",)),
        ("60123456789,", ("no command",)),
        ("60123456789,buy,EUR USD,risk=1", ("not a symbol",)),
        ("60123456789,buy,EURUSD,entry_pips=5,risk=1", ("pending",)),
        ("60123456789,buy,EURUSD,risk=1\n60123456789,sell,EURUSD,risk=1", ("more than one line",)),
    ],
)
def test_refusals_name_the_problem(body: str, needles: tuple[str, ...]) -> None:
    rejected(body, *needles)


def test_tradesgnl_dialect_swaps_symbol_and_command_and_knows_its_keys() -> None:
    intent = parse("60123456789,EURUSD,sell,risk=1,sl=50,trtrig=10,trdist=5,betrig=20,bedist=2",
                   dialects={"tradesgnl"})
    assert intent.symbol == "EURUSD"
    action = intent.actions[0]
    assert isinstance(action, OpenAction) and action.side == Side.SELL
    assert action.trailing == Trailing(trigger_pips=10, distance_pips=5)
    assert action.breakeven == Breakeven(trigger_pips=20, offset_pips=2)
    # The normal order still works with the dialect on.
    assert parse("60123456789,buy,EURUSD,risk=1", dialects={"tradesgnl"}).actions == [BUY]
    rejected("60123456789,EURUSD,buy,risk=1,trtrig=10", "unknown command")


def test_legacy_price_on_a_market_order_is_only_logged() -> None:
    intent = parse("60123456789,buy,EURUSD,risk=1,price=10")
    assert intent.actions == [BUY] and intent.alert_price is None and intent.extras == {"price": "10"}
    assert parse("60123456789,buy,EURUSD,risk=1,price=1.0845", entry_type="price").alert_price == 1.0845
