"""gates: every check's result kept (gate_check); native gates, role owners, yellow alerts

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-02
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import bot.core.models

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("gate", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "owner_roles",
                sqlmodel.sql.sqltypes.AutoString(length=400),
                nullable=False,
                server_default="",
            )
        )
        batch_op.add_column(sa.Column("spec", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("findings", sa.Text(), nullable=True))
        batch_op.add_column(
            sa.Column("alert_yellow", sa.Boolean(), nullable=False, server_default=sa.false())
        )
    op.create_table(
        "gate_check",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("gate_id", sa.Integer(), nullable=False),
        sa.Column("release_id", sa.Integer(), nullable=False),
        sa.Column("at", bot.core.models.UTCDateTime(timezone=True), nullable=False),
        sa.Column("result", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("state", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("value", sa.Float(), nullable=True),
        sa.Column("detail", sqlmodel.sql.sqltypes.AutoString(length=300), nullable=True),
        sa.ForeignKeyConstraint(["gate_id"], ["gate.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["release_id"], ["release.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("gate_check", schema=None) as batch_op:
        batch_op.create_index("ix_gate_check_gate_at", ["gate_id", "at"], unique=False)
        batch_op.create_index(batch_op.f("ix_gate_check_release_id"), ["release_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("gate_check", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_gate_check_release_id"))
        batch_op.drop_index("ix_gate_check_gate_at")
    op.drop_table("gate_check")
    with op.batch_alter_table("gate", schema=None) as batch_op:
        batch_op.drop_column("alert_yellow")
        batch_op.drop_column("findings")
        batch_op.drop_column("spec")
        batch_op.drop_column("owner_roles")
