"""Every MT5 trade retcode and ``last_error()`` code, mapped to what the agent does and what the trader reads.

Sources: retcode names and meanings from the MQL5 reference ENUM_TRADE_RETURN_CODES
(https://www.mql5.com/en/docs/constants/errorswarnings/enum_trade_return_codes); the retry/final/ambiguous
classification from ``reference/mt5-api.md`` §3.2 (MetaQuotes' own ``Buy``/``Sell`` helpers retry exactly
10004 and 10021); IPC codes and messages from §1.2.

Error tree (each class says what the caller must do)::

    TerminalError               the terminal did not do what was asked
     ├─ TerminalUnavailable     no IPC / not logged in: reconnect, then retry the job later
     ├─ OrderRefused            final: the broker or terminal said no; record the reason, never retry
     └─ OrderOutcomeUnknown     the request may have reached the server: reconcile before anything else
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class RetcodeClass(StrEnum):
    """What to do with a retcode."""

    DONE = "done"  # success (10008 placed, 10009 done, 10010 partial, 10025 no changes)
    RETRY_PRICE = "retry_price"  # re-read the tick and resend (requote, price changed, no prices)
    RETRY_LATER = "retry_later"  # back off and resend (too many requests, locked, no connection)
    NEXT_FILLING = "next_filling"  # try the next filling policy (10030)
    AMBIGUOUS = "ambiguous"  # may have executed: reconcile (10012 timeout)
    FINAL = "final"  # refused: report


@dataclass(frozen=True)
class RetcodeInfo:
    """A retcode's constant name, class and the sentence shown to the trader."""

    name: str
    kind: RetcodeClass
    sentence: str


_R = RetcodeClass
RETCODES: dict[int, RetcodeInfo] = {
    10004: RetcodeInfo("REQUOTE", _R.RETRY_PRICE, "The broker requoted the price."),
    10006: RetcodeInfo("REJECT", _R.FINAL, "The broker rejected the request."),
    10007: RetcodeInfo("CANCEL", _R.FINAL, "The request was cancelled in the terminal."),
    10008: RetcodeInfo("PLACED", _R.DONE, "Order placed."),
    10009: RetcodeInfo("DONE", _R.DONE, "Request completed."),
    10010: RetcodeInfo("DONE_PARTIAL", _R.DONE, "Only part of the volume was filled."),
    10011: RetcodeInfo("ERROR", _R.FINAL, "The broker reported a request processing error."),
    10012: RetcodeInfo("TIMEOUT", _R.AMBIGUOUS, "The request timed out at the broker."),
    10013: RetcodeInfo("INVALID", _R.FINAL, "The broker called the request invalid."),
    10014: RetcodeInfo(
        "INVALID_VOLUME", _R.FINAL, "The broker refused the volume (check the symbol's lot step, minimum and maximum)."
    ),
    10015: RetcodeInfo(
        "INVALID_PRICE",
        _R.FINAL,
        "The broker refused the price (a pending order on the wrong side of the market, or off the tick size).",
    ),
    10016: RetcodeInfo(
        "INVALID_STOPS",
        _R.FINAL,
        "The broker refused the stop-loss or take-profit "
        "(wrong side of the price, or closer than the symbol's stops level).",
    ),
    10017: RetcodeInfo("TRADE_DISABLED", _R.FINAL, "Trading is disabled for this symbol or account."),
    10018: RetcodeInfo("MARKET_CLOSED", _R.FINAL, "The market for this symbol is closed."),
    10019: RetcodeInfo("NO_MONEY", _R.FINAL, "Not enough free margin for this volume."),
    10020: RetcodeInfo("PRICE_CHANGED", _R.RETRY_PRICE, "The price changed."),
    10021: RetcodeInfo("PRICE_OFF", _R.RETRY_PRICE, "The broker has no quotes for this symbol right now."),
    10022: RetcodeInfo("INVALID_EXPIRATION", _R.FINAL, "The broker refused the order's expiration."),
    10023: RetcodeInfo("ORDER_CHANGED", _R.FINAL, "The order changed state while the request was processed."),
    10024: RetcodeInfo("TOO_MANY_REQUESTS", _R.RETRY_LATER, "Too many requests to the broker."),
    10025: RetcodeInfo("NO_CHANGES", _R.DONE, "Nothing to change."),
    10026: RetcodeInfo("SERVER_DISABLES_AT", _R.FINAL, "The broker does not allow automated trading on this account."),
    10027: RetcodeInfo(
        "CLIENT_DISABLES_AT",
        _R.FINAL,
        "AutoTrading (Algo Trading) is switched off in MetaTrader 5: "
        "press the Algo Trading button in the terminal's toolbar.",
    ),
    10028: RetcodeInfo("LOCKED", _R.RETRY_LATER, "The request is locked for processing."),
    10029: RetcodeInfo(
        "FROZEN", _R.FINAL, "The order or position is frozen: the price is inside the symbol's freeze level."
    ),
    10030: RetcodeInfo(
        "INVALID_FILL", _R.NEXT_FILLING, "The broker does not support this filling mode for the symbol."
    ),
    10031: RetcodeInfo("CONNECTION", _R.RETRY_LATER, "MetaTrader 5 has no connection to the broker's trade server."),
    10032: RetcodeInfo("ONLY_REAL", _R.FINAL, "This operation is allowed for live accounts only."),
    10033: RetcodeInfo("LIMIT_ORDERS", _R.FINAL, "The account's limit of pending orders is reached."),
    10034: RetcodeInfo("LIMIT_VOLUME", _R.FINAL, "The symbol's volume limit for open positions and orders is reached."),
    10035: RetcodeInfo("INVALID_ORDER", _R.FINAL, "The broker does not allow this order type for the symbol."),
    10036: RetcodeInfo("POSITION_CLOSED", _R.FINAL, "The position was already closed."),
    10038: RetcodeInfo("INVALID_CLOSE_VOLUME", _R.FINAL, "The close volume exceeds the position's volume."),
    10039: RetcodeInfo("CLOSE_ORDER_EXIST", _R.FINAL, "A close order already exists for this position."),
    10040: RetcodeInfo("LIMIT_POSITIONS", _R.FINAL, "The account's limit of open positions is reached."),
    10041: RetcodeInfo(
        "REJECT_CANCEL", _R.FINAL, "The pending order's activation was rejected and the order cancelled."
    ),
    10042: RetcodeInfo("LONG_ONLY", _R.FINAL, "The symbol allows long (buy) positions only."),
    10043: RetcodeInfo("SHORT_ONLY", _R.FINAL, "The symbol allows short (sell) positions only."),
    10044: RetcodeInfo("CLOSE_ONLY", _R.FINAL, "The symbol allows closing positions only."),
    10045: RetcodeInfo("FIFO_CLOSE", _R.FINAL, "The account requires closing the oldest position first (FIFO rule)."),
    10046: RetcodeInfo(
        "HEDGE_PROHIBITED", _R.FINAL, "Opposite positions on one symbol are not allowed on this account."
    ),
}


