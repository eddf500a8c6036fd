"""what an account snapshot reflects: the order in which an agent finished its jobs

- ``jobs.finish_seq``: the job's number in the order its agent id finished jobs (``JobResult.finish_seq``); ``NULL``
  for jobs finished before this revision, by an agent that does not number them, or by the server (expiry).
- ``account_snapshots.as_of_finish``: the agent's finish counter read before the terminal was (``NULL``: an agent
  that does not send it; its ``as_of_signal`` is then used as before).
- ``ix_jobs_agent_finish``: the jobs an agent finished after a snapshot was read, found without a scan
  (server/reflected.py).

Revision ID: 0013
Revises: 0012
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("jobs", sa.Column("finish_seq", sa.BigInteger(), nullable=True))
    op.add_column("account_snapshots", sa.Column("as_of_finish", sa.BigInteger(), nullable=True))
    op.create_index("ix_jobs_agent_finish", "jobs", ["agent_id", "finish_seq"])


def downgrade() -> None:
    op.drop_index("ix_jobs_agent_finish", table_name="jobs")
    with op.batch_alter_table("account_snapshots") as batch:
        batch.drop_column("as_of_finish")
    with op.batch_alter_table("jobs") as batch:
        batch.drop_column("finish_seq")
