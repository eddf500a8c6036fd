"""The strategy's positions and pending orders as the plan changes them, step by step.

An intent is an ordered list of steps (``closelongbuy`` = close longs, then buy), planned up front against one
snapshot. Each step must see the state the previous ones leave behind: the buy after a close must not re-send
the closed position's SL/TP on a netting account, and ``max_open_positions`` must count the position the close
removed. :class:`Book` is that working copy.

Hedging accounts: a holding is a whole position, and only positions and orders carrying the strategy's magic
number are kept (exact ticket ownership).

Netting accounts hold at most one position per symbol, shared by every owner whose deals built it; an opposite
deal reduces, closes or reverses it and a reversal gives the position a new ticket (mt5-api §5.5). The strategy's
holding is its own share of that position (:mod:`agent.shares`), and the book also keeps the position itself
(:class:`NetPosition`): the account's volume and the other owners' shares, so a step can tell what a deal does to
them. A position this plan opens has ticket 0 (unknown until the deal is sent).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal

from agent.broker.models import MarginMode, OrderView, PositionView
from agent.market import MarketView
from agent.planner.text import dec
from contract.intent import OrderKind, PositionSide

LONG, SHORT = PositionSide.LONG.value, PositionSide.SHORT.value

#: How the combined share of manual trades, other EAs and volume older than the history is named.
OTHERS_NAME = "manual trades and other EAs"


@dataclass
class Owner:
    """Another owner's share of a netting position: ``name`` for sentences, ``volume`` signed lots, ``strategy``
    True for a tvbridge strategy (False for manual trades, other EAs and volume older than the history)."""

    name: str
    volume: Decimal
    strategy: bool


@dataclass
class NetPosition:
    """The account's one position on ``symbol`` (netting): ``volume`` signed lots, ``own`` the strategy's signed
    share of it, ``others`` everyone else's shares; ``ticket`` 0 when this plan opens it."""

    symbol: str
    ticket: int
    volume: Decimal
    own: Decimal
    others: list[Owner] = field(default_factory=list)
    sl: float = 0.0
    tp: float = 0.0

    @property
    def others_volume(self) -> Decimal:
        """The other owners' lots together (signed)."""
        return sum((o.volume for o in self.others), Decimal(0))

    @property
    def side(self) -> str:
        """``long`` or ``short``."""
        return LONG if self.volume > 0 else SHORT


@dataclass
class Holding:
    """One position (hedging) or the strategy's share of one (netting, ``net`` set) in the working copy.
    ``ticket`` is 0 for a position this plan opens; ``entries`` counts the strategy's entries on this side (a
    hedging position is one entry; a netting share counts its entry deals since it was last flat)."""

    ticket: int
    symbol: str
    side: str
    volume: Decimal
    sl: float
    tp: float
    time: int = 0
    net: NetPosition | None = None
    entries: int = 1

    @property
    def signed(self) -> Decimal:
        """Volume, positive for longs and negative for shorts."""
        return self.volume if self.side == LONG else -self.volume

    @property
    def shared(self) -> bool:
        """True when other owners hold part of the same netting position."""
        return self.net is not None and self.net.others_volume != 0


