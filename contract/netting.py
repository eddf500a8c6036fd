"""The share model: how one account position is split between the owners (magic numbers) that built it.

On a netting account MT5 keeps ONE position per symbol (mt5-api §5.5): strategy A's buy of 1 lot and B's buy of
0.5 become one 1.5-lot position. Each owner's **share** of it is a virtual sub-position computed from the
deals, the same way on the server (trades, stats) and on the agent (what a close may send). On a hedging account
every position has its own ``position_id`` and one owner, so the same rules give exact ticket ownership.

Rules, applied to the deals of one position (one ``DEAL_POSITION_ID``) in order; owners are magic numbers
(``0`` is the trader's manual trades, other EAs keep their own magic numbers, :data:`BEFORE_HISTORY` holds
volume the ledger never saw open):

1. **Entry** (a deal in the position's direction, or the first deal): adds to the dealer's share at its price;
   the share's entry price is its volume-weighted average (as MT5 averages the position, mt5-api §5.5).
2. **Own close**: an opposite deal first reduces the dealer's own share. MT5 marks it ``DEAL_ENTRY_OUT``.
3. **Foreign close**: what the deal closes beyond the dealer's own share (a manual close in the terminal, another
   EA, or a strategy allowed to net against others) reduces the other shares pro rata by volume.
4. **Account-level close**: deals with reason SL, TP or stop-out (``DEAL_REASON_SL/TP/SO``) act on the
   account's position as a whole: every share is reduced pro rata by volume (SL/TP close the whole netting
   position, so every share closes).
5. **Reversal** (``DEAL_ENTRY_INOUT``): the old position closes entirely (rules 2-4 with the old volume) and
   the remaining volume opens the opposite direction as the dealer's share. Only a reversal changes a
   share's sign; every share always has the position's sign or is zero.
6. A close of more than the known position (or of a position never seen open) that MT5 does not mark as a
   reversal closed volume opened before the history starts: that part is booked to :data:`BEFORE_HISTORY`.

Money of a closing deal, all in the account currency, split so every sum is exact to the currency's last digit:

- ``commission`` and ``fee``: pro rata by volume over every part of the deal (closed parts and the reversal's
  new volume). An entry's commission and fee are held by the share and realised pro rata as it closes.
- ``swap``: MT5 books a position's swap on the deal that closes it; split pro rata by closed volume.
- ``profit``: MT5 computes an OUT deal's profit against the **position's** average price (all owners' entries
  mixed), not the closer's own entry. Each part's profit is the owner's **own entry -> exit** P&L::

      own = mt5_profit * part/closed + side * (position_price - share_entry) * part * value

  where ``value`` (account currency per 1.0 price move per lot) is read off MT5's own deal profits
  (``profit / (side * (price - position_price) * closed)``), never from a tick-value guess. The first term
  is MT5's figure, so a share entered at the position's price (every hedging position, a netting position with
  one owner) gets exactly MT5's profit. What the parts realise differently from MT5 is the position's
  ``carry``; it sums to zero over a position's life (each owner's entries are closed once at its own price,
  MT5 closes the same entries at the average), and the rounding left when the position closes (or the
  drift of ``value`` with a conversion rate) is settled on that last deal's parts. So, per position:
  ``sum(exit profits) + carry == sum(MT5 deal profits)`` after every deal, and ``carry == 0`` when flat.
"""

from __future__ import annotations

import math
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Final

from contract.deals import ACCOUNT_LEVEL_REASONS, DEAL_ENTRY_INOUT, DEAL_ENTRY_OUT, DEAL_ENTRY_OUT_BY, Deal

#: Owner of volume closed that the history never showed open (deals older than the terminal's history).
BEFORE_HISTORY: Final = -1

#: Volumes are kept to 8 decimals (far finer than any ``volume_step``).
VOLUME_DECIMALS: Final = 8

