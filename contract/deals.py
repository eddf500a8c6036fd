"""Deals as an agent reports them from the terminal's history, and the batch it posts them in.

A deal is MT5's ``TradeDeal`` (``history_deals_get``, mt5-api Appendix A) with MT5's field names and units:
tickets are the terminal's ``u64`` numbers, ``time``/``time_msc`` are the **trade server's** clock (seconds /
milliseconds since the epoch in the server's own time zone, not UTC: mt5-api §1.6), ``volume`` in lots,
``price`` in the symbol's quote, ``commission``/``swap``/``profit``/``fee`` in the account currency.
``type``/``entry``/``reason`` keep MT5's integers (``DEAL_TYPE_*``, ``DEAL_ENTRY_*``, ``DEAL_REASON_*``,
mt5-constants §1.9); the names a reader needs are the constants below.

Server time is turned into UTC with the offset the agent measured (``server_offset_seconds`` = server clock
minus UTC). The agent posts deals with ``POST /api/v1/agents/{agent_id}/deals`` as a :class:`DealBatch` that
also says how far it has read the history (:class:`SyncCursor`); the server stores every deal once, keyed by
its ticket per agent and login, so re-posting an overlapping range is harmless.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Final, Literal

from pydantic import BaseModel, ConfigDict, Field

# DEAL_TYPE_* (mt5-constants §1.9): only BUY and SELL move a position; the rest are account operations.
DEAL_TYPE_BUY: Final = 0
DEAL_TYPE_SELL: Final = 1
DEAL_TYPE_BALANCE: Final = 2
DEAL_TYPE_CREDIT: Final = 3
DEAL_TYPE_CHARGE: Final = 4
DEAL_TYPE_CORRECTION: Final = 5
DEAL_TYPE_BONUS: Final = 6
DEAL_TYPE_COMMISSION: Final = 7
DEAL_TYPE_INTEREST: Final = 12
DEAL_TYPE_BUY_CANCELED: Final = 13
DEAL_TYPE_SELL_CANCELED: Final = 14
DEAL_DIVIDEND: Final = 15
DEAL_TAX: Final = 17

# DEAL_ENTRY_*: how the deal changed the account's position (netting: the one position of its symbol).
DEAL_ENTRY_IN: Final = 0
DEAL_ENTRY_OUT: Final = 1
DEAL_ENTRY_INOUT: Final = 2
DEAL_ENTRY_OUT_BY: Final = 3

# DEAL_REASON_*: who or what caused the deal.
DEAL_REASON_CLIENT: Final = 0
DEAL_REASON_MOBILE: Final = 1
DEAL_REASON_WEB: Final = 2
DEAL_REASON_EXPERT: Final = 3
DEAL_REASON_SL: Final = 4
DEAL_REASON_TP: Final = 5
DEAL_REASON_SO: Final = 6
DEAL_REASON_ROLLOVER: Final = 7
DEAL_REASON_VMARGIN: Final = 8
DEAL_REASON_SPLIT: Final = 9

#: Reasons of a trader acting in a terminal (desktop, mobile, web) rather than a program.
MANUAL_REASONS: Final = frozenset({DEAL_REASON_CLIENT, DEAL_REASON_MOBILE, DEAL_REASON_WEB})

#: Reasons of the trade server acting on the account's position as a whole (SL, TP, stop-out).
ACCOUNT_LEVEL_REASONS: Final = frozenset({DEAL_REASON_SL, DEAL_REASON_TP, DEAL_REASON_SO})

# ORDER_STATE_EXPIRED (mt5-constants §1.5): a pending order whose lifetime ended before it filled.
ORDER_STATE_EXPIRED: Final = 6

# ORDER_TYPE_* of pending orders (mt5-constants §1.2): buy-side types are even, sell-side odd.
ORDER_TYPE_BUY_LIMIT: Final = 2
ORDER_TYPE_SELL_LIMIT: Final = 3
ORDER_TYPE_BUY_STOP: Final = 4
ORDER_TYPE_SELL_STOP: Final = 5
ORDER_TYPE_BUY_STOP_LIMIT: Final = 6
ORDER_TYPE_SELL_STOP_LIMIT: Final = 7

_U64 = 2**64
#: Bounds that keep every figure convertible (year 3000 in server-time seconds; money and prices far beyond any
#: account): a malformed report is refused with 422, never turned into an overflow.
_MAX_SECONDS = 32_503_680_000
_MAX_MONEY = 1e12


class Deal(BaseModel):
    """One deal from ``history_deals_get``, as the terminal reported it, plus the server-time offset.

    - ``ticket``: DEAL_TICKET; ``order``: the order that produced it (DEAL_ORDER); ``position_id``: the
      position it opened, changed or closed (DEAL_POSITION_ID; a netting position keeps one id through
      reversals, mt5-api §5.5). ``magic``: DEAL_MAGIC (0 for manual trades).
    - ``time``/``time_msc``: trade server time (s / ms since the epoch, server's zone).
    - ``type`` DEAL_TYPE_*, ``entry`` DEAL_ENTRY_*, ``reason`` DEAL_REASON_*.
    - ``volume`` lots, ``price`` symbol quote; ``commission``, ``swap``, ``profit``, ``fee`` account currency
      (``profit`` of an OUT deal is MT5's, computed against the position's average price).
    - ``server_offset_seconds``: the trade server's clock minus UTC, in seconds, as the agent measured it
      (e.g. 10800 for a server on UTC+3).
    """

    model_config = ConfigDict(frozen=True, allow_inf_nan=False)

    ticket: int = Field(ge=0, lt=_U64)
    order: int = Field(default=0, ge=0, lt=_U64)
    time: int = Field(ge=0, le=_MAX_SECONDS)
    time_msc: int = Field(default=0, ge=0, le=_MAX_SECONDS * 1000)
    type: int = Field(ge=0, lt=2**32)
    entry: int = Field(default=DEAL_ENTRY_IN, ge=0, lt=2**32)
    magic: int = Field(default=0, ge=0, lt=_U64)
    position_id: int = Field(default=0, ge=0, lt=_U64)
    reason: int = Field(default=DEAL_REASON_CLIENT, ge=0, lt=2**32)
    volume: float = Field(default=0.0, ge=0, le=_MAX_MONEY)
    price: float = Field(default=0.0, ge=0, le=_MAX_MONEY)
    commission: float = Field(default=0.0, ge=-_MAX_MONEY, le=_MAX_MONEY)
    swap: float = Field(default=0.0, ge=-_MAX_MONEY, le=_MAX_MONEY)
    profit: float = Field(default=0.0, ge=-_MAX_MONEY, le=_MAX_MONEY)
    fee: float = Field(default=0.0, ge=-_MAX_MONEY, le=_MAX_MONEY)
    symbol: str = Field(default="", max_length=64)
    comment: str = Field(default="", max_length=64)
    external_id: str = Field(default="", max_length=128)
    server_offset_seconds: int = Field(default=0, ge=-14 * 3600, le=14 * 3600)

    @property
    def server_msc(self) -> int:
        """The deal's server time in milliseconds (``time_msc``, or ``time`` when the terminal gave no ms)."""
        return self.time_msc or self.time * 1000

    @property
    def time_utc(self) -> datetime:
        """The deal's time as an aware UTC datetime: server time minus the measured offset."""
        return datetime.fromtimestamp(self.server_msc / 1000 - self.server_offset_seconds, UTC)

    @property
    def is_trade(self) -> bool:
        """True for a buy or sell deal (the only types that open, change or close a position)."""
        return self.type in (DEAL_TYPE_BUY, DEAL_TYPE_SELL)

    @property
    def sign(self) -> int:
        """+1 for a buy, -1 for a sell (0 for account operations)."""
        return {DEAL_TYPE_BUY: 1, DEAL_TYPE_SELL: -1}.get(self.type, 0)


class ExpiredOrder(BaseModel):
    """A pending order that expired (ORDER_STATE_EXPIRED) with volume left unfilled, from
    ``history_orders_get``; MT5 ``TradeOrder`` names and units (times in server time, volumes in lots)."""

    model_config = ConfigDict(frozen=True, allow_inf_nan=False)

    ticket: int = Field(ge=0, lt=_U64)
    time_setup_msc: int = Field(ge=0, le=_MAX_SECONDS * 1000)
    time_done_msc: int = Field(ge=0, le=_MAX_SECONDS * 1000)
    type: int = Field(ge=0, lt=2**32)
    magic: int = Field(default=0, ge=0, lt=_U64)
    volume_initial: float = Field(ge=0, le=_MAX_MONEY)
    volume_current: float = Field(ge=0, le=_MAX_MONEY)
    price_open: float = Field(default=0.0, ge=0, le=_MAX_MONEY)
    symbol: str = Field(min_length=1, max_length=64)
    comment: str = Field(default="", max_length=64)
    server_offset_seconds: int = Field(default=0, ge=-14 * 3600, le=14 * 3600)

    def utc(self, server_msc: int) -> datetime:
        """A server time of this order (ms) as an aware UTC datetime."""
        return datetime.fromtimestamp(server_msc / 1000 - self.server_offset_seconds, UTC)


class SyncCursor(BaseModel):
    """How far an agent has read one account's deal history: every deal up to and including server time
    ``through_msc`` has been posted. The next read starts a safety overlap before it (deals are stored once, so
    the overlap costs nothing but bandwidth)."""

    model_config = ConfigDict(frozen=True)

    through_msc: int = Field(ge=0, le=_MAX_SECONDS * 1000)


class DealBatch(BaseModel):
    """Deals an agent read from one account, posted to ``POST /api/v1/agents/{agent_id}/deals``.

    ``login``/``server``/``currency``/``currency_digits``/``margin_mode`` come from ``account_info()``
    (``currency_digits``: the decimals money is rounded to, usually 2). ``deals`` may overlap earlier posts
    and may arrive in any order (the server orders them by server time, then ticket). ``expired_orders`` are
    pending orders that expired unfilled in the same range. ``cursor``: how far the history is now read.
    """

    model_config = ConfigDict(allow_inf_nan=False)

    login: int = Field(ge=0, lt=2**63)
    server: str = Field(default="", max_length=128)
    currency: str = Field(min_length=1, max_length=16)
    currency_digits: int = Field(default=2, ge=0, le=8)
    margin_mode: Literal["netting", "hedging"]
    deals: list[Deal] = Field(default_factory=list, max_length=10_000)
    expired_orders: list[ExpiredOrder] = Field(default_factory=list, max_length=10_000)
    cursor: SyncCursor | None = None
