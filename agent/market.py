"""What the planner sees of the broker for one alert: a :class:`MarketView` built from broker-neutral models."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from agent.broker.models import AccountView, OrderView, PositionView, Quote, SymbolSpec
from agent.shares import ShareView


@dataclass(frozen=True)
class MarketView:
    """Everything the planner may look at for one alert: the resolved symbol's spec and quote, the account,
    and this strategy's own positions and pending orders (already filtered by magic number).

    ``positions``/``orders`` cover the alert's symbol; ``all_positions``/``all_orders`` every symbol (for
    ``closeall``). ``specs``/``quotes`` hold the spec and quote of every symbol that appears in them.

    On a netting account ``positions``/``all_positions`` are the account's positions whoever holds them, and
    ``shares`` says, by position ticket, how each is split (:mod:`agent.shares`): the strategy's holding is its
    own share. A netting position without an entry in ``shares`` counts as wholly its magic number's.
    ``now`` is the aware UTC time the view was read (``None``: unknown), for the trading session rule and order
    expiry; ``server_offset`` how far the broker's clock runs ahead of UTC in seconds (``None``: not measured yet;
    :meth:`agent.broker.interface.Broker.server_offset`), to turn an expiry into trade-server time.
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
    shares: dict[int, ShareView] = field(default_factory=dict)
    now: datetime | None = None
    server_offset: int | None = None
