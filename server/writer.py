"""The one writer: a thread that owns the database's write connection and commits work in groups.

Every change to the database goes through :class:`Writer` — signals and jobs from webhooks, agents' claims,
results and snapshots, expiries from the sweeper, strategy and settings changes from the admin API and the tray.
Callers hand it an *op* (a function of a :class:`WriteTx`) and wait for its result; the writer takes every op
queued at that moment, applies them one after the other inside ONE transaction (a failing op takes only itself
back: the group is then applied again with a savepoint per op), commits once — one fsync for the whole group —
and only then answers all of them. While it waits for the disk, new ops queue and form the next group, so the more
alerts arrive together the larger the groups get, and the cost of durability per alert falls.

Why this shape (issue 8):

- **No lock-order inversion.** Nobody else writes (the readers' connections are ``query_only``), nobody waits for
  a lock while holding a connection; the writer holds its one connection and waits for nothing but its queue.
- **Atomic decisions.** Ops run strictly one after another on one connection, so the duplicate check, the daily
  trade count and a job claim see every op queued before them: two copies of one alert, or two agents asking
  for one job, are told apart without any lock.
- **Durable answers.** A webhook is answered only after the commit holding its signal returned, with
  ``synchronous=FULL`` (server/db.py); when the commit (or ``BEGIN``) fails — disk full, the file locked by
  another program past :data:`server.db.WRITER_BUSY_TIMEOUT_MS` — the whole group is rolled back and every op in
  it fails with :class:`StorageUnavailable` (webhooks answer 503 and TradingView resends). Nothing half-written
  remains, and the next group simply tries again, so the writer recovers when the cause goes away.

The in-memory view (:mod:`server.view`) changes with the database: ops change a working copy, which is published
only when the group commits and dropped when it does not.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import json
import logging
import queue
import sqlite3
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy import create_engine
from sqlalchemy.exc import DBAPIError
from sqlalchemy.pool import StaticPool
from sqlmodel import Session

from server.db import checkpoint, connect_writer, from_sql_time, sql_time
from server.models import Signal, SignalStatus, utcnow
from server.view import AgentPnl, Catalog, Counters, SettingsView, StrategyView, View

logger = logging.getLogger(__name__)

T = TypeVar("T")

#: Most ops in one transaction: bounds the time one group holds the queue (each op takes tens of microseconds).
MAX_GROUP = 512

#: Seconds between checkpoints while groups are being committed (see :class:`Checkpointer`).
CHECKPOINT_SECONDS = 1.0

#: SQLite primary result codes that mean "the database cannot be written now", not "this op is wrong"
#: (sqlite.org/rescode.html): BUSY, LOCKED, NOMEM, READONLY, IOERR, CORRUPT, FULL, CANTOPEN, PROTOCOL.
_STORAGE_CODES = frozenset({5, 6, 7, 8, 10, 11, 13, 14, 15})

_STRATEGY_JSON = ("allowed_pairs", "symbol_map", "pip_sizes", "dialects", "accounts", "timeframes", "tp_split")


class StorageUnavailable(Exception):
    """The database could not be written (disk full, locked by another program, I/O error, writer stopped):
    nothing of the op was stored. A webhook answers 503 so TradingView resends (it does on 5xx except 504)."""


def is_storage_error(exc: BaseException) -> bool:
    """True for SQLite errors about the database file rather than about the statement (see :data:`_STORAGE_CODES`)."""
    if isinstance(exc, DBAPIError) and exc.orig is not None:
        exc = exc.orig
    code = getattr(exc, "sqlite_errorcode", None)
    return isinstance(exc, sqlite3.Error) and code is not None and (code & 0xFF) in _STORAGE_CODES


@dataclass
class WriteTx:
    """What an op sees while it runs in the writer thread.

    ``conn`` is the writer's ``sqlite3`` connection inside the group's transaction (raw SQL; stored times through
    :func:`server.db.sql_time`); ``catalog``/``counters`` the working view, as of the ops before this one; ``now``
    the group's time. An op replaces ``catalog`` and changes ``counters`` only after its SQL succeeded. Effects that
    must wait for the commit are asked for with :meth:`on_loop` and :meth:`resolved`; :meth:`on_undo` puts back
    in-memory state an op took when its group is not committed after all.
    """

    conn: sqlite3.Connection
    catalog: Catalog
    counters: Counters
    now: datetime = field(default_factory=utcnow)
    loop_effects: list[Callable[[], None]] = field(default_factory=list)
    undo: list[Callable[[], None]] = field(default_factory=list)
    finals: list[Signal] = field(default_factory=list)
    #: Scratch space of the group's ops (e.g. the long-poll a group's jobs go to); gone with the group.
    local: dict[Any, Any] = field(default_factory=dict)

    def on_loop(self, effect: Callable[[], None]) -> None:
        """Run ``effect`` on the server's event loop once the group is committed (e.g. hand a job to a waiting
        long-poll); dropped when it is not."""
        self.loop_effects.append(effect)

    def on_undo(self, effect: Callable[[], None]) -> None:
        """Run ``effect`` in the writer thread if this op or its group is rolled back."""
        self.undo.append(effect)

    def resolved(self, signal: Signal) -> None:
        """Report ``signal`` (now in a final state) to the ``on_resolved`` listener once the group is committed."""
        self.finals.append(signal)

    def execute(self, sql: str, params: Iterable[Any] = ()) -> sqlite3.Cursor:
        """Run one statement on the writer's connection."""
        return self.conn.execute(sql, tuple(params))

    def mark(self) -> tuple[Catalog, Counters, int, int, int]:
        """The working state before an op (see :meth:`restore`)."""
        return self.catalog, self.counters.copy(), len(self.loop_effects), len(self.undo), len(self.finals)

    def restore(self, mark: tuple[Catalog, Counters, int, int, int]) -> None:
        """Forget what the op since ``mark`` did to the working state (its SQL was rolled back to its savepoint)."""
        self.catalog, self.counters, effects, undo, finals = mark
        del self.loop_effects[effects:]
        for effect in reversed(self.undo[undo:]):
            effect()
        del self.undo[undo:]
        del self.finals[finals:]

    def rollback(self) -> None:
        """The group was not committed: put back what its ops took."""
        for effect in reversed(self.undo):
            effect()
        self.undo.clear()
        self.loop_effects.clear()
        self.finals.clear()