#: A deal's own profit gives ``value`` when its half-unit rounding error is at most 1e-4 of it.
_PRECISE_UNITS: Final = 5000


class Cause(StrEnum):
    """Why a share shrank: its owner's own deal, the trade server (SL/TP/stop-out) acting on the whole
    position, or another owner's deal that closed more than that owner held."""

    OWN = "own"
    ACCOUNT = "account"
    FOREIGN = "foreign"


@dataclass
class Share:
    """One owner's share of one position: ``volume`` signed lots (+ long, - short), ``price`` its average
    entry price, ``opened`` the first entry deal since it was last flat, ``entries`` the owner's entry deals
    since then. ``commission``/``fee``/``swap``: entry costs not yet realised, in money units (10**-digits of
    the account currency)."""

    magic: int
    volume: float = 0.0
    price: float = 0.0
    opened: Deal | None = None
    commission: int = 0
    fee: int = 0
    swap: int = 0
    entries: int = 0


@dataclass(frozen=True)
class Exit:
    """One share's part of one closing deal: ``volume`` lots closed (positive) of a ``side`` (+1 long, -1
    short) share, from its average ``entry_price`` to the deal's ``exit_price``. ``profit`` is the owner's own
    entry -> exit P&L; ``commission``/``swap``/``fee`` include the share's held entry costs for this volume;
    all in the account currency. ``remaining`` is the share's signed volume after the deal. ``opened`` is the
    share's first entry deal (``None`` for :data:`BEFORE_HISTORY`)."""

    magic: int
    position_id: int
    symbol: str
    side: int
    volume: float
    entry_price: float
    exit_price: float
    opened: Deal | None
    deal: Deal
    cause: Cause
    remaining: float
    profit: float
    commission: float
    swap: float
    fee: float

    @property
    def net(self) -> float:
        """Profit + commission + swap + fee, in the account currency."""
        return self.profit + self.commission + self.swap + self.fee


@dataclass
class PositionBook:
    """One account position and its shares: ``volume`` signed lots and ``price`` the average price as MT5
    keeps them; ``carry`` MT5-realised profit no exit has taken yet (money units)."""

    position_id: int
    symbol: str
    volume: float = 0.0
    price: float = 0.0
    shares: dict[int, Share] = field(default_factory=dict)
    carry: int = 0

    def held(self) -> list[Share]:
        """The shares with volume, largest first."""
        return sorted((s for s in self.shares.values() if s.volume), key=lambda s: (-abs(s.volume), s.magic))


@dataclass(frozen=True)
class _Part:
    magic: int
    volume: float
    cause: Cause


