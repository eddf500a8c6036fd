"""Executes one trade job: resolve the symbol, read the terminal, plan, send, report.

Exactly-once rests on three rules: every request carries the strategy's magic number and the signal's
comment (``tvb:<signal_id>``); a request whose outcome is unknown is never re-sent, only looked up by that
comment; a job found claimed after an agent restart is looked up the same way before anything is sent.
A job past its deadline (the strategy's max signal age) is never executed late: it expires.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from agent import planner
from agent.market import MarginMode, MarketView, OrderView, PositionView, Quote, SymbolSpec
from agent.mt5.adapter import TRADE_ACTION_DEAL, Mt5Terminal, SendReport
from agent.mt5.errors import OrderOutcomeUnknown, OrderRefused, TerminalUnavailable, retcode_info
from agent.planner.pips import pip_size
from agent.stops import StopManager, StopRule
from contract import AccountSnapshot, JobOutcome, JobResult, PositionState, SentOrder, TradeJob
from contract.intent import OpenAction, TradeIntent
from contract.settings import ExecutionSettings

logger = logging.getLogger(__name__)

_PENDING_NAMES = {
    2: "buy_limit",
    3: "sell_limit",
    4: "buy_stop",
    5: "sell_stop",
    6: "buy_stop_limit",
    7: "sell_stop_limit",
}
_ACTION_NAMES = {6: "sltp", 7: "modify", 8: "remove", 10: "close_by"}


def utcnow() -> datetime:
    """Aware UTC now."""
    return datetime.now(UTC)


def order_type_name(req: dict[str, Any]) -> str:
    """A readable name for a request: ``buy``, ``sell``, ``close buy`` (a deal closing a short) ..."""
    action, otype = req.get("action"), req.get("type", 0)
    if action == 1:
        side = "buy" if otype == 0 else "sell"
        return f"close {side}" if req.get("position") else side
    if action == 5:
        return _PENDING_NAMES.get(otype, f"pending {otype}")
    return _ACTION_NAMES.get(action or 0, f"action {action}")


def _sent(description: str, rep: SendReport) -> SentOrder:
    req = rep.request
    return SentOrder(
        description=description,
        symbol=req.get("symbol", ""),
        type=order_type_name(req),
        volume=rep.volume or req.get("volume", 0.0),
        price=rep.price or req.get("price", 0.0),
        sl=req.get("sl", 0.0),
        tp=req.get("tp", 0.0),
        order_ticket=rep.order,
        deal_ticket=rep.deal,
        position_ticket=req.get("position", 0),
        retcode=rep.retcode,
        retcode_name=retcode_info(rep.retcode).name,
        message=retcode_info(rep.retcode).sentence,
        comment=rep.comment,
    )


def _found_deal(deal: Any, description: str) -> SentOrder:
    """A ``TradeDeal`` found by its comment, in the shape of an order the agent sent (retcode unknown)."""
    return SentOrder(
        description=description, symbol=deal.symbol, type="buy" if deal.type == 0 else "sell", volume=deal.volume,
        price=deal.price, order_ticket=deal.order, deal_ticket=deal.ticket, position_ticket=deal.position_id,
        comment=deal.comment,
    )


def _found_order(order: Any, description: str) -> SentOrder:
    """A pending ``TradeOrder`` found by its comment, in the shape of an order the agent sent."""
    return SentOrder(
        description=description, symbol=order.symbol, type=_PENDING_NAMES.get(order.type, "pending"),
        volume=order.volume_current, price=order.price_open, sl=order.sl, tp=order.tp, order_ticket=order.ticket,
        comment=order.comment,
    )


def _result(status: JobOutcome, message: str | None = None, **extra: Any) -> JobResult:
    return JobResult.model_validate({"status": status, "error_message": message, **extra})


class JobExecutor:
    """Runs trade jobs against one terminal. ``clock`` returns aware UTC now (injectable for tests)."""

    def __init__(
        self, terminal: Mt5Terminal, clock: Callable[[], datetime] = utcnow, stops: StopManager | None = None
    ) -> None:
        self.terminal = terminal
        self._clock = clock
        #: Breakeven and trailing rules of the positions this executor opens (see agent/stops.py).
        self.stops = stops if stops is not None else StopManager()  # an empty manager is falsy (len 0)

    def execute(self, job: TradeJob) -> JobResult:
        """Execute a ``trade`` job; return its result for ``POST .../jobs/{id}/result``, with the strategy's
        positions as read after the last order (``positions_after``).

        :raises TerminalUnavailable: nothing was sent and the terminal is unreachable: retry the job later.
        """
        result = self._execute(job)
        if result.orders:
            result.positions_after = self.positions_of(job.settings.magic_number)
        return result

    def positions_of(self, magic_number: int) -> list[PositionState] | None:
        """The open positions carrying ``magic_number`` (all symbols), or ``None`` when they cannot be read."""
        try:
            return positions_for_snapshot(self.terminal.positions(magic=magic_number))
        except (OrderRefused, TerminalUnavailable) as exc:
            logger.warning("could not read positions after a job: %s", exc)
            return None

    def _execute(self, job: TradeJob) -> JobResult:
        intent, settings, deadline = job.intent, job.settings, job.deadline
        if self._clock() > deadline:
            return _result(
                JobOutcome.EXPIRED,
                "Not executed: the alert was older than the strategy's max signal age "
                "by the time the agent could send it.",
            )
        try:
            market = self._market_view(intent, settings)
            plan = planner.plan(intent, settings, market)
        except planner.PlanRejected as exc:
            return _result(JobOutcome(exc.outcome), str(exc))
        except OrderRefused as exc:
            return _result(JobOutcome.FAILED, str(exc))
        return self._send_all(plan, market, settings, deadline, intent)

    def _market_view(self, intent: TradeIntent, settings: ExecutionSettings) -> MarketView:
        t = self.terminal
        if not intent.symbol:
            raise planner.PlanRejected("The alert names no symbol. Add symbol or ticker to the alert message.")
        name = planner.resolve_symbol(intent.symbol, settings, t.symbol_names())
        if t.price_feed is not None and intent.alert_price:
            t.price_feed(name, intent.alert_price)
        spec = t.prepare_symbol(name)
        quote = t.quote(name)
        all_positions = t.positions(magic=settings.magic_number)
        all_orders = t.orders(magic=settings.magic_number)
        specs: dict[str, SymbolSpec] = {name: spec}
        quotes: dict[str, Quote] = {name: quote}
        for other in {p.symbol for p in all_positions} | {o.symbol for o in all_orders}:
            if other not in specs:
                specs[other] = t.prepare_symbol(other)
                quotes[other] = t.quote(other)
        return MarketView(
            symbol=spec,
            quote=quote,
            account=t.account(),
            positions=tuple(p for p in all_positions if p.symbol == name),
            orders=tuple(o for o in all_orders if o.symbol == name),
            all_positions=all_positions,
            all_orders=all_orders,
            specs=specs,
            quotes=quotes,
        )

    def _send_all(
        self,
        plan: planner.Plan,
        market: MarketView,
        settings: ExecutionSettings,
        deadline: datetime,
        intent: TradeIntent,
    ) -> JobResult:
        sent: list[SentOrder] = []
        sent_at: datetime | None = None
        notes = list(plan.notes)
        total = len(plan.requests)
        for i, step in enumerate(plan.requests, 1):
            spec = market.specs.get(step.request.get("symbol", ""), market.symbol)
            if self._clock() > deadline and not sent:
                return _result(JobOutcome.EXPIRED, "Not executed: the strategy's max signal age passed before sending.")
            sent_at = sent_at or self._clock()
            try:
                report = self.terminal.send(step.request, spec)
            except OrderOutcomeUnknown as exc:
                return self._unknown_outcome(str(exc), step.description, sent, settings, sent_at, notes)
            except (OrderRefused, TerminalUnavailable) as exc:
                if not sent and isinstance(exc, TerminalUnavailable):
                    raise
                done = f" Steps already executed: {'; '.join(s.description for s in sent)}." if sent else ""
                where = f"Step {i} of {total} ({step.description})" if total > 1 else f"{step.description.capitalize()}"
                return _result(
                    JobOutcome.FAILED, f"{where} failed: {exc}{done}", orders=sent, sent_at=sent_at, notes=notes
                )
            sent.append(_sent(step.description, report))
            if step.kind in ("open", "reverse") and step.request.get("action") == TRADE_ACTION_DEAL:
                self._manage_stops(intent, settings, spec, market, report, notes)
        return self._executed(sent, sent_at, notes)

    def _manage_stops(
        self, intent: TradeIntent, settings: ExecutionSettings, spec: SymbolSpec, market: MarketView,
        report: SendReport, notes: list[str],
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
        mine = self.terminal.positions(symbol=spec.name, magic=settings.magic_number)
        pos = next((p for p in mine if report.order in (p.ticket, p.identifier)), None)
        if pos is None and market.account.margin_mode is MarginMode.NETTING and len(mine) == 1:
            pos = mine[0]  # netting: an add keeps the position's ticket
        if pos is None:
            notes.append("Breakeven/trailing not applied: the new position was not found in MetaTrader 5.")
            return
        be, tr = action.breakeven, action.trailing
        self.stops.add(StopRule(
            ticket=pos.ticket, symbol=pos.symbol, long=pos.side == "long", entry=pos.price_open, pip=pip,
            magic=settings.magic_number, be_trigger=be.trigger_pips if be else None,
            be_offset=be.offset_pips if be else 0.0,
            trail_trigger=tr.trigger_pips if tr else None, trail_distance=tr.distance_pips if tr else None,
            trail_step=tr.step_pips if tr else None,
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

    def _unknown_outcome(
        self,
        why: str,
        description: str,
        sent: list[SentOrder],
        settings: ExecutionSettings,
        sent_at: datetime,
        notes: list[str],
    ) -> JobResult:
        """A request may or may not have executed: look for it by comment; never re-send it."""
        try:
            since = sent_at - timedelta(minutes=5)
            found = self.terminal.find_by_comment(settings.comment, settings.magic_number, since)
        except (OrderRefused, TerminalUnavailable):
            found = {"deals": [], "orders": [], "positions": []}
        known = {s.deal_ticket for s in sent}
        new_deals = [d for d in found["deals"] if d.ticket not in known]
        if new_deals or found["orders"]:
            sent.extend(_found_deal(d, description) for d in new_deals)
            notes.append(f"{why} The order was found in MetaTrader 5 afterwards, so it was not re-sent.")
            return self._executed(sent, sent_at, notes)
        return _result(
            JobOutcome.FAILED,
            f"{description.capitalize()}: {why} It was not found in MetaTrader 5 (searched by the comment "
            f"{settings.comment}), and was not re-sent to avoid a double order. Check the terminal and re-send "
            f"the alert if you still want the trade.",
            orders=sent,
            sent_at=sent_at,
            notes=notes,
        )

    def reconcile(self, job: TradeJob) -> JobResult | None:
        """For a job claimed before an agent restart: if MT5 holds orders/deals with its comment, report them
        (nothing is re-sent); ``None`` when nothing was sent, so the job can run normally."""
        settings = job.settings
        since = (job.claimed_at or self._clock()) - timedelta(minutes=5)
        found = self.terminal.find_by_comment(settings.comment, settings.magic_number, since)
        if not (found["deals"] or found["orders"]):
            return None
        sent = [_found_deal(d, "found after restart") for d in found["deals"]]
        sent += [_found_order(o, "pending order found after restart") for o in found["orders"]]
        note = (
            "The agent restarted while this signal was being executed. Its orders were found in MetaTrader 5 "
            "by their comment and were not sent again; check the positions if the alert had several steps."
        )
        result = self._executed(sent, job.claimed_at, [note])
        result.reconciled = True
        result.positions_after = self.positions_of(settings.magic_number)
        return result


def positions_for_snapshot(positions: tuple[PositionView, ...]) -> list[PositionState]:
    """Positions as the contract carries them (``type`` is ``buy``/``sell`` like MT5's POSITION_TYPE)."""
    return [
        PositionState(
            ticket=p.ticket,
            symbol=p.symbol,
            type="buy" if p.side == "long" else "sell",
            volume=p.volume,
            price_open=p.price_open,
            sl=p.sl,
            tp=p.tp,
            magic=p.magic,
            profit=p.profit,
            comment=p.comment,
            identifier=p.identifier,
        )
        for p in positions
    ]


def build_snapshot(terminal: Mt5Terminal, clock: Callable[[], datetime] = utcnow) -> AccountSnapshot:
    """The account snapshot the agent posts: balance, equity, today's realised P&L by magic number
    (closing deals' profit + swap + commission + fee since 00:00 UTC) and open positions.

    ``day_start_balance`` = balance - today's realised P&L of all deals (manual ones included), i.e. the
    balance before today's trading, ignoring deposits made today.
    """
    acct = terminal.account_raw()
    now = clock()
    day_start = now.replace(hour=0, minute=0, second=0, microsecond=0)
    by_magic: dict[str, float] = {}
    total_all = 0.0
    for d in terminal.deals_since(day_start):
        if d.entry == 0 or d.type not in (0, 1):  # entries and balance operations realise nothing
            continue
        pnl = d.profit + d.swap + d.commission + getattr(d, "fee", 0.0)
        total_all += pnl
        if d.magic:
            by_magic[str(d.magic)] = by_magic.get(str(d.magic), 0.0) + pnl
    health: dict[str, Any] = {}
    try:
        health = terminal.health()
    except (OrderRefused, TerminalUnavailable):
        pass
    return AccountSnapshot(
        taken_at=now,
        login=acct.login,
        server=acct.server,
        currency=acct.currency,
        margin_mode="hedging" if acct.margin_mode == 2 else "netting",
        balance=acct.balance,
        equity=acct.equity,
        margin_free=acct.margin_free,
        day_start_balance=acct.balance - total_all,
        realized_pnl_today=sum(by_magic.values()),
        pnl_by_magic=by_magic,
        positions=positions_for_snapshot(terminal.positions()),
        terminal_connected=health.get("connected"),
        trade_allowed=health.get("trade_allowed"),
    )


__all__ = ["JobExecutor", "OrderView", "build_snapshot", "order_type_name", "positions_for_snapshot"]
