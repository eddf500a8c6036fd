"""From collected parameters to actions and a TradeIntent: the validation every format shares.

Each format parser feeds its keys into a :class:`server.alerts.params.Params`, then calls
:func:`build_actions` with the command and :func:`finish` for the intent. The rules, with sources:

- One volume, one SL, one TP, one entry (ExecRelay parser.go ``ErrDuplicate*``, reference §1.8).
- Entries need a volume (``ErrMissingVolume``); with none, ``VolumeUnit.DEFAULT`` only when the strategy has
  a default lot (ParseContext.default_volume_configured; corpus ``60123456789,buy,EURUSD``).
- Loss-based sizing needs an SL (``ErrRiskVolumeRequiresSL``; PineConnector EA Volume Type docs).
- Pending orders need an entry (``ErrPendingRequiresEntry``); ``newsltp*`` needs SL or TP
  (``ErrModifyRequiresSLTP``); ``close*vol`` needs ``risk=`` (``ErrPartialVolumeRequiresRisk``); ATR trailing
  needs ``atrtimeframe`` and ``atrperiod`` (``ErrATRRequiresTimeframePeriod``).
- Legacy units (``risk=``, ``sl=``/``tp=``, ``price=``) follow the strategy's PineConnector EA settings in
  text formats (docs.pineconnector.com/ea: Volume Type, Target Type, Pending Order Entry) and are fixed in
  JSON: ``sl``/``tp``/``price``/``entry`` are absolute prices and ``risk`` is percent of balance lost at the SL
  (theconnector.fr/pine-examples; corpus TheConnector line).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from contract.intent import (
    Action,
    AlertFormat,
    Breakeven,
    CancelAction,
    CloseAction,
    ControlAction,
    Distance,
    DistanceUnit,
    ModifyAction,
    OpenAction,
    SettingsLevel,
    TradeIntent,
    Trailing,
    Volume,
    VolumeUnit,
)
from contract.timeframes import try_normalize_timeframe
from server.alerts.commands import CancelStep, CloseStep, Command, ControlStep, ModifyStep, OpenStep
from server.alerts.context import AlertRejected, EaDistanceType, ParseContext
from server.alerts.detect import MAX_BODY_BYTES
from server.alerts.fields import LEGACY, TP_LEVEL_SLOTS, Slot
from server.alerts.lifetime import lifetime_of
from server.alerts.numbers import parse_number, parse_time, positive, whole_seconds
from server.alerts.params import Mode, Params, Value, clean_symbol, strip_quotes, text_of
from server.alerts.takeprofits import take_profit_levels

_MAX_COMMENT = 200


def volume_of(value: Value, mode: Mode, ctx: ParseContext) -> Volume:
    """The volume ``value`` asks for, with its unit resolved (legacy ``risk`` per format and settings)."""
    unit = value.spec.unit
    if unit == LEGACY:
        unit = VolumeUnit.PCT_BALANCE_LOSS if mode == "json" else ctx.volume_type.unit
    amount = positive(value.raw, value.key, "a volume", f"Send the size to trade, such as {value.key}=0.1.")
    return Volume(unit=VolumeUnit(unit or VolumeUnit.LOTS), value=amount)


def distance_of(value: Value, mode: Mode, ctx: ParseContext) -> Distance:
    """An SL, TP or entry level with its unit resolved (legacy keys per format and settings)."""
    unit = value.spec.unit
    if unit == LEGACY:
        setting = ctx.entry_type if value.spec.slot is Slot.ENTRY else ctx.target_type
        unit = DistanceUnit.PRICE if mode == "json" else setting.unit
    slot = value.spec.slot
    what = "a take-profit" if slot is Slot.TP or slot in TP_LEVEL_SLOTS else "an entry"
    what = "a stop-loss" if slot is Slot.SL else what
    amount = positive(value.raw, value.key, what)
    if unit == DistanceUnit.PCT and value.spec.slot is Slot.SL and amount >= 100:
        raise AlertRejected(
            f"The alert's {value.key} is {amount:g} %, which would put the stop-loss at or past zero. "
            "Send a percentage below 100."
        )
    return Distance(unit=DistanceUnit(unit or DistanceUnit.PRICE), value=amount)


def _is_price(value: Value, mode: Mode, ctx: ParseContext) -> bool:
    if value.spec.unit == LEGACY:
        return mode == "json" or ctx.entry_type is EaDistanceType.PRICE
    return value.spec.unit == DistanceUnit.PRICE


@dataclass(slots=True)
class Built:
    """What :func:`build_actions` produced: the steps and the alert's price (if any)."""

    actions: list[Action]
    alert_price: float | None


