"""Position sizing: from the alert's volume (any :class:`~contract.intent.VolumeUnit`) to valid MT5 lots.

Rules and sources:

- ``lots``: as asked. ``units`` (TradingView contracts: FX units, coins, shares): ``units / trade_contract_size``
  (tradingview-and-bridges §4: "{{strategy.order.contracts}} ... units for FX, not lots"; 100,000 units = 1 lot).
- Loss sizing (``pct_balance_loss``, ``pct_equity_loss``, ``money_loss``; PineConnector ``vol_pct_bal_loss``,
  ``vol_pct_eq_loss``, ``vol_dollar``): ``lots = money at risk / loss per lot`` with
  ``loss per lot = |entry - SL| / trade_tick_size * tick value`` and the tick value taken from
  ``trade_tick_value_loss`` when the broker sets it, else ``trade_tick_value`` (mt5-api §4.3 fallback formula;
  worked examples: EURUSD 1.10000/1.09800 risking 100 USD -> 0.50; XAUUSD 2000/1990 risking 1 % of 10,000 -> 0.10).
- ``pct_balance_lots``: PineConnector "% of Balance (Lots)": 1 % = 0.1 lot per 1,000 of balance, i.e.
  ``lots = pct * balance / 10,000`` (docs.pineconnector.com/cheatsheet: "0.1 lot on $1000 account, 1 lot on
  $10,000").
- ``pct_balance_margin``: PineConnector "% of Balance (Margin)": lots whose margin is ``pct`` % of balance.
  Margin per lot is approximated as ``price * tick value / tick size / leverage``. ``tick value / tick size`` is
  the account-currency value of a one-unit price move for one lot, so ``price * tick value / tick size`` is the
  lot's notional converted to the account currency at the terminal's own current rate; for a USD-quoted symbol
  on a USD account it equals ``contract size * price``. The broker's per-symbol margin rates and margin currency
  rules are not known to the planner (no ``order_calc_margin`` here): the plan says so in a note. Exchange and
  futures calc modes are refused, and FOREX_NO_LEVERAGE uses a leverage of 1.
- ``default``: ``settings.default_volume_lots``, refused when the strategy has none (corpus: "fall back to the
  strategy's default lot ONLY if that is explicitly configured").
- ``settings.risk_override_pct``: entries that carry an SL are sized to lose that % of balance at the SL,
  whatever the alert asked; without an SL the alert's volume stands and the plan says so.

Scaling: the strategy's ``risk_multiplier`` multiplies every computed entry size before rounding (issue 13).

Rounding: DOWN to a multiple of ``volume_step`` with :class:`~decimal.Decimal`, so no ``0.30000000000000004``
(mt5-api §4.1). Then refuse below ``volume_min`` (stating the computed size), above ``volume_max`` and above the
strategy's ``max_lots``: never clamp (corpus "Oversized lot typo": a silent clamp to volume_max is a bug). The
one exception is the trader's own choice, ``max_lots_mode = "cap"``: a size above ``max_lots`` is sent at
``max_lots`` and the plan's note says so.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_DOWN, Decimal

from agent.broker.models import AccountView, CalcMode, SymbolSpec
from agent.planner.text import dec, fmt_lots, fmt_money, fmt_price, plain
from agent.planner.types import PlanRejected
from contract.intent import Volume, VolumeUnit
from contract.settings import ExecutionSettings

_MARGIN_MODES = (
    CalcMode.FOREX,
    CalcMode.FOREX_NO_LEVERAGE,
    CalcMode.CFD,
    CalcMode.CFD_INDEX,
    CalcMode.CFD_LEVERAGE,
)


@dataclass(frozen=True)
class Sizing:
    """A computed size before rounding, and how it was reached (for messages); ``how`` is empty for plain lots."""

    lots: Decimal
    how: str = ""


def size_entry(
    volume: Volume,
    *,
    spec: SymbolSpec,
    account: AccountView,
    settings: ExecutionSettings,
    price: float,
    sl: float | None,
    notes: list[str],
) -> Sizing:
    """The unrounded lots an entry asks for.

    :param volume: the alert's volume.
    :param price: the expected fill (ask for buys, bid for sells) or the pending order's entry price.
    :param sl: the normalised stop-loss price, or ``None``.
    :param notes: the plan's notes (risk override and margin approximation are reported there).
    :raises PlanRejected: a size that cannot be computed (no SL for loss sizing, no default lot, zero tick value).
    """
    override = settings.risk_override_pct
    if override is not None and override > 0:
        if sl is not None:
            sizing = _loss_sized(
                dec(account.balance) * dec(override) / 100,
                spec,
                price,
                sl,
                account.currency,
                f"{plain(override)}% of balance",
            )
            notes.append(
                f"Sized by the strategy's risk override: {plain(override)}% of balance at the stop loss "
                f"(the alert asked for {describe(volume)})."
            )
            return sizing
        notes.append(
            f"The strategy's risk override ({plain(override)}% of balance) needs a stop loss; the alert has none, "
            f"so its own volume ({describe(volume)}) stands."
        )
    unit = volume.unit
    if unit == VolumeUnit.DEFAULT:
        if settings.default_volume_lots is None or settings.default_volume_lots <= 0:
            raise PlanRejected(
                "The alert names no volume and the strategy has no default lot size: add a volume to the alert "
                "(e.g. vol_lots=0.1) or set a default lot size for the strategy."
            )
        return Sizing(dec(settings.default_volume_lots), "With the strategy's default lot size")
    value = dec(volume.value)
    if value <= 0:
        raise PlanRejected(f"The alert's volume is {plain(value)} {unit.value}; a volume must be above 0.")
    if unit == VolumeUnit.LOTS:
        return Sizing(value)
    if unit == VolumeUnit.UNITS:
        return Sizing(
            units_to_lots(value, spec),
            f"Converting {plain(value)} units (contract size {plain(spec.trade_contract_size)})",
        )
    if volume.needs_stop_loss:
        if sl is None:
            raise PlanRejected(
                f"Sizing the order by {describe(volume)} needs a stop loss, and the alert has none: "
                f"add a stop loss or size the order in lots."
            )
        if unit == VolumeUnit.MONEY_LOSS:
            return _loss_sized(value, spec, price, sl, account.currency, "the alert's amount")
        base = account.balance if unit == VolumeUnit.PCT_BALANCE_LOSS else account.equity
        label = "balance" if unit == VolumeUnit.PCT_BALANCE_LOSS else "equity"
        return _loss_sized(dec(base) * value / 100, spec, price, sl, account.currency, f"{plain(value)}% of {label}")
    if unit == VolumeUnit.PCT_BALANCE_LOTS:
        lots = value * dec(account.balance) / 10_000
        return Sizing(
            lots,
            f"At {plain(value)}% of a {fmt_money(account.balance, account.currency)} balance "
            f"(0.1 lot per 1,000 for each 1%)",
        )
    return _margin_sized(value, spec, account, price, notes)


def units_to_lots(units: Decimal, spec: SymbolSpec) -> Decimal:
    """TradingView contracts (units) to lots: ``units / trade_contract_size``."""
    if spec.trade_contract_size <= 0:
        raise PlanRejected(f"{spec.name} reports no contract size, so units cannot be converted to lots.")
    return units / dec(spec.trade_contract_size)


def loss_per_lot(spec: SymbolSpec, price: float, sl: float) -> Decimal:
    """Account-currency loss of one lot from ``price`` to ``sl`` (mt5-api §4.3 tick maths)."""
    tick_value = spec.trade_tick_value_loss or spec.trade_tick_value
    if tick_value <= 0 or spec.trade_tick_size <= 0:
        raise PlanRejected(
            f"{spec.name} reports no tick value yet (the terminal computes it once the symbol is quoted), so "
            f"a risk-based size cannot be computed: retry, or size the order in lots."
        )
    return abs(dec(price) - dec(sl)) / dec(spec.trade_tick_size) * dec(tick_value)


def round_down(lots: Decimal, spec: SymbolSpec) -> Decimal:
    """``lots`` rounded DOWN to a multiple of ``volume_step`` (mt5-api §4.1)."""
    step = dec(spec.volume_step) if spec.volume_step > 0 else dec(spec.volume_min)
    if step <= 0:
        raise PlanRejected(f"{spec.name} reports no volume step, so no valid volume can be computed.")
    return (lots / step).to_integral_value(ROUND_DOWN) * step


def finalize(
    sizing: Sizing,
    spec: SymbolSpec,
    settings: ExecutionSettings,
    *,
    cap: bool = True,
    notes: list[str] | None = None,
) -> Decimal:
    """Scale ``sizing`` by the strategy's ``risk_multiplier``, round it down to the step, then refuse it below the
    minimum or above a maximum; never clamp, except to ``max_lots`` when the strategy's ``max_lots_mode`` is
    ``cap`` (the note says so).

    The account's ``volume_multiplier`` (fan-out, :class:`contract.settings.ExecutionSettings`) scales the size
    first, so the rounding and every limit apply to what this account sends.

    :param cap: also apply the strategy's ``max_lots``.
    :param notes: the plan's notes (the multiplier and a capped size are reported there).
    :return: the lots to send.
    :raises PlanRejected: below ``volume_min``, above ``volume_max`` or above ``max_lots`` (mode ``refuse``).
    """
    sizing = _multiplied(sizing, settings)  # this account's fan-out multiplier first
    multiplier = dec(settings.risk_multiplier)
    asked = sizing.lots * multiplier
    lots = round_down(asked, spec)
    shown = fmt_lots(asked)
    if multiplier != 1:
        scaled = f"{fmt_lots(sizing.lots)} lots x the strategy's risk multiplier {plain(multiplier)} = {shown}"
        head_how = f"{sizing.how}, the size comes to {scaled} lots" if sizing.how else f"The size of {scaled} lots"
    else:
        head_how = f"{sizing.how}, the size comes to {shown} lots" if sizing.how else f"The size of {shown} lots"
    rounded = f" (rounded down to the volume step: {fmt_lots(lots)})" if lots != asked else ""
    head = f"{head_how}{rounded}, which is" if sizing.how or multiplier != 1 else f"{head_how}{rounded} is"
    if lots <= 0 or lots < dec(spec.volume_min):
        raise PlanRejected(
            f"{head} below {spec.name}'s minimum volume of {plain(spec.volume_min)} lots: nothing was sent."
        )
    if cap and settings.max_lots is not None and lots > dec(settings.max_lots) and settings.max_lots_mode == "cap":
        capped = round_down(dec(settings.max_lots), spec)
        if capped >= dec(spec.volume_min) and capped > 0:
            if notes is not None:
                notes.append(
                    f"{head_how}{rounded}; capped to the strategy's max lots of {plain(settings.max_lots)} "
                    f"(max_lots_mode cap): {fmt_lots(capped)} lots were sent."
                )
            lots = capped
    if spec.volume_max > 0 and lots > dec(spec.volume_max):
        raise PlanRejected(
            f"{head} above {spec.name}'s maximum volume of {plain(spec.volume_max)} lots. The bridge "
            f"never reduces a size on its own: nothing was sent."
        )
    if cap and settings.max_lots is not None and lots > dec(settings.max_lots):
        raise PlanRejected(
            f"{head} above the strategy's lot cap of {plain(settings.max_lots)} lots. The bridge never "
            f"reduces a size on its own (set the strategy's max_lots_mode to cap to send max_lots instead): "
            f"nothing was sent."
        )
    if multiplier != 1 and notes is not None:
        notes.append(f"{head_how}{rounded} (risk multiplier {plain(multiplier)}).")
    return lots


def _multiplied(sizing: Sizing, settings: ExecutionSettings) -> Sizing:
    """``sizing`` times the account's volume multiplier (unchanged at 1)."""
    multiplier = dec(settings.volume_multiplier)
    if multiplier == 1:
        return sizing
    how = f"this account's volume multiplier of {plain(multiplier)}"
    how = f"{sizing.how} and {how}" if sizing.how else f"With {how}"
    return Sizing(sizing.lots * multiplier, how)


