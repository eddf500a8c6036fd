"""The one writer on real SQLite: group commit, per-op savepoints, all-or-nothing groups when the database cannot
be written, recovery, and a view that follows only committed groups."""

from __future__ import annotations

import asyncio
import sqlite3
from typing import Any

import pytest

from server.view import SettingsView
from server.writer import StorageUnavailable, WriteTx
from tests.server.conftest import Store, grouped, hold_writer, run

INSERT = "INSERT INTO agents (id, last_seen_at) VALUES (?, '2026-11-30 00:00:00.000000')"


def insert(name: str) -> Any:
    def op(tx: WriteTx) -> str:
        tx.execute(INSERT, (name,))
        return name

    return op


def agents(store: Store) -> set[str]:
    return {r[0] for r in store.rows("SELECT id FROM agents")}


def test_ops_queued_together_are_committed_as_one_group(store: Store) -> None:
    before = store.writer.groups
    results = run(grouped(store.writer, [insert(f"a{i}") for i in range(200)]))
    assert results == [f"a{i}" for i in range(200)]
    assert store.writer.groups - before == 2  # the op that held the writer, then all 200 together
    assert agents(store) == {f"a{i}" for i in range(200)}


def test_a_failing_op_takes_only_itself_back(store: Store) -> None:
    def broken(tx: WriteTx) -> None:
        tx.execute(INSERT, ("b",))
        raise ValueError("a bug in one op")

    results = run(grouped(store.writer, [insert("a"), broken, insert("c")]))
    assert results[0] == "a" and results[2] == "c"
    assert isinstance(results[1], ValueError)
    assert agents(store) == {"a", "c"}


def test_a_database_locked_by_another_program_fails_the_group_and_the_writer_recovers(store: Store) -> None:
    other = sqlite3.connect(store.path, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")  # e.g. a DB browser holding the write lock
    with pytest.raises(StorageUnavailable, match="locked"):
        run(store.writer.submit(insert("while-locked")))
    other.execute("ROLLBACK")
    other.close()
    assert run(store.writer.submit(insert("after"))) == "after"
    assert agents(store) == {"after"}


def limit_pages(store: Store) -> None:
    """Cap the file at its current size: SQLite's page limit raises the real SQLITE_FULL ("database or disk is
    full") that a full disk raises."""
    pages = run(store.writer.submit(lambda tx: tx.execute("PRAGMA page_count").fetchone()[0]))
    run(store.writer.submit(lambda tx: tx.execute(f"PRAGMA max_page_count = {pages}")))


def unlimit_pages(store: Store) -> None:
    run(store.writer.submit(lambda tx: tx.execute("PRAGMA max_page_count = 1073741823")))


def big(tx: WriteTx) -> None:
    tx.execute("INSERT INTO agents (id, last_error) VALUES ('big', ?)", ("x" * 200_000,))


def test_a_full_database_rolls_back_the_whole_group_and_the_writer_recovers(store: Store) -> None:
    limit_pages(store)
    results = run(grouped(store.writer, [insert("small-before"), big, insert("small-after")]))
    assert all(isinstance(r, StorageUnavailable) for r in results), results
    assert agents(store) == set()  # nothing half-written, not even the small ones of the same group
    unlimit_pages(store)
    assert run(store.writer.submit(insert("after"))) == "after"


def test_the_view_follows_committed_groups_only(store: Store) -> None:
    before = store.view.catalog

    def pause(tx: WriteTx) -> None:
        tx.catalog = tx.catalog.with_settings(SettingsView(trading_paused=True))

    def broken(tx: WriteTx) -> None:
        tx.catalog = tx.catalog.with_settings(SettingsView(daily_loss_limit_pct=1.0))
        raise ValueError("a bug")

    limit_pages(store)
    results = run(grouped(store.writer, [pause, big]))
    assert all(isinstance(r, StorageUnavailable) for r in results)
    assert store.view.catalog is before and not store.view.catalog.settings.trading_paused
    unlimit_pages(store)
    run(grouped(store.writer, [pause, broken]))  # an op's own error takes back only that op
    assert store.view.catalog.settings == SettingsView(trading_paused=True)


def test_admin_changes_are_seen_by_the_next_alert_at_once(store: Store) -> None:
    created = store.strategy("fresh")
    assert store.view.strategy_by_secret(created.webhook_secret) is not None  # before run_session returned
    store.strategies.update(created.id, is_enabled=False)
    assert not store.view.catalog.strategies[created.id].is_enabled
    rotated = store.strategies.rotate_secret(created.id)
    assert store.view.strategy_by_secret(created.webhook_secret) is None
    assert store.view.strategy_by_secret(rotated.webhook_secret) is not None


def test_waiting_for_the_writer_on_the_event_loop_is_refused(store: Store) -> None:
    # Only the loop the writer answers on is protected (another thread's loop, e.g. a browser driver's, may block).
    async def blocking_call() -> None:
        await store.writer.submit(insert("on the loop"))
        store.writer.run(insert("x"))

    with pytest.raises(RuntimeError, match="submit"):
        run(blocking_call())


def test_an_op_that_waited_too_long_is_not_applied(store: Store) -> None:
    async def scenario() -> BaseException | None:
        gate, held = await hold_writer(store.writer)
        late = asyncio.ensure_future(store.writer.submit(insert("late"), within=0.0))
        await asyncio.sleep(0)  # queued, with its time already up
        gate.open()
        await held
        try:
            await late
        except StorageUnavailable as exc:
            return exc
        return None

    assert isinstance(run(scenario()), StorageUnavailable)
    assert agents(store) == set()


def test_readers_cannot_write(store: Store) -> None:
    with store.engine.connect() as conn, pytest.raises(Exception, match="readonly|read-only|query_only"):
        conn.exec_driver_sql(INSERT, ("sneaky",))


def test_soft_state_alone_commits_without_waiting_for_the_disk_and_durable_ops_still_do(store: Store) -> None:
    def level(tx: WriteTx) -> int:
        return int(tx.execute("PRAGMA synchronous").fetchone()[0])

    assert run(store.writer.submit(level, durable=False)) == 1  # NORMAL: synced by the next durable commit
    assert run(store.writer.submit(level)) == 2  # FULL

    async def mixed() -> tuple[int, int]:  # soft state sharing a group with a durable op is synced with it
        gate, held = await hold_writer(store.writer)
        soft = asyncio.ensure_future(store.writer.submit(level, durable=False))
        hard = asyncio.ensure_future(store.writer.submit(level))
        await asyncio.sleep(0)
        gate.open()
        await held
        return await soft, await hard

    assert run(mixed()) == (2, 2)


def test_the_wal_is_copied_back_and_emptied_when_the_writer_stops(store: Store) -> None:
    run(grouped(store.writer, [insert(f"w{i}") for i in range(300)]))
    wal = store.path.with_name(store.path.name + "-wal")
    assert wal.exists() and wal.stat().st_size > 0
    store.writer.stop()
    assert not wal.exists() or wal.stat().st_size == 0
    assert len(agents(store)) == 300
