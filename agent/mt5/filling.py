"""Choosing ``type_filling`` for a request, the cause of the field's most common error (retcode 10030).

``SymbolInfo.filling_mode`` is a bit mask (SYMBOL_FILLING_FOK 1, SYMBOL_FILLING_IOC 2, SYMBOL_FILLING_BOC 4)
while ``type_filling`` is an enum (ORDER_FILLING_FOK 0, IOC 1, RETURN 2, BOC 3); mixing them sends the
wrong policy (mt5-api §2.4, mt5-constants §2). The order of preference follows MetaQuotes' ``CTrade``
(FOK, then IOC); RETURN is used for pending orders and for Exchange execution (MT5 help, "Fill policy").
"""

from __future__ import annotations

from agent.market import SymbolSpec

# Bits of SymbolInfo.filling_mode: MQL5-only names the MetaTrader5 package does not export.
SYMBOL_FILLING_FOK = 1
SYMBOL_FILLING_IOC = 2

ORDER_FILLING_FOK = 0
ORDER_FILLING_IOC = 1
ORDER_FILLING_RETURN = 2

SYMBOL_TRADE_EXECUTION_EXCHANGE = 3


def filling_candidates(spec: SymbolSpec, *, pending: bool) -> list[int]:
    """ORDER_FILLING_* values to try in order for ``spec`` (move to the next on retcode 10030).

    Pending orders: RETURN first. Market deals: FOK if its bit is set, IOC if its bit is set, and RETURN
    for Exchange execution or when no bit is set.
    """
    if pending:
        return [ORDER_FILLING_RETURN, ORDER_FILLING_FOK, ORDER_FILLING_IOC]
    candidates: list[int] = []
    if spec.filling_mode & SYMBOL_FILLING_FOK:
        candidates.append(ORDER_FILLING_FOK)
    if spec.filling_mode & SYMBOL_FILLING_IOC:
        candidates.append(ORDER_FILLING_IOC)
    if spec.trade_exemode == SYMBOL_TRADE_EXECUTION_EXCHANGE or not candidates:
        candidates.append(ORDER_FILLING_RETURN)
    return candidates
