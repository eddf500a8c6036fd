"""The MT5 adapter: the only code that calls the ``MetaTrader5`` module API.

It is given the module object (the real ``MetaTrader5`` package on Windows, ``agent.mt5sim`` elsewhere), so
the same code runs in live and paper mode. It turns module results into :mod:`agent.market` views, sends
planned requests with the right filling mode, retries only what MetaQuotes' own helpers retry (requotes and
missing prices, mt5-api §1.9/§3.2), and never re-sends a request whose outcome is unknown.

Every module call holds one lock together with its ``last_error()`` read: the error state is one process-wide
value (mt5-api §1.2, §5.1).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from agent.market import AccountView, MarginMode, OrderView, PositionView, Quote, SymbolSpec
from agent.mt5.errors import (
    AMBIGUOUS_IPC,
    DISCONNECTED_IPC,
    OrderOutcomeUnknown,
    OrderRefused,
    RetcodeClass,
    TerminalUnavailable,
    ipc_sentence,
    retcode_info,
)
from agent.mt5.filling import filling_candidates

logger = logging.getLogger(__name__)

TRADE_ACTION_DEAL = 1
TRADE_ACTION_PENDING = 5
#: Attempts for requotes / changed prices / no prices (MetaQuotes' Buy/Sell use up to 10).
PRICE_RETRIES = 5
#: Attempts for "too many requests" / "locked" / "no connection", with back-off.
LATER_RETRIES = 3

_SPEC_FIELDS = (
    "digits",
    "point",
    "trade_tick_size",
    "trade_tick_value",
    "trade_contract_size",
    "volume_min",
    "volume_max",
    "volume_step",
    "trade_tick_value_loss",
    "trade_tick_value_profit",
    "volume_limit",
    "trade_stops_level",
    "trade_freeze_level",
    "trade_mode",
    "trade_exemode",
    "filling_mode",
    "order_mode",
    "trade_calc_mode",
    "currency_base",
    "currency_profit",
    "currency_margin",
    "path",
)


@dataclass(frozen=True)
class TerminalConfig:
    """How to reach the terminal: ``path`` to terminal64.exe (always pass it: auto-discovery may pick
    another terminal, mt5-api §1.3), optional ``login``/``password``/``server``, ``timeout_ms`` for readiness."""

    path: str | None = None
    login: int | None = None
    password: str | None = None
    server: str | None = None
    timeout_ms: int = 60_000


@dataclass
class SendReport:
    """What one planned request did: the final result's fields and the filling mode that worked."""

    retcode: int
    order: int
    deal: int
    volume: float
    price: float
    comment: str
    request: dict[str, Any] = field(default_factory=dict)


