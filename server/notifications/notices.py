"""What a notification says: the events that can go out, and their words.

The same sentences go to the tray (tray/notify.py) and to the notification targets (:mod:`.service`): a final
signal ("Executed: signal #12", "buy 0.1 EURUSD at 1.0843 (London)"), a security alarm
(:mod:`server.security_events.alarm`), the tunnel going down or coming back, and a test.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from server.models import Signal, SignalStatus


class NoticeKind(StrEnum):
    """An event a notification target may receive (the ``notify_events`` setting chooses which do)."""

    EXECUTED = "executed"
    FAILED = "failed"
    REJECTED = "rejected"
    EXPIRED = "expired"
    SECURITY = "security"
    TUNNEL = "tunnel"
    TEST = "test"


#: What each event is, for the Settings page and the API.
KIND_WORDS: dict[NoticeKind, str] = {
    NoticeKind.EXECUTED: "an alert was executed",
    NoticeKind.FAILED: "an alert failed at the broker",
    NoticeKind.REJECTED: "an alert was refused (unreadable, wrong secret, bad signature ...)",
    NoticeKind.EXPIRED: "an alert expired before the agent took it",
    NoticeKind.SECURITY: "refused senders crossed the alarm threshold (e.g. alerts to an old URL)",
    NoticeKind.TUNNEL: "the tunnel went down or came back (TradingView cannot reach this PC meanwhile)",
    NoticeKind.TEST: "a test sent from the dashboard or `tvbridge notify test` (always sent)",
}

#: Events chosen until the trader picks others. Broker-side closes (SL/TP hit) join when the ledger reports them.
DEFAULT_EVENTS = frozenset(
    {
        NoticeKind.EXECUTED,
        NoticeKind.FAILED,
        NoticeKind.REJECTED,
        NoticeKind.EXPIRED,
        NoticeKind.SECURITY,
        NoticeKind.TUNNEL,
    }
)

#: Events that can be switched off (a test always goes out).
CHOOSABLE = tuple(k for k in NoticeKind if k is not NoticeKind.TEST)

_SIGNAL_KINDS = {
    SignalStatus.EXECUTED: NoticeKind.EXECUTED,
    SignalStatus.FAILED: NoticeKind.FAILED,
    SignalStatus.REJECTED: NoticeKind.REJECTED,
    SignalStatus.EXPIRED: NoticeKind.EXPIRED,
}


@dataclass(frozen=True)
class Notice:
    """One notification: which event, its title and its message (plain text)."""

    kind: NoticeKind
    title: str
    message: str


def describe_signal(signal: Signal, strategy_name: str | None = None) -> tuple[str, str]:
    """``(message, title)`` for a final signal, in plain words."""
    who = f" ({strategy_name})" if strategy_name else ""
    what = " ".join(str(p) for p in (signal.action, signal.volume, signal.symbol) if p not in (None, ""))
    what = what or "alert"
    if signal.status == SignalStatus.EXECUTED:
        price = f" at {signal.fill_price:g}" if signal.fill_price is not None else ""
        return f"{what}{price}{who}", f"Executed: signal #{signal.id}"
    reason = signal.error_message or "no reason given"
    return f"{what}{who}: {reason}", f"{str(signal.status).capitalize()}: signal #{signal.id}"


def signal_notice(signal: Signal, strategy_name: str | None = None) -> Notice | None:
    """The notice for a final signal, or ``None`` for outcomes that never notify (discarded, duplicate)."""
    kind = _SIGNAL_KINDS.get(SignalStatus(signal.status))
    if kind is None:
        return None
    message, title = describe_signal(signal, strategy_name)
    return Notice(kind, title, message)
