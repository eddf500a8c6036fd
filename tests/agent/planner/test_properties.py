"""Properties over generated specs, sizes, books and intents (hypothesis).

Each property says both halves: an input that must be accepted produces a plan (a planner that refused
everything fails here), and an input that must be refused is refused with a sentence.

- Lot and unit entries are planned exactly when their size, rounded DOWN to ``volume_step``, lies within
  ``[volume_min, volume_max]``; the planned volume is that rounded size, never more than asked.
- Risk-sized entries are planned exactly when the budget buys a valid volume, and never risk more than the budget.
- Partial closes are planned exactly when some position's share reaches ``volume_min``; no close exceeds its share.
- Every request of any intent the planner accepts becomes an MT5 request with the exact Python types the module's
  parser accepts (mt5-api §1.7), the strategy's magic number and comment; a flat target never opens anything; and
  the plain steps every alert language produces (an entry in range, a close of a held position) are always planned.

Inputs are random on every run (each CI run explores new cases); a failure prints a ``@reproduce_failure`` blob
and is saved in the local ``.hypothesis`` database, so it replays (tests/agent/conftest.py).
"""

from __future__ import annotations

from dataclasses import replace
from decimal import ROUND_DOWN, Decimal
from typing import Any

from hypothesis import HealthCheck, given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from agent.broker.models import SymbolSpec
from agent.planner import Plan, PlanRejected, plan
from agent.planner.levels import normalize_price
from agent.planner.pips import pip_size
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
    QUOTES,
    US30,
    USDJPY,
    XAUUSD,
    account,
    intent,
    market,
    open_,
    pips,
    pos,
    sent,
    settings,
    vol,
)

FLOAT_KEYS = {"volume", "price", "stoplimit", "sl", "tp"}
INT_KEYS = {"action", "type", "magic", "order", "position", "deviation", "type_time", "expiration"}
STR_KEYS = {"symbol", "comment"}
FAST = hsettings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def D(x: float) -> Decimal:  # noqa: N802 - reads like the Decimal constructor it stands for
    return Decimal(str(x))


@st.composite
def specs(draw: st.DrawFn) -> SymbolSpec:
    base = draw(st.sampled_from([EURUSD, USDJPY, XAUUSD, US30]))
    step = draw(st.sampled_from([0.001, 0.01, 0.1, 1.0]))
    minimum = float(D(step) * draw(st.integers(1, 10)))
    maximum = float(D(minimum) * draw(st.integers(1, 2000)))
    return replace(base, volume_step=step, volume_min=minimum, volume_max=maximum)


def _rounded(lots: Decimal, spec: SymbolSpec) -> Decimal:
    step = D(spec.volume_step)
    return (lots / step).to_integral_value(ROUND_DOWN) * step


def _valid(lots: Decimal, spec: SymbolSpec) -> bool:
    return lots > 0 and D(spec.volume_min) <= lots <= D(spec.volume_max)


def _outcome(i: TradeIntent, s: Any, m: Any) -> Plan | PlanRejected:
    try:
        return plan(i, s, m)
    except PlanRejected as exc:
        assert str(exc) and exc.outcome in ("rejected", "discarded")
        return exc


@st.composite
def sized(draw: st.DrawFn) -> tuple[SymbolSpec, float]:
    """A spec and a lot size mostly inside its volume range, sometimes just outside it."""
    spec = draw(specs())
    lots = draw(st.floats(spec.volume_min * 0.5, spec.volume_max * 1.2, allow_nan=False))
    return spec, lots


@FAST
@given(case=sized(), side=st.sampled_from(["buy", "sell"]))
def test_lot_entries_are_planned_exactly_when_valid(case: tuple[SymbolSpec, float], side: str) -> None:
    spec, lots = case
    expected = _rounded(D(lots), spec)
    p = _outcome(intent(open_(side, lots), symbol=spec.name), settings(), market(spec))
    if not _valid(expected, spec):
        assert isinstance(p, PlanRejected) and ("minimum volume" in str(p) or "maximum volume" in str(p))
        return
    assert isinstance(p, Plan), f"{lots} lots ({expected} rounded) is a valid {spec.name} volume but was refused: {p}"
    (req,) = [sent(r) for r in p.requests]
    assert D(req["volume"]) == expected <= D(lots)


