"""Parsing of ``order_check``/``order_send`` requests exactly as the C module does it (mt5-api §1.7).

- The request is one positional ``dict`` or keywords only; mixing gives ``(-2, 'Unnamed arguments not
  allowed')``, a non-dict ``(-2, 'Invalid arguments')``.
- Keys are read by name; unknown keys are ignored and missing ones are 0 (the C struct is zero-filled), so a
  missing ``type`` is BUY and a missing ``type_filling`` is FOK.
- Integer fields accept ``int`` and its subclasses only (``bool``, ``IntEnum``); a float, ``None`` or
  ``numpy.int64`` gives ``(-2, 'Invalid "<field>" argument')``. A negative or too large int makes the C code
  return with an ``OverflowError`` pending, which CPython reports as ``SystemError``.
- Float fields accept ``float`` and subclasses only: ``"volume": 1`` is rejected.
- ``symbol`` and ``comment`` must be ``str`` of at most 29 UTF-16 code units.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass
from typing import Any

from agent.mt5sim import errors
from agent.mt5sim.errors import CallError
from agent.mt5sim.types import TradeRequest

MAX_SHORT_STRING = 29  # wide chars incl. the trailing NUL must stay below 31 (mt5-api §1.7)

# Field order of TradeRequest; the C parser checks (and reports) fields in this order.
_U32, _U64, _I64, _FLOAT, _STR = "u32", "u64", "i64", "float", "str"
_FIELDS: tuple[tuple[str, str], ...] = (
    ("action", _U32),
    ("magic", _U64),
    ("order", _U64),
    ("symbol", _STR),
    ("volume", _FLOAT),
    ("price", _FLOAT),
    ("stoplimit", _FLOAT),
    ("sl", _FLOAT),
    ("tp", _FLOAT),
    ("deviation", _U64),
    ("type", _U32),
    ("type_filling", _U32),
    ("type_time", _U32),
    ("expiration", _I64),
    ("comment", _STR),
    ("position", _U64),
    ("position_by", _U64),
)
_RANGES = {_U32: (0, 2**32 - 1), _U64: (0, 2**64 - 1), _I64: (-(2**63), 2**63 - 1)}


@dataclass(frozen=True)
class Request:
    """A parsed trade request (MqlTradeRequest): volume in lots, prices absolute, deviation in points."""

    action: int = 0
    magic: int = 0
    order: int = 0
    symbol: str = ""
    volume: float = 0.0
    price: float = 0.0
    stoplimit: float = 0.0
    sl: float = 0.0
    tp: float = 0.0
    deviation: int = 0
    type: int = 0
    type_filling: int = 0
    type_time: int = 0
    expiration: int = 0
    comment: str = ""
    position: int = 0
    position_by: int = 0

    def echo(self) -> TradeRequest:
        """The ``TradeRequest`` echo carried by every result."""
        result: TradeRequest = TradeRequest.make(**asdict(self))
        return result


def fits_short_string(value: object) -> bool:
    """True for a ``str`` the module accepts in a 29-character slot (symbol, comment)."""
    return isinstance(value, str) and len(value.encode("utf-16-le")) // 2 <= MAX_SHORT_STRING


def parse_call(function: str, args: tuple[Any, ...], kwargs: Mapping[str, Any]) -> Request:
    """Parse the arguments of ``order_check``/``order_send`` (``function`` names the caller for SystemError).

    :raises CallError: for the module-side ``-2`` errors (the call then returns ``None``).
    :raises SystemError: for negative or out-of-range integers, as the real module does.
    """
    if args and kwargs:
        raise CallError(errors.UNNAMED_NOT_ALLOWED)
    if len(args) > 1:
        raise CallError(errors.INVALID_ARG_COUNT)
    if args:
        if not isinstance(args[0], dict):
            raise CallError(errors.INVALID_ARGUMENTS)
        raw: Mapping[str, Any] = args[0]
    elif kwargs:
        raw = kwargs
    else:
        raise CallError(errors.INVALID_ARGUMENTS)
    return Request(**{name: _field(function, name, kind, raw) for name, kind in _FIELDS if name in raw})


def _field(function: str, name: str, kind: str, raw: Mapping[str, Any]) -> Any:
    value = raw[name]
    if kind == _STR:
        if not fits_short_string(value):
            raise CallError(errors.invalid_argument(name))
        return str(value)
    if kind == _FLOAT:
        if not isinstance(value, float):
            raise CallError(errors.invalid_argument(name))
        return float(value)
    if not isinstance(value, int):
        raise CallError(errors.invalid_argument(name))
    low, high = _RANGES[kind]
    if not low <= value <= high:
        overflow = OverflowError(
            "can't convert negative int to unsigned" if value < 0 else f"int too big to convert to {kind}"
        )
        raise SystemError(f"<built-in function {function}> returned a result with an exception set") from overflow
    return int(value)
