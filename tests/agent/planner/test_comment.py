"""The order comment: the signal tag first and whole, the alert's comment= after it, within MT5's limit."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from agent.planner import plan
from agent.planner.comment import carries_tag, compose
from contract.settings import MAX_COMMENT_CHARS
from tests.agent.planner import intent, market, open_, sent, settings


def test_the_user_text_follows_the_tag() -> None:
    c = compose("tvb:123", "london breakout")
    assert (c.text, c.note) == ("tvb:123 london breakout", None)


def test_a_long_text_is_cut_after_the_tag_and_the_signal_says_so() -> None:
    c = compose("tvb:123", "london breakout long version")
    assert c.text == "tvb:123 london breakout lon"
    assert len(c.text) == MAX_COMMENT_CHARS
    assert c.note is not None and "shortened" in c.note and '"tvb:123 london breakout lon"' in c.note


def test_characters_mt5_would_reject_are_removed_and_said() -> None:
    c = compose("tvb:9", "gold\u00e9 \U0001f680 run\n\tnow")
    assert c.text == "tvb:9 gold run now"
    assert c.note is not None and "ASCII" in c.note


def test_no_comment_or_nothing_left_keeps_the_tag_alone() -> None:
    assert compose("tvb:9", None).text == "tvb:9"
    assert compose("tvb:9", "  ").note is None
    emoji = compose("tvb:9", "\U0001f680\U0001f680")
    assert emoji.text == "tvb:9" and emoji.note is not None


def test_a_tag_that_fills_the_comment_is_never_cut() -> None:
    tag = "tvb:" + "9" * 23  # 27 characters
    c = compose(tag, "hello")
    assert c.text == tag and c.note is not None and "left out" in c.note


def test_recovery_matches_the_tag_alone_or_followed_by_text() -> None:
    assert carries_tag("tvb:12", "tvb:12")
    assert carries_tag("tvb:12 my text", "tvb:12")
    assert not carries_tag("tvb:123", "tvb:12")
    assert not carries_tag("tvb:123 x", "tvb:12")
    assert not carries_tag("[sl 1.0950]", "tvb:12")


@given(signal=st.integers(min_value=1, max_value=10**18), text=st.text(max_size=80))
def test_any_comment_fits_keeps_the_tag_and_is_found_again(signal: int, text: str) -> None:
    tag = f"tvb:{signal}"
    c = compose(tag, text)
    assert len(c.text) <= MAX_COMMENT_CHARS
    assert c.text.isascii() and c.text.isprintable()
    assert c.text.startswith(tag)
    assert carries_tag(c.text, tag)
    assert not carries_tag(c.text, f"tvb:{signal}0")


def test_every_request_of_the_signal_carries_the_comment_and_one_note() -> None:
    p = plan(intent(open_("buy", 0.1), comment="scalp #4 \u2013 asia session"), settings(comment="tvb:77"), market())
    assert [sent(r)["comment"] for r in p.requests] == ["tvb:77 scalp #4 asia sessio"]
    assert sum("shortened" in n for n in p.notes) == 1
