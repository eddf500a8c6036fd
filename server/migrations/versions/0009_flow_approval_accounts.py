"""manual approval and fan-out to several accounts (issue 13, `flow`)

- ``tv_strategies.require_approval``: accepted alerts wait as ``awaiting_approval`` until the trader approves or
  rejects them (or their max age passes); existing strategies keep trading at once (false).
- ``tv_strategies.accounts``: further agents the strategy trades on, each ``{"agent_id", "volume_multiplier"}``
  (JSON list; empty for existing strategies: only their ``agent_id``).
- ``jobs.volume_multiplier`` (1 for existing jobs) and ``jobs.result`` (each account's own outcome).
- ``ux_jobs_signal_agent``: at most one job per (signal, agent) — exactly once per account.

Revision ID: 0007_flow
Revises: 0006
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("tv_strategies", sa.Column("require_approval", sa.Boolean(), nullable=False,
                                             server_default=sa.false()))
    op.add_column("tv_strategies", sa.Column("accounts", sa.JSON(), nullable=False, server_default="[]"))
    op.add_column("jobs", sa.Column("volume_multiplier", sa.Float(), nullable=False, server_default="1"))
    op.add_column("jobs", sa.Column("result", sa.JSON(), nullable=True))
    op.create_index("ux_jobs_signal_agent", "jobs", ["signal_id", "agent_id"], unique=True)


def downgrade() -> None:
    op.drop_index("ux_jobs_signal_agent", table_name="jobs")
    with op.batch_alter_table("jobs") as batch:
        batch.drop_column("result")
        batch.drop_column("volume_multiplier")
    with op.batch_alter_table("tv_strategies") as batch:
        batch.drop_column("accounts")
        batch.drop_column("require_approval")
