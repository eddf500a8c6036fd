"""Price feeds that move the paper market, so stops, targets and floating P&L behave in paper mode as they will live.

- :class:`RandomWalk`: a seeded geometric random walk per symbol in Market Watch (or holding a position or pending
  order), with the symbol's typical daily volatility (``SimSymbol.daily_volatility_pct``) scaled to the step's
  length, and the symbol's typical spread on top of the bid. The same seed gives the same prices (tests pin it).
- :class:`TerminalQuotes`: the live quotes of a real MetaTrader 5 terminal (the ``MetaTrader5`` package, Windows)
  copied into the paper market: paper orders then fill at the broker's real bid and ask.

Every new quote goes through :func:`agent.mt5sim.control.set_quote`, so pending orders, SL/TP and the stop-out act
on it exactly as on an alert's price.
"""

from __future__ import annotations

import logging
import math
import random
import threading
from collections.abc import Callable
from typing import Any

from agent.mt5sim import control
from agent.mt5sim.runtime import SIM

logger = logging.getLogger(__name__)

_DAY_SECONDS = 86_400.0


def _moving_symbols() -> list[str]:
    """Symbols the paper market moves: in Market Watch, or with a position or a pending order (sorted, so a seed
    always drives the same symbol with the same draw)."""
    with SIM.lock:
        names = {n for n, s in SIM.symbols.items() if s.select}
        names |= {p.symbol for p in SIM.book.positions} | {o.symbol for o in SIM.book.orders}
    return sorted(names)


class RandomWalk:
    """A seeded random walk of every moving symbol's bid.

    Each :meth:`step` of ``seconds`` multiplies the bid by ``exp(sigma * sqrt(seconds / 1 day) * z)``, ``z`` a
    standard normal draw and ``sigma`` the symbol's daily volatility; the ask is the bid plus the symbol's typical
    spread. Prices are kept unrounded between steps, so small steps accumulate instead of rounding away.
    """

    def __init__(self, seed: int, *, interval: float = 0.5) -> None:
        self.seed = seed
        self.interval = interval
        self._random = random.Random(seed)
        self._exact: dict[str, float] = {}
        self._stop = threading.Event()

    def step(self, seconds: float | None = None) -> dict[str, float]:
        """Move every moving symbol by one step of ``seconds`` (default: the interval); returns the new bids."""
        dt = self.interval if seconds is None else seconds
        moved: dict[str, float] = {}
        for name in _moving_symbols():
            with SIM.lock:
                spec = SIM.symbols[name]
                bid, _ = SIM.quote(name)
            exact = self._exact.get(name)
            if exact is None or round(exact, spec.digits) != bid:
                exact = bid  # first step, or the quote was set meanwhile (an alert's price, the desk)
            sigma = spec.daily_volatility_pct / 100.0 * math.sqrt(max(dt, 0.0) / _DAY_SECONDS)
            exact *= math.exp(sigma * self._random.gauss(0.0, 1.0))
            if round(exact, spec.digits) <= 0:
                continue
            self._exact[name] = exact
            control.set_quote(name, exact)
            moved[name] = round(exact, spec.digits)
        return moved

    def start(self) -> None:
        """Step every ``interval`` seconds from a daemon thread until :meth:`stop`."""
        threading.Thread(target=self._run, name="paper-feed", daemon=True).start()

    def stop(self) -> None:
        """Stop stepping."""
        self._stop.set()

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            try:
                self.step()
            except Exception:  # the feed must never take the agent down
                logger.exception("paper price feed step failed")


class TerminalQuotes:
    """Copies a real terminal's quotes into the paper market.

    ``module`` is the ``MetaTrader5`` package (Windows), already initialized by :meth:`connect`; for every moving
    symbol its ``symbol_info_tick`` bid and ask become the paper quote. A symbol the terminal does not know (or has
    no tick for) keeps its paper quote. Nothing is ever traded through ``module``: it is read only.
    """

    def __init__(self, module: Any, *, interval: float = 0.5, path: str | None = None) -> None:
        self.module = module
        self.interval = interval
        self.path = path
        self._stop = threading.Event()

    def connect(self) -> bool:
        """``initialize()`` the terminal (its saved login); False (with the reason logged) when it cannot."""
        ok = self.module.initialize(self.path) if self.path else self.module.initialize()
        if not ok:
            logger.warning("no live quotes for the paper account: the terminal answered %s", self.module.last_error())
        return bool(ok)

    def copy(self) -> dict[str, tuple[float, float]]:
        """Copy the terminal's current bid/ask of every moving symbol; returns what was copied."""
        copied: dict[str, tuple[float, float]] = {}
        for name in _moving_symbols():
            self.module.symbol_select(name, True)
            tick = self.module.symbol_info_tick(name)
            if tick is None or not (tick.bid > 0 and tick.ask >= tick.bid):
                continue
            control.set_quote(name, float(tick.bid), float(tick.ask))
            copied[name] = (float(tick.bid), float(tick.ask))
        return copied

    def start(self, on_error: Callable[[Exception], None] | None = None) -> None:
        """Copy every ``interval`` seconds from a daemon thread until :meth:`stop`."""

        def run() -> None:
            while not self._stop.wait(self.interval):
                try:
                    self.copy()
                except Exception as exc:  # a terminal that went away must not take the agent down
                    logger.warning("live quotes not copied: %s", exc)
                    if on_error is not None:
                        on_error(exc)

        threading.Thread(target=run, name="paper-live-quotes", daemon=True).start()

    def stop(self) -> None:
        """Stop copying."""
        self._stop.set()
