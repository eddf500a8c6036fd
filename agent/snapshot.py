"""The account snapshot the agent posts: balance, equity, today's realised P&L by magic number, open positions."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

from agent.broker.errors import BrokerUnavailable, OrderRefused
from agent.broker.interface import Broker
from agent.broker.models import BrokerHealth, MarginMode
from agent.reports import position_states, share_states
from agent.shares import split_by_owner
from contract import AccountSnapshot, PositionState


def utcnow() -> datetime:
    """Aware UTC now."""
    return datetime.now(UTC)


def owned_positions(
    broker: Broker, netting: bool, digits: int = 2, magic: int | None = None
) -> list[PositionState]:
    """Open positions as the contract reports them: on hedging each position (its opener's); on netting one row per
    owner's share of each position (:mod:`agent.shares`). ``magic``: only that owner's rows."""
    positions = broker.positions()
    if not netting:
        return position_states(tuple(p for p in positions if magic is None or p.magic == magic))
    rows = [row for p in positions for row in share_states(p, split_by_owner(broker, p, digits))]
    return [r for r in rows if magic is None or r.magic == magic]


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
        positions=owned_positions(broker, acct.margin_mode is MarginMode.NETTING, acct.currency_digits),
        terminal_connected=health.connected if health else None,
        trade_allowed=health.trade_allowed if health else None,
    )
