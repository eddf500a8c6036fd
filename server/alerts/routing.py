"""What a body says about its strategy, for the universal endpoint ``POST /api/v1/webhooks/tv``.

The per-strategy URL carries its own secret; the universal one must find the strategy from the body before
it knows which ParseContext to parse with. :func:`extract_routing` reads, without validating anything else:

- JSON: ``secret`` (or ``api_sec``/``passphrase``: TV-Forward's and 3Commas' names), ``strategy`` (a string; the
  DAI routing pattern's ``{"strategy": "DynamicGoldBreakout", ...}``), and ``license_id``/``license``;
- PineConnector: the License ID (first field), ``secret=``, and ``strategy=``
  (docs.pineconnector.com/syntax shows ``secret=HappyTrader501``; ``strategy=`` is tvbridge's extension);
- key=value and plain text: ``secret=`` and ``strategy=``.

A ``comment=`` is not a strategy name: only an explicit ``strategy`` narrows the routing (server/universal.py),
so a comment can never send an alert to another strategy. The secret decides; a License ID and a name alone
never route (they are written into every alert message: not secrets).

It never raises: an unreadable body gives an empty :class:`Routing`, and the full parse later says why.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from server.alerts.detect import MAX_BODY_BYTES, looks_like_pineconnector
from server.alerts.fields import compact
from server.alerts.keyvalue import TOKEN_RE, tight_equals

_SECRET = {"secret", "apisec", "passphrase"}
_LICENSE = {"licenseid", "license"}
_MAX = 200


@dataclass(frozen=True, slots=True)
class Routing:
    """What the body says about its strategy; any field may be None."""

    secret: str | None = None
    license_id: str | None = None
    strategy: str | None = None


def extract_routing(body: bytes) -> Routing:
    """The secret, License ID and strategy name the body carries. Never raises."""
    try:
        if len(body) > MAX_BODY_BYTES:
            return Routing()
        text = body.decode("utf-8", errors="replace").lstrip("\ufeff").strip()
        if text.startswith("{"):
            return _from_json(text)
        return _from_text(text)
    except Exception:  # noqa: BLE001 - routing is best effort; the parse reports the real problem
        return Routing()


def _clean(value: object) -> str | None:
    if isinstance(value, bool) or not isinstance(value, str | int):
        return None
    text = str(value).strip().strip("\"'").strip()
    return text[:_MAX] if text else None


def _from_json(text: str) -> Routing:
    data = json.loads(text)
    if not isinstance(data, dict):
        return Routing()
    secret = license_id = strategy = None
    for key, value in data.items():
        name = compact(str(key))
        if name in _SECRET and secret is None:
            secret = _clean(value)
        elif name in _LICENSE and license_id is None:
            license_id = _clean(value)
        elif name == "strategy" and strategy is None:
            strategy = _clean(value)
    return Routing(secret=secret, license_id=license_id, strategy=strategy)


def _from_text(text: str) -> Routing:
    license_id = None
    if looks_like_pineconnector(text):
        license_id = _clean(text.partition(",")[0])
    found: dict[str, str] = {}
    for match in TOKEN_RE.finditer(tight_equals(text)):
        key, equals, value = match.group().partition("=")
        name = compact(key)
        if equals and name in ("secret", "strategy") and name not in found:
            cleaned = _clean(value)
            if cleaned:
                found[name] = cleaned
    return Routing(
        secret=found.get("secret"),
        license_id=license_id,
        strategy=found.get("strategy"),
    )
