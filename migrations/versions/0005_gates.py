"""gates and their checks

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-21
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import bot.core.models

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "gate",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("release_id", sa.Integer(), nullable=False),
        sa.Column("name", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("kind", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("url", sa.Text(), nullable=True),
        sa.Column("expect", sa.Text(), nullable=True),
        sa.Column("headers", sa.Text(), nullable=True),
        sa.Column("owners", sqlmodel.sql.sqltypes.AutoString(length=400), nullable=False),
        sa.Column("interval_seconds", sa.Integer(), nullable=False),
        sa.Column("damping", sa.Integer(), nullable=False),
        sa.Column("repeat_seconds", sa.Integer(), nullable=False),
        sa.Column("state", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("state_since", bot.core.models.UTCDateTime(timezone=True), nullable=True),
        sa.Column("fail_streak", sa.Integer(), nullable=False),
        sa.Column("last_result", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=True),
        sa.Column("last_detail", sa.Text(), nullable=True),
        sa.Column("last_checked_at", bot.core.models.UTCDateTime(timezone=True), nullable=True),
        sa.Column("next_check_at", bot.core.models.UTCDateTime(timezone=True), nullable=True),
        sa.Column("pings", sa.Integer(), nullable=False),
        sa.Column("next_ping_at", bot.core.models.UTCDateTime(timezone=True), nullable=True),
        sa.Column("alert_ts", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True),
        sa.Column("message_ts", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_by", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("created_at", bot.core.models.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["release_id"], ["release.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("release_id", "name"),
    )
    with op.batch_alter_table("gate", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_gate_release_id"), ["release_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_gate_next_check_at"), ["next_check_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_gate_next_ping_at"), ["next_ping_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("gate", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_gate_next_ping_at"))
        batch_op.drop_index(batch_op.f("ix_gate_next_check_at"))
        batch_op.drop_index(batch_op.f("ix_gate_release_id"))

    op.drop_table("gate")