class Mt5Terminal:
    """One terminal connection. ``price_feed(symbol, price)``, when given, sets the quote before an order:
    the simulator's paper mode takes its quote from the alert's price; live mode passes none."""

    def __init__(
        self,
        module: Any,
        config: TerminalConfig | None = None,
        *,
        price_feed: Callable[[str, float], None] | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.mt5 = module
        self.config = config or TerminalConfig()
        self.price_feed = price_feed
        self._sleep = sleep
        self._lock = threading.RLock()
        self._symbol_names: list[str] | None = None

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
                raise TerminalUnavailable(ipc_sentence(code, message))
            raise OrderRefused(ipc_sentence(code, message))
        return result

    # -- connection -----------------------------------------------------------------------------------

    def connect(self) -> None:
        """``initialize()`` (with path/credentials when configured). :raises TerminalUnavailable:"""
        c = self.config
        kwargs: dict[str, Any] = {"timeout": c.timeout_ms}
        if c.login is not None:
            kwargs.update(login=int(c.login), password=c.password or "", server=c.server or "")
        args = (c.path,) if c.path else ()
        ok, (code, message) = self.call("initialize", *args, **kwargs)
        if not ok:
            raise TerminalUnavailable(ipc_sentence(code, message))
        self._symbol_names = None

    def shutdown(self) -> None:
        """Close the connection (the terminal keeps running)."""
        self.call("shutdown")

    def health(self) -> dict[str, Any]:
        """``connected``/``trade_allowed``/``tradeapi_disabled`` from ``terminal_info()``; raises when unreachable."""
        info = self._checked("terminal_info")
        return {
            "connected": bool(info.connected),
            "trade_allowed": bool(info.trade_allowed),
            "tradeapi_disabled": bool(info.tradeapi_disabled),
        }

    # -- reading state --------------------------------------------------------------------------------

    def symbol_names(self, refresh: bool = False) -> list[str]:
        """Names of every symbol the broker offers (``symbols_get()``; slow on big brokers, so cached)."""
        if self._symbol_names is None or refresh:
            self._symbol_names = [s.name for s in self._checked("symbols_get")]
        return self._symbol_names

    def prepare_symbol(self, name: str) -> SymbolSpec:
        """``symbol_select(name, True)`` (data calls are unreliable outside Market Watch, mt5-api §1.5) and
        return its spec. :raises OrderRefused: unknown symbol."""
        self._checked("symbol_select", name, True)
        info = self._checked("symbol_info", name)
        return SymbolSpec(name=info.name, **{f: getattr(info, f) for f in _SPEC_FIELDS})

    def quote(self, name: str) -> Quote:
        """The latest tick. :raises OrderRefused: no tick (retcode 10021's cause)."""
        tick = self._checked("symbol_info_tick", name)
        return Quote(bid=float(tick.bid), ask=float(tick.ask), time=int(tick.time))

    def account(self) -> AccountView:
        """Account figures and the netting/hedging mode (``margin_mode`` 2 = hedging)."""
        a = self._checked("account_info")
        mode = MarginMode.HEDGING if a.margin_mode == 2 else MarginMode.NETTING
        return AccountView(
            login=int(a.login),
            currency=a.currency,
            balance=float(a.balance),
            equity=float(a.equity),
            margin_free=float(a.margin_free),
            margin_mode=mode,
            leverage=int(a.leverage),
        )

    def account_raw(self) -> Any:
        """The module's ``AccountInfo`` as is."""
        return self._checked("account_info")

    def positions(self, *, magic: int | None = None, symbol: str | None = None) -> tuple[PositionView, ...]:
        """Open positions, optionally of one symbol and/or one magic number."""
        raw = self._checked("positions_get", symbol=symbol) if symbol else self._checked("positions_get")
        return tuple(
            PositionView(
                ticket=p.ticket,
                symbol=p.symbol,
                side="long" if p.type == 0 else "short",
                volume=p.volume,
                price_open=p.price_open,
                sl=p.sl,
                tp=p.tp,
                magic=p.magic,
                comment=p.comment,
                identifier=p.identifier,
                profit=p.profit,
                time=p.time,
            )
            for p in raw
            if magic is None or p.magic == magic
        )

    def orders(self, *, magic: int | None = None, symbol: str | None = None) -> tuple[OrderView, ...]:
        """Active pending orders, optionally of one symbol and/or one magic number."""
        raw = self._checked("orders_get", symbol=symbol) if symbol else self._checked("orders_get")
        return tuple(
            OrderView(
                ticket=o.ticket,
                symbol=o.symbol,
                type=o.type,
                volume=o.volume_current,
                price_open=o.price_open,
                sl=o.sl,
                tp=o.tp,
                magic=o.magic,
                comment=o.comment,
            )
            for o in raw
            if magic is None or o.magic == magic
        )

    def deals_since(self, since: datetime) -> tuple[Any, ...]:
        """History deals from ``since`` to tomorrow (server clocks often run ahead of UTC, mt5-api §1.6)."""
        until = datetime.now(UTC) + timedelta(days=1)
        return tuple(self._checked("history_deals_get", since, until))

    def find_by_comment(self, comment: str, magic: int, since: datetime) -> dict[str, list[Any]]:
        """Orders, deals and positions carrying exactly ``comment`` and ``magic``: what a request sent before
        a crash or a timeout left behind (exactly-once reconciliation)."""
        pos = [p for p in self._checked("positions_get") if p.comment == comment and p.magic == magic]
        orders = [o for o in self._checked("orders_get") if o.comment == comment and o.magic == magic]
        until = datetime.now(UTC) + timedelta(days=1)
        deals = [
            d for d in self._checked("history_deals_get", since, until) if d.comment == comment and d.magic == magic
        ]
        return {"positions": pos, "orders": orders, "deals": deals}

    # -- sending --------------------------------------------------------------------------------------

    def send(self, request: dict[str, Any], spec: SymbolSpec) -> SendReport:
        """Send one request, choosing ``type_filling`` and refreshing the price on requotes.

        :raises OrderRefused: final refusal (with the retcode and a sentence).
        :raises OrderOutcomeUnknown: timeout or a broken connection mid-call: the order may exist.
        :raises TerminalUnavailable: not connected (nothing was sent).
        """
        req = dict(request)
        action = req.get("action")
        is_trade = action in (TRADE_ACTION_DEAL, TRADE_ACTION_PENDING)
        fillings = filling_candidates(spec, pending=action == TRADE_ACTION_PENDING) if is_trade else [None]
        price_tries = later_tries = 0
        while True:
            result = None
            for filling in fillings:
                if filling is not None:
                    req["type_filling"] = filling
                result = self._send_once(req)
                if retcode_info(result.retcode).kind is not RetcodeClass.NEXT_FILLING:
                    break
            assert result is not None
            info = retcode_info(result.retcode)
            if info.kind is RetcodeClass.DONE:
                return SendReport(
                    retcode=result.retcode,
                    order=result.order,
                    deal=result.deal,
                    volume=result.volume,
                    price=result.price,
                    comment=result.comment,
                    request=req,
                )
            if info.kind is RetcodeClass.RETRY_PRICE and price_tries < PRICE_RETRIES:
                price_tries += 1
                self._sleep(0.05 * price_tries)
                self._refresh_price(req, spec)
                continue
            if info.kind is RetcodeClass.RETRY_LATER and later_tries < LATER_RETRIES:
                later_tries += 1
                self._sleep(0.25 * 2**later_tries)
                self._refresh_price(req, spec)
                continue
            if info.kind is RetcodeClass.AMBIGUOUS:
                raise OrderOutcomeUnknown(f"{info.sentence} (retcode {result.retcode})")
            raise OrderRefused(f"{info.sentence} (retcode {result.retcode} {info.name})", retcode=result.retcode)

    def _send_once(self, req: dict[str, Any]) -> Any:
        result, (code, message) = self.call("order_send", req)
        if result is None:
            if code in AMBIGUOUS_IPC:
                raise OrderOutcomeUnknown(ipc_sentence(code, message))
            if code in DISCONNECTED_IPC:
                raise TerminalUnavailable(ipc_sentence(code, message))
            raise OrderRefused(ipc_sentence(code, message))
        return result

    def _refresh_price(self, req: dict[str, Any], spec: SymbolSpec) -> None:
        # Market deals go at the current price: ask to buy, bid to sell (mt5-api §4.2).
        if req.get("action") != TRADE_ACTION_DEAL:
            return
        try:
            q = self.quote(spec.name)
        except OrderRefused:
            return
        req["price"] = q.ask if req.get("type") == 0 else q.bid
