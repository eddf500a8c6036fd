"""A day on a netting EURUSD account whose trade server runs 3 hours ahead of UTC, with figures worked out by
hand (value of 1.0 price move on 1 lot: 100,000 USD; commission 3.50 USD per lot per deal).

1. 09:00 UTC  A buys 1.0 at 1.10000 (signal a_open)            -> position 1.0 at 1.10000
2. 09:05      B buys 0.5 at 1.10300 (signal b_open)            -> position 1.5 at 1.10100
3. 09:30      the trader buys 0.5 by hand at 1.10100           -> position 2.0 at 1.10100
4. 10:00      A sells 1.0 at 1.10500 (signal a_close)          MT5 profit (1.10500 - 1.10100 avg) * 1.0 = 400.00
              A's trade: own entry 1.10000 -> 1.10500 = 500.00, commission 3.50 + 3.50, net 493.00
5. 11:00      SL closes the rest, 1.0 at 1.10200 (swap -1.00)  MT5 profit (1.10200 - 1.10100) * 1.0 = 100.00
              B: (1.10200 - 1.10300) * 0.5 = -50.00, commission 1.75 + 1.75, swap -0.50, net -54.00
              manual: (1.10200 - 1.10100) * 0.5 = 50.00, commission 1.75 + 1.75, swap -0.50, net 46.00
Sum of the trades' net: 493.00 - 54.00 + 46.00 = 485.00 = the account's (:data:`ACCOUNT_NET`).
"""

from __future__ import annotations

from datetime import UTC, datetime

from contract.deals import (
    DEAL_ENTRY_IN,
    DEAL_ENTRY_OUT,
    DEAL_REASON_CLIENT,
    DEAL_REASON_EXPERT,
    DEAL_REASON_SL,
    DEAL_TYPE_BUY,
    DEAL_TYPE_SELL,
    Deal,
)

OFFSET = 3 * 3600  # the trade server's clock is UTC+3
DAY = datetime(2026, 3, 2, tzinfo=UTC)
POSITION = 5001


def at(hour: int, minute: int) -> datetime:
    """A UTC moment of the scenario's day."""
    return DAY.replace(hour=hour, minute=minute)


def _deal(ticket: int, when: datetime, **fields: object) -> Deal:
    server_msc = int(when.timestamp() + OFFSET) * 1000
    return Deal.model_validate({
        "ticket": ticket, "order": ticket + 100, "time": server_msc // 1000, "time_msc": server_msc,
        "position_id": POSITION, "symbol": "EURUSD", "server_offset_seconds": OFFSET, **fields,
    })


def netting_day(a: int, b: int, a_open: int, b_open: int, a_close: int) -> list[Deal]:
    """The deals of the day for strategies of magic numbers ``a`` and ``b`` and their signals' ids."""
    return [
        _deal(9001, at(9, 0), type=DEAL_TYPE_BUY, entry=DEAL_ENTRY_IN, magic=a, reason=DEAL_REASON_EXPERT,
              volume=1.0, price=1.10000, commission=-3.50, comment=f"tvb:{a_open}"),
        _deal(9002, at(9, 5), type=DEAL_TYPE_BUY, entry=DEAL_ENTRY_IN, magic=b, reason=DEAL_REASON_EXPERT,
              volume=0.5, price=1.10300, commission=-1.75, comment=f"tvb:{b_open}"),
        _deal(9003, at(9, 30), type=DEAL_TYPE_BUY, entry=DEAL_ENTRY_IN, magic=0, reason=DEAL_REASON_CLIENT,
              volume=0.5, price=1.10100, commission=-1.75),
        _deal(9004, at(10, 0), type=DEAL_TYPE_SELL, entry=DEAL_ENTRY_OUT, magic=a, reason=DEAL_REASON_EXPERT,
              volume=1.0, price=1.10500, profit=400.00, commission=-3.50, comment=f"tvb:{a_close}"),
        # the position was opened by A, so the server's SL deal carries A's magic number
        _deal(9005, at(11, 0), type=DEAL_TYPE_SELL, entry=DEAL_ENTRY_OUT, magic=a, reason=DEAL_REASON_SL,
              volume=1.0, price=1.10200, profit=100.00, commission=-3.50, swap=-1.00, comment="[sl 1.10200]"),
    ]


#: The account's realised P&L of the day: profit + commission + swap of every deal.
ACCOUNT_NET = round(400.00 + 100.00 - 3.50 - 1.75 - 1.75 - 3.50 - 3.50 - 1.00, 2)
