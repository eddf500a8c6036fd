"""PineConnector comma syntax: ``LicenseID,command,SYMBOL,key=value,...``.

Grammar (docs.pineconnector.com/syntax, reference §1.2): fields are separated by commas, in a fixed order —
one License ID, one command, one symbol, then ``key=value`` parameters. Spaces around fields and any case
are accepted (the page shows both ``a,b`` and ``a , b``; ExecRelay folds case). Commands and their steps
are in :mod:`server.alerts.commands`; the accepted keys are :data:`server.alerts.fields.PINECONNECTOR_KEYS`
and anything else is refused naming the key (ExecRelay ``ErrUnknownParam``).

Specific rules:

- ``eaon``/``eaoff`` repeat the command in the symbol field (``60123456789,eaoff,eaoff``,
  pineconnector.com/pages/syntax; ExecRelay ``ErrManagementSymbol``).
- ``comment=`` loses surrounding quotes and is at most 20 characters (ExecRelay ``ErrCommentTooLong``).
- ``risk=0`` beside an explicit ``vol_*`` key is ignored (ExecRelay accepts ``vol_lots`` with ``risk=0``).
- A License ID different from the strategy's (ParseContext.license_id, when set) is refused.
- ``SYMBOL,command`` order is refused as "unknown command SYMBOL" unless the strategy enables the
  ``tradesgnl`` dialect (docs.tradesgnl.com/signals: ``LicenseID,SYMBOL,ACTION,...``; corpus TradeSgnl line).
- A bare number after a numeric parameter (``risk=0,5``) is a decimal comma and is refused (reference §5.3).
"""

from __future__ import annotations

from contract.intent import AlertFormat, TradeIntent
from server.alerts.commands import Command, pineconnector_command
from server.alerts.context import AlertRejected, Dialect, LicenseMismatch, ParseContext
from server.alerts.fields import KEYS, PINECONNECTOR_KEYS, TRADESGNL_ALIASES, FieldSpec, Slot, compact
from server.alerts.numbers import NUMBER_RE, decimal_comma, label, show
from server.alerts.orders import Built, build_actions, finish
from server.alerts.params import Params, Value, clean_symbol, strip_quotes

MAX_COMMENT = 20
_EXAMPLE = "60123456789,buy,EURUSD,risk=0.1"


def parse_pineconnector(text: str, ctx: ParseContext) -> TradeIntent:
    """Parse one PineConnector line (already stripped) into an intent, or refuse it."""
    if "\n" in text or "\r" in text:
        raise AlertRejected(
            "The PineConnector message has more than one line. Send one command per alert, on one line, "
            f"such as {_EXAMPLE}."
        )
    fields = [field.strip() for field in text.split(",")]
    license_id = fields[0]
    word = fields[1] if len(fields) > 1 else ""
    symbol_field = fields[2] if len(fields) > 2 else ""
    if not word:
        raise AlertRejected(
            f"The PineConnector message has no command after the License ID. Write it as {_EXAMPLE}."
        )
    tradesgnl = Dialect.TRADESGNL in ctx.dialects
    command = pineconnector_command(word)
    if command is None and tradesgnl and pineconnector_command(symbol_field) is not None:
        word, symbol_field = symbol_field, word
        command = pineconnector_command(word)
    if command is None:
        raise _unknown_command(word, symbol_field)
    if ctx.license_id is not None and license_id != ctx.license_id.strip():
        raise LicenseMismatch(
            f"The License ID {show(license_id)} in the alert does not match the License ID set for this strategy. "
            "Put the strategy's License ID first in the message, or correct it in the strategy settings.",
            license_id,
        )
    symbol = _symbol(command, word, symbol_field)
    params = _params(fields[3:], tradesgnl)
    built: Built = build_actions(command, params, ctx)
    return finish(AlertFormat.PINECONNECTOR, params, built, symbol, license_id=license_id)


