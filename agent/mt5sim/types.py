"""The 11 result types, shaped like the ``MetaTrader5`` package's C structseq types.

The real types are ``PyStructSequence`` classes (mt5-api §1.1, Appendix A): they index and iterate like
tuples, have ``_asdict()`` and NO ``_fields`` (so they are not namedtuples), expose ``n_fields`` and
``__match_args__``, and cannot be pickled because their ``__module__`` is ``builtins``. :class:`StructSeq`
reproduces all of that. Field order and Python types are those of Appendix A (5.0.6231): ``int`` for the
C integer fields, ``float``, ``bool`` and ``str``; ``OrderSendResult.request``/``OrderCheckResult.request``
hold a nested :class:`TradeRequest`.

Build instances with :meth:`StructSeq.make`, which fills missing fields with zero values and coerces every
value to its Appendix A type, so a result can never carry e.g. an ``int`` where MT5 gives a ``float``.
"""

from __future__ import annotations

from collections.abc import Iterable
from operator import itemgetter
from typing import Any, ClassVar

_KINDS: dict[str, type] = {"i": int, "f": float, "b": bool, "s": str}


class StructSeq(tuple[Any, ...]):
    """Base of the result types: an immutable tuple with named, typed fields.

    Subclasses pass ``spec="name:kind ..."`` (kind ``i`` int, ``f`` float, ``b`` bool, ``s`` str, or the
    name of another StructSeq class) when they are declared; properties are generated from it.
    """

    __slots__ = ()
    __match_args__: ClassVar[tuple[str, ...]] = ()
    n_fields: ClassVar[int] = 0
    n_sequence_fields: ClassVar[int] = 0
    n_unnamed_fields: ClassVar[int] = 0
    _kinds: ClassVar[tuple[Any, ...]] = ()

    def __init_subclass__(cls, spec: str = "", **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        names: list[str] = []
        kinds: list[type] = []
        for item in spec.split():
            name, kind = item.split(":")
            names.append(name)
            kinds.append(_KINDS.get(kind) or _NESTED[kind])
        cls.__match_args__ = tuple(names)  # type: ignore[misc]  # mypy treats it as read-only
        cls._kinds = tuple(kinds)
        cls.n_fields = cls.n_sequence_fields = len(names)
        for index, name in enumerate(names):
            setattr(cls, name, property(itemgetter(index)))
        # The C types are created without a module name, so pickle looks them up in ``builtins`` and fails
        # ("Can't pickle <class 'TerminalInfo'>", mt5-api §6). Keeping that makes cross-process bugs show here.
        cls.__module__ = "builtins"
        _NESTED[cls.__name__] = cls

    def __new__(cls, sequence: Iterable[Any], dict: Any = None) -> StructSeq:
        """Build from a sequence of exactly ``n_fields`` values, like ``os.stat_result(seq)``."""
        values = tuple(sequence)
        if len(values) != cls.n_fields:
            raise TypeError(f"{cls.__name__}() takes a {cls.n_fields}-sequence ({len(values)}-sequence given)")
        return super().__new__(cls, values)

    @classmethod
    def make(cls, **values: Any) -> Any:
        """Build from keyword values; missing fields are zero/False/"" and every value is coerced to its type.

        :raises TypeError: for a name that is not a field.
        """
        unknown = set(values) - set(cls.__match_args__)
        if unknown:
            raise TypeError(f"{cls.__name__} has no field(s) {sorted(unknown)}")
        row = []
        for name, kind in zip(cls.__match_args__, cls._kinds, strict=True):
            value = values.get(name)
            if issubclass(kind, StructSeq):
                if not isinstance(value, kind):
                    raise TypeError(f"{cls.__name__}.{name} must be a {kind.__name__}")
                row.append(value)
            else:
                row.append(kind() if value is None else kind(value))
        return cls(row)

    def _asdict(self) -> dict[str, Any]:
        """The fields as a ``dict`` in field order (nested results stay StructSeq objects, as in MT5)."""
        return dict(zip(self.__match_args__, self, strict=True))

    def __repr__(self) -> str:
        inner = ", ".join(f"{n}={v!r}" for n, v in zip(self.__match_args__, self, strict=True))
        return f"{type(self).__name__}({inner})"

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (tuple(self),))

    def __getattr__(self, name: str) -> Any:
        # Only reached for names that are not fields; it exists so type checkers accept ``pos.ticket``.
        raise AttributeError(f"'{type(self).__name__}' object has no attribute '{name}'")


_NESTED: dict[str, type[StructSeq]] = {}


class TradeRequest(
    StructSeq,
    spec="action:i magic:i order:i symbol:s volume:f price:f stoplimit:f sl:f tp:f deviation:i type:i "
    "type_filling:i type_time:i expiration:i comment:s position:i position_by:i",
):
    """Echo of the 17 parsed request fields (``OrderSendResult.request``)."""


class OrderSendResult(
    StructSeq,
    spec="retcode:i deal:i order:i volume:f price:f bid:f ask:f comment:s request_id:i retcode_external:i "
    "request:TradeRequest",
):
    """``order_send()`` result: trade server ``retcode`` (§3.2), deal/order tickets, lots, prices, echo."""


