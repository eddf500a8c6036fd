"""Tests of the MetaTrader5 stand-in; shared set-up below."""

from __future__ import annotations

from collections.abc import Iterator

import agent.mt5sim as mt5
from agent.mt5sim import control


def fresh_terminal(margin_mode: str) -> Iterator[None]:
    """A reset, initialized simulator with a ``margin_mode`` account and EURUSD at 1.10000/1.10010; reset after."""
    control.reset()
    control.configure(margin_mode=margin_mode)
    assert mt5.initialize()
    control.set_quote("EURUSD", 1.10000, 1.10010)
    yield
    control.reset()