def describe(volume: Volume) -> str:
    """The alert's volume in words: ``"0.1 lots"``, ``"1 % of balance at risk"``."""
    v = plain(volume.value)
    return {
        VolumeUnit.LOTS: f"{v} lots",
        VolumeUnit.UNITS: f"{v} units",
        VolumeUnit.PCT_BALANCE_LOSS: f"{v}% of balance at risk",
        VolumeUnit.PCT_EQUITY_LOSS: f"{v}% of equity at risk",
        VolumeUnit.MONEY_LOSS: f"{v} at risk",
        VolumeUnit.PCT_BALANCE_LOTS: f"{v}% of balance in lots",
        VolumeUnit.PCT_BALANCE_MARGIN: f"{v}% of balance as margin",
        VolumeUnit.DEFAULT: "the default lot size",
    }[volume.unit]


def _loss_sized(money: Decimal, spec: SymbolSpec, price: float, sl: float, currency: str, label: str) -> Sizing:
    per_lot = loss_per_lot(spec, price, sl)
    if per_lot <= 0:
        raise PlanRejected(
            f"The stop loss {fmt_price(sl, spec.digits)} is at the entry price, so no risk-based size exists."
        )
    gap = fmt_price(abs(dec(price) - dec(sl)), spec.digits)
    how = (
        f"Risking {fmt_money(money, currency)} ({label}) with the stop loss {gap} away "
        f"({fmt_money(per_lot, currency)} per lot)"
    )
    return Sizing(money / per_lot, how)


