"""The module surface: names, constants, result types, calling conventions and the last_error model."""

from __future__ import annotations

import pickle
from collections.abc import Iterator

import pytest

import agent.mt5sim as mt5
from agent.mt5sim import control

FUNCTIONS = (
    "initialize login shutdown version last_error terminal_info account_info symbols_total symbols_get "
    "symbol_info symbol_info_tick symbol_select market_book_add market_book_release market_book_get "
    "copy_rates_from copy_rates_from_pos copy_rates_range copy_ticks_from copy_ticks_range orders_total "
    "orders_get positions_total positions_get history_orders_total history_orders_get history_deals_total "
    "history_deals_get order_check order_send order_calc_margin order_calc_profit"
).split()


@pytest.fixture(autouse=True)
def fresh_simulator() -> Iterator[None]:
    control.reset()
    yield
    control.reset()


def connect(**kwargs: object) -> None:
    control.configure(**kwargs)  # type: ignore[arg-type]
    assert mt5.initialize() is True


# --- names and constants -------------------------------------------------------------------------------


def test_module_has_the_32_functions_helpers_and_metadata() -> None:
    assert len(FUNCTIONS) == 32
    for name in [*FUNCTIONS, "Buy", "Sell", "Close"]:
        assert callable(getattr(mt5, name)), name
    assert mt5.__version__ == "5.0.6231"
    assert mt5.__author__ == "MetaQuotes Ltd."


def test_exactly_223_integer_constants_are_exported() -> None:
    constants = {n: v for n, v in vars(mt5).items() if n.isupper() and isinstance(v, int)}
    assert len(constants) == 223


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("TRADE_ACTION_DEAL", 1),
        ("TRADE_ACTION_CLOSE_BY", 10),
        ("ORDER_TYPE_SELL_STOP_LIMIT", 7),
        ("ORDER_TYPE_CLOSE_BY", 8),
        ("ORDER_FILLING_FOK", 0),
        ("ORDER_FILLING_RETURN", 2),
        ("ORDER_FILLING_BOC", 3),
        ("ORDER_TIME_SPECIFIED_DAY", 3),
        ("ORDER_STATE_REQUEST_CANCEL", 9),
        ("ORDER_REASON_SO", 6),
        ("TRADE_RETCODE_REQUOTE", 10004),
        ("TRADE_RETCODE_DONE", 10009),
        ("TRADE_RETCODE_INVALID_FILL", 10030),
        ("TRADE_RETCODE_FIFO_CLOSE", 10045),
        ("POSITION_TYPE_SELL", 1),
        ("DEAL_ENTRY_INOUT", 2),
        ("DEAL_ENTRY_OUT_BY", 3),
        ("DEAL_REASON_TP", 5),
        ("DEAL_DIVIDEND", 15),
        ("DEAL_TAX", 17),
        ("SYMBOL_TRADE_MODE_CLOSEONLY", 3),
        ("SYMBOL_TRADE_EXECUTION_EXCHANGE", 3),
        ("SYMBOL_CALC_MODE_CFDINDEX", 3),
        ("SYMBOL_CALC_MODE_SERV_COLLATERAL", 64),
        ("ACCOUNT_MARGIN_MODE_RETAIL_HEDGING", 2),
        ("RES_E_INTERNAL_FAIL_INIT", -10003),
        ("RES_E_INTERNAL_FAIL_CONNECT", -10004),
        ("RES_E_INTERNAL_FAIL_TIMEOUT", -10005),
        ("TIMEFRAME_H1", 16385),
        ("TIMEFRAME_MN1", 49153),
        ("COPY_TICKS_ALL", -1),
        ("TICK_FLAG_SELL", 64),
        ("DAY_OF_WEEK_SATURDAY", 6),
        ("BOOK_TYPE_BUY_MARKET", 4),
    ],
)
def test_constant_values_match_the_package(name: str, value: int) -> None:
    assert getattr(mt5, name) == value


@pytest.mark.parametrize(
    "name",
    [
        "SYMBOL_FILLING_FOK",
        "SYMBOL_FILLING_IOC",
        "SYMBOL_FILLING_BOC",
        "SYMBOL_EXPIRATION_GTC",
        "SYMBOL_EXPIRATION_SPECIFIED_DAY",
        "SYMBOL_ORDER_MARKET",
        "SYMBOL_ORDER_CLOSEBY",
        "TRADE_RETCODE_HEDGE_PROHIBITED",
    ],
)
def test_mql5_only_names_are_absent(name: str) -> None:
    with pytest.raises(AttributeError):
        getattr(mt5, name)


def test_control_functions_are_not_on_the_surface() -> None:
    for name in ("configure", "set_quote", "inject_fault", "reset", "set_terminal", "set_symbol"):
        assert not hasattr(mt5, name)


# --- result types ---------------------------------------------------------------------------------------