def _unknown_command(word: str, symbol_field: str) -> AlertRejected:
    if pineconnector_command(symbol_field) is not None:
        return AlertRejected(
            f"The PineConnector message has an unknown command {show(word)}: the command must be the second field "
            f"({_EXAMPLE}). The order SYMBOL,command is the TradeSgnl syntax; enable the TradeSgnl dialect in "
            "the strategy settings to use it."
        )
    return AlertRejected(
        f"The PineConnector message has an unknown command {show(word)}. Use one of buy, sell, buylimit, buystop, "
        "selllimit, sellstop, closelong, closeshort, closelongshort, closeall, cancellong, cancelshort, "
        "newsltplong, newsltpshort, eaon, eaoff (docs/alerts.md lists them all)."
    )


def _symbol(command: Command, word: str, field: str) -> str | None:
    folded = word.lower().replace(" ", "")
    if command.name in ("eaon", "eaoff"):
        if field.lower().replace(" ", "") != command.name:
            raise AlertRejected(
                f"The command {command.name} takes the command again in place of the symbol. Write it as "
                f"60123456789,{command.name},{command.name}."
            )
        return None
    if not field:
        raise AlertRejected(
            f"The PineConnector message has no symbol after the command {show(folded)}. Write it as {_EXAMPLE}."
        )
    if "=" in field:
        raise AlertRejected(
            f"The third field {show(field)} should be the symbol, but it is a parameter. Write the symbol "
            f"after the command: {_EXAMPLE}."
        )
    return clean_symbol(Value("symbol", FieldSpec(Slot.SYMBOL), field))


def _params(fields: list[str], tradesgnl: bool) -> Params:
    params = Params("text")
    seen: set[str] = set()
    zero_risk: tuple[str, str] | None = None
    previous: tuple[str, str] | None = None
    for field in fields:
        if not field:
            continue
        key, equals, value = field.partition("=")
        if not equals:
            raise _bare_field(field, previous)
        key, value = label(key.strip()), value.strip()
        name = compact(key)
        if tradesgnl:
            name = TRADESGNL_ALIASES.get(name, name)
        if name not in PINECONNECTOR_KEYS:
            raise AlertRejected(
                f"The PineConnector message has an unknown parameter {show(key)}. Remove it, or use a documented "
                "parameter such as risk=, vol_lots=, sl=, tp=, sl_pips=, tp_price=, comment= (docs/alerts.md)."
            )
        if not value:
            raise AlertRejected(f"The alert's {key}= has no value. Write a value after the = sign, or remove {key}.")
        if name in seen:
            raise AlertRejected(f"The alert's {key} appears twice in the message. Keep only one {key}=.")
        seen.add(name)
        previous = (key, value)
        if name == "comment":
            value = strip_quotes(value)
            if len(value) > MAX_COMMENT:
                raise AlertRejected(
                    f"The comment is {len(value)} characters; PineConnector allows at most {MAX_COMMENT}. "
                    "Shorten the comment."
                )
        if name == "risk" and _is_zero(value):
            zero_risk = (key, value)
            continue
        params.add(key, KEYS[name], value)
    if zero_risk is not None and params.get(Slot.VOLUME) is None:
        params.add(zero_risk[0], KEYS["risk"], zero_risk[1])  # refused as zero volume when used
    return params


def _is_zero(value: str) -> bool:
    return bool(NUMBER_RE.fullmatch(value)) and float(value) == 0


def _bare_field(field: str, previous: tuple[str, str] | None) -> AlertRejected:
    if previous is not None and field.isascii() and field.isdigit() and NUMBER_RE.fullmatch(previous[1]):
        return decimal_comma(previous[0], f"{previous[1]},{field}")
    if pineconnector_command(field) is not None:
        return AlertRejected(
            f"The PineConnector message has a second command {show(field)}. Send one command per alert."
        )
    return AlertRejected(
        f"The field {show(field)} is not a key=value parameter. After LicenseID,command,SYMBOL every field "
        f"must look like risk=0.1 or sl=20 ({_EXAMPLE},sl=20)."
    )
