"""people: voters from user groups (poll_voter.via), escalation ladders (release.escalation,
checklist_step.nudge_due_at), rehearsals (checklist.rehearsal, checklist_step.simulated)

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-03
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import bot.core.models

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("poll_voter", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("via", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True)
        )
    with op.batch_alter_table("release", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("escalation", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True)
        )
    with op.batch_alter_table("checklist_step", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("nudge_due_at", bot.core.models.UTCDateTime(timezone=True), nullable=True)
        )
        batch_op.add_column(
            sa.Column("simulated", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=True)
        )
    with op.batch_alter_table("checklist", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("rehearsal", sa.Boolean(), nullable=False, server_default=sa.false())
        )


def downgrade() -> None:
    with op.batch_alter_table("checklist", schema=None) as batch_op:
        batch_op.drop_column("rehearsal")
    with op.batch_alter_table("checklist_step", schema=None) as batch_op:
        batch_op.drop_column("simulated")
        batch_op.drop_column("nudge_due_at")
    with op.batch_alter_table("release", schema=None) as batch_op:
        batch_op.drop_column("escalation")
    with op.batch_alter_table("poll_voter", schema=None) as batch_op:
        batch_op.drop_column("via")
