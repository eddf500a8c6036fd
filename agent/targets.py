"""Take-profit levels the agent closes itself on netting accounts (TP1, TP2 ... before the last level).

A netting account holds one position per symbol (mt5-api §5.5), so an entry with several take-profit levels is one
position whose broker TP is the last level (agent/planner/targets.py); the earlier levels are rules kept here. Each
check (twice a second, from the agent's stops thread, under the executor's lock so it never acts on a position a
job is planning for) reads the position's closing price (the bid for a long, the ask for a short, mt5-api §4.2);
once it reaches a level, the agent closes that level's lots of the strategy's own share (:mod:`agent.shares`: never
another owner's volume) with the order comment ``tvb:<signal id>/tp<level>``, which the ledger reads back as
"TP<level> reached" (server/ledger/attribution.py).

Exactly once: before a close is sent, the position's deals are searched for that comment; a close found there
(sent before a crash or with an unknown outcome) marks the level done and is never sent again. Rules are kept in
``targets.json`` in the agent's data folder across restarts, from before their entry is sent (awaiting its fill:
an agent that dies before it hears of the fill watches them once its restart finds the entry), and end with their
position (closed, reversed, or the
strategy's share gone, or gone flat and opened again by a later entry: the rule knows its share's first entry
deal). Like breakeven and trailing stops they act only while tvbridge runs; the last level is the broker's TP and
closes the rest even while it does not.
"""

from __future__ import annotations

import json
import logging
import re
import threading
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from decimal import Decimal
from pathlib import Path

from agent.atomic import remove_leftovers, set_aside, write_atomic
from agent.broker.errors import OrderOutcomeUnknown, OrderRefused
from agent.broker.interface import Broker
from agent.broker.models import ClosePosition, Deal, PositionView, SymbolSpec
from agent.deals import contract_deal
from agent.planner.levels import position_frozen
from agent.planner.text import dec, fmt_lots, fmt_price
from agent.planner.volume import round_down
from agent.shares import read_share
from contract.intent import PositionSide
from contract.netting import ShareBook

logger = logging.getLogger(__name__)

#: Accepted slippage of a level's close, in points.
DEVIATION_POINTS = 20
#: Seconds a level whose close was refused waits before the next try (market closed, frozen ...).
RETRY_SECONDS = 30.0
#: The comment of a level close the agent made (:func:`close_comment`), whatever its signal.
_LEVEL_CLOSE = re.compile(r"tvb:\d+/tp\d+")


def close_comment(tag: str, number: int) -> str:
    """The comment of level ``number``'s close for the signal tagged ``tag`` (``tvb:123`` -> ``tvb:123/tp2``)."""
    return f"{tag}/tp{number}"


@dataclass
class Level:
    """One level: ``number`` (1 = TP1), its ``price`` and the ``lots`` to close there; ``done`` once closed."""

    number: int
    price: float
    lots: float
    done: bool = False


@dataclass
class TargetRule:
    """The levels of one netting entry: the signal's comment ``tag`` (``tvb:<id>``), the strategy's ``magic``, the
    ``position`` (its identifier) on ``symbol`` and its side (``long``); ``opened_deal`` the first entry deal of
    the strategy's share the entry went into (0: not known), so levels of an entry whose share was closed never
    act on a later entry of the same strategy in the same position (the share opened again has another one);
    ``entry_deal`` the deal that filled this entry (0: not known), after which closes of the share other than
    level closes shrink every open level in proportion (:func:`entry_left`). ``position`` 0: the entry is not
    filled yet (:meth:`TargetMonitor.awaiting`)."""

    tag: str
    magic: int
    symbol: str
    position: int
    long: bool
    levels: list[Level] = field(default_factory=list)
    opened_deal: int = 0
    entry_deal: int = 0

    @property
    def open_levels(self) -> list[Level]:
        """The levels not closed yet, nearest first."""
        return [lv for lv in self.levels if not lv.done]


@dataclass(frozen=True)
class LevelClose:
    """A close the monitor made: the rule's ``tag``, level ``number``, ``lots`` closed at ``price``."""

    tag: str
    number: int
    symbol: str
    lots: float
    price: float


