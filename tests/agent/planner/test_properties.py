"""Properties over generated specs, sizes, books and intents (hypothesis).

- Planned volumes are multiples of ``volume_step`` within ``[volume_min, volume_max]`` and never exceed the size
  asked for; risk-sized entries never risk more than the budget.
- Every request uses the MetaTrader5 module's keys with the exact Python types its parser accepts (mt5-api §1.7),
  carries the strategy's magic number and comment, and a flat target never opens anything.
"""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal
from typing import Any

from hypothesis import HealthCheck, given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from agent.market import SymbolSpec
from agent.planner import Plan, PlanRejected, plan
from agent.planner.volume import loss_per_lot
from contract.intent import (
    CancelAction,
    CloseAction,
    ModifyAction,
    OrderKind,
    PositionSide,
    Side,
    SyncAction,
    TradeIntent,
    VolumeUnit,
)
from tests.agent.planner import (
    EURUSD,
    HEDGING,
    MAGIC,
    NETTING,
    US30,
    USDJPY,
    XAUUSD,
    account,
    intent,
    market,
    open_,
    pips,
    pos,
    settings,
    vol,
)

FLOAT_KEYS = {"volume", "price", "stoplimit", "sl", "tp"}
INT_KEYS = {"action", "type", "magic", "order", "position", "deviation", "type_time", "expiration"}
STR_KEYS = {"symbol", "comment"}
FAST = hsettings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@st.composite
def specs(draw: st.DrawFn) -> SymbolSpec:
    base = draw(st.sampled_from([EURUSD, USDJPY, XAUUSD, US30]))
    step = draw(st.sampled_from([0.001, 0.01, 0.1, 1.0]))
    minimum = float(Decimal(str(step)) * draw(st.integers(1, 10)))
    maximum = float(Decimal(str(minimum)) * draw(st.integers(1, 2000)))
    return replace(base, volume_step=step, volume_min=minimum, volume_max=maximum)


def _is_valid_volume(volume: float, spec: SymbolSpec) -> bool:
    v = Decimal(str(volume))
    return v % Decimal(str(spec.volume_step)) == 0 and Decimal(str(spec.volume_min)) <= v <= Decimal(
        str(spec.volume_max)
    )


def _try(i: TradeIntent, s: Any, m: Any) -> Plan | None:
    try:
        return plan(i, s, m)
    except PlanRejected as exc:
        assert str(exc) and exc.outcome in ("rejected", "discarded")
        return None


@st.composite
def sized(draw: st.DrawFn) -> tuple[SymbolSpec, float]:
    """A spec and a lot size mostly inside its volume range, sometimes just outside it."""
    spec = draw(specs())
    lots = draw(st.floats(spec.volume_min * 0.5, spec.volume_max * 1.2, allow_nan=False))
    return spec, lots


@FAST
@given(case=sized(), side=st.sampled_from(["buy", "sell"]))
def test_lot_entries_are_valid_and_never_larger_than_asked(case: tuple[SymbolSpec, float], side: str) -> None:
    spec, lots = case
    p = _try(intent(open_(side, lots), symbol=spec.name), settings(), market(spec))
    if p is None:
        return
    (req,) = [r.request for r in p.requests]
    assert _is_valid_volume(req["volume"], spec)
    assert Decimal(str(req["volume"])) <= Decimal(str(lots))


@FAST
@given(case=sized())
def test_unit_entries_are_valid_and_never_larger_than_asked(case: tuple[SymbolSpec, float]) -> None:
    spec, lots = case
    units = lots * spec.trade_contract_size
    p = _try(intent(open_("buy", vol(units, VolumeUnit.UNITS)), symbol=spec.name), settings(), market(spec))
    if p is None:
        return
    volume = p.requests[0].request["volume"]
    assert _is_valid_volume(volume, spec)
    assert Decimal(str(volume)) * Decimal(str(spec.trade_contract_size)) <= Decimal(str(units))


@FAST
@given(
    spec=specs(),
    risk=st.floats(0.01, 10, allow_nan=False),
    stop=st.integers(5, 300),
    balance=st.floats(100, 1e6, allow_nan=False),
    side=st.sampled_from(["buy", "sell"]),
)
def test_risk_sized_entries_never_risk_more_than_the_budget(
    spec: SymbolSpec, risk: float, stop: int, balance: float, side: str
) -> None:
    a = open_(side, vol(risk, VolumeUnit.PCT_BALANCE_LOSS), sl=pips(stop))
    p = _try(intent(a, symbol=spec.name), settings(), market(spec, acct=account(balance=balance)))
    if p is None:
        return
    req = p.requests[0].request
    assert _is_valid_volume(req["volume"], spec)
    lost = Decimal(str(req["volume"])) * loss_per_lot(spec, req["price"], req["sl"])
    assert lost <= Decimal(str(balance)) * Decimal(str(risk)) / 100


