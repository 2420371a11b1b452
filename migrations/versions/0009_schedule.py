"""schedule: milestones of a release, their claimed countdown notices, countdown settings

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-15
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import bot.core.models

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UTC = bot.core.models.UTCDateTime


def upgrade() -> None:
    op.create_table(
        "milestone",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("release_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=80), nullable=False),
        sa.Column("key", sa.String(length=80), nullable=False),
        sa.Column("at", UTC(timezone=True), nullable=False),
        sa.Column("zone", sa.String(length=64), nullable=False),
        sa.Column("relative_to_release", sa.Boolean(), nullable=False),
        sa.Column("offset", sa.String(length=60), nullable=True),
        sa.Column("owner_role", sa.String(length=40), nullable=True),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("phase", sa.String(length=60), nullable=True),
        sa.Column("marks", sa.String(length=16), nullable=True),
        sa.Column("template", sa.String(length=64), nullable=True),
        sa.Column("planned_at", UTC(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=32), nullable=False),
        sa.Column("created_at", UTC(timezone=True), nullable=False),
        sa.Column("moved_by", sa.String(length=32), nullable=True),
        sa.Column("moved_at", UTC(timezone=True), nullable=True),
        sa.Column("move_reason", sa.Text(), nullable=True),
        sa.Column("moves", sa.Integer(), nullable=False),
        sa.Column("plan_from", UTC(timezone=True), nullable=False),
        sa.Column("next_notice_at", UTC(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["release_id"], ["release.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("release_id", "key"),
    )
    op.create_index("ix_milestone_release_id", "milestone", ["release_id"])
    op.create_index("ix_milestone_notice", "milestone", ["next_notice_at"])
    op.create_table(
        "milestone_notice",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("milestone_id", sa.Integer(), nullable=False),
        sa.Column("at", UTC(timezone=True), nullable=False),
        sa.Column("offset_seconds", sa.Integer(), nullable=False),
        sa.Column("claimed_at", UTC(timezone=True), nullable=False),
        sa.Column("late", sa.Boolean(), nullable=False),
        sa.Column("superseded", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(["milestone_id"], ["milestone.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("milestone_id", "at", "offset_seconds"),
    )
    op.create_index("ix_milestone_notice_milestone_id", "milestone_notice", ["milestone_id"])
    op.create_table(
        "schedule_setting",
        sa.Column("release_id", sa.Integer(), nullable=False),
        sa.Column("notify", sa.String(length=200), nullable=False),
        sa.Column("updated_by", sa.String(length=32), nullable=False),
        sa.Column("updated_at", UTC(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["release_id"], ["release.id"]),
        sa.PrimaryKeyConstraint("release_id"),
    )


def downgrade() -> None:
    op.drop_table("schedule_setting")
    op.drop_index("ix_milestone_notice_milestone_id", table_name="milestone_notice")
    op.drop_table("milestone_notice")
    op.drop_index("ix_milestone_notice", table_name="milestone")
    op.drop_index("ix_milestone_release_id", table_name="milestone")
    op.drop_table("milestone")