@FAST
@given(case=sized())
def test_unit_entries_are_planned_exactly_when_valid(case: tuple[SymbolSpec, float]) -> None:
    spec, lots = case
    units = lots * spec.trade_contract_size
    expected = _rounded(D(units) / D(spec.trade_contract_size), spec)
    p = _outcome(intent(open_("buy", vol(units, VolumeUnit.UNITS)), symbol=spec.name), settings(), market(spec))
    if not _valid(expected, spec):
        assert isinstance(p, PlanRejected)
        return
    assert isinstance(p, Plan), f"{units} units = {expected} lots is valid on {spec.name} but was refused: {p}"
    volume = D(sent(p.requests[0])["volume"])
    assert volume == expected
    assert volume * D(spec.trade_contract_size) <= D(units)


@FAST
@given(
    spec=specs(),
    risk=st.floats(0.01, 10, allow_nan=False),
    stop=st.integers(5, 300),
    balance=st.floats(100, 1e6, allow_nan=False),
    side=st.sampled_from(["buy", "sell"]),
)
def test_risk_sized_entries_are_planned_when_the_budget_buys_a_valid_volume(
    spec: SymbolSpec, risk: float, stop: int, balance: float, side: str
) -> None:
    a = open_(side, vol(risk, VolumeUnit.PCT_BALANCE_LOSS), sl=pips(stop))
    p = _outcome(intent(a, symbol=spec.name), settings(), market(spec, acct=account(balance=balance)))
    quote = QUOTES[spec.name]
    fill = quote.ask if side == "buy" else quote.bid
    gap = D(stop) * pip_size(spec, settings())
    sl = normalize_price(D(fill) - gap if side == "buy" else D(fill) + gap, spec)
    budget = D(balance) * D(risk) / 100
    expected = _rounded(budget / loss_per_lot(spec, fill, sl), spec)
    close = quote.bid if side == "buy" else quote.ask  # the SL is measured from the closing price (mt5-api §4.2)
    stop_gap = D(close) - D(sl) if side == "buy" else D(sl) - D(close)
    if stop_gap < D(spec.trade_stops_level) * D(spec.point):
        assert isinstance(p, PlanRejected)  # by its size or by its stop, whichever the planner checks first
        return
    if not _valid(expected, spec):
        assert isinstance(p, PlanRejected)
        return
    assert isinstance(p, Plan), f"risking {budget} buys {expected} lots of {spec.name}, yet it was refused: {p}"
    req = sent(p.requests[0])
    assert D(req["volume"]) == expected
    lost = D(req["volume"]) * loss_per_lot(spec, req["price"], req["sl"])
    assert lost <= budget


