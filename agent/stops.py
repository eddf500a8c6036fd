"""Bridge-side breakeven and trailing stops: MT5 has neither for positions opened through the API, so the agent
moves the stop loss itself (PineConnector's ``betrigger``/``beoffset`` and ``trailtrig``/``traildist``/
``trailstep``, all in pips; Milvetti PineConnector library, tradingview-and-bridges.md §1.4).

Rules are kept per position ticket in a JSON file in the agent's data folder, so they survive an agent
restart (written atomically; a damaged file is set aside and the rules start empty). :meth:`StopManager.check`
runs every half second on the agent: it reads each position and its quote through the broker interface (a long
position is valued at the bid, a short one at the ask, mt5-api §4.2), and moves the stop loss with the
position's TP unchanged when a rule calls for a better stop. A stop only ever moves in the trade's favour,
never inside the symbol's stops level, and is not touched while the position is inside the freeze level (the
broker would refuse). Rules stop with their position. They act only while tvbridge runs: unlike a broker-side
stop, a breakeven cannot fire while the PC is off.
"""

from __future__ import annotations

import json
import logging
import threading
from dataclasses import asdict, dataclass
from pathlib import Path

from agent.atomic import remove_leftovers, set_aside, write_atomic
from agent.broker.errors import BrokerUnavailable, OrderRefused
from agent.broker.interface import Broker
from agent.broker.models import MarginMode, ModifyPosition, PositionView, Quote, SymbolSpec
from agent.planner.levels import normalize_price, position_frozen
from agent.planner.types import PlanRejected
from agent.shares import read_share

logger = logging.getLogger(__name__)


@dataclass
class StopRule:
    """What to do with one position's stop loss. Prices in the symbol's quote; ``pip`` in price units.

    Breakeven: once the position is ``be_trigger`` pips in profit, the SL goes to the entry price plus
    ``be_offset`` pips (in the trade's favour). Trailing: once ``trail_trigger`` pips in profit (at once when
    ``None``), the SL follows the price at ``trail_distance`` pips, moving in steps of at least ``trail_step``.

    ``opened_deal`` (netting only; 0 on hedging or when not known): the first entry deal of the strategy's share of
    the position when the rule began. A netting position outlives the strategy's share when others hold part of it;
    a share that went flat and opened again (another ``opened_deal``) is a later entry, with its own entry price,
    and the rule ends rather than act on it.
    """

    ticket: int
    symbol: str
    long: bool
    entry: float
    pip: float
    magic: int
    be_trigger: float | None = None
    be_offset: float = 0.0
    be_done: bool = False
    trail_trigger: float | None = None
    trail_distance: float | None = None
    trail_step: float | None = None
    opened_deal: int = 0

    def wanted_sl(self, price: float, current_sl: float) -> float | None:
        """The better stop loss this rule asks for at ``price``, or ``None`` to leave ``current_sl`` as is."""
        sign = 1 if self.long else -1
        profit_pips = (price - self.entry) * sign / self.pip
        candidates: list[float] = []
        if self.be_trigger is not None and not self.be_done and profit_pips >= self.be_trigger:
            candidates.append(self.entry + sign * self.be_offset * self.pip)
        if self.trail_distance is not None and (self.trail_trigger is None or profit_pips >= self.trail_trigger):
            trail = price - sign * self.trail_distance * self.pip
            step = (self.trail_step or 0.0) * self.pip
            if current_sl == 0.0 or (trail - current_sl) * sign >= max(step, 1e-12):
                candidates.append(trail)
        if not candidates:
            return None
        best = max(candidates) if self.long else min(candidates)
        improves = current_sl == 0.0 or (best - current_sl) * sign > 1e-12
        return best if improves else None


