"""The ``last_error()`` model and the texts of trade server return codes.

MT5 reports failures of the *call* through one process-wide ``(code, message)`` value that every call first
resets to ``(1, 'Success')`` (mt5-api §1.2). A trade the server rejects is not such a failure: ``order_send``
returns a result whose ``retcode`` says why, and ``last_error()`` stays ``(1, 'Success')``.

Inside the simulator a failed call raises :class:`CallError`; the surface decorator turns it into the
``None``/``False`` return plus the stored error, exactly where the C module would.
"""

from __future__ import annotations

from agent.mt5.flags import TRADE_RETCODE_HEDGE_PROHIBITED
from agent.mt5sim import constants as c

# (code, message) pairs exactly as the 5.0.6231 binary produces them (mt5-api §1.2).
SUCCESS = (c.RES_S_OK, "Success")
CALL_FAILED = (c.RES_E_FAIL, "Terminal: Call failed")
INVALID_PARAMS = (c.RES_E_INVALID_PARAMS, "Terminal: Invalid params")
INVALID_ARGUMENTS = (c.RES_E_INVALID_PARAMS, "Invalid arguments")
INVALID_ARG_COUNT = (c.RES_E_INVALID_PARAMS, "Invalid number of arguments")
UNNAMED_NOT_ALLOWED = (c.RES_E_INVALID_PARAMS, "Unnamed arguments not allowed")
NOT_FOUND = (c.RES_E_NOT_FOUND, "Terminal: Not found")
INVALID_VERSION = (
    c.RES_E_INVALID_VERSION,
    "Terminal: Incompatible versions, please install the latest version of Terminal and Python module",
)
AUTH_FAILED = (c.RES_E_AUTH_FAILED, "Terminal: Authorization failed")
OTP_REQUIRED = (c.RES_E_UNSUPPORTED, "Unsupported authorization mode, OTP or certificate password needed")
AUTOTRADING_DISABLED = (c.RES_E_AUTO_TRADING_DISABLED, "Auto-Trading using Python API disabled in Terminal")
IPC_SEND = (c.RES_E_INTERNAL_FAIL_SEND, "IPC send failed")
IPC_RECV = (c.RES_E_INTERNAL_FAIL_RECEIVE, "IPC recv failed")
IPC_NOT_FOUND = (c.RES_E_INTERNAL_FAIL_INIT, "IPC initialize failed, MetaTrader 5 x64 not found")
IPC_PIPE_TIMEOUT = (c.RES_E_INTERNAL_FAIL_INIT, "IPC initialize failed, Pipe server didn't answer in 60 sec")
NO_IPC = (c.RES_E_INTERNAL_FAIL_CONNECT, "No IPC connection")
IPC_TIMEOUT = (c.RES_E_INTERNAL_FAIL_TIMEOUT, "IPC timeout")


def invalid_argument(field: str) -> tuple[int, str]:
    """The module-side message for a request/keyword field of the wrong type or size (mt5-api §1.7)."""
    return (c.RES_E_INVALID_PARAMS, f'Invalid "{field}" argument')


def invalid_unnamed(position: int) -> tuple[int, str]:
    """The message for a bad positional argument (1-based ``position``), e.g. ``Invalid 2nd unnamed argument``."""
    ordinal = {1: "1st", 2: "2nd", 3: "3rd"}.get(position, f"{position}th")
    return (c.RES_E_INVALID_PARAMS, f"Invalid {ordinal} unnamed argument")


class CallError(Exception):
    """The call fails: the surface returns ``None`` (or ``False``) and ``last_error()`` gives ``error``."""

    def __init__(self, error: tuple[int, str]) -> None:
        super().__init__(f"{error[0]}: {error[1]}")
        self.error = error


class LastError:
    """The one process-wide ``last_error()`` value (not per thread, as in the C module)."""

    def __init__(self) -> None:
        self.value: tuple[int, str] = SUCCESS

    def reset(self) -> None:
        """Back to ``(1, 'Success')``; every API call does this first."""
        self.value = SUCCESS

    def set(self, error: tuple[int, str]) -> None:
        """Record the failure of the current call."""
        self.value = error


