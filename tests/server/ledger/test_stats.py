"""Strategy statistics against figures worked out by hand."""

from __future__ import annotations

from dataclasses import dataclass

from server.ledger.stats import compute_stats


@dataclass
class T:
    profit: float
    commission: float
    swap: float = 0.0
    fee: float = 0.0

    @property
    def net_pnl(self) -> float:
        return round(self.profit + self.commission + self.swap + self.fee, 2)


def test_a_known_sequence_of_trades() -> None:
    trades = [
        T(107.0, -7.0),  # +100
        T(-43.0, -7.0),  # -50
        T(37.0, -7.0),  # +30
        T(-70.0, -7.0, swap=-3.0),  # -80
        T(7.0, -7.0),  # 0: breakeven
        T(210.0, -7.0, swap=-2.0, fee=-1.0),  # +200
    ]
    figures = compute_stats(trades)
    # by hand: equity after each trade 100, 50, 80, 0, 0, 200 -> the deepest fall from a peak is 100 -> 0
    assert figures.trades == 6
    assert (figures.wins, figures.losses, figures.breakeven) == (3, 2, 1)
    assert figures.win_rate_pct == 50.0
    assert figures.net_pnl == 200.0
    assert figures.gross_pnl == 107 - 43 + 37 - 70 + 7 + 210 == 248
    assert figures.commission == -42.0 and figures.swap == -5.0 and figures.fee == -1.0
    assert figures.gross_pnl + figures.commission + figures.swap + figures.fee == figures.net_pnl
    assert figures.gross_profit == 330.0 and figures.gross_loss == -130.0
    assert figures.profit_factor == round(330 / 130, 4) == 2.5385
    assert figures.average_win == 110.0 and figures.average_loss == -65.0
    assert figures.max_drawdown == 100.0


def test_drawdown_counts_from_the_start_and_only_falls_from_a_peak() -> None:
    assert compute_stats([T(-30.0, 0.0), T(-20.0, 0.0), T(60.0, 0.0)]).max_drawdown == 50.0  # 0 -> -50
    assert compute_stats([T(10.0, 0.0), T(20.0, 0.0)]).max_drawdown == 0.0


def test_no_trades_and_no_losses_say_none_rather_than_dividing_by_zero() -> None:
    empty = compute_stats([])
    assert (empty.trades, empty.win_rate_pct, empty.profit_factor, empty.average_win) == (0, None, None, None)
    only_wins = compute_stats([T(5.0, 0.0)])
    assert only_wins.profit_factor is None and only_wins.average_loss is None and only_wins.win_rate_pct == 100.0
