"""Counting and recording refused senders without slowing the webhook path.

:meth:`SecurityMonitor.record` is called for every refused request — on the event loop (unknown URLs and secrets)
or in the writer thread (the auth gates) — and only adds to a counter in memory, under a lock, keyed by minute,
kind, source, endpoint, fingerprint of the secret tried, strategy and detail. A thread of its own hands everything
counted since its last round to the writer as ONE op every :data:`FLUSH_SECONDS` (:mod:`.store`): a flood of bad
requests costs the writer one small transaction a second, never one write per request, so it cannot starve
legitimate alerts of the writer.

Memory is bounded too: within one minute and kind at most :data:`MAX_KEYS_PER_MINUTE` distinct (source,
fingerprint, strategy, detail) keys are kept apart; further ones are counted under the source
``"(other sources)"`` without fingerprint or detail, so every request is still counted. The same round checks the
threshold notification (:mod:`.alarm`) and calls the ``on_alarm`` listeners (tray and notification targets)
outside the lock.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from server.security_events.alarm import Alarm, AlarmWatch
from server.security_events.fingerprint import Fingerprinter
from server.security_events.kinds import SecurityKind
from server.security_events.store import Row, add_rows, prune
from server.writer import StorageUnavailable, Writer, WriteTx

logger = logging.getLogger(__name__)

#: Seconds between two flushes to the writer.
FLUSH_SECONDS = 1.0
#: Seconds between two prunes of the table.
PRUNE_SECONDS = 60.0
#: Distinct (source, fingerprint, strategy, detail) keys kept apart per minute and kind; the rest are summed.
MAX_KEYS_PER_MINUTE = 200
#: The source of requests counted together once a minute holds too many distinct keys.
OTHER_SOURCES = "(other sources)"
#: Alarms kept for the dashboard.
RECENT_ALARMS = 20


@dataclass
class _Tally:
    count: int
    first: float
    last: float


@dataclass(frozen=True)
class _Key:
    minute: int
    kind: str
    source: str
    endpoint: str
    fingerprint: str
    strategy_id: int
    detail: str


@dataclass
class MonitorStats:
    """Counts since start: ``recorded`` requests, of which ``flushed`` are stored (tests wait on these)."""

    recorded: int = 0
    flushed: int = 0
    by_kind: dict[str, int] = field(default_factory=dict)


class SecurityMonitor:
    """Counts refused senders in memory and stores them through ``writer`` in rounds.

    :param fingerprint: fingerprints the secrets tried (:class:`Fingerprinter`).
    :param clock: unix seconds (tests pass their own). ``on_alarm`` listeners get each :class:`Alarm`.
    """

    def __init__(
        self,
        fingerprint: Fingerprinter,
        *,
        alarms: AlarmWatch | None = None,
        clock: Callable[[], float] = time.time,
        flush_seconds: float = FLUSH_SECONDS,
        max_keys_per_minute: int = MAX_KEYS_PER_MINUTE,
    ) -> None:
        self.fingerprint = fingerprint
        self.alarms = alarms or AlarmWatch()
        self.on_alarm: list[Callable[[Alarm], None]] = []
        self.recent_alarms: list[Alarm] = []
        self.stats = MonitorStats()
        self._clock = clock
        self._flush_seconds = flush_seconds
        self._max_keys = max_keys_per_minute
        self._lock = threading.Lock()
        self._pending: dict[_Key, _Tally] = {}
        self._keys_per_minute: dict[tuple[int, str], set[tuple[str, str, int, str]]] = {}
        self._rounds = threading.Condition()
        #: Flush rounds completed (stored, pruned, alarms raised): tests wait for the round after an event.
        self.rounds = 0
        self._writer: Writer | None = None
        self._stop = threading.Event()
        self._flushed = threading.Condition()
        self._thread: threading.Thread | None = None
        self._last_prune = 0.0

    # -- recording (any thread) ---------------------------------------------------------------------------

    def record(
        self,
        kind: SecurityKind,
        source: str,
        endpoint: str,
        *,
        secret: str | None = None,
        strategy_id: int | None = None,
        detail: str | None = None,
    ) -> None:
        """Count one refused request. ``secret`` is the secret tried: only its fingerprint is kept. Never raises."""
        try:
            fp = self.fingerprint(secret)
            now = self._clock()
            minute = int(now // 60)
            said = (detail or "")[:300]
            with self._lock:
                seen = self._keys_per_minute.setdefault((minute, kind), set())
                who = (source, fp, strategy_id or 0, said)
                if who not in seen and len(seen) >= self._max_keys:
                    source, fp, said = OTHER_SOURCES, "", ""
                else:
                    seen.add(who)
                key = _Key(minute, kind.value, source, endpoint, fp, strategy_id or 0, said)
                tally = self._pending.get(key)
                if tally is None:
                    self._pending[key] = _Tally(1, now, now)
                else:
                    tally.count += 1
                    tally.last = now
                self.alarms.add(kind, 1, now)
                self.stats.recorded += 1
                self.stats.by_kind[kind.value] = self.stats.by_kind.get(kind.value, 0) + 1
        except Exception:  # counting must never break the webhook path
            logger.exception("could not count a refused request")

    # -- flushing (its own thread) ------------------------------------------------------------------------

    def start(self, writer: Writer) -> None:
        """Start flushing to ``writer`` every :data:`FLUSH_SECONDS`."""
        self._writer = writer
        self._thread = threading.Thread(target=self._run, name="tvbridge-security-flush", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Flush what is left and stop (before the writer stops)."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(10.0)
            self._thread = None
        self.flush()

    def _run(self) -> None:
        while not self._stop.wait(self._flush_seconds):
            self.flush()

    def drain(self) -> list[Row]:
        """Take everything counted since the last call, as rows (and forget minutes that are over)."""
        with self._lock:
            pending, self._pending = self._pending, {}
            minute = int(self._clock() // 60)
            for stale in [k for k in self._keys_per_minute if k[0] < minute - 1]:
                del self._keys_per_minute[stale]
        return [
            Row(
                bucket=datetime.fromtimestamp(k.minute * 60, UTC),
                kind=k.kind,
                source=k.source,
                endpoint=k.endpoint,
                fingerprint=k.fingerprint,
                strategy_id=k.strategy_id,
                count=t.count,
                first_at=datetime.fromtimestamp(t.first, UTC),
                last_at=datetime.fromtimestamp(t.last, UTC),
                detail=k.detail,
            )
            for k, t in pending.items()
        ]

    def flush(self) -> None:
        """Store what was counted (one writer op), prune now and then, and raise due alarms. Never raises: rows
        that could not be stored are counted again in the next round."""
        rows = self.drain()
        now = self._clock()
        prune_due = now - self._last_prune >= PRUNE_SECONDS
        if (rows or prune_due) and self._writer is not None:

            def op(tx: WriteTx) -> int:
                stored = add_rows(tx, rows)
                if prune_due:
                    prune(tx, tx.now)
                return stored

            try:
                stored = self._writer.run(op, timeout=10.0, durable=False)
            except StorageUnavailable:
                self._requeue(rows)
            except Exception:
                logger.exception("could not store refused senders")
                self._requeue(rows)
            else:
                if prune_due:
                    self._last_prune = now
                with self._flushed:
                    self.stats.flushed += stored
                    self._flushed.notify_all()
        self._raise_alarms(now)
        with self._rounds:
            self.rounds += 1
            self._rounds.notify_all()

    def wait_round(self, after: int, timeout: float = 10.0) -> bool:
        """Wait until a flush round later than round number ``after`` completed (its alarms raised)."""
        with self._rounds:
            return self._rounds.wait_for(lambda: self.rounds > after, timeout)

    def _requeue(self, rows: list[Row]) -> None:
        with self._lock:
            for r in rows:
                minute = int(r.bucket.timestamp() // 60)
                key = _Key(minute, r.kind, r.source, r.endpoint, r.fingerprint, r.strategy_id, r.detail)
                tally = self._pending.get(key)
                if tally is None:
                    self._pending[key] = _Tally(r.count, r.first_at.timestamp(), r.last_at.timestamp())
                else:
                    tally.count += r.count

    def _raise_alarms(self, now: float) -> None:
        with self._lock:
            due = self.alarms.due(now)
            if due:
                self.recent_alarms = (self.recent_alarms + due)[-RECENT_ALARMS:]
        for alarm in due:
            logger.warning("security: %s", alarm.message)
            for listener in list(self.on_alarm):
                try:
                    listener(alarm)
                except Exception:  # one listener must not silence the others
                    logger.exception("security alarm listener failed")

    def wait_flushed(self, count: int, timeout: float = 10.0) -> bool:
        """Wait until at least ``count`` recorded requests are stored (tests)."""
        with self._flushed:
            return self._flushed.wait_for(lambda: self.stats.flushed >= count, timeout)
