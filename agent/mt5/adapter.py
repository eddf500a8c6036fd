"""The MT5 adapter: the :class:`~agent.broker.interface.Broker` over the ``MetaTrader5`` module API, and the only
code that calls it.

It is given the module object (the real ``MetaTrader5`` package on Windows, ``agent.mt5sim`` elsewhere), so
the same code runs in live and paper mode. It turns module results into broker-neutral models
(:mod:`agent.mt5.convert`), turns neutral requests into ``order_send`` dicts (:mod:`agent.mt5.requests`), sends
them with the filling mode the symbol allows (:mod:`agent.mt5.filling`), retries only what MetaQuotes' own
helpers retry (requotes and missing prices, mt5-api §1.9/§3.2) and never re-sends a request whose outcome is
unknown.

Every module call holds one lock together with its ``last_error()`` read: the error state is one process-wide
value (mt5-api §1.2, §5.1).
"""

from __future__ import annotations

import logging
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from tenacity import RetryCallState, Retrying, retry_if_result, stop_after_delay, wait_fixed

from agent.broker.clock import MAX_OFFSET_SECONDS, ServerClock
from agent.broker.errors import BrokerUnavailable, OrderOutcomeUnknown, OrderRefused
from agent.broker.models import (
    AccountView,
    BrokerHealth,
    CancelOrder,
    ClosePosition,
    Deal,
    HistoricalOrder,
    MarketOrder,
    ModifyOrder,
    ModifyPosition,
    OrderReceipt,
    OrderRequest,
    OrderView,
    PendingOrder,
    PositionView,
    Quote,
    SymbolSpec,
)
from agent.mt5 import constants as c
from agent.mt5 import convert, requests
from agent.mt5.errors import (
    AMBIGUOUS_IPC,
    DISCONNECTED_IPC,
    RetcodeClass,
    initialize_sentence,
    ipc_sentence,
    retcode_info,
    retcode_name,
)
from agent.mt5.filling import filling_candidates
from contract.intent import Side

logger = logging.getLogger(__name__)

#: Attempts for requotes / changed prices / no prices (MetaQuotes' Buy/Sell use up to 10).
PRICE_RETRIES = 5
#: Attempts for "too many requests" / "locked" / "no connection", with back-off.
LATER_RETRIES = 3
#: Seconds to wait for the first tick of a symbol just added to Market Watch (mt5-api §1.5: "then wait until a
#: non-zero tick arrives"; field reports of ``symbol_info_tick`` returning ``None`` right after selecting).
FIRST_TICK_TIMEOUT = 3.0
#: Seconds between looks for that first tick.
FIRST_TICK_POLL = 0.02
#: Seconds between looks at the ticks that measure the trade server's clock (agent/broker/clock.py).
CLOCK_LOOK_SECONDS = 20.0
#: Symbols whose ticks measure the server clock when the agent has touched none yet (with the broker's suffix).
CLOCK_SYMBOLS = ("EURUSD", "GBPUSD", "USDJPY", "XAUUSD", "BTCUSD")
#: A deal lookup ends this far after now: the broker's clock may run ahead of UTC (mt5-api §1.6, §7).
_DAY = 86_400


@dataclass(frozen=True)
class TerminalConfig:
    """How to reach the terminal: ``path`` to terminal64.exe (always pass it: auto-discovery may pick
    another terminal, mt5-api §1.3), optional ``login``/``password``/``server``, ``timeout_ms`` for readiness."""

    path: str | None = None
    login: int | None = None
    password: str | None = None
    server: str | None = None
    timeout_ms: int = 60_000


class _Retryable(Exception):
    """An answer MetaQuotes' helpers retry (a requote, no prices, too many requests ...)."""

    def __init__(self, kind: RetcodeClass, retcode: int, sentence: str) -> None:
        super().__init__(sentence)
        self.kind = kind
        self.retcode = retcode