class ShareBook:
    """Applies an account's deals in order and keeps every open position's shares.

    :param digits: the account currency's decimals (``account_info().currency_digits``); money is split in
        units of ``10**-digits``.
    """

    def __init__(self, digits: int = 2) -> None:
        self.digits = digits
        self._scale = 10**digits
        self.positions: dict[int, PositionBook] = {}
        self._value: dict[str, tuple[float, int]] = {}  # symbol -> (value per price unit per lot, |profit| units)

    def apply(self, deal: Deal) -> list[Exit]:
        """Apply one deal; returns the share parts it closed (empty for entries and account operations)."""
        if not deal.is_trade or deal.volume <= 0:
            return []
        pos = self.positions.get(deal.position_id)
        if pos is None:
            pos = self.positions[deal.position_id] = PositionBook(deal.position_id, deal.symbol)
        if pos.volume == 0 and deal.entry in (DEAL_ENTRY_OUT, DEAL_ENTRY_OUT_BY):
            del self.positions[deal.position_id]
            return [self._unseen(pos, deal)]
        if pos.volume == 0 or _sign(pos.volume) == deal.sign:
            self._enter(pos, deal, deal.magic, _vol(deal.volume), self._u(deal.commission), self._u(deal.fee))
            pos.carry += self._u(deal.profit)  # an entry realises nothing in MT5; keep any figure exact
            pos.shares[deal.magic].swap += self._u(deal.swap)
            return []
        exits = self._reduce(pos, deal)
        if pos.volume == 0 and not pos.held():
            del self.positions[deal.position_id]
        return exits

    # -- entries --------------------------------------------------------------------------------------------

    def _enter(self, pos: PositionBook, deal: Deal, magic: int, lots: float, commission: int, fee: int) -> None:
        share = pos.shares.setdefault(magic, Share(magic))
        if share.volume == 0:
            share.price, share.opened, share.entries = deal.price, deal, 1
        else:
            share.price = _average(share.price, abs(share.volume), deal.price, lots)
            share.entries += 1
        share.volume = _vol(share.volume + deal.sign * lots)
        share.commission += commission
        share.fee += fee
        pos.price = deal.price if pos.volume == 0 else _average(pos.price, abs(pos.volume), deal.price, lots)
        pos.volume = _vol(pos.volume + deal.sign * lots)

    # -- closes -----------------------------------------------------------------------------------------------

    def _reduce(self, pos: PositionBook, deal: Deal) -> list[Exit]:
        side = _sign(pos.volume)
        lots = _vol(deal.volume)
        closed = min(lots, abs(pos.volume))
        rest = _vol(lots - closed)
        unseen = 0.0
        if rest > 0 and deal.entry != DEAL_ENTRY_INOUT:
            unseen, rest = rest, 0.0  # MT5 closed more than the ledger saw open: opened before the history
        parts = self._parts(pos, deal, closed)
        if unseen:
            parts.append(_Part(BEFORE_HISTORY, unseen, Cause.FOREIGN))
        volumes = [p.volume for p in parts]
        commission = _split(self._u(deal.commission), [*volumes, rest])
        fee = _split(self._u(deal.fee), [*volumes, rest])
        swap = _split(self._u(deal.swap), volumes)
        profit = _split(self._u(deal.profit), volumes)
        entries = [pos.shares[p.magic].price if p.magic in pos.shares else deal.price for p in parts]
        spread = sum(abs(pos.price - entries[i]) * p.volume for i, p in enumerate(parts) if p.magic in pos.shares)
        value = None if unseen else self._value_of(deal, pos, side, closed, spread)
        for i, part in enumerate(parts):
            if value is not None and part.magic in pos.shares:
                adjust = round(side * (pos.price - entries[i]) * part.volume * value * self._scale)
                profit[i] += adjust
                pos.carry -= adjust
        flat = closed >= abs(pos.volume)
        if flat and pos.carry:
            for i, extra in enumerate(_split(pos.carry, volumes)):
                profit[i] += extra
            pos.carry = 0
        exits = []
        for i, part in enumerate(parts):
            held = self._release(pos, part, side)
            exits.append(
                Exit(
                    magic=part.magic,
                    position_id=pos.position_id,
                    symbol=pos.symbol,
                    side=side,
                    volume=part.volume,
                    entry_price=entries[i],
                    exit_price=deal.price,
                    opened=held.opened if part.magic != BEFORE_HISTORY else None,
                    deal=deal,
                    cause=part.cause,
                    remaining=held.volume if part.magic != BEFORE_HISTORY else 0.0,
                    profit=self._money(profit[i]),
                    commission=self._money(commission[i] + held.commission),
                    swap=self._money(swap[i] + held.swap),
                    fee=self._money(fee[i] + held.fee),
                )
            )
        pos.volume = _vol(pos.volume - side * closed)
        if pos.volume == 0:
            pos.price = 0.0
        if rest:
            self._enter(pos, deal, deal.magic, rest, commission[-1], fee[-1])
        return exits

    def _unseen(self, pos: PositionBook, deal: Deal) -> Exit:
        """A close of a position the history never showed open (rule 6): all of it is :data:`BEFORE_HISTORY`'s,
        with MT5's figures."""
        return Exit(
            magic=BEFORE_HISTORY, position_id=pos.position_id, symbol=pos.symbol, side=-deal.sign,
            volume=_vol(deal.volume), entry_price=deal.price, exit_price=deal.price, opened=None, deal=deal,
            cause=Cause.FOREIGN, remaining=0.0, profit=deal.profit, commission=deal.commission, swap=deal.swap,
            fee=deal.fee,
        )

    def _parts(self, pos: PositionBook, deal: Deal, closed: float) -> list[_Part]:
        """Which shares the deal's ``closed`` lots come from (rules 2-4)."""
        if deal.reason in ACCOUNT_LEVEL_REASONS:
            return _pro_rata(pos.held(), closed, Cause.ACCOUNT)
        own = pos.shares.get(deal.magic)
        mine = min(closed, abs(own.volume)) if own is not None else 0.0
        parts = [_Part(deal.magic, mine, Cause.OWN)] if mine > 0 else []
        others = [s for s in pos.held() if s.magic != deal.magic]
        return parts + _pro_rata(others, _vol(closed - mine), Cause.FOREIGN)

    def _release(self, pos: PositionBook, part: _Part, side: int) -> Share:
        """Take ``part`` out of its share; returns the share's state after it, with the entry costs released
        for this volume in ``commission``/``fee``/``swap`` (a copy: the share keeps the rest)."""
        if part.magic == BEFORE_HISTORY:
            return Share(BEFORE_HISTORY)
        share = pos.shares[part.magic]
        before = abs(share.volume)
        whole = part.volume >= before
        moved = Share(
            part.magic,
            opened=share.opened,
            commission=share.commission if whole else round(share.commission * part.volume / before),
            fee=share.fee if whole else round(share.fee * part.volume / before),
            swap=share.swap if whole else round(share.swap * part.volume / before),
        )
        share.commission -= moved.commission
        share.fee -= moved.fee
        share.swap -= moved.swap
        share.volume = 0.0 if whole else _vol(share.volume - side * part.volume)
        if share.volume == 0:
            share.price, share.opened, share.entries = 0.0, None, 0
        moved.volume = share.volume
        return moved

    def _value_of(self, deal: Deal, pos: PositionBook, side: int, closed: float, spread: float) -> float | None:
        """Account currency per 1.0 price move per lot, read off MT5's profits: this deal's when precise
        enough, else the most precise one seen on the symbol (``None`` when none could be read).

        ``spread`` is what the value multiplies: the sum over the deal's parts of ``|position price - share
        entry| * lots``. A value read off a profit of ``units`` money units is off by up to ``0.5 / units`` of
        itself (MT5 rounds the profit to the unit), so the entry adjustment ``spread * value`` is off by up to
        ``spread * value * 0.5 / units`` units: this deal's own value is used only when that stays within half a
        unit (and the profit is at least :data:`_PRECISE_UNITS`), else the most precise value seen.
        """
        units = abs(self._u(deal.profit))
        moved = side * (deal.price - pos.price) * closed
        found = deal.profit / moved if units and moved else 0.0
        best = self._value.get(pos.symbol)
        if found > 0 and math.isfinite(found):
            if best is None or units > best[1]:
                self._value[pos.symbol] = best = (found, units)
            adjustment = spread * found * self._scale  # money units the value multiplies into
            if units >= max(_PRECISE_UNITS, adjustment):
                return found  # precise enough for this adjustment, and at this deal's own conversion rate
        return best[0] if best else None

    def _u(self, money: float) -> int:
        return round(money * self._scale)

    def _money(self, units: int) -> float:
        return round(units / self._scale, self.digits)


