"""Small number helpers: exact decimals from floats, and the number formats used in trader-facing sentences."""

from __future__ import annotations

import re
from decimal import Decimal

from contract.settings import MAX_COMMENT_CHARS


def dec(value: float | int | str | Decimal) -> Decimal:
    """An exact :class:`Decimal` of the shortest repr of ``value`` (``0.1`` -> ``Decimal("0.1")``).

    Going through ``str`` keeps ``0.1 + 0.2`` style artefacts out of lot and price arithmetic
    (mt5-api §4.1 normalises volumes with decimals for the same reason).
    """
    return value if isinstance(value, Decimal) else Decimal(str(value))


def plain(value: float | Decimal) -> str:
    """``value`` without trailing zeros or exponent: ``0.50`` -> ``"0.5"``, ``1E+1`` -> ``"10"``."""
    return format(dec(value).normalize(), "f")


def fmt_lots(value: float | Decimal) -> str:
    """Lots with at least two decimals and at most six: ``0.5`` -> ``"0.50"``, ``0.0037313`` -> ``"0.003731"``."""
    text = f"{dec(value):.6f}".rstrip("0")
    whole, _, frac = text.partition(".")
    return f"{whole}.{frac.ljust(2, '0')}"


def fmt_price(value: float | Decimal, digits: int) -> str:
    """A price with the symbol's digits: ``fmt_price(1.1, 5)`` -> ``"1.10000"``."""
    return f"{dec(value):.{max(digits, 0)}f}"


def fmt_money(value: float | Decimal, currency: str) -> str:
    """An account-currency amount: ``fmt_money(100, "USD")`` -> ``"100.00 USD"``."""
    return f"{dec(value):,.2f} {currency}".rstrip()


def order_comment(comment: str) -> str:
    """The strategy comment made safe for ``order_send``: ASCII only, at most 27 characters (mt5-api §2.3)."""
    return comment.encode("ascii", "ignore").decode("ascii")[:MAX_COMMENT_CHARS]


_SIGNAL_TAG = re.compile(r"^(tvb:\d+)")
_LEVEL_TAG = re.compile(r"^(tvb:\d+)/(\d{1,2})(?!\d)")


def level_comment(comment: str, level: int) -> str:
    """The comment of take-profit level ``level``'s order: ``/<level>`` right after the signal's ``tvb:<id>``
    (``tvb:123`` -> ``tvb:123/2``), so each level's order is found on its own after a crash (agent/executor.py)
    while the ledger still reads the signal id (``tvb:(\\d+)``)."""
    return _SIGNAL_TAG.sub(lambda m: f"{m.group(1)}/{level}", comment, count=1)


def split_level(comment: str) -> tuple[str, int | None]:
    """``tvb:123/2 ...`` -> (``tvb:123 ...``, 2); a comment without a level tag comes back unchanged with None."""
    found = _LEVEL_TAG.match(comment)
    if found is None:
        return comment, None
    return found.group(1) + comment[found.end():], int(found.group(2))