def retcode_info(retcode: int) -> RetcodeInfo:
    """The mapping for ``retcode``; unknown codes are final with a sentence that quotes the number."""
    return RETCODES.get(
        retcode, RetcodeInfo(str(retcode), RetcodeClass.FINAL, f"The broker answered with code {retcode}.")
    )


#: ``last_error()`` codes (mt5-api §1.2) -> sentence. Codes -10001/-10002 are ambiguous for order_send.
IPC_ERRORS: dict[int, str] = {
    -1: "MetaTrader 5 reported a failed call.",
    -2: "The request had an invalid parameter (a bug in tvbridge: please report it).",
    -3: "MetaTrader 5 ran out of memory.",
    -4: "MetaTrader 5 did not find the requested item.",
    -5: "The MetaTrader5 Python package and the terminal versions do not match: update the terminal.",
    -6: "MetaTrader 5 refused the login: check the account number, password and server name.",
    -7: "This account needs a one-time password or certificate, which automated login cannot provide.",
    -8: "Trading through the Python API is disabled in MetaTrader 5 (Tools > Options > Expert Advisors).",
    -10000: "The connection to MetaTrader 5 returned an unexpected reply.",
    -10001: "The connection to MetaTrader 5 broke while sending (was the terminal closed?).",
    -10002: "The connection to MetaTrader 5 broke while waiting for the answer.",
    -10003: "MetaTrader 5 could not be started or found: check the terminal path (terminal64.exe).",
    -10004: "tvbridge is not connected to MetaTrader 5.",
    -10005: "MetaTrader 5 did not become ready in time: is it logged in and connected to the broker?",
}

#: ``order_send`` returned None with these codes: the request may have reached the server.
AMBIGUOUS_IPC = frozenset({-10000, -10001, -10002})
#: Codes that mean the connection is gone: reconnect before anything else.
DISCONNECTED_IPC = frozenset({-10001, -10002, -10003, -10004, -10005})


def ipc_sentence(code: int, message: str) -> str:
    """The sentence for a ``last_error()`` pair, keeping MT5's own text for support."""
    known = IPC_ERRORS.get(code, "MetaTrader 5 reported an error.")
    return f"{known} (MT5: {code} {message})"


class TerminalError(Exception):
    """Base of the terminal errors; ``str()`` is a sentence for the trader."""


class TerminalUnavailable(TerminalError):
    """No usable connection to the terminal: reconnect, then retry the job (nothing was sent)."""


class OrderRefused(TerminalError):
    """Final refusal: record it, never retry. ``retcode`` is the trade server's code, if any."""

    def __init__(self, message: str, retcode: int | None = None) -> None:
        super().__init__(message)
        self.retcode = retcode


class OrderOutcomeUnknown(TerminalError):
    """The request may have executed (timeout, IPC break mid-call): reconcile by comment before any resend."""