def build_actions(command: Command, p: Params, ctx: ParseContext) -> Built:
    """Turn ``command`` and the alert's parameters into actions, enforcing the shared rules above."""
    mode = p.mode
    sl_value, tp_value = p.get(Slot.SL), p.get(Slot.TP)
    sl = distance_of(sl_value, mode, ctx) if sl_value else None
    tp = distance_of(tp_value, mode, ctx) if tp_value else None
    price_value = p.get(Slot.ALERT_PRICE)
    alert_price = positive(price_value.raw, price_value.key, "a price") if price_value else None
    entry, alert_price = _entry(command, p, ctx, alert_price)
    lifetime = lifetime_of(command, p)
    _check_atr(p)
    levels = take_profit_levels(p, ctx, has_tp=tp is not None)
    _check_levels_fit(command, levels)
    if len(levels) == 1:
        tp, levels = levels[0].tp, ()  # one level is a plain take-profit
    actions: list[Action] = []
    for step in command.steps:
        if isinstance(step, OpenStep):
            volume = _entry_volume(command, p, ctx, sl is not None)
            actions.append(
                OpenAction(
                    side=step.side,
                    kind=step.kind,
                    volume=volume,
                    sl=sl,
                    tp=tp,
                    entry=entry,
                    trailing=_trailing(p),
                    breakeven=_breakeven(p),
                    take_profits=levels,
                    lifetime=lifetime,
                )
            )
        elif isinstance(step, CloseStep):
            actions.append(_close(step, command, p))
        elif isinstance(step, CancelStep):
            actions.append(CancelAction(sides=step.sides))
        elif isinstance(step, ModifyStep):
            if sl is None and tp is None:
                raise AlertRejected(
                    f"The command {command.name} changes the stop-loss and/or take-profit, but the alert has "
                    "neither. Add sl= and/or tp= (or sl_pips=/tp_pips=, sl_price=/tp_price=)."
                )
            target: Literal["positions", "orders"] = "orders" if step.target == "orders" else "positions"
            actions.append(ModifyAction(target=target, sides=step.sides, kinds=step.kinds, sl=sl, tp=tp))
        elif isinstance(step, ControlStep):
            actions.append(ControlAction(trading_enabled=step.enabled))
    return Built(actions, alert_price)


def _check_levels_fit(command: Command, levels: tuple[object, ...]) -> None:
    """Take-profit levels belong to a market entry (server/alerts/takeprofits.py)."""
    if not levels:
        return
    if command.open_step is None:
        raise AlertRejected(
            f"The command {command.name} opens nothing, so its take-profit levels (tp1, tp2...) have nothing to "
            "close. Send the levels with the entry (buy or sell), or use tp= to change a target."
        )
    if command.is_pending:
        raise AlertRejected(
            f"Take-profit levels (tp1, tp2...) work with market entries only, and {command.name} places a pending "
            "order. Send a market buy/sell with the levels, or give the pending order one tp=."
        )