@FAST
@given(
    spec=specs(),
    volumes=st.lists(st.integers(1, 400), min_size=1, max_size=4),
    share=st.floats(0.5, 100, allow_nan=False),
    mode=st.sampled_from([NETTING, HEDGING]),
)
def test_partial_closes_are_valid_and_never_larger_than_the_position(
    spec: SymbolSpec, volumes: list[int], share: float, mode: Any
) -> None:
    step = Decimal(str(spec.volume_step))
    held = [float(Decimal(n) * step) for n in volumes[: 1 if mode == NETTING else 4]]
    positions = [pos(i + 1, "long", v, spec.name) for i, v in enumerate(held)]
    m = market(spec, mode=mode, positions=positions)
    p = _try(intent(CloseAction(sides=(PositionSide.LONG,), portion_pct=share), symbol=spec.name), settings(), m)
    if p is None:
        return
    by_ticket = {i + 1: Decimal(str(v)) for i, v in enumerate(held)}
    for r in p.requests:
        v = Decimal(str(r.request["volume"]))
        assert v <= by_ticket[r.request["position"]] * Decimal(str(share)) / 100
        # Closing a whole position is always allowed, even one smaller than volume_min (a remainder left by
        # earlier partial closes or a broker's changed minimum); a part of it must be a valid volume.
        assert v == by_ticket[r.request["position"]] or _is_valid_volume(r.request["volume"], spec)


# -- request types over arbitrary intents ------------------------------------------------------------------

distances = st.none() | st.builds(pips, st.integers(5, 300))
sides = st.sampled_from([(PositionSide.LONG,), (PositionSide.SHORT,), (PositionSide.LONG, PositionSide.SHORT)])
actions = st.one_of(
    st.builds(
        lambda side, lots, sl, tp: open_(side, lots, sl=sl, tp=tp),
        st.sampled_from(["buy", "sell"]),
        st.floats(0.01, 5),
        distances,
        distances,
    ),
    st.builds(
        lambda side, kind, d, lots: open_(side, lots, kind, entry=pips(d)),
        st.sampled_from(["buy", "sell"]),
        st.sampled_from([OrderKind.LIMIT, OrderKind.STOP]),
        st.integers(5, 100),
        st.floats(0.01, 5),
    ),
    st.builds(CloseAction, sides=sides, portion_pct=st.none() | st.floats(1, 100)),
    st.builds(CloseAction, sides=sides, portion_lots=st.floats(0.01, 3)),
    st.builds(CloseAction, all_symbols=st.just(True), include_pending=st.booleans()),
    st.builds(CancelAction, sides=sides),
    st.builds(ModifyAction, sides=sides, sl=distances, tp=distances),
    st.builds(
        SyncAction,
        target=st.sampled_from(["long", "short", "flat"]),
        target_size=st.integers(0, 300_000).map(float),
        order_side=st.none() | st.sampled_from([Side.BUY, Side.SELL]),
    ),
)
books = st.lists(
    st.tuples(st.sampled_from(["long", "short"]), st.integers(1, 200), st.sampled_from(["EURUSD", "XAUUSD"])),
    max_size=4,
)


@hsettings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(steps=st.lists(actions, min_size=1, max_size=3), held=books, mode=st.sampled_from([NETTING, HEDGING]))
def test_every_request_has_the_mt5_types(steps: list[Any], held: list[tuple[str, int, str]], mode: Any) -> None:
    if mode == NETTING:  # one position per symbol on netting accounts
        held = list({symbol: (side, n, symbol) for side, n, symbol in held}.values())
    positions = [pos(i + 1, side, n / 100, symbol) for i, (side, n, symbol) in enumerate(held)]
    p = _try(intent(*steps), settings(comment="tv:" + "x" * 40), market(mode=mode, positions=positions))
    if p is None:
        return
    assert p.requests
    for planned in p.requests:
        req = planned.request
        assert set(req) <= FLOAT_KEYS | INT_KEYS | STR_KEYS
        for key, value in req.items():
            if key in FLOAT_KEYS:
                assert type(value) is float, (key, value)
            elif key in INT_KEYS:
                assert type(value) is int and value >= 0, (key, value)
            else:
                assert type(value) is str and value.isascii() and len(value) <= 27, (key, value)
        assert req["magic"] == MAGIC and "comment" in req
        if req["action"] == 1:
            assert "deviation" in req and "volume" in req and "price" in req
        if req["action"] in (1, 5):
            assert req["volume"] > 0
    flat_only = all(isinstance(a, SyncAction) and a.target == "flat" for a in steps)
    if flat_only:
        assert not any(r.opens for r in p.requests)
