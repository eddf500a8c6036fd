"""A parsed alert (:class:`agent.intent.TradeIntent`) in plain sentences, for the dashboard and the API.

One sentence per step, in the order the agent carries them out, then one per filter or provenance detail.
Units are always named (lots, units, pips, points, percent, price). Meanings follow ``agent/intent.py`` (the
reference price of each distance: fill price for SL/TP of market orders, the entry for pending orders, the current
price for ``newsltp*`` and for pending entries given as a distance).
"""

from __future__ import annotations

import math

from contract.intent import (
    CancelAction,
    CloseAction,
    ControlAction,
    Distance,
    ModifyAction,
    OpenAction,
    SyncAction,
    TradeIntent,
    Volume,
    VolumeUnit,
)


def num(value: float) -> str:
    """A number without float noise or exponent: ``0.1`` -> ``"0.1"``, ``100000.0`` -> ``"100000"``."""
    if not math.isfinite(value):
        return str(value)
    if abs(value) >= 1e15:
        return f"{value:.6g}"
    return f"{value:.10f}".rstrip("0").rstrip(".") or "0"


#: Volumes given as an amount ("0.1 lots of EURUSD"); the others are a sizing rule ("sized to lose 1% ...").
_AMOUNTS = (VolumeUnit.LOTS, VolumeUnit.UNITS, VolumeUnit.DEFAULT)


def volume_words(volume: Volume) -> str:
    """``"0.1 lots"``, ``"the strategy's default volume"``, or a sizing rule: ``"sized to lose 1% of the
    balance at the stop-loss"``."""
    v = num(volume.value)
    return {
        VolumeUnit.LOTS: f"{v} lots",
        VolumeUnit.UNITS: f"{v} units (TradingView contracts, converted to lots with the symbol's contract size)",
        VolumeUnit.PCT_BALANCE_LOSS: f"sized to lose {v}% of the balance at the stop-loss",
        VolumeUnit.PCT_EQUITY_LOSS: f"sized to lose {v}% of the equity at the stop-loss",
        VolumeUnit.MONEY_LOSS: f"sized to lose {v} in the account currency at the stop-loss",
        VolumeUnit.PCT_BALANCE_LOTS: f"sized at {v}% of the balance in lots (1% = 0.1 lot per 1,000)",
        VolumeUnit.PCT_BALANCE_MARGIN: f"sized to use {v}% of the balance as margin",
        VolumeUnit.DEFAULT: "the strategy's default volume",
    }[volume.unit]


def level_words(level: Distance, reference: str) -> str:
    """An SL/TP/entry: ``"at 1.095"`` or ``"20 pips from the fill price"``."""
    v = num(level.value)
    if level.unit == "price":
        return f"at {v}"
    unit = {"pips": "pips", "points": "points", "pct": "%"}[level.unit]
    return f"{v}{'' if unit == '%' else ' '}{unit} from {reference}"


def _sides(sides: tuple[str, ...], long_word: str, short_word: str) -> str:
    words = [long_word if s == "long" else short_word for s in sides]
    return " and ".join(words) if words else "all"


def _open(a: OpenAction, symbol: str) -> list[str]:
    size = volume_words(a.volume)
    amount = a.volume.unit in _AMOUNTS
    if a.kind == "market":
        what = f"{size} of {symbol}" if amount else symbol
        rule = "" if amount else f", {size}"
        head = f"{a.side.value.capitalize()} {what} at the market price{rule}."
        ref = "the fill price"
    else:
        entry = level_words(a.entry, "the current price") if a.entry else "at an entry the alert does not give"
        what = f"for {size} of {symbol}" if amount else f"on {symbol} ({size})"
        head = f"Place a {a.side.value} {a.kind.value} order {what}, entry {entry}."
        ref = "the entry price"
    out = [head]
    out.append(f"Stop-loss {level_words(a.sl, ref)}." if a.sl else "No stop-loss.")
    if a.take_profits:
        out.extend(
            f"TP{n}: close {num(lv.share_pct)}% of the volume {level_words(lv.tp, ref)}."
            for n, lv in enumerate(a.take_profits, 1)
        )
    else:
        out.append(f"Take-profit {level_words(a.tp, ref)}." if a.tp else "No take-profit.")
    if a.breakeven:
        out.append(
            f"Move the stop-loss to the entry price + {num(a.breakeven.offset_pips)} pips once the trade is "
            f"{num(a.breakeven.trigger_pips)} pips in profit."
        )
    if a.trailing:
        trig = f"after {num(a.trailing.trigger_pips)} pips of profit, " if a.trailing.trigger_pips else ""
        step = f" in steps of at least {num(a.trailing.step_pips)} pips" if a.trailing.step_pips else ""
        out.append(f"Trail the stop-loss {trig}{num(a.trailing.distance_pips)} pips behind the price{step}.")
    return out


