"""The strategy's positions and pending orders as the plan changes them, step by step.

An intent is an ordered list of steps (``closelongbuy`` = close longs, then buy), planned up front against one
snapshot. Each step must see the state the previous ones leave behind: the buy after a close must not re-send
the closed position's SL/TP on a netting account, and ``max_open_positions`` must count the position the close
removed. :class:`Book` is that working copy. It keeps only positions and orders that carry the strategy's magic
number, whatever the adapter handed over.

Netting accounts hold at most one position per symbol; an opposite deal reduces, closes or reverses it and a
reversal gives the position a new ticket (mt5-api §5.5). A position this plan opens has ticket 0 (unknown
until the deal is sent).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from agent.broker.models import MarginMode, OrderView
from agent.market import MarketView
from agent.planner.text import dec
from contract.intent import OrderKind, PositionSide

LONG, SHORT = PositionSide.LONG.value, PositionSide.SHORT.value


@dataclass
class Holding:
    """One position in the working copy. ``ticket`` is 0 for a position this plan opens."""

    ticket: int
    symbol: str
    side: str
    volume: Decimal
    sl: float
    tp: float
    time: int = 0

    @property
    def signed(self) -> Decimal:
        """Volume, positive for longs and negative for shorts."""
        return self.volume if self.side == LONG else -self.volume


class Book:
    """The strategy's positions and orders, filtered by magic number and updated as steps are planned."""

    def __init__(self, market: MarketView, magic: int) -> None:
        self.netting = market.account.margin_mode == MarginMode.NETTING
        self.ignored = 0
        self.holdings: list[Holding] = []
        seen: set[int] = set()
        for p in (*market.positions, *market.all_positions):
            if p.ticket in seen:
                continue
            seen.add(p.ticket)
            if p.magic != magic:
                self.ignored += 1
                continue
            side = LONG if p.side.lower() in (LONG, "buy") else SHORT
            self.holdings.append(Holding(p.ticket, p.symbol, side, dec(p.volume), p.sl, p.tp, p.time))
        self.orders: list[OrderView] = []
        seen_orders: set[int] = set()
        for o in (*market.orders, *market.all_orders):
            if o.ticket in seen_orders:
                continue
            seen_orders.add(o.ticket)
            if o.magic != magic:
                self.ignored += 1
                continue
            self.orders.append(o)

    def positions(self, symbol: str | None, sides: Iterable[str] = (LONG, SHORT)) -> list[Holding]:
        """Holdings on ``symbol`` (every symbol when ``None``) on ``sides``, oldest first (FIFO, 10045)."""
        wanted = {str(s) for s in sides}
        found = [h for h in self.holdings if (symbol is None or h.symbol == symbol) and h.side in wanted]
        return sorted(found, key=lambda h: (h.time, h.ticket == 0, h.ticket))

    def net(self, symbol: str) -> Decimal:
        """Net lots on ``symbol``: longs minus shorts."""
        return sum((h.signed for h in self.holdings if h.symbol == symbol), Decimal(0))

    def count(self) -> int:
        """How many positions the strategy holds, across symbols."""
        return len(self.holdings)

    def take(self, holding: Holding, volume: Decimal) -> None:
        """Record that ``volume`` of ``holding`` was closed."""
        holding.volume -= volume
        if holding.volume <= 0:
            self.holdings.remove(holding)

    def add(self, symbol: str, side: str, volume: Decimal, sl: float, tp: float) -> None:
        """Record a deal that opens ``volume`` on ``side``: nets on netting accounts, a new ticket on hedging."""
        if self.netting:
            existing = next((h for h in self.holdings if h.symbol == symbol), None)
            if existing is not None:
                if existing.side == side:
                    existing.volume += volume
                    existing.sl, existing.tp = sl, tp
                    return
                if volume <= existing.volume:
                    self.take(existing, volume)
                    return
                # A reversal: the position gets the reversing order's ticket (mt5-api §5.5), unknown here.
                self.holdings.remove(existing)
                volume -= existing.volume
        self.holdings.append(Holding(0, symbol, side, volume, sl, tp, time=2**62))

    def pending(self, symbol: str | None, sides: Iterable[str], kinds: Iterable[OrderKind] = ()) -> list[OrderView]:
        """Pending orders on ``symbol`` (every symbol when ``None``), buy-side for ``long``, sell-side for ``short``."""
        wanted_sides = {str(s) for s in sides}
        wanted_kinds = {str(k) for k in kinds}
        found = [
            o
            for o in self.orders
            if (symbol is None or o.symbol == symbol)
            and o.type.position_side.value in wanted_sides
            and (not wanted_kinds or o.type.kind in wanted_kinds)
        ]
        return sorted(found, key=lambda o: o.ticket)

    def drop_order(self, order: OrderView) -> None:
        """Record that ``order`` was deleted."""
        self.orders.remove(order)
