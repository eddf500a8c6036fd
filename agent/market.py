"""What the planner sees of the broker for one alert: a :class:`MarketView` built from broker-neutral models."""

from __future__ import annotations

from dataclasses import dataclass, field

from agent.broker.models import AccountView, OrderView, PositionView, Quote, SymbolSpec


@dataclass(frozen=True)
class MarketView:
    """Everything the planner may look at for one alert: the resolved symbol's spec and quote, the account,
    and this strategy's own positions and pending orders (already filtered by magic number).

    ``positions``/``orders`` cover the alert's symbol; ``all_positions``/``all_orders`` every symbol (for
    ``closeall``). ``specs``/``quotes`` hold the spec and quote of every symbol that appears in them.
    """

    symbol: SymbolSpec
    quote: Quote
    account: AccountView
    positions: tuple[PositionView, ...] = ()
    orders: tuple[OrderView, ...] = ()
    all_positions: tuple[PositionView, ...] = ()
    all_orders: tuple[OrderView, ...] = ()
    specs: dict[str, SymbolSpec] = field(default_factory=dict)
    quotes: dict[str, Quote] = field(default_factory=dict)
