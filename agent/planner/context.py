"""What every planning step needs: the inputs, the working book, the notes, and request builders.

Request dicts use the MetaTrader5 module's keys with the exact Python types its C parser accepts (mt5-api §1.7:
``float`` for volume/price/sl/tp, never ``int``; ``int`` for action/type/magic/order/position/deviation/
type_time; ``str`` of at most 29 characters for symbol/comment). ``type_filling`` is left to the MT5 adapter,
which picks it from the symbol's filling mode (mt5-api §2.4). Every request carries the strategy's ``magic``
and ``comment``; deals carry ``deviation`` (mt5-api §2.3).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from agent.market import MarketView, OrderView, Quote, SymbolSpec
from agent.planner import constants as c
from agent.planner.book import Book
from agent.planner.pips import pip_size
from agent.planner.text import order_comment
from agent.planner.types import PlanRejected
from contract.intent import TradeIntent
from contract.settings import ExecutionSettings


@dataclass
class Context:
    """The inputs of one :func:`agent.planner.plan` call and the state its steps share."""

    intent: TradeIntent
    settings: ExecutionSettings
    market: MarketView
    book: Book
    notes: list[str] = field(default_factory=list)
    #: "nothing to do" sentences of steps that planned no request; the plan is discarded with them if no
    #: step planned anything.
    idle: list[str] = field(default_factory=list)

    @property
    def spec(self) -> SymbolSpec:
        """The alert symbol's spec."""
        return self.market.symbol

    @property
    def netting(self) -> bool:
        """True on netting accounts (margin mode 0 or 1), False on hedging (mt5-api §5.5)."""
        return self.book.netting

    def spec_for(self, symbol: str) -> SymbolSpec:
        """The spec of ``symbol``; raises when the adapter did not provide it."""
        if symbol == self.market.symbol.name:
            return self.market.symbol
        spec = self.market.specs.get(symbol)
        if spec is None:
            raise PlanRejected(f"The terminal gave no symbol details for {symbol}, so it cannot be traded now.")
        return spec

    def quote_for(self, symbol: str) -> Quote:
        """The current quote of ``symbol``; raises when there is none or it is not a usable price."""
        quote = self.market.quote if symbol == self.market.symbol.name else self.market.quotes.get(symbol)
        if quote is None or quote.bid <= 0 or quote.ask <= 0 or quote.ask < quote.bid:
            shown = "none" if quote is None else f"bid {quote.bid:g}, ask {quote.ask:g}"
            raise PlanRejected(
                f"There is no usable price for {symbol} ({shown}): the market may be closed or the symbol "
                f"not yet in Market Watch."
            )
        return quote

    def pip(self, spec: SymbolSpec) -> Decimal:
        """One pip of ``spec`` (see :mod:`agent.planner.pips`)."""
        return pip_size(spec, self.settings)

    # -- request builders -------------------------------------------------------------------------------

    def _tags(self) -> dict[str, Any]:
        return {"magic": int(self.settings.magic_number), "comment": order_comment(self.settings.comment)}

    def deal(
        self,
        spec: SymbolSpec,
        order_type: int,
        volume: Decimal,
        price: float,
        *,
        sl: float | None = None,
        tp: float | None = None,
        position: int = 0,
    ) -> dict[str, Any]:
        """A TRADE_ACTION_DEAL request; ``sl``/``tp`` only for opening deals, ``position`` for closes."""
        req: dict[str, Any] = {
            "action": c.TRADE_ACTION_DEAL,
            "symbol": spec.name,
            "volume": float(volume),
            "type": int(order_type),
            "price": float(price),
        }
        if sl is not None or tp is not None:
            req["sl"] = float(sl or 0.0)
            req["tp"] = float(tp or 0.0)
        if position:
            req["position"] = int(position)
        req["deviation"] = int(self.settings.deviation_points)
        req.update(self._tags())
        return req

    def pending(
        self, spec: SymbolSpec, order_type: int, volume: Decimal, price: float, sl: float, tp: float
    ) -> dict[str, Any]:
        """A TRADE_ACTION_PENDING request, good till cancelled (mt5-api §2.2)."""
        return {
            "action": c.TRADE_ACTION_PENDING,
            "symbol": spec.name,
            "volume": float(volume),
            "type": int(order_type),
            "price": float(price),
            "sl": float(sl),
            "tp": float(tp),
            "type_time": c.ORDER_TIME_GTC,
            **self._tags(),
        }

    def sltp(self, symbol: str, position: int, sl: float, tp: float) -> dict[str, Any]:
        """A TRADE_ACTION_SLTP request: both levels, since a 0 removes the missing one (mt5-api §2.2)."""
        return {
            "action": c.TRADE_ACTION_SLTP,
            "symbol": symbol,
            "position": int(position),
            "sl": float(sl),
            "tp": float(tp),
            **self._tags(),
        }

    def modify(self, order: OrderView, sl: float, tp: float) -> dict[str, Any]:
        """A TRADE_ACTION_MODIFY request keeping the order's price; GTC, the only lifetime the planner places."""
        return {
            "action": c.TRADE_ACTION_MODIFY,
            "order": int(order.ticket),
            "symbol": order.symbol,
            "price": float(order.price_open),
            "sl": float(sl),
            "tp": float(tp),
            "type_time": c.ORDER_TIME_GTC,
            **self._tags(),
        }

    def remove(self, order: OrderView) -> dict[str, Any]:
        """A TRADE_ACTION_REMOVE request for ``order``."""
        return {"action": c.TRADE_ACTION_REMOVE, "order": int(order.ticket), **self._tags()}
