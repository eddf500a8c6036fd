"""Order planner: TradeIntent + ExecutionSettings + MarketView -> MT5 requests.

TEMPORARY minimal implementation (market buy/sell in lots); replaced by the full planner.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import ROUND_DOWN, Decimal

from agent.intent import OpenAction, Side, TradeIntent, VolumeUnit
from agent.market import ExecutionSettings, MarketView
from agent.planner.types import Plan, PlannedRequest, PlanRejected

__all__ = ["Plan", "PlanRejected", "PlannedRequest", "plan", "resolve_symbol"]


def resolve_symbol(alert_symbol: str, settings: ExecutionSettings, broker_symbols: Sequence[str]) -> str:
    """Map the alert's symbol to a broker symbol name; raise PlanRejected naming close matches."""
    name = settings.symbol_map.get(alert_symbol, alert_symbol).split(":")[-1].upper()
    if name in broker_symbols:
        return name
    raise PlanRejected(f"Symbol {alert_symbol} is not offered by the terminal.")


def plan(intent: TradeIntent, settings: ExecutionSettings, market: MarketView) -> Plan:
    """Plan the requests for ``intent``; raise PlanRejected with a trader-facing reason."""
    result = Plan()
    spec, quote = market.symbol, market.quote
    for action in intent.actions:
        if not isinstance(action, OpenAction):
            raise PlanRejected(f"{action.type} is not supported yet")
        if action.volume.unit == VolumeUnit.DEFAULT:
            if settings.default_volume_lots is None:
                raise PlanRejected("The alert names no volume and the strategy has no default lot size.")
            lots = settings.default_volume_lots
        else:
            lots = action.volume.value
        step = Decimal(str(spec.volume_step))
        vol = float((Decimal(str(lots)) / step).to_integral_value(ROUND_DOWN) * step)
        if vol < spec.volume_min:
            raise PlanRejected(f"Volume {lots} lots is below the minimum {spec.volume_min} for {spec.name}.")
        buy = action.side == Side.BUY
        result.requests.append(
            PlannedRequest(
                request={
                    "action": 1,
                    "symbol": spec.name,
                    "volume": vol,
                    "type": 0 if buy else 1,
                    "price": quote.ask if buy else quote.bid,
                    "deviation": settings.deviation_points,
                    "magic": settings.magic,
                    "comment": settings.comment,
                },
                description=f"{action.side} {vol:g} lots {spec.name}",
                opens=True,
            )
        )
    return result
