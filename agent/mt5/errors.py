"""Every MT5 trade retcode and ``last_error()`` code, mapped to what the adapter does and what the trader reads.

Sources: retcode names and meanings from the MQL5 reference ENUM_TRADE_RETURN_CODES
(https://www.mql5.com/en/docs/constants/errorswarnings/enum_trade_return_codes); the retry/final/ambiguous
classification from ``reference/mt5-api.md`` §3.2 (MetaQuotes' own ``Buy``/``Sell`` helpers retry exactly
10004 and 10021); IPC codes and messages from §1.2. The adapter raises the broker-neutral errors of
:mod:`agent.broker.errors` with these sentences.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from agent.mt5 import constants as c
from agent.mt5.flags import TRADE_RETCODE_HEDGE_PROHIBITED

#: Retcode -> its constant name without the ``TRADE_RETCODE_`` prefix (``10004`` -> ``"REQUOTE"``).
RETCODE_NAMES: dict[int, str] = {
    value: name.removeprefix("TRADE_RETCODE_") for name, value in vars(c).items() if name.startswith("TRADE_RETCODE_")
}
RETCODE_NAMES[TRADE_RETCODE_HEDGE_PROHIBITED] = "HEDGE_PROHIBITED"


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
    """A retcode's class and the sentence shown to the trader."""

    kind: RetcodeClass
    sentence: str


