"""How far a broker's clock runs ahead of UTC, measured from its ticks and kept across restarts.

MT5 times (ticks, deals, positions) are the trade server's clock in epoch seconds, not UTC (mt5-api §1.6), and
servers are commonly set to UTC+2/+3, some to other zones. The offset is measured as the freshest tick's time
minus UTC, rounded to 15 minutes (every time zone in use is a multiple of 15 minutes from UTC, and a live tick is
far less than 7.5 minutes old). A tick counts only when it is seen to advance between two looks at most
:data:`FRESH_SECONDS` apart, so it is at most that old: a weekend's stale Friday tick (hours or days old) is
never taken for the server's clock. On a weekend, or before two looks, the last measured offset of the same
trade server is used, read from the clock file.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from agent.atomic import write_atomic

logger = logging.getLogger(__name__)

#: Every time zone in use is a whole number of these seconds from UTC.
STEP_SECONDS = 900
#: The widest offset of any time zone (UTC+14, Line Islands; UTC-12 is within it too).
MAX_OFFSET_SECONDS = 14 * 3600
#: A tick seen to advance between two looks at most this far apart is at most this old (< 7.5 minutes).
FRESH_SECONDS = 300.0


class ServerClock:
    """The offset of one broker's clock. ``observe`` every tick time read; ``offset`` is the answer.

    :param path: the clock file (JSON: server name, offset, when measured); ``None`` keeps nothing.
    :param now: UTC now in epoch seconds (injectable for tests).
    """

    def __init__(self, path: Path | None = None, *, now: Callable[[], float] = time.time) -> None:
        self.path = path
        self._now = now
        self._lock = threading.Lock()
        self._seen: dict[str, tuple[int, float]] = {}  # symbol -> (tick ms, local UTC ms when seen)
        self._server: str | None = None
        self._offset: int | None = None
        self._measured = False  # measured by this process (a loaded figure is replaced by the first measurement)

    @property
    def offset(self) -> int | None:
        """Seconds the broker's clock runs ahead of UTC; ``None`` while neither measured nor remembered."""
        with self._lock:
            return self._offset

    @property
    def measured(self) -> bool:
        """True once this process measured the offset itself (not only read it from the clock file)."""
        with self._lock:
            return self._measured

    def use_server(self, server: str) -> None:
        """The trade server the broker is logged in to: a remembered offset counts only for the same server."""
        with self._lock:
            if server == self._server:
                return
            self._server = server
            self._seen.clear()
            self._offset, self._measured = None, False
            remembered = self._load(server)
            if remembered is not None:
                self._offset = remembered
                logger.info("server clock of %r: UTC%+.2f h, as last measured", server, remembered / 3600)

    def observe(self, symbol: str, tick_msc: int) -> None:
        """A tick of ``symbol`` with time ``tick_msc`` (broker clock, ms) was just read."""
        if tick_msc <= 0:
            return
        now_ms = self._now() * 1000.0
        with self._lock:
            previous = self._seen.get(symbol)
            self._seen[symbol] = (tick_msc, now_ms)
            if previous is None or tick_msc <= previous[0] or now_ms - previous[1] > FRESH_SECONDS * 1000:
                return
            # The tick arrived after the previous look, so it is at most (now - previous look) old.
            step_ms = STEP_SECONDS * 1000
            offset = round((tick_msc - now_ms) / step_ms) * STEP_SECONDS
            if abs(offset) > MAX_OFFSET_SECONDS:
                return
            changed = offset != self._offset or not self._measured
            self._offset, self._measured = offset, True
            server = self._server
        if changed:
            logger.info("server clock of %r measured: UTC%+.2f h", server, offset / 3600)
            self._save(server, offset)

    def _load(self, server: str) -> int | None:
        if self.path is None:
            return None
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
            if data.get("server") == server and isinstance(data.get("offset_seconds"), int):
                value = int(data["offset_seconds"])
                return value if abs(value) <= MAX_OFFSET_SECONDS else None
        except (OSError, ValueError, AttributeError):
            return None
        return None

    def _save(self, server: str | None, offset: int) -> None:
        if self.path is None:
            return
        record = {"server": server or "", "offset_seconds": offset, "measured_at": datetime.now(UTC).isoformat()}
        try:
            write_atomic(self.path, json.dumps(record))
        except OSError as exc:  # a clock file that cannot be written only costs the weekend fallback
            logger.warning("could not save the server clock to %s: %s", self.path, exc)
