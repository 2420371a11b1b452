"""checklist jobs: the run a step starts (checklist_step.run) and its claim (checklist_job)

Revision ID: 0017
Revises: 0014
Create Date: 2026-12-03
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import bot.core.models

revision: str = "0017"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "checklist_job",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("step_id", sa.Integer(), nullable=False),
        sa.Column("attempt", sa.Integer(), nullable=False),
        sa.Column("kind", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("state", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("simulated", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=True),
        sa.Column("started_by", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("claimed_at", bot.core.models.UTCDateTime(), nullable=False),
        sa.Column("correlation", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("inputs", sa.Text(), server_default="{}", nullable=False),
        sa.Column("run_id", sa.BigInteger(), nullable=True),
        sa.Column("run_url", sa.Text(), nullable=True),
        sa.Column("status", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True),
        sa.Column("conclusion", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True),
        sa.Column("etag", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True),
        sa.Column("next_check_at", bot.core.models.UTCDateTime(), nullable=True),
        sa.Column("deadline_at", bot.core.models.UTCDateTime(), nullable=False),
        sa.Column("finished_at", bot.core.models.UTCDateTime(), nullable=True),
        sa.Column("detail", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["step_id"],
            ["checklist_step.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("step_id", "attempt"),
    )
    with op.batch_alter_table("checklist_job", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_checklist_job_state"), ["state"], unique=False)
        batch_op.create_index(batch_op.f("ix_checklist_job_step_id"), ["step_id"], unique=False)

    with op.batch_alter_table("checklist_step", schema=None) as batch_op:
        batch_op.add_column(sa.Column("run", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("checklist_step", schema=None) as batch_op:
        batch_op.drop_column("run")

    with op.batch_alter_table("checklist_job", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_checklist_job_step_id"))
        batch_op.drop_index(batch_op.f("ix_checklist_job_state"))

    op.drop_table("checklist_job")
