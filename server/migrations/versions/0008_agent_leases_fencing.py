"""one agent per agent id: ``agent_leases`` (epochs that only go up), ``jobs.lease_epoch`` and
``jobs.quarantined_at``

A claim records the lease epoch of the process that made it; results, hand-backs and snapshots from an older epoch
are refused (server/leases.py). A job handed out too often without a result is quarantined by the server.

Revision ID: 0007
Revises: 0006
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "agent_leases",
        sa.Column("agent_id", sa.String(length=64), primary_key=True, nullable=False),
        sa.Column("epoch", sa.BigInteger(), nullable=False),
        sa.Column("holder", sa.String(length=64), nullable=True),
        sa.Column("host", sa.String(length=255), nullable=True),
        sa.Column("pid", sa.Integer(), nullable=True),
        sa.Column("lock_domain", sa.String(length=64), nullable=True),
        sa.Column("granted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("renewed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("released_at", sa.DateTime(timezone=True), nullable=True),
    )
    # Native ALTER TABLE ADD COLUMN: ``jobs`` is never rebuilt (see 0003 on rebuilding tables with foreign keys).
    op.add_column("jobs", sa.Column("lease_epoch", sa.BigInteger(), nullable=True))
    op.add_column("jobs", sa.Column("quarantined_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("jobs") as batch:
        batch.drop_column("quarantined_at")
        batch.drop_column("lease_epoch")
    op.drop_table("agent_leases")