def test_result_types_are_exported_and_structseq_like() -> None:
    connect()
    info = mt5.account_info()
    assert isinstance(info, mt5.AccountInfo)
    assert isinstance(info, tuple)
    assert not hasattr(info, "_fields")
    assert info[0] == info.login == 5_000_001
    assert list(info._asdict())[:4] == ["login", "trade_mode", "leverage", "limit_orders"]
    assert type(info).n_fields == 28
    assert repr(info).startswith("AccountInfo(login=5000001, trade_mode=0,")
    with pytest.raises(pickle.PicklingError):
        pickle.dumps(info)


@pytest.mark.parametrize(
    ("result_type", "count", "first", "last"),
    [
        ("OrderSendResult", 11, "retcode", "request"),
        ("OrderCheckResult", 9, "retcode", "request"),
        ("TradeRequest", 17, "action", "position_by"),
        ("TradePosition", 19, "ticket", "external_id"),
        ("TradeOrder", 24, "ticket", "external_id"),
        ("TradeDeal", 18, "ticket", "external_id"),
        ("AccountInfo", 28, "login", "company"),
        ("TerminalInfo", 22, "community_account", "commondata_path"),
        ("SymbolInfo", 96, "custom", "path"),
        ("Tick", 8, "time", "volume_real"),
        ("BookInfo", 4, "type", "volume_dbl"),
    ],
)
def test_result_type_field_order(result_type: str, count: int, first: str, last: str) -> None:
    cls = getattr(mt5, result_type)
    assert cls.n_fields == count
    assert cls.__match_args__[0] == first
    assert cls.__match_args__[-1] == last


def test_field_python_types_follow_appendix_a() -> None:
    connect()
    terminal = mt5.terminal_info()
    assert terminal.connected is True and terminal.trade_allowed is True and terminal.tradeapi_disabled is False
    assert isinstance(terminal.ping_last, int) and isinstance(terminal.retransmission, float)
    symbol = mt5.symbol_info("EURUSD")
    assert isinstance(symbol.spread, int) and isinstance(symbol.point, float) and symbol.select is True
    assert isinstance(symbol.volume_min, float) and isinstance(symbol.filling_mode, int)
    tick = mt5.symbol_info_tick("EURUSD")
    assert isinstance(tick.time, int) and isinstance(tick.bid, float) and isinstance(tick.volume, int)
    account = mt5.account_info()
    assert isinstance(account.balance, float) and account.fifo_close is False


# --- calling conventions and errors ----------------------------------------------------------------------


def test_every_call_before_initialize_fails_with_no_ipc() -> None:
    assert mt5.account_info() is None
    assert mt5.last_error() == (-10004, "No IPC connection")
    assert mt5.positions_get() is None
    assert mt5.symbol_select("EURUSD", True) is False
    assert mt5.last_error() == (-10004, "No IPC connection")
    assert mt5.version() is None


def test_shutdown_returns_true_and_closes_the_connection() -> None:
    assert mt5.shutdown() is True  # even when not connected
    connect()
    assert mt5.shutdown() is True
    assert mt5.positions_total() is None
    assert mt5.last_error() == (-10004, "No IPC connection")


def test_every_call_resets_last_error() -> None:
    connect()
    assert mt5.symbol_info("NOPE") is None
    assert mt5.last_error() == (-1, "Terminal: Call failed")
    assert mt5.symbols_total() == len(mt5.symbols_get())
    assert mt5.last_error() == (1, "Success")


def test_varargs_functions_reject_keywords_with_type_error() -> None:
    connect()
    with pytest.raises(TypeError, match="takes no keyword arguments"):
        mt5.symbol_info(symbol="EURUSD")
    with pytest.raises(TypeError, match="takes no keyword arguments"):
        mt5.order_calc_margin(action=0, symbol="EURUSD", volume=1.0, price=1.1)
    with pytest.raises(TypeError, match="takes no keyword arguments"):
        mt5.symbol_select("EURUSD", enable=True)
    with pytest.raises(TypeError, match="takes no arguments"):
        mt5.account_info(1)


def test_positions_and_orders_get_refuse_positional_arguments() -> None:
    connect()
    assert mt5.positions_get("EURUSD") is None
    assert mt5.last_error() == (-2, "Unnamed arguments not allowed")
    assert mt5.orders_get("EURUSD") is None
    assert mt5.last_error() == (-2, "Unnamed arguments not allowed")


def test_symbol_info_argument_errors() -> None:
    connect()
    assert mt5.symbol_info() is None
    assert mt5.last_error() == (-2, "Invalid arguments")
    assert mt5.symbol_info("X" * 30) is None
    assert mt5.last_error() == (-2, "Invalid arguments")


def test_unknown_ticket_or_symbol_gives_an_empty_tuple_not_none() -> None:
    connect()
    assert mt5.positions_get(ticket=0) == ()
    assert mt5.positions_get(symbol="FAKE_SYMBOL") == ()
    assert mt5.orders_get(group="*JPY*") == ()
    assert mt5.last_error() == (1, "Success")


