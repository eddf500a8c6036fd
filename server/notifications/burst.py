"""Throttling bursts of notifications into one summary: the rule the tray and the notification targets share.

At most ``burst`` notifications pass per window of ``window`` seconds (the window opens with the first one). The
rest are counted by label, and when the window ends one summary is handed on ("4 more signals: 3 executed,
1 failed. See the signal log for details."); the summary counts against the next window. Twenty alerts in a second
therefore give ``burst`` notifications and one summary, never twenty.
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Callable


def summary_text(held: Counter[str]) -> str:
    """The summary sentence for the held-back notifications, ``{label: count}``, labels in sorted order."""
    parts = ", ".join(f"{n} {label}" for label, n in sorted(held.items()))
    return f"{sum(held.values())} more signals: {parts}. See the signal log for details."


class BurstGate:
    """Lets at most ``burst`` notifications through per ``window`` seconds and summarises the rest.

    :param burst: notifications allowed per window (count).
    :param window: the window's length in seconds, measured on ``clock`` (``time.monotonic`` by default).
    :param on_summary: called with ``{label: count}`` of the held-back notifications when the window ends (on a
        timer thread) or at :meth:`flush`; never called with an empty count. It must not raise into the timer:
        exceptions are the caller's to catch.
    Thread-safe: :meth:`admit` is called from any thread.
    """

    def __init__(self, burst: int, window: float, on_summary: Callable[[Counter[str]], None], *,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.burst = burst
        self.window = window
        self._on_summary = on_summary
        self._clock = clock
        self._lock = threading.Lock()
        self._window_start = -float("inf")
        self._shown = 0
        self._held: Counter[str] = Counter()
        self._timer: threading.Timer | None = None
        self._closed = False

    def admit(self, label: str) -> bool:
        """``True`` when a notification may go out now; else it is counted under ``label`` for the summary.

        After :meth:`close` nothing is admitted.
        """
        with self._lock:
            if self._closed:
                return False
            now = self._clock()
            if now - self._window_start >= self.window:
                self._window_start, self._shown = now, 0
            if self._shown >= self.burst:
                self._held[label] += 1
                if self._timer is None:
                    self._timer = threading.Timer(max(self._window_start + self.window - now, 0.0), self.flush)
                    self._timer.daemon = True
                    self._timer.start()
                return False
            self._shown += 1
            return True

    def flush(self) -> None:
        """Hand the summary of the held-back notifications on now (the window's timer calls it)."""
        with self._lock:
            held, self._held = self._held, Counter()
            self._timer = None
            if held:  # the summary counts against the next window
                self._window_start, self._shown = self._clock(), 1
        if held:
            self._on_summary(held)

    def close(self) -> None:
        """Stop the timer and drop what is held; later calls to :meth:`admit` return ``False``."""
        with self._lock:
            self._closed = True
            timer, self._timer = self._timer, None
            self._held.clear()
        if timer is not None:
            timer.cancel()