_R = RetcodeClass
RETCODES: dict[int, RetcodeInfo] = {
    c.TRADE_RETCODE_REQUOTE: RetcodeInfo(_R.RETRY_PRICE, "The broker requoted the price."),
    c.TRADE_RETCODE_REJECT: RetcodeInfo(_R.FINAL, "The broker rejected the request."),
    c.TRADE_RETCODE_CANCEL: RetcodeInfo(_R.FINAL, "The request was cancelled in the terminal."),
    c.TRADE_RETCODE_PLACED: RetcodeInfo(_R.DONE, "Order placed."),
    c.TRADE_RETCODE_DONE: RetcodeInfo(_R.DONE, "Request completed."),
    c.TRADE_RETCODE_DONE_PARTIAL: RetcodeInfo(_R.DONE, "Only part of the volume was filled."),
    c.TRADE_RETCODE_ERROR: RetcodeInfo(_R.FINAL, "The broker reported a request processing error."),
    c.TRADE_RETCODE_TIMEOUT: RetcodeInfo(_R.AMBIGUOUS, "The request timed out at the broker."),
    c.TRADE_RETCODE_INVALID: RetcodeInfo(_R.FINAL, "The broker called the request invalid."),
    c.TRADE_RETCODE_INVALID_VOLUME: RetcodeInfo(
        _R.FINAL, "The broker refused the volume (check the symbol's lot step, minimum and maximum)."
    ),
    c.TRADE_RETCODE_INVALID_PRICE: RetcodeInfo(
        _R.FINAL,
        "The broker refused the price (a pending order on the wrong side of the market, or off the tick size).",
    ),
    c.TRADE_RETCODE_INVALID_STOPS: RetcodeInfo(
        _R.FINAL,
        "The broker refused the stop-loss or take-profit "
        "(wrong side of the price, or closer than the symbol's stops level).",
    ),
    c.TRADE_RETCODE_TRADE_DISABLED: RetcodeInfo(_R.FINAL, "Trading is disabled for this symbol or account."),
    c.TRADE_RETCODE_MARKET_CLOSED: RetcodeInfo(_R.FINAL, "The market for this symbol is closed."),
    c.TRADE_RETCODE_NO_MONEY: RetcodeInfo(_R.FINAL, "Not enough free margin for this volume."),
    c.TRADE_RETCODE_PRICE_CHANGED: RetcodeInfo(_R.RETRY_PRICE, "The price changed."),
    c.TRADE_RETCODE_PRICE_OFF: RetcodeInfo(_R.RETRY_PRICE, "The broker has no quotes for this symbol right now."),
    c.TRADE_RETCODE_INVALID_EXPIRATION: RetcodeInfo(
        _R.FINAL,
        "The broker refused the order's expiration: the symbol does not take that lifetime (see its expiration "
        "modes in the terminal's Specification window), or the time had already passed on the trade server's "
        "clock. Send the alert with timeInForce=gtc or day, or a later expiry.",
    ),
    c.TRADE_RETCODE_ORDER_CHANGED: RetcodeInfo(_R.FINAL, "The order changed state while the request was processed."),
    c.TRADE_RETCODE_TOO_MANY_REQUESTS: RetcodeInfo(_R.RETRY_LATER, "Too many requests to the broker."),
    c.TRADE_RETCODE_NO_CHANGES: RetcodeInfo(_R.DONE, "Nothing to change."),
    c.TRADE_RETCODE_SERVER_DISABLES_AT: RetcodeInfo(
        _R.FINAL, "The broker does not allow automated trading on this account."
    ),
    c.TRADE_RETCODE_CLIENT_DISABLES_AT: RetcodeInfo(
        _R.FINAL,
        "AutoTrading (Algo Trading) is switched off in MetaTrader 5: "
        "press the Algo Trading button in the terminal's toolbar.",
    ),
    c.TRADE_RETCODE_LOCKED: RetcodeInfo(_R.RETRY_LATER, "The request is locked for processing."),
    c.TRADE_RETCODE_FROZEN: RetcodeInfo(
        _R.FINAL, "The order or position is frozen: the price is inside the symbol's freeze level."
    ),
    c.TRADE_RETCODE_INVALID_FILL: RetcodeInfo(
        _R.NEXT_FILLING, "The broker does not support this filling mode for the symbol."
    ),
    c.TRADE_RETCODE_CONNECTION: RetcodeInfo(
        _R.RETRY_LATER, "MetaTrader 5 has no connection to the broker's trade server."
    ),
    c.TRADE_RETCODE_ONLY_REAL: RetcodeInfo(_R.FINAL, "This operation is allowed for live accounts only."),
    c.TRADE_RETCODE_LIMIT_ORDERS: RetcodeInfo(_R.FINAL, "The account's limit of pending orders is reached."),
    c.TRADE_RETCODE_LIMIT_VOLUME: RetcodeInfo(
        _R.FINAL, "The symbol's volume limit for open positions and orders is reached."
    ),
    c.TRADE_RETCODE_INVALID_ORDER: RetcodeInfo(_R.FINAL, "The broker does not allow this order type for the symbol."),
    c.TRADE_RETCODE_POSITION_CLOSED: RetcodeInfo(_R.FINAL, "The position was already closed."),
    c.TRADE_RETCODE_INVALID_CLOSE_VOLUME: RetcodeInfo(_R.FINAL, "The close volume exceeds the position's volume."),
    c.TRADE_RETCODE_CLOSE_ORDER_EXIST: RetcodeInfo(_R.FINAL, "A close order already exists for this position."),
    c.TRADE_RETCODE_LIMIT_POSITIONS: RetcodeInfo(_R.FINAL, "The account's limit of open positions is reached."),
    c.TRADE_RETCODE_REJECT_CANCEL: RetcodeInfo(
        _R.FINAL, "The pending order's activation was rejected and the order cancelled."
    ),
    c.TRADE_RETCODE_LONG_ONLY: RetcodeInfo(_R.FINAL, "The symbol allows long (buy) positions only."),
    c.TRADE_RETCODE_SHORT_ONLY: RetcodeInfo(_R.FINAL, "The symbol allows short (sell) positions only."),
    c.TRADE_RETCODE_CLOSE_ONLY: RetcodeInfo(_R.FINAL, "The symbol allows closing positions only."),
    c.TRADE_RETCODE_FIFO_CLOSE: RetcodeInfo(
        _R.FINAL, "The account requires closing the oldest position first (FIFO rule)."
    ),
    TRADE_RETCODE_HEDGE_PROHIBITED: RetcodeInfo(
        _R.FINAL, "Opposite positions on one symbol are not allowed on this account."
    ),
}


def retcode_info(retcode: int) -> RetcodeInfo:
    """The mapping for ``retcode``; unknown codes are final with a sentence that quotes the number."""
    return RETCODES.get(retcode, RetcodeInfo(RetcodeClass.FINAL, f"The broker answered with code {retcode}."))


