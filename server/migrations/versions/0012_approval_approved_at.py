"""when the trader approved a signal

- ``tv_signals.approved_at``: set by an approval (server/flow/approval.py), so a signal approved shortly before its
  max signal age passes, and then expiring before an agent takes it, says when it was approved and how much time
  was left (server/queue.py ``expire_overdue``). Existing signals: ``NULL``.

Revision ID: 0012
Revises: 0011
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("tv_signals", sa.Column("approved_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("tv_signals") as batch:
        batch.drop_column("approved_at")