@dataclass(frozen=True)
class OwnerShare:
    """An owner's share of a position: ``volume`` signed lots, ``price`` its average entry price (0 when
    flat); ``entries`` the owner's entry deals since the share was last flat and ``opened_msc`` the trade-server
    time (ms) of the first of them, ``opened_deal`` its deal ticket (both 0 when unknown or for a combined share):
    a share that went flat and opened again has another ``opened_deal``."""

    volume: float = 0.0
    price: float = 0.0
    entries: int = 0
    opened_msc: int = 0
    opened_deal: int = 0


@dataclass(frozen=True)
class PositionSplit:
    """How one account position is split: ``volume`` (signed lots) and ``price`` as MT5 keeps them;
    ``strategies`` the shares of the given strategy magic numbers (only those holding volume); ``other`` the
    combined share of everything else (manual trades, other EAs, volume before the history)."""

    position_id: int
    symbol: str
    volume: float
    price: float
    strategies: dict[int, OwnerShare]
    other: OwnerShare


def split_position(deals: Iterable[Deal], strategy_magics: Collection[int], digits: int = 2) -> PositionSplit | None:
    """Each owner's share of the account position built by ``deals``: the deals of ONE position
    (``history_deals_get(position=...)``) in server-time order. ``None`` when the position is closed.

    :raises ValueError: the deals belong to more than one position.
    """
    book = ShareBook(digits)
    ids = set()
    for deal in deals:
        if deal.is_trade:
            ids.add(deal.position_id)
            if len(ids) > 1:
                raise ValueError(f"deals of several positions given: {sorted(ids)}")
        book.apply(deal)
    if not book.positions:
        return None
    pos = next(iter(book.positions.values()))
    mine = {
        s.magic: OwnerShare(
            s.volume, s.price, s.entries, s.opened.server_msc if s.opened else 0, s.opened.ticket if s.opened else 0
        )
        for s in pos.held()
        if s.magic in strategy_magics
    }
    others = [s for s in pos.held() if s.magic not in strategy_magics]
    volume = _vol(sum(s.volume for s in others))
    price = sum(s.price * abs(s.volume) for s in others) / abs(volume) if volume else 0.0
    return PositionSplit(pos.position_id, pos.symbol, pos.volume, pos.price, mine, OwnerShare(volume, price))


