"""leader epoch: leader_term (the fencing token), outbox.claim_epoch, outbox.ephemeral_to

Revision ID: 0013
Revises: 0017
Create Date: 2026-12-03
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import bot.core.models

revision: str = "0013"
down_revision: str | None = "0017"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "leader_term",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("epoch", sa.BigInteger(), nullable=False),
        sa.Column("holder", sqlmodel.sql.sqltypes.AutoString(length=128), nullable=False),
        sa.Column("since", bot.core.models.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.add_column(sa.Column("claim_epoch", sa.BigInteger(), nullable=True))
        batch_op.add_column(
            sa.Column("ephemeral_to", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True)
        )


def downgrade() -> None:
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.drop_column("ephemeral_to")
        batch_op.drop_column("claim_epoch")
    op.drop_table("leader_term")
