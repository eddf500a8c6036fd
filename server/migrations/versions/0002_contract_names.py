"""one word for each thing, and state with a version

- ``tv_strategies.broker_connection`` -> ``agent_id``; ``tv_signals.broker_order_id`` (text) ->
  ``order_ticket`` (integer), and the keys of the stored orders ``ticket/deal/position`` ->
  ``order_ticket/deal_ticket/position_ticket`` (contract.jobs.SentOrder);
- ``tv_signals.positions_after``: the strategy's positions right after the signal's last order;
- ``account_snapshots.boot_id/seq/as_of_signal``: which snapshot is newer, and which signals it reflects.

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

import json

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

_ORDER_KEYS = {"ticket": "order_ticket", "deal": "deal_ticket", "position": "position_ticket"}


def upgrade() -> None:
    # Native ALTERs (SQLite >= 3.35), never a batch "copy and drop": dropping tv_strategies or tv_signals while
    # foreign keys are on runs ON DELETE CASCADE and empties tv_signals and jobs.
    conn = op.get_bind()
    conn.exec_driver_sql("ALTER TABLE tv_strategies RENAME COLUMN broker_connection TO agent_id")
    with op.batch_alter_table("tv_signals") as batch:
        batch.add_column(sa.Column("order_ticket", sa.BigInteger(), nullable=True))
        batch.add_column(sa.Column("positions_after", sa.JSON(), nullable=True))
    rows = conn.exec_driver_sql("SELECT id, broker_order_id, orders FROM tv_signals").fetchall()
    for signal_id, order_id, orders in rows:
        ticket = int(order_id) if order_id and str(order_id).isdigit() else None
        renamed = [{_ORDER_KEYS.get(k, k): v for k, v in o.items()} for o in json.loads(orders or "[]")]
        conn.exec_driver_sql(
            "UPDATE tv_signals SET order_ticket = ?, orders = ? WHERE id = ?",
            (ticket, json.dumps(renamed), signal_id),
        )
    conn.exec_driver_sql("ALTER TABLE tv_signals DROP COLUMN broker_order_id")
    with op.batch_alter_table("account_snapshots") as batch:
        batch.add_column(sa.Column("boot_id", sa.String(length=64), nullable=False, server_default=""))
        batch.add_column(sa.Column("seq", sa.BigInteger(), nullable=False, server_default="0"))
        batch.add_column(sa.Column("as_of_signal", sa.Integer(), nullable=True))


def downgrade() -> None:
    raise NotImplementedError("tvbridge migrations only go forward; restore a backup to go back")
