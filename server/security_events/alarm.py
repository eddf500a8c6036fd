"""When refused senders become a notification: one per kind when its count within :data:`WINDOW_SECONDS` crosses
:data:`THRESHOLD` ("12 alerts to an unknown URL in 5 minutes — did you rotate a secret and not update
TradingView?"), and no other for that kind until it has been quiet (under the threshold) and :data:`COOLDOWN_SECONDS`
passed. Counts are kept in 10-second slots, so memory stays constant whatever the flood.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass

from server.security_events.kinds import ALARMS, SecurityKind

THRESHOLD = 10
WINDOW_SECONDS = 300
COOLDOWN_SECONDS = 1800
_SLOT = 10


@dataclass(frozen=True)
class Alarm:
    """A threshold notification: ``count`` events of ``kind`` within ``window_seconds``, at ``at`` (unix seconds),
    and the sentence to show."""

    kind: SecurityKind
    count: int
    window_seconds: int
    at: float
    message: str


class AlarmWatch:
    """Counts events per kind and says when a kind crosses the threshold. Not thread-safe: the monitor calls it
    under its lock."""

    def __init__(
        self, threshold: int = THRESHOLD, window: int = WINDOW_SECONDS, cooldown: int = COOLDOWN_SECONDS
    ) -> None:
        self.threshold = threshold
        self.window = window
        self.cooldown = cooldown
        self._slots: dict[SecurityKind, deque[list[int]]] = {}
        self._armed: dict[SecurityKind, bool] = {}
        self._last: dict[SecurityKind, float] = {}

    def add(self, kind: SecurityKind, n: int, now: float) -> None:
        """Count ``n`` events of ``kind`` at ``now``."""
        slots = self._slots.setdefault(kind, deque())
        slot = int(now // _SLOT)
        if slots and slots[-1][0] == slot:
            slots[-1][1] += n
        else:
            slots.append([slot, n])
        self._trim(slots, now)

    def count(self, kind: SecurityKind, now: float) -> int:
        """Events of ``kind`` within the window ending at ``now``."""
        slots = self._slots.get(kind)
        if not slots:
            return 0
        self._trim(slots, now)
        return sum(n for _, n in slots)

    def _trim(self, slots: deque[list[int]], now: float) -> None:
        oldest = int((now - self.window) // _SLOT) + 1
        while slots and slots[0][0] < oldest:
            slots.popleft()

    def due(self, now: float) -> list[Alarm]:
        """The alarms to raise now (each kind at most once until it re-arms)."""
        raised: list[Alarm] = []
        for kind in list(self._slots):
            n = self.count(kind, now)
            armed = self._armed.get(kind, True)
            if n < self.threshold:
                if not armed and now - self._last.get(kind, 0.0) >= self.cooldown:
                    self._armed[kind] = True
                continue
            if not armed:
                continue
            self._armed[kind] = False
            self._last[kind] = now
            minutes = max(1, round(self.window / 60))
            raised.append(Alarm(kind, n, self.window, now, ALARMS[kind].format(n=n, minutes=minutes)))
        return raised
