"""The broker interface: everything the agent's job loop, executor and stop manager may ask of a broker.

It sits between the agent and whatever executes orders. Reads return and writes take the broker-neutral models
of :mod:`agent.broker.models`; errors are those of :mod:`agent.broker.errors`. An adapter owns everything
broker-specific: request building, order-filling policy, answer codes and their sentences, retries of the
answers its broker documents as retryable, and reconnecting. Today's adapter is :class:`agent.mt5.adapter.Mt5Broker`,
over the real ``MetaTrader5`` package or the simulator (:mod:`agent.mt5sim`); docs/architecture.md shows what a
second one (a crypto exchange through ``ccxt``) would add.

Calls may block (a broker round trip); the adapter serialises them itself, so the job loop and the stop
manager's thread may share one broker.
"""

from __future__ import annotations

from datetime import datetime
from typing import Protocol, runtime_checkable

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
from contract.intent import Side


@runtime_checkable
class Broker(Protocol):
    """One connection to one trading account."""

    #: The broker kind as the snapshot reports it: ``"sim"``, ``"mt5"`` ...
    kind: str

    # -- connection ----------------------------------------------------------------------------------------

    def connect(self) -> None:
        """Open (or re-open) the connection. :raises BrokerUnavailable: with the reason as a sentence."""
        ...

    def shutdown(self) -> None:
        """Close the connection (the broker's own application keeps running)."""
        ...

    def health(self) -> BrokerHealth:
        """Whether the broker link is up and automated trading is allowed. :raises BrokerUnavailable:"""
        ...

    # -- reads ---------------------------------------------------------------------------------------------

    def account(self) -> AccountView:
        """The account's figures and margin mode."""
        ...

    def symbol_names(self, refresh: bool = False) -> list[str]:
        """The name of every symbol the broker offers (cached: the list can be slow to read)."""
        ...

    def symbol_spec(self, name: str) -> SymbolSpec:
        """The trading rules of ``name``, with the symbol made ready to trade and quoted.

        :raises OrderRefused: unknown symbol, or no price arrived for it in time.
        """
        ...

    def quote(self, name: str) -> Quote:
        """The latest tick of ``name``. :raises OrderRefused: there is none."""
        ...

    def positions(self, *, magic: int | None = None, symbol: str | None = None) -> tuple[PositionView, ...]:
        """Open positions, optionally only of one magic number and/or one symbol."""
        ...

    def orders(self, *, magic: int | None = None, symbol: str | None = None) -> tuple[OrderView, ...]:
        """Active pending orders, optionally only of one magic number and/or one symbol."""
        ...

    def deals_since(self, since: datetime) -> tuple[Deal, ...]:
        """Every deal from ``since`` (aware UTC) until now, balance operations included.

        The broker's own clock may run off UTC (MT5: trade-server time, mt5-api §1.6): ``since`` is moved by the
        measured :meth:`server_offset`, and while that is unknown the search starts 14 hours earlier (the widest
        offset of any time zone), so a deal is never missed; it may then return older deals too.
        """
        ...

    def deal_history(self, start: int, end: int) -> tuple[Deal, ...]:
        """Every deal whose time lies in ``[start, end]``, in the broker's own clock (epoch seconds; MT5:
        trade-server time), balance operations included."""
        ...

    def position_deals(self, position_id: int) -> tuple[Deal, ...]:
        """Every deal of the position with identifier ``position_id`` (its whole life, oldest first: on netting a
        position keeps its identifier through reversals, mt5-api §5.5)."""
        ...

    def order_history(self, start: int, end: int) -> tuple[HistoricalOrder, ...]:
        """Orders of the history placed in ``[start, end]`` (the broker's clock, epoch seconds)."""
        ...

    def historical_order(self, ticket: int) -> HistoricalOrder | None:
        """The order with this ticket from the history (filled, cancelled, expired ...), or ``None``."""
        ...

    def server_offset(self) -> int | None:
        """How far the broker's clock (the times of its quotes, deals and positions) runs ahead of UTC, in
        seconds (MT5: trade-server time; 10800 on a server at UTC+3); ``None`` while it is not known yet."""
        ...

    def margin(self, side: Side, symbol: str, volume: float, price: float) -> float:
        """The margin, in the account currency, that ``volume`` lots of ``symbol`` bought (or sold) at ``price``
        need, ignoring the positions already open (MT5 ``order_calc_margin``, mt5-api §1.8).

        :raises OrderRefused: the broker cannot compute it (unknown symbol, no rates).
        """
        ...

    # -- writes: each returns what the broker did, or raises OrderRefused / OrderOutcomeUnknown /
    #    BrokerUnavailable (nothing was sent) ----------------------------------------------------------------

    def place_order(self, request: MarketOrder | PendingOrder) -> OrderReceipt:
        """Send a market order or place a pending one."""
        ...

    def close_position(self, request: ClosePosition) -> OrderReceipt:
        """Close a position, or part of it."""
        ...

    def modify(self, request: ModifyPosition | ModifyOrder) -> OrderReceipt:
        """Move the SL/TP of an open position or a pending order."""
        ...

    def cancel_order(self, request: CancelOrder) -> OrderReceipt:
        """Delete a pending order."""
        ...

    # -- paper trading ------------------------------------------------------------------------------------

    def follow_alert_price(self, symbol: str, price: float) -> None:
        """Paper trading only: make ``price`` (the alert's) the market of ``symbol``. A live broker ignores it.

        :raises OrderRefused: the paper market cannot quote that price (e.g. it rounds to 0).
        """
        ...


def submit(broker: Broker, request: OrderRequest) -> OrderReceipt:
    """Send ``request`` through the write of ``broker`` that handles its kind."""
    if isinstance(request, MarketOrder | PendingOrder):
        return broker.place_order(request)
    if isinstance(request, ClosePosition):
        return broker.close_position(request)
    if isinstance(request, ModifyPosition | ModifyOrder):
        return broker.modify(request)
    return broker.cancel_order(request)
