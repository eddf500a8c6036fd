"""strategy default take-profit split

- ``tv_strategies.tp_split``: the default shares (percent, TP1 first) of take-profit levels an alert gives without
  shares (server/alerts/takeprofits.py). A JSON list; existing strategies get ``[]`` (equal shares).

Revision ID: 0009
Revises: 0008
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("tv_strategies", sa.Column("tp_split", sa.JSON(), nullable=False, server_default="[]"))


def downgrade() -> None:
    op.drop_column("tv_strategies", "tp_split")
