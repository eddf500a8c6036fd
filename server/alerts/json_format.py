"""JSON alerts: strict decoding with a diagnosis of the usual mistakes, then the common field names.

A body that starts with ``{`` or ``[`` is JSON, whatever the Content-Type: TradingView sends ``text/plain``
for anything that is not strictly valid JSON, e.g. JSON followed by a newline (reference §4;
alleyway/add-tradingview-alerts-tool#140). Decoding is strict — no repair — and a failure says what is wrong
and where (line and column): trailing comma (corpus line; fabston/TradingView-Webhook-Bot#37), single
quotes, unquoted key, missing comma, unclosed string, text after the object. ``NaN``/``Infinity`` literals
and keys that appear twice are refused too (Python's json accepts both silently).

Nested objects are flattened: ``meta``, ``strategy`` (when an object) and ``strategy_info`` (3Commas) are
transparent (``meta.ticker`` -> ``ticker``, ``strategy.order.action`` -> ``order_action``); other objects
prefix their keys (``stopLoss.stopPrice``, ``order.amount``). Key meanings are in
:mod:`server.alerts.fields`; JSON's fixed units are in :mod:`server.alerts.orders`.

Shapes: plain ``{"symbol","action","lots",...}``; TradersPost (``action`` buy/sell/exit/cancel/add with
``sentiment``, see :mod:`server.alerts.actions`); the TradingView strategy shape with ``market_position`` or
``position_size`` (-> a SyncAction, :mod:`server.alerts.strategy_sync`); 3Commas (``strategy_info``,
``max_lag`` -> ``max_age_seconds``). A JSON without an action is not an order (corpus fabston/robswc
notification payloads): it is refused, never read from its free text.
"""

from __future__ import annotations

import json
from typing import Any

from contract.intent import AlertFormat, TradeIntent, VolumeUnit
from server.alerts.actions import resolve_command
from server.alerts.context import AlertRejected, ParseContext
from server.alerts.fields import KEYS, FieldSpec, Slot, compact
from server.alerts.lifetime import check_sync_lifetime
from server.alerts.numbers import label, show, show_keys
from server.alerts.orders import build_actions, finish, require_symbol
from server.alerts.params import Params, text_of
from server.alerts.strategy_sync import build_sync, is_sync
from server.alerts.takeprofits import take_json_list

_TRANSPARENT = {"meta", "strategy", "strategyinfo"}
_MAX_DEPTH = 4


class _Refused(ValueError):
    """Raised inside json.loads hooks; turned into AlertRejected by :func:`decode`."""


def decode(text: str) -> Any:
    """Strictly decode ``text`` or refuse it with the reason and its line/column."""
    try:
        return json.loads(text, parse_constant=_constant, object_pairs_hook=_no_duplicates)
    except json.JSONDecodeError as exc:
        raise AlertRejected(_diagnose(exc)) from None
    except _Refused as exc:
        raise AlertRejected(str(exc)) from None
    except RecursionError:
        raise AlertRejected("The JSON is nested too deeply to be an alert. Send one flat JSON object.") from None
    except ValueError:
        raise AlertRejected("The JSON holds a number too long to be a real value. Check the numbers.") from None


def _constant(name: str) -> Any:
    raise _Refused(
        f"The JSON contains {name}, which is not a number (NaN): a Pine variable was na when the alert fired. "
        "Only fire the alert when the value exists (test it with na()), or leave that field out."
    )


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for key, value in pairs:
        if key in result:
            raise _Refused(f"The JSON has the key {show(key)} twice. Keep only one of them.")
        result[key] = value
    return result


