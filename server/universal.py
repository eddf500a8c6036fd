"""Routing on the universal endpoint ``POST /api/v1/webhooks/tv``: the secret in the body decides, a strategy name
may narrow it, and nothing routes without a secret.

The body's secret (JSON ``secret``/``api_sec``/``passphrase``, text ``secret=``; :func:`server.alerts.extract_routing`)
must be a strategy's webhook secret (the last segment of its URL) or its alert secret. Several strategies may share
one alert secret (PineConnector's ``secret=HappyTrader501`` on two strategies): the body's ``strategy`` name (DAI
routing pattern, seed 002) then picks one, case-insensitively. A name that matches none of the secret's strategies,
a secret that matches none, or a shared secret without a name routes nowhere. A License ID and a strategy name
without a secret never route (both are written into every alert: they are not secrets); such a body is refused
and counted as ``missing_secret``, with the strategy it named (so the trader sees whose alerts lack the secret).

Secrets are compared in constant time (:func:`hmac.compare_digest`) against every live strategy.
"""

from __future__ import annotations

import hmac
from collections.abc import Iterable
from dataclasses import dataclass

from server.alerts import extract_routing
from server.alerts.numbers import show
from server.security_events import SecurityKind
from server.view import StrategyView


@dataclass(frozen=True)
class Route:
    """Where a universal-endpoint body goes: ``strategy`` (``None``: nowhere), whether the body carried the
    strategy's webhook secret (``by_webhook_secret``: it then stands in for the alert secret), the ``secret`` tried,
    and for a refusal its kind, a short detail and the strategy it seemed to be for."""

    strategy: StrategyView | None
    secret: str | None = None
    by_webhook_secret: bool = False
    refusal: SecurityKind | None = None
    detail: str | None = None
    strategy_hint: int | None = None


def _same(given: str, expected: str | None) -> bool:
    return bool(expected) and hmac.compare_digest(given.encode("utf-8"), (expected or "").encode("utf-8"))


def route(body: bytes, strategies: Iterable[StrategyView]) -> Route:
    """The strategy a universal-endpoint ``body`` is for (see the module docstring). Never raises."""
    routing = extract_routing(body)
    live = list(strategies)
    name = routing.strategy.casefold() if routing.strategy else None
    if not routing.secret:
        hint = [
            s for s in live
            if (name is not None and s.name.casefold() == name)
            or (routing.license_id is not None and s.license_id == routing.license_id and name is None)
        ]  # fmt: skip
        return Route(
            None,
            refusal=SecurityKind.MISSING_SECRET,
            detail="the body carries no secret (a License ID or a strategy name alone does not route)",
            strategy_hint=hint[0].id if len(hint) == 1 else None,
        )
    secret = routing.secret
    matches = [(s, _same(secret, s.webhook_secret)) for s in live]
    matches = [(s, by_url) for s, by_url in matches if by_url or _same(secret, s.alert_secret)]
    chosen = [(s, by_url) for s, by_url in matches if name is None or s.name.casefold() == name]
    if len(chosen) == 1:
        strategy, by_url = chosen[0]
        return Route(strategy, secret=secret, by_webhook_secret=by_url)
    if not matches:
        detail = "no strategy has this secret"
    elif not chosen:
        detail = f"no strategy named {show(routing.strategy or '', 40)} has this secret"
    else:
        detail = f"{len(chosen)} strategies share this secret; the body must name one with \"strategy\""
    return Route(None, secret=secret, refusal=SecurityKind.UNKNOWN_SECRET, detail=detail)
