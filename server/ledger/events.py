"""Events: a strategy's trades that its own signals did not close, told in the strategy's history, the signal log and
a tray notification.

A strategy's share can end without its signal: the trade server closes it at its SL or TP or stops the account out
(``DEAL_REASON_SL/TP/SO``), the trader closes it in MetaTrader 5 (or another EA does), another strategy allowed to
net against others takes it, the agent closes it by an exit rule, or a pending order expires. Each such trade
(:data:`server.ledger.attribution.EVENT_REASONS`) becomes one :class:`~server.ledger.models.LedgerEvent`, keyed by
the trade (so re-posted deals never repeat it), linked to the signal that opened the share, with a sentence that
says what happened, at what price, and the money it made or lost. ``GET /api/v1/events`` lists them;
``GET /api/v1/signals/{id}/deals`` includes those of a signal; the runtime turns new ones into notifications.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from sqlmodel import Session, col, select

from server.ledger.attribution import EVENT_REASONS, TP_LEVEL_REASONS, ExitReason
from server.ledger.models import LedgerEvent
from server.ledger.trades import TradeFigures
from server.models import Strategy

#: The notification title of each kind of event.
TITLES = {
    ExitReason.SL: "Stop loss hit",
    ExitReason.TP: "Take profit hit",
    ExitReason.STOP_OUT: "Stop-out",
    ExitReason.MANUAL: "Closed outside tvbridge",
    ExitReason.OTHER_STRATEGY: "Closed by another strategy",
    ExitReason.MAX_HOLD: "Max hold time reached",
    ExitReason.FLAT_TIME: "Daily flat time",
    ExitReason.EXPIRED_PENDING: "Pending order expired",
    **{reason: f"TP{n} reached" for n, reason in TP_LEVEL_REASONS.items()},
}


def _num(value: float) -> str:
    return format(value, ".10g")


def _lots(value: float) -> str:
    text = f"{abs(value):.6f}".rstrip("0")
    whole, _, frac = text.partition(".")
    return f"{whole}.{frac.ljust(2, '0')}"


def message(trade: TradeFigures, currency: str, strategy: str, closer: str | None) -> str:
    """The sentence of an event: what closed ``strategy``'s trade, where, and its net P&L in ``currency``."""
    what = f"the {_lots(trade.volume)}-lot {trade.symbol} {trade.side} of {strategy}"
    where = f" at {_num(trade.exit_price)}" if trade.exit_price is not None else ""
    money = f"; net P&L {trade.net_pnl:,.2f} {currency}"
    rest = f" ({_lots(trade.remaining_volume)} lots of it remain open)" if trade.remaining_volume else ""
    reason = ExitReason(trade.exit_reason)
    if reason is ExitReason.SL:
        return f"The stop loss closed {what}{where}{rest}{money}."
    if reason is ExitReason.TP:
        return f"The take profit closed {what}{where}{rest}{money}."
    if reason is ExitReason.STOP_OUT:
        return f"The broker stopped the account out (margin level too low) and closed {what}{where}{rest}{money}."
    subject = f"{what[0].upper()}{what[1:]}"
    if reason is ExitReason.MANUAL:
        magic = trade.closed_by_magic
        by = f"another EA (magic {magic})" if magic else "the trader in MetaTrader 5"
        return f"{subject} was closed{where} by {by}{rest}{money}."
    if reason is ExitReason.OTHER_STRATEGY:
        return f"{subject} was closed{where} by {closer or 'another strategy'} netting against it{rest}{money}."
    if reason is ExitReason.MAX_HOLD:
        return f"tvbridge closed {what}{where}: it reached the strategy's maximum hold time{rest}{money}."
    level = next((n for n, r in TP_LEVEL_REASONS.items() if r is reason), None)
    if level is not None:
        return f"TP{level} reached: tvbridge closed {what}{where}{rest}{money}."
    if reason is ExitReason.FLAT_TIME:
        return f"tvbridge closed {what}{where}: the strategy's daily flat time passed{rest}{money}."
    price = f" at {_num(trade.entry_price)}" if trade.entry_price is not None else ""
    order = f"pending {trade.side} order for {_lots(trade.volume)} lots {trade.symbol}{price}"
    return f"The {order} of {strategy} expired unfilled."


def record_events(
    session: Session, agent_id: str, login: int, currency: str, trades: Iterable[TradeFigures]
) -> list[LedgerEvent]:
    """Add an event for each of ``trades`` that a strategy's own signal did not close and has none yet; returns
    the new events (flushed, not committed)."""
    wanted = [t for t in trades if t.strategy_id is not None and t.exit_reason in EVENT_REASONS]
    if not wanted:
        return []
    known = set(
        session.exec(
            select(LedgerEvent.trade_key).where(
                LedgerEvent.agent_id == agent_id,
                LedgerEvent.login == login,
                col(LedgerEvent.trade_key).in_([t.trade_key for t in wanted]),
            )
        ).all()
    )
    fresh = [t for t in wanted if t.trade_key not in known]
    if not fresh:
        return []
    names = _names(session, {t.strategy_id for t in fresh if t.strategy_id is not None})
    closers = _closers(session, {t.closed_by_magic for t in fresh if t.closed_by_magic})
    events = []
    for trade in fresh:
        strategy = f"strategy '{names.get(trade.strategy_id or 0, trade.strategy_id)}'"
        closer = closers.get(trade.closed_by_magic or 0)
        event = LedgerEvent(
            agent_id=agent_id, login=login, trade_key=trade.trade_key, kind=trade.exit_reason,
            strategy_id=trade.strategy_id, signal_id=trade.entry_signal_id, symbol=trade.symbol, side=trade.side,
            volume=trade.volume, remaining_volume=trade.remaining_volume, price=trade.exit_price,
            net_pnl=trade.net_pnl, currency=currency, closed_by_magic=trade.closed_by_magic,
            message=message(trade, currency, strategy, f"strategy '{closer}'" if closer else None)[:400],
            time=trade.exit_time,
        )
        session.add(event)
        events.append(event)
    session.flush()
    return events


def _names(session: Session, ids: set[int]) -> dict[int, str]:
    if not ids:
        return {}
    rows = session.exec(select(Strategy.id, Strategy.name).where(col(Strategy.id).in_(list(ids)))).all()
    return {sid: name for sid, name in rows if sid is not None}


def _closers(session: Session, magics: set[int]) -> dict[int, str]:
    magics = {m for m in magics if 0 < m < 2**63}
    if not magics:
        return {}
    rows = session.exec(select(Strategy.magic_number, Strategy.name).where(col(Strategy.magic_number).in_(magics)))
    return dict(rows.all())


def title(kind: str) -> str:
    """The notification title of an event kind."""
    return TITLES.get(ExitReason(kind), "Trade closed") if kind in set(ExitReason) else "Trade closed"


__all__: Sequence[str] = ["TITLES", "message", "record_events", "title"]
