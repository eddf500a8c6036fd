"""who may trade: signing secrets, rate limits, refused senders, notification events

- ``tv_strategies.signing_secret``: the HMAC-SHA256 key of senders that sign (write-only in the API);
  ``rate_limit_per_second`` / ``rate_limit_per_minute``: alerts allowed before further ones are discarded.
- ``security_events``: refused senders rolled up per minute, kind, source, endpoint, secret fingerprint, strategy
  and detail.
- ``settings.notify_events``: which events go to the notification targets (``NULL``: the defaults).

Revision ID: 0006
Revises: 0005
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("tv_strategies") as batch:
        batch.add_column(sa.Column("signing_secret", sa.String(length=256), nullable=True))
        batch.add_column(sa.Column("rate_limit_per_second", sa.Integer(), nullable=False, server_default="50"))
        batch.add_column(sa.Column("rate_limit_per_minute", sa.Integer(), nullable=False, server_default="600"))
    with op.batch_alter_table("settings") as batch:
        batch.add_column(sa.Column("notify_events", sa.JSON(), nullable=True))
    op.create_table(
        "security_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("bucket", sa.DateTime(timezone=True), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("source", sa.String(length=64), nullable=False),
        sa.Column("endpoint", sa.String(length=64), nullable=False),
        sa.Column("fingerprint", sa.String(length=16), nullable=False),
        sa.Column("strategy_id", sa.Integer(), nullable=False),
        sa.Column("detail", sa.String(length=300), nullable=False),
        sa.Column("count", sa.BigInteger(), nullable=False),
        sa.Column("first_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sqlite_autoincrement=True,
    )
    op.create_index("ix_security_events_bucket", "security_events", ["bucket"])
    op.create_index("ix_security_events_last_at", "security_events", ["last_at"])
    op.create_index(
        "ux_security_events_rollup",
        "security_events",
        ["bucket", "kind", "source", "endpoint", "fingerprint", "strategy_id", "detail"],
        unique=True,
    )


def downgrade() -> None:
    op.drop_table("security_events")
    with op.batch_alter_table("settings") as batch:
        batch.drop_column("notify_events")
    with op.batch_alter_table("tv_strategies") as batch:
        batch.drop_column("rate_limit_per_minute")
        batch.drop_column("rate_limit_per_second")
        batch.drop_column("signing_secret")
