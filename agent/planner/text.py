"""Small number helpers: exact decimals from floats, and the number formats used in trader-facing sentences."""

from __future__ import annotations

from decimal import Decimal


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
