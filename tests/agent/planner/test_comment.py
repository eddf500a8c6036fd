"""The order comment: the signal tag first and whole, the alert's comment= after it, within MT5's limit."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from agent.planner import plan
from agent.planner.comment import carries_tag, compose, level_of, names_signal, split_level
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


def test_a_level_comment_keeps_tag_and_level_whole_and_cuts_only_the_user_text() -> None:
    c = compose("tvb:123", "london breakout long version", level=2)
    assert c.text == "tvb:123/2 london breakout l"
    assert len(c.text) == MAX_COMMENT_CHARS
    assert c.note is not None and '"tvb:123/2 london breakout l"' in c.note
    assert compose("tvb:123", None, level=3).text == "tvb:123/3"
    full = "tvb:" + "9" * 19  # the longest signal id: the level still fits
    assert compose(full, "x" * 40, level=3).text == f"{full}/3 x"


def test_level_recovery_matches_its_own_tag_exactly() -> None:
    assert level_of("tvb:12/2", "tvb:12") == 2
    assert level_of("tvb:12/2 london", "tvb:12") == 2
    assert level_of("tvb:12/12", "tvb:12") == 12  # level 12, never level 1
    for other in ("tvb:12", "tvb:12 x/2", "tvb:123/2", "tvb:1/2", "tvb:12/tp2", "tvb:12/2x", "tvb:12/02", "tvb:12/"):
        assert level_of(other, "tvb:12") is None, other
    # a level's tag is a tag of its own: tvb:12/1 never finds TP2's or TP12's position, tvb:12 none of them
    assert carries_tag("tvb:12/1 london", "tvb:12/1")
    assert not carries_tag("tvb:12/12", "tvb:12/1")
    assert not carries_tag("tvb:12/2 london", "tvb:12/1")
    assert not carries_tag("tvb:12/2", "tvb:12")
    # the signal's recovery finds its own orders and its levels' positions, not its netting closes or 123's
    assert names_signal("tvb:12 london", "tvb:12") and names_signal("tvb:12/3 london", "tvb:12")
    for other in ("tvb:123", "tvb:123/1", "tvb:12/tp1", "tvb:1/2", "[tp 1.1050]"):
        assert not names_signal(other, "tvb:12"), other
    assert split_level("tvb:12/2 london / 3") == ("tvb:12", 2)
    assert split_level("tvb:12/tp1") is None and split_level("tvb:12 a/3") is None


@given(
    signal=st.integers(min_value=1, max_value=10**19 - 1), level=st.integers(min_value=1, max_value=3),
    text=st.text(max_size=80),
)
def test_any_level_comment_fits_and_is_found_as_that_level_only(signal: int, level: int, text: str) -> None:
    tag = f"tvb:{signal}"
    c = compose(tag, text, level=level)
    assert len(c.text) <= MAX_COMMENT_CHARS and c.text.isascii() and c.text.isprintable()
    assert c.text.startswith(f"{tag}/{level}")
    assert level_of(c.text, tag) == level and split_level(c.text) == (tag, level)
    assert carries_tag(c.text, c.tag) and not carries_tag(c.text, tag)
    assert names_signal(c.text, tag) and not names_signal(c.text, f"tvb:{signal}0")
    assert level_of(c.text, f"tvb:{signal}0") is None
