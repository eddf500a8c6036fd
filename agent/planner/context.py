"""What every planning step needs: the inputs, the working book, the notes, and request builders.

The builders make broker-neutral requests (:mod:`agent.broker.models`); the broker adapter turns them into its
own calls (for MT5: ``order_send`` dicts with exact Python types, and ``type_filling`` picked from the symbol).
Every request carries the strategy's magic number and the signal's order comment (the tag ``tvb:<signal id>``
and the alert's own ``comment=`` after it, ASCII, at most :data:`~contract.settings.MAX_COMMENT_CHARS` characters:
:mod:`agent.planner.comment`); market deals and closes carry the strategy's accepted slippage
(``deviation_points``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from agent.broker.models import (
    CancelOrder,
    ClosePosition,
    MarketOrder,
    ModifyOrder,
    ModifyPosition,
    OrderTime,
    OrderType,
    OrderView,
    PendingOrder,
    Quote,
    SymbolSpec,
)
from agent.market import MarketView
from agent.planner.book import Book
from agent.planner.comment import OrderComment, compose
from agent.planner.pips import pip_size
from agent.planner.types import PlanRejected
from contract.intent import PositionSide, Side, TradeIntent
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
    _comment: OrderComment | None = field(default=None, repr=False)
    #: the comments of take-profit levels' positions, by level (1 = TP1)
    _level_comments: dict[int, OrderComment] = field(default_factory=dict, repr=False)

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

    @property
    def magic(self) -> int:
        """The strategy's magic number."""
        return int(self.settings.magic_number)

    @property
    def comment(self) -> str:
        """The signal's order comment: its tag and the alert's ``comment=`` (ASCII, at most 27 characters)."""
        return self.order_comment.text

    @property
    def order_comment(self) -> OrderComment:
        """The signal's order comment with a note when the alert's text had to change to fit
        (:func:`agent.planner.comment.compose`)."""
        if self._comment is None:
            self._comment = compose(self.settings.comment, self.intent.comment)
        return self._comment

    def level_comment(self, level: int) -> OrderComment:
        """The comment of take-profit level ``level``'s position: ``tvb:<signal id>/<level>``, then the alert's
        ``comment=`` in the room left (:func:`agent.planner.comment.compose`)."""
        if level not in self._level_comments:
            self._level_comments[level] = compose(self.settings.comment, self.intent.comment, level)
        return self._level_comments[level]

    def comment_note(self) -> str | None:
        """The sentence saying how the alert's ``comment=`` was changed to fit, for the comments this plan used
        (the take-profit levels' when it has any: their tag is longer), else ``None``."""
        if self._level_comments:
            return self._level_comments[min(self._level_comments)].note
        return self.order_comment.note

    def market_order(
        self,
        spec: SymbolSpec,
        side: Side,
        volume: Decimal,
        price: float,
        *,
        sl: float = 0.0,
        tp: float = 0.0,
        level: int | None = None,
    ) -> MarketOrder:
        """A market deal of ``volume`` lots at the expected fill ``price``, with the resulting position's SL/TP;
        ``level`` marks the position of one take-profit level (comment ``tvb:<signal id>/<level>``)."""
        comment = self.comment if level is None else self.level_comment(level).text
        return MarketOrder(
            symbol=spec.name, side=side, volume=float(volume), price=float(price), sl=float(sl), tp=float(tp),
            deviation_points=int(self.settings.deviation_points), magic=self.magic, comment=comment,
        )

    def close(
        self, spec: SymbolSpec, position: int, side: PositionSide, volume: Decimal, price: float
    ) -> ClosePosition:
        """Close ``volume`` lots of the ``side`` position ``position`` (0: the netting position) at ``price``."""
        return ClosePosition(
            symbol=spec.name, position=int(position), position_side=side, volume=float(volume), price=float(price),
            deviation_points=int(self.settings.deviation_points), magic=self.magic, comment=self.comment,
        )

    def pending(
        self,
        spec: SymbolSpec,
        order_type: OrderType,
        volume: Decimal,
        price: float,
        sl: float,
        tp: float,
        *,
        type_time: OrderTime = OrderTime.GTC,
        expiration: int = 0,
    ) -> PendingOrder:
        """A pending order living per ``type_time`` (``expiration``: trade-server epoch seconds, or 0)."""
        return PendingOrder(
            symbol=spec.name, type=order_type, volume=float(volume), price=float(price), sl=float(sl), tp=float(tp),
            magic=self.magic, comment=self.comment, type_time=type_time, expiration=int(expiration),
        )

    def sltp(self, symbol: str, position: int, sl: float, tp: float) -> ModifyPosition:
        """New SL/TP of a position: both levels, since a 0 removes the missing one (mt5-api §2.2)."""
        return ModifyPosition(
            symbol=symbol, position=int(position), sl=float(sl), tp=float(tp), magic=self.magic, comment=self.comment
        )

    def modify(self, order: OrderView, sl: float, tp: float) -> ModifyOrder:
        """New SL/TP of a pending order, keeping its price and its lifetime."""
        return ModifyOrder(
            symbol=order.symbol, order=int(order.ticket), price=float(order.price_open), sl=float(sl), tp=float(tp),
            magic=self.magic, comment=self.comment, type_time=order.type_time, expiration=int(order.expiration),
        )

    def remove(self, order: OrderView) -> CancelOrder:
        """Delete ``order``."""
        return CancelOrder(symbol=order.symbol, order=int(order.ticket), magic=self.magic, comment=self.comment)