def test_initialize_argument_and_failure_modes() -> None:
    control.configure()
    assert mt5.initialize(login="5000001") is False
    assert mt5.last_error() == (-2, 'Invalid "login" argument')
    assert mt5.initialize("a", "b") is False
    assert mt5.last_error() == (-2, "Invalid number of arguments")
    assert mt5.initialize(login=1234) is False
    assert mt5.last_error() == (-6, "Terminal: Authorization failed")
    assert mt5.initialize(r"C:\MT5\terminal64.exe", login=5_000_001, server="TVBridge-Simulator", timeout=5000)

    expected = {
        "not_found": (-10003, "IPC initialize failed, MetaTrader 5 x64 not found"),
        "auth_failed": (-6, "Terminal: Authorization failed"),
        "otp_required": (-7, "Unsupported authorization mode, OTP or certificate password needed"),
        "timeout": (-10005, "IPC timeout"),
    }
    for kind, error in expected.items():
        control.set_initialize_failure(kind)
        assert mt5.initialize() is False
        assert mt5.last_error() == error
        assert mt5.account_info() is None  # a failed initialize leaves no connection
        assert mt5.last_error() == (-10004, "No IPC connection")
    control.set_initialize_failure(None)
    assert mt5.initialize() is True


def test_initialize_times_out_when_the_terminal_has_no_broker_connection() -> None:
    control.configure()
    control.set_terminal(connected=False)
    assert mt5.initialize() is False
    assert mt5.last_error() == (-10005, "IPC timeout")


def test_login_requires_an_int_and_the_right_account() -> None:
    connect(login=777, server="Demo-1")
    assert mt5.login(777, "secret", "Demo-1") is True
    assert mt5.login(login=777, password="x", server="Demo-1", timeout=1000) is True
    assert mt5.login("777") is False
    assert mt5.last_error() == (-2, 'Invalid "login" argument')
    assert mt5.login(778) is False
    assert mt5.last_error() == (-6, "Terminal: Authorization failed")


def test_version_terminal_and_account_info() -> None:
    connect(margin_mode="hedging", balance=2_500.0, leverage=30, login=42, server="Broker-Demo")
    version = mt5.version()
    assert version[0] == 500 and isinstance(version[1], int) and isinstance(version[2], str)
    account = mt5.account_info()
    assert (account.login, account.server, account.leverage, account.currency) == (42, "Broker-Demo", 30, "USD")
    assert account.margin_mode == mt5.ACCOUNT_MARGIN_MODE_RETAIL_HEDGING
    assert account.balance == account.equity == account.margin_free == 2_500.0


def test_symbols_get_group_filters() -> None:
    connect()
    names = [s.name for s in mt5.symbols_get()]
    assert {"EURUSD", "USDJPY", "XAUUSD", "US30", "US30.Cash", "BTCUSD", "GER40"} <= set(names)
    assert mt5.symbols_total() == len(names)
    usd = {s.name for s in mt5.symbols_get("*USD*")}
    assert "EURUSD" in usd and "EURJPY" not in usd
    no_eur = {s.name for s in mt5.symbols_get(group="*, !*EUR*")}
    assert "GBPUSD" in no_eur and "EURUSD" not in no_eur
    assert mt5.symbols_get(group="ZZZ*") == ()


def test_symbol_select_and_ticks_of_hidden_symbols() -> None:
    connect()
    control.set_terminal(first_tick_ms=600_000)  # the first tick comes with the broker's first quote below
    assert mt5.symbol_info("US30").select is False
    assert mt5.symbol_info_tick("US30") is None
    assert mt5.symbol_select("US30", True) is True
    empty = mt5.symbol_info_tick("US30")  # just added to Market Watch: no tick has arrived yet (mt5-api §1.5)
    assert (empty.bid, empty.ask, empty.time) == (0.0, 0.0, 0)
    assert mt5.order_send({"action": 1, "symbol": "US30", "volume": 1.0, "type": 0}).retcode == 10021
    control.set_quote("US30", 39000.0)  # the broker's first quote arrives
    tick = mt5.symbol_info_tick("US30")
    assert tick.bid == 39000.0 and tick.ask > tick.bid
    assert mt5.symbol_select("NOPE", True) is False
    assert mt5.last_error() == (-1, "Terminal: Call failed")


def test_symbol_suffix_renames_every_symbol() -> None:
    connect(symbol_suffix=".a")
    names = {s.name for s in mt5.symbols_get()}
    assert "EURUSD.a" in names and "US30.Cash.a" in names and "EURUSD" not in names
    assert mt5.symbol_info("EURUSD") is None
    assert mt5.symbol_info("EURUSD.a").currency_base == "EUR"


def test_market_book_and_history_functions() -> None:
    connect()
    assert mt5.market_book_get("EURUSD") is None
    assert mt5.market_book_add("EURUSD") is True
    book = mt5.market_book_get("EURUSD")
    assert [level.type for level in book] == [mt5.BOOK_TYPE_SELL, mt5.BOOK_TYPE_BUY]
    assert mt5.market_book_release("EURUSD") is True
    assert mt5.copy_rates_from_pos("EURUSD", mt5.TIMEFRAME_M1, 0, 10) is None
    assert mt5.last_error() == (-2, "Terminal: Invalid params")