def _diagnose(exc: json.JSONDecodeError) -> str:
    doc, pos = exc.doc, exc.pos
    where = f"at line {exc.lineno}, column {exc.colno}"
    char = doc[pos] if pos < len(doc) else ""
    before = doc[:pos].rstrip()[-1:]
    fix = "Fix the alert's message so it is valid JSON (a JSON validator shows the spot)."
    if pos >= len(doc.rstrip()):
        what = f"the JSON ends early {where}: a value or a closing bracket is missing"
    elif char in ("}", "]") and before == ",":
        return (
            f"The alert is invalid JSON: a trailing comma before {char} {where}. Remove the comma after the last "
            "field (invalid JSON arrives as plain text and cannot be read)."
        )
    elif char == "'":
        what = f"single quotes {where}; JSON needs double quotes around keys and text"
    elif exc.msg.startswith("Expecting property name"):
        what = f"a key without double quotes {where}"
    elif exc.msg.startswith("Expecting ',' delimiter"):
        what = f"a missing comma between two fields {where}"
    elif exc.msg.startswith("Unterminated string"):
        what = f"a text value that is never closed with a double quote {where}"
    elif exc.msg.startswith("Invalid control character"):
        what = f"a line break or tab inside a text value {where}"
    elif exc.msg.startswith("Extra data"):
        what = f"more text after the end of the JSON object {where} (two alerts pasted together?)"
    elif exc.msg.startswith("Expecting value") and doc[pos : pos + 3].lower() in ("nan", "inf"):
        what = f"NaN or inf {where}, which is not a number (a Pine variable was na)"
    elif exc.msg.startswith("Expecting value"):
        what = f"a value that is not valid JSON {where} (text must be in double quotes)"
    else:
        what = f"{exc.msg.lower()} {where}"
    return f"The alert is invalid JSON: {what}. {fix}"


def parse_json(text: str, ctx: ParseContext) -> TradeIntent:
    """Parse a JSON body (already stripped, starting with ``{`` or ``[``)."""
    data = decode(text)
    if isinstance(data, list):
        raise AlertRejected("The alert is a JSON list. Send one JSON object per alert, such as "
                            "{\"symbol\": \"EURUSD\", \"action\": \"buy\", \"lots\": 0.1}.")
    if not isinstance(data, dict):
        raise AlertRejected("The alert is not a JSON object. Send an object such as "
                            "{\"symbol\": \"EURUSD\", \"action\": \"buy\", \"lots\": 0.1}.")
    params = Params("json")
    _flatten(data, params, "", "", 0)
    _order_amount(params)
    if is_sync(params):
        check_sync_lifetime(params)
        built = build_sync(params, ctx)
        symbol = require_symbol(params, ctx, needed=True, what="strategy position")
        return finish(AlertFormat.JSON, params, built, symbol)
    command = resolve_command(params)
    if command is None:
        raise AlertRejected(
            f"The JSON alert has no trade instruction (keys: {show_keys(list(data))}): it needs an \"action\" "
            "such as buy, sell or closelong, or TradingView's strategy.market_position. tvbridge never guesses a "
            "trade from free text; this looks like a notification, not an order."
        )
    built = build_actions(command, params, ctx)
    symbol = require_symbol(params, ctx, needed=command.needs_symbol, what=command.name)
    return finish(AlertFormat.JSON, params, built, symbol)


def _flatten(obj: dict[str, Any], p: Params, written: str, prefix: str, depth: int) -> None:
    for key, value in obj.items():
        path = f"{written}.{key}" if written else key
        name = prefix + compact(key)
        if isinstance(value, dict):
            if depth >= _MAX_DEPTH:
                p.extra(path, json.dumps(value)[:200])
            else:
                inner = "" if not prefix and compact(key) in _TRANSPARENT else name
                _flatten(value, p, path, inner, depth + 1)
            continue
        if value is None or value == "":
            continue
        if isinstance(value, list):
            if name == "takeprofits":
                take_json_list(value, p, path)
                continue
            if name == "type" or name in KEYS:
                raise AlertRejected(
                    f"The alert's {label(path)} is a list; it must be a single value. Send one value for "
                    f"{label(path)}."
                )
            p.take(path, name, json.dumps(value)[:200])
            continue
        p.take(path, name, value)


def _order_amount(p: Params) -> None:
    """3Commas ``order.amount``: a size in base units (coins) unless ``currency_type`` is quote (money)."""
    amount = p.get(Slot.ORDER_AMOUNT)
    if amount is None or is_sync(p) or p.get(Slot.VOLUME) is not None:
        return
    currency = p.get(Slot.CURRENCY_TYPE)
    if currency is not None and (text_of(currency, 20) or "").lower() == "quote":
        raise AlertRejected(
            "The order.amount is in the quote currency (money), which tvbridge cannot size. Send the amount in base "
            "units (currency_type base), or lots."
        )
    p.add(amount.key, FieldSpec(Slot.VOLUME, str(VolumeUnit.UNITS)), amount.raw)