class TargetMonitor:
    """The take-profit rules of one agent. Thread-safe; ``state_file`` ``None`` keeps them in memory only."""

    def __init__(self, state_file: Path | None = None) -> None:
        self._file = state_file
        self._lock = threading.Lock()
        self._retry_after: dict[tuple[str, int], float] = {}
        self._rules: dict[str, TargetRule] = _load(state_file) if state_file is not None else {}

    def __len__(self) -> int:
        return len(self._rules)

    def rules(self) -> list[TargetRule]:
        """A copy of the current rules."""
        with self._lock:
            return [TargetRule(**{**asdict(r), "levels": [Level(**asdict(lv)) for lv in r.levels]})
                    for r in self._rules.values()]

    def add(self, rule: TargetRule) -> None:
        """Start watching ``rule``'s levels (replacing an earlier rule of the same signal)."""
        with self._lock:
            self._rules[rule.tag] = rule
            self._save()
        logger.info("watching take-profit levels of %s on %s: %s", rule.tag, rule.symbol, rule.levels)

    def awaiting(self, tag: str) -> TargetRule | None:
        """A copy of the rule of the signal tagged ``tag`` while it awaits its entry's fill (``position`` 0: added
        before the entry was sent, so an agent that dies before it hears of the fill still has it), else ``None``."""
        return next((r for r in self.rules() if r.tag == tag and r.position == 0), None)

    def forget(self, tag: str, why: str) -> None:
        """Drop the rule of ``tag`` if it still awaits its entry's fill (the entry was refused or not sent)."""
        if self.awaiting(tag) is not None:
            self._drop(tag, why)

    def check(self, broker: Broker) -> list[LevelClose]:
        """Close every level the price has reached; drop rules whose position or share is gone. Rules awaiting
        their entry's fill (``position`` 0) wait.

        :raises BrokerUnavailable: the broker cannot be reached (try again later).
        """
        done: list[LevelClose] = []
        for rule in self.rules():
            if rule.position == 0:
                continue
            pos = next(
                (p for p in broker.positions(symbol=rule.symbol) if rule.position in (p.identifier, p.ticket)), None
            )
            if pos is None or (pos.side == "long") != rule.long:
                self._drop(rule.tag, "its position is closed or reversed")
                continue
            try:
                spec = broker.symbol_spec(rule.symbol)
                quote = broker.quote(rule.symbol)
            except OrderRefused:
                continue
            price = quote.bid if rule.long else quote.ask
            for level in rule.open_levels:
                reached = price >= level.price if rule.long else price <= level.price
                if not reached or time.monotonic() < self._retry_after.get((rule.tag, level.number), 0):
                    continue
                if position_frozen(spec, quote, long=rule.long, sl=pos.sl, tp=pos.tp):
                    break  # the broker refuses any close inside the freeze level: the next check tries again
                closed = self._close_level(broker, rule, level, pos, spec, price)
                if closed is not None:
                    done.append(closed)
            if rule.tag in self._rules and not self._rules[rule.tag].open_levels:
                self._drop(rule.tag, "every level is closed")
        return done

    def _close_level(
        self, broker: Broker, rule: TargetRule, level: Level, pos: PositionView, spec: SymbolSpec, price: float
    ) -> LevelClose | None:
        comment = close_comment(rule.tag, level.number)
        deals = broker.position_deals(pos.identifier or pos.ticket)
        if any(d.comment == comment for d in deals):
            self._mark(rule.tag, level.number, "its close was found at the broker")  # sent before a crash
            return None
        share = read_share(broker, pos, rule.magic, ()).own
        own = abs(dec(share.volume))
        if own and rule.opened_deal and share.opened_deal != rule.opened_deal:
            self._drop(rule.tag, f"the entry was closed: the strategy's share of {rule.symbol} went flat and opened "
                       f"again since, and that volume is not this entry's")
            return None
        if own <= 0:
            self._drop(rule.tag, f"the strategy's share of {rule.symbol} is closed")
            return None
        left = entry_left(deals, rule.magic, rule.entry_deal)
        lots = min(dec(level.lots) * left, own)
        lots = round_down(lots, spec) if lots < own else lots
        if lots <= 0 or lots < dec(spec.volume_min):
            self._mark(rule.tag, level.number, f"its part of what is left of the entry comes to {fmt_lots(lots)} "
                       f"lots, below the minimum volume of {fmt_lots(dec(spec.volume_min))} lots: nothing to close")
            return None
        request = ClosePosition(
            symbol=rule.symbol, position=pos.ticket,
            position_side=PositionSide.LONG if rule.long else PositionSide.SHORT, volume=float(lots),
            price=price, deviation_points=DEVIATION_POINTS, magic=rule.magic, comment=comment,
        )
        try:
            receipt = broker.close_position(request)
        except (OrderRefused, OrderOutcomeUnknown) as exc:
            # Never re-sent blindly: an unknown outcome is found by its comment at the next check.
            self._retry_after[(rule.tag, level.number)] = time.monotonic() + RETRY_SECONDS
            logger.warning("TP%s of %s: closing %s lots of #%s refused: %s", level.number, rule.tag, lots, pos.ticket,
                           exc)
            return None
        filled = receipt.price or price
        self._mark(rule.tag, level.number, f"closed {fmt_lots(receipt.volume or lots)} lots at "
                   f"{fmt_price(filled, spec.digits)}")
        return LevelClose(rule.tag, level.number, rule.symbol, float(receipt.volume or lots), filled)

    def _mark(self, tag: str, number: int, why: str) -> None:
        with self._lock:
            rule = self._rules.get(tag)
            if rule is None:
                return
            for lv in rule.levels:
                if lv.number == number:
                    lv.done = True
            self._save()
        logger.info("TP%s of %s reached: %s", number, tag, why)

    def _drop(self, tag: str, why: str) -> None:
        with self._lock:
            if self._rules.pop(tag, None) is None:
                return
            self._save()
        logger.info("take-profit levels of %s end: %s", tag, why)

    def _save(self) -> None:
        if self._file is None:
            return
        write_atomic(self._file, json.dumps([asdict(r) for r in self._rules.values()]))