def _entry(
    command: Command, p: Params, ctx: ParseContext, alert_price: float | None
) -> tuple[Distance | None, float | None]:
    value = p.get(Slot.ENTRY)
    if command.is_pending:
        if value is None:
            raise AlertRejected(
                f"The command {command.name} places a pending order, which needs an entry: add price= (read per "
                "the strategy's Pending Order Entry setting) or entry_price=, entry_pips= or entry_pct=."
            )
        return distance_of(value, p.mode, ctx), alert_price
    if value is None:
        return None, alert_price
    if _is_price(value, p.mode, ctx):
        price = positive(value.raw, value.key, "a price")
        return None, alert_price if alert_price is not None else price
    if value.spec.unit == LEGACY or command.open_step is None:
        p.extra(value.key, value.raw)  # legacy price= in pips on a market order: nothing to place
        return None, alert_price
    raise AlertRejected(
        f"The alert's {value.key} is an entry distance, which only pending orders use. Use buylimit, buystop, "
        f"sellstop or selllimit to place a pending order, or remove {value.key}."
    )


def _entry_volume(command: Command, p: Params, ctx: ParseContext, has_sl: bool) -> Volume:
    value = p.get(Slot.VOLUME)
    if value is None:
        if ctx.default_volume_configured:
            return Volume(unit=VolumeUnit.DEFAULT)
        raise AlertRejected(
            f"The alert opens a trade ({command.name}) but names no volume, and this strategy has no default lot "
            "size. Add a volume such as risk=0.1 or vol_lots=0.1 (JSON: \"lots\": 0.1), or set a default lot "
            "size in the strategy settings."
        )
    volume = volume_of(value, p.mode, ctx)
    if volume.needs_stop_loss and not has_sl:
        raise AlertRejected(
            f"The alert's {value.key} sizes the trade from the loss at the stop-loss ({volume.unit.value}), but "
            "the alert has no stop-loss. Add a stop-loss (sl=, sl_pips= or sl_price=; JSON \"sl\"), or size it "
            "in lots."
        )
    return volume


def _close(step: CloseStep, command: Command, p: Params) -> CloseAction:
    if step.portion is None:
        return CloseAction(sides=step.sides, all_symbols=step.all_symbols, include_pending=step.include_pending)
    value = p.get(Slot.VOLUME)
    usable = value is not None and (
        value.spec.unit == LEGACY or (step.portion == "lots" and value.spec.unit == VolumeUnit.LOTS)
    )
    if value is None or not usable:
        example = "risk=50 to close half" if step.portion == "pct" else "risk=0.5 to close 0.5 lot"
        raise AlertRejected(f"The command {command.name} needs risk= with the amount to close, such as {example}.")
    amount = positive(value.raw, value.key, "the amount to close")
    if step.portion == "pct":
        if amount > 100:
            raise AlertRejected(
                f"The command {command.name} closes a percentage, and {value.key}={amount:g} is over 100. "
                "Send a percentage from 0 to 100, such as risk=50 to close half."
            )
        return CloseAction(sides=step.sides, portion_pct=amount)
    return CloseAction(sides=step.sides, portion_lots=amount)


def _trailing(p: Params) -> Trailing | None:
    trigger, distance, step = p.get(Slot.TRAIL_TRIGGER), p.get(Slot.TRAIL_DISTANCE), p.get(Slot.TRAIL_STEP)
    if distance is None:
        orphan = trigger or step
        if orphan is not None:
            raise AlertRejected(
                f"The alert's {orphan.key} needs traildist= (the trailing distance in pips). Add traildist=."
            )
        return None
    return Trailing(
        trigger_pips=_non_negative(trigger) if trigger else None,
        distance_pips=positive(distance.raw, distance.key, "a trailing distance"),
        step_pips=positive(step.raw, step.key, "a trailing step") if step else None,
    )


