"""The broker as the agent uses it once fenced: every call under the watchdog, every write only under a valid lease.

:class:`FencedBroker` wraps the real broker (:class:`~agent.broker.interface.Broker`) for the job loop, the executor,
the stop manager, the deal sync and the exit monitor. A read or a connect runs under the watchdog's fixed limit; a write
first checks that this process's lease is valid (:class:`~agent.lease.LeaseKeeper`) and then runs under a deadline that
never passes the lease's validity (:mod:`agent.watchdog`). Without a valid lease a write is not sent: it raises
:class:`LeaseLapsed`, a :class:`~agent.broker.errors.BrokerUnavailable` (nothing was sent), which the job loop waits out
like an unreachable broker, or, when another process took the agent id over, leaves to that process.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import TypeVar

from agent.broker.errors import BrokerUnavailable
from agent.broker.interface import Broker
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
    OrderView,
    PendingOrder,
    PositionView,
    Quote,
    SymbolSpec,
)
from agent.lease import LeaseKeeper
from agent.watchdog import Watchdog, WatchdogLimits

T = TypeVar("T")


class LeaseLapsed(BrokerUnavailable):
    """Not sent: this agent process does not hold a valid lease on its agent id right now."""


class FencedBroker:
    """``inner`` behind the watchdog and the lease (see the module docstring). Limits in seconds."""

    def __init__(
        self,
        inner: Broker,
        lease: LeaseKeeper,
        watchdog: Watchdog,
        limits: WatchdogLimits | None = None,
    ) -> None:
        self.inner = inner
        self.kind = inner.kind
        self.lease = lease
        self.watchdog = watchdog
        limits = limits or WatchdogLimits()
        self.read_limit = limits.read
        self.connect_limit = limits.connect
        self.write_limit = limits.write

    def _read(self, what: str, call: Callable[[], T]) -> T:
        with self.watchdog.guard(what, self.read_limit):
            return call()

    def _write(self, what: str, call: Callable[[], T]) -> T:
        if not self.lease.valid():
            agent_id = self.lease.agent_id
            if self.lease.lost.is_set():
                raise LeaseLapsed(
                    f"Not sent: another agent process took over agent id '{agent_id}', and only one may send."
                )
            raise LeaseLapsed(
                f"Not sent yet: this agent process's lease on agent id '{agent_id}' is not renewed (the server does "
                f"not answer), and an agent without a valid lease sends nothing."
            )
        with self.watchdog.guard(what, self.write_limit, fenced=True):
            return call()

    # -- connection ----------------------------------------------------------------------------------------

    def connect(self) -> None:
        """See :meth:`Broker.connect`."""
        with self.watchdog.guard("connecting to the terminal", self.connect_limit):
            self.inner.connect()

    def shutdown(self) -> None:
        """See :meth:`Broker.shutdown`."""
        self._read("closing the terminal connection", self.inner.shutdown)

    def health(self) -> BrokerHealth:
        """See :meth:`Broker.health`."""
        return self._read("reading the terminal's health", self.inner.health)

    # -- reads ---------------------------------------------------------------------------------------------

    def account(self) -> AccountView:
        """See :meth:`Broker.account`."""
        return self._read("reading the account", self.inner.account)

    def symbol_names(self, refresh: bool = False) -> list[str]:
        """See :meth:`Broker.symbol_names`."""
        return self._read("reading the symbol list", lambda: self.inner.symbol_names(refresh))

    def symbol_spec(self, name: str) -> SymbolSpec:
        """See :meth:`Broker.symbol_spec`."""
        return self._read(f"reading the symbol {name}", lambda: self.inner.symbol_spec(name))

    def quote(self, name: str) -> Quote:
        """See :meth:`Broker.quote`."""
        return self._read(f"reading the price of {name}", lambda: self.inner.quote(name))

    def positions(self, *, magic: int | None = None, symbol: str | None = None) -> tuple[PositionView, ...]:
        """See :meth:`Broker.positions`."""
        return self._read("reading positions", lambda: self.inner.positions(magic=magic, symbol=symbol))

    def orders(self, *, magic: int | None = None, symbol: str | None = None) -> tuple[OrderView, ...]:
        """See :meth:`Broker.orders`."""
        return self._read("reading pending orders", lambda: self.inner.orders(magic=magic, symbol=symbol))

    def deals_since(self, since: datetime) -> tuple[Deal, ...]:
        """See :meth:`Broker.deals_since`."""
        return self._read("reading deals", lambda: self.inner.deals_since(since))

    def deal_history(self, start: int, end: int) -> tuple[Deal, ...]:
        """See :meth:`Broker.deal_history`."""
        return self._read("reading the deal history", lambda: self.inner.deal_history(start, end))

    def position_deals(self, position_id: int) -> tuple[Deal, ...]:
        """See :meth:`Broker.position_deals`."""
        return self._read(
            f"reading the deals of position {position_id}", lambda: self.inner.position_deals(position_id)
        )

    def order_history(self, start: int, end: int) -> tuple[HistoricalOrder, ...]:
        """See :meth:`Broker.order_history`."""
        return self._read("reading the order history", lambda: self.inner.order_history(start, end))

    def historical_order(self, ticket: int) -> HistoricalOrder | None:
        """See :meth:`Broker.historical_order`."""
        return self._read(f"reading order {ticket} from the history", lambda: self.inner.historical_order(ticket))

    def server_offset(self) -> int | None:
        """See :meth:`Broker.server_offset` (may read ticks to measure it)."""
        return self._read("reading the trade server's clock", self.inner.server_offset)

    # -- writes --------------------------------------------------------------------------------------------

    def place_order(self, request: MarketOrder | PendingOrder) -> OrderReceipt:
        """See :meth:`Broker.place_order`. :raises LeaseLapsed: not sent (no valid lease)."""
        return self._write("sending an order", lambda: self.inner.place_order(request))

    def close_position(self, request: ClosePosition) -> OrderReceipt:
        """See :meth:`Broker.close_position`. :raises LeaseLapsed: not sent (no valid lease)."""
        return self._write("closing a position", lambda: self.inner.close_position(request))

    def modify(self, request: ModifyPosition | ModifyOrder) -> OrderReceipt:
        """See :meth:`Broker.modify`. :raises LeaseLapsed: not sent (no valid lease)."""
        return self._write("changing SL/TP", lambda: self.inner.modify(request))

    def cancel_order(self, request: CancelOrder) -> OrderReceipt:
        """See :meth:`Broker.cancel_order`. :raises LeaseLapsed: not sent (no valid lease)."""
        return self._write("deleting a pending order", lambda: self.inner.cancel_order(request))

    # -- paper trading ------------------------------------------------------------------------------------

    def follow_alert_price(self, symbol: str, price: float) -> None:
        """See :meth:`Broker.follow_alert_price` (moves the paper market only: no lease needed)."""
        self._read("setting the paper price", lambda: self.inner.follow_alert_price(symbol, price))