def _pro_rata(shares: Sequence[Share], lots: float, cause: Cause) -> list[_Part]:
    """``lots`` taken from ``shares`` in proportion to their volume (the largest takes the rounding)."""
    if lots <= 0 or not shares:
        return []
    total = sum(abs(s.volume) for s in shares)
    if lots >= total:
        return [_Part(s.magic, abs(s.volume), cause) for s in shares]
    taken = [min(abs(s.volume), _vol(lots * abs(s.volume) / total)) for s in shares[1:]]
    first = min(abs(shares[0].volume), _vol(lots - sum(taken)))
    return [_Part(s.magic, v, cause) for s, v in zip(shares, [first, *taken], strict=True) if v > 0]


def _split(total: int, weights: Sequence[float]) -> list[int]:
    """``total`` money units split in proportion to ``weights``, largest remainders first: the parts always
    sum to ``total`` exactly."""
    if not weights:
        return []
    weight = sum(weights)
    if total == 0 or weight <= 0:
        return [total if i == 0 else 0 for i in range(len(weights))]
    magnitude, sign = abs(total), (1 if total > 0 else -1)
    raw = [magnitude * w / weight for w in weights]
    parts = [math.floor(r) for r in raw]
    left = magnitude - sum(parts)
    for i in sorted(range(len(raw)), key=lambda i: (parts[i] - raw[i], i))[:left]:
        parts[i] += 1
    return [sign * p for p in parts]


def _average(price: float, lots: float, add_price: float, add_lots: float) -> float:
    return (price * lots + add_price * add_lots) / (lots + add_lots)


def _vol(lots: float) -> float:
    return round(lots, VOLUME_DECIMALS) + 0.0  # + 0.0: never -0.0


def _sign(x: float) -> int:
    return (x > 0) - (x < 0)