def _breakeven(p: Params) -> Breakeven | None:
    trigger, offset = p.get(Slot.BE_TRIGGER), p.get(Slot.BE_OFFSET)
    if trigger is None:
        if offset is not None:
            raise AlertRejected(
                f"The alert's {offset.key} needs betrigger= (pips in profit that move the stop to breakeven). "
                "Add betrigger=."
            )
        return None
    return Breakeven(
        trigger_pips=positive(trigger.raw, trigger.key, "a breakeven trigger"),
        offset_pips=parse_number(offset.raw, offset.key) if offset else 0.0,
    )


def _non_negative(value: Value) -> float:
    number = parse_number(value.raw, value.key)
    if number < 0:
        raise AlertRejected(f"The alert's {value.key} is {number:g}, but it must be 0 or more. Send a number of pips.")
    return number


def _check_atr(p: Params) -> None:
    atr = [p.get(s) for s in (Slot.ATR_TIMEFRAME, Slot.ATR_PERIOD, Slot.ATR_MULTIPLIER, Slot.ATR_SHIFT,
                              Slot.ATR_TRIGGER)]
    present = [v for v in atr if v is not None]
    if not present:
        return
    if atr[0] is None or atr[1] is None:
        raise AlertRejected(
            "ATR trailing needs both atrtimeframe= and atrperiod= (ExecRelay/PineConnector rule). "
            "Add the missing one, or remove the atr keys."
        )
    for value in present[1:]:
        parse_number(value.raw, value.key)
    for value in present:
        p.extra(value.key, value.raw)


def require_symbol(p: Params, ctx: ParseContext, *, needed: bool, what: str) -> str | None:
    """The alert's symbol; the strategy's default symbol when it names none; refused if ``what`` needs one.
    Two different symbols are resolved by :func:`pick_symbol`."""
    value = p.get(Slot.SYMBOL)
    if value is not None:
        return pick_symbol(p, ctx, value) if p.other_symbols else clean_symbol(value)
    if ctx.default_symbol:
        return ctx.default_symbol
    if needed:
        raise AlertRejected(
            f"The alert ({what}) names no symbol, and this strategy has no default symbol. Add the symbol, "
            "such as symbol=EURUSD (JSON: \"symbol\": \"{{ticker}}\"), or set a default symbol in the "
            "strategy settings."
        )
    return None


def finish(
    fmt: AlertFormat,
    p: Params,
    built: Built,
    symbol: str | None,
    license_id: str | None = None,
) -> TradeIntent:
    """Assemble the intent: the actions plus provenance, routing and filters the alert carried."""
    comment = _text(p, Slot.COMMENT, MAX_BODY_BYTES) or _text(p, Slot.ORDER_COMMENT, MAX_BODY_BYTES)
    spread, accfilter = p.get(Slot.SPREAD), p.get(Slot.ACCFILTER)
    time, max_age, bar_time = p.get(Slot.TIME), p.get(Slot.MAX_AGE), p.get(Slot.BAR_TIME)
    if time is not None and bar_time is not None:
        p.extra(bar_time.key, bar_time.raw)
    time = time or bar_time
    return TradeIntent(
        format=fmt,
        symbol=symbol,
        actions=built.actions,
        comment=strip_quotes(comment)[:_MAX_COMMENT] if comment else None,
        alert_id=_text(p, Slot.ALERT_ID),
        alert_time=parse_time(time.raw, time.key) if time else None,
        alert_price=built.alert_price,
        timeframe=_timeframe(p),
        max_spread_pips=positive(spread.raw, spread.key, "a maximum spread") if spread else None,
        account_filter=positive(accfilter.raw, accfilter.key, "an account filter") if accfilter else None,
        secret=_text(p, Slot.SECRET),
        license_id=license_id or _text(p, Slot.LICENSE),
        strategy=_text(p, Slot.STRATEGY),
        max_age_seconds=whole_seconds(max_age.raw, max_age.key) if max_age else None,
        extras=p.extras,
        units_from_settings=units_from_settings(p),
    )


