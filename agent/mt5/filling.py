"""Choosing ``type_filling`` for a request, the cause of the field's most common error (retcode 10030).

``SymbolInfo.filling_mode`` is a bit mask (SYMBOL_FILLING_FOK 1, SYMBOL_FILLING_IOC 2, SYMBOL_FILLING_BOC 4)
while ``type_filling`` is an enum (ORDER_FILLING_FOK 0, IOC 1, RETURN 2, BOC 3); mixing them sends the
wrong policy (mt5-api §2.4, mt5-constants §2). The order of preference follows MetaQuotes' ``CTrade``
(FOK, then IOC); RETURN is used for pending orders and for Exchange execution (MT5 help, "Fill policy").
"""

from __future__ import annotations

from agent.mt5 import constants as c
from agent.mt5.flags import SymbolFilling


def filling_candidates(filling_mode: int, trade_exemode: int, *, pending: bool) -> list[int]:
    """ORDER_FILLING_* values to try in order (move to the next on retcode 10030).

    :param filling_mode: the symbol's ``SymbolInfo.filling_mode`` bit mask.
    :param trade_exemode: its ``SymbolInfo.trade_exemode`` (SYMBOL_TRADE_EXECUTION_*).
    :param pending: a pending order (RETURN first) rather than a market deal.

    Market deals: FOK if its bit is set, IOC if its bit is set, and RETURN for Exchange execution or when no
    bit is set.
    """
    if pending:
        return [c.ORDER_FILLING_RETURN, c.ORDER_FILLING_FOK, c.ORDER_FILLING_IOC]
    candidates: list[int] = []
    if filling_mode & SymbolFilling.FOK:
        candidates.append(c.ORDER_FILLING_FOK)
    if filling_mode & SymbolFilling.IOC:
        candidates.append(c.ORDER_FILLING_IOC)
    if trade_exemode == c.SYMBOL_TRADE_EXECUTION_EXCHANGE or not candidates:
        candidates.append(c.ORDER_FILLING_RETURN)
    return candidates
