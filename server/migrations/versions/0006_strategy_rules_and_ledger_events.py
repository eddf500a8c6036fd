"""strategy ownership, exit and pyramiding settings; ledger events

- ``tv_strategies``: ``netting_against_others``, ``shared_stops`` (ownership on netting accounts),
  ``max_hold_minutes``, ``flat_at``, ``trading_session``, ``rules_timezone`` (exit rules and the trading session),
  ``max_entries_per_direction``, ``close_opposite_first`` (pyramiding). Native ``ALTER TABLE ... ADD COLUMN``
  with server defaults, so existing strategies keep the safe defaults (refuse, no rule).
- ``ledger_events``: trades closed by something other than their own signal (SL, TP, stop-out, manual, another
  strategy, an exit rule, an expired pending order), once each, for the strategy's history and the signal log.

Revision ID: 0006
Revises: 0005
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("tv_strategies", sa.Column("netting_against_others", sa.String(length=16), nullable=False,
                                             server_default="refuse"))
    op.add_column("tv_strategies", sa.Column("shared_stops", sa.String(length=16), nullable=False,
                                             server_default="refuse"))
    op.add_column("tv_strategies", sa.Column("max_hold_minutes", sa.Integer(), nullable=True))
    op.add_column("tv_strategies", sa.Column("flat_at", sa.String(length=5), nullable=True))
    op.add_column("tv_strategies", sa.Column("trading_session", sa.String(length=11), nullable=True))
    op.add_column("tv_strategies", sa.Column("rules_timezone", sa.String(length=64), nullable=False,
                                             server_default="UTC"))
    op.add_column("tv_strategies", sa.Column("max_entries_per_direction", sa.Integer(), nullable=True))
    op.add_column("tv_strategies", sa.Column("close_opposite_first", sa.Boolean(), nullable=False,
                                             server_default=sa.false()))
    op.create_table(
        "ledger_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("agent_id", sa.String(length=64), nullable=False),
        sa.Column("login", sa.BigInteger(), nullable=False),
        sa.Column("trade_key", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("strategy_id", sa.Integer(), nullable=True),
        sa.Column("signal_id", sa.Integer(), nullable=True),
        sa.Column("symbol", sa.String(length=64), nullable=False),
        sa.Column("side", sa.String(length=8), nullable=False),
        sa.Column("volume", sa.Float(), nullable=False),
        sa.Column("remaining_volume", sa.Float(), nullable=False),
        sa.Column("price", sa.Float(), nullable=True),
        sa.Column("net_pnl", sa.Float(), nullable=False),
        sa.Column("currency", sa.String(length=16), nullable=False),
        sa.Column("closed_by_magic", sa.BigInteger(), nullable=True),
        sa.Column("message", sa.String(length=400), nullable=False),
        sa.Column("time", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["strategy_id"], ["tv_strategies.id"], ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["signal_id"], ["tv_signals.id"], ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("agent_id", "login", "trade_key", name="uq_ledger_events_trade"),
        sqlite_autoincrement=True,
    )
    op.create_index("ix_ledger_events_strategy_id", "ledger_events", ["strategy_id"])
    op.create_index("ix_ledger_events_signal_id", "ledger_events", ["signal_id"])
    op.create_index("ix_ledger_events_time", "ledger_events", ["time"])


def downgrade() -> None:
    op.drop_index("ix_ledger_events_time", table_name="ledger_events")
    op.drop_index("ix_ledger_events_signal_id", table_name="ledger_events")
    op.drop_index("ix_ledger_events_strategy_id", table_name="ledger_events")
    op.drop_table("ledger_events")
    for column in ("close_opposite_first", "max_entries_per_direction", "rules_timezone", "trading_session",
                   "flat_at", "max_hold_minutes", "shared_stops", "netting_against_others"):
        op.drop_column("tv_strategies", column)
