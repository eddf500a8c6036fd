"""The ``last_error()`` model and the texts of trade server return codes.

MT5 reports failures of the *call* through one process-wide ``(code, message)`` value that every call first
resets to ``(1, 'Success')`` (mt5-api §1.2). A trade the server rejects is not such a failure: ``order_send``
returns a result whose ``retcode`` says why, and ``last_error()`` stays ``(1, 'Success')``.

Inside the simulator a failed call raises :class:`CallError`; the surface decorator turns it into the
``None``/``False`` return plus the stored error, exactly where the C module would.
"""

from __future__ import annotations

# (code, message) pairs exactly as the 5.0.6231 binary produces them (mt5-api §1.2).
SUCCESS = (1, "Success")
CALL_FAILED = (-1, "Terminal: Call failed")
INVALID_PARAMS = (-2, "Terminal: Invalid params")
INVALID_ARGUMENTS = (-2, "Invalid arguments")
INVALID_ARG_COUNT = (-2, "Invalid number of arguments")
UNNAMED_NOT_ALLOWED = (-2, "Unnamed arguments not allowed")
NOT_FOUND = (-4, "Terminal: Not found")
INVALID_VERSION = (
    -5,
    "Terminal: Incompatible versions, please install the latest version of Terminal and Python module",
)
AUTH_FAILED = (-6, "Terminal: Authorization failed")
OTP_REQUIRED = (-7, "Unsupported authorization mode, OTP or certificate password needed")
AUTOTRADING_DISABLED = (-8, "Auto-Trading using Python API disabled in Terminal")
IPC_SEND = (-10001, "IPC send failed")
IPC_RECV = (-10002, "IPC recv failed")
IPC_NOT_FOUND = (-10003, "IPC initialize failed, MetaTrader 5 x64 not found")
IPC_PIPE_TIMEOUT = (-10003, "IPC initialize failed, Pipe server didn't answer in 60 sec")
NO_IPC = (-10004, "No IPC connection")
IPC_TIMEOUT = (-10005, "IPC timeout")


def invalid_argument(field: str) -> tuple[int, str]:
    """The module-side message for a request/keyword field of the wrong type or size (mt5-api §1.7)."""
    return (-2, f'Invalid "{field}" argument')


def invalid_unnamed(position: int) -> tuple[int, str]:
    """The message for a bad positional argument (1-based ``position``), e.g. ``Invalid 2nd unnamed argument``."""
    ordinal = {1: "1st", 2: "2nd", 3: "3rd"}.get(position, f"{position}th")
    return (-2, f"Invalid {ordinal} unnamed argument")


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
    10004: "Requote",
    10006: "Request rejected",
    10007: "Request canceled by trader",
    10008: "Order placed",
    10009: "Request executed",
    10010: "Request executed partially",
    10011: "Request processing error",
    10012: "Request canceled by timeout",
    10013: "Invalid request",
    10014: "Invalid volume",
    10015: "Invalid price",
    10016: "Invalid stops",
    10017: "Trade disabled",
    10018: "Market closed",
    10019: "No money",
    10020: "Prices changed",
    10021: "No prices",
    10022: "Invalid expiration",
    10023: "Order state changed",
    10024: "Too many requests",
    10025: "No changes",
    10026: "AutoTrading disabled by server",
    10027: "AutoTrading disabled by client",
    10028: "Request locked",
    10029: "Order or position frozen",
    10030: "Unsupported filling mode",
    10031: "No connection",
    10033: "Orders limit reached",
    10034: "Volume limit reached",
    10035: "Invalid order type",
    10036: "Position already closed",
    10038: "Invalid close volume",
    10041: "Pending order activation rejected",
    10042: "Long positions only allowed",
    10043: "Short positions only allowed",
    10044: "Position closing only allowed",
    10045: "Position closing allowed only by FIFO rule",
    10046: "Opposite positions prohibited",
}


def retcode_comment(retcode: int) -> str:
    """The default comment text for ``retcode`` (``'Request executed'`` for 10009)."""
    return RETCODE_COMMENTS.get(retcode, "Request rejected")
