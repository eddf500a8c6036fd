"""The tray's part of manual approval (issue 13): a "Waiting for approval (N)" menu (visible only while signals
wait) with Approve / Reject for each, and a notification when a signal starts waiting.

Approve and reject are the same writer ops as the admin API's (:mod:`server.flow.approval`), run on the running
server's writer; a signal no longer waiting (approved elsewhere, expired) is answered with its sentence as a
notification. New waiting signals are found by :class:`ApprovalWatch`, which the tray's status loop calls every few
seconds (and which is part of the menu's fingerprint, so the menu is rebuilt when the list changes).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

from sqlmodel import Session, col, select

from server.flow.approval import Decision, approve, reject
from server.models import Signal, SignalStatus, Strategy
from server.writer import WriteTx

if TYPE_CHECKING:
    from pystray import MenuItem

    from tray.menu import TrayActions
    from tray.runtime import Runtime

logger = logging.getLogger(__name__)

#: Most waiting signals the menu lists (the dashboard lists them all).
MENU_LIMIT = 20


def awaiting(runtime: Runtime, limit: int = MENU_LIMIT) -> list[tuple[Signal, str]]:
    """The signals awaiting approval, oldest first, with their strategy's name (empty when not running)."""
    if runtime.ctx is None or runtime.server is None:
        return []
    with Session(runtime.ctx.engine) as session:
        stmt = (
            select(Signal, Strategy.name)
            .join(Strategy, Strategy.id == Signal.strategy_id)  # type: ignore[arg-type]
            .where(Signal.status == SignalStatus.AWAITING_APPROVAL)
            .order_by(col(Signal.id))
            .limit(limit)
        )
        return [(s, name) for s, name in session.exec(stmt).all()]


def describe(signal: Signal, strategy_name: str) -> str:
    """``#12 buy 0.1 EURUSD (Breakout H1)``."""
    what = " ".join(str(p) for p in (signal.action, signal.volume, signal.symbol) if p not in (None, ""))
    return f"#{signal.id} {what or 'alert'} ({strategy_name})"


def decide(runtime: Runtime, signal_id: int, approved: bool) -> Decision:
    """Approve or reject ``signal_id`` from the tray (blocking: call from a thread other than the server's loop)."""
    ctx = runtime.ctx
    assert ctx is not None

    def op(tx: WriteTx) -> Decision:
        if approved:
            return approve(tx, signal_id, "tray", ctx.queue.queued)
        return reject(tx, signal_id, "tray", None)

    return ctx.writer.run(op)


def approval_items(actions: TrayActions) -> Iterator[MenuItem]:
    """One submenu per waiting signal: Approve, Reject."""
    from pystray import Menu, MenuItem

    from tray.menu import _safe

    for signal, name in awaiting(actions.runtime):
        sid = signal.id or 0

        def act(approved: bool, sid: int = sid) -> Callable[[], None]:
            def run() -> None:
                decision = decide(actions.runtime, sid, approved)
                if decision.done:
                    title = f"Signal #{sid} approved" if approved else f"Signal #{sid} rejected"
                    actions.notify(decision.message, title)
                else:
                    actions.notify(decision.message, f"Signal #{sid} was not {'approved' if approved else 'rejected'}")

            return run

        yield MenuItem(describe(signal, name), Menu(
            MenuItem("Approve", _safe(actions, "approve the signal", act(True))),
            MenuItem("Reject", _safe(actions, "reject the signal", act(False))),
        ))


def approval_menu(actions: TrayActions) -> Any:
    """The "Waiting for approval (N)" item, visible only while signals wait."""
    from pystray import Menu, MenuItem

    def text(item: MenuItem) -> str:
        return f"Waiting for approval ({len(awaiting(actions.runtime))})"

    return MenuItem(text, Menu(lambda: approval_items(actions)),
                    visible=lambda item: bool(awaiting(actions.runtime, 1)))


class ApprovalWatch:
    """Notices signals that started waiting for approval and shows one notification each (``notify(message,
    title)``). :meth:`check` returns the ids waiting now (the tray's menu fingerprint)."""

    def __init__(self, runtime: Runtime, notify: Callable[[str, str], None]) -> None:
        self._runtime = runtime
        self._notify = notify
        self._known: set[int] = set()

    def check(self) -> tuple[int, ...]:
        """Notify each signal waiting now that was not waiting at the last check; the ids waiting now."""
        waiting = awaiting(self._runtime)
        for signal, name in waiting:
            if signal.id is not None and signal.id not in self._known:
                self._notify(
                    f"{describe(signal, name)}: approve or reject it in the tray menu (Waiting for approval), the "
                    f"dashboard, or with `tvbridge signals approve {signal.id}`. Unapproved, it expires.",
                    f"Signal #{signal.id} awaits your approval",
                )
        self._known = {s.id for s, _ in waiting if s.id is not None}
        return tuple(sorted(self._known))
