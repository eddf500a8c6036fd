"""Following the signal log: each new signal and each status change reported exactly once.

Signals only move from an open status (``pending``; ``awaiting_approval`` → ``pending`` for a strategy with manual
approval) to one final status (``server/models.py: SignalStatus``), and their ids grow in
commit order (``GET /api/v1/signals?after_id=`` documents why). So a follower needs two things: a cursor, the
largest id it has seen (``after_id`` returns exactly the signals stored since, oldest first), and the set
of signals it knows as pending, re-read each poll until they are final. Nothing is missed (the cursor never
skips an id, a pending signal is watched until it ends) and nothing repeats (a signal is new once; it leaves
the pending set at its one final status).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

Signal = dict[str, Any]

#: The statuses a signal leaves again (``server.models.OPEN_STATUSES``).
OPEN = frozenset({"pending", "awaiting_approval"})

#: Most signals one list request returns (the API's ``limit`` maximum).
PAGE = 500


class SignalFollower:
    """The follower's state over an admin API reached through ``get`` (``get(path, params)`` → decoded JSON,
    ``None`` for a signal that no longer exists).

    :param strategy_id: follow only this strategy (``None``: all).
    """

    def __init__(self, get: Callable[[str, dict[str, Any]], Any], strategy_id: int | None) -> None:
        self._get = get
        self._filter = {} if strategy_id is None else {"strategy_id": strategy_id}
        self.last_id = 0
        self.pending: set[int] = set()
        #: The status last reported of each watched signal (a change to another open status is reported too).
        self._status: dict[int, str] = {}

    def begin(self) -> None:
        """Set the cursor to the newest signal stored now and watch every signal pending now.

        Call it BEFORE fetching the history to print, show only history up to :attr:`last_id`, then pass that
        history to :meth:`shown`."""
        newest = self._get("/api/v1/signals", {"limit": 1, **self._filter})
        self.last_id = newest[0]["id"] if newest else 0
        open_now = [s for status in sorted(OPEN) for s in self._all_after(0, status=status) if s["id"] <= self.last_id]
        self.pending = {s["id"] for s in open_now}
        self._status = {s["id"]: s["status"] for s in open_now}

    def shown(self, history: Iterable[Signal]) -> None:
        """Signals printed as history (ids up to :attr:`last_id`): those already final are not reported again.
        (One pending in the history was pending at :meth:`begin` too, so it is watched.)"""
        for s in history:
            if s["status"] not in OPEN:
                self.pending.discard(s["id"])

    def poll(self) -> list[Signal]:
        """What changed since the last poll: watched signals whose status changed (oldest first), then new signals
        (oldest first, each in its current status)."""
        changed: list[Signal] = []
        for signal_id in sorted(self.pending):
            s = self._get(f"/api/v1/signals/{signal_id}", {})
            if s is None:  # deleted with its strategy: it will never end, stop watching it
                self.pending.discard(signal_id)
            elif s["status"] != self._status.get(signal_id, "pending"):
                if s["status"] in OPEN:
                    self._status[signal_id] = s["status"]
                else:
                    self.pending.discard(signal_id)
                    self._status.pop(signal_id, None)
                changed.append(s)
        new = self._all_after(self.last_id)
        for s in new:
            if s["status"] in OPEN:
                self.pending.add(s["id"])
                self._status[s["id"]] = s["status"]
            self.last_id = s["id"]
        return changed + new

    def _all_after(self, after_id: int, **params: Any) -> list[Signal]:
        """Every signal with a larger id (with this follower's filter and ``params``), oldest first."""
        out: list[Signal] = []
        while True:
            page = self._get("/api/v1/signals", {"after_id": after_id, "limit": PAGE, **self._filter, **params})
            out.extend(page)
            if len(page) < PAGE:
                return out
            after_id = page[-1]["id"]
