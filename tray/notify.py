"""Desktop notifications: a trade was executed or failed (with the reason), a strategy's position was closed by
something other than its signal (SL, TP, stop-out, by hand, another strategy, an exit rule), the tunnel went down or
came back, refused senders crossed the alarm threshold (server/security_events/alarm.py).

Signals arrive through ``runtime.on_signal`` (called from a server worker thread), ledger events through
``runtime.on_event``; tunnel changes through the tunnel's listeners. Bursts are throttled: at most ``burst``
signal and event notifications per ``window`` seconds; the rest are counted and summed up in one notification
when the window ends ("4 more signals: 3 executed, 1 failed"), so twenty alerts in a second never bury the screen.
Tunnel notifications are not throttled but only fire on a real loss (online → down) and a real recovery
(down → online).
"""

from __future__ import annotations

import logging
import time
from collections import Counter
from collections.abc import Callable
from typing import Any

from server.models import Signal, SignalStatus
from server.notifications import describe_signal
from server.notifications.burst import BurstGate, summary_text
from server.security_events import Alarm
from tray.tunnel import TunnelState, TunnelStatus

logger = logging.getLogger(__name__)

#: Signal outcomes worth a notification: it traded, or it should have and did not.
NOTIFIED = frozenset({SignalStatus.EXECUTED, SignalStatus.FAILED, SignalStatus.REJECTED, SignalStatus.EXPIRED})
_DOWN = frozenset({TunnelState.RECONNECTING, TunnelState.ERROR})

Notify = Callable[[str, str], None]  # (message, title)


__all__ = ["NOTIFIED", "Notifier", "TunnelWatch", "describe_signal"]


class TunnelWatch:
    """Says when a tunnel change is worth a notification: a real loss (online -> reconnecting/error), a real
    recovery (-> online after a loss), or a tunnel that never came up (error before online), each once."""

    def __init__(self) -> None:
        self._was_online = False
        self._down_notified = False

    def change(self, status: TunnelStatus) -> tuple[str, str] | None:
        """``(message, title)`` to show for ``status``, or ``None``."""
        state = TunnelState(status.state)
        if state is TunnelState.ONLINE:
            back = self._down_notified
            self._was_online, self._down_notified = True, False
            if back:
                return f"TradingView alerts reach tvbridge again at {status.public_url}.", "Tunnel back online"
        elif state in _DOWN and self._was_online and not self._down_notified:
            self._down_notified = True
            return status.reason, "Tunnel lost: alerts cannot arrive"
        elif state is TunnelState.ERROR and not self._was_online and not self._down_notified:
            self._down_notified = True  # never came up: say why, once
            return status.reason, "Tunnel not working"
        return None


class Notifier:
    """Turns signals and tunnel changes into ``notify(message, title)`` calls, throttled.

    :param notify: shows one notification (``icon.notify``). Exceptions are logged, never raised.
    :param strategy_name: looks up a strategy's name for the message (``None`` to leave it out).
    :param burst: signal notifications allowed per ``window`` seconds before summarising.
    """

    def __init__(
        self,
        notify: Notify,
        *,
        strategy_name: Callable[[int], str | None] | None = None,
        burst: int = 3,
        window: float = 10.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._notify = notify
        self._strategy_name = strategy_name
        self._gate = BurstGate(burst, window, self._show_summary, clock=clock)
        self._tunnel = TunnelWatch()

    # -- signals --------------------------------------------------------------------------------------

    def _admit(self, kind: str) -> bool:
        """True when a notification may show now; else it is counted under ``kind`` for the window's summary."""
        return self._gate.admit(kind)

    def on_event(self, event: Any) -> None:
        """``runtime.on_event`` listener: a strategy's trade closed by something other than its signal (its
        ``title`` and ``message`` sentence, ``server.ledger.schemas.EventOut``); throttled with the signals."""
        if not self._admit(f"closed ({getattr(event, 'kind', 'event')})"):
            return
        self._show(str(getattr(event, "message", "")), str(getattr(event, "title", "") or "Trade closed"))

    def on_signal(self, signal: Signal) -> None:
        """``runtime.on_signal`` listener."""
        if signal.status not in NOTIFIED:
            return
        if not self._admit(str(signal.status)):
            return
        name = None
        if self._strategy_name is not None:
            try:
                name = self._strategy_name(signal.strategy_id)
            except Exception:
                name = None
        message, title = describe_signal(signal, name)
        self._show(message, title)

    def flush(self) -> None:
        """Show the summary of held-back signals now (the window's timer calls it)."""
        self._gate.flush()

    def _show_summary(self, held: Counter[str]) -> None:
        self._show(summary_text(held), "tvbridge")

    # -- tunnel ---------------------------------------------------------------------------------------

    def on_tunnel(self, status: TunnelStatus) -> None:
        """Tunnel listener: notify on loss (online → reconnecting/error) and on recovery (→ online)."""
        shown = self._tunnel.change(status)
        if shown is not None:
            self._show(*shown)

    # -- security -------------------------------------------------------------------------------------

    def on_alarm(self, alarm: Alarm) -> None:
        """Security-alarm listener: refused senders crossed the threshold (never throttled: at most one per kind
        until it has been quiet)."""
        self._show(alarm.message, "tvbridge: refused senders")

    # -- plumbing -------------------------------------------------------------------------------------

    def _show(self, message: str, title: str) -> None:
        try:
            self._notify(message, title)
        except Exception:  # a notification daemon that is gone must not break intake
            logger.warning("could not show a notification", exc_info=True)

    def close(self) -> None:
        """Stop the summary timer (the held-back count is dropped); later calls do nothing."""
        self._gate.close()
