"""identities never reused, strategies archived instead of deleted, bounded settings

- ``tv_strategies``, ``tv_signals``, ``jobs`` become ``AUTOINCREMENT`` tables: SQLite never hands out an id again,
  not even the newest after it was deleted (plain ``INTEGER PRIMARY KEY`` reuses max + 1, so the order comment
  ``tvb:<signal id>`` of a deleted signal came back on a new one);
- ``counters``: the next magic number, which only counts up (first 27_700_001, else above every magic number a
  strategy ever held here);
- ``tv_strategies.archived_at``: deleting a strategy archives it, its signals stay;
- ``account_snapshots.pending_orders``: the pending orders an agent reports;
- settings stored before they were bounded are brought inside the bounds (a max signal age of 1e12 s made every
  alert of its strategy fail): ages and windows to one day, caps to their maxima.

SQLite cannot add AUTOINCREMENT to a table, so the three tables are rebuilt. They are renamed away first and
dropped last, children first: dropping a parent table while foreign keys are on (they cannot be switched off inside
the migration's transaction) would run ``ON DELETE CASCADE`` and empty its children, which is what a plain batch
"copy and drop" would do.

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

FIRST_MAGIC = 27_700_001

#: Parents before children.
REBUILT = ("tv_strategies", "tv_signals", "jobs")

#: Bounds as of this revision (server/schemas/bounds.py): column -> (lowest, highest).
CLAMPS = {
    "max_signal_age_seconds": (1, 86_400),
    "dedup_window_seconds": (0, 86_400),
    "max_open_positions": (1, 1_000),
    "max_trades_per_day": (1, 100_000),
}


def _rebuild_with_autoincrement(conn: sa.Connection) -> None:
    old = sa.MetaData()
    for name in REBUILT:
        sa.Table(name, old, autoload_with=conn)
    new = sa.MetaData()
    for name in REBUILT:
        table = old.tables[name].to_metadata(new)
        table.dialect_kwargs["sqlite_autoincrement"] = True
        if name == "tv_strategies":
            table.append_column(sa.Column("archived_at", sa.DateTime(timezone=True), nullable=True))
    for name in REBUILT:
        for index in old.tables[name].indexes:
            conn.exec_driver_sql(f'DROP INDEX "{index.name}"')
        # Renaming also rewrites the children's REFERENCES to the renamed table (SQLite >= 3.26).
        conn.exec_driver_sql(f'ALTER TABLE "{name}" RENAME TO "_old_{name}"')
    new.create_all(conn)
    for name in REBUILT:
        cols = ", ".join(f'"{c.name}"' for c in old.tables[name].columns)
        conn.exec_driver_sql(f'INSERT INTO "{name}" ({cols}) SELECT {cols} FROM "_old_{name}"')  # noqa: S608
    for name in reversed(REBUILT):  # children first: dropping a parent would cascade into them
        conn.exec_driver_sql(f'DROP TABLE "_old_{name}"')


def upgrade() -> None:
    conn = op.get_bind()
    _rebuild_with_autoincrement(conn)
    op.create_table(
        "counters",
        sa.Column("name", sa.String(length=32), nullable=False),
        sa.Column("next_value", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("name"),
    )
    conn.exec_driver_sql(
        "INSERT INTO counters (name, next_value) "
        "SELECT 'magic_number', max(?, coalesce(max(magic_number) + 1, ?)) FROM tv_strategies",
        (FIRST_MAGIC, FIRST_MAGIC),
    )
    with op.batch_alter_table("account_snapshots") as batch:
        batch.add_column(sa.Column("pending_orders", sa.JSON(), nullable=True))
    for column, (low, high) in CLAMPS.items():
        conn.exec_driver_sql(f"UPDATE tv_strategies SET {column} = ? WHERE {column} > ?", (high, high))  # noqa: S608
        conn.exec_driver_sql(f"UPDATE tv_strategies SET {column} = ? WHERE {column} < ?", (low, low))  # noqa: S608


def downgrade() -> None:
    raise NotImplementedError("tvbridge migrations only go forward; restore a backup to go back")