def _margin_sized(pct: Decimal, spec: SymbolSpec, account: AccountView, price: float, notes: list[str]) -> Sizing:
    if spec.calc_mode not in _MARGIN_MODES:
        raise PlanRejected(
            f"Sizing by % of balance as margin is only supported for FX and CFD symbols; {spec.name} uses "
            f"exchange or futures margin rules: size the order in lots."
        )
    leverage = 1 if spec.calc_mode == CalcMode.FOREX_NO_LEVERAGE else account.leverage
    if leverage <= 0 or spec.trade_tick_value <= 0 or spec.trade_tick_size <= 0:
        raise PlanRejected(
            f"The margin of one {spec.name} lot cannot be estimated (leverage {leverage}, tick value "
            f"{plain(spec.trade_tick_value)}): size the order in lots."
        )
    per_lot = dec(price) * dec(spec.trade_tick_value) / dec(spec.trade_tick_size) / leverage
    if per_lot <= 0:
        raise PlanRejected(
            f"At the price {plain(price)} one {spec.name} lot needs no margin by the estimate, so no margin-based size "
            f"exists: check the alert's price, or size the order in lots."
        )
    money = dec(account.balance) * pct / 100
    notes.append(
        f"Margin sizing estimates one {spec.name} lot at {fmt_money(per_lot, account.currency)} of margin "
        f"(price x tick value / tick size / leverage 1:{leverage}); the broker's own margin rate for the "
        f"symbol is not applied, so the margin actually used can differ."
    )
    return Sizing(
        money / per_lot, f"Committing {fmt_money(money, account.currency)} ({plain(pct)}% of balance) as margin"
    )
