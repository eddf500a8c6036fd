"""Ids and magic numbers never go back, on a real SQLite file: even when a row is removed outright (as
strategies were before they were archived), even across a restart, and through the upgrade of a database
written by earlier versions."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from alembic import command
from alembic.config import Config
from sqlalchemy import Engine

from server.db import MIGRATIONS_DIR, make_engine, migrate
from server.strategies import FIRST_MAGIC, StrategyService
from tests.server.conftest import Store, start_store


@pytest.fixture(autouse=True)
def _stop_writers() -> Iterator[None]:
    yield
    while _RUNNING:
        _RUNNING.pop().writer.stop()


_RUNNING: list[Store] = []


def _strategies(path: Path) -> StrategyService:
    """The strategy service of a real store (its changes go through a real writer thread) on ``path``."""
    store = start_store(path)
    _RUNNING.append(store)
    return store.strategies


def _service(path: Path) -> tuple[Engine, StrategyService]:
    """A read-write engine on ``path`` for the test's own raw SQL, and the service (after the migrations)."""
    engine = make_engine(path)
    migrate(engine)
    return engine, _strategies(path)


def _sql(engine: Engine, statement: str, *params: Any) -> list[Any]:
    with engine.begin() as conn:
        result = conn.exec_driver_sql(statement, params)
        return list(result.fetchall()) if result.returns_rows else []


def _signal(engine: Engine, strategy_id: int) -> int:
    _sql(engine, "INSERT INTO tv_signals (strategy_id, status, raw_payload, orders, notes, received_at, created_at) "
                 "VALUES (?, 'rejected', 'x', '[]', '[]', '2026-01-01', '2026-01-01')", strategy_id)
    return int(_sql(engine, "SELECT max(id) FROM tv_signals")[0][0])


def test_the_newest_ids_are_not_handed_out_again_after_their_rows_are_removed(tmp_path: Path) -> None:
    engine, strategies = _service(tmp_path / "t.db")
    first = strategies.create("first")
    newest = strategies.create("newest")
    signal = _signal(engine, newest.id or 0)
    _sql(engine, "INSERT INTO jobs (signal_id, agent_id, job_type, status, payload, attempts, created_at) "
                 "VALUES (?, 'default', 'trade', 'done', '{}', 1, '2026-01-01')", signal)
    job = _sql(engine, "SELECT max(id) FROM jobs")[0][0]
    _sql(engine, "DELETE FROM tv_strategies WHERE id = ?", newest.id)  # cascades to its signal and job

    engine.dispose()
    _RUNNING.pop().writer.stop()
    engine, strategies = _service(tmp_path / "t.db")  # a restart
    again = strategies.create("again")
    assert (again.id or 0) > (newest.id or 0) > (first.id or 0)
    assert again.magic_number == newest.magic_number + 1 == FIRST_MAGIC + 2
    assert _signal(engine, again.id or 0) > signal
    _sql(engine, "INSERT INTO jobs (signal_id, agent_id, job_type, status, payload, attempts, created_at) "
                 "VALUES (NULL, 'default', 'trade', 'done', '{}', 1, '2026-01-01')")
    assert _sql(engine, "SELECT max(id) FROM jobs")[0][0] > job


def test_a_magic_number_an_agent_reports_in_use_is_skipped(tmp_path: Path) -> None:
    engine, strategies = _service(tmp_path / "t.db")
    _sql(engine, "INSERT INTO account_snapshots (agent_id, balance, equity, margin_free, day_start_balance, "
                 "realized_pnl_today, pnl_by_magic, positions, pending_orders, taken_at) VALUES ('default', 0, 0, 0, "
                 "0, 0, ?, ?, ?, '2026-01-01')",
                 f'{{"{FIRST_MAGIC + 1}": -5.0}}', f'[{{"magic": {FIRST_MAGIC}}}]', f'[{{"magic": {FIRST_MAGIC + 2}}}]')
    assert strategies.create("clear of others").magic_number == FIRST_MAGIC + 3  # position, deal, pending order
    assert strategies.create("next").magic_number == FIRST_MAGIC + 4


def test_settings_are_validated_whoever_calls_the_service(tmp_path: Path) -> None:
    _, strategies = _service(tmp_path / "t.db")
    with pytest.raises(ValueError, match="less than or equal to 86400"):
        strategies.create("x", max_signal_age_seconds=10**12)
    made = strategies.create("x")
    with pytest.raises(ValueError, match="valid string"):
        strategies.update(made.id or 0, name=None)
    assert strategies.set_enabled(made.id or 0, False).is_enabled is False


def _upgrade(engine: Engine, revision: str) -> None:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, revision)


def test_upgrading_an_old_database_keeps_every_row_and_never_reuses_its_ids(tmp_path: Path) -> None:
    engine = make_engine(tmp_path / "old.db")
    _upgrade(engine, "0001")
    for name, secret, magic, age in (("a", "s1", 27_700_001, 10**12), ("b", "s2", 27_700_005, 300)):
        _sql(engine, "INSERT INTO tv_strategies (name, broker_connection, webhook_secret, is_enabled, allowed_pairs, "
                     "magic_number, max_signal_age_seconds, dedup_window_seconds, symbol_map, pip_sizes, volume_type, "
                     "target_type, entry_type, dialects, trading_halted, created_at, updated_at) VALUES (?, 'default', "
                     "?, 1, '[]', ?, ?, 60, '{}', '{}', 'lots', 'pips', 'pips', '[]', 0, '2026-01-01', '2026-01-01')",
             name, secret, magic, age)
    _sql(engine, "INSERT INTO tv_signals (strategy_id, status, raw_payload, orders, notes, received_at, created_at, "
                 "broker_order_id) VALUES (1, 'executed', 'x', '[{\"ticket\": 5, \"symbol\": \"EURUSD\", "
                 "\"type\": \"buy\"}]', '[]', '2026-01-01', '2026-01-01', '5'), (2, 'rejected', 'y', '[]', '[]', "
                 "'2026-01-01', '2026-01-01', NULL)")
    _sql(engine, "INSERT INTO jobs (signal_id, agent_id, job_type, status, payload, attempts, created_at) "
                 "VALUES (1, 'default', 'trade', 'done', '{}', 1, '2026-01-01')")

    migrate(engine)  # 0002 and everything after it, with foreign keys on

    assert [r[0] for r in _sql(engine, "SELECT count(*) FROM tv_signals UNION ALL SELECT count(*) FROM jobs")] == [2, 1]
    assert _sql(engine, "SELECT order_ticket, orders FROM tv_signals WHERE id = 1") == [
        (5, '[{"order_ticket": 5, "symbol": "EURUSD", "type": "buy"}]')
    ]
    assert _sql(engine, "PRAGMA foreign_key_check") == []
    for table in ("tv_strategies", "tv_signals", "jobs"):
        (ddl,) = _sql(engine, "SELECT sql FROM sqlite_master WHERE name = ?", table)[0]
        assert "AUTOINCREMENT" in ddl, table
    assert _sql(engine, "SELECT max_signal_age_seconds FROM tv_strategies ORDER BY id") == [(86_400,), (300,)]

    _sql(engine, "DELETE FROM tv_signals WHERE id = 2")
    assert _signal(engine, 1) == 3
    made = _strategies(tmp_path / "old.db").create("after upgrade")
    assert (made.id, made.magic_number) == (3, 27_700_006)
