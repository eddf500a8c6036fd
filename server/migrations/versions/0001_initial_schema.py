"""initial schema

Revision ID: 0001
Revises: (none)
Create Date: 2026-11-21 07:42:38.104746
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:

    op.create_table(
        "account_snapshots",
        sa.Column("agent_id", sa.String(length=64), nullable=False),
        sa.Column("login", sa.Integer(), nullable=True),
        sa.Column("server", sa.String(), nullable=True),
        sa.Column("currency", sa.String(), nullable=True),
        sa.Column("margin_mode", sa.String(), nullable=True),
        sa.Column("balance", sa.Float(), nullable=False),
        sa.Column("equity", sa.Float(), nullable=False),
        sa.Column("margin_free", sa.Float(), nullable=False),
        sa.Column("day_start_balance", sa.Float(), nullable=False),
        sa.Column("realized_pnl_today", sa.Float(), nullable=False),
        sa.Column("pnl_by_magic", sa.JSON(), nullable=False),
        sa.Column("positions", sa.JSON(), nullable=False),
        sa.Column("taken_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("agent_id"),
    )
    op.create_table(
        "agents",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("broker", sa.String(), nullable=True),
        sa.Column("version", sa.String(), nullable=True),
        sa.Column("terminal_connected", sa.Boolean(), nullable=True),
        sa.Column("trade_allowed", sa.Boolean(), nullable=True),
        sa.Column("last_error", sa.String(), nullable=True),
        sa.Column("last_seen_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_table(
        "settings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("daily_loss_limit_pct", sa.Float(), nullable=True),
        sa.Column("trading_paused", sa.Boolean(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_table(
        "tv_strategies",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("broker_connection", sa.String(length=64), nullable=False),
        sa.Column("webhook_secret", sa.String(length=64), nullable=False),
        sa.Column("is_enabled", sa.Boolean(), nullable=False),
        sa.Column("risk_override_pct", sa.Float(), nullable=True),
        sa.Column("allowed_pairs", sa.JSON(), nullable=False),
        sa.Column("default_volume", sa.Float(), nullable=True),
        sa.Column("max_lots", sa.Float(), nullable=True),
        sa.Column("magic_number", sa.Integer(), nullable=False),
        sa.Column("max_signal_age_seconds", sa.Integer(), nullable=False),
        sa.Column("dedup_window_seconds", sa.Integer(), nullable=False),
        sa.Column("max_open_positions", sa.Integer(), nullable=True),
        sa.Column("max_trades_per_day", sa.Integer(), nullable=True),
        sa.Column("symbol_map", sa.JSON(), nullable=False),
        sa.Column("symbol_suffix", sa.String(), nullable=True),
        sa.Column("pip_sizes", sa.JSON(), nullable=False),
        sa.Column("volume_type", sa.String(), nullable=False),
        sa.Column("target_type", sa.String(), nullable=False),
        sa.Column("entry_type", sa.String(), nullable=False),
        sa.Column("license_id", sa.String(), nullable=True),
        sa.Column("alert_secret", sa.String(), nullable=True),
        sa.Column("default_symbol", sa.String(), nullable=True),
        sa.Column("dialects", sa.JSON(), nullable=False),
        sa.Column("trading_halted", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("magic_number"),
    )
    with op.batch_alter_table("tv_strategies", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_tv_strategies_webhook_secret"), ["webhook_secret"], unique=True)

    op.create_table(
        "tv_signals",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("strategy_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("symbol", sa.String(), nullable=True),
        sa.Column("action", sa.String(), nullable=True),
        sa.Column("volume", sa.Float(), nullable=True),
        sa.Column("raw_payload", sa.String(), nullable=False),
        sa.Column("content_type", sa.String(), nullable=True),
        sa.Column("intent", sa.JSON(), nullable=True),
        sa.Column("idempotency_key", sa.String(length=200), nullable=True),
        sa.Column("body_hash", sa.String(length=64), nullable=True),
        sa.Column("alert_time", sa.DateTime(timezone=True), nullable=True),
        sa.Column("error_message", sa.String(), nullable=True),
        sa.Column("fill_price", sa.Float(), nullable=True),
        sa.Column("broker_order_id", sa.String(), nullable=True),
        sa.Column("orders", sa.JSON(), nullable=False),
        sa.Column("notes", sa.JSON(), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("acked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("filled_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("resolved_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["strategy_id"], ["tv_strategies.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("tv_signals", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_tv_signals_body_hash"), ["body_hash"], unique=False)
        batch_op.create_index(batch_op.f("ix_tv_signals_created_at"), ["created_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_tv_signals_idempotency_key"), ["idempotency_key"], unique=False)
        batch_op.create_index(batch_op.f("ix_tv_signals_status"), ["status"], unique=False)
        batch_op.create_index(batch_op.f("ix_tv_signals_strategy_id"), ["strategy_id"], unique=False)

    op.create_table(
        "jobs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("signal_id", sa.Integer(), nullable=True),
        sa.Column("agent_id", sa.String(length=64), nullable=False),
        sa.Column("job_type", sa.String(length=32), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("claimed_by", sa.String(), nullable=True),
        sa.Column("claimed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["signal_id"], ["tv_signals.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("jobs", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_jobs_agent_id"), ["agent_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_jobs_signal_id"), ["signal_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_jobs_status"), ["status"], unique=False)


def downgrade() -> None:

    with op.batch_alter_table("jobs", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_jobs_status"))
        batch_op.drop_index(batch_op.f("ix_jobs_signal_id"))
        batch_op.drop_index(batch_op.f("ix_jobs_agent_id"))

    op.drop_table("jobs")
    with op.batch_alter_table("tv_signals", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_tv_signals_strategy_id"))
        batch_op.drop_index(batch_op.f("ix_tv_signals_status"))
        batch_op.drop_index(batch_op.f("ix_tv_signals_idempotency_key"))
        batch_op.drop_index(batch_op.f("ix_tv_signals_created_at"))
        batch_op.drop_index(batch_op.f("ix_tv_signals_body_hash"))

    op.drop_table("tv_signals")
    with op.batch_alter_table("tv_strategies", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_tv_strategies_webhook_secret"))

    op.drop_table("tv_strategies")
    op.drop_table("settings")
    op.drop_table("agents")
    op.drop_table("account_snapshots")
