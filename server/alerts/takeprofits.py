"""Several take-profit levels on one entry (TP1, TP2, TP3), each closing a share of the volume.

Syntax (docs/alerts.md "Several take-profit levels"):

- Text formats (PineConnector-style, key=value, plain text): ``tp1=``, ``tp2=``, ``tp3=`` read like ``tp=`` (the
  strategy's Target Type: pips by default), or explicit ``tp1_pips=``, ``tp1_price=``, ``tp1_pct=``,
  ``tp1_points=`` (like ``tp_pips=``...; ``tp1_pct`` is a distance in percent, as ``tp_pct`` is). TradeSgnl
  writes its levels the same way (``tp1=50,tp2=100``, docs.tradesgnl.com/signals). The share of level N is
  ``tpN_share=`` in percent of the entry's volume.
- JSON: the same flat keys (``"tp1": 1.1050``, a price, as ``"tp"`` is in JSON), or a list
  ``"take_profits": [{"price": 1.1050, "share": 50}, {"pips": 40, "share": 30}, ...]`` whose items take one of
  ``price``/``pips``/``points``/``pct`` and an optional ``share`` (percent); a bare number is a price.

Rules (design decisions, documented in docs/alerts.md):

- At most 3 levels, numbered from 1 without gaps; ``tp=`` and ``tp1=`` together are refused (which one is meant?).
- Shares are percentages (50 = half the volume). An alert that gives no share at all takes the strategy's default
  split (``tp_split``, e.g. 50/30/20, normalised to 100 %) when it has one; its number of shares must then match
  the alert's levels.
  Otherwise levels without a share split what the others leave equally; when every level has one they must add
  up to 100. Shares that add up to 1 were written as fractions: the
  sentence says to write 50, not 0.5. Nothing is left to "ride" without a target: an alert that wants that
  sends its last level far away.
- A single level (``tp1=`` alone) is the same as ``tp=``.
- Only market entries carry levels: a pending order with levels is refused (its levels would have to be watched
  from a fill the agent does not see happen).
"""

from __future__ import annotations

import json
from typing import Any

from contract.intent import Distance, DistanceUnit, TakeProfitLevel
from server.alerts.context import AlertRejected, ParseContext
from server.alerts.fields import TP_LEVEL_SLOTS, TP_SHARE_SLOTS, FieldSpec
from server.alerts.numbers import label, parse_number
from server.alerts.params import Params

#: The most levels one entry may carry.
MAX_LEVELS = len(TP_LEVEL_SLOTS)
_JSON_UNITS = {
    "price": DistanceUnit.PRICE,
    "pips": DistanceUnit.PIPS,
    "points": DistanceUnit.POINTS,
    "pct": DistanceUnit.PCT,
}
_TOLERANCE = 1e-6


def take_json_list(value: list[Any], p: Params, path: str) -> None:
    """Record a JSON ``take_profits`` list as the ``tpN``/``tpN_share`` keys it stands for.

    :raises AlertRejected: more than :data:`MAX_LEVELS` items, or an item that is neither a number nor an object
        with exactly one of ``price``/``pips``/``points``/``pct``.
    """
    where = label(path)
    if not value:
        raise AlertRejected(f"The alert's {where} is an empty list. Give each level, or leave {where} out.")
    if len(value) > MAX_LEVELS:
        raise AlertRejected(
            f"The alert's {where} has {len(value)} levels; tvbridge takes at most {MAX_LEVELS} take-profit levels."
        )
    for n, item in enumerate(value, 1):
        key = f"{path}[{n - 1}]"
        if isinstance(item, int | float) and not isinstance(item, bool):
            p.add(key, FieldSpec(TP_LEVEL_SLOTS[n - 1], str(DistanceUnit.PRICE)), item)
            continue
        if not isinstance(item, dict):
            raise AlertRejected(
                f"The alert's {label(key)} must be a price or an object such as {{\"price\": 1.105, \"share\": 50}}."
            )
        units = [k for k in item if k in _JSON_UNITS]
        unknown = [k for k in item if k not in _JSON_UNITS and k != "share"]
        if len(units) != 1 or unknown:
            raise AlertRejected(
                f"The alert's {label(key)} ({label(json.dumps(item), 80)}) must give exactly one of price, pips, "
                f"points or pct, and optionally a share in percent, such as {{\"pips\": 40, \"share\": 30}}."
            )
        p.add(f"{key}.{units[0]}", FieldSpec(TP_LEVEL_SLOTS[n - 1], str(_JSON_UNITS[units[0]])), item[units[0]])
        if item.get("share") is not None:
            p.add(f"{key}.share", FieldSpec(TP_SHARE_SLOTS[n - 1]), item["share"])


