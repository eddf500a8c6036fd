"""Rate limits with the ``limits`` library: per strategy (moving windows of a second and a minute) and per source
address for unknown secrets. The calls within one test take microseconds, far inside the one-second window."""

from __future__ import annotations

from server.ratelimits import SourceRateLimits, StrategyRateLimits
from server.view import StrategyView


def strategy(sid: int, per_second: int = 50, per_minute: int = 600) -> StrategyView:
    return StrategyView(id=sid, name=f"s{sid}", webhook_secret=f"w{sid}", magic_number=sid,
                        rate_limit_per_second=per_second, rate_limit_per_minute=per_minute)


def test_the_51st_alert_within_a_second_is_over_and_another_strategy_is_not_affected() -> None:
    limits = StrategyRateLimits()
    noisy, calm = strategy(1), strategy(2)
    assert [limits.hit(noisy) for _ in range(50)] == [None] * 50
    assert limits.hit(noisy) == "more than 50 alerts within one second"
    assert limits.hit(calm) is None


def test_the_minute_limit_and_an_alert_over_a_limit_is_not_counted() -> None:
    limits = StrategyRateLimits()
    s = strategy(1, per_second=1000, per_minute=5)
    assert [limits.hit(s) for _ in range(5)] == [None] * 5
    assert limits.hit(s) == "more than 5 alerts within one minute"
    changed = strategy(1, per_second=1000, per_minute=7)  # a changed limit counts afresh (limits keys by the limit)
    assert [limits.hit(changed) for _ in range(8)] == [None] * 7 + ["more than 7 alerts within one minute"]


def test_unknown_secrets_are_limited_per_source_and_over_all_sources() -> None:
    limits = SourceRateLimits(per_second=3, per_minute=100, all_per_second=5)
    assert [limits.allow("198.51.100.1") for _ in range(4)] == [True, True, True, False]
    assert limits.allow("198.51.100.2") is True  # another source has its own allowance
    assert limits.allow("198.51.100.3") is False  # ... until all sources together are over the ceiling
