"""Strategy management: the one service behind the admin API, the CLI and the tray menu.

Enabling a strategy from the tray and ``PATCH /api/v1/strategies/{id}`` are the same call
(:meth:`StrategyService.update`), so the two can never disagree. Every setting is validated here by the same
models the API uses (:mod:`server.schemas.strategies`), whoever calls.

Identities are never reused (reliability issue, item 2): the id comes from an ``AUTOINCREMENT`` table, the magic
number from a counter that only counts up (skipping any magic number an agent reports in use), and a strategy is
never removed: deleting it archives it, and is refused while it holds positions, pending orders or pending
signals, so no order, deal or comment ``tvb:<id>`` can ever be matched to a strategy that did not send it.

Each write is one short, self-contained ``with Session(...)`` block.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from typing import Any

from sqlalchemy import Engine, func, text
from sqlmodel import Session, col, select

from server.flow.targets import check_accounts
from server.models import OPEN_STATUSES, AccountSnapshot, Signal, Strategy, utcnow
from server.reflected import newer_positions
from server.schemas.strategies import StrategyCreate, StrategyUpdate
from server.writer import Writer

#: First magic number handed out; each new strategy takes the next one from the ``counters`` table
#: (unsigned 64-bit in MT5; we stay far below 2**63).
FIRST_MAGIC = 27_700_001

#: The ``counters`` row that holds the next magic number.
MAGIC_COUNTER = "magic_number"

#: Fields a PATCH may change.
EDITABLE_FIELDS = frozenset(StrategyUpdate.model_fields)


class StrategyNotFound(LookupError):
    """No strategy has that id (or it was archived, where the caller asked for live strategies only)."""


class StrategyInUse(RuntimeError):
    """The strategy still trades: it holds positions or pending orders, or has signals pending. The message is
    a sentence saying what is open and what to do."""


def new_webhook_secret() -> str:
    """A fresh webhook secret: 32 random bytes, URL-safe base64 (43 characters)."""
    return secrets.token_urlsafe(32)


def _archived(strategy: Strategy) -> str:
    when = strategy.archived_at.strftime("%Y-%m-%d %H:%M UTC") if strategy.archived_at else "earlier"
    return (
        f"Strategy {strategy.id} ('{strategy.name}') was deleted on {when}; its signals remain in the signal log, "
        f"but it can no longer be read, changed or sent alerts."
    )


def _lots(volume: Any) -> str:
    return f"{float(volume):.2f}".rstrip("0").rstrip(".") if volume is not None else "?"


class StrategyService:
    """Create, read, update, archive and rotate strategies.

    ``public_base_url`` returns the current public base URL (the tunnel's when it is online); webhook URLs
    are built from it at read time, so they follow the tunnel.
    """

    def __init__(self, engine: Engine, public_base_url: Callable[[], str], writer: Writer) -> None:
        self._engine = engine
        self._write = writer.run_session  # every change goes through the one writer (server/writer.py)
        self._public_base_url = public_base_url

    def webhook_url(self, strategy: Strategy) -> str:
        """The URL to paste into TradingView's alert dialog for ``strategy`` (an archived strategy's secret was
        replaced with one nobody knows, so its URL reaches nothing)."""
        return f"{self._public_base_url().rstrip('/')}/api/v1/webhooks/tv/{strategy.webhook_secret}"

    def list(self, *, include_archived: bool = False) -> list[tuple[Strategy, int]]:
        """Every strategy (archived ones only when asked) with its number of stored signals, by id."""
        with Session(self._engine) as session:
            counts = dict(
                session.exec(select(Signal.strategy_id, func.count()).group_by(Signal.strategy_id)).all()  # type: ignore[arg-type]
            )
            stmt = select(Strategy).order_by(col(Strategy.id))
            if not include_archived:
                stmt = stmt.where(col(Strategy.archived_at).is_(None))
            return [(s, counts.get(s.id or 0, 0)) for s in session.exec(stmt).all()]

    def get(self, strategy_id: int, *, include_archived: bool = True) -> Strategy:
        """One strategy; an archived one only with ``include_archived`` (the default, for names in the log).

        :raises StrategyNotFound: with a sentence.
        """
        with Session(self._engine) as session:
            strategy = session.get(Strategy, strategy_id)
        if strategy is None:
            raise StrategyNotFound(f"No strategy with id {strategy_id}.")
        if strategy.archived_at is not None and not include_archived:
            raise StrategyNotFound(_archived(strategy))
        return strategy

    def signal_count(self, strategy_id: int) -> int:
        """The number of signals stored for the strategy."""
        with Session(self._engine) as session:
            stmt = select(func.count()).select_from(Signal).where(Signal.strategy_id == strategy_id)
            return int(session.exec(stmt).one())

    def create(self, name: str, **settings: Any) -> Strategy:
        """Create a strategy with a new webhook secret and a magic number never used before.

        ``settings`` may hold any of :data:`EDITABLE_FIELDS`; ``default_volume`` defaults to
        :data:`server.schemas.strategies.DEFAULT_VOLUME_LOTS` (pass ``None`` for "alerts must name their volume").
        :raises pydantic.ValidationError: (a ``ValueError``) for an unknown field or a value out of bounds.
        :raises AccountsConflict: ``accounts`` name an agent twice or the primary ``agent_id``.
        """
        fields = StrategyCreate.model_validate({"name": name, **settings}).model_dump(mode="json")
        check_accounts(fields["agent_id"], fields["accounts"])

        def write(session: Session) -> Strategy:
            magic = self._next_magic(session)
            strategy = Strategy(webhook_secret=new_webhook_secret(), magic_number=magic, **fields)
            session.add(strategy)
            session.commit()
            session.refresh(strategy)
            return strategy

        return self._write(write)

    def update(self, strategy_id: int, **changes: Any) -> Strategy:
        """Change settings of a live strategy.

        :raises StrategyNotFound: no such strategy, or it is archived.
        :raises pydantic.ValidationError: (a ``ValueError``) unknown field, ``null`` for a required one, or a
            value out of bounds.
        :raises AccountsConflict: ``accounts`` would name an agent twice or the primary ``agent_id``.
        """
        valid = StrategyUpdate.model_validate(changes).model_dump(mode="json", exclude_unset=True)

        def write(session: Session) -> Strategy:
            strategy = self._live(session, strategy_id)
            for key, value in valid.items():
                setattr(strategy, key, value)
            check_accounts(strategy.agent_id, strategy.accounts)  # raises before the commit: nothing changes
            strategy.updated_at = utcnow()
            session.add(strategy)
            session.commit()
            session.refresh(strategy)
            return strategy

        return self._write(write)

    def set_enabled(self, strategy_id: int, enabled: bool) -> Strategy:
        """Enable or disable a strategy (the tray's check items)."""
        return self.update(strategy_id, is_enabled=enabled)

    def rotate_secret(self, strategy_id: int) -> Strategy:
        """Give the strategy a new webhook secret; the old URL stops working at once.

        :raises StrategyNotFound: no such strategy, or it is archived.
        """

        def write(session: Session) -> Strategy:
            strategy = self._live(session, strategy_id)
            strategy.webhook_secret = new_webhook_secret()
            strategy.updated_at = utcnow()
            session.add(strategy)
            session.commit()
            session.refresh(strategy)
            return strategy

        return self._write(write)

    def delete(self, strategy_id: int) -> Strategy:
        """Archive a strategy: it leaves the lists, its webhook URL (and alert secret / License ID routing) stops
        reaching it, its signals stay in the log, and its id and magic number are never handed out again.

        :raises StrategyNotFound: no such strategy, or it is archived already.
        :raises StrategyInUse: it holds positions or pending orders (its agent's latest snapshot) or has signals
            still pending; the message says which and what to do.
        """

        def write(session: Session) -> Strategy:
            # The writer runs this alone in its transaction: no alert of this strategy can be queued between the
            # check and the archive (intake's gates run in the same writer).
            strategy = self._live(session, strategy_id)
            reason = self._still_trading(session, strategy)
            if reason is not None:
                raise StrategyInUse(reason)  # the writer rolls the transaction back
            now = utcnow()
            strategy.archived_at = now
            strategy.updated_at = now
            strategy.is_enabled = False
            strategy.webhook_secret = new_webhook_secret()  # the old URL now reaches nothing, and nobody has the new
            strategy.alert_secret = None  # the universal webhook routes by these two
            strategy.license_id = None
            session.add(strategy)
            session.commit()
            session.refresh(strategy)
            return strategy

        return self._write(write)

    # -- helpers -------------------------------------------------------------------------------------------

    @staticmethod
    def _live(session: Session, strategy_id: int) -> Strategy:
        strategy = session.get(Strategy, strategy_id)
        if strategy is None:
            raise StrategyNotFound(f"No strategy with id {strategy_id}.")
        if strategy.archived_at is not None:
            raise StrategyNotFound(_archived(strategy))
        return strategy

    @staticmethod
    def _next_magic(session: Session) -> int:
        """The next magic number from the counter, skipping any in use (by a strategy, or by a position, pending
        order or today's deal an agent reported: a number another EA trades under is never taken)."""
        bump = text("UPDATE counters SET next_value = next_value + 1 WHERE name = :name RETURNING next_value - 1")
        in_use: set[int] | None = None
        while True:
            taken = session.execute(bump, {"name": MAGIC_COUNTER}).scalar()
            if taken is None:  # the migration creates the row; a hand-edited database may lack it
                session.execute(
                    text(
                        "INSERT INTO counters (name, next_value) "
                        "SELECT :name, max(:first, coalesce(max(magic_number) + 1, :first)) FROM tv_strategies"
                    ),
                    {"name": MAGIC_COUNTER, "first": FIRST_MAGIC},
                )
                continue
            if in_use is None:
                in_use = set(session.exec(select(Strategy.magic_number)).all())
                for snap in session.exec(select(AccountSnapshot)).all():
                    in_use |= {int(p.get("magic", 0)) for p in [*snap.positions, *(snap.pending_orders or [])]}
                    in_use |= {int(k) for k in snap.pnl_by_magic if k.isdigit()}
            if int(taken) not in in_use:
                return int(taken)

    @staticmethod
    def _still_trading(session: Session, strategy: Strategy) -> str | None:
        """Why the strategy cannot be archived yet, in a sentence; ``None`` when nothing of it is open."""
        label = f"Strategy {strategy.id} ('{strategy.name}', magic number {strategy.magic_number})"
        pending = session.exec(
            select(Signal.id)
            .where(Signal.strategy_id == strategy.id, col(Signal.status).in_(list(OPEN_STATUSES)))
            .order_by(col(Signal.id))
        ).all()
        if pending:
            ids = ", ".join(f"#{i}" for i in pending[:5]) + (" ..." if len(pending) > 5 else "")
            return (
                f"{label} cannot be deleted while {len(pending)} of its signals are pending or awaiting "
                f"approval ({ids}): approve or reject them, or wait for their outcome, then delete it again."
            )
        held: list[str] = []
        orders: list[str] = []
        for snap in session.exec(select(AccountSnapshot).order_by(col(AccountSnapshot.agent_id))).all():
            # A job of the strategy that finished on this account after the snapshot read the terminal (a fill,
            # an approved signal that finished behind later ones): the positions it read back are the newer truth;
            # without this a delete right after it would pass on the snapshot from before it (server/reflected.py).
            positions = snap.positions
            newer = newer_positions(session, snap, strategy.id) if strategy.id is not None else None
            if newer is not None:
                positions = [
                    *newer,
                    *(p for p in positions if int(p.get("magic", 0)) != strategy.magic_number),
                ]
            for p in positions:
                if int(p.get("magic", 0)) == strategy.magic_number:
                    held.append(
                        f"{p.get('symbol')} {p.get('type')} {_lots(p.get('volume'))} lots, ticket {p.get('ticket')}, "
                        f"on agent {snap.agent_id}"
                    )
            for o in snap.pending_orders or []:
                if int(o.get("magic", 0)) == strategy.magic_number:
                    orders.append(
                        f"{o.get('symbol')} {o.get('type')} {_lots(o.get('volume'))} lots, ticket {o.get('ticket')}, "
                        f"on agent {snap.agent_id}"
                    )
        if not held and not orders:
            return None
        parts = []
        if held:
            parts.append(f"{len(held)} open position{'s' if len(held) > 1 else ''} ({'; '.join(held[:5])})")
        if orders:
            parts.append(f"{len(orders)} pending order{'s' if len(orders) > 1 else ''} ({'; '.join(orders[:5])})")
        return (
            f"{label} cannot be deleted while it holds {' and '.join(parts)}: close them (a closeall/cancel alert, "
            f"or in MetaTrader 5), wait until the agent reports them gone, then delete it again. Disable it to "
            f"stop new trades meanwhile."
        )
