"""Map the symbol an alert wrote to a symbol the MT5 terminal offers.

Order of resolution (mt5-api §4.4 "A robust design", tradingview-and-bridges §4-5):

1. Normalise the TradingView ticker: drop an ``EXCHANGE:`` prefix (``{{exchange}}:{{ticker}}``,
   ``OANDA:EURUSD``), strip the TradingView decorations ``.P`` (perpetual), ``1!``/``2!`` (continuous
   futures) and ``_DL``/``_DLY`` (delayed data), remove ``/`` and spaces, upper-case.
2. The strategy's ``symbol_map`` aliases, looked up (case-insensitively) on the name as written, without its
   exchange prefix, and on the normalised name. An alias wins over every heuristic ("per-account overrides
   must win over heuristics", mt5-api §4.4); its target may still carry the broker's suffix.
3. The name as written, then the normalised name, matched exactly against the terminal's list
   (``US30.Cash`` exists as-is on some brokers; corpus line "long,US30.Cash").
4. Broker suffix/prefix discovery: ``settings.symbol_suffix`` first, then names that start with the base and
   whose remainder matches ``^[._\\-+]?[a-z0-9]{0,4}$`` (``EURUSD.a``, ``EURUSDm``, ``US30.Cash``), or that end
   with it after a one-character marker such as ``#AAPL``.

Perpetuals (``BTCUSDT.P``) and continuous futures (``NQ1!``) are never mapped by heuristics: a futures
contract or a perpetual is not the same instrument as a CFD lot, so they resolve only through an explicit
``symbol_map`` entry (corpus lines for ``BTCUSDT.P`` and ``NQ1!``). Several candidates -> refuse and ask for an
explicit mapping; none -> refuse naming up to three close names the terminal does have (``difflib``).
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Sequence
from dataclasses import dataclass

from agent.planner.types import PlanRejected
from contract.settings import ExecutionSettings

#: A broker suffix after the base name (mt5-api §4.4 step 3).
SUFFIX_RE = re.compile(r"^[._\-+]?[a-z0-9]{0,4}$", re.IGNORECASE)
#: A broker prefix before the base name: one marker character, optionally after two letters (``#AAPL``).
PREFIX_RE = re.compile(r"^[a-z0-9]{0,2}[#._\-+]$", re.IGNORECASE)

_PERPETUAL_RE = re.compile(r"\.P$")
_CONTINUOUS_RE = re.compile(r"[0-9]+!$")
_DELAYED_RE = re.compile(r"_DLY?$", re.IGNORECASE)


@dataclass(frozen=True)
class Ticker:
    """An alert symbol taken apart.

    ``raw`` is the symbol as written (trimmed), ``ticker`` the same without its exchange prefix, ``base`` the
    normalised upper-case name and ``derivative`` a description when a perpetual or continuous-futures
    marker was stripped (``None`` otherwise).
    """

    raw: str
    ticker: str
    base: str
    derivative: str | None = None


def parse_ticker(alert_symbol: str) -> Ticker:
    """Split ``alert_symbol`` into its written, unprefixed and normalised forms.

    :param alert_symbol: the symbol as the alert wrote it, e.g. ``"BINANCE:BTCUSDT.P"``.
    :return: the :class:`Ticker`; ``base`` is ``"BTCUSDT"`` and ``derivative`` ``"perpetual futures"`` here.
    """
    raw = alert_symbol.strip()
    ticker = raw.rsplit(":", 1)[-1].strip()
    base = _DELAYED_RE.sub("", ticker)
    derivative: str | None = None
    if _PERPETUAL_RE.search(base):
        base, derivative = _PERPETUAL_RE.sub("", base), "perpetual futures"
    elif _CONTINUOUS_RE.search(base):
        base, derivative = _CONTINUOUS_RE.sub("", base), "continuous futures"
    base = re.sub(r"[/\s]", "", base).upper()
    return Ticker(raw=raw, ticker=ticker, base=base, derivative=derivative)


def split_broker_name(name: str, base: str) -> bool:
    """True when ``name`` is ``base`` plus a broker suffix or prefix (case-insensitive)."""
    upper, base = name.upper(), base.upper()
    if not base or upper == base:
        return False
    if upper.startswith(base) and SUFFIX_RE.match(name[len(base) :]):
        return True
    return upper.endswith(base) and bool(PREFIX_RE.match(name[: len(name) - len(base)]))


def closest_names(name: str, broker_symbols: Sequence[str], n: int = 3) -> list[str]:
    """Up to ``n`` terminal symbols that look like ``name`` (``difflib``, case-insensitive)."""
    by_upper: dict[str, str] = {}
    for s in broker_symbols:
        by_upper.setdefault(s.upper(), s)
    return [by_upper[m] for m in difflib.get_close_matches(name.upper(), list(by_upper), n=n, cutoff=0.5)]


def resolve_symbol(alert_symbol: str, settings: ExecutionSettings, broker_symbols: Sequence[str]) -> str:
    """Map the alert's symbol to the name of a symbol the terminal offers.

    :param alert_symbol: the symbol as the alert wrote it (``"OANDA:EURUSD"``, ``"NQ1!"``, ``"US30.Cash"``).
    :param settings: the strategy's settings (``symbol_map``, ``symbol_suffix``).
    :param broker_symbols: every symbol name the terminal has (``symbols_get()``).
    :return: the broker symbol name, spelled as the terminal spells it.
    :raises PlanRejected: no symbol, an unknown or ambiguous symbol, an unmapped perpetual or futures ticker,
        or a ``symbol_map`` entry that points at a symbol the terminal lacks.
    """
    names = list(dict.fromkeys(broker_symbols))
    t = parse_ticker(alert_symbol)
    if not t.base:
        raise PlanRejected("The alert names no symbol, so there is nothing to trade.")
    alias = _alias(settings.symbol_map, t)
    if alias is not None:
        key, target = alias
        found = _exact(target, names) or _discover(parse_ticker(target).base or target, settings, names)
        if found:
            return found
        raise PlanRejected(
            f"The strategy's symbol map sends {key} to {target}, but this terminal has no symbol {target}"
            f"{_suggest(target, names)}. Correct the mapping."
        )
    for written in (t.raw, t.ticker):
        found = _exact(written, names, case_sensitive=True)
        if found:
            return found
    if t.derivative:
        hint = closest_names(t.base, names, 1)
        example = f", e.g. {t.raw} -> {hint[0]}" if hint else ""
        raise PlanRejected(
            f"{t.raw} is a TradingView {t.derivative} ticker. The bridge does not guess which broker symbol it "
            f"stands for, because a futures contract or a perpetual is not the same instrument as a CFD lot: "
            f"map {t.raw} explicitly in the strategy's symbol map{example}."
        )
    found = _exact(t.ticker, names) or _exact(t.base, names) or _discover(t.base, settings, names)
    if found:
        return found
    raise PlanRejected(
        f"Symbol {t.raw} is not offered by this terminal{_suggest(t.base, names)}. If one of them is the same "
        f"instrument, map {t.raw} to it in the strategy's symbol map."
        if closest_names(t.base, names)
        else f"Symbol {t.raw} is not offered by this terminal, and it has no similar name: check the symbol "
        f"in the alert or map it in the strategy's symbol map."
    )


def _alias(symbol_map: dict[str, str], t: Ticker) -> tuple[str, str] | None:
    """The ``(key, target)`` of the first ``symbol_map`` entry matching the raw, unprefixed or base name."""
    by_upper = {k.strip().upper(): (k, v.strip()) for k, v in symbol_map.items() if v.strip()}
    for candidate in (t.raw, t.ticker, t.base):
        hit = by_upper.get(candidate.upper())
        if hit:
            return hit
    return None


def _exact(name: str, names: Sequence[str], *, case_sensitive: bool = False) -> str | None:
    """``name`` itself when the terminal has it; else its only case-insensitive twin, if exactly one."""
    if name in names:
        return name
    if case_sensitive:
        return None
    twins = [n for n in names if n.upper() == name.upper()]
    if len(twins) > 1:
        raise PlanRejected(
            f"{name} matches several symbols in this terminal that differ only by case "
            f"({', '.join(twins)}): map it explicitly in the strategy's symbol map."
        )
    return twins[0] if twins else None


def _discover(base: str, settings: ExecutionSettings, names: Sequence[str]) -> str | None:
    """The broker's spelling of ``base``: the configured suffix first, then a unique suffix/prefix match."""
    if settings.symbol_suffix:
        found = _exact(base + settings.symbol_suffix, names)
        if found:
            return found
    matches = [n for n in names if split_broker_name(n, base)]
    if len(matches) > 1:
        shown = ", ".join(matches[:6]) + (", ..." if len(matches) > 6 else "")
        raise PlanRejected(
            f"{base} matches several symbols in this terminal ({shown}): set the strategy's broker suffix "
            f"or map {base} explicitly in its symbol map."
        )
    return matches[0] if matches else None


def _suggest(name: str, names: Sequence[str]) -> str:
    close = closest_names(name, names)
    return f" (closest names it has: {', '.join(close)})" if close else ""