class Mt5Broker:
    """One terminal connection, as a :class:`~agent.broker.interface.Broker`.

    ``price_feed(symbol, price)``, when given, sets the quote before an order: the simulator's paper mode takes
    its quote from the alert's price; live mode passes none. ``sleep`` waits between retries (injectable).
    ``clock_file`` keeps the measured trade-server clock offset across restarts (weekends have no live ticks).
    """

    def __init__(
        self,
        module: Any,
        config: TerminalConfig | None = None,
        *,
        kind: str = "mt5",
        price_feed: Callable[[str, float], None] | None = None,
        sleep: Callable[[float], None] = time.sleep,
        first_tick_timeout: float = FIRST_TICK_TIMEOUT,
        clock_file: Path | None = None,
    ) -> None:
        self.mt5 = module
        self.config = config or TerminalConfig()
        self.kind = kind
        self.price_feed = price_feed
        self.first_tick_timeout = first_tick_timeout
        self._sleep = sleep
        self._lock = threading.RLock()
        self._symbol_names: list[str] | None = None
        #: symbol -> (SymbolInfo.filling_mode, SymbolInfo.trade_exemode), read with its spec.
        self._filling: dict[str, tuple[int, int]] = {}
        #: The trade server's clock offset, measured from ticks (agent/broker/clock.py).
        self.clock = ServerClock(clock_file)
        #: Symbols whose ticks the clock looks at (those the agent trades), and when it last looked.
        self._clock_symbols: dict[str, None] = {}
        self._clock_looked = -float("inf")

    # -- low level -------------------------------------------------------------------------------------

    def call(self, name: str, *args: Any, **kwargs: Any) -> tuple[Any, tuple[int, str]]:
        """Call ``mt5.<name>`` and read ``last_error()`` under one lock; returns ``(result, (code, msg))``."""
        with self._lock:
            result = getattr(self.mt5, name)(*args, **kwargs)
            return result, self.mt5.last_error()

    def _checked(self, name: str, *args: Any, **kwargs: Any) -> Any:
        result, (code, message) = self.call(name, *args, **kwargs)
        if result is None or result is False:
            if code in DISCONNECTED_IPC:
                raise BrokerUnavailable(ipc_sentence(code, message))
            raise OrderRefused(ipc_sentence(code, message))
        return result

    # -- connection -----------------------------------------------------------------------------------

    def connect(self) -> None:
        """``initialize()``, with the path and only the credentials that are configured.

        An empty ``password=""``/``server=""`` is not "none" to the terminal: it is sent and checked. So each is
        passed only when set, and without a login none is (the terminal's saved login is used).

        :raises BrokerUnavailable: with the reason (an invalid-parameter answer is explained, not blamed on a bug).
        """
        c = self.config
        kwargs: dict[str, Any] = {"timeout": int(c.timeout_ms)}
        if c.login is not None:
            kwargs["login"] = int(c.login)
            if c.password:
                kwargs["password"] = c.password
            if c.server:
                kwargs["server"] = c.server
        args = (c.path,) if c.path else ()
        ok, (code, message) = self.call("initialize", *args, **kwargs)
        if not ok:
            raise BrokerUnavailable(initialize_sentence(code, message))
        self._symbol_names = None
        info, _ = self.call("account_info")
        if info is not None:
            self.clock.use_server(str(info.server))

    def shutdown(self) -> None:
        """Close the connection (the terminal keeps running)."""
        self.call("shutdown")

    def health(self) -> BrokerHealth:
        """From ``terminal_info()``: ``connected``, ``trade_allowed`` (Algo Trading) and ``tradeapi_disabled``."""
        info = self._checked("terminal_info")
        return BrokerHealth(
            connected=bool(info.connected),
            trade_allowed=bool(info.trade_allowed),
            api_disabled=bool(info.tradeapi_disabled),
        )

    # -- reading state --------------------------------------------------------------------------------

    def symbol_names(self, refresh: bool = False) -> list[str]:
        """Names of every symbol the broker offers (``symbols_get()``; slow on big brokers, so cached)."""
        if self._symbol_names is None or refresh:
            self._symbol_names = [s.name for s in self._checked("symbols_get")]
        return self._symbol_names

    def symbol_spec(self, name: str) -> SymbolSpec:
        """``symbol_select(name, True)`` (data calls are unreliable outside Market Watch, mt5-api §1.5), wait
        for its first tick, and return its spec.

        :raises OrderRefused: unknown symbol, or no price within ``first_tick_timeout`` seconds.
        """
        self._checked("symbol_select", name, True)
        self._wait_first_tick(name)
        info = self._checked("symbol_info", name)
        self._filling[info.name] = (int(info.filling_mode), int(info.trade_exemode))
        return convert.symbol_spec(info)

    def _wait_first_tick(self, name: str) -> None:
        """A symbol just added to Market Watch has no tick until the terminal receives one: wait, with a bound."""

        def no_price(tick: Any) -> bool:
            return tick is None or not (tick.bid > 0 and tick.ask > 0)

        retrying = Retrying(
            retry=retry_if_result(no_price),
            wait=wait_fixed(FIRST_TICK_POLL),
            stop=stop_after_delay(self.first_tick_timeout),
            sleep=self._sleep,
            retry_error_callback=lambda state: state.outcome.result() if state.outcome else None,
        )
        tick = retrying(lambda: self.call("symbol_info_tick", name)[0])
        if no_price(tick):
            raise OrderRefused(
                f"MetaTrader 5 has no price for {name}: none arrived within {self.first_tick_timeout:g} s of adding "
                f"it to Market Watch. The market may be closed, or the broker sends no quotes for it right now."
            )

    def quote(self, name: str) -> Quote:
        """The latest tick. :raises OrderRefused: no tick (retcode 10021's cause)."""
        q = convert.quote(self._checked("symbol_info_tick", name))
        self._clock_symbols[name] = None
        self.clock.observe(name, q.time_msc or q.time * 1000)
        return q

    def server_offset(self) -> int | None:
        """The trade server's clock minus UTC in seconds (agent/broker/clock.py), looking at the ticks of the
        symbols the agent trades (else a few majors) at most every :data:`CLOCK_LOOK_SECONDS`."""
        now = time.monotonic()
        if now - self._clock_looked >= CLOCK_LOOK_SECONDS or not self.clock.measured:
            self._clock_looked = now
            for name in self._clock_candidates():
                tick, _ = self.call("symbol_info_tick", name)
                if tick is not None and tick.bid > 0:
                    self.clock.observe(name, int(tick.time_msc) or int(tick.time) * 1000)
        return self.clock.offset

    def _clock_candidates(self) -> list[str]:
        names = list(self._clock_symbols)[-5:]
        if names:
            return names
        try:
            offered = self.symbol_names()
        except (OrderRefused, BrokerUnavailable):
            return []
        return [n for base in CLOCK_SYMBOLS for n in offered if n.startswith(base)][:3]

    def account(self) -> AccountView:
        """Account figures and the netting/hedging mode."""
        return convert.account(self._checked("account_info"))

    def positions(self, *, magic: int | None = None, symbol: str | None = None) -> tuple[PositionView, ...]:
        """Open positions, optionally of one symbol and/or one magic number."""
        raw = self._checked("positions_get", symbol=symbol) if symbol else self._checked("positions_get")
        return tuple(convert.position(p) for p in raw if magic is None or p.magic == magic)

    def orders(self, *, magic: int | None = None, symbol: str | None = None) -> tuple[OrderView, ...]:
        """Active pending orders, optionally of one symbol and/or one magic number."""
        raw = self._checked("orders_get", symbol=symbol) if symbol else self._checked("orders_get")
        views = (convert.order(o) for o in raw if magic is None or o.magic == magic)
        return tuple(v for v in views if v is not None)

    def deals_since(self, since: datetime) -> tuple[Deal, ...]:
        """History deals from ``since`` (aware UTC) to a day past now, in trade-server time (mt5-api §1.6): moved
        by the measured offset, or widened by 14 hours either way while it is unknown (a deal is never missed)."""
        offset = self.server_offset()
        utc_start, utc_now = int(since.timestamp()), int(datetime.now(UTC).timestamp())
        if offset is None:
            start, end = utc_start - MAX_OFFSET_SECONDS, utc_now + MAX_OFFSET_SECONDS + _DAY
        else:
            start, end = utc_start + offset, utc_now + offset + _DAY
        return self.deal_history(start, end)

    def deal_history(self, start: int, end: int) -> tuple[Deal, ...]:
        """``history_deals_get(start, end)``: deals in ``[start, end]``, trade-server epoch seconds."""
        raw = self._checked("history_deals_get", int(max(start, 0)), int(max(end, 0)))
        return tuple(sorted((convert.deal(d) for d in raw), key=lambda d: (d.server_msc, d.ticket)))

    def position_deals(self, position_id: int) -> tuple[Deal, ...]:
        """``history_deals_get(position=id)``: the position's whole life, oldest first (mt5-api §1.6)."""
        raw = self._checked("history_deals_get", position=int(position_id))
        return tuple(sorted((convert.deal(d) for d in raw), key=lambda d: (d.server_msc, d.ticket)))

    def order_history(self, start: int, end: int) -> tuple[HistoricalOrder, ...]:
        """``history_orders_get(start, end)``: orders of the history in ``[start, end]`` (server seconds)."""
        raw = self._checked("history_orders_get", int(max(start, 0)), int(max(end, 0)))
        return tuple(convert.historical_order(o) for o in raw)

    def historical_order(self, ticket: int) -> HistoricalOrder | None:
        """``history_orders_get(ticket=...)``: the order of the history with this ticket, or ``None``."""
        raw = self._checked("history_orders_get", ticket=int(ticket))
        return convert.historical_order(raw[0]) if raw else None

    def margin(self, side: Side, symbol: str, volume: float, price: float) -> float:
        """``order_calc_margin(ORDER_TYPE_BUY/SELL, symbol, volume, price)``: account-currency margin of the order
        alone (mt5-api §1.8). :raises OrderRefused: the terminal could not compute it."""
        action = c.ORDER_TYPE_BUY if side == Side.BUY else c.ORDER_TYPE_SELL
        return float(self._checked("order_calc_margin", action, symbol, float(volume), float(price)))

    # -- paper trading --------------------------------------------------------------------------------

    def follow_alert_price(self, symbol: str, price: float) -> None:
        """Paper mode: set the simulator's quote of ``symbol`` from the alert's ``price``; live: nothing.

        :raises OrderRefused: the simulator cannot quote that price (not positive at the symbol's digits).
        """
        if self.price_feed is None:
            return
        try:
            self.price_feed(symbol, price)
        except (ValueError, ArithmeticError) as exc:
            raise OrderRefused(
                f"The alert's price {price:g} is not a usable price for {symbol} (it is not above 0 at the "
                f"symbol's digits), so the paper account cannot trade at it. Check the price in the alert."
            ) from exc

    # -- sending --------------------------------------------------------------------------------------

    def place_order(self, request: MarketOrder | PendingOrder) -> OrderReceipt:
        """A market deal or a pending order (TRADE_ACTION_DEAL / TRADE_ACTION_PENDING)."""
        return self._send(request)

    def close_position(self, request: ClosePosition) -> OrderReceipt:
        """An opposite deal with ``position=ticket`` (mt5-api §2.2)."""
        return self._send(request)

    def modify(self, request: ModifyPosition | ModifyOrder) -> OrderReceipt:
        """TRADE_ACTION_SLTP for a position, TRADE_ACTION_MODIFY for a pending order."""
        return self._send(request)

    def cancel_order(self, request: CancelOrder) -> OrderReceipt:
        """TRADE_ACTION_REMOVE."""
        return self._send(request)

    def _send(self, request: OrderRequest) -> OrderReceipt:
        """Send one request, choosing ``type_filling`` and refreshing the price on requotes.

        :raises OrderRefused: final refusal (with the retcode and a sentence).
        :raises OrderOutcomeUnknown: timeout or a broken connection mid-call: the order may exist.
        :raises BrokerUnavailable: not connected (nothing was sent).
        """
        req = requests.build(request)
        fillings: list[int | None] = [None]
        if requests.is_trade(req):
            fillings = list(self._filling_candidates(request.symbol, pending=requests.is_pending(req)))
        budgets = {RetcodeClass.RETRY_PRICE: PRICE_RETRIES, RetcodeClass.RETRY_LATER: LATER_RETRIES}
        used: Counter[RetcodeClass] = Counter()

        def again(state: RetryCallState) -> bool:
            exc = state.outcome.exception() if state.outcome else None
            if not isinstance(exc, _Retryable):
                return False
            used[exc.kind] += 1
            return used[exc.kind] <= budgets[exc.kind]

        def pause(state: RetryCallState) -> float:
            exc = state.outcome.exception() if state.outcome else None
            kind = exc.kind if isinstance(exc, _Retryable) else RetcodeClass.RETRY_PRICE
            n = used[kind]
            return 0.05 * n if kind is RetcodeClass.RETRY_PRICE else 0.25 * 2**n

        retrying = Retrying(
            retry=again,
            wait=pause,
            sleep=self._sleep,
            before_sleep=lambda _state: self._refresh_price(req, request.symbol),
            reraise=True,
        )
        try:
            result = retrying(self._send_fillings, req, fillings)
        except _Retryable as exc:
            raise OrderRefused(
                f"{exc} (retcode {exc.retcode} {retcode_name(exc.retcode)}, still after retries)", code=exc.retcode
            ) from exc
        asked = float(req.get("volume", 0.0)) if requests.is_trade(req) else 0.0
        filled = float(result.volume)
        partial = int(result.retcode) == c.TRADE_RETCODE_DONE_PARTIAL or (
            bool(result.deal) and not requests.is_pending(req) and 0 < filled < asked - 1e-9
        )
        return OrderReceipt(
            order=int(result.order),
            deal=int(result.deal),
            volume=filled,
            price=float(result.price),
            code=int(result.retcode),
            message=str(result.comment),
            code_name=retcode_name(int(result.retcode)),
            sentence=retcode_info(int(result.retcode)).sentence,
            requested_volume=asked,
            partial=partial,
        )

    def _send_fillings(self, req: dict[str, Any], fillings: list[int | None]) -> Any:
        """One attempt: each filling mode in turn while the server answers 10030; then classify the answer."""
        result = None
        for filling in fillings:
            if filling is not None:
                req["type_filling"] = filling
            result = self._send_once(req)
            if retcode_info(result.retcode).kind is not RetcodeClass.NEXT_FILLING:
                break
        assert result is not None
        retcode = int(result.retcode)
        info = retcode_info(retcode)
        logger.info("order_send %s -> %s %s", req, retcode, retcode_name(retcode))
        if info.kind is RetcodeClass.DONE:
            return result
        if info.kind in (RetcodeClass.RETRY_PRICE, RetcodeClass.RETRY_LATER):
            raise _Retryable(info.kind, retcode, info.sentence)
        if info.kind is RetcodeClass.AMBIGUOUS:
            raise OrderOutcomeUnknown(f"{info.sentence} (retcode {retcode})")
        raise OrderRefused(f"{info.sentence} (retcode {retcode} {retcode_name(retcode)})", code=retcode)

    def _send_once(self, req: dict[str, Any]) -> Any:
        result, (code, message) = self.call("order_send", req)
        if result is None:
            if code in AMBIGUOUS_IPC:
                raise OrderOutcomeUnknown(ipc_sentence(code, message))
            if code in DISCONNECTED_IPC:
                raise BrokerUnavailable(ipc_sentence(code, message))
            raise OrderRefused(ipc_sentence(code, message))
        return result

    def _filling_candidates(self, symbol: str, *, pending: bool) -> list[int]:
        if symbol not in self._filling:
            info = self._checked("symbol_info", symbol)
            self._filling[symbol] = (int(info.filling_mode), int(info.trade_exemode))
        filling_mode, exemode = self._filling[symbol]
        return filling_candidates(filling_mode, exemode, pending=pending)

    def _refresh_price(self, req: dict[str, Any], symbol: str) -> None:
        # Market deals go at the current price: ask to buy, bid to sell (mt5-api §4.2).
        key = requests.market_price_key(req)
        if key is None:
            return
        try:
            q = self.quote(symbol)
        except OrderRefused:
            return
        req["price"] = q.ask if key == "ask" else q.bid