class StopManager:
    """The rules of one agent. Thread-safe; ``state_file`` ``None`` keeps them in memory only."""

    def __init__(self, state_file: Path | None = None) -> None:
        self._file = state_file
        self._lock = threading.Lock()
        #: Tickets whose rule is on hold because the netting position is shared (said once in the log).
        self._shared: set[int] = set()
        self._rules: dict[int, StopRule] = {}
        if state_file is not None:
            self._rules = _load(state_file)

    def __len__(self) -> int:
        return len(self._rules)

    def rules(self) -> list[StopRule]:
        """A copy of the current rules."""
        with self._lock:
            return list(self._rules.values())

    def add(self, rule: StopRule) -> None:
        """Start managing ``rule.ticket`` (replacing an earlier rule for it)."""
        with self._lock:
            self._rules[rule.ticket] = rule
            self._save()
        logger.info("managing the stop loss of position #%s (%s)", rule.ticket, rule)

    def check(self, broker: Broker) -> int:
        """Move every stop loss a rule calls for; drop rules whose position is gone. Returns the SLs moved.

        :raises BrokerUnavailable: the broker cannot be reached (try again later).
        """
        moved = 0
        open_positions = {p.ticket: p for p in broker.positions()}
        specs: dict[str, SymbolSpec] = {}
        for rule in self.rules():
            pos = open_positions.get(rule.ticket)
            if pos is None:
                self._drop(rule.ticket)
                continue
            try:
                spec = specs.get(rule.symbol) or specs.setdefault(rule.symbol, broker.symbol_spec(rule.symbol))
                quote = broker.quote(rule.symbol)
            except OrderRefused:
                continue
            sl = self._wanted(rule, spec, quote, pos.sl, pos.tp)
            if sl is None:
                continue
            if not self._alone(broker, rule, pos):
                continue
            if self._send(broker, rule, sl, pos.tp):
                moved += 1
        return moved

    def _alone(self, broker: Broker, rule: StopRule, pos: PositionView) -> bool:
        """True when the strategy holds the position alone. A netting position's SL is the whole position's (mt5-api
        §5.5): while another owner holds part of it, moving it would move their stop too, so it is left alone."""
        if broker.account().margin_mode is not MarginMode.NETTING:
            return True
        share = read_share(broker, pos, rule.magic, ())
        if share.own.volume and rule.opened_deal and share.own.opened_deal != rule.opened_deal:
            # the entry the rule was made for is closed and the share opened again since: a later entry's, not ours
            # (a flat share, or deals that do not add up yet, are not alone below: the rule waits)
            self._drop(rule.ticket, f"the strategy's share of the {rule.symbol} position is a later entry's")
            return False
        if share.alone:
            self._shared.discard(rule.ticket)
            return True
        if rule.ticket not in self._shared:
            self._shared.add(rule.ticket)
            logger.info(
                "position #%s %s is shared with other owners on this netting account: its stop loss is not moved "
                "(breakeven/trailing acts only on a position the strategy holds alone)", rule.ticket, rule.symbol,
            )
        return False

    @staticmethod
    def _wanted(rule: StopRule, spec: SymbolSpec, quote: Quote, sl_now: float, tp_now: float) -> float | None:
        """The stop loss to send now, or ``None`` (no better stop yet, too close to the market, or frozen)."""
        price = quote.bid if rule.long else quote.ask
        wanted = rule.wanted_sl(price, sl_now)
        if wanted is None:
            return None
        try:
            sl = normalize_price(wanted, spec)
        except PlanRejected:
            return None
        if abs(price - sl) < spec.trade_stops_level * spec.point or (price - sl) * (1 if rule.long else -1) <= 0:
            return None  # too close to the market for the broker: try again as the price moves on
        if position_frozen(spec, quote, long=rule.long, sl=sl_now, tp=tp_now):
            return None  # inside the freeze level the broker refuses any change: try again as the price moves on
        return sl

    def _send(self, broker: Broker, rule: StopRule, sl: float, tp: float) -> bool:
        request = ModifyPosition(symbol=rule.symbol, position=rule.ticket, sl=sl, tp=float(tp), magic=rule.magic)
        try:
            broker.modify(request)
        except BrokerUnavailable:
            raise
        except Exception as exc:  # a refused or uncertain modification is retried at the next check
            logger.warning("could not move the stop loss of position #%s to %s: %s", rule.ticket, sl, exc)
            return False
        logger.info("position #%s: stop loss moved to %s", rule.ticket, sl)
        with self._lock:
            if rule.be_trigger is not None and (sl - rule.entry) * (1 if rule.long else -1) >= (
                rule.be_offset * rule.pip - 1e-12
            ):
                live = self._rules.get(rule.ticket)
                if live is not None:
                    live.be_done = True
            self._save()
        return True

    def _drop(self, ticket: int, why: str = "the position is closed") -> None:
        with self._lock:
            if self._rules.pop(ticket, None) is not None:
                logger.info("position #%s: %s, so its stop rule ends", ticket, why)
                self._save()

    def _save(self) -> None:
        if self._file is None:
            return
        write_atomic(self._file, json.dumps([asdict(r) for r in self._rules.values()]))


def _load(path: Path) -> dict[int, StopRule]:
    """The rules saved at ``path``; none when there is no file, and none (the file set aside) when it is damaged."""
    remove_leftovers(path)
    if not path.exists():
        return {}
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        rules = [StopRule(**r) for r in data]
    except (ValueError, TypeError, KeyError, UnicodeDecodeError) as exc:
        set_aside(path, f"{type(exc).__name__}: {exc}; the breakeven/trailing rules it held no longer act")
        return {}
    return {r.ticket: r for r in rules}
