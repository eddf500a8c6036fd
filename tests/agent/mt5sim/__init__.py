"""Tests of the MetaTrader5 stand-in; shared set-up below."""

from __future__ import annotations

from collections.abc import Iterator

import agent.mt5sim as mt5
from agent.mt5sim import control


def fresh_terminal(margin_mode: str) -> Iterator[None]:
    """A reset, initialized simulator with a ``margin_mode`` account and EURUSD at 1.10000/1.10010; reset after.

    Symbols added to Market Watch have their first tick at once (``first_tick_ms=0``): these tests are about
    trade rules; the wait for a first tick has its own test in test_surface.py.
    """
    control.reset()
    control.configure(margin_mode=margin_mode)
    control.set_terminal(first_tick_ms=0)
    assert mt5.initialize()
    control.set_quote("EURUSD", 1.10000, 1.10010)
    yield
    control.reset()
