"""Timeframe normalisation: every way TradingView and traders write a timeframe lands on one canonical form."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from contract.timeframes import UnknownTimeframe, normalize_timeframe, try_normalize_timeframe
from server.schemas.bounds import TIMEFRAME_PATTERN


@pytest.mark.parametrize(
    ("written", "canonical"),
    [
        # TradingView {{interval}}: minutes as plain numbers, letters for seconds, days, weeks, months
        ("1", "1m"), ("15", "15m"), ("60", "1h"), ("90", "90m"), ("240", "4h"), ("1440", "1D"), ("10080", "1W"),
        ("1S", "1s"), ("30S", "30s"), ("D", "1D"), ("1D", "1D"), ("W", "1W"), ("1W", "1W"), ("M", "1M"),
        ("3M", "3M"), ("12M", "12M"), ("100T", "100T"), ("10R", "10R"),
        # what traders write
        ("1h", "1h"), ("4H", "4h"), ("15m", "15m"), ("15min", "15m"), ("1 hour", "1h"), ("2 days", "2D"),
        ("120s", "2m"), ("7D", "1W"), (" 60 ", "1h"),
        # MetaTrader's names (ENUM_TIMEFRAMES)
        ("M1", "1m"), ("M15", "15m"), ("H1", "1h"), ("H4", "4h"), ("D1", "1D"), ("W1", "1W"), ("MN1", "1M"),
        ("PERIOD_H4", "4h"),
    ],
)
def test_written_forms_normalise(written: str, canonical: str) -> None:
    assert normalize_timeframe(written) == canonical


def test_upper_case_m_after_a_number_is_months_lower_case_is_minutes() -> None:
    assert normalize_timeframe("3M") == "3M" and normalize_timeframe("3m") == "3m"


@pytest.mark.parametrize("text", ["", "abc", "0", "1.5h", "h", "-5", "M0", "15x", "1000000"])
def test_what_is_not_a_timeframe_is_refused_with_a_sentence(text: str) -> None:
    with pytest.raises(UnknownTimeframe) as refused:
        normalize_timeframe(text)
    assert repr(text.strip()) in str(refused.value) or "count" in str(refused.value)
    assert try_normalize_timeframe(text) is None


@given(st.integers(min_value=1, max_value=100_000))
def test_minutes_as_numbers_match_their_minute_form_and_are_fixed_points(minutes: int) -> None:
    canonical = normalize_timeframe(str(minutes))
    other = f"M{minutes}" if minutes < 10_000 else f"{minutes}min"
    assert canonical == normalize_timeframe(f"{minutes}m") == normalize_timeframe(other)
    assert normalize_timeframe(canonical) == canonical


@given(st.integers(min_value=1, max_value=999), st.sampled_from(["s", "m", "h", "D", "W", "M", "T", "R"]))
def test_every_canonical_form_normalises_to_itself(count: int, unit: str) -> None:
    canonical = normalize_timeframe(f"{count}{unit}")
    assert normalize_timeframe(canonical) == canonical


@given(st.integers(min_value=1, max_value=500))
def test_hours_days_and_weeks_agree_with_minutes(n: int) -> None:
    assert normalize_timeframe(f"{n}h") == normalize_timeframe(str(n * 60))
    assert normalize_timeframe(f"{n}D") == normalize_timeframe(str(n * 1440))
    assert normalize_timeframe(f"{n}W") == normalize_timeframe(f"{n * 7}D")


@given(st.from_regex(TIMEFRAME_PATTERN, fullmatch=True))
def test_every_timeframe_the_admin_api_accepts_normalises(text: str) -> None:
    """The API's schema promises these are valid (schemathesis holds it to that): none may be refused later."""
    assert normalize_timeframe(text) == normalize_timeframe(normalize_timeframe(text))
