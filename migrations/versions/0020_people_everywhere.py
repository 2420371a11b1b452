"""people everywhere: a red gate's escalation ladder (gate.rungs_told, gate.rung_due_at) and
App Home's shared memory of who looked (home_viewer)

Revision ID: 0020
Revises: 0015
Create Date: 2026-12-03
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import bot.core.models

revision: str = "0020"
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("gate", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("rungs_told", sa.Integer(), nullable=False, server_default="0")
        )
        batch_op.add_column(
            sa.Column("rung_due_at", bot.core.models.UTCDateTime(timezone=True), nullable=True)
        )
        batch_op.create_index(batch_op.f("ix_gate_rung_due_at"), ["rung_due_at"], unique=False)
    op.create_table(
        "home_viewer",
        sa.Column("user_id", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("seen_at", bot.core.models.UTCDateTime(timezone=True), nullable=False),
        sa.Column("groups", sa.Text(), server_default="", nullable=False),
        sa.PrimaryKeyConstraint("user_id"),
    )
    with op.batch_alter_table("home_viewer", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_home_viewer_seen_at"), ["seen_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("home_viewer", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_home_viewer_seen_at"))
    op.drop_table("home_viewer")
    with op.batch_alter_table("gate", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_gate_rung_due_at"))
        batch_op.drop_column("rung_due_at")
        batch_op.drop_column("rungs_told")
