"""The schema the migrations build is exactly the schema the models describe, and upgrades are repeatable."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlmodel import SQLModel

import server.models  # noqa: F401  (registers the tables)
from server.db import make_engine, migrate


def test_migrated_schema_matches_the_models(tmp_path: Path) -> None:
    engine = make_engine(tmp_path / "m.db")
    migrate(engine)
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), SQLModel.metadata)
    assert diff == [], f"write a migration for: {diff}"


def test_migrating_twice_is_harmless_and_keeps_data(tmp_path: Path) -> None:
    engine = make_engine(tmp_path / "m.db")
    migrate(engine)
    with engine.begin() as conn:
        conn.exec_driver_sql("INSERT INTO settings (id, trading_paused, updated_at) VALUES (1, 1, '2026-01-01')")
    migrate(engine)
    with engine.connect() as conn:
        assert conn.exec_driver_sql("SELECT trading_paused FROM settings").scalar() == 1
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"


def test_a_current_schema_is_recognised_without_alembic(tmp_path: Path) -> None:
    from server.db import head_revisions, schema_is_current

    engine = make_engine(tmp_path / "m.db")
    assert not schema_is_current(engine)  # a new file: alembic creates the schema
    migrate(engine)
    assert schema_is_current(engine)
    with engine.connect() as conn:
        assert {r[0] for r in conn.exec_driver_sql("SELECT version_num FROM alembic_version")} == head_revisions()
    probe = (
        "import sys; from pathlib import Path; from server.db import make_engine, migrate; "
        f"migrate(make_engine(Path({str(tmp_path / 'm.db')!r}))); print('alembic' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