# Default ``OrderSendResult.comment`` per retcode: the trade server's text of the code. 'Request executed',
# 'Invalid stops', 'No prices' and 'Unsupported filling mode' are confirmed by field reports (mt5-api §3.1);
# the rest follow the MQL5 retcode table (§3.2) in the same short style.
RETCODE_COMMENTS: dict[int, str] = {
    0: "Done",
    c.TRADE_RETCODE_REQUOTE: "Requote",
    c.TRADE_RETCODE_REJECT: "Request rejected",
    c.TRADE_RETCODE_CANCEL: "Request canceled by trader",
    c.TRADE_RETCODE_PLACED: "Order placed",
    c.TRADE_RETCODE_DONE: "Request executed",
    c.TRADE_RETCODE_DONE_PARTIAL: "Request executed partially",
    c.TRADE_RETCODE_ERROR: "Request processing error",
    c.TRADE_RETCODE_TIMEOUT: "Request canceled by timeout",
    c.TRADE_RETCODE_INVALID: "Invalid request",
    c.TRADE_RETCODE_INVALID_VOLUME: "Invalid volume",
    c.TRADE_RETCODE_INVALID_PRICE: "Invalid price",
    c.TRADE_RETCODE_INVALID_STOPS: "Invalid stops",
    c.TRADE_RETCODE_TRADE_DISABLED: "Trade disabled",
    c.TRADE_RETCODE_MARKET_CLOSED: "Market closed",
    c.TRADE_RETCODE_NO_MONEY: "No money",
    c.TRADE_RETCODE_PRICE_CHANGED: "Prices changed",
    c.TRADE_RETCODE_PRICE_OFF: "No prices",
    c.TRADE_RETCODE_INVALID_EXPIRATION: "Invalid expiration",
    c.TRADE_RETCODE_ORDER_CHANGED: "Order state changed",
    c.TRADE_RETCODE_TOO_MANY_REQUESTS: "Too many requests",
    c.TRADE_RETCODE_NO_CHANGES: "No changes",
    c.TRADE_RETCODE_SERVER_DISABLES_AT: "AutoTrading disabled by server",
    c.TRADE_RETCODE_CLIENT_DISABLES_AT: "AutoTrading disabled by client",
    c.TRADE_RETCODE_LOCKED: "Request locked",
    c.TRADE_RETCODE_FROZEN: "Order or position frozen",
    c.TRADE_RETCODE_INVALID_FILL: "Unsupported filling mode",
    c.TRADE_RETCODE_CONNECTION: "No connection",
    c.TRADE_RETCODE_LIMIT_ORDERS: "Orders limit reached",
    c.TRADE_RETCODE_LIMIT_VOLUME: "Volume limit reached",
    c.TRADE_RETCODE_INVALID_ORDER: "Invalid order type",
    c.TRADE_RETCODE_POSITION_CLOSED: "Position already closed",
    c.TRADE_RETCODE_INVALID_CLOSE_VOLUME: "Invalid close volume",
    c.TRADE_RETCODE_REJECT_CANCEL: "Pending order activation rejected",
    c.TRADE_RETCODE_LONG_ONLY: "Long positions only allowed",
    c.TRADE_RETCODE_SHORT_ONLY: "Short positions only allowed",
    c.TRADE_RETCODE_CLOSE_ONLY: "Position closing only allowed",
    c.TRADE_RETCODE_FIFO_CLOSE: "Position closing allowed only by FIFO rule",
    TRADE_RETCODE_HEDGE_PROHIBITED: "Opposite positions prohibited",
}


def retcode_comment(retcode: int) -> str:
    """The default comment text for ``retcode`` (``'Request executed'`` for 10009)."""
    return RETCODE_COMMENTS.get(retcode, "Request rejected")
