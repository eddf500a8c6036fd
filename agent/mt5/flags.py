"""MQL5 values the ``MetaTrader5`` package does NOT export, though its results carry them (mt5-constants §2).

``SymbolInfo.filling_mode``, ``expiration_mode`` and ``order_mode`` are bit masks of these flags, and trade servers
answer retcode 10046 without the package naming it. Kept apart from :mod:`agent.mt5.constants`, which is exactly the
package's own surface, so no code can take them from the module by mistake.
"""

from __future__ import annotations

from enum import IntFlag
from typing import Final


class SymbolFilling(IntFlag):
    """``SYMBOL_FILLING_*`` bits of ``SymbolInfo.filling_mode`` (not the ``ORDER_FILLING_*`` enum, mt5-api §2.4)."""

    FOK = 1
    IOC = 2
    BOC = 4


class SymbolExpiration(IntFlag):
    """``SYMBOL_EXPIRATION_*`` bits of ``SymbolInfo.expiration_mode``."""

    GTC = 1
    DAY = 2
    SPECIFIED = 4
    SPECIFIED_DAY = 8


class SymbolOrderMode(IntFlag):
    """``SYMBOL_ORDER_*`` bits of ``SymbolInfo.order_mode``: the order types, SL and TP a symbol accepts."""

    MARKET = 1
    LIMIT = 2
    STOP = 4
    STOP_LIMIT = 8
    SL = 16
    TP = 32
    CLOSE_BY = 64


#: Every order type, SL, TP and close-by: what most retail symbols report (127).
ORDER_MODE_ALL: Final = SymbolOrderMode(127)

#: ``TRADE_RETCODE_HEDGE_PROHIBITED``: opposite positions are prohibited (servers send it; the package lacks it).
TRADE_RETCODE_HEDGE_PROHIBITED: Final = 10046
