"""A strategy's figures from its closed trades. Pure: the route hands it stored trades.

Definitions (money in the account currency; a trade is one closed part of a share, see
:mod:`server.ledger.trades`; expired pending orders are counted apart and move no money):

- ``net_pnl``: sum of trades' profit + commission + swap + fee; ``gross_pnl``: sum of profit alone (price
  movement before costs); ``commission``/``swap``/``fee``: the costs' sums.
- a **win** is a trade whose net P&L is above zero, a **loss** below zero, otherwise **breakeven**;
  ``win_rate_pct`` = wins / trades * 100.
- ``gross_profit``: sum of wins' net P&L; ``gross_loss``: sum of losses' net P&L (zero or negative);
  ``profit_factor`` = gross_profit / -gross_loss (``None`` without a loss); ``average_win`` = gross_profit /
  wins, ``average_loss`` = gross_loss / losses (``None`` without one). These are MetaTrader's own report terms.
- ``max_drawdown``: the largest fall from a peak of the closed-trade equity curve (cumulative net P&L in exit
  order, starting at 0 before the first trade), as a positive amount.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Protocol


class TradeMoney(Protocol):
    """What the statistics read of a trade."""

    net_pnl: float
    profit: float
    commission: float
    swap: float
    fee: float


@dataclass(frozen=True)
class Figures:
    """Statistics of a sequence of trades (see the module docstring for every definition)."""

    trades: int
    wins: int
    losses: int
    breakeven: int
    win_rate_pct: float | None
    net_pnl: float
    gross_pnl: float
    commission: float
    swap: float
    fee: float
    gross_profit: float
    gross_loss: float
    profit_factor: float | None
    average_win: float | None
    average_loss: float | None
    max_drawdown: float


def compute_stats(trades: Iterable[TradeMoney], digits: int = 2) -> Figures:
    """Figures of ``trades`` given in exit order; money rounded to the currency's ``digits``."""
    count = wins = losses = 0
    net = gross = commission = swap = fee = won = lost = 0.0
    equity = peak = drawdown = 0.0
    for trade in trades:
        count += 1
        net += trade.net_pnl
        gross += trade.profit
        commission += trade.commission
        swap += trade.swap
        fee += trade.fee
        if trade.net_pnl > 0:
            wins, won = wins + 1, won + trade.net_pnl
        elif trade.net_pnl < 0:
            losses, lost = losses + 1, lost + trade.net_pnl
        equity += trade.net_pnl
        peak = max(peak, equity)
        drawdown = max(drawdown, peak - equity)

    def money(x: float) -> float:
        return round(x, digits) + 0.0

    return Figures(
        trades=count,
        wins=wins,
        losses=losses,
        breakeven=count - wins - losses,
        win_rate_pct=round(wins / count * 100, 2) if count else None,
        net_pnl=money(net),
        gross_pnl=money(gross),
        commission=money(commission),
        swap=money(swap),
        fee=money(fee),
        gross_profit=money(won),
        gross_loss=money(lost),
        profit_factor=round(won / -lost, 4) if lost else None,
        average_win=money(won / wins) if wins else None,
        average_loss=money(lost / losses) if losses else None,
        max_drawdown=money(drawdown),
    )
