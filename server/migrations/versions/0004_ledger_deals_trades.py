"""the strategy ledger: deals, trades, open shares and deal-sync cursors

- ``ledger_deals``: every deal an agent reported, once per (agent, login, deal ticket), with its strategy and
  signal; ``ledger_trades`` and ``ledger_holdings``: closed and open shares rebuilt from the deals
  (``contract.netting``); ``ledger_sync``: each account's currency facts and how far its history is posted.
- MT5 tickets and magic numbers are unsigned 64-bit, stored two's complement in BIGINT.

Revision ID: 0004
Revises: 0003
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "ledger_sync",
        sa.Column("agent_id", sa.String(length=64), nullable=False),
        sa.Column("login", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("server", sa.String(length=128), nullable=False),
        sa.Column("currency", sa.String(length=16), nullable=False),
        sa.Column("currency_digits", sa.Integer(), nullable=False),
        sa.Column("margin_mode", sa.String(length=8), nullable=False),
        sa.Column("through_msc", sa.BigInteger(), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("agent_id", "login"),
    )
    op.create_table(
        "ledger_deals",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("agent_id", sa.String(length=64), nullable=False),
        sa.Column("login", sa.BigInteger(), nullable=False),
        sa.Column("deal_ticket", sa.BigInteger(), nullable=False),
        sa.Column("order_ticket", sa.BigInteger(), nullable=False),
        sa.Column("position_id", sa.BigInteger(), nullable=False),
        sa.Column("time_msc", sa.BigInteger(), nullable=False),
        sa.Column("server_offset_seconds", sa.Integer(), nullable=False),
        sa.Column("time", sa.DateTime(timezone=True), nullable=False),
        sa.Column("type", sa.Integer(), nullable=False),
        sa.Column("entry", sa.Integer(), nullable=False),
        sa.Column("reason", sa.Integer(), nullable=False),
        sa.Column("magic", sa.BigInteger(), nullable=False),
        sa.Column("volume", sa.Float(), nullable=False),
        sa.Column("price", sa.Float(), nullable=False),
        sa.Column("commission", sa.Float(), nullable=False),
        sa.Column("swap", sa.Float(), nullable=False),
        sa.Column("profit", sa.Float(), nullable=False),
        sa.Column("fee", sa.Float(), nullable=False),
        sa.Column("symbol", sa.String(length=64), nullable=False),
        sa.Column("comment", sa.String(length=64), nullable=False),
        sa.Column("external_id", sa.String(length=128), nullable=False),
        sa.Column("currency", sa.String(length=16), nullable=False),
        sa.Column("strategy_id", sa.Integer(), nullable=True),
        sa.Column("signal_id", sa.Integer(), nullable=True),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["signal_id"], ["tv_signals.id"], ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["strategy_id"], ["tv_strategies.id"], ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("agent_id", "login", "deal_ticket", name="uq_ledger_deals_ticket"),
        sqlite_autoincrement=True,
    )
    op.create_index(op.f("ix_ledger_deals_signal_id"), "ledger_deals", ["signal_id"], unique=False)
    op.create_index(op.f("ix_ledger_deals_strategy_id"), "ledger_deals", ["strategy_id"], unique=False)
    op.create_index("ix_ledger_deals_symbol", "ledger_deals", ["agent_id", "login", "symbol"], unique=False)
    op.create_index(op.f("ix_ledger_deals_time"), "ledger_deals", ["time"], unique=False)
    op.create_table(
        "ledger_holdings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("agent_id", sa.String(length=64), nullable=False),
        sa.Column("login", sa.BigInteger(), nullable=False),
        sa.Column("symbol", sa.String(length=64), nullable=False),
        sa.Column("position_id", sa.BigInteger(), nullable=False),
        sa.Column("magic", sa.BigInteger(), nullable=True),
        sa.Column("strategy_id", sa.Integer(), nullable=True),
        sa.Column("volume", sa.Float(), nullable=False),
        sa.Column("entry_price", sa.Float(), nullable=False),
        sa.Column("opened_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("entry_signal_id", sa.Integer(), nullable=True),
        sa.Column("commission", sa.Float(), nullable=False),
        sa.Column("fee", sa.Float(), nullable=False),
        sa.Column("swap", sa.Float(), nullable=False),
        sa.Column("currency", sa.String(length=16), nullable=False),
        sa.ForeignKeyConstraint(["entry_signal_id"], ["tv_signals.id"], ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["strategy_id"], ["tv_strategies.id"], ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id"),
        sqlite_autoincrement=True,
    )
    op.create_index(op.f("ix_ledger_holdings_entry_signal_id"), "ledger_holdings", ["entry_signal_id"], unique=False)
    op.create_index(op.f("ix_ledger_holdings_strategy_id"), "ledger_holdings", ["strategy_id"], unique=False)
    op.create_index("ix_ledger_holdings_symbol", "ledger_holdings", ["agent_id", "login", "symbol"], unique=False)
    op.create_table(
        "ledger_trades",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("agent_id", sa.String(length=64), nullable=False),
        sa.Column("login", sa.BigInteger(), nullable=False),
        sa.Column("trade_key", sa.String(length=64), nullable=False),
        sa.Column("symbol", sa.String(length=64), nullable=False),
        sa.Column("position_id", sa.BigInteger(), nullable=False),
        sa.Column("magic", sa.BigInteger(), nullable=True),
        sa.Column("strategy_id", sa.Integer(), nullable=True),
        sa.Column("side", sa.String(length=8), nullable=False),
        sa.Column("volume", sa.Float(), nullable=False),
        sa.Column("remaining_volume", sa.Float(), nullable=False),
        sa.Column("entry_price", sa.Float(), nullable=True),
        sa.Column("exit_price", sa.Float(), nullable=True),
        sa.Column("entry_time", sa.DateTime(timezone=True), nullable=True),
        sa.Column("exit_time", sa.DateTime(timezone=True), nullable=False),
        sa.Column("duration_seconds", sa.Float(), nullable=True),
        sa.Column("profit", sa.Float(), nullable=False),
        sa.Column("commission", sa.Float(), nullable=False),
        sa.Column("swap", sa.Float(), nullable=False),
        sa.Column("fee", sa.Float(), nullable=False),
        sa.Column("net_pnl", sa.Float(), nullable=False),
        sa.Column("currency", sa.String(length=16), nullable=False),
        sa.Column("exit_reason", sa.String(length=16), nullable=False),
        sa.Column("closed_by_magic", sa.BigInteger(), nullable=True),
        sa.Column("entry_deal_ticket", sa.BigInteger(), nullable=True),
        sa.Column("exit_deal_ticket", sa.BigInteger(), nullable=True),
        sa.Column("entry_signal_id", sa.Integer(), nullable=True),
        sa.Column("exit_signal_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["entry_signal_id"], ["tv_signals.id"], ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["exit_signal_id"], ["tv_signals.id"], ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["strategy_id"], ["tv_strategies.id"], ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("agent_id", "login", "trade_key", name="uq_ledger_trades_key"),
        sqlite_autoincrement=True,
    )
    op.create_index(op.f("ix_ledger_trades_entry_signal_id"), "ledger_trades", ["entry_signal_id"], unique=False)
    op.create_index(op.f("ix_ledger_trades_exit_reason"), "ledger_trades", ["exit_reason"], unique=False)
    op.create_index(op.f("ix_ledger_trades_exit_signal_id"), "ledger_trades", ["exit_signal_id"], unique=False)
    op.create_index(op.f("ix_ledger_trades_exit_time"), "ledger_trades", ["exit_time"], unique=False)
    op.create_index(op.f("ix_ledger_trades_strategy_id"), "ledger_trades", ["strategy_id"], unique=False)
    op.create_index("ix_ledger_trades_symbol", "ledger_trades", ["agent_id", "login", "symbol"], unique=False)


def downgrade() -> None:
    raise NotImplementedError("tvbridge migrations only go forward; restore a backup to go back")
