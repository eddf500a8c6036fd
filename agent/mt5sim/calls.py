"""How a module function behaves as a call: the lock, the last-error reset, the calling convention.

The C functions are registered as METH_NOARGS (``shutdown()``: any argument is a ``TypeError``),
METH_VARARGS (``symbol_info("EURUSD")``: keywords are a ``TypeError``) or METH_VARARGS|METH_KEYWORDS
(mt5-api §1.1). Argument *values* the module dislikes are not exceptions but a ``None``/``False`` return with
``last_error()`` set; :func:`surface` turns a :class:`CallError` raised by the body into exactly that.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from datetime import datetime
from typing import ParamSpec, TypeVar

from agent.mt5sim import errors
from agent.mt5sim.errors import CallError
from agent.mt5sim.runtime import SIM

P = ParamSpec("P")
R = TypeVar("R")
F = TypeVar("F")

NOARGS, VARARGS, KEYWORDS = "noargs", "varargs", "keywords"


def surface(failure: F, convention: str = KEYWORDS) -> Callable[[Callable[P, R]], Callable[P, R | F]]:
    """Wrap a module function: enforce the calling ``convention``, take the simulator lock, reset
    ``last_error()`` to ``(1, 'Success')``, and return ``failure`` (``None`` or ``False``) on CallError."""

    def wrap(function: Callable[P, R]) -> Callable[P, R | F]:
        name = function.__name__

        @functools.wraps(function)
        def call(*args: P.args, **kwargs: P.kwargs) -> R | F:
            if convention != KEYWORDS and kwargs:
                raise TypeError(f"{name}() takes no keyword arguments")
            if convention == NOARGS and args:
                raise TypeError(f"{name}() takes no arguments ({len(args)} given)")
            with SIM.lock:
                SIM.error.reset()
                try:
                    return function(*args, **kwargs)
                except CallError as exc:
                    SIM.error.set(exc.error)
                    return failure

        return call

    return wrap


def require_ipc() -> None:
    """Fail with ``(-10004, 'No IPC connection')`` before ``initialize()`` or after ``shutdown()``."""
    if not SIM.ipc:
        raise CallError(errors.NO_IPC)


def checked_str(value: object, field: str, max_len: int) -> str:
    """``value`` if it is a ``str`` of at most ``max_len`` characters, else ``Invalid "<field>" argument``."""
    if not isinstance(value, str) or len(value) > max_len:
        raise CallError(errors.invalid_argument(field))
    return value


def checked_int(value: object, field: str) -> int:
    """``value`` if it is a non-negative ``int`` (or subclass), else ``Invalid "<field>" argument``."""
    if not isinstance(value, int) or value < 0:
        raise CallError(errors.invalid_argument(field))
    return int(value)


def history_date(value: object, position: int) -> int:
    """A ``date_from``/``date_to`` argument as epoch seconds (mt5-api §1.6).

    A ``datetime`` goes through ``.timestamp()`` (so a naive one is read as *local* time), an ``int`` is cut
    to 32 bits as the C code does, a ``float`` is truncated. Anything else is ``Invalid <n> unnamed argument``.
    """
    if isinstance(value, datetime):
        return int(value.timestamp())
    if isinstance(value, int):
        return value & 0xFFFFFFFF
    if isinstance(value, float):
        return int(value)
    raise CallError(errors.invalid_unnamed(position))


def as_number(value: object) -> float:
    """A ``d`` (double) argument of ``PyArg_ParseTuple``: ints, floats and objects with ``__float__``."""
    if isinstance(value, str | bytes):
        raise CallError(errors.INVALID_ARGUMENTS)
    try:
        return float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise CallError(errors.INVALID_ARGUMENTS) from None

