"""trader's controls: strategy timeframes, risk multiplier, duplicates by meaning, lot cap mode, exposure caps

- ``tv_strategies``: ``timeframes`` (JSON list of canonical timeframes, empty: all), ``risk_multiplier`` (1.0),
  ``dedup_by`` (``body``), ``max_lots_mode`` (``refuse``), ``max_exposure_pct`` (none), ``exposure_basis``
  (``margin``). Server defaults keep every existing strategy trading exactly as before.
- ``settings``: ``account_max_exposure_pct``, ``account_exposure_basis``, ``account_max_open_positions``
  (account-wide caps, none by default).

Revision ID: 0007_ctl
Revises: 0006
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("tv_strategies", sa.Column("timeframes", sa.JSON(), nullable=False, server_default="[]"))
    op.add_column("tv_strategies", sa.Column("risk_multiplier", sa.Float(), nullable=False, server_default="1.0"))
    op.add_column("tv_strategies", sa.Column("dedup_by", sa.String(length=16), nullable=False, server_default="body"))
    op.add_column("tv_strategies", sa.Column("max_lots_mode", sa.String(length=16), nullable=False,
                                             server_default="refuse"))
    op.add_column("tv_strategies", sa.Column("max_exposure_pct", sa.Float(), nullable=True))
    op.add_column("tv_strategies", sa.Column("exposure_basis", sa.String(length=16), nullable=False,
                                             server_default="margin"))
    op.add_column("settings", sa.Column("account_max_exposure_pct", sa.Float(), nullable=True))
    op.add_column("settings", sa.Column("account_exposure_basis", sa.String(length=16), nullable=False,
                                        server_default="margin"))
    op.add_column("settings", sa.Column("account_max_open_positions", sa.Integer(), nullable=True))


def downgrade() -> None:
    for column in ("account_max_open_positions", "account_exposure_basis", "account_max_exposure_pct"):
        op.drop_column("settings", column)
    for column in ("exposure_basis", "max_exposure_pct", "max_lots_mode", "dedup_by", "risk_multiplier", "timeframes"):
        op.drop_column("tv_strategies", column)