Op = Callable[[WriteTx], T]


@dataclass
class _Item:
    op: Callable[[Any], Any]  # of a WriteTx, or of a Session when ``session``
    loop: asyncio.AbstractEventLoop | None
    future: asyncio.Future[Any] | concurrent.futures.Future[Any]
    deadline: float | None = None  # time.monotonic(): not applied at all once passed
    session: bool = False  # an ORM op: runs alone, in its own transaction
    durable: bool = True  # False: soft state (snapshots) that may be lost in a power cut


@dataclass
class _Outcome:
    item: _Item
    value: Any = None
    error: BaseException | None = None


_STOP = object()


class Checkpointer:
    """Copies the WAL into the database file beside the writer, from a connection and thread of its own.

    The writer commits with automatic checkpoints off (server/db.py: connect_writer); this thread runs a
    ``PASSIVE`` checkpoint at most every :data:`CHECKPOINT_SECONDS` while there are new commits, which neither
    waits for nor blocks the writer, and a ``TRUNCATE`` one at stop, so the WAL file does not outlive the server.
    """

    def __init__(self, db_path: Path) -> None:
        self.db_path = db_path
        self.due = threading.Event()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="tvbridge-checkpoint", daemon=True)

    def start(self) -> None:
        """Start the thread."""
        self._thread.start()

    def stop(self, timeout: float = 10.0) -> None:
        """Run the last checkpoint and stop."""
        self._stop.set()
        self.due.set()
        self._thread.join(timeout)

    def _run(self) -> None:
        conn = connect_writer(self.db_path)
        try:
            while not self._stop.is_set():
                self.due.wait()
                if self._stop.wait(CHECKPOINT_SECONDS):
                    break
                self.due.clear()
                self._checkpoint(conn, "PASSIVE")
            self._checkpoint(conn, "TRUNCATE")
        finally:
            conn.close()

    @staticmethod
    def _checkpoint(conn: sqlite3.Connection, mode: str) -> None:
        try:
            checkpoint(conn, mode)
        except sqlite3.Error as exc:  # the next round tries again; the WAL only grows meanwhile
            logger.warning("checkpoint failed: %s", exc)