def entry_left(deals: Sequence[Deal], magic: int, entry_deal: int) -> Decimal:
    """The part (0..1) of an entry that the strategy's own closes left open: each deal after ``entry_deal`` that
    shrinks the share of ``magic`` (a partial close signal, an exit rule, another owner's deal netting against it),
    except the agent's level closes (``tvb:<id>/tp<n>``, any signal's), shrinks it in proportion, as such a
    close shrinks each level's own position on a hedging account. 1 when ``entry_deal`` is 0 or not among
    ``deals`` (the deals of the position, from :meth:`Broker.position_deals`)."""
    book = ShareBook()
    left, seen = Decimal(1), False
    for deal in sorted((contract_deal(d, 0) for d in deals), key=lambda d: (d.server_msc, d.ticket)):
        if not deal.is_trade:
            continue
        before = _share(book, deal.position_id, magic)
        book.apply(deal)
        after = _share(book, deal.position_id, magic)
        if deal.ticket == entry_deal:
            seen = True
        elif seen and abs(after) < abs(before) and not (
            deal.magic == magic and _LEVEL_CLOSE.fullmatch(deal.comment.strip())
        ):
            left *= abs(after) / abs(before) if after * before > 0 else Decimal(0)
    return left


def _share(book: ShareBook, position_id: int, magic: int) -> Decimal:
    pos = book.positions.get(position_id)
    share = pos.shares.get(magic) if pos is not None else None
    return dec(share.volume) if share is not None else Decimal(0)


def _load(path: Path) -> dict[str, TargetRule]:
    """The rules saved at ``path``; none when there is no file, and none (the file set aside) when it is damaged."""
    remove_leftovers(path)
    if not path.exists():
        return {}
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        rules = [TargetRule(**{**r, "levels": [Level(**lv) for lv in r["levels"]]}) for r in data]
    except (ValueError, TypeError, KeyError, UnicodeDecodeError) as exc:
        set_aside(path, f"{type(exc).__name__}: {exc}; the take-profit levels it held are no longer watched")
        return {}
    return {r.tag: r for r in rules}

