"""The MT5 order comment: the signal's tag ``tvb:<signal id>``, then the trader's own ``comment=``.

Layout: ``"<tag> <user text>"``, e.g. ``tvb:123 london breakout``, at most
:data:`~contract.settings.MAX_COMMENT_CHARS` (27) characters. The Python module refuses comments over 29 UTF-16
code units and does not look at the characters (mt5-api §1.7, §2.3); the bridge rule is ASCII only with a margin
of two (mt5-api §2.3 "Bridge rule"), so the user's text is reduced to printable ASCII (control characters, line
breaks and anything outside ASCII are dropped, runs of spaces collapse to one) and then cut to what is left after
the tag. The tag itself is never shortened: it is how the agent finds an order it already sent after a restart or
an unknown outcome (:func:`carries_tag`), and how the ledger names the signal a deal belongs to
(``server/ledger/attribution.py`` reads the leading ``tvb:<id>``).

Brokers may rewrite a comment server-side (mt5-api §2.3: ``[sl ...]`` on SL closes) or cut it: matching is by the
tag followed by nothing or a space, never by the whole text.
"""

from __future__ import annotations

from dataclasses import dataclass

from contract.settings import MAX_COMMENT_CHARS


@dataclass(frozen=True)
class OrderComment:
    """The comment to send and what happened to the user's text.

    ``text`` is what goes into ``order_send``; ``tag`` the signal tag it starts with; ``user`` the trader's text as
    sent (after cleaning and cutting; ``""`` when none fits or none was given); ``note`` a sentence for the
    signal when the trader's text was changed (shortened, cleaned or left out), else ``None``.
    """

    text: str
    tag: str
    user: str = ""
    note: str | None = None


def ascii_text(text: str) -> str:
    """``text`` reduced to printable ASCII (0x20-0x7E), whitespace runs collapsed to one space, trimmed."""
    kept = "".join(ch if " " <= ch <= "~" else " " if ch.isspace() else "" for ch in text)
    return " ".join(kept.split())


def tag_of(strategy_comment: str) -> str:
    """The signal tag made safe for ``order_send``: ASCII only, at most 27 characters (mt5-api §2.3)."""
    return strategy_comment.encode("ascii", "ignore").decode("ascii")[:MAX_COMMENT_CHARS]


def compose(strategy_comment: str, user_comment: str | None) -> OrderComment:
    """The order comment for a signal whose tag is ``strategy_comment`` (``tvb:<id>``) and whose alert carried
    ``user_comment`` (``comment=``; ``None``: none).

    The user's text follows the tag after one space and is cut to fit 27 characters in all; the tag is kept whole.
    """
    tag = tag_of(strategy_comment)
    if not user_comment or not user_comment.strip():
        return OrderComment(text=tag, tag=tag)
    cleaned = ascii_text(user_comment)
    room = MAX_COMMENT_CHARS - len(tag) - 1
    if not cleaned:
        return OrderComment(
            text=tag,
            tag=tag,
            note=f'The alert\'s comment "{user_comment[:60]}" has no characters MetaTrader 5 order comments keep '
            f"(plain ASCII), so the order carries only {tag}.",
        )
    if room <= 0:
        return OrderComment(
            text=tag,
            tag=tag,
            note=f'The alert\'s comment "{cleaned[:60]}" was left out: the signal tag {tag} already fills the '
            f"{MAX_COMMENT_CHARS} characters an MT5 order comment can take.",
        )
    user = cleaned[:room].rstrip()
    text = f"{tag} {user}"
    if user == user_comment.strip():
        return OrderComment(text=text, tag=tag, user=user)
    if user == cleaned:
        why = "characters MetaTrader 5 order comments do not keep (only plain ASCII) were removed"
    else:
        why = f"it was shortened to fit the {MAX_COMMENT_CHARS} characters an MT5 order comment can take"
    return OrderComment(
        text=text,
        tag=tag,
        user=user,
        note=f'The alert\'s comment "{user_comment.strip()[:60]}" reaches MetaTrader 5 as "{text}": {why}, '
        f"after the signal tag {tag}.",
    )


def carries_tag(comment: str, tag: str) -> bool:
    """True when an order or deal comment is ``tag`` alone or ``tag`` followed by a space and the user's text:
    ``tvb:12 x`` carries ``tvb:12``; ``tvb:123`` does not."""
    return bool(tag) and (comment == tag or comment.startswith(tag + " "))
