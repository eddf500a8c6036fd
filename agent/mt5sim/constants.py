"""The ``MetaTrader5`` package's constants as the simulator's module attributes (``mt5sim.ORDER_TYPE_BUY``).

They are defined once, in :mod:`agent.mt5.constants`; ``agent.mt5sim`` star-imports this module, so it carries
exactly the package's 223 names and none of the MQL5-only ones (:mod:`agent.mt5.flags`).
"""

from agent.mt5.constants import *  # noqa: F403 - the package's names, re-exported as they are
