"""A Linux stand-in for the Windows-only ``MetaTrader5`` package (5.0.6231): ``import agent.mt5sim as mt5``.

It serves as the test double for the MT5 adapter and as the embedded paper-trading broker on machines
without MetaTrader 5, so code written against it must run unchanged against the real package. It has:

- the 32 module functions, with the same calling conventions (keywords refused by VARARGS functions,
  positional arguments refused by ``positions_get``/``orders_get``, ``order_send(dict)`` or ``(**request)``)
  and the same ``None``/``False``/``()`` plus ``last_error()`` model (``reference/mt5-api.md`` §1);
- the 223 integer constants with their exact values and none of the MQL5-only names (``mt5-constants.md``);
- the 11 result types as structseq-like tuples (Appendix A), ``Buy``/``Sell``/``Close`` with their quirks,
  ``__version__`` and ``__author__``;
- a trade server behind them: netting and hedging accounts, pending orders, SL/TP, real retcodes
  (:mod:`agent.mt5sim.engine`) and a catalogue of FX, metal, index and crypto symbols
  (:mod:`agent.mt5sim.catalogue`).

Simulator-only functions (configure, quotes, faults, terminal switches, persistence) are in
:mod:`agent.mt5sim.control`, never here. All calls are serialized by one lock, as the GIL-holding C
module serializes them. Server time is UTC epoch seconds unless ``control.set_time_offset`` moves it.

Not simulated: price history (``copy_rates_*``/``copy_ticks_*`` return ``None``), swaps, partial fills,
requotes other than scripted ones or instant-execution deviation, stop-outs, and hedged-margin discounts.
"""

from agent.mt5sim.constants import *  # noqa: F403 - the package exports its constants at module level
from agent.mt5sim.helpers import Buy as Buy
from agent.mt5sim.helpers import Close as Close
from agent.mt5sim.helpers import Sell as Sell
from agent.mt5sim.helpers import _RawOrder as _RawOrder
from agent.mt5sim.session import account_info as account_info
from agent.mt5sim.session import initialize as initialize
from agent.mt5sim.session import last_error as last_error
from agent.mt5sim.session import login as login
from agent.mt5sim.session import shutdown as shutdown
from agent.mt5sim.session import terminal_info as terminal_info
from agent.mt5sim.session import version as version
from agent.mt5sim.symbols import copy_rates_from as copy_rates_from
from agent.mt5sim.symbols import copy_rates_from_pos as copy_rates_from_pos
from agent.mt5sim.symbols import copy_rates_range as copy_rates_range
from agent.mt5sim.symbols import copy_ticks_from as copy_ticks_from
from agent.mt5sim.symbols import copy_ticks_range as copy_ticks_range
from agent.mt5sim.symbols import market_book_add as market_book_add
from agent.mt5sim.symbols import market_book_get as market_book_get
from agent.mt5sim.symbols import market_book_release as market_book_release
from agent.mt5sim.symbols import symbol_info as symbol_info
from agent.mt5sim.symbols import symbol_info_tick as symbol_info_tick
from agent.mt5sim.symbols import symbol_select as symbol_select
from agent.mt5sim.symbols import symbols_get as symbols_get
from agent.mt5sim.symbols import symbols_total as symbols_total
from agent.mt5sim.trading import history_deals_get as history_deals_get
from agent.mt5sim.trading import history_deals_total as history_deals_total
from agent.mt5sim.trading import history_orders_get as history_orders_get
from agent.mt5sim.trading import history_orders_total as history_orders_total
from agent.mt5sim.trading import order_calc_margin as order_calc_margin
from agent.mt5sim.trading import order_calc_profit as order_calc_profit
from agent.mt5sim.trading import order_check as order_check
from agent.mt5sim.trading import order_send as order_send
from agent.mt5sim.trading import orders_get as orders_get
from agent.mt5sim.trading import orders_total as orders_total
from agent.mt5sim.trading import positions_get as positions_get
from agent.mt5sim.trading import positions_total as positions_total
from agent.mt5sim.types import AccountInfo as AccountInfo
from agent.mt5sim.types import BookInfo as BookInfo
from agent.mt5sim.types import OrderCheckResult as OrderCheckResult
from agent.mt5sim.types import OrderSendResult as OrderSendResult
from agent.mt5sim.types import SymbolInfo as SymbolInfo
from agent.mt5sim.types import TerminalInfo as TerminalInfo
from agent.mt5sim.types import Tick as Tick
from agent.mt5sim.types import TradeDeal as TradeDeal
from agent.mt5sim.types import TradeOrder as TradeOrder
from agent.mt5sim.types import TradePosition as TradePosition
from agent.mt5sim.types import TradeRequest as TradeRequest

__version__ = "5.0.6231"
__author__ = "MetaQuotes Ltd."
