"""SQLite engine and schema migrations.

WAL mode lets the webhook write while the dashboard reads; ``synchronous=FULL`` makes a committed signal
survive a power cut, which is what "answered 200 means durable" requires; ``busy_timeout`` bounds how long a
writer waits for the lock before the webhook gives up with 503 (TradingView then resends).
"""

from __future__ import annotations

import logging
import threading
import weakref
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, create_engine, event

logger = logging.getLogger(__name__)

#: Milliseconds a writer waits for SQLite's lock before failing (the webhook then answers 503).
BUSY_TIMEOUT_MS = 3000

MIGRATIONS_DIR = Path(__file__).with_name("migrations")

_write_locks: weakref.WeakKeyDictionary[Engine, threading.RLock] = weakref.WeakKeyDictionary()
_write_locks_guard = threading.Lock()


def write_lock(engine: Engine) -> threading.RLock:
    """The process-wide lock that the server's writers hold around a write transaction.

    SQLite admits one writer at a time; when two collide, the loser's busy handler sleeps in growing steps (up
    to 100 ms) before retrying, which showed up as a 300-700 ms webhook tail under bursts. Queuing our own
    writers on a Python lock wakes the next one the moment the previous commits.
    """
    with _write_locks_guard:
        lock = _write_locks.get(engine)
        if lock is None:
            lock = _write_locks[engine] = threading.RLock()
        return lock


def make_engine(db_path: Path) -> Engine:
    """Create the engine for the SQLite file at ``db_path`` with WAL, FULL sync and foreign keys on.

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
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA synchronous=FULL")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
        cur.close()

    return engine


def migrate(engine: Engine) -> None:
    """Bring the schema to the newest revision (alembic ``upgrade head``), creating it on first start."""
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "head")
    logger.info("database schema is up to date")