class OrderCheckResult(
    StructSeq,
    spec="retcode:i balance:f equity:f profit:f margin:f margin_free:f margin_level:f comment:s "
    "request:TradeRequest",
):
    """``order_check()`` result: retcode 0 / ``'Done'`` on success, projected account figures (account ccy)."""


class TradePosition(
    StructSeq,
    spec="ticket:i time:i time_msc:i time_update:i time_update_msc:i type:i magic:i identifier:i reason:i "
    "volume:f price_open:f sl:f tp:f price_current:f swap:f profit:f symbol:s comment:s external_id:s",
):
    """An open position: volume in lots, profit/swap in account currency, times in server epoch seconds/ms."""


class TradeOrder(
    StructSeq,
    spec="ticket:i time_setup:i time_setup_msc:i time_done:i time_done_msc:i time_expiration:i type:i "
    "type_time:i type_filling:i state:i magic:i position_id:i position_by_id:i reason:i volume_initial:f "
    "volume_current:f price_open:f sl:f tp:f price_current:f price_stoplimit:f symbol:s comment:s "
    "external_id:s",
):
    """A pending order (``orders_get``) or a historical order (``history_orders_get``)."""


class TradeDeal(
    StructSeq,
    spec="ticket:i order:i time:i time_msc:i type:i entry:i magic:i position_id:i reason:i volume:f "
    "price:f commission:f swap:f profit:f fee:f symbol:s comment:s external_id:s",
):
    """A deal: ``order`` is the order ticket, ``position_id`` the position identifier; money in account ccy."""


class AccountInfo(
    StructSeq,
    spec="login:i trade_mode:i leverage:i limit_orders:i margin_so_mode:i trade_allowed:b trade_expert:b "
    "margin_mode:i currency_digits:i fifo_close:b balance:f credit:f profit:f equity:f margin:f "
    "margin_free:f margin_level:f margin_so_call:f margin_so_so:f margin_initial:f margin_maintenance:f "
    "assets:f liabilities:f commission_blocked:f name:s server:s currency:s company:s",
):
    """Account figures in the account currency; ``margin_mode`` 0 netting, 2 hedging (§1.4, §5.5)."""


class TerminalInfo(
    StructSeq,
    spec="community_account:b community_connection:b connected:b dlls_allowed:b trade_allowed:b "
    "tradeapi_disabled:b email_enabled:b ftp_enabled:b notifications_enabled:b mqid:b build:i maxbars:i "
    "codepage:i ping_last:i community_balance:f retransmission:f company:s name:s language:s path:s "
    "data_path:s commondata_path:s",
):
    """Terminal state: ``trade_allowed`` is the Algo Trading button; ``ping_last`` is in microseconds."""


class SymbolInfo(
    StructSeq,
    spec="custom:b chart_mode:i select:b visible:b session_deals:i session_buy_orders:i "
    "session_sell_orders:i volume:i volumehigh:i volumelow:i time:i digits:i spread:i spread_float:b "
    "ticks_bookdepth:i trade_calc_mode:i trade_mode:i start_time:i expiration_time:i trade_stops_level:i "
    "trade_freeze_level:i trade_exemode:i swap_mode:i swap_rollover3days:i margin_hedged_use_leg:b "
    "expiration_mode:i filling_mode:i order_mode:i order_gtc_mode:i option_mode:i option_right:i bid:f "
    "bidhigh:f bidlow:f ask:f askhigh:f asklow:f last:f lasthigh:f lastlow:f volume_real:f "
    "volumehigh_real:f volumelow_real:f option_strike:f point:f trade_tick_value:f "
    "trade_tick_value_profit:f trade_tick_value_loss:f trade_tick_size:f trade_contract_size:f "
    "trade_accrued_interest:f trade_face_value:f trade_liquidity_rate:f volume_min:f volume_max:f "
    "volume_step:f volume_limit:f swap_long:f swap_short:f margin_initial:f margin_maintenance:f "
    "session_volume:f session_turnover:f session_interest:f session_buy_orders_volume:f "
    "session_sell_orders_volume:f session_open:f session_close:f session_aw:f session_price_settlement:f "
    "session_price_limit_min:f session_price_limit_max:f margin_hedged:f price_change:f "
    "price_volatility:f price_theoretical:f price_greeks_delta:f price_greeks_theta:f "
    "price_greeks_gamma:f price_greeks_vega:f price_greeks_rho:f price_greeks_omega:f "
    "price_sensitivity:f basis:s category:s currency_base:s currency_profit:s currency_margin:s bank:s "
    "description:s exchange:s formula:s isin:s name:s page:s path:s",
):
    """A symbol's 96 properties; levels in points, tick value in account currency per lot (§1.5)."""


class Tick(StructSeq, spec="time:i bid:f ask:f last:f volume:i time_msc:i flags:i volume_real:f"):
    """The last tick: ``time`` in server epoch seconds, ``time_msc`` in milliseconds."""


class BookInfo(StructSeq, spec="type:i price:f volume:i volume_dbl:f"):
    """One Depth-of-Market level (``market_book_get``): ``type`` is BOOK_TYPE_*."""


RESULT_TYPES: tuple[type[StructSeq], ...] = (
    TradeRequest,
    OrderSendResult,
    OrderCheckResult,
    TradePosition,
    TradeOrder,
    TradeDeal,
    AccountInfo,
    TerminalInfo,
    SymbolInfo,
    Tick,
    BookInfo,
)