def _close(a: CloseAction, symbol: str) -> str:
    where = "on every symbol" if a.all_symbols else f"on {symbol}"
    what = _sides(a.sides, "long (buy)", "short (sell)")
    if a.portion_pct is not None:
        amount = f"{num(a.portion_pct)}% of each of "
    elif a.portion_lots is not None:
        amount = f"{num(a.portion_lots)} lots of "
    else:
        amount = ""
    pending = " and delete its pending orders" if a.include_pending else ""
    return f"Close {amount}this strategy's {what} positions {where}{pending}."


def _cancel(a: CancelAction, symbol: str) -> str:
    kinds = " or ".join(k.value for k in a.kinds) if a.kinds else "limit and stop"
    return f"Delete this strategy's pending {_sides(a.sides, 'buy', 'sell')} {kinds} orders on {symbol}."


def _modify(a: ModifyAction, symbol: str) -> str:
    if a.target == "positions":
        what = f"open {_sides(a.sides, 'long', 'short')} positions"
        ref = "the current price"
    else:
        kinds = " or ".join(k.value for k in a.kinds) if a.kinds else "pending"
        what = f"{_sides(a.sides, 'buy', 'sell')} {kinds} orders"
        ref = "each order's entry price"
    changes = []
    if a.sl:
        changes.append(f"the stop-loss {level_words(a.sl, ref)}")
    if a.tp:
        changes.append(f"the take-profit {level_words(a.tp, ref)}")
    return f"Set {' and '.join(changes) or 'nothing'} on this strategy's {what} on {symbol}."


def _sync(a: SyncAction, symbol: str) -> str:
    unit = "units" if a.size_unit == "units" else "lots"
    target = "flat (no position)" if a.target == "flat" else f"{a.target} {num(a.target_size or 0)} {unit}"
    before = f" TradingView's position before this fill: {a.prev} {num(a.prev_size or 0)} {unit}." if a.prev else ""
    return f"Bring this strategy's {symbol} position to {target}, as TradingView's strategy now is.{before}"


def intent_words(intent: TradeIntent) -> list[str]:
    """The intent as sentences: each step, then filters and what identifies the alert."""
    symbol = intent.symbol or "the strategy's default symbol"
    out: list[str] = []
    for a in intent.actions:
        if isinstance(a, OpenAction):
            out.extend(_open(a, symbol))
        elif isinstance(a, CloseAction):
            out.append(_close(a, symbol))
        elif isinstance(a, CancelAction):
            out.append(_cancel(a, symbol))
        elif isinstance(a, ModifyAction):
            out.append(_modify(a, symbol))
        elif isinstance(a, SyncAction):
            out.append(_sync(a, symbol))
        elif isinstance(a, ControlAction):
            out.append(
                "Resume new entries for this strategy (eaon)." if a.trading_enabled
                else "Halt new entries for this strategy until an eaon alert (eaoff)."
            )
    if intent.max_spread_pips is not None:
        out.append(f"Skip the alert if the spread is wider than {num(intent.max_spread_pips)} pips.")
    if intent.account_filter is not None:
        out.append(f"Skip the alert unless the account figure exceeds {num(intent.account_filter)}.")
    if intent.alert_time is not None:
        out.append(f"Fired by TradingView at {intent.alert_time:%Y-%m-%d %H:%M:%S} UTC.")
    if intent.alert_price is not None:
        out.append(f"Price in the alert: {num(intent.alert_price)}.")
    if intent.alert_id:
        out.append(f"Alert id {intent.alert_id}: a repeat of it within 24 hours is not traded again.")
    if intent.comment:
        out.append(f"Comment: {intent.comment}")
    return out
