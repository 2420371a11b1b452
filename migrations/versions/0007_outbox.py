"""the outbox: messages owed to Slack, and live messages waiting for a refresh

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-01
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import bot.core.models

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UTC = bot.core.models.UTCDateTime


def upgrade() -> None:
    op.create_table(
        "outbox",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("channel", sa.String(length=32), nullable=False),
        sa.Column("text", sa.Text(), server_default="", nullable=False),
        sa.Column("blocks", sa.Text(), nullable=True),
        sa.Column("render", sa.String(length=64), nullable=True),
        sa.Column("render_args", sa.Text(), nullable=True),
        sa.Column("thread_key", sa.String(length=200), nullable=True),
        sa.Column("thread_ts", sa.String(length=32), nullable=True),
        sa.Column("broadcast", sa.Boolean(), nullable=False),
        sa.Column("live_kind", sa.String(length=32), nullable=True),
        sa.Column("live_ref", sa.String(length=64), nullable=True),
        sa.Column("useful_until", UTC(timezone=True), nullable=True),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", UTC(timezone=True), nullable=False),
        sa.Column("claimed_until", UTC(timezone=True), nullable=True),
        sa.Column("created_at", UTC(timezone=True), nullable=False),
        sa.Column("sent_at", UTC(timezone=True), nullable=True),
        sa.Column("ts", sa.String(length=32), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("key"),
    )
    op.create_index("ix_outbox_channel", "outbox", ["channel"])
    op.create_index("ix_outbox_pending", "outbox", ["state", "next_attempt_at"])
    op.create_table(
        "live_refresh",
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("ref", sa.String(length=64), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("due_at", UTC(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("kind", "ref"),
    )


def downgrade() -> None:
    op.drop_table("live_refresh")
    op.drop_index("ix_outbox_pending", table_name="outbox")
    op.drop_index("ix_outbox_channel", table_name="outbox")
    op.drop_table("outbox")