class Book:
    """The strategy's positions (its shares, on netting) and orders, updated as steps are planned.

    ``owners``: every tvbridge strategy's magic number -> name (:class:`~contract.settings.ExecutionSettings`).
    """

    def __init__(self, market: MarketView, magic: int, owners: Mapping[int, str] | None = None) -> None:
        self.netting = market.account.margin_mode == MarginMode.NETTING
        self.magic = magic
        self.owners = dict(owners or {})
        self.ignored = 0
        self.holdings: list[Holding] = []
        self.nets: dict[str, NetPosition] = {}
        seen: set[int] = set()
        for p in (*market.positions, *market.all_positions):
            if p.ticket in seen:
                continue
            seen.add(p.ticket)
            if self.netting:
                self._net_position(market, p)
                continue
            if p.magic != magic:
                self.ignored += 1
                continue
            self.holdings.append(Holding(p.ticket, p.symbol, _side(p), dec(p.volume), p.sl, p.tp, p.time))
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

    def _net_position(self, market: MarketView, p: PositionView) -> None:
        signed = dec(p.volume) if _side(p) == LONG else -dec(p.volume)
        share = market.shares.get(p.ticket)
        if share is None:  # no deals read: the position is its magic number's, as MT5 shows it
            own = signed if p.magic == self.magic else Decimal(0)
            others = [] if own else [self._owner(p.magic, signed)]
            entries, opened = 1, p.time
        else:
            own = dec(round(share.own.volume, 8))
            others = [self._owner(m, dec(round(s.volume, 8))) for m, s in share.strategies.items() if s.volume]
            if share.other.volume:
                others.append(Owner(OTHERS_NAME, dec(round(share.other.volume, 8)), False))
            entries = share.own.entries or 1
            opened = share.own.opened_msc // 1000 if share.own.opened_msc else p.time
        net = NetPosition(p.symbol, p.ticket, signed, own, others, p.sl, p.tp)
        self.nets[p.symbol] = net
        if own == 0:
            return  # another owner's position: what a deal would do to it is said by the step that makes it
        self.holdings.append(
            Holding(p.ticket, p.symbol, LONG if own > 0 else SHORT, abs(own), p.sl, p.tp, opened, net, entries)
        )

    def _owner(self, magic: int, volume: Decimal) -> Owner:
        if magic in self.owners:
            return Owner(f"strategy '{self.owners[magic]}'", volume, True)
        return Owner(OTHERS_NAME if magic == 0 else f"magic number {magic}", volume, False)

    def name(self) -> str:
        """This strategy in sentences: ``strategy 'A'`` (or ``this strategy`` when its name is not known)."""
        return f"strategy '{self.owners[self.magic]}'" if self.magic in self.owners else "this strategy"

    def positions(self, symbol: str | None, sides: Iterable[str] = (LONG, SHORT)) -> list[Holding]:
        """Holdings on ``symbol`` (every symbol when ``None``) on ``sides``, oldest first (FIFO, 10045)."""
        wanted = {str(s) for s in sides}
        found = [h for h in self.holdings if (symbol is None or h.symbol == symbol) and h.side in wanted]
        return sorted(found, key=lambda h: (h.time, h.ticket == 0, h.ticket))

    def net_position(self, symbol: str) -> NetPosition | None:
        """The account's netting position on ``symbol`` (whoever holds it), or ``None`` when flat or hedging."""
        net = self.nets.get(symbol)
        return net if net is not None and net.volume != 0 else None

    def net(self, symbol: str) -> Decimal:
        """The strategy's net lots on ``symbol``: longs minus shorts (its own share on netting)."""
        return sum((h.signed for h in self.holdings if h.symbol == symbol), Decimal(0))

    def count(self) -> int:
        """How many positions the strategy holds (shares, on netting), across symbols."""
        return len(self.holdings)

    def take(self, holding: Holding, volume: Decimal) -> None:
        """Record that ``volume`` of ``holding`` was closed (on netting, of the strategy's share)."""
        holding.volume -= volume
        if holding.net is not None:
            signed = volume if holding.side == LONG else -volume
            holding.net.own -= signed
            holding.net.volume -= signed
        if holding.volume <= 0:
            self.holdings.remove(holding)

    def add(self, symbol: str, side: str, volume: Decimal, sl: float, tp: float) -> None:
        """Record a deal that buys (``long``) or sells (``short``) ``volume``: a new ticket on hedging; on netting
        it adds to the symbol's position, or closes the strategy's share first, then the other owners' shares pro
        rata, then reverses the position (the share model of :mod:`contract.netting`)."""
        if not self.netting:
            self.holdings.append(Holding(0, symbol, side, volume, sl, tp, time=2**62))
            return
        sign = 1 if side == LONG else -1
        net = self.net_position(symbol)
        mine = next((h for h in self.holdings if h.symbol == symbol), None)
        if net is None or (net.volume > 0) == (sign > 0):
            if net is None:
                net = self.nets[symbol] = NetPosition(symbol, 0, Decimal(0), Decimal(0))
            net.volume += sign * volume
            net.own += sign * volume
            net.sl, net.tp = sl, tp
            if mine is None:
                self.holdings.append(Holding(net.ticket, symbol, side, volume, sl, tp, 2**62, net, 1))
            else:
                mine.volume += volume
                mine.entries += 1
            for h in self.holdings:
                if h.symbol == symbol:
                    h.sl, h.tp = sl, tp
            return
        rest = volume
        if mine is not None:
            taken = min(rest, mine.volume)
            self.take(mine, taken)
            rest -= taken
        others = abs(net.others_volume)
        taken = min(rest, others)
        if taken:
            for owner in net.others:
                owner.volume -= owner.volume * taken / others
            net.volume += sign * taken
            rest -= taken
        if rest > 0:  # a reversal: the position gets the reversing order's ticket (mt5-api §5.5), unknown here
            net.ticket, net.volume, net.own, net.others, net.sl, net.tp = 0, sign * rest, sign * rest, [], sl, tp
            self.holdings.append(Holding(0, symbol, side, rest, sl, tp, 2**62, net, 1))

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


def _side(p: PositionView) -> str:
    return LONG if p.side.lower() in (LONG, "buy") else SHORT