class Writer:
    """Owns the write connection of the database at ``db_path`` and the in-memory ``view``.

    ``on_resolved(signal)`` is called with every signal a commit put in a final state (tray notifications), in
    commit order, from a thread of its own: a slow listener delays notifications, never intake. ``start()`` loads
    the view from the database; ``stop()`` fails whatever is still queued with :class:`StorageUnavailable`.
    """

    def __init__(
        self,
        db_path: Path,
        view: View,
        *,
        on_resolved: Callable[[Signal], None] | None = None,
    ) -> None:
        self.db_path = db_path
        self.view = view
        self._on_resolved = on_resolved
        self._reports: queue.SimpleQueue[Signal | None] = queue.SimpleQueue()
        self._reported = threading.Condition()
        self._reports_due = self._reports_done = 0
        self._queue: queue.SimpleQueue[Any] = queue.SimpleQueue()
        self._held: _Item | None = None
        self._conn: sqlite3.Connection | None = None
        self._sync_level = "FULL"
        self._counters = Counters(utcnow().date())
        self._thread: threading.Thread | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stopped = False
        #: Groups committed and ops applied since start (for tests and the benchmark).
        self.groups = 0
        self.ops = 0

    # --- life cycle -------------------------------------------------------------------------------------------

    def start(self) -> None:
        """Open the connection, load the view, and start the writer thread. :raises sqlite3.Error:"""
        self._open()
        self.view.catalog = self._load_catalog()
        self._counters = self._load_counters(utcnow())
        self._checkpointer = Checkpointer(self.db_path)
        self._checkpointer.start()
        self._reporter = threading.Thread(target=self._run_reports, name="tvbridge-reports", daemon=True)
        self._reporter.start()
        self._thread = threading.Thread(target=self._run, name="tvbridge-writer", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 10.0) -> None:
        """Finish the group in progress, fail what is still queued, close the connection (idempotent)."""
        if self._thread is None or self._stopped:
            return
        self._stopped = True
        self._queue.put(_STOP)
        self._thread.join(timeout)
        self._fail_queued(StorageUnavailable("The server is stopping."))
        if not self._thread.is_alive():
            self._close()
        self._checkpointer.stop()
        self._reports.put(None)
        self._reporter.join(timeout)

    @property
    def in_writer_thread(self) -> bool:
        """True when called from the writer thread itself (an op must never wait for another op)."""
        return self._thread is not None and threading.current_thread() is self._thread

    # --- submitting work ----------------------------------------------------------------------------------------

    async def submit(self, op: Op[T], *, within: float | None = None, durable: bool = True) -> T:
        """Run ``op`` in the next group and return its result once the group is durable.

        ``within`` (seconds): if the writer has not reached the op by then, it is not applied and fails.
        ``durable=False`` marks soft state that is posted again anyway (account snapshots): a group made only of
        such ops is committed without waiting for the disk (``synchronous=NORMAL``: in WAL mode the next durable
        commit syncs it too; a power cut may take it back, nothing else).
        :raises StorageUnavailable: the group could not be committed, or ``within`` passed; nothing was stored.
        Any other exception ``op`` raised is re-raised here (nothing of that op was stored).
        """
        loop = asyncio.get_running_loop()
        self._loop = loop
        future: asyncio.Future[T] = loop.create_future()
        self._put(_Item(op, loop, future, None if within is None else time.monotonic() + within, durable=durable))
        return await future

    def run(self, op: Op[T], *, timeout: float | None = 30.0, durable: bool = True) -> T:
        """As :meth:`submit`, blocking, for threads other than the event loop's and the writer's. An op the writer has
        not reached within ``timeout`` seconds is not applied (like ``within``).

        :raises StorageUnavailable: see :meth:`submit`, or the writer did not reach the op in time.
        :raises RuntimeError: called on a running event loop (use :meth:`submit`) or in the writer thread.
        """
        return self._wait(_Item(op, None, concurrent.futures.Future(), durable=durable), timeout)

    def run_session(self, fn: Callable[[Session], T], *, timeout: float | None = 30.0) -> T:
        """Run ``fn`` with an ORM :class:`Session` on the writer's connection, alone in its own transaction
        (``BEGIN IMMEDIATE`` is issued for it; ``fn`` commits with ``session.commit()`` as usual). The view's
        strategies and settings are reloaded afterwards, so whatever ``fn`` changed is seen by the next alert.

        For the admin API and the tray (strategy CRUD, settings), which keep their SQLModel code.
        :raises StorageUnavailable: the database could not be written. Other exceptions of ``fn`` pass through.
        """
        return self._wait(_Item(fn, None, concurrent.futures.Future(), session=True), timeout)

    def _wait(self, item: _Item, timeout: float | None) -> Any:
        # The writer enforces the time limit itself, so an op is either applied (and its caller told so) or not
        # applied at all; the caller never gives up on an op that may still be stored. The extra minute only guards
        # against a writer stuck on the disk.
        item.deadline = None if timeout is None else time.monotonic() + timeout
        if self.in_writer_thread:
            raise RuntimeError("An op cannot wait for the writer from inside the writer.")
        try:
            running = asyncio.get_running_loop()
        except RuntimeError:
            running = None
        if running is not None and running is self._loop:
            # Blocking the loop that the writer resolves futures on would stall every webhook (and this call).
            raise RuntimeError("Writer.run blocks: on the event loop use 'await writer.submit(op)'.")
        self._put(item)
        future = item.future
        assert isinstance(future, concurrent.futures.Future)
        try:
            return future.result(None if timeout is None else timeout + 60.0)
        except concurrent.futures.TimeoutError as exc:
            raise StorageUnavailable(f"The database writer did not answer within {timeout} s.") from exc

    def _put(self, item: _Item) -> None:
        if self._stopped or self._thread is None:
            raise StorageUnavailable("The database writer is not running.")
        self._queue.put(item)

    # --- the writer thread --------------------------------------------------------------------------------------

    def _run(self) -> None:
        while True:
            group = self._next_group()
            if group is None:
                return
            try:
                if group[0].session:
                    self._apply_session(group[0])
                else:
                    self._apply_group(group)
            except Exception as exc:  # the writer must outlive anything one group throws
                logger.exception("database writer: unexpected failure")
                try:
                    self._reset_connection()
                    self._deliver([_Outcome(i, error=StorageUnavailable(str(exc))) for i in group], None)
                except Exception:
                    logger.exception("database writer: could not answer a failed group")

    def _next_group(self) -> list[_Item] | None:
        """Block for the first op, then take every op already queued (ORM ops run alone)."""
        first = self._held or self._queue.get()
        self._held = None
        if first is _STOP:
            return None
        group: list[_Item] = [first]
        if first.session:
            return group
        while len(group) < MAX_GROUP:
            try:
                item = self._queue.get_nowait()
            except queue.Empty:
                break
            if item is _STOP or item.session:
                self._held = item
                break
            group.append(item)
        return group

    def _apply_group(self, group: list[_Item], careful: bool = False) -> None:
        """Apply ``group`` in one transaction and commit it. First without savepoints (each SQLite call hands the
        GIL around, so fewer calls mean less waiting for it); if an op raises, the transaction is rolled back and
        the group applied again ``careful``-ly, each op in its own savepoint, so that only the failing op is lost."""
        conn = self._conn
        assert conn is not None
        now = utcnow()
        tx = WriteTx(conn, self.view.catalog, self._counters.copy(), now)
        tx.counters.roll(now)
        outcomes: list[_Outcome] = []
        try:
            self._synchronous(conn, "FULL" if any(item.durable for item in group) else "NORMAL")
            conn.execute("BEGIN IMMEDIATE")
        except sqlite3.Error as exc:
            self._fail_group(group, exc)
            return
        for item in group:
            if item.deadline is not None and time.monotonic() > item.deadline:
                outcomes.append(_Outcome(item, error=StorageUnavailable("The database writer fell behind.")))
                continue
            if not careful:
                try:
                    outcomes.append(_Outcome(item, item.op(tx)))
                except Exception as exc:
                    self._rollback()
                    tx.rollback()
                    if is_storage_error(exc):
                        self._fail_group(group, exc)
                    else:
                        self._apply_group(group, careful=True)
                    return
                continue
            mark = tx.mark()
            conn.execute("SAVEPOINT op")
            try:
                value = item.op(tx)
                conn.execute("RELEASE op")
            except Exception as exc:
                if is_storage_error(exc):
                    self._rollback()
                    tx.rollback()
                    self._fail_group(group, exc)
                    return
                conn.execute("ROLLBACK TO op")
                conn.execute("RELEASE op")
                tx.restore(mark)
                outcomes.append(_Outcome(item, error=exc))
                continue
            outcomes.append(_Outcome(item, value))
        try:
            conn.execute("COMMIT")
        except sqlite3.Error as exc:
            self._rollback()
            tx.rollback()
            self._fail_group(group, exc)
            return
        self._counters = tx.counters
        self.view.catalog = tx.catalog
        self._checkpointer.due.set()
        self.groups += 1
        self.ops += len(group)
        self._report(tx.finals)  # queued first, so wait_reported() after an answer always covers it
        self._deliver(outcomes, tx.loop_effects)

    def _synchronous(self, conn: sqlite3.Connection, level: str) -> None:
        # SQLite refuses to change it inside a transaction: set before BEGIN, and only when it changes.
        if self._sync_level != level:
            conn.execute(f"PRAGMA synchronous={level}")
            self._sync_level = level

    def _apply_session(self, item: _Item) -> None:
        outcome = _Outcome(item)
        if item.deadline is not None and time.monotonic() > item.deadline:
            self._deliver([_Outcome(item, error=StorageUnavailable("The database writer fell behind."))], None)
            return
        try:
            assert self._conn is not None
            self._synchronous(self._conn, "FULL")
            with Session(self._session_engine) as session:
                session.connection().exec_driver_sql("BEGIN IMMEDIATE")
                outcome.value = item.op(session)
        except Exception as exc:
            self._rollback()
            outcome.error = exc
            if is_storage_error(exc):
                logger.error("database writer: could not store an admin change: %s", exc)
                outcome.error = StorageUnavailable(str(exc))
        else:
            self.groups += 1
            self.ops += 1
            self._checkpointer.due.set()
        self._reload_catalog()  # before the answer: the caller's next alert must see the change
        self._deliver([outcome], None)

    def _reload_catalog(self) -> None:
        try:
            self.view.catalog = self._load_catalog()
        except sqlite3.Error:
            logger.exception("database writer: could not reload strategies and settings")

    def _rollback(self) -> None:
        try:
            if self._conn is not None and self._conn.in_transaction:
                self._conn.execute("ROLLBACK")
        except sqlite3.Error:
            self._reset_connection()

    def _open(self) -> None:
        conn = connect_writer(self.db_path)
        self._conn = conn
        self._sync_level = "FULL"  # connect_writer's
        # The ORM ops' sessions run on this very connection (one connection: no second writer, no pool to wait on).
        self._session_engine = create_engine("sqlite://", creator=lambda: conn, poolclass=StaticPool)

    def _close(self) -> None:
        if self._conn is None:
            return
        self._session_engine.dispose()
        try:
            self._conn.close()
        except sqlite3.Error:
            pass
        self._conn = None

    def _reset_connection(self) -> None:
        """Start over with a fresh connection (after a failure that may have left the old one unusable)."""
        self._close()
        try:
            self._open()
        except sqlite3.Error:
            logger.exception("database writer: cannot reopen the database")

    def _fail_group(self, group: list[_Item], exc: BaseException) -> None:
        logger.error("database writer: %d op(s) not stored: %s", len(group), exc)
        error = StorageUnavailable(f"The database could not be written: {exc}")
        self._deliver([_Outcome(item, error=error) for item in group], None)

    def _fail_queued(self, error: StorageUnavailable) -> None:
        pending: list[_Outcome] = []
        held, self._held = self._held, None
        if held is not None and held is not _STOP:
            pending.append(_Outcome(held, error=error))
        while True:
            try:
                item = self._queue.get_nowait()
            except queue.Empty:
                break
            if item is not _STOP:
                pending.append(_Outcome(item, error=error))
        self._deliver(pending, None)

    # --- answers ------------------------------------------------------------------------------------------------

    def _deliver(self, outcomes: list[_Outcome], effects: list[Callable[[], None]] | None) -> None:
        """Answer every op (thread callers directly, event-loop callers with one callback per loop), then run the
        committed group's loop effects on the server's loop."""
        by_loop: dict[asyncio.AbstractEventLoop, list[_Outcome]] = {}
        for outcome in outcomes:
            if outcome.item.loop is None:
                future = outcome.item.future
                if future.done():
                    continue
                if outcome.error is None:
                    future.set_result(outcome.value)
                else:
                    future.set_exception(outcome.error)
            else:
                by_loop.setdefault(outcome.item.loop, []).append(outcome)
        loop = self._loop
        if effects and loop is not None and loop not in by_loop:
            by_loop[loop] = []
        for target, answers in by_loop.items():
            try:
                target.call_soon_threadsafe(_answer, answers, effects if target is loop else None)
            except RuntimeError:  # the loop is closed: nobody is waiting any more
                pass

    def _report(self, finals: list[Signal]) -> None:
        if self._on_resolved is None or not finals:
            return
        with self._reported:
            self._reports_due += len(finals)
        for signal in finals:
            self._reports.put(signal)

    def _run_reports(self) -> None:
        while (signal := self._reports.get()) is not None:
            try:
                if self._on_resolved is not None:
                    self._on_resolved(signal)
            except Exception:  # a listener must never break reporting
                logger.exception("signal listener failed")
            finally:
                with self._reported:
                    self._reports_done += 1
                    self._reported.notify_all()

    def wait_reported(self, timeout: float = 10.0) -> bool:
        """Wait until every final signal committed so far was handed to ``on_resolved``; False on time-out."""
        with self._reported:
            return self._reported.wait_for(lambda: self._reports_done >= self._reports_due, timeout)

    # --- loading the view -----------------------------------------------------------------------------------------

    def _load_catalog(self) -> Catalog:
        conn = self._conn
        assert conn is not None
        cur = conn.execute("SELECT * FROM tv_strategies")
        names = [d[0] for d in cur.description]
        strategies = []
        for row in cur.fetchall():
            data = dict(zip(names, row, strict=True))
            for key in _STRATEGY_JSON:
                if isinstance(data.get(key), str):
                    data[key] = json.loads(data[key])
            strategies.append(StrategyView.from_row(data))
        cur = conn.execute("SELECT * FROM settings WHERE id = 1")
        found = cur.fetchone()
        columns = [d[0] for d in cur.description]
        settings = SettingsView.from_row(dict(zip(columns, found, strict=True))) if found else SettingsView()
        return Catalog.build(strategies, settings)

    def _load_counters(self, now: datetime) -> Counters:
        conn = self._conn
        assert conn is not None
        day_start = now.replace(hour=0, minute=0, second=0, microsecond=0)
        # As the writer counts them (server/flow/outcome.py: settle): a signal of several accounts that ended
        # ``failed`` because only some executed it still traded, so it still counts (a provisional outcome of the
        # watchdog does not, until the agent is back: server/queue.py: lapse_abandoned).
        rows = conn.execute(
            "SELECT strategy_id, count(*) FROM tv_signals WHERE created_at >= ? AND (+status IN (?, ?, ?)"
            " OR (+status = ? AND decided_by IS NOT 'watchdog' AND EXISTS (SELECT 1 FROM jobs"
            " WHERE jobs.signal_id = tv_signals.id AND json_extract(jobs.result, '$.status') = ?)))"
            " GROUP BY +strategy_id",  # '+': today's rows by their time index, never a walk of the whole history
            (
                sql_time(day_start),
                SignalStatus.EXECUTED.value,
                SignalStatus.PENDING.value,
                SignalStatus.AWAITING_APPROVAL.value,
                SignalStatus.FAILED.value,
                SignalStatus.EXECUTED.value,
            ),
        ).fetchall()
        counters = Counters(now.date(), {int(sid): int(n) for sid, n in rows})
        for agent_id, start, pnl, taken_at in conn.execute(
            "SELECT agent_id, day_start_balance, realized_pnl_today, taken_at FROM account_snapshots"
        ):
            taken = from_sql_time(taken_at)
            counters.pnl[agent_id] = AgentPnl(float(start or 0.0), float(pnl or 0.0), taken.date() if taken else None)
        return counters


def _answer(outcomes: list[_Outcome], effects: list[Callable[[], None]] | None) -> None:
    """On the event loop: settle the waiting coroutines, then run the committed group's effects."""
    for outcome in outcomes:
        future = outcome.item.future
        if future.done():  # the waiter was cancelled (client gone): the op happened anyway
            continue
        if outcome.error is None:
            future.set_result(outcome.value)
        else:
            future.set_exception(outcome.error)
    for effect in effects or ():
        try:
            effect()
        except Exception:  # one effect must not stop the others
            logger.exception("writer effect failed")
