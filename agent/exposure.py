"""Reading the figures the exposure caps need from the broker (only when a job's settings set a cap).

The planner is pure, so the executor reads these before planning and hands them over in
:class:`agent.market.MarketView` (``exposure``). Money is in the account currency:

- margin: the account's ``equity - margin_free`` (MT5's ``ACCOUNT_MARGIN``: what every open position holds), and
  for the strategy the sum of ``order_calc_margin`` over its positions (its own share on netting) at the current
  price (mt5-api §1.8). A hedged pair may hold less margin at the broker than this sum: the estimate errs on the
  side of refusing.
- notional: ``volume x price x trade_tick_value / trade_tick_size``: the lot's contract size times the price,
  already converted to the account currency at the terminal's own rate (mt5-api §4.3), per position.
- per lot of the alert's symbol: the margin of one lot bought and one sold at the current ask/bid, and the
  notional of one lot, so the planner can price the entry it sizes.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from agent.broker.interface import Broker
from agent.broker.models import AccountView, PositionView, Quote, SymbolSpec
from contract.intent import Side
from contract.settings import ExecutionSettings


@dataclass(frozen=True)
class ExposureView:
    """The account's and the strategy's exposure before the alert, and per-lot figures of the alert's symbol.

    ``account_positions`` counts every open position on the account, whoever opened it; ``planned_positions`` the
    positions the alert being planned opens before the entry now checked (earlier entries, earlier take-profit
    levels). Money in the account currency; ``margin_per_lot`` by side (``buy``/``sell``)."""

    equity: float
    account_margin: float
    account_notional: float
    account_positions: int
    strategy_margin: float
    strategy_notional: float
    margin_per_lot: dict[str, float] = field(default_factory=dict)
    notional_per_lot: float = 0.0
    planned_positions: int = 0


def wants_exposure(settings: ExecutionSettings) -> bool:
    """True when a cap is set that needs :func:`read_exposure`."""
    return (
        settings.max_exposure_pct is not None
        or settings.account_max_exposure_pct is not None
        or settings.account_max_open_positions is not None
    )


def notional_per_lot(spec: SymbolSpec, price: float) -> float:
    """One lot's notional value in the account currency at ``price`` (0 when the symbol reports no tick value)."""
    if spec.trade_tick_size <= 0 or spec.trade_tick_value <= 0:
        return 0.0
    return price * spec.trade_tick_value / spec.trade_tick_size


def _side(position: PositionView) -> Side:
    return Side.BUY if position.side == "long" else Side.SELL


def _price(quote: Quote, side: Side) -> float:
    return quote.ask if side == Side.BUY else quote.bid


def read_exposure(
    broker: Broker,
    account: AccountView,
    spec: SymbolSpec,
    quote: Quote,
    held: Iterable[tuple[PositionView, float]],
) -> ExposureView:
    """The figures of :class:`ExposureView`.

    :param held: the strategy's positions with its volume in each (its own share on netting), in lots.
    :raises OrderRefused: the broker could not compute a margin or quote a symbol.
    """
    specs: dict[str, SymbolSpec] = {spec.name: spec}
    quotes: dict[str, Quote] = {spec.name: quote}

    def look(symbol: str) -> tuple[SymbolSpec, Quote]:
        if symbol not in specs:
            specs[symbol] = broker.symbol_spec(symbol)
            quotes[symbol] = broker.quote(symbol)
        return specs[symbol], quotes[symbol]

    everything = broker.positions()
    account_notional = 0.0
    for p in everything:
        s, q = look(p.symbol)
        account_notional += p.volume * notional_per_lot(s, _price(q, _side(p)))
    strategy_margin = strategy_notional = 0.0
    for p, volume in held:
        if volume <= 0:
            continue
        s, q = look(p.symbol)
        price = _price(q, _side(p))
        strategy_margin += broker.margin(_side(p), p.symbol, volume, price)
        strategy_notional += volume * notional_per_lot(s, price)
    return ExposureView(
        equity=account.equity,
        account_margin=max(0.0, account.equity - account.margin_free),
        account_notional=account_notional,
        account_positions=len(everything),
        strategy_margin=strategy_margin,
        strategy_notional=strategy_notional,
        margin_per_lot={
            "buy": broker.margin(Side.BUY, spec.name, 1.0, quote.ask),
            "sell": broker.margin(Side.SELL, spec.name, 1.0, quote.bid),
        },
        notional_per_lot=notional_per_lot(spec, (quote.ask + quote.bid) / 2),
    )
