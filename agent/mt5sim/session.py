"""Connection and terminal/account functions: ``initialize``, ``login``, ``shutdown``, ``version``,
``last_error``, ``terminal_info``, ``account_info`` (mt5-api §1.3-1.4)."""

from __future__ import annotations

from typing import Any

from agent.mt5sim import errors, views
from agent.mt5sim.calls import NOARGS, checked_int, checked_str, require_ipc, surface
from agent.mt5sim.errors import CallError
from agent.mt5sim.runtime import SIM
from agent.mt5sim.types import AccountInfo, TerminalInfo

# control.set_initialize_failure kinds -> the (code, message) initialize() ends with (mt5-api §1.2-1.3, §7).
INIT_FAILURES: dict[str, tuple[int, str]] = {
    "not_found": errors.IPC_NOT_FOUND,
    "pipe_timeout": errors.IPC_PIPE_TIMEOUT,
    "version": errors.INVALID_VERSION,
    "auth_failed": errors.AUTH_FAILED,
    "otp_required": errors.OTP_REQUIRED,
    "timeout": errors.IPC_TIMEOUT,
}
_AUTH_FAILURES = ("auth_failed", "otp_required", "timeout")


def _credentials(values: dict[str, Any]) -> tuple[int | None, str | None]:
    """Validate login/password/server/timeout; return the login and server that were given."""
    login = checked_int(values["login"], "login") if "login" in values else None
    if "password" in values and values["password"] is not None:
        checked_str(values["password"], "password", 254)
    server = checked_str(values["server"], "server", 254) if values.get("server") is not None else None
    if "timeout" in values:
        checked_int(values["timeout"], "timeout")
    return login, server


def _authorize(login: int | None, server: str | None, failure: str | None) -> None:
    """The terminal's login-and-wait loop: -6/-7/-10005 from the configured failure, a login or server that
    is not the simulated account (-6), or a terminal that never connects to the broker (-10005)."""
    if failure is not None:
        raise CallError(INIT_FAILURES[failure])
    account = SIM.book.account
    if (login is not None and login != account.login) or (server is not None and server != account.server):
        raise CallError(errors.AUTH_FAILED)
    if not SIM.terminal.connected:
        # The real loop waits ``timeout`` ms for "ready"; the simulator answers at once.
        raise CallError(errors.IPC_TIMEOUT)


@surface(False)
def initialize(*args: Any, **kwargs: Any) -> bool:
    """Connect to the simulated terminal: ``initialize([path], *, login, password, server, timeout, portable)``.

    Returns True, or False with ``last_error()``: ``-2`` for bad arguments (``login`` must be an int, ``path``
    a str of <= 258 chars), the failure set by ``control.set_initialize_failure`` (-10003, -5, -6, -7,
    -10005), ``-6`` when ``login``/``server`` differ from the simulated account, ``-10005`` when the terminal
    is disconnected from the broker. Any previous connection is closed first, and a failure leaves none.
    The simulator is configured with defaults if ``control.configure`` was never called.
    """
    SIM.ipc = False
    if len(args) > 1:
        raise CallError(errors.INVALID_ARG_COUNT)
    path = args[0] if args else kwargs.get("path")
    if path is not None:
        checked_str(path, "path", 258)
    login, server = _credentials(kwargs)
    SIM.ensure_configured()
    failure = SIM.terminal.init_failure
    if failure is not None and failure not in _AUTH_FAILURES:
        raise CallError(INIT_FAILURES[failure])
    _authorize(login, server, failure)
    SIM.ipc = True
    return True


@surface(False)
def login(*args: Any, **kwargs: Any) -> bool:
    """Log in to an account: ``login(login, password=None, server=None, *, timeout=60000)``.

    Positional order is ``(login, password, server)``; ``login`` is required and must be an int. Returns
    True, or False with -6 (unknown login/server, or an injected auth failure) / -10005 (disconnected).
    """
    if len(args) > 3:
        raise CallError(errors.INVALID_ARG_COUNT)
    values = dict(kwargs)
    values.update(zip(("login", "password", "server"), args, strict=False))
    if "login" not in values:
        raise CallError(errors.invalid_argument("login"))
    login_, server = _credentials(values)
    require_ipc()
    failure = SIM.terminal.init_failure
    _authorize(login_, server, failure if failure in _AUTH_FAILURES else None)
    return True


@surface(True, NOARGS)
def shutdown() -> bool:
    """Close the connection. Always returns True, connected or not (mt5-api §1.3); the terminal keeps running."""
    SIM.ipc = False
    return True


@surface(None, NOARGS)
def version() -> tuple[int, int, str]:
    """``(500, build, 'DD Mon YYYY')`` of the terminal, or None without IPC."""
    require_ipc()
    return (500, views.TERMINAL_BUILD, views.TERMINAL_BUILD_DATE)


def last_error() -> tuple[int, str]:
    """``(code, message)`` of the most recent call; the one call that does not reset it."""
    with SIM.lock:
        return SIM.error.value


@surface(None, NOARGS)
def terminal_info() -> TerminalInfo:
    """``TerminalInfo``: ``connected`` (broker link), ``trade_allowed`` (Algo Trading), ``tradeapi_disabled``."""
    require_ipc()
    return views.terminal_info(SIM)


@surface(None, NOARGS)
def account_info() -> AccountInfo:
    """``AccountInfo`` with money in account currency and ``margin_mode`` 0 (netting) or 2 (hedging)."""
    require_ipc()
    return views.account_info(SIM)