def retcode_name(retcode: int) -> str:
    """``"REQUOTE"`` for 10004; the number itself for a code MQL5 does not name."""
    return RETCODE_NAMES.get(retcode, str(retcode))


#: ``last_error()`` codes (mt5-api §1.2) -> sentence. Codes -10001/-10002 are ambiguous for order_send.
IPC_ERRORS: dict[int, str] = {
    c.RES_E_FAIL: "MetaTrader 5 reported a failed call.",
    c.RES_E_INVALID_PARAMS: "The request had an invalid parameter (a bug in tvbridge: please report it).",
    c.RES_E_NO_MEMORY: "MetaTrader 5 ran out of memory.",
    c.RES_E_NOT_FOUND: "MetaTrader 5 did not find the requested item.",
    c.RES_E_INVALID_VERSION: (
        "The MetaTrader5 Python package and the terminal versions do not "
        "match: update the terminal."
    ),
    c.RES_E_AUTH_FAILED: "MetaTrader 5 refused the login: check the account number, password and server name.",
    c.RES_E_UNSUPPORTED: "This account needs a one-time password or certificate, which automated login cannot provide.",
    c.RES_E_AUTO_TRADING_DISABLED: (
        "Trading through the Python API is disabled in MetaTrader 5 (Tools > "
        "Options > Expert Advisors)."
    ),
    c.RES_E_INTERNAL_FAIL: "The connection to MetaTrader 5 returned an unexpected reply.",
    c.RES_E_INTERNAL_FAIL_SEND: "The connection to MetaTrader 5 broke while sending (was the terminal closed?).",
    c.RES_E_INTERNAL_FAIL_RECEIVE: "The connection to MetaTrader 5 broke while waiting for the answer.",
    c.RES_E_INTERNAL_FAIL_INIT: "MetaTrader 5 could not be started or found: check the terminal path (terminal64.exe).",
    c.RES_E_INTERNAL_FAIL_CONNECT: "tvbridge is not connected to MetaTrader 5.",
    c.RES_E_INTERNAL_FAIL_TIMEOUT: (
        "MetaTrader 5 did not become ready in time: is it logged in and "
        "connected to the broker?"
    ),
}

#: ``order_send`` returned None with these codes: the request may have reached the server.
AMBIGUOUS_IPC = frozenset({c.RES_E_INTERNAL_FAIL, c.RES_E_INTERNAL_FAIL_SEND, c.RES_E_INTERNAL_FAIL_RECEIVE})
#: Codes that mean the connection is gone: reconnect before anything else.
DISCONNECTED_IPC = frozenset(
    {
        c.RES_E_INTERNAL_FAIL_SEND,
        c.RES_E_INTERNAL_FAIL_RECEIVE,
        c.RES_E_INTERNAL_FAIL_INIT,
        c.RES_E_INTERNAL_FAIL_CONNECT,
        c.RES_E_INTERNAL_FAIL_TIMEOUT,
    }
)

#: ``initialize()`` answered -2: a parameter the terminal would not take. Not a tvbridge bug there: a field
#: report (mt5-api §1.3) shows a terminal already logged in refusing ``server=``/credentials with
#: ``(-2, 'Terminal: Invalid params')``, and the module refuses a path over 258 characters or a non-numeric login.
INITIALIZE_INVALID_PARAMS = (
    "MetaTrader 5 refused the connection settings as invalid parameters. Check that mt5_path is the full path of "
    "terminal64.exe, mt5_login is the account number and mt5_server the server name exactly as the terminal shows "
    "it; if the terminal is already logged in to this account, remove mt5_login, mt5_server and the saved "
    "password so that tvbridge uses the terminal's own login."
)


def ipc_sentence(code: int, message: str) -> str:
    """The sentence for a ``last_error()`` pair, keeping MT5's own text for support."""
    known = IPC_ERRORS.get(code, "MetaTrader 5 reported an error.")
    return f"{known} (MT5: {code} {message})"


def initialize_sentence(code: int, message: str) -> str:
    """The sentence for a failed ``initialize()``: as :func:`ipc_sentence`, but -2 is explained (mt5-api §1.3)."""
    if code == c.RES_E_INVALID_PARAMS:
        return f"{INITIALIZE_INVALID_PARAMS} (MT5: {code} {message})"
    return ipc_sentence(code, message)
