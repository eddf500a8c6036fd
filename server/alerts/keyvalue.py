"""key=value and plain-text alerts, including action-first CSV.

Tokens are separated by ``,``, ``;``, spaces, tabs or line breaks (CRLF too: soranoo/TradingView-Free-Webhook-
Alerts#92); ``"..."`` keeps a value with spaces together, and ``key = value`` is read as ``key=value``.

- **key=value** (the first token has ``=``): jakeshake/pinebridge ``signal=closelong,symbol=EURUSD,
  close_price=1.08000,exit_reason=stop_loss``; TradingRouter ``signal=buy,symbol=EURUSD,risk_lots=0.1``.
  The action is in ``signal=``/``action=``/``side=``/``type=``.
- **plain text** (the first token is a command): ``buy EURUSD``, ``sell XAUUSD lot=0.05 sl=2340.5``,
  TradingConnector ``long tradesymbol=EURUSD sl=100 tp=150 lotsize=0.15`` and ``cancel long``
  (tradingconnector.com/alertsyntax), TradeBridge action-first CSV ``BUY,EURUSD,VOLUME=0.10,SL=50,TP=100``
  (tradebridge.live/docs.html) and ``BUY SL=50 TP=100 LOT=0.01`` (sachgits/TradingView-MT5-Bridge), whose
  symbol comes from the strategy's default symbol. A bare word after the symbol is refused: the message must
  be an instruction, not a sentence (corpus ``EURUSD crossed 1.08``).

Units (design decision, docs/alerts.md): ``sl``/``tp``/``price``/``risk`` are read per the strategy's
PineConnector EA settings (ParseContext ``target_type``/``entry_type``/``volume_type``), exactly as in a
PineConnector message, because ``sl=2340.5`` could be a price or a distance; ``sl_price=``, ``sl_pips=``,
``sl_points=``, ``sl_pct=`` (and ``tp_*``, ``entry_*``, ``vol_*``, ``lots=``, ``qty=``) say their unit.
Unknown keys are kept in extras unless they look like an order setting (refused).
"""

from __future__ import annotations

import re

from contract.intent import AlertFormat, TradeIntent
from server.alerts.actions import resolve_command
from server.alerts.commands import Command, any_command
from server.alerts.context import AlertRejected, ParseContext
from server.alerts.fields import FieldSpec, Slot, compact
from server.alerts.numbers import NUMBER_RE, decimal_comma, label, show, show_keys
from server.alerts.orders import build_actions, finish, require_symbol
from server.alerts.params import Params

TOKEN_RE = re.compile(r'(?:"[^"]*"|[^\s,;"])+|"')
_SECOND_WORDS = {"long", "short", "all", "buy", "sell", "both"}


def tight_equals(text: str) -> str:
    r"""``sl = 50`` -> ``sl=50`` (spaces and tabs around ``=`` only; linear, unlike a ``\s*=\s*`` regex)."""
    parts = text.split("=")
    if len(parts) == 1:
        return text
    inner = [part.strip(" \t") for part in parts[1:-1]]
    return "=".join([parts[0].rstrip(" \t"), *inner, parts[-1].lstrip(" \t")])


def tokenize(text: str) -> list[tuple[str, str]]:
    """Split into ``(token, separator before it)`` pairs; an unclosed quote is refused."""
    text = tight_equals(text)
    tokens: list[tuple[str, str]] = []
    end = 0
    for match in TOKEN_RE.finditer(text):
        token = match.group()
        if token == '"':
            raise AlertRejected("A quote (\") in the alert is never closed. Close it, or remove the quote.")
        tokens.append((token, text[end : match.start()]))
        end = match.end()
    return tokens


def leading_command(tokens: list[tuple[str, str]]) -> tuple[Command | None, int]:
    """The command the message starts with and how many tokens it used (``cancel long`` uses two)."""
    if not tokens or "=" in tokens[0][0]:
        return None, 0
    first = tokens[0][0]
    if len(tokens) > 1 and tokens[1][0].lower() in _SECOND_WORDS:
        pair = any_command(first + tokens[1][0])
        if pair is not None:
            return pair, 2
    command = any_command(first)
    return (command, 1) if command is not None else (None, 0)


def parse_key_value(tokens: list[tuple[str, str]], ctx: ParseContext) -> TradeIntent:
    """``key=value`` pairs only; the action comes from ``signal=``/``action=``/``side=``/``type=``."""
    params = Params("text")
    _collect(tokens, params)
    command = resolve_command(params)
    if command is None:
        keys = show_keys(sorted({t.partition("=")[0] for t, _ in tokens}))
        raise AlertRejected(
            f"The key=value alert has no trade instruction (keys: {keys}). Add signal=buy, signal=sell, "
            "signal=closelong (or action=...) and symbol=EURUSD."
        )
    built = build_actions(command, params, ctx)
    symbol = require_symbol(params, ctx, needed=command.needs_symbol, what=command.name)
    return finish(AlertFormat.KEY_VALUE, params, built, symbol)


def parse_plain_text(tokens: list[tuple[str, str]], command: Command, used: int, ctx: ParseContext) -> TradeIntent:
    """A command word first, then an optional symbol, then ``key=value`` pairs."""
    params = Params("text")
    rest = tokens[used:]
    if rest and "=" not in rest[0][0]:
        word = rest[0][0]
        if NUMBER_RE.fullmatch(word) or any_command(word) is not None:
            raise _stray_word(word, tokens[0][0])
        params.add("symbol", FieldSpec(Slot.SYMBOL), word)
        rest = rest[1:]
    _collect(rest, params)
    built = build_actions(command, params, ctx)
    symbol = require_symbol(params, ctx, needed=command.needs_symbol, what=command.name)
    return finish(AlertFormat.PLAIN_TEXT, params, built, symbol)


def _collect(tokens: list[tuple[str, str]], params: Params) -> None:
    previous: tuple[str, str] | None = None
    for token, separator in tokens:
        key, equals, value = token.partition("=")
        if not equals:
            if previous is not None and separator == "," and token.isascii() and token.isdigit():
                if NUMBER_RE.fullmatch(previous[1]):
                    raise decimal_comma(previous[0], f"{previous[1]},{token}")
            raise _stray_word(token, None)
        if not key:
            raise AlertRejected(
                f"The part {show(token)} has no key before the = sign. Write it as key=value, such as sl=20."
            )
        value = value.strip()
        if len(value) >= 2 and value[0] == value[-1] == '"':
            value = value[1:-1]
        previous = (key, value)
        if value == "":
            key = label(key)
            raise AlertRejected(f"The alert's {key}= has no value. Write a value after the = sign, or remove {key}.")
        params.take(key, compact(key), value)


def _stray_word(word: str, command: str | None) -> AlertRejected:
    if NUMBER_RE.fullmatch(word):
        number = label(word, 20)
        return AlertRejected(
            f"The number {show(word)} has no key. Name it, such as lot={number}, sl={number} or tp={number}."
        )
    if command is not None or any_command(word) is not None:
        return AlertRejected(
            f"The alert has a second command {show(word)}. Send one command per alert, such as: buy EURUSD lot=0.1."
        )
    return AlertRejected(
        f"The alert has the word {show(word)} where a key=value parameter should be. Write the order as a "
        "command, a symbol and key=value parameters, such as: buy EURUSD lot=0.1 sl=20; tvbridge never reads "
        "a trade from free text."
    )
