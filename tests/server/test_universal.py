"""Routing on the universal endpoint: the secret decides, a name may narrow it, nothing routes without a secret."""

from __future__ import annotations

import json

from server.security_events import SecurityKind
from server.universal import route
from server.view import StrategyView


def s(sid: int, name: str, **kw: object) -> StrategyView:
    return StrategyView(id=sid, name=name, webhook_secret=f"webhook-{sid}", magic_number=sid, **kw)  # type: ignore[arg-type]


GOLD = s(1, "DynamicGoldBreakout", alert_secret="shared", license_id="60123456789")
FOREX = s(2, "DynamicForex", alert_secret="shared")
SOLO = s(3, "Solo", alert_secret="solo-secret")
ALL = [GOLD, FOREX, SOLO]


def body(**fields: object) -> bytes:
    return json.dumps({"signal": "BUY", **fields}).encode()


def test_the_webhook_secret_in_the_body_routes_and_stands_in_for_the_alert_secret() -> None:
    found = route(body(secret="webhook-2"), ALL)
    assert (found.strategy, found.by_webhook_secret) == (FOREX, True)


def test_an_alert_secret_routes_when_one_strategy_has_it() -> None:
    found = route(body(api_sec="solo-secret"), ALL)
    assert (found.strategy, found.by_webhook_secret, found.refusal) == (SOLO, False, None)
    assert route(b"buy EURUSD lot=0.1 secret=solo-secret", ALL).strategy == SOLO


def test_a_shared_secret_needs_the_name_which_is_matched_ignoring_case() -> None:
    assert route(body(secret="shared", strategy="dynamicgoldbreakout"), ALL).strategy == GOLD
    ambiguous = route(body(secret="shared"), ALL)
    assert ambiguous.strategy is None and ambiguous.refusal is SecurityKind.UNKNOWN_SECRET
    assert "2 strategies share this secret" in (ambiguous.detail or "")


def test_a_name_the_secret_does_not_belong_to_routes_nowhere() -> None:
    found = route(body(secret="solo-secret", strategy="DynamicForex"), ALL)
    assert found.strategy is None and found.detail == "no strategy named 'DynamicForex' has this secret"
    assert found.secret == "solo-secret"  # kept for its fingerprint


def test_without_a_secret_nothing_routes_but_the_strategy_meant_is_named() -> None:
    for text in (body(strategy="DynamicGoldBreakout", license_id="60123456789"),
                 b"60123456789,buy,XAUUSD,vol_lots=0.1"):
        found = route(text, ALL)
        assert (found.strategy, found.refusal, found.strategy_hint) == (None, SecurityKind.MISSING_SECRET, 1)
    assert route(b"", ALL).refusal is SecurityKind.MISSING_SECRET
    assert route(body(secret="nobody-has-this"), ALL).detail == "no strategy has this secret"
