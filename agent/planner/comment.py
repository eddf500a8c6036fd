"""The MT5 order comment: the signal's tag ``tvb:<signal id>``, then the trader's own ``comment=``.

Layout: ``"<tag> <user text>"``, e.g. ``tvb:123 london breakout``, at most
:data:`~contract.settings.MAX_COMMENT_CHARS` (27) characters. The Python module refuses comments over 29 UTF-16
code units and does not look at the characters (mt5-api §1.7, §2.3); the bridge rule is ASCII only with a margin
of two (mt5-api §2.3 "Bridge rule"), so the user's text is reduced to printable ASCII (control characters, line
breaks and anything outside ASCII are dropped, runs of spaces collapse to one) and then cut to what is left after
the tag. The tag itself is never shortened: it is how the agent finds an order it already sent after a restart or
an unknown outcome (:func:`carries_tag`), and how the ledger names the signal a deal belongs to
(``server/ledger/attribution.py`` reads the leading ``tvb:<id>``).

Take-profit levels (agent/planner/targets.py): on hedging each level's position carries its own tag
``tvb:<signal id>/<level>`` (``tvb:123/2 london``), the level right after the signal tag and never cut; the user's
text follows after a space in the room left. On netting the agent's partial closes carry ``tvb:<signal id>/tp<level>``
(agent/targets.py) and no user text. Signal ids stay below 10**19, so ``tvb:<id>/<level>`` takes at most 25 of the
27 characters.

Brokers may rewrite a comment server-side (mt5-api §2.3: ``[sl ...]`` on SL closes) or cut it: matching is by the
tag followed by nothing or a space, never by the whole text, and a tag never matches a longer one (``tvb:12`` is
not ``tvb:123`` nor ``tvb:12/2``; ``tvb:12/1`` is not ``tvb:12/12``).
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


def level_tag(tag: str, level: int) -> str:
    """The tag of take-profit level ``level`` (1 = TP1) of the signal tagged ``tag``: ``tvb:123`` -> ``tvb:123/2``."""
    return f"{tag}/{level}"


def compose(strategy_comment: str, user_comment: str | None, level: int | None = None) -> OrderComment:
    """The order comment for a signal whose tag is ``strategy_comment`` (``tvb:<id>``) and whose alert carried
    ``user_comment`` (``comment=``; ``None``: none); ``level`` (1 = TP1) makes it the comment of that take-profit
    level's position, tagged ``tvb:<id>/<level>``.

    The user's text follows the tag after one space and is cut to fit 27 characters in all; the tag (with its level)
    is kept whole.
    """
    tag = tag_of(strategy_comment)
    if level is not None:
        tag = level_tag(tag, level)
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


def level_of(comment: str, tag: str) -> int | None:
    """The take-profit level whose tag ``<tag>/<level>`` an order or deal comment carries (alone or followed by a
    space and the user's text), ``None`` for any other comment: with ``tag`` ``tvb:12``, ``tvb:12/2 x`` -> 2;
    ``tvb:12``, ``tvb:12/tp2`` (a netting level's close), ``tvb:123/2`` -> ``None``."""
    if not tag or not comment.startswith(tag + "/"):
        return None
    number = comment[len(tag) + 1:].split(" ", 1)[0]
    if not (number.isascii() and number.isdigit()) or number.startswith("0"):
        return None
    return int(number)


def names_signal(comment: str, tag: str) -> bool:
    """True when an order or deal comment belongs to the signal tagged ``tag``: its own tag (:func:`carries_tag`)
    or one of its take-profit levels' (:func:`level_of`). A netting level's close ``<tag>/tp<n>`` is not one of the
    signal's orders: it is the agent's, made later by the target monitor."""
    return carries_tag(comment, tag) or level_of(comment, tag) is not None


def split_level(comment: str) -> tuple[str, int] | None:
    """The signal tag and level of a take-profit level's comment, whatever its signal: ``tvb:123/2 london`` ->
    (``tvb:123``, 2); ``None`` for a comment without a level (``tvb:123``, ``tvb:123/tp2``, a manual order's)."""
    head = comment.split(" ", 1)[0]
    tag, slash, _ = head.rpartition("/")
    if not slash:
        return None
    level = level_of(head, tag)
    return None if level is None else (tag, level)
