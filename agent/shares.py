"""Who holds what of a netting position: each owner's share, read from the position's deals.

On a netting account MT5 keeps one position per symbol whatever the magic numbers of the deals that built it
(mt5-api §5.5), and the position carries only the magic number of whoever opened (or last reversed) it. A
strategy's holding is therefore its own share of that position, computed from the position's deals
(``history_deals_get(position=id)``) by the share model of :mod:`contract.netting`, the same model the server's
ledger uses. What the deals do not explain (the history starts after the position opened) is nobody's: it counts
with the manual / other-EA volume, which the strategy never touches by default.
"""

from __future__ import annotations

import math
from collections.abc import Collection
from dataclasses import dataclass, field

from agent.broker.interface import Broker
from agent.broker.models import PositionView
from agent.deals import contract_deal
from contract.netting import OwnerShare, split_position

_EPS = 1e-9


@dataclass(frozen=True)
class ShareView:
    """One netting position and how it is split.

    ``own``: the strategy's share (signed lots: + long, - short; its average entry price, entry count and first
    entry time in server ms); ``strategies``: the other tvbridge strategies' shares by magic number; ``other``: the
    combined share of manual trades, other EAs and volume older than the history. Shares always have the
    position's sign.
    """

    position: PositionView
    own: OwnerShare
    strategies: dict[int, OwnerShare] = field(default_factory=dict)
    other: OwnerShare = OwnerShare()

    @property
    def account_volume(self) -> float:
        """The position's signed lots (+ long, - short)."""
        return self.position.volume if self.position.side == "long" else -self.position.volume

    @property
    def alone(self) -> bool:
        """True when the strategy holds the whole position (no other owner has volume in it)."""
        return abs(self.own.volume - self.account_volume) < _EPS


def read_share(
    broker: Broker, position: PositionView, magic: int, strategy_magics: Collection[int], digits: int = 2
) -> ShareView:
    """Split ``position`` (a netting account's position) between ``magic`` (the strategy), the other tvbridge
    strategies (``strategy_magics``) and everyone else, from its deals.

    When the deals do not add up to the position (history older than the terminal keeps), the difference is
    counted as ``other``: never handed to a strategy.
    """
    deals = [contract_deal(d, 0) for d in broker.position_deals(position.identifier or position.ticket)]
    deals = [d for d in deals if d.is_trade]
    split = split_position(deals, {magic, *strategy_magics}, digits) if deals else None
    shares = dict(split.strategies) if split is not None else {}
    signed = position.volume if position.side == "long" else -position.volume
    own = shares.pop(magic, OwnerShare())
    known = own.volume + sum(s.volume for s in shares.values())
    if math.copysign(1, known or signed) != math.copysign(1, signed) or abs(known) > abs(signed) + _EPS:
        # The deals contradict the position (history cut short, or deals still arriving): trust nobody's share.
        return ShareView(position, OwnerShare(), {}, OwnerShare(signed, position.price_open))
    rest = round(signed - known, 8)
    other = split.other if split is not None and abs(split.other.volume - rest) < _EPS else OwnerShare(rest, 0.0)
    return ShareView(position, own, shares, other)


def split_by_owner(broker: Broker, position: PositionView, digits: int = 2) -> list[tuple[int, OwnerShare]]:
    """Every owner's share of a netting position, by magic number (0: the trader's manual trades), from its deals;
    volume the deals do not explain (history older than the terminal keeps) is counted as the trader's (magic 0,
    never a strategy's). One ``(magic, share)`` per owner holding volume, largest first."""
    deals = [contract_deal(d, 0) for d in broker.position_deals(position.identifier or position.ticket)]
    deals = [d for d in deals if d.is_trade]
    signed = position.volume if position.side == "long" else -position.volume
    split = split_position(deals, {d.magic for d in deals}, digits) if deals else None
    shares = dict(split.strategies) if split is not None else {}
    known = sum(s.volume for s in shares.values())
    if not shares or math.copysign(1, known) != math.copysign(1, signed) or abs(known) > abs(signed) + _EPS:
        return [(position.magic, OwnerShare(signed, position.price_open))]
    rest = round(signed - known, 8)
    if abs(rest) > _EPS:
        manual = shares.get(0, OwnerShare())
        total = manual.volume + rest
        price = (manual.price * abs(manual.volume) + position.price_open * abs(rest)) / abs(total)
        shares[0] = OwnerShare(total, price, manual.entries, manual.opened_msc)
    return sorted(shares.items(), key=lambda item: (-abs(item[1].volume), item[0]))
