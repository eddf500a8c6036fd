"""Alert language: raw TradingView webhook bodies to :class:`contract.intent.TradeIntent`.

:func:`parse_alert` is called on the webhook's hot path for every body. It detects the format from the
body (never the Content-Type; :mod:`server.alerts.detect`), parses it (:mod:`~server.alerts.json_format`,
:mod:`~server.alerts.pineconnector`, :mod:`~server.alerts.keyvalue`, opt-in :mod:`~server.alerts.tvdefault`)
and returns a normalized intent, or raises :class:`AlertRejected` whose text is a sentence for the trader:
what is wrong and how to fix the alert. It raises nothing else. :func:`extract_routing` finds the strategy
for the universal endpoint. Every accepted format is documented for traders in ``docs/alerts.md``.
"""

from __future__ import annotations

import logging

from contract.intent import TradeIntent
from server.alerts.commands import any_command
from server.alerts.context import (
    AlertRejected,
    Dialect,
    EaDistanceType,
    EaVolumeType,
    LicenseMismatch,
    ParseContext,
)
from server.alerts.detect import MAX_BODY_BYTES, body_text, looks_like_pineconnector
from server.alerts.json_format import parse_json
from server.alerts.keyvalue import leading_command, parse_key_value, parse_plain_text, tokenize
from server.alerts.numbers import show
from server.alerts.pineconnector import parse_pineconnector
from server.alerts.routing import Routing, extract_routing
from server.alerts.tvdefault import looks_like_default_message, parse_default_message

__all__ = [
    "MAX_BODY_BYTES",
    "AlertRejected",
    "Dialect",
    "EaDistanceType",
    "EaVolumeType",
    "LicenseMismatch",
    "ParseContext",
    "Routing",
    "extract_routing",
    "parse_alert",
]

logger = logging.getLogger(__name__)
_DEFAULT_CONTEXT = ParseContext()


def parse_alert(body: bytes, context: ParseContext | None = None) -> TradeIntent:
    """Parse a raw body (any Content-Type) into a TradeIntent; raise AlertRejected with a trader-facing reason.

    ``context`` carries the strategy's settings (PineConnector legacy units, License ID, default symbol,
    default lot, opt-in dialects); None means PineConnector's defaults. An unexpected internal error is
    logged and reported as AlertRejected too, so the webhook never fails on a body.
    """
    try:
        return _parse(body, context or _DEFAULT_CONTEXT)
    except AlertRejected:
        raise
    except Exception:
        logger.exception("alert parser failed on a %d-byte body", len(body))
        raise AlertRejected(
            "The alert could not be read because of an internal error in tvbridge's parser, so it was not traded. "
            "Please report it with the alert message; meanwhile try the JSON or PineConnector format."
        ) from None


def _parse(body: bytes, ctx: ParseContext) -> TradeIntent:
    intent = _parse_body(body_text(body), ctx)
    if ctx.license_id is not None and intent.license_id is not None and intent.license_id != ctx.license_id.strip():
        raise LicenseMismatch(
            f"The License ID {show(intent.license_id)} in the alert does not match the License ID set for this "
            "strategy. Correct it in the alert, or in the strategy settings.",
            intent.license_id,
        )
    return intent


def _empty_license_id(text: str, ctx: ParseContext) -> None:
    """Refuse ``,buy,EURUSD,vol_lots=0.1``: a PineConnector line whose License ID field is empty (a Pine variable
    left blank). PineConnector requires exactly one License ID first (docs.pineconnector.com/syntax); read as plain
    text it would trade without the License ID check, so it is never read that way."""
    first, comma, rest = text.partition(",")
    if not comma or first.strip() or any_command(rest.partition(",")[0].strip()) is None:
        return
    if ctx.license_id:
        raise LicenseMismatch(
            f"The PineConnector message {show(text, 40)} starts with an empty License ID, and this strategy's License "
            "ID is set, so it was not traded. Put the License ID first: 60123456789,buy,EURUSD,risk=0.1.",
            "",
        )
    raise AlertRejected(
        f"The PineConnector message {show(text, 40)} starts with an empty License ID (a comma first). Put the "
        "License ID first (60123456789,buy,EURUSD,risk=0.1), or send plain text without the leading comma "
        "(buy EURUSD lot=0.1)."
    )


def _parse_body(text: str, ctx: ParseContext) -> TradeIntent:
    _empty_license_id(text, ctx)
    if text[0] in "{[":
        return parse_json(text, ctx)
    if looks_like_pineconnector(text):
        return parse_pineconnector(text, ctx)
    tokens = tokenize(text)
    if tokens and "=" in tokens[0][0]:
        return parse_key_value(tokens, ctx)
    command, used = leading_command(tokens)
    if command is not None:
        return parse_plain_text(tokens, command, used, ctx)
    if Dialect.TRADINGVIEW_DEFAULT in ctx.dialects:
        intent = parse_default_message(text)
        if intent is not None:
            return intent
    raise _no_instruction(text)


def _no_instruction(text: str) -> AlertRejected:
    if looks_like_default_message(text):
        return AlertRejected(
            "This is TradingView's default strategy message (unrecognized format for orders by default). Replace "
            "the alert's Message with an order message (docs/alerts.md has one for strategies), or enable the "
            "'TradingView default message' option in the strategy settings."
        )
    return AlertRejected(
        f"The alert message {show(text)} has no trade instruction (not an order). Start it with a command, such as "
        "buy EURUSD lot=0.1, use PineConnector (60123456789,buy,EURUSD,risk=0.1) or JSON "
        "({\"symbol\": \"EURUSD\", \"action\": \"buy\", \"lots\": 0.1}); tvbridge never guesses a trade from "
        "free text."
    )