@FAST
@given(
    spec=specs(),
    volumes=st.lists(st.integers(1, 400), min_size=1, max_size=4),
    share=st.floats(0.5, 100, allow_nan=False),
    mode=st.sampled_from([NETTING, HEDGING]),
)
def test_partial_closes_are_planned_when_a_share_is_a_valid_volume(
    spec: SymbolSpec, volumes: list[int], share: float, mode: Any
) -> None:
    step = D(spec.volume_step)
    # Positions no larger than one deal may be (larger ones are split into several deals, tested elsewhere).
    held = [min(Decimal(n) * step, D(spec.volume_max)) for n in volumes[: 1 if mode == NETTING else 4]]
    positions = [pos(i + 1, "long", float(v), spec.name) for i, v in enumerate(held)]
    m = market(spec, mode=mode, positions=positions)
    p = _outcome(intent(CloseAction(sides=(PositionSide.LONG,), portion_pct=share), symbol=spec.name), settings(), m)
    shares = {i + 1: v * D(share) / 100 for i, v in enumerate(held)}
    closable = {t: _rounded(x, spec) for t, x in shares.items() if _rounded(x, spec) >= D(spec.volume_min)}
    if share >= 100:
        closable = {i + 1: v for i, v in enumerate(held)}  # a full close, whatever the minimum
    if not closable:
        assert isinstance(p, PlanRejected) and "minimum volume" in str(p)
        return
    assert isinstance(p, Plan), f"{share}% of {held} on {spec.name} can be closed, yet it was refused: {p}"
    by_ticket = {i + 1: v for i, v in enumerate(held)}
    closed = {sent(r)["position"]: D(sent(r)["volume"]) for r in p.requests}
    assert closed == closable
    for ticket, v in closed.items():
        # Closing a whole position is always allowed, even one smaller than volume_min (a remainder left by
        # earlier partial closes or a broker's changed minimum); a part of it must be a valid volume.
        assert v <= by_ticket[ticket] and (v == by_ticket[ticket] or _valid(v, spec))


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


def _check_mt5_types(p: Plan) -> None:
    assert p.requests
    for planned in p.requests:
        req = sent(planned)
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


def _positions(held: list[tuple[str, int, str]], mode: Any) -> list[Any]:
    if mode == NETTING:  # one position per symbol on netting accounts
        held = list({symbol: (side, n, symbol) for side, n, symbol in held}.values())
    return [pos(i + 1, side, n / 100, symbol) for i, (side, n, symbol) in enumerate(held)]


@hsettings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(steps=st.lists(actions, min_size=1, max_size=3), held=books, mode=st.sampled_from([NETTING, HEDGING]))
def test_every_request_has_the_mt5_types(steps: list[Any], held: list[tuple[str, int, str]], mode: Any) -> None:
    m = market(mode=mode, positions=_positions(held, mode))
    p = _outcome(intent(*steps), settings(comment="tv:" + "x" * 40), m)
    if isinstance(p, PlanRejected):
        return  # refusals are sentences (checked in _outcome); the properties below prove what must be planned
    _check_mt5_types(p)
    flat_only = all(isinstance(a, SyncAction) and a.target == "flat" for a in steps)
    if flat_only:
        assert not any(r.opens for r in p.requests)


@FAST
@given(
    side=st.sampled_from(["buy", "sell"]),
    steps=st.integers(1, 500),
    sl=st.none() | st.integers(5, 300),
    tp=st.none() | st.integers(5, 300),
    held=books,
    mode=st.sampled_from([NETTING, HEDGING]),
)
def test_a_valid_market_entry_is_always_planned(
    side: str, steps: int, sl: int | None, tp: int | None, held: list[tuple[str, int, str]], mode: Any
) -> None:
    lots = steps / 100  # 0.01 .. 5.00 EURUSD lots: within its volume range
    a = open_(side, lots, sl=pips(sl) if sl else None, tp=pips(tp) if tp else None)
    p = _outcome(intent(a), settings(), market(mode=mode, positions=_positions(held, mode)))
    assert isinstance(p, Plan), f"a {lots}-lot {side} on EURUSD must be planned: {p}"
    _check_mt5_types(p)
    assert sum(D(sent(r)["volume"]) for r in p.requests) == D(lots)


@FAST
@given(held=books.filter(lambda b: any(s == "EURUSD" for _, _, s in b)), mode=st.sampled_from([NETTING, HEDGING]))
def test_closing_held_positions_is_always_planned(held: list[tuple[str, int, str]], mode: Any) -> None:
    positions = _positions(held, mode)
    p = _outcome(intent(CloseAction()), settings(), market(mode=mode, positions=positions))
    assert isinstance(p, Plan), f"closing {held} must be planned: {p}"
    _check_mt5_types(p)
    mine = {x.ticket: D(x.volume) for x in positions if x.symbol == "EURUSD"}
    assert {sent(r)["position"]: D(sent(r)["volume"]) for r in p.requests} == mine
