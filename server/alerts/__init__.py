"""Alert language: raw TradingView webhook bodies to :class:`agent.intent.TradeIntent`.

TEMPORARY minimal implementation (plain JSON buy/sell); replaced by the full parser.
"""

from __future__ import annotations

import json

from agent.intent import AlertFormat, OpenAction, Side, TradeIntent, Volume, VolumeUnit
from server.alerts.context import AlertRejected, ParseContext

__all__ = ["AlertRejected", "ParseContext", "parse_alert"]


def parse_alert(body: bytes, context: ParseContext | None = None) -> TradeIntent:
    """Parse a raw body (any Content-Type) into a TradeIntent; raise AlertRejected with a trader-facing reason."""
    text = body.decode("utf-8", errors="replace").strip()
    if not text:
        raise AlertRejected("The alert message is empty. Put an order such as {\"symbol\":\"EURUSD\",\"action\":\"buy\"} in the alert's Message box.")
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise AlertRejected(f"The alert message is not valid JSON ({exc.msg}).") from exc
    symbol = data.get("symbol") or data.get("ticker")
    action = str(data.get("action", "")).lower()
    if action not in ("buy", "sell") or not symbol:
        raise AlertRejected("The alert needs a symbol and an action of buy or sell.")
    vol = data.get("volume")
    volume = Volume(unit=VolumeUnit.LOTS, value=float(vol)) if vol is not None else Volume(unit=VolumeUnit.DEFAULT)
    return TradeIntent(
        format=AlertFormat.JSON,
        symbol=str(symbol),
        actions=[OpenAction(side=Side(action), volume=volume)],
        comment=data.get("comment"),
        alert_price=float(data["price"]) if data.get("price") is not None else None,
    )
