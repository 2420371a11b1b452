"""api tokens: api_token (hashed secrets, one live name per release); audit_event.actor
widened for a token's label in the trail

Revision ID: 0014
Revises: 0016
Create Date: 2026-12-03
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import bot.core.models

revision: str = "0014"
down_revision: str | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "api_token",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("release_id", sa.Integer(), nullable=False),
        sa.Column("name", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("scope", sqlmodel.sql.sqltypes.AutoString(length=8), nullable=False),
        sa.Column("secret_hash", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("made_by", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("created_at", bot.core.models.UTCDateTime(timezone=True), nullable=False),
        sa.Column("last_used_at", bot.core.models.UTCDateTime(timezone=True), nullable=True),
        sa.Column("revoked_at", bot.core.models.UTCDateTime(timezone=True), nullable=True),
        sa.Column("revoked_by", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True),
        sa.ForeignKeyConstraint(["release_id"], ["release.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("api_token", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_api_token_release_id"), ["release_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_api_token_secret_hash"), ["secret_hash"], unique=True)
        batch_op.create_index(
            "uq_api_token_live_name",
            ["release_id", "name"],
            unique=True,
            sqlite_where=sa.text("revoked_at IS NULL"),
            postgresql_where=sa.text("revoked_at IS NULL"),
        )
    with op.batch_alter_table("audit_event", schema=None) as batch_op:
        batch_op.alter_column(
            "actor",
            existing_type=sqlmodel.sql.sqltypes.AutoString(length=32),
            type_=sqlmodel.sql.sqltypes.AutoString(length=120),
            existing_nullable=False,
        )


def downgrade() -> None:
    with op.batch_alter_table("audit_event", schema=None) as batch_op:
        batch_op.alter_column(
            "actor",
            existing_type=sqlmodel.sql.sqltypes.AutoString(length=120),
            type_=sqlmodel.sql.sqltypes.AutoString(length=32),
            existing_nullable=False,
        )
    with op.batch_alter_table("api_token", schema=None) as batch_op:
        batch_op.drop_index("uq_api_token_live_name")
        batch_op.drop_index(batch_op.f("ix_api_token_secret_hash"))
        batch_op.drop_index(batch_op.f("ix_api_token_release_id"))
    op.drop_table("api_token")
