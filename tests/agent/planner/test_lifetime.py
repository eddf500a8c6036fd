"""Pending-order lifetime in the planner: type_time/expiration only where the symbol allows them."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from agent.broker.models import OrderTime, Quote, SymbolSpec
from agent.market import MarketView
from agent.planner import PlanRejected, plan
from contract.intent import ModifyAction, OrderKind, OrderLifetime, TimeInForce
from tests.agent.planner import EURUSD, intent, market, open_, order, price, sent, settings

NOW = datetime(2026, 11, 30, 8, 0, tzinfo=UTC)
SERVER_AHEAD = 2 * 3600  # a UTC+2 trade server


def limit(lifetime: OrderLifetime | None) -> object:
    return open_("buy", 0.1, kind=OrderKind.LIMIT, entry=price(1.09), lifetime=lifetime)


def view(spec: SymbolSpec = EURUSD, *, offset: int | None = SERVER_AHEAD, quote: Quote | None = None) -> MarketView:
    return replace(market(spec, quote=quote), now=NOW, server_offset=offset)


def test_without_a_lifetime_the_order_is_good_till_cancelled() -> None:
    (request,) = plan(intent(limit(None)), settings(), view()).requests
    assert sent(request)["type_time"] == 0 and "expiration" not in sent(request)


def test_day_and_gtc() -> None:
    day = plan(intent(limit(OrderLifetime(time_in_force=TimeInForce.DAY))), settings(), view()).requests[0]
    assert sent(day)["type_time"] == 1 and "for the day" in day.description
    gtc = plan(intent(limit(OrderLifetime(time_in_force=TimeInForce.GTC))), settings(), view()).requests[0]
    assert sent(gtc)["type_time"] == 0


def test_a_duration_counts_from_now_in_the_servers_clock() -> None:
    life = OrderLifetime(time_in_force=TimeInForce.SPECIFIED, duration_seconds=1800)
    (request,) = plan(intent(limit(life)), settings(), view()).requests
    expected = int((NOW + timedelta(minutes=30)).timestamp()) + SERVER_AHEAD
    assert (sent(request)["type_time"], sent(request)["expiration"]) == (2, expected)
    assert "expires 2026-11-30 08:30:00 UTC" in request.description


def test_an_absolute_expiry_is_moved_to_server_time() -> None:
    life = OrderLifetime(time_in_force=TimeInForce.SPECIFIED, expires_at=NOW + timedelta(hours=5))
    (request,) = plan(intent(limit(life)), settings(), view()).requests
    assert sent(request)["expiration"] == int(NOW.timestamp()) + 5 * 3600 + SERVER_AHEAD


def test_an_unmeasured_clock_is_read_from_the_tick_and_noted() -> None:
    tick = Quote(bid=1.0999, ask=1.1, time=int(NOW.timestamp()) + 3 * 3600 + 4)
    life = OrderLifetime(time_in_force=TimeInForce.SPECIFIED, duration_seconds=60)
    p = plan(intent(limit(life)), settings(), view(offset=None, quote=tick))
    assert sent(p.requests[0])["expiration"] == int(NOW.timestamp()) + 60 + 3 * 3600
    assert any("UTC+3 h" in n for n in p.notes)


def test_no_clock_at_all_is_refused() -> None:
    life = OrderLifetime(time_in_force=TimeInForce.SPECIFIED, duration_seconds=60)
    with pytest.raises(PlanRejected, match="clock is not known"):
        plan(intent(limit(life)), settings(), view(offset=None, quote=Quote(bid=1.0999, ask=1.1)))


@pytest.mark.parametrize(
    ("life", "needle"),
    [
        (OrderLifetime(time_in_force=TimeInForce.SPECIFIED, expires_at=NOW - timedelta(seconds=1)), "already past"),
        (OrderLifetime(time_in_force=TimeInForce.SPECIFIED, expires_at=NOW), "already past"),
        (OrderLifetime(time_in_force=TimeInForce.SPECIFIED, expires_at=NOW + timedelta(days=400)), "366 days"),
    ],
)
def test_past_or_absurd_expiries_are_refused(life: OrderLifetime, needle: str) -> None:
    with pytest.raises(PlanRejected, match=needle):
        plan(intent(limit(life)), settings(), view())


@pytest.mark.parametrize(
    ("modes", "life", "needles"),
    [
        (frozenset({OrderTime.GTC, OrderTime.DAY}), OrderLifetime(time_in_force=TimeInForce.SPECIFIED,
                                                                  duration_seconds=60),
         ("until a set time", "good till cancelled (timeInForce=gtc) or for the day (timeInForce=day)")),
        (frozenset({OrderTime.GTC}), OrderLifetime(time_in_force=TimeInForce.DAY),
         ("for the day", "allows good till cancelled (timeInForce=gtc)")),
        (frozenset({OrderTime.DAY, OrderTime.SPECIFIED}), None,
         ("good till cancelled (an alert without timeInForce", "for the day (timeInForce=day) or until a set time")),
    ],
)
def test_a_lifetime_the_symbol_does_not_allow_is_refused_naming_what_it_allows(
    modes: frozenset[OrderTime], life: OrderLifetime | None, needles: tuple[str, ...]
) -> None:
    with pytest.raises(PlanRejected) as caught:
        plan(intent(limit(life)), settings(), view(replace(EURUSD, expiration_modes=modes)))
    for needle in needles:
        assert needle in str(caught.value)
    assert "Nothing was sent" in str(caught.value)


def test_a_market_order_notes_that_its_time_in_force_means_nothing() -> None:
    action = open_("buy", 0.1, lifetime=OrderLifetime(time_in_force=TimeInForce.DAY))
    p = plan(intent(action), settings(), view())
    assert any("timeInForce day has no effect on a market order" in n for n in p.notes)


def test_modifying_an_expiring_order_keeps_its_lifetime() -> None:
    expiring = replace(order(9, "buy_limit", 1.09), type_time=OrderTime.SPECIFIED, expiration=1_800_000_000)
    m = replace(market(EURUSD, orders=[expiring]), now=NOW)
    p = plan(intent(ModifyAction(target="orders", sl=price(1.08))), settings(), m)
    assert (sent(p.requests[0])["type_time"], sent(p.requests[0])["expiration"]) == (2, 1_800_000_000)
