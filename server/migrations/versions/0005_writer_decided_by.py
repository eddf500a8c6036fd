"""which gate decided: ``tv_signals.decided_by``

The intake gate that ended an alert (``server.gates.GATES``: ``strategy_disabled``, ``duplicate``,
``daily_trade_cap`` ...), ``agent`` for a job's outcome, or ``expiry`` for a job no agent took in time.

Revision ID: 0005
Revises: 0004
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("tv_signals") as batch:
        batch.add_column(sa.Column("decided_by", sa.String(length=32), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("tv_signals") as batch:
        batch.drop_column("decided_by")
