"""which gate decided: ``tv_signals.decided_by``

The intake gate that ended an alert (``server.gates.GATES``: ``strategy_disabled``, ``duplicate``,
``daily_trade_cap`` ...), ``agent`` for a job's outcome, or ``expiry`` for a job no agent took in time.

Revision ID: w8_decided_by
Revises: 0002
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "w8_decided_by"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("tv_signals") as batch:
        batch.add_column(sa.Column("decided_by", sa.String(length=32), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("tv_signals") as batch:
        batch.drop_column("decided_by")
