"""How order_send/order_check read a request (mt5-api §1.7): types, sizes, defaults, unknown keys."""

from __future__ import annotations

from collections.abc import Iterator
from enum import IntEnum
from typing import Any

import pytest

import agent.mt5sim as mt5
from agent.mt5sim import control


@pytest.fixture(autouse=True)
def connected() -> Iterator[None]:
    control.reset()
    control.configure()
    assert mt5.initialize()
    yield
    control.reset()


def buy(**extra: Any) -> dict[str, Any]:
    return {"action": mt5.TRADE_ACTION_DEAL, "symbol": "EURUSD", "volume": 0.1, "type": mt5.ORDER_TYPE_BUY, **extra}


def test_dict_and_keyword_forms_both_work() -> None:
    assert mt5.order_send(buy()).retcode == mt5.TRADE_RETCODE_DONE
    assert mt5.order_send(**buy()).retcode == mt5.TRADE_RETCODE_DONE
    assert mt5.order_check(buy()).retcode == 0


@pytest.mark.parametrize(
    ("args", "kwargs", "error"),
    [
        ((buy(),), {"comment": "x"}, (-2, "Unnamed arguments not allowed")),
        ((buy(), buy()), {}, (-2, "Invalid number of arguments")),
        ((list(buy().items()),), {}, (-2, "Invalid arguments")),
        ((), {}, (-2, "Invalid arguments")),
    ],
)
def test_call_shape_errors(args: tuple[Any, ...], kwargs: dict[str, Any], error: tuple[int, str]) -> None:
    assert mt5.order_send(*args, **kwargs) is None
    assert mt5.last_error() == error


def test_int_volume_is_rejected_with_the_exact_message() -> None:
    assert mt5.order_send(buy(volume=1)) is None
    assert mt5.last_error() == (-2, 'Invalid "volume" argument')
    assert mt5.positions_total() == 0


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("volume", None),
        ("price", 1),
        ("sl", "1.08"),
        ("type", 0.0),
        ("magic", None),
        ("type_filling", 1.0),
        ("expiration", 1.5),
        ("symbol", None),
        ("comment", None),
    ],
)
def test_wrong_python_types_are_rejected(field: str, value: object) -> None:
    assert mt5.order_send(buy(**{field: value})) is None
    assert mt5.last_error() == (-2, f'Invalid "{field}" argument')


def test_comment_of_29_characters_passes_and_30_is_rejected() -> None:
    result = mt5.order_send(buy(comment="x" * 29))
    assert result.retcode == mt5.TRADE_RETCODE_DONE
    assert mt5.positions_get()[0].comment == "x" * 29
    assert mt5.order_send(buy(comment="x" * 30)) is None
    assert mt5.last_error() == (-2, 'Invalid "comment" argument')
    # An emoji is two UTF-16 code units.
    assert mt5.order_send(buy(comment="x" * 28 + "\N{GRINNING FACE}")) is None


def test_unknown_keys_are_ignored_so_typos_fall_back_to_defaults() -> None:
    result = mt5.order_send(buy(stop_loss=1.0, type_filing=mt5.ORDER_FILLING_IOC))
    assert result.retcode == mt5.TRADE_RETCODE_DONE
    position = mt5.positions_get()[0]
    assert position.sl == 0.0
    assert result.request.type_filling == mt5.ORDER_FILLING_FOK


def test_missing_fields_default_to_zero() -> None:
    result = mt5.order_send({"action": mt5.TRADE_ACTION_DEAL, "symbol": "EURUSD", "volume": 0.1})
    assert result.retcode == mt5.TRADE_RETCODE_DONE
    assert mt5.positions_get()[0].type == mt5.POSITION_TYPE_BUY  # type 0 is BUY
    echo = result.request
    assert (echo.type, echo.type_filling, echo.type_time, echo.sl, echo.tp, echo.magic) == (0, 0, 0, 0.0, 0.0, 0)


def test_bool_and_int_enum_pass_as_ints_and_float_subclasses_as_floats() -> None:
    class Side(IntEnum):
        SELL = 1

    class Lots(float):
        pass

    result = mt5.order_send(buy(type=Side.SELL, volume=Lots(0.2), magic=True))
    assert result.retcode == mt5.TRADE_RETCODE_DONE
    assert result.request.type == 1 and result.request.magic == 1 and result.request.volume == 0.2


def test_negative_or_oversized_ints_raise_system_error() -> None:
    with pytest.raises(SystemError, match="returned a result with an exception set"):
        mt5.order_send(buy(magic=-1))
    with pytest.raises(SystemError):
        mt5.order_check(buy(type=2**32))


def test_request_echo_has_all_17_fields_in_order() -> None:
    result = mt5.order_send(buy(magic=7, comment="tv:1", deviation=20, type_filling=mt5.ORDER_FILLING_IOC))
    echo = result.request
    assert isinstance(echo, mt5.TradeRequest)
    assert tuple(echo) == (1, 7, 0, "EURUSD", 0.1, 0.0, 0.0, 0.0, 0.0, 20, 0, 1, 0, 0, "tv:1", 0, 0)


def test_argument_errors_win_over_no_ipc() -> None:
    mt5.shutdown()
    assert mt5.order_send(buy(volume=1)) is None
    assert mt5.last_error() == (-2, 'Invalid "volume" argument')
    assert mt5.order_send(buy()) is None
    assert mt5.last_error() == (-10004, "No IPC connection")


def test_unknown_action_is_an_invalid_request_result() -> None:
    result = mt5.order_send(request=buy())  # "request" is just an unknown key: everything else is 0
    assert result.retcode == mt5.TRADE_RETCODE_INVALID
    assert result.comment == "Invalid request"
    assert mt5.last_error() == (1, "Success")
