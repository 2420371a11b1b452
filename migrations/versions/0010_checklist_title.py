"""checklist: step titles of up to 300 characters, as templates now allow

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-01
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("checklist_step") as batch:
        batch.alter_column(
            "title",
            existing_type=sa.String(length=200),
            type_=sa.String(length=300),
            existing_nullable=False,
        )


def downgrade() -> None:
    with op.batch_alter_table("checklist_step") as batch:
        batch.alter_column(
            "title",
            existing_type=sa.String(length=300),
            type_=sa.String(length=200),
            existing_nullable=False,
        )
