"""Order planner: TradeIntent + ExecutionSettings + MarketView -> the broker-neutral requests to send, in order.

The planner is pure: no I/O, no broker calls, no clock, and no broker's numbers: it speaks the models of
:mod:`agent.broker.models`. The executor builds the :class:`~agent.market.MarketView` through the broker
interface, calls :func:`resolve_symbol` with the broker's symbol names, then :func:`plan`, then sends each
:class:`PlannedRequest` in order through the interface (the MT5 adapter turns it into an ``order_send`` dict,
adds ``type_filling`` and retries requotes), stopping at the first failure. A :class:`PlanRejected` carries a
sentence for the trader and the signal outcome (``rejected`` or ``discarded``).

Modules, one job each:

- :mod:`~agent.planner.symbols`: alert symbol -> broker symbol (prefixes, suffixes, aliases).
- :mod:`~agent.planner.pips`: the pip size per instrument.
- :mod:`~agent.planner.volume`: sizing in lots, rounding down, min/max/cap refusals.
- :mod:`~agent.planner.levels`: SL/TP/entry prices and the broker's side and stops-level checks.
- :mod:`~agent.planner.gates`: spread and account filters, max open positions, trade and order modes.
- :mod:`~agent.planner.rules`: the strategy's trading session and pyramiding limit.
- :mod:`~agent.planner.exposure`: the strategy's and the account's exposure caps (margin or notional % of equity,
  the account's open positions) on entries, from the figures the executor read (:mod:`agent.exposure`).
- :mod:`~agent.planner.ownership`: on netting accounts, what a deal does to the other owners of the symbol's one
  position (their shares, the shared SL/TP) and whether the strategy's settings allow it.
- :mod:`~agent.planner.entries`, :mod:`~agent.planner.pending`, :mod:`~agent.planner.positions`,
  :mod:`~agent.planner.modify`, :mod:`~agent.planner.sync`: the steps, netting- and hedging-aware.
- :mod:`~agent.planner.book` and :mod:`~agent.planner.context`: the working state the steps share, and the
  builders of the neutral requests (magic number, comment, slippage on each).

Steps run in the intent's order against one working copy of the strategy's positions and orders, so a close
followed by an open (``closelongbuy``) sees the close. A step with nothing to do (close with no positions,
cancel with no orders) is noted; the plan is ``discarded`` with that sentence only when no step planned
anything. Any refusal refuses the whole alert: nothing of it is sent.
"""

from __future__ import annotations

from agent.market import MarketView
from agent.planner.book import Book
from agent.planner.context import Context
from agent.planner.entries import plan_open
from agent.planner.gates import check_filters, check_tradable
from agent.planner.modify import plan_modify
from agent.planner.pending import cancel_orders
from agent.planner.positions import plan_close
from agent.planner.rules import check_session
from agent.planner.symbols import resolve_symbol
from agent.planner.sync import plan_sync
from agent.planner.types import Plan, PlannedRequest, PlanRejected
from contract.intent import (
    CancelAction,
    CloseAction,
    ControlAction,
    ModifyAction,
    OpenAction,
    SyncAction,
    TradeIntent,
)
from contract.settings import ExecutionSettings

__all__ = ["Plan", "PlanRejected", "PlannedRequest", "plan", "resolve_symbol"]


def plan(intent: TradeIntent, settings: ExecutionSettings, market: MarketView) -> Plan:
    """Plan the broker-neutral requests for ``intent``.

    :param intent: what the alert asked for.
    :param settings: the strategy's execution settings (magic, comment, sizing defaults, caps, mappings).
    :param market: the broker's state for the alert's (already resolved) symbol and this strategy.
    :return: the requests to send in order, with notes for the signal log.
    :raises PlanRejected: the alert cannot or must not be executed; ``str(exc)`` says why.
    """
    book = Book(market, settings.magic_number, settings.owners)
    ctx = Context(intent=intent, settings=settings, market=market, book=book)
    if ctx.book.ignored:
        n = ctx.book.ignored
        ctx.notes.append(
            f"Ignored {n} position{'s' if n != 1 else ''}/order{'s' if n != 1 else ''} without this strategy's "
            f"magic number {settings.magic_number}."
        )
    if not intent.actions:
        raise PlanRejected("The alert contains no trading instruction.")
    if any(not isinstance(a, ControlAction) for a in intent.actions if not _spans_symbols(a)):
        check_tradable(market.symbol)
    check_filters(ctx)
    check_session(ctx)
    result = Plan(notes=ctx.notes)
    for action in intent.actions:
        if isinstance(action, OpenAction):
            result.requests += plan_open(ctx, action)
        elif isinstance(action, CloseAction):
            result.requests += plan_close(ctx, action)
        elif isinstance(action, CancelAction):
            result.requests += cancel_orders(ctx, market.symbol.name, action.sides, action.kinds)
        elif isinstance(action, ModifyAction):
            result.requests += plan_modify(ctx, action)
        elif isinstance(action, SyncAction):
            result.requests += plan_sync(ctx, action)
        else:
            state = "on" if action.trading_enabled else "off"
            ctx.idle.append(
                f"Trading {state} is applied by the bridge itself, not sent to the broker: nothing to send."
            )
    if not result.requests:
        raise PlanRejected(" ".join(ctx.idle) or "Nothing to do for this alert.", outcome="discarded")
    ctx.notes.extend(ctx.idle)
    if (comment_note := ctx.comment_note()) is not None:
        ctx.notes.append(comment_note)
    return result


def _spans_symbols(action: object) -> bool:
    """True for steps that are not tied to the alert's symbol (``closeall``)."""
    return isinstance(action, CloseAction) and action.all_symbols
