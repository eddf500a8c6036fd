"""SQLite: the readers' engine, the writer's connection, and schema migrations.

One process writes, through one connection owned by :class:`server.writer.Writer`; every other connection of the
server is a reader (``query_only``), so no code path can hold one connection while waiting for another writer —
the lock-order inversion of issue 8 cannot be written any more.

WAL mode lets the dashboard read while the writer writes; ``synchronous=FULL`` makes a committed batch survive a
power cut, which is what "answered 200 means durable" requires (sqlite.org/pragma.html#pragma_synchronous: in WAL
mode FULL syncs the WAL at every commit; NORMAL may lose the last commits on power loss).
"""

from __future__ import annotations

import ast
import logging
import sqlite3
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event

logger = logging.getLogger(__name__)

#: Milliseconds a reader waits for SQLite's lock (readers never wait in WAL mode except during recovery).
BUSY_TIMEOUT_MS = 3000

#: Milliseconds the writer waits for the write lock held by ANOTHER process (a DB tool, a second copy): past it
#: the batch fails and its webhooks answer 503, well inside TradingView's 3 s, so TradingView resends.
WRITER_BUSY_TIMEOUT_MS = 1000

MIGRATIONS_DIR = Path(__file__).with_name("migrations")

_PRAGMAS = ("PRAGMA journal_mode=WAL", "PRAGMA synchronous=FULL", "PRAGMA foreign_keys=ON")


def make_engine(db_path: Path, *, read_only: bool = False) -> Engine:
    """The engine for the SQLite file at ``db_path`` with WAL, FULL sync and foreign keys on.

    ``read_only=True`` makes every pooled connection ``query_only``: the running server reads through it and
    writes only through the writer. Migrations and tests use a writable engine.

    :raises OSError: the folder cannot be created.
    """
    db_path.parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(
        f"sqlite:///{db_path}",
        connect_args={"check_same_thread": False, "timeout": BUSY_TIMEOUT_MS / 1000},
        pool_size=8,
        max_overflow=8,
    )

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        cur = dbapi_conn.cursor()
        for pragma in _PRAGMAS:
            cur.execute(pragma)
        cur.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
        if read_only:
            cur.execute("PRAGMA query_only=ON")
        cur.close()

    return engine


def connect_writer(db_path: Path) -> sqlite3.Connection:
    """The writer's own connection: autocommit mode (the writer issues ``BEGIN IMMEDIATE``/``COMMIT`` itself),
    the same pragmas as the readers, a short busy time-out (:data:`WRITER_BUSY_TIMEOUT_MS`), and no automatic
    checkpoint: copying the WAL into the database file (and syncing it) at the end of a commit would hold every
    webhook of the next group for tens to hundreds of milliseconds; :func:`checkpoint` does it beside the writer.

    :raises sqlite3.Error: the file cannot be opened.
    """
    timeout = WRITER_BUSY_TIMEOUT_MS / 1000
    conn = sqlite3.connect(db_path, isolation_level=None, check_same_thread=False, timeout=timeout)
    for pragma in _PRAGMAS:
        conn.execute(pragma)
    conn.execute(f"PRAGMA busy_timeout={WRITER_BUSY_TIMEOUT_MS}")
    conn.execute("PRAGMA wal_autocheckpoint=0")
    return conn


def checkpoint(conn: sqlite3.Connection, mode: str = "PASSIVE") -> tuple[int, int, int]:
    """Copy committed WAL frames into the database file (``PRAGMA wal_checkpoint``); returns SQLite's
    ``(busy, frames in the WAL, frames checkpointed)``. ``PASSIVE`` never waits for and never blocks the writer or
    the readers (sqlite.org/wal.html#checkpointing); ``TRUNCATE`` at shutdown also empties the WAL file."""
    row = conn.execute(f"PRAGMA wal_checkpoint({mode})").fetchone()
    return int(row[0]), int(row[1]), int(row[2])


def sql_time(moment: datetime) -> str:
    """``moment`` as stored by :class:`server.models.UTCDateTime` (naive UTC, always with microseconds), so raw
    SQL in the writer writes what the ORM reads and compares what the ORM wrote."""
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")


def from_sql_time(text: str | None) -> datetime | None:
    """The aware UTC datetime of a stored time (``None`` stays ``None``)."""
    return None if text is None else datetime.fromisoformat(text).replace(tzinfo=UTC)


def head_revisions(versions_dir: Path = MIGRATIONS_DIR / "versions") -> set[str]:
    """The newest revision ids of the migration scripts (those no other script names as its ``down_revision``),
    read from the scripts' source without importing alembic."""
    revisions: set[str] = set()
    parents: set[str] = set()
    for path in versions_dir.glob("*.py"):
        for node in ast.parse(path.read_text(encoding="utf-8")).body:
            if not (isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name)):
                continue
            name, value = node.targets[0].id, ast.literal_eval(node.value)
            if name == "revision":
                revisions.add(str(value))
            elif name == "down_revision" and value:
                parents.update([value] if isinstance(value, str) else value)
    return revisions - parents


def schema_is_current(engine: Engine) -> bool:
    """True when the database is already at the newest revision, so a start needs no migration (and no alembic,
    whose import alone costs about 10 MB and a few hundred milliseconds)."""
    try:
        heads = head_revisions()
        with engine.connect() as conn:
            stamped = {row[0] for row in conn.exec_driver_sql("SELECT version_num FROM alembic_version")}
    except Exception:  # no version table yet, scripts unreadable: let alembic decide
        return False
    return bool(heads) and stamped == heads


def migrate(engine: Engine) -> None:
    """Bring the schema to the newest revision (alembic ``upgrade head``), creating it on first start."""
    if schema_is_current(engine):
        logger.info("database schema is up to date")
        return
    from alembic import command  # imported here: only a start with a migration to run needs it
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "head")
    logger.info("database schema is up to date")