def units_from_settings(p: Params) -> list[SettingsLevel]:
    """The levels whose unit the strategy's settings gave: legacy ``sl=``/``tp=``/``price=`` and take-profit levels
    ``tp1=``/``tp2=``/``tp3=`` in text formats (``"tp1"`` also when a single ``tp1=`` becomes the plain take-profit).
    """
    if p.mode == "json":
        return []
    names: dict[Slot, SettingsLevel] = {
        Slot.SL: "sl", Slot.TP: "tp", Slot.ENTRY: "entry", Slot.TP1: "tp1", Slot.TP2: "tp2", Slot.TP3: "tp3",
    }
    return [name for slot, name in names.items() if (v := p.get(slot)) is not None and v.spec.unit == LEGACY]


def _timeframe(p: Params) -> str | None:
    """The chart's timeframe in its canonical form (``contract.timeframes``: ``"60"`` -> ``"1h"``); text that is
    not a timeframe is kept as written, so the strategy's timeframe gate can name it."""
    raw = _text(p, Slot.TIMEFRAME, 20)
    return try_normalize_timeframe(raw) or raw


def _text(p: Params, slot: Slot, limit: int = 200) -> str | None:
    value = p.get(slot)
    return text_of(value, limit) if value else None


#: Keys naming the exchange a venue symbol belongs to (TV-Forward ``exchange``/``ex``).
_VENUE_KEYS = ("exchange", "ex")


def _mapped(symbol_map: dict[str, str], name: str) -> str | None:
    """The broker symbol ``name`` maps to (case-insensitive, with or without a TradingView ``EXCHANGE:`` prefix)."""
    for candidate in (name, name.rsplit(":", 1)[-1]):
        found = symbol_map.get(candidate.strip().casefold())
        if found is not None:
            return found
    return None


def pick_symbol(p: Params, ctx: ParseContext, first: Value) -> str:
    """The symbol of an alert that names two different ones, such as TV-Forward's ``ticker`` (TradingView's name,
    ``ETHUSDT.P``) and ``symbol`` (the exchange's, ``ETHUSDT_UMCBL``): the one the strategy's symbol map maps is
    traded (the agent applies the mapping) and the others are kept in the log. Refused when the map names none of
    them, or maps them to different broker symbols, saying which mapping to add."""
    values = [first, *p.other_symbols]
    names = [clean_symbol(v) for v in values]
    folded = {k.strip().casefold(): v for k, v in ctx.symbol_map.items()}
    targets = {n: _mapped(folded, n) for n in names}
    mapped = [n for n in names if targets[n] is not None]
    listed = " and ".join(f"{v.key}={n}" for v, n in zip(values, names, strict=True))
    if mapped and len({targets[n] for n in mapped}) == 1:
        chosen = mapped[0]
        for v, n in zip(values, names, strict=True):
            if n != chosen:
                p.extra(v.key, n)
        return chosen
    if mapped:
        pairs = ", ".join(f"{n}={targets[n]}" for n in mapped)
        raise AlertRejected(
            f"The alert names {len(names)} symbols ({listed}) and the strategy's symbol map maps them to different "
            f"broker symbols ({pairs}), so tvbridge cannot tell which to trade. Keep one of these mappings."
        )
    folded_extras = {k.casefold(): v for k, v in p.extras.items()}
    venue = next((folded_extras[k] for k in _VENUE_KEYS if k in folded_extras), None)
    if venue is not None:
        raise AlertRejected(
            f"The alert names TradingView's ticker and the exchange's own symbol ({listed}; exchange {venue}). Map "
            f"one of them to your broker's symbol in the strategy's symbol map, e.g. {names[0]}=<broker symbol> "
            f"(tvbridge strategy edit <strategy> --map {names[0]}=<broker symbol>)."
        )
    raise AlertRejected(
        f"The alert gives the symbol twice with different values ({listed}). Keep only one of them, or map the one "
        "to trade in the strategy's symbol map."
    )