def take_profit_levels(p: Params, ctx: ParseContext, *, has_tp: bool) -> tuple[TakeProfitLevel, ...]:
    """The alert's take-profit levels with every share filled in (they sum to 100), or ``()`` when it has none.

    :param has_tp: the alert also has a single ``tp=``.
    :raises AlertRejected: gaps in the numbering, ``tp=`` beside levels, a share without its level, shares out of
        range or not adding up to 100.
    """
    from server.alerts.orders import distance_of  # orders imports this module

    given = [p.get(slot) for slot in TP_LEVEL_SLOTS]
    shares = [p.get(slot) for slot in TP_SHARE_SLOTS]
    count = max((n for n, v in enumerate(given, 1) if v is not None), default=0)
    for n, share in enumerate(shares, 1):
        if share is not None and given[n - 1] is None:
            raise AlertRejected(
                f"The alert gives {share.key} but no take-profit level {n}. Add tp{n}= (or tp{n}_pips=, "
                f"tp{n}_price=), or remove {share.key}."
            )
    if count == 0:
        return ()
    if has_tp:
        raise AlertRejected(
            "The alert has both a single take-profit (tp) and take-profit levels (tp1, tp2...). Send either one "
            "tp= or the levels tp1=, tp2=, tp3=."
        )
    missing = [n for n in range(1, count + 1) if given[n - 1] is None]
    if missing:
        raise AlertRejected(
            f"The alert has take-profit level {count} but not level {missing[0]}. Number the levels from 1 "
            f"without gaps (tp1=, tp2=, tp3=)."
        )
    targets: list[Distance] = []
    for value in given[:count]:
        assert value is not None
        targets.append(distance_of(value, p.mode, ctx))
    pcts: list[float | None] = [_share(v.key, v.raw) if v is not None else None for v in shares[:count]]
    if ctx.tp_split and all(s is None for s in pcts):
        if len(ctx.tp_split) != count:
            split = "/".join(f"{s:g}" for s in ctx.tp_split)
            raise AlertRejected(
                f"The alert has {count} take-profit levels and gives no shares, and the strategy's default split "
                f"{split} is for {len(ctx.tp_split)} levels. Give each level a share in the alert (tp1_share=...), "
                f"or send {len(ctx.tp_split)} levels."
            )
        total = sum(ctx.tp_split)
        pcts = [100 * s / total for s in ctx.tp_split]  # weights: 5/3/2 is 50/30/20
    return tuple(
        TakeProfitLevel(tp=tp, share_pct=share) for tp, share in zip(targets, _fill_shares(pcts), strict=True)
    )


def _share(key: str, raw: object) -> float:
    value = parse_number(raw, key)
    if not 0 < value <= 100:
        raise AlertRejected(
            f"The alert's {label(key)} is {value:g}: a level's share is a percent of the volume, above 0 and at "
            f"most 100 (such as {label(key)}=50)."
        )
    return value


def _fill_shares(pcts: list[float | None]) -> list[float]:
    """Every level's share: the given ones, and the rest split equally over the levels without one."""
    total = sum(s for s in pcts if s is not None)
    shown = ", ".join(f"TP{n} {s:g} %" for n, s in enumerate(pcts, 1) if s is not None)
    open_levels = [n for n, s in enumerate(pcts, 1) if s is None]
    hint = " (written as fractions? Write 50 for half the volume, not 0.5)" if total <= 1 + _TOLERANCE else ""
    if not open_levels:
        if abs(total - 100) > _TOLERANCE:
            raise AlertRejected(
                f"The take-profit shares add up to {total:g} % ({shown}); they must add up to 100 %{hint}. "
                f"Correct the shares, or leave the last level's share out and it takes what is left."
            )
        return [s for s in pcts if s is not None]
    if total >= 100 - _TOLERANCE:
        raise AlertRejected(
            f"The take-profit shares given add up to {total:g} % ({shown}), which leaves nothing for "
            f"{', '.join(f'TP{n}' for n in open_levels)}. Give every level a share that adds up to 100 %, or "
            f"remove the extra levels."
        )
    rest = (100 - total) / len(open_levels)
    return [s if s is not None else rest for s in pcts]
