"""The account snapshot the agent posts: balance, equity, today's realised P&L by magic number, open positions."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

from agent.broker.errors import BrokerUnavailable, OrderRefused
from agent.broker.interface import Broker
from agent.broker.models import BrokerHealth, MarginMode
from agent.reports import position_states
from contract import AccountSnapshot


def utcnow() -> datetime:
    """Aware UTC now."""
    return datetime.now(UTC)


def build_snapshot(broker: Broker, clock: Callable[[], datetime] = utcnow) -> AccountSnapshot:
    """Read the account through ``broker``: balance, equity, today's realised P&L by magic number (closing deals'
    profit + swap + commission + fee since 00:00 UTC) and open positions.

    ``day_start_balance`` = balance - today's realised P&L of all deals (manual ones included), i.e. the
    balance before today's trading, ignoring deposits made today.

    :raises BrokerUnavailable: the broker cannot be reached. :raises OrderRefused: it refused a read.
    """
    acct = broker.account()
    now = clock()
    day_start = now.replace(hour=0, minute=0, second=0, microsecond=0)
    by_magic: dict[str, float] = {}
    total_all = 0.0
    for d in broker.deals_since(day_start):
        if not d.realises_pnl:  # entries and balance operations realise nothing
            continue
        total_all += d.pnl
        if d.magic:
            by_magic[str(d.magic)] = by_magic.get(str(d.magic), 0.0) + d.pnl
    health: BrokerHealth | None = None
    try:
        health = broker.health()
    except (OrderRefused, BrokerUnavailable):
        pass
    return AccountSnapshot(
        taken_at=now,
        login=acct.login,
        server=acct.server or None,
        currency=acct.currency,
        margin_mode="hedging" if acct.margin_mode is MarginMode.HEDGING else "netting",
        balance=acct.balance,
        equity=acct.equity,
        margin_free=acct.margin_free,
        day_start_balance=acct.balance - total_all,
        realized_pnl_today=sum(by_magic.values()),
        pnl_by_magic=by_magic,
        positions=position_states(broker.positions()),
        terminal_connected=health.connected if health else None,
        trade_allowed=health.trade_allowed if health else None,
    )
