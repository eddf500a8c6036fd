"""Exposure caps on entries: the strategy's and the account's margin or notional value as % of equity, and the
account's open positions (issue 13; the E2E flow spec's exposure limits).

Each check prices the entry it guards with the per-lot figures the executor read (:mod:`agent.exposure`) and adds
it to what is already open; an entry that would take a figure past its cap is refused (outcome ``rejected``) with
the current %, the entry's % and the cap, and nothing of the alert is sent. Exits (closes, reductions, cancels,
modifications) never come here: refusing one would leave the trader more exposed, not less. A netting reversal
counts only the position it leaves, after the one it closes.

Positions planned earlier in the same alert count too: the working totals move with each planned entry.
"""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

from agent.exposure import ExposureView
from agent.market import MarketView
from agent.planner.context import Context
from agent.planner.text import fmt_money, plain
from agent.planner.types import PlanRejected


def _pct(money: float, equity: float) -> float:
    return money / equity * 100.0


def _shown(pct: float) -> str:
    return f"{pct:,.2f}%"


def check_exposure(ctx: Context, *, buy: bool, lots: Decimal, creates_new: bool, closes: Decimal = Decimal(0)) -> None:
    """Refuse an entry of ``lots`` on the alert's symbol that would cross a cap, else count it in the totals.

    :param creates_new: the entry opens a position (it counts toward the account's max open positions).
    :param closes: lots of the opposite side the same deal closes first (a netting reversal), subtracted before.
    :raises PlanRejected: a cap would be crossed.
    """
    view = ctx.market.exposure
    settings = ctx.settings
    if view is None:
        return
    cap_positions = settings.account_max_open_positions
    held, planned = view.account_positions, view.planned_positions
    if cap_positions is not None and creates_new and held + planned >= cap_positions:
        holds = f"{held} position{'s' if held != 1 else ''} (all strategies and manual trades"
        if not planned:
            raise PlanRejected(
                f"Account max open positions: the account already holds {holds}; limit {cap_positions}), "
                f"so this entry was refused: nothing was sent. Close a position or raise the account's limit."
            )
        raise PlanRejected(
            f"Account max open positions: the account holds {holds}) and this alert opens {planned} before this "
            f"one; one more would pass the limit of {cap_positions}, so the alert was refused: nothing was sent. "
            f"Close a position, send fewer take-profit levels or entries, or raise the account's limit."
        )
    side, other = ("buy", "sell") if buy else ("sell", "buy")
    # A reversal closes ``closes`` lots of the other side and leaves ``lots - closes``: count the difference.
    opened, closed = float(lots - closes), float(closes)
    margin = opened * view.margin_per_lot.get(side, 0.0) - closed * view.margin_per_lot.get(other, 0.0)
    notional = (opened - closed) * view.notional_per_lot
    if view.equity <= 0 and (settings.max_exposure_pct is not None or settings.account_max_exposure_pct is not None):
        raise PlanRejected(
            f"The account's equity is {fmt_money(view.equity, ctx.market.account.currency)}, so an exposure cap in % "
            f"of equity cannot be met: nothing was sent."
        )
    _check(ctx, view, "strategy", settings.max_exposure_pct, settings.exposure_basis, margin, notional)
    _check(ctx, view, "account", settings.account_max_exposure_pct, settings.account_exposure_basis, margin, notional)
    ctx.market = _counted(view, ctx, margin, notional, creates_new)


def _check(
    ctx: Context, view: ExposureView, who: str, cap: float | None, basis: str, margin: float, notional: float
) -> None:
    if cap is None:
        return
    current = (view.strategy_margin if basis == "margin" else view.strategy_notional) if who == "strategy" else (
        view.account_margin if basis == "margin" else view.account_notional
    )
    adds = margin if basis == "margin" else notional
    before, added = _pct(current, view.equity), _pct(adds, view.equity)
    if adds <= 0 or before + added <= cap:
        return  # an entry that lowers the figure (a reversal into a smaller position) is never refused
    currency = ctx.market.account.currency
    holder = (
        "The strategy's positions" if who == "strategy"
        else "The account's positions (every strategy and manual trades)"
    )
    setting = "max_exposure_pct" if who == "strategy" else "account_max_exposure_pct"
    raise PlanRejected(
        f"Exposure cap: {holder} hold {_shown(before)} of equity as {basis} ({fmt_money(current, currency)} of "
        f"{fmt_money(view.equity, currency)}); this entry adds {_shown(added)} ({fmt_money(adds, currency)}), which "
        f"would make {_shown(before + added)}, above the {who} cap of {plain(cap)}%: nothing was sent. "
        f"Reduce the size, close positions, or raise {setting}."
    )


def _counted(view: ExposureView, ctx: Context, margin: float, notional: float, creates_new: bool) -> MarketView:
    counted = replace(
        view,
        account_margin=view.account_margin + margin,
        account_notional=view.account_notional + notional,
        planned_positions=view.planned_positions + (1 if creates_new else 0),
        strategy_margin=view.strategy_margin + margin,
        strategy_notional=view.strategy_notional + notional,
    )
    return replace(ctx.market, exposure=counted)
