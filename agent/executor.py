"""Executes one trade job: resolve the symbol, read the broker, plan, send, report.

Exactly-once rests on three rules: every request carries the strategy's magic number and the signal's
comment (``tvb:<signal_id>``); a request whose outcome is unknown is never re-sent, only looked up by that
comment; a job found claimed after an agent restart is looked up the same way before anything is sent.
A job past its deadline (the strategy's max signal age) is never executed late: it expires.

No input crashes the agent: whatever the planner or the sending raises ends that one signal ``failed`` with a
sentence that says what was sent before (only an unreachable broker with nothing sent is left for a retry).
Everything broker-specific is behind :class:`~agent.broker.interface.Broker`.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from agent import planner
from agent.broker.errors import BrokerUnavailable, OrderOutcomeUnknown, OrderRefused
from agent.broker.interface import Broker, submit
from agent.broker.models import (
    ClosePosition,
    Deal,
    DealEntry,
    MarginMode,
    MarketOrder,
    OrderReceipt,
    OrderRequest,
    OrderView,
    Quote,
    SymbolSpec,
)
from agent.exposure import read_exposure, wants_exposure
from agent.market import MarketView
from agent.planner.comment import carries_tag, level_of, names_signal, tag_of
from agent.planner.pips import pip_size
from agent.planner.text import fmt_lots
from agent.reports import found_deal, found_order, planned_order, sent_order
from agent.shares import ShareView, read_share
from agent.snapshot import build_snapshot, owned_positions, utcnow
from agent.stops import StopManager, StopRule
from agent.targets import Level, TargetMonitor, TargetRule
from contract import JobOutcome, JobResult, PositionState, SentOrder, TradeJob
from contract.intent import OpenAction, OrderKind, PositionSide, Side, TradeIntent
from contract.settings import ExecutionSettings

logger = logging.getLogger(__name__)


def _places_pending(intent: TradeIntent) -> bool:
    """True when the alert places a pending order (its expiry needs the broker's clock)."""
    return any(isinstance(a, OpenAction) and a.kind != OrderKind.MARKET for a in intent.actions)


def _result(status: JobOutcome, message: str | None = None, **extra: Any) -> JobResult:
    return JobResult.model_validate({"status": status, "error_message": message, **extra})


@dataclass
class _Progress:
    """What one job has done so far: kept outside the call stack so a crash can still report it."""

    sent: list[SentOrder] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    sent_at: datetime | None = None
    stage: str = "reading the account"


@dataclass(frozen=True)
class Found:
    """Orders and deals in the broker that carry one signal's comment and magic number."""

    deals: tuple[Deal, ...]
    orders: tuple[OrderView, ...]


class JobExecutor:
    """Runs trade jobs against one broker. ``clock`` returns aware UTC now (injectable for tests)."""

    def __init__(
        self,
        broker: Broker,
        clock: Callable[[], datetime] = utcnow,
        stops: StopManager | None = None,
        targets: TargetMonitor | None = None,
    ) -> None:
        self.broker = broker
        self._clock = clock
        #: Breakeven and trailing rules of the positions this executor opens (see agent/stops.py).
        self.stops = stops if stops is not None else StopManager()  # an empty manager is falsy (len 0)
        #: Take-profit levels the agent closes itself on netting accounts (see agent/targets.py).
        self.targets = targets if targets is not None else TargetMonitor()
        #: Held while a job runs: whatever else trades on this broker (the exit monitor) waits for it, so it never
        #: acts on a position a job is planning for.
        self.lock = threading.RLock()
        #: Called with each job after it ran (or was reconciled): the deal sync and the exit monitor listen.
        self.listeners: list[Callable[[TradeJob], None]] = []

    def _tell(self, job: TradeJob) -> None:
        for listener in list(self.listeners):
            try:
                listener(job)
            except Exception:  # a listener must never cost a job its result
                logger.exception("job listener failed")

    def execute(self, job: TradeJob) -> JobResult:
        """Execute a ``trade`` job; return its result for ``POST .../jobs/{id}/result``, with the strategy's
        positions as read after the last order (``positions_after``).

        Never raises for a bad job: any error while planning or sending ends it ``failed`` with a sentence.

        :raises BrokerUnavailable: nothing was sent and the broker is unreachable: retry the job later.
        """
        try:
            with self.lock:
                return self._execute_job(job)
        finally:
            self._tell(job)

    def _execute_job(self, job: TradeJob, resume: _Resume | None = None) -> JobResult:
        progress = _Progress()
        if resume is not None:
            progress.sent.extend(resume.sent)
            progress.notes.append(resume.note)
            progress.sent_at = job.claimed_at
        try:
            result = self._execute(job, progress, resume)
        except BrokerUnavailable as exc:
            if not progress.sent:
                raise
            result = _result(
                JobOutcome.FAILED,
                f"The connection to the broker broke while {progress.stage}: {exc} Orders already sent: "
                f"{'; '.join(s.description for s in progress.sent)}. Check them in the terminal.",
                orders=progress.sent, notes=progress.notes, sent_at=progress.sent_at,
            )
        except Exception as exc:  # no input may crash the agent: this one signal fails, the next ones run
            logger.exception("job %s (signal #%s) failed while %s", job.id, job.signal_id, progress.stage)
            result = self._crashed(exc, progress)
        if result.orders:
            result.positions_after = self.positions_of(job.settings.magic_number)
        return result

    def _crashed(self, exc: Exception, progress: _Progress) -> JobResult:
        what = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
        if progress.sent:
            done = "; ".join(s.description for s in progress.sent)
            tail = f"Orders already sent before it: {done}. Check them in the terminal."
        else:
            tail = "Nothing was sent."
        return _result(
            JobOutcome.FAILED,
            f"tvbridge could not finish this alert: an internal error happened while {progress.stage} ({what}). "
            f"{tail} This is a fault in tvbridge, not in the alert's broker; the agent's log has the details.",
            orders=progress.sent,
            notes=progress.notes,
            sent_at=progress.sent_at,
        )

    def positions_of(self, magic_number: int) -> list[PositionState] | None:
        """The strategy's open positions (all symbols): those carrying ``magic_number`` on hedging, its shares on
        netting; ``None`` when they cannot be read."""
        try:
            account = self.broker.account()
            netting = account.margin_mode is MarginMode.NETTING
            return owned_positions(self.broker, netting, account.currency_digits, magic=magic_number)
        except Exception as exc:  # a report without positions beats no report
            logger.warning("could not read positions after a job: %s", exc)
            return None

    def _execute(self, job: TradeJob, progress: _Progress, resume: _Resume | None = None) -> JobResult:
        intent, settings, deadline = job.intent, job.settings, job.deadline
        if self._clock() > deadline:
            return _result(
                JobOutcome.EXPIRED,
                "Not executed: the alert was older than the strategy's max signal age "
                "by the time the agent could send it.",
            )
        try:
            # a resumed entry is planned as before it began: its levels already at the broker are not in the way of
            # its own limits (max entries, max open positions, exposure)
            market = self._market_view(intent, settings, exclude=resume.positions if resume else frozenset())
            progress.stage = "planning its orders"
            plan = planner.plan(intent, settings, market)
        except planner.PlanRejected as exc:
            return _result(JobOutcome(exc.outcome), str(exc))
        except OrderRefused as exc:
            return _result(JobOutcome.FAILED, str(exc))
        progress.stage = "sending its orders"
        progress.notes.extend(plan.notes)
        if resume is not None:
            plan.requests = [r for r in plan.requests if r.level is not None and r.level not in resume.levels]
        return self._send_all(plan, market, settings, deadline, intent, progress)

    def dry_run(self, job: TradeJob) -> JobResult:
        """Plan a ``dry_run`` job against the live account and return the orders the planner would send
        (``planned``); nothing is sent and the paper market is not moved. ``status`` says what would happen:
        ``executed`` (the orders would be sent) or the outcome the planner decided, with its sentence.

        Never raises: an unreachable broker or any error ends the dry run ``failed`` with a sentence.
        """
        progress = _Progress()
        if self._clock() > job.deadline:
            return _result(JobOutcome.EXPIRED, "The dry run came too late to be planned.", planned=[])
        try:
            market = self._market_view(job.intent, job.settings, follow_price=False)
            progress.stage = "planning its orders"
            plan = planner.plan(job.intent, job.settings, market)
        except planner.PlanRejected as exc:
            return _result(JobOutcome(exc.outcome), str(exc), planned=[])
        except (OrderRefused, BrokerUnavailable) as exc:
            return _result(JobOutcome.FAILED, str(exc), planned=[])
        except Exception as exc:  # a dry run must not crash the agent either
            logger.exception("dry run %s failed while %s", job.id, progress.stage)
            return self._crashed(exc, progress).model_copy(update={"planned": []})
        notes = list(plan.notes)
        if job.intent.alert_price and self.broker.kind == "sim":
            notes.append(
                f"Paper trading fills at the alert's price ({job.intent.alert_price:g}); the prices shown are the "
                f"paper market's now."
            )
        return _result(
            JobOutcome.EXECUTED, None, notes=notes,
            planned=[planned_order(step.description, step.request) for step in plan.requests],
        )

    def _market_view(
        self, intent: TradeIntent, settings: ExecutionSettings, follow_price: bool = True,
        exclude: frozenset[int] = frozenset(),
    ) -> MarketView:
        """The broker's state for planning ``intent``; positions whose ticket or identifier is in ``exclude`` are
        left out (the levels of a resumed entry)."""
        b = self.broker
        if not intent.symbol:
            raise planner.PlanRejected("The alert names no symbol. Add symbol or ticker to the alert message.")
        name = planner.resolve_symbol(intent.symbol, settings, b.symbol_names())
        if intent.alert_price and follow_price:
            b.follow_alert_price(name, intent.alert_price)
        spec = b.symbol_spec(name)
        quote = b.quote(name)
        account = b.account()
        shares: dict[int, ShareView] = {}
        if account.margin_mode is MarginMode.NETTING:
            # One position per symbol, shared by whoever built it: the strategy's holding is its own share.
            all_positions = b.positions()
            for p in all_positions:
                shares[p.ticket] = read_share(
                    b, p, settings.magic_number, settings.owners, account.currency_digits
                )
            held = [p for p in all_positions if shares[p.ticket].own.volume]
        else:
            all_positions = held_positions = tuple(
                p for p in b.positions(magic=settings.magic_number)
                if p.ticket not in exclude and p.identifier not in exclude
            )
            held = list(held_positions)
        all_orders = b.orders(magic=settings.magic_number)
        specs: dict[str, SymbolSpec] = {name: spec}
        quotes: dict[str, Quote] = {name: quote}
        for other in sorted({p.symbol for p in held} | {o.symbol for o in all_orders}):
            if other not in specs:
                specs[other] = b.symbol_spec(other)
                quotes[other] = b.quote(other)
        exposure = None
        if wants_exposure(settings):
            own = [(p, abs(float(shares[p.ticket].own.volume)) if shares else p.volume) for p in held]
            exposure = read_exposure(b, account, spec, quote, own)
        return MarketView(
            exposure=exposure,
            symbol=spec,
            quote=quote,
            account=account,
            positions=tuple(p for p in all_positions if p.symbol == name),
            orders=tuple(o for o in all_orders if o.symbol == name),
            all_positions=all_positions,
            all_orders=all_orders,
            specs=specs,
            quotes=quotes,
            shares=shares,
            now=self._clock(),
            server_offset=b.server_offset() if _places_pending(intent) else None,
        )

    def _send_all(
        self,
        plan: planner.Plan,
        market: MarketView,
        settings: ExecutionSettings,
        deadline: datetime,
        intent: TradeIntent,
        progress: _Progress,
    ) -> JobResult:
        sent, notes = progress.sent, progress.notes
        total = len(plan.requests)
        for i, step in enumerate(plan.requests, 1):
            if self._clock() > deadline and not sent:
                return _result(JobOutcome.EXPIRED, "Not executed: the strategy's max signal age passed before sending.")
            progress.sent_at = progress.sent_at or self._clock()
            if step.targets:
                # kept before the entry is sent: an agent that dies before it hears of the fill finds it on restart
                self.targets.add(self._level_rule(step, settings))
            try:
                receipt = submit(self.broker, step.request)
            except OrderOutcomeUnknown as exc:
                found = self._found_fill(step.request, settings, progress)
                if found is None:
                    self.targets.forget(tag_of(settings.comment), "its entry was not found at the broker")
                    return self._unknown_outcome(str(exc), step.description, settings, progress)
                # it executed: carry on as if the broker had answered (the levels after it, the stop and level
                # rules of the position), never re-sending it
                receipt = found
                notes.append(f"{exc} The order was found at the broker afterwards, so it was not re-sent.")
            except (OrderRefused, BrokerUnavailable) as exc:
                self.targets.forget(tag_of(settings.comment), "its entry was not sent")
                if not sent and isinstance(exc, BrokerUnavailable):
                    raise
                done = f" Steps already executed: {'; '.join(s.description for s in sent)}." if sent else ""
                where = f"Step {i} of {total} ({step.description})" if total > 1 else f"{step.description.capitalize()}"
                return _result(
                    JobOutcome.FAILED,
                    f"{where} failed: {exc}{done}",
                    orders=sent,
                    sent_at=progress.sent_at,
                    notes=notes,
                )
            sent.append(sent_order(step.description, step.request, receipt))
            if receipt.partial:
                notes.append(_partial_note(step.description, receipt, plan.requests[i:]))
            if step.kind in ("open", "reverse") and isinstance(step.request, MarketOrder):
                spec = market.specs.get(step.request.symbol, market.symbol)
                try:
                    self._manage_stops(intent, settings, spec, market, receipt, notes)
                except Exception as exc:  # the order is placed: a stop rule that cannot be kept is only a note
                    logger.exception("breakeven/trailing rule not registered")
                    notes.append(f"Breakeven/trailing not applied: the rule could not be kept ({exc}).")
            if step.targets and not receipt.partial:
                self._watch_levels(step, receipt, settings, notes)
            elif step.targets:
                self.targets.forget(tag_of(settings.comment), "its entry filled only partly")
                notes.append(
                    "Take-profit levels not watched: the entry filled only partly, so the levels' volumes no longer "
                    "match; the position keeps its broker TP at the last level."
                )
            if receipt.partial:
                break  # the steps after it were planned for a full fill: the note says they were not sent
        return self._executed(sent, progress.sent_at, notes)

    def _watch_levels(
        self, step: planner.PlannedRequest, receipt: OrderReceipt, settings: ExecutionSettings, notes: list[str]
    ) -> None:
        """Hand a netting entry's take-profit levels (all but the last) to the target monitor (agent/targets.py)."""
        request = step.request
        assert isinstance(request, MarketOrder)
        self._bind_levels(self._level_rule(step, settings), request.symbol, receipt.deal, notes)

    @staticmethod
    def _level_rule(step: planner.PlannedRequest, settings: ExecutionSettings) -> TargetRule:
        """The target monitor's rule of a netting entry's levels, awaiting the entry's fill (``position`` 0)."""
        request = step.request
        assert isinstance(request, MarketOrder)
        return TargetRule(
            tag=tag_of(settings.comment), magic=settings.magic_number, symbol=request.symbol, position=0,
            long=request.side == Side.BUY, levels=[Level(t.number, t.price, t.lots) for t in step.targets],
        )

    def _bind_levels(self, rule: TargetRule, symbol: str, entry_deal: int, notes: list[str]) -> bool:
        """Watch ``rule``'s levels on the netting position of ``symbol`` that the deal ``entry_deal`` went into;
        on failure the rule ends and a note says the levels are not watched. True when they are watched."""
        try:
            found = self.broker.positions(symbol=symbol)
            pos = found[0] if found else None  # netting: one position per symbol
            # the share this entry went into, by its first entry deal: a later entry after it went flat is not ours
            opened = read_share(self.broker, pos, rule.magic, ()).own.opened_deal if pos else 0
        except (OrderRefused, BrokerUnavailable) as exc:
            self.targets.forget(rule.tag, "its position could not be read")
            notes.append(f"Take-profit levels not watched: the position could not be read ({exc}).")
            return False
        if pos is None or (pos.side == "long") != rule.long:
            self.targets.forget(rule.tag, "its position was not found")
            notes.append("Take-profit levels not watched: the position was not found at the broker.")
            return False
        rule.position, rule.opened_deal, rule.entry_deal = pos.identifier or pos.ticket, opened, entry_deal
        self.targets.add(rule)
        return True

    def _manage_stops(
        self, intent: TradeIntent, settings: ExecutionSettings, spec: SymbolSpec, market: MarketView,
        receipt: OrderReceipt, notes: list[str],
    ) -> None:
        """Hand a position just opened to the stop manager when its alert asked for breakeven or trailing."""
        action = next((a for a in intent.actions if isinstance(a, OpenAction) and (a.breakeven or a.trailing)), None)
        if action is None:
            return
        try:
            pip = float(pip_size(spec, settings))
        except planner.PlanRejected as exc:
            notes.append(f"Breakeven/trailing not applied: {exc}")
            return
        try:
            mine = self.broker.positions(symbol=spec.name, magic=settings.magic_number)
        except (OrderRefused, BrokerUnavailable) as exc:
            notes.append(f"Breakeven/trailing not applied: the new position could not be read ({exc}).")
            return
        pos = next((p for p in mine if receipt.order in (p.ticket, p.identifier)), None)
        if pos is None and market.account.margin_mode is MarginMode.NETTING and len(mine) == 1:
            pos = mine[0]  # netting: an add keeps the position's ticket
        if pos is None and market.account.margin_mode is MarginMode.NETTING:
            pos = next((p for p in self.broker.positions(symbol=spec.name)), None)  # opened by another magic
        if pos is None:
            notes.append("Breakeven/trailing not applied: the new position was not found at the broker.")
            return
        opened_deal = 0
        if market.account.margin_mode is MarginMode.NETTING:
            share = read_share(self.broker, pos, settings.magic_number, settings.owners, market.account.currency_digits)
            opened_deal = share.own.opened_deal
            if not share.alone:
                notes.append(
                    f"Breakeven/trailing not applied: on this netting account the {pos.symbol} position "
                    f"({fmt_lots(pos.volume)} lots) is shared with other owners, and its stop loss is theirs too; "
                    f"tvbridge moves stops only on a position the strategy holds alone."
                )
                return
        be, tr = action.breakeven, action.trailing
        self.stops.add(StopRule(
            ticket=pos.ticket, symbol=pos.symbol, long=pos.side == "long", entry=pos.price_open, pip=pip,
            magic=settings.magic_number, be_trigger=be.trigger_pips if be else None,
            be_offset=be.offset_pips if be else 0.0,
            trail_trigger=tr.trigger_pips if tr else None, trail_distance=tr.distance_pips if tr else None,
            trail_step=tr.step_pips if tr else None, opened_deal=opened_deal,
        ))

    def _executed(self, sent: list[SentOrder], sent_at: datetime | None, notes: list[str]) -> JobResult:
        fills = [s for s in sent if s.deal_ticket]
        last = sent[-1] if sent else None
        return _result(
            JobOutcome.EXECUTED,
            None,
            orders=sent,
            notes=notes,
            sent_at=sent_at,
            filled_at=self._clock(),
            fill_price=fills[-1].price if fills else None,
            order_ticket=last.order_ticket if last and last.order_ticket else None,
        )

    def find_by_comment(self, settings: ExecutionSettings, since: datetime) -> Found:
        """Deals (since ``since``) and pending orders carrying the signal's comment and the strategy's magic
        number: what a request sent before a crash or a timeout left behind (exactly-once reconciliation).

        The comment matches by its leading tag ``tvb:<signal id>``, or a take-profit level's ``tvb:<signal id>/<n>``
        (alone, or followed by a space and the alert's own text: :func:`agent.planner.comment.names_signal`), so a
        trader's ``comment=`` never hides an order and ``tvb:12`` never finds ``tvb:123``'s."""
        tag, magic = tag_of(settings.comment), settings.magic_number
        deals = tuple(d for d in self.broker.deals_since(since) if names_signal(d.comment, tag) and d.magic == magic)
        orders = tuple(o for o in self.broker.orders(magic=magic) if names_signal(o.comment, tag))
        return Found(deals=deals, orders=orders)

    def _found_fill(
        self, request: OrderRequest, settings: ExecutionSettings, progress: _Progress
    ) -> OrderReceipt | None:
        """The receipt of a market deal or close whose outcome was unknown, rebuilt from the deals the broker holds
        under the signal's comment that no earlier step reported; ``None`` when none is found (or the search
        fails), or for other requests (a pending order, a modification: :meth:`_unknown_outcome` reports those)."""
        if not isinstance(request, MarketOrder | ClosePosition):
            return None
        since = (progress.sent_at or self._clock()) - timedelta(minutes=5)
        try:
            found = self.find_by_comment(settings, since)
        except (OrderRefused, BrokerUnavailable):
            return None
        known = {s.deal_ticket for s in progress.sent}
        side = request.side if isinstance(request, MarketOrder) else (
            Side.SELL if request.position_side == PositionSide.LONG else Side.BUY
        )
        tag = tag_of(settings.comment)
        level = level_of(request.comment, tag)  # a level's deal carries its own tvb:<id>/<n>, never another's
        deals = [
            d for d in found.deals
            if d.ticket not in known and d.symbol == request.symbol and d.side == side
            and level_of(d.comment, tag) == level
        ]
        if not deals:
            return None
        volume = sum(d.volume for d in deals)
        price = sum(d.price * d.volume for d in deals) / volume if volume else deals[-1].price
        return OrderReceipt(
            order=deals[0].order, deal=deals[-1].ticket, volume=volume, price=price,
            requested_volume=request.volume, partial=volume < request.volume - 1e-9,
        )

    def _unknown_outcome(
        self, why: str, description: str, settings: ExecutionSettings, progress: _Progress
    ) -> JobResult:
        """A request may or may not have executed: look for it by comment; never re-send it."""
        sent, notes, sent_at = progress.sent, progress.notes, progress.sent_at or self._clock()
        try:
            found = self.find_by_comment(settings, sent_at - timedelta(minutes=5))
        except (OrderRefused, BrokerUnavailable):
            found = Found(deals=(), orders=())
        known = {s.deal_ticket for s in sent}
        new_deals = [d for d in found.deals if d.ticket not in known]
        if new_deals or found.orders:
            sent.extend(found_deal(d, description) for d in new_deals)
            notes.append(f"{why} The order was found at the broker afterwards, so it was not re-sent.")
            return self._executed(sent, sent_at, notes)
        return _result(
            JobOutcome.FAILED,
            f"{description.capitalize()}: {why} It was not found at the broker (searched by the comment "
            f"{settings.comment}), and was not re-sent to avoid a double order. Check the terminal and re-send "
            f"the alert if you still want the trade.",
            orders=sent,
            sent_at=sent_at,
            notes=notes,
        )

    def reconcile(self, job: TradeJob) -> JobResult | None:
        """For a job claimed before an agent restart: if the broker holds orders/deals with its comment, report
        them (nothing is re-sent); ``None`` when nothing was sent, so the job can run normally.

        :raises BrokerUnavailable: the broker cannot be searched now (try again later).
        """
        with self.lock:
            found = self._reconcile(job)
        if found is not None:
            self._tell(job)
        return found

    def _rebind_levels(self, settings: ExecutionSettings, found: Found, notes: list[str]) -> None:
        """After a restart: watch the levels of a netting entry that the broker filled while the agent was not
        there to hear it (the rule was kept awaiting the fill, :meth:`TargetMonitor.awaiting`)."""
        tag = tag_of(settings.comment)
        rule = self.targets.awaiting(tag)
        if rule is None:
            return
        side = Side.BUY if rule.long else Side.SELL
        entry = next((d for d in found.deals if d.symbol == rule.symbol and d.side == side
                      and d.entry in (DealEntry.IN, DealEntry.INOUT) and carries_tag(d.comment, tag)), None)
        if entry is None:
            self.targets.forget(tag, "its entry was not found at the broker")
            notes.append("Take-profit levels not watched: the entry was not found at the broker.")
            return
        if self._bind_levels(rule, rule.symbol, entry.ticket, notes):
            names = " and ".join(f"TP{lv.number}" for lv in rule.levels)
            notes.append(
                f"Take-profit level{'s' if len(rule.levels) > 1 else ''} {names} "
                f"{'are' if len(rule.levels) > 1 else 'is'} watched as planned: "
                + ", ".join(f"{fmt_lots(lv.lots)} lots at {lv.price:g}" for lv in rule.levels) + "."
            )

    def _resume(self, job: TradeJob, resume: _Resume) -> JobResult:
        """Send the take-profit levels a crash left unsent (those found at the broker are never sent again)."""
        result = self._execute_job(job, resume)
        if result.status != JobOutcome.EXECUTED and len(result.orders) <= len(resume.sent):
            result = _result(
                JobOutcome.FAILED,
                f"{resume.note.rsplit(';', 1)[0]}; the other levels were not sent: {result.error_message}",
                orders=resume.sent, notes=[], sent_at=job.claimed_at,
            )
            result.positions_after = self.positions_of(job.settings.magic_number)
        result.reconciled = True
        return result

    def _reconcile(self, job: TradeJob) -> JobResult | None:
        settings = job.settings
        since = (job.claimed_at or self._clock()) - timedelta(minutes=5)
        found = self.find_by_comment(settings, since)
        if not (found.deals or found.orders):
            self.targets.forget(tag_of(settings.comment), "its entry never reached the broker")  # it runs anew
            return None
        sent = [found_deal(d, "found after restart") for d in found.deals]
        sent += [found_order(o, "pending order found after restart") for o in found.orders]
        resume = _missing_levels(job, found, sent)
        if resume is not None:
            return self._resume(job, resume)
        note = (
            "The agent restarted while this signal was being executed. Its orders were found at the broker "
            "by their comment and were not sent again; check the positions if the alert had several steps."
        )
        notes = [note]
        self._rebind_levels(settings, found, notes)
        result = self._executed(sent, job.claimed_at, notes)
        result.reconciled = True
        result.positions_after = self.positions_of(settings.magic_number)
        return result


@dataclass(frozen=True)
class _Resume:
    """A hedging entry with take-profit levels that a crash interrupted: the ``levels`` already at the broker
    (their orders ``sent``, their ``positions`` by identifier), so only the others are sent; ``note`` says so on
    the signal."""

    levels: frozenset[int]
    sent: list[SentOrder]
    note: str
    positions: frozenset[int] = frozenset()


def _missing_levels(job: TradeJob, found: Found, sent: list[SentOrder]) -> _Resume | None:
    """After a restart: the levels of the job's entry still to send, when some (not all) were found."""
    action = next((a for a in job.intent.actions if isinstance(a, OpenAction) and a.take_profits), None)
    if action is None:
        return None
    tag = tag_of(job.settings.comment)
    mine = [(n, d.position_id) for d in found.deals if (n := level_of(d.comment, tag)) is not None]
    levels = frozenset(n for n, _ in mine)
    wanted = set(range(1, len(action.take_profits) + 1))
    if not levels or levels >= wanted:
        return None
    have = ", ".join(f"TP{n}" for n in sorted(levels))
    rest = ", ".join(f"TP{n}" for n in sorted(wanted - levels))
    note = (
        f"The agent restarted while this signal was being executed. The positions of {have} were found at the "
        f"broker by their comments and were not sent again; only {rest} were sent."
    )
    return _Resume(levels, sent, note, frozenset(position for _, position in mine))


def _partial_note(description: str, receipt: OrderReceipt, rest: list[planner.PlannedRequest]) -> str:
    """The sentence of a partly filled deal (MT5 retcode 10010, or a deal volume below the request)."""
    code = f" (retcode {receipt.code} {receipt.code_name})" if receipt.code is not None else ""
    note = (
        f"Partially filled: {description} filled {fmt_lots(receipt.volume)} of the "
        f"{fmt_lots(receipt.requested_volume)} lots asked{code}; the rest was not executed."
    )
    if rest:
        note += (
            f" The following step{'s were' if len(rest) > 1 else ' was'} not sent, being planned for a full fill: "
            f"{'; '.join(r.description for r in rest)}."
        )
    return note


__all__ = ["Found", "JobExecutor", "build_snapshot"]
