"""The MetaTrader 5 numbers the planner writes into requests, under their MQL5 names.

The planner must not import ``MetaTrader5`` (Windows-only wheel) nor ``agent.mt5sim``, so it keeps its own
copy of the few values it needs. Every value is from ``reference/mt5-constants.md``: §1 for the names the
package exports (read from ``MetaTrader5/__init__.py`` 5.0.6231) and §2 for the MQL5-only bit flags
(``SYMBOL_ORDER_*``) the package does not export.
"""

from __future__ import annotations

from typing import Final

# TRADE_ACTION_* (mt5-constants §1.1)
TRADE_ACTION_DEAL: Final = 1
TRADE_ACTION_PENDING: Final = 5
TRADE_ACTION_SLTP: Final = 6
TRADE_ACTION_MODIFY: Final = 7
TRADE_ACTION_REMOVE: Final = 8

# ORDER_TYPE_* (mt5-constants §1.2)
ORDER_TYPE_BUY: Final = 0
ORDER_TYPE_SELL: Final = 1
ORDER_TYPE_BUY_LIMIT: Final = 2
ORDER_TYPE_SELL_LIMIT: Final = 3
ORDER_TYPE_BUY_STOP: Final = 4
ORDER_TYPE_SELL_STOP: Final = 5
ORDER_TYPE_BUY_STOP_LIMIT: Final = 6
ORDER_TYPE_SELL_STOP_LIMIT: Final = 7

BUY_ORDER_TYPES: Final = frozenset({ORDER_TYPE_BUY_LIMIT, ORDER_TYPE_BUY_STOP, ORDER_TYPE_BUY_STOP_LIMIT})
SELL_ORDER_TYPES: Final = frozenset({ORDER_TYPE_SELL_LIMIT, ORDER_TYPE_SELL_STOP, ORDER_TYPE_SELL_STOP_LIMIT})
LIMIT_ORDER_TYPES: Final = frozenset({ORDER_TYPE_BUY_LIMIT, ORDER_TYPE_SELL_LIMIT})
STOP_ORDER_TYPES: Final = frozenset({ORDER_TYPE_BUY_STOP, ORDER_TYPE_SELL_STOP})

ORDER_TYPE_NAMES: Final = {
    ORDER_TYPE_BUY: "buy",
    ORDER_TYPE_SELL: "sell",
    ORDER_TYPE_BUY_LIMIT: "buy limit",
    ORDER_TYPE_SELL_LIMIT: "sell limit",
    ORDER_TYPE_BUY_STOP: "buy stop",
    ORDER_TYPE_SELL_STOP: "sell stop",
    ORDER_TYPE_BUY_STOP_LIMIT: "buy stop limit",
    ORDER_TYPE_SELL_STOP_LIMIT: "sell stop limit",
}

# ORDER_TIME_* (mt5-constants §1.4)
ORDER_TIME_GTC: Final = 0

# SYMBOL_TRADE_MODE_* (mt5-constants §1.10)
SYMBOL_TRADE_MODE_DISABLED: Final = 0
SYMBOL_TRADE_MODE_LONGONLY: Final = 1
SYMBOL_TRADE_MODE_SHORTONLY: Final = 2
SYMBOL_TRADE_MODE_CLOSEONLY: Final = 3
SYMBOL_TRADE_MODE_FULL: Final = 4

# SYMBOL_CALC_MODE_* (mt5-constants §1.13)
SYMBOL_CALC_MODE_FOREX: Final = 0
SYMBOL_CALC_MODE_FUTURES: Final = 1
SYMBOL_CALC_MODE_CFD: Final = 2
SYMBOL_CALC_MODE_CFDINDEX: Final = 3
SYMBOL_CALC_MODE_CFDLEVERAGE: Final = 4
SYMBOL_CALC_MODE_FOREX_NO_LEVERAGE: Final = 5

# SYMBOL_ORDER_* bits of SymbolInfo.order_mode (MQL5-only, mt5-constants §2)
SYMBOL_ORDER_MARKET: Final = 1
SYMBOL_ORDER_LIMIT: Final = 2
SYMBOL_ORDER_STOP: Final = 4
SYMBOL_ORDER_SL: Final = 16
SYMBOL_ORDER_TP: Final = 32
