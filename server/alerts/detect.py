"""Reading the raw body and deciding its format — from the body alone, never from the Content-Type.

TradingView sends ``application/json`` only when the whole message is strictly valid JSON and ``text/plain``
otherwise, so the header says nothing useful (reference §4; alleyway/add-tradingview-alerts-tool#140).
The chain (reference §5.3): JSON (starts with ``{``/``[``) -> PineConnector (a License ID first) ->
key=value -> plain text (a command first) -> opt-in dialects -> refused as "no trade instruction".

Refused before any format is tried:

- bodies over 64 KiB (TradingView documents no limit; reference §4 says accept at least 16 KB and cap);
- bytes that are not UTF-8 text;
- empty bodies (corpus: an order-fill alert with an empty Message);
- unsubstituted ``{{...}}`` placeholders (TradingView placeholder docs, support article 43000531021:
  placeholders are case-sensitive and ``{{strategy.*}}`` only work in strategy alerts; corpus
  ``{{strategy.order.alert_message}}``; jakeshake/pinebridge tests).
"""

from __future__ import annotations

import re

from server.alerts.commands import any_command
from server.alerts.context import AlertRejected
from server.alerts.numbers import show

MAX_BODY_BYTES = 64 * 1024
#: ``{{name}}``, ``{{plot("RSI")}}``: a letter first, so ``{{"a": 1}}`` (bad JSON) is not taken for one.
_PLACEHOLDER = re.compile(r"\{\{ ?[A-Za-z_][^{}\n]{0,79}\}\}")


def body_text(body: bytes) -> str:
    """The body as stripped text; refuses oversized, non-UTF-8, empty and placeholder-bearing bodies."""
    if len(body) > MAX_BODY_BYTES:
        raise AlertRejected(
            f"The alert is {len(body) // 1024} KiB; tvbridge accepts at most 64 KiB. Send a short order message."
        )
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        raise AlertRejected(
            "The alert is not UTF-8 text, so it cannot be read. Send the order as plain text or JSON from "
            "TradingView's Message box."
        ) from None
    text = text.lstrip("\ufeff").strip()
    if not text:
        raise AlertRejected(
            "The alert message is empty (empty body). Put an order in the alert's Message box, such as "
            "{\"symbol\": \"{{ticker}}\", \"action\": \"buy\", \"lots\": 0.1} or 60123456789,buy,EURUSD,risk=0.1."
        )
    placeholder = find_placeholder(text)
    if placeholder is not None:
        raise AlertRejected(_placeholder_message(placeholder))
    return text


def find_placeholder(text: str) -> str | None:
    """The first ``{{name}}`` left in the text, if any."""
    if "{{" not in text:
        return None
    match = _PLACEHOLDER.search(text)
    return match.group() if match else None


def _placeholder_message(placeholder: str) -> str:
    head = (
        f"The alert contains the placeholder {show(placeholder, 60)}, which TradingView did not substitute, "
        "so the message does not say what to trade."
    )
    if "alert_message" in placeholder:
        return (
            f"{head} The alert is not attached to the strategy's order fills, or the strategy's orders set no "
            "alert_message: create the alert on the strategy (Order fills) and give every strategy.entry/exit "
            "an alert_message, or type the order in the Message box."
        )
    if "strategy." in placeholder:
        return (
            f"{head} {{{{strategy.*}}}} placeholders work only in alerts created on a strategy; check its spelling "
            "(placeholders are case-sensitive) or create the alert on the strategy."
        )
    return (
        f"{head} Check its spelling (placeholders are case-sensitive, such as {{{{ticker}}}}, {{{{close}}}}, "
        "{{timenow}}) or remove it."
    )


def looks_like_pineconnector(text: str) -> bool:
    """A License ID (one word, no ``=``, not a command) followed by a comma: ``60123456789,buy,EURUSD``."""
    first, comma, _ = text.partition(",")
    if not comma:
        return False
    first = first.strip()
    if not first or "=" in first or any(ch.isspace() for ch in first) or len(first) > 64:
        return False
    return any_command(first) is None
