"""Rate limits with the ``limits`` library (moving windows, in memory): per strategy, and per source address for
requests that carry no known secret.

- :class:`StrategyRateLimits`: each strategy's ``rate_limit_per_second`` and ``rate_limit_per_minute``. Counted on
  the event loop as each authenticated alert is prepared (server/intake.py), i.e. strictly in arrival order, so the
  51st alert within a second of a 50-a-second strategy is the one over; the ``rate_limit`` gate then decides at its
  place in the writer. An alert over the limit is stored ``discarded`` with a sentence and answered 200
  (TradingView must not resend it). Counting on the event loop, not in the writer, means an alert is counted once
  even when the writer applies its group a second time after another op failed.
- :class:`SourceRateLimits`: requests to an unknown URL or with an unknown secret, per source address (the
  tunnel's forwarded-for address, :mod:`server.source_address`), plus one ceiling over all sources together.
  Past it they are answered 429 at once, recorded only as a count (:mod:`server.security_events`): a flood of
  wrong URLs costs a dictionary update per request and never reaches the writer.

Moving windows (not fixed ones) so a burst cannot pass twice the limit across a window boundary. The memory
storage forgets a key's entries once they leave its window, so keys of past sources do not accumulate.
"""

from __future__ import annotations

from limits import RateLimitItem, RateLimitItemPerMinute, RateLimitItemPerSecond
from limits.storage import MemoryStorage
from limits.strategies import MovingWindowRateLimiter

from server.view import StrategyView

#: Unknown-secret requests one source address may send per second / per minute before it is answered 429.
SOURCE_PER_SECOND = 20
SOURCE_PER_MINUTE = 120
#: Unknown-secret requests handled per second from all sources together (a flood from many addresses).
ALL_SOURCES_PER_SECOND = 200


class StrategyRateLimits:
    """Per-strategy limits; used from the event loop only (test then hit is atomic there)."""

    def __init__(self) -> None:
        self._limiter = MovingWindowRateLimiter(MemoryStorage())

    def hit(self, strategy: StrategyView) -> str | None:
        """Count one alert of ``strategy``; ``None`` when within its limits, else which limit it is over, as the
        end of a sentence ("more than 50 alerts within one second"). An alert over a limit is not counted."""
        ident = str(strategy.id)
        windows: list[tuple[RateLimitItem, str]] = [
            (RateLimitItemPerSecond(strategy.rate_limit_per_second), "one second"),
            (RateLimitItemPerMinute(strategy.rate_limit_per_minute), "one minute"),
        ]
        for item, span in windows:
            if not self._limiter.test(item, "strategy", ident):
                return f"more than {item.amount:,} alerts within {span}"
        for item, _ in windows:
            self._limiter.hit(item, "strategy", ident)
        return None


class SourceRateLimits:
    """Limits on requests without a known secret, per source address and over all sources."""

    def __init__(
        self,
        per_second: int = SOURCE_PER_SECOND,
        per_minute: int = SOURCE_PER_MINUTE,
        all_per_second: int = ALL_SOURCES_PER_SECOND,
    ) -> None:
        self._limiter = MovingWindowRateLimiter(MemoryStorage())
        self._per_source = (RateLimitItemPerSecond(per_second), RateLimitItemPerMinute(per_minute))
        self._all = RateLimitItemPerSecond(all_per_second)

    def allow(self, source: str) -> bool:
        """Count one unknown-secret request from ``source``; ``False`` when it is over a limit (answer 429)."""
        if not self._limiter.hit(self._all, "unknown", "*"):
            return False
        if not all(self._limiter.test(item, "unknown", source) for item in self._per_source):
            return False
        for item in self._per_source:
            self._limiter.hit(item, "unknown", source)
        return True
